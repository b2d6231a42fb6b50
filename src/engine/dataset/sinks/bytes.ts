/**
 * Byte-buffer plumbing shared by the browser sinks. Web APIs (fetch bodies, FileSystemWritableFileStream)
 * take only ArrayBuffer-backed views; a `Uint8Array` may sit on a SharedArrayBuffer (frames shared
 * between workers), so those are copied once here.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

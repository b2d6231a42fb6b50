/**
 * The wire protocol between `httpSink` (the renderer, in headless Chromium) and `sinkMiddleware`
 * (the CLI's Node process, which owns the disk). Paths are dataset-relative, in the query string.
 *
 *   PUT    <base>/file?path=P                     body = bytes            → 204
 *   GET    <base>/file?path=P                     → 200 bytes, or 404 {kind: "not-found"} when missing
 *   DELETE <base>/file?path=P                     → 204 (also when missing)
 *   GET    <base>/list?dir=D                      → 200 ["a.png", "b.png"] (files directly in D; D="" is the root)
 *   POST   <base>/files                           body = a batch (below) → 204 (each file as PUT would write it)
 *   POST   <base>/read                            body = JSON ["a.json", …] → 200 a read reply (below)
 *   POST   <base>/stream?path=P&op=open           → 200 {"id": "…"}  (re-opening P abandons the older stream)
 *   POST   <base>/stream?path=P&op=append&id=I    body = chunk        → 204
 *   POST   <base>/stream?path=P&op=close&id=I     → 204 (the file appears under P)
 *   POST   <base>/stream?path=P&op=abort&id=I     → 204 (nothing is left behind)
 *
 * Every failure is a JSON body {kind, message, path} with the SinkError kind, the status below,
 * and a message that names the file; the client rethrows it as the same SinkError. When the
 * server was given a token, every request must carry it in SINK_TOKEN_HEADER (else 403).
 *
 * A batch (POST /files) is one frame's files in one request: a 4-byte big-endian length N, then N
 * bytes of UTF-8 JSON `[{"path": P, "size": S}, …]`, then the files' bytes back to back in that
 * order. A batch whose sizes do not add up to the body is refused whole (400) before anything is
 * written; otherwise a failure is the first file's error, and files already written stay. The last
 * entry may say `"commit": true`: that file is written after all the others, and only when every
 * one of them was (a frame's record, which says the frame is complete: WriteFilesOptions).
 *
 * A read (POST /read) asks for at most MAX_READ_PATHS files at once; its reply is a 4-byte
 * big-endian length N, then N bytes of UTF-8 JSON `[S or null, …]` (each file's size in the order
 * asked, null for one that does not exist), then the files' bytes back to back in that order. Any
 * invalid path refuses the whole request (400); a failure reading is the first file's error.
 */
import type { SinkErrorKind } from './errors.ts';
import { isSinkErrorKind } from './errors.ts';

export const SINK_TOKEN_HEADER = 'x-simloop-sink-token';

export type StreamOp = 'open' | 'append' | 'close' | 'abort';
export const STREAM_OPS: readonly StreamOp[] = ['open', 'append', 'close', 'abort'];

export const STATUS_FOR_KIND: Record<SinkErrorKind, number> = {
  'invalid-path': 400,
  permission: 403,
  'read-only': 403,
  'not-found': 404,
  'no-space': 507,
  other: 500,
};

export interface SinkErrorBody {
  kind: SinkErrorKind;
  message: string;
  path?: string;
}

/** The error body of a response, or null when it is not one (an HTML 404 from another server…). */
export function parseSinkErrorBody(text: string): SinkErrorBody | null {
  try {
    const body = JSON.parse(text) as Partial<SinkErrorBody> | null;
    if (body && isSinkErrorKind(body.kind) && typeof body.message === 'string') {
      return { kind: body.kind, message: body.message, ...(typeof body.path === 'string' ? { path: body.path } : {}) };
    }
  } catch {
    // not JSON
  }
  return null;
}

/**
 * A file in a batch: its bytes follow the header in entry order, except for an entry with `same`,
 * whose bytes are those of the earlier entry at that index (formats that store the same image
 * under several names send it once).
 */
export interface BatchEntry {
  path: string;
  size: number;
  same?: number;
  /** Only on the last entry: written after the others, and only when all of them were. */
  commit?: true;
}

/** A file of a decoded batch; `commit` marks the batch's commit file (the last one). */
export interface BatchFile {
  path: string;
  bytes: Uint8Array;
  commit?: true;
}

/**
 * The parts of a batch body, for a Blob (no copy of the files here; a file whose bytes are an
 * earlier file's is sent once). `commit` goes last, marked (see the top of this file).
 */
export function encodeBatch(files: readonly { path: string; bytes: Uint8Array<ArrayBuffer> }[], commit?: { path: string; bytes: Uint8Array<ArrayBuffer> }): Uint8Array<ArrayBuffer>[] {
  const entries: BatchEntry[] = [];
  const parts: Uint8Array<ArrayBuffer>[] = [];
  files.forEach((f, i) => {
    const same = files.findIndex((g, j) => j < i && g.bytes.buffer === f.bytes.buffer && g.bytes.byteOffset === f.bytes.byteOffset && g.bytes.byteLength === f.bytes.byteLength);
    if (same >= 0 && f.bytes.byteLength > 0) {
      entries.push({ path: f.path, size: f.bytes.byteLength, same }); // the first file with these bytes, which was sent itself
      return;
    }
    entries.push({ path: f.path, size: f.bytes.byteLength });
    parts.push(f.bytes);
  });
  if (commit) {
    entries.push({ path: commit.path, size: commit.bytes.byteLength, commit: true });
    parts.push(commit.bytes);
  }
  const header = new TextEncoder().encode(JSON.stringify(entries));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, header.byteLength);
  return [length, header, ...parts];
}

/** The files of a batch body (views into `body`; the commit file last, marked), or a one-line reason it is not a batch. */
export function decodeBatch(body: Uint8Array): BatchFile[] | string {
  if (body.byteLength < 4) return 'the batch is shorter than its 4-byte header length';
  const headerLength = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0);
  if (4 + headerLength > body.byteLength) return `the batch header says ${headerLength} bytes but the body has ${body.byteLength - 4}`;
  let entries: unknown;
  try {
    entries = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + headerLength)));
  } catch {
    return 'the batch header is not JSON';
  }
  if (!Array.isArray(entries)) return 'the batch header is not a list of {path, size}';
  const files: BatchFile[] = [];
  let at = 4 + headerLength;
  for (const [i, entry] of entries.entries()) {
    const { path, size, same, commit } = (entry ?? {}) as Partial<BatchEntry>;
    if (typeof path !== 'string' || !Number.isInteger(size) || size! < 0) return `batch entry ${i} is not {path, size}`;
    if (commit !== undefined && (commit !== true || i !== entries.length - 1 || same !== undefined)) {
      return `batch entry ${i} (${path}): only the last entry may be the commit, as "commit": true with bytes of its own`;
    }
    if (same !== undefined) {
      const earlier = Number.isInteger(same) && same >= 0 && same < i ? files[same] : undefined;
      if (!earlier) return `batch entry ${i} (${path}): same is not the index of an earlier entry`;
      if (earlier.bytes.byteLength !== size) return `batch entry ${i} (${path}): size ${size} is not the ${earlier.bytes.byteLength} bytes of entry ${same}`;
      files.push({ path, bytes: earlier.bytes });
      continue;
    }
    if (at + size! > body.byteLength) return `batch entry ${i} (${path}) runs past the end of the body`;
    const file: BatchFile = { path, bytes: body.subarray(at, at + size!) };
    if (commit) file.commit = true;
    files.push(file);
    at += size!;
  }
  if (at !== body.byteLength) return `the batch has ${body.byteLength - at} bytes after its last file`;
  return files;
}

/** A decoded batch's files apart from its commit file (WriteFilesOptions), for writeFiles(). */
export function splitCommit(files: readonly BatchFile[]): { files: BatchFile[]; commit?: BatchFile } {
  const last = files.at(-1);
  return last?.commit ? { files: files.slice(0, -1), commit: last } : { files: [...files] };
}

/** The most paths one POST /read may ask for. */
export const MAX_READ_PATHS = 4096;

/** The parts of a read reply for files read in the order asked (null: does not exist). */
export function encodeReadReply(files: readonly (Uint8Array<ArrayBuffer> | null)[]): Uint8Array<ArrayBuffer>[] {
  const header = new TextEncoder().encode(JSON.stringify(files.map((f) => (f ? f.byteLength : null))));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, header.byteLength);
  return [length, header, ...files.filter((f): f is Uint8Array<ArrayBuffer> => f !== null)];
}

/** The files of a read reply for `count` paths (views into `body`), or a one-line reason it is not one. */
export function decodeReadReply(body: Uint8Array, count: number): (Uint8Array | null)[] | string {
  if (body.byteLength < 4) return 'the read reply is shorter than its 4-byte header length';
  const headerLength = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0);
  if (4 + headerLength > body.byteLength) return `the read reply's header says ${headerLength} bytes but the body has ${body.byteLength - 4}`;
  let sizes: unknown;
  try {
    sizes = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + headerLength)));
  } catch {
    return "the read reply's header is not JSON";
  }
  if (!Array.isArray(sizes) || sizes.length !== count) return `the read reply's header is not a list of ${count} sizes`;
  const files: (Uint8Array | null)[] = [];
  let at = 4 + headerLength;
  for (const [i, size] of sizes.entries()) {
    if (size === null) {
      files.push(null);
      continue;
    }
    if (!Number.isInteger(size) || size < 0) return `the read reply's size ${i} is not a byte count or null`;
    if (at + size > body.byteLength) return `file ${i} of the read reply runs past the end of the body`;
    files.push(body.subarray(at, at + size));
    at += size;
  }
  if (at !== body.byteLength) return `the read reply has ${body.byteLength - at} bytes after its last file`;
  return files;
}

/**
 * Batches over a WebSocket (the CLI's server; see httpSink's `socket` option): the path of the
 * socket under the sink's base URL. Each binary message from the client is a 4-byte big-endian
 * request id and then a batch body (encodeBatch); the server answers each with one text message,
 * `{"id": n}` once every file is written or `{"id": n, "error": {kind, message, path?}}`. A batch
 * sent this way skips what an HTTP request costs a browser for every frame: a Blob copied into the
 * browser process and read back out by the network service.
 */
export const SINK_SOCKET_PATH = 'socket';

/**
 * One socket message: the request id, then the batch, in one buffer (a WebSocket sends one buffer a
 * message). Written into the start of `into` when it is big enough (a view of it comes back): a
 * sender that reuses one buffer saves allocating and first touching megabytes a frame, which in a
 * browser costs more than the copy. `WebSocket.send` copies, so the buffer is free again when it returns.
 */
export function encodeSocketBatch(id: number, files: readonly { path: string; bytes: Uint8Array<ArrayBuffer> }[], into?: Uint8Array<ArrayBuffer>, commit?: { path: string; bytes: Uint8Array<ArrayBuffer> }): Uint8Array<ArrayBuffer> {
  const parts = encodeBatch(files, commit);
  const size = 4 + parts.reduce((n, part) => n + part.byteLength, 0);
  const message = into && into.byteLength >= size ? into.subarray(0, size) : new Uint8Array(size);
  new DataView(message.buffer, message.byteOffset, 4).setUint32(0, id);
  let at = 4;
  for (const part of parts) {
    message.set(part, at);
    at += part.byteLength;
  }
  return message;
}

/** The request id and files of a socket message, or the id (when there is one) and a one-line reason it is not one. */
export function decodeSocketBatch(message: Uint8Array): { id: number; files: BatchFile[] } | { id: number | null; problem: string } {
  if (message.byteLength < 4) return { id: null, problem: 'the socket message is shorter than its 4-byte request id' };
  const id = new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(0);
  const files = decodeBatch(message.subarray(4));
  return typeof files === 'string' ? { id, problem: files } : { id, files };
}

/** The server's answer to one socket message. */
export interface SocketReply {
  id: number;
  error?: SinkErrorBody;
}

/** A socket answer, or null when the text is not one. */
export function parseSocketReply(text: string): SocketReply | null {
  try {
    const reply = JSON.parse(text) as Partial<SocketReply> | null;
    if (!reply || !Number.isInteger(reply.id)) return null;
    if (reply.error === undefined) return { id: reply.id! };
    const error = parseSinkErrorBody(JSON.stringify(reply.error));
    return error ? { id: reply.id!, error } : null;
  } catch {
    return null;
  }
}

/**
 * A dataset written as a zip download. The engine's zip sink is write-once (a streamed archive
 * can't replace a file), while a generation rewrites its bookkeeping — manifest.json as frames
 * complete, the per-frame records under .simloop/ that finalize reads back. So those are held in
 * memory (MemorySink) and go into the archive at the end, manifest last; every other file streams
 * straight into the zip as it is written.
 */
import { MemorySink } from '../../engine/dataset/memorySink.ts';
import { zipSink, type ZipSinkOptions } from '../../engine/dataset/sinks/zipSink.ts';
import type { Sink } from '../../engine/dataset/types.ts';
import { MANIFEST_PATH } from '../../engine/jobs/layout.ts';

const BOOKKEEPING_DIR = '.simloop';

/** Whether a dataset path is bookkeeping that a generation may rewrite or read back. */
export const isBookkeeping = (path: string): boolean => path === MANIFEST_PATH || path === BOOKKEEPING_DIR || path.startsWith(`${BOOKKEEPING_DIR}/`);

export interface ZipDestination {
  sink: Sink;
  /** Puts the held files into the archive and closes it; the chunks then make the whole zip. */
  finish(): Promise<void>;
}

export function zipDestination(onChunk: (chunk: Uint8Array, final: boolean) => void, options: ZipSinkOptions = {}): ZipDestination {
  const zip = zipSink(onChunk, options);
  const held = new MemorySink();
  const route = (path: string): Sink => (isBookkeeping(path) ? held : zip);
  const sink: Sink = {
    write: (path, bytes) => route(path).write(path, bytes),
    create: (path) => route(path).create(path),
    read: (path) => route(path).read(path),
    async list(dir) {
      return isBookkeeping(dir) ? held.list(dir) : [...(await zip.list(dir)), ...(dir === '' ? await held.list(dir) : [])].sort();
    },
    remove: (path) => route(path).remove(path),
  };
  return {
    sink,
    async finish() {
      const paths = [...held.files.keys()].sort((a, b) => Number(a === MANIFEST_PATH) - Number(b === MANIFEST_PATH) || a.localeCompare(b));
      for (const path of paths) await zip.write(path, held.files.get(path)!);
      await zip.finish();
    },
  };
}

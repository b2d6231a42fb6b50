/**
 * A sink that streams a zip archive, for browsers with neither OPFS nor the File System Access API:
 * every file is compressed as it arrives and the archive's bytes go to `onChunk` (the UI collects
 * them into a Blob to download). Built on fflate's streaming `Zip`: PNG/JPEG and other
 * already-compressed files are stored (`ZipPassThrough`), JSON, text and .npy are deflated
 * (`ZipDeflate`).
 *
 * A stream can't take bytes back, so this sink is write-once:
 * - writing a path that is already in the archive rejects (last-wins is impossible);
 * - `remove` of a file in the archive rejects; `list` shows the files written so far;
 * - `read` returns small files kept in an in-memory index (≤ `retainFileBytes`, up to
 *   `retainTotalBytes` in all), null for files never written, and rejects for written files too
 *   big to keep;
 * - a `create` stream is held back in memory until it passes `holdBackBytes`, so aborting a small
 *   stream leaves no trace; aborting after that leaves the archive unusable (everything after
 *   rejects, and the export has to start again);
 * - classic zip limits (no ZIP64 in fflate): at most 65,535 files and 4 GiB; going past them is a
 *   clear error, never a corrupt archive.
 * `finish()` writes the central directory; call it once every stream is closed.
 */
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import type { Sink } from '../types.ts';
import { SinkError, sinkFailure } from './errors.ts';
import { sinkPathSegments, splitParent } from './paths.ts';
import { sinkStream } from './stream.ts';

export interface ZipSink extends Sink {
  /** Closes the archive (emits the final chunk). Rejects while a stream is open or after a failure. */
  finish(): Promise<void>;
}

export interface ZipSinkOptions {
  /** Deflate level for compressible files, 0–9 (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /** Which files are stored uncompressed (default: already-compressed extensions, see STORED_EXTENSIONS). */
  store?: (path: string) => boolean;
  /** Modification time of every entry (default: when the sink was made). Fix it for byte-identical archives. */
  mtime?: Date;
  /** Files up to this size stay readable through `read` (default 1 MiB)… */
  retainFileBytes?: number;
  /** …up to this many bytes in all (default 16 MiB). */
  retainTotalBytes?: number;
  /** Bytes a `create` stream is held in memory before it goes into the archive (default 1 MiB). */
  holdBackBytes?: number;
}

/** Formats that are already compressed: deflating them again costs time and saves nothing. */
export const STORED_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gz', '.zip', '.npz', '.mp4', '.webm'];

const storedByExtension = (path: string) => STORED_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(ext));

/** Limits of a zip without ZIP64 extensions. */
const MAX_ENTRIES = 0xffff;
const MAX_BYTES = 0xffffffff;

export function zipSink(onChunk: (chunk: Uint8Array, final: boolean) => void, options: ZipSinkOptions = {}): ZipSink {
  const { level = 6, store = storedByExtension, mtime = new Date(), retainFileBytes = 1 << 20, retainTotalBytes = 16 << 20, holdBackBytes = 1 << 20 } = options;

  /** Every path in the archive or being streamed into it. */
  const entries = new Map<string, 'streaming' | 'written'>();
  const retained = new Map<string, Uint8Array>();
  let retainedBytes = 0;
  let emittedBytes = 0;
  let entryCount = 0;
  /** Set once the archive can't be completed; every later call rejects with it. */
  let broken: SinkError | null = null;
  let finished = false;

  const zip = new Zip((error, chunk, final) => {
    if (broken) return;
    if (error) {
      breakArchive(new SinkError('other', '', `cannot write the zip archive: ${error.message}`));
      return;
    }
    emittedBytes += chunk.byteLength;
    if (emittedBytes > MAX_BYTES) {
      breakArchive(new SinkError('other', '', 'cannot write the zip archive: it would exceed 4 GiB, the limit of a zip without ZIP64; export to a folder instead'));
      return;
    }
    try {
      onChunk(chunk, final);
    } catch (cause) {
      breakArchive(new SinkError('other', '', `cannot write the zip archive: the download stopped (${cause instanceof Error ? cause.message : String(cause)})`));
    }
  });

  function breakArchive(error: SinkError) {
    broken ??= error;
    zip.terminate();
  }

  /** Throws unless the archive can still take `path`. */
  function ensureWritable(path: string) {
    sinkPathSegments(path, 'write');
    if (broken) throw broken;
    if (finished) throw new SinkError('other', path, `cannot write ${path}: the zip archive is already finished`);
    if (entries.has(path)) {
      throw new SinkError('other', path, `cannot write ${path}: it is already in the zip archive, and a streamed zip can't replace a file`);
    }
  }

  /** Starts `path`'s entry in the archive; returns a function that pushes its chunks. */
  function startEntry(path: string): (chunk: Uint8Array, final: boolean) => void {
    if (entryCount >= MAX_ENTRIES) {
      throw new SinkError('other', path, `cannot write ${path}: a zip without ZIP64 holds at most ${MAX_ENTRIES} files; export to a folder instead`);
    }
    entryCount += 1;
    const stored = store(path);
    const entry = stored ? new ZipPassThrough(path) : new ZipDeflate(path, { level });
    entry.mtime = mtime;
    zip.add(entry);
    return (chunk, final) => {
      // A stored chunk goes out as it is, so it must not be the caller's (reusable) buffer.
      entry.push(stored ? chunk.slice() : chunk, final);
      if (broken) throw broken;
    };
  }

  function retain(path: string, bytes: Uint8Array) {
    if (bytes.byteLength > retainFileBytes || retainedBytes + bytes.byteLength > retainTotalBytes) return;
    retained.set(path, bytes.slice());
    retainedBytes += bytes.byteLength;
  }

  return {
    oneStreamAtATime: true,
    async write(path, bytes) {
      ensureWritable(path);
      try {
        startEntry(path)(bytes, true);
      } catch (error) {
        throw wrap(path, error);
      }
      entries.set(path, 'written');
      retain(path, bytes);
    },

    async create(path) {
      ensureWritable(path);
      entries.set(path, 'streaming');
      let held: Uint8Array[] | null = [];
      let heldBytes = 0;
      let push: ((chunk: Uint8Array, final: boolean) => void) | null = null;
      const commitHeld = () => {
        push = startEntry(path);
        for (const chunk of held!) push(chunk, false);
        held = null;
      };
      return sinkStream(
        path,
        {
          async write(chunk) {
            if (broken) throw broken;
            if (push) return push(chunk, false);
            held!.push(chunk.slice());
            heldBytes += chunk.byteLength;
            if (heldBytes > holdBackBytes) commitHeld();
          },
          async commit() {
            if (broken) throw broken;
            const whole = held && heldBytes <= retainFileBytes ? concat(held, heldBytes) : null;
            if (!push) commitHeld();
            push!(new Uint8Array(0), true);
            entries.set(path, 'written');
            if (whole) retain(path, whole);
          },
          async discard() {
            if (entries.get(path) === 'streaming') entries.delete(path);
            if (push && !broken) {
              breakArchive(new SinkError('other', path, `cannot write the zip archive: ${path} was aborted after part of it had been streamed; export again`));
            }
          },
        },
        (error) => wrap(path, error),
      );
    },

    async read(path) {
      sinkPathSegments(path, 'read');
      const kept = retained.get(path);
      if (kept) return kept.slice();
      if (entries.get(path) !== 'written') return null;
      throw new SinkError('other', path, `cannot read ${path}: a zip sink is write-only, and this file was too big to keep in memory`);
    },

    async list(dir) {
      sinkPathSegments(dir, 'list', true);
      const names: string[] = [];
      for (const [path, state] of entries) {
        const [parent, name] = splitParent(path);
        if (state === 'written' && parent === dir) names.push(name);
      }
      return names.sort();
    },

    async remove(path) {
      sinkPathSegments(path, 'remove');
      if (!entries.has(path)) return;
      throw new SinkError('other', path, `cannot remove ${path}: it is already streamed into the zip archive`);
    },

    async finish() {
      if (finished) return;
      if (broken) throw broken;
      const open = [...entries].filter(([, state]) => state === 'streaming').map(([path]) => path);
      if (open.length) throw new SinkError('other', open[0]!, `cannot finish the zip archive: ${open.join(', ')} is still being written`);
      finished = true;
      zip.end();
      if (broken) throw broken;
    },
  };
}

function wrap(path: string, error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  return sinkFailure('other', 'write', path, { detail: error instanceof Error ? error.message : String(error) });
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * A sink over a browser `FileSystemDirectoryHandle`: the origin-private file system
 * (`navigator.storage.getDirectory()`, see `opfsRoot`) or a folder the user picked with
 * `showDirectoryPicker()`. Uses only the async API both offer (`createWritable`, not OPFS's
 * worker-only `createSyncAccessHandle`). Folders are created on demand.
 *
 * Atomicity: the browser writes through a swap file and commits on `close()`, so an existing file
 * keeps its old bytes until then and an aborted write leaves them untouched. A *new* file's entry
 * exists (empty) from the moment its stream opens — the API has no rename that every browser
 * supports — and is removed again if the stream is aborted or fails.
 *
 * DOMExceptions become SinkErrors: QuotaExceededError → no-space, NotAllowedError/SecurityError →
 * permission (a picked folder's permission was revoked), NoModificationAllowedError → read-only
 * (or locked by another writer), NotFoundError/TypeMismatchError → not-found.
 */
import type { Sink } from '../types.ts';
import { plainBytes } from './bytes.ts';
import { firstLine, SinkError, sinkFailure, type SinkErrorKind, type SinkOperation } from './errors.ts';
import { sinkPathSegments } from './paths.ts';
import { sinkStream } from './stream.ts';

const DOM_ERRORS: Record<string, [SinkErrorKind, string]> = {
  QuotaExceededError: ['no-space', "the browser's storage quota is full"],
  NotAllowedError: ['permission', 'permission to the folder was not granted or was revoked'],
  SecurityError: ['permission', 'the browser does not allow access to this folder'],
  NoModificationAllowedError: ['read-only', 'the file is read-only or locked by another writer'],
  NotFoundError: ['not-found', 'no such file or folder (was it removed meanwhile?)'],
  TypeMismatchError: ['not-found', 'a file or folder of the same name is in the way'],
};

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** A File System API failure as the SinkError every sink throws. */
export function domFailure(op: SinkOperation, path: string, error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  const name = errorName(error);
  const known = name ? DOM_ERRORS[name] : undefined;
  if (known) return sinkFailure(known[0], op, path, { detail: known[1], code: name });
  const message = error instanceof Error ? error.message : String(error);
  return sinkFailure('other', op, path, { detail: firstLine(message) || String(name ?? 'unknown error'), code: name });
}

const isMissing = (error: unknown) => errorName(error) === 'NotFoundError' || errorName(error) === 'TypeMismatchError';

/** Chromium's swap files for a picked folder ("x.png.crswap") show up in listings while a write is open. */
const isSwapFile = (name: string) => name.endsWith('.crswap');

/** `entries()`/`values()` live in the *.asynciterable libs, which this project does not load. */
interface IterableDirectory {
  values(): AsyncIterable<FileSystemHandle>;
}

export function directorySink(root: FileSystemDirectoryHandle): Sink {
  async function folder(segments: string[], create: boolean): Promise<FileSystemDirectoryHandle> {
    let dir = root;
    for (const segment of segments) dir = await dir.getDirectoryHandle(segment, { create });
    return dir;
  }

  /** Resolves the parent folder (created) and the file handle (created), noting if the file is new. */
  async function openFile(path: string): Promise<{ parent: FileSystemDirectoryHandle; name: string; file: FileSystemFileHandle; isNew: boolean }> {
    const segments = sinkPathSegments(path, 'write');
    const name = segments.pop()!;
    try {
      const parent = await folder(segments, true);
      let isNew = false;
      try {
        await parent.getFileHandle(name);
      } catch (error) {
        if (errorName(error) !== 'NotFoundError') throw error;
        isNew = true;
      }
      return { parent, name, file: await parent.getFileHandle(name, { create: true }), isNew };
    } catch (error) {
      throw domFailure('write', path, error);
    }
  }

  return {
    async write(path, bytes) {
      const { parent, name, file, isNew } = await openFile(path);
      let writable: FileSystemWritableFileStream | undefined;
      try {
        writable = await file.createWritable({ keepExistingData: false });
        await writable.write(plainBytes(bytes));
        await writable.close();
      } catch (error) {
        await writable?.abort().catch(() => {});
        if (isNew) await parent.removeEntry(name).catch(() => {});
        throw domFailure('write', path, error);
      }
    },

    async create(path) {
      const { parent, name, file, isNew } = await openFile(path);
      let writable: FileSystemWritableFileStream;
      try {
        writable = await file.createWritable({ keepExistingData: false });
      } catch (error) {
        if (isNew) await parent.removeEntry(name).catch(() => {});
        throw domFailure('write', path, error);
      }
      return sinkStream(
        path,
        {
          write: (chunk) => writable.write(plainBytes(chunk)),
          commit: () => writable.close(),
          async discard() {
            await writable.abort().catch(() => {});
            if (isNew) await parent.removeEntry(name).catch(() => {});
          },
        },
        (error) => domFailure('write', path, error),
      );
    },

    async read(path) {
      const segments = sinkPathSegments(path, 'read');
      const name = segments.pop()!;
      let parent: FileSystemDirectoryHandle;
      let handle: FileSystemFileHandle;
      try {
        parent = await folder(segments, false);
      } catch (error) {
        if (isMissing(error)) return null; // a folder on the way is missing, or is a file
        throw domFailure('read', path, error);
      }
      try {
        handle = await parent.getFileHandle(name);
      } catch (error) {
        if (errorName(error) === 'NotFoundError') return null;
        throw domFailure('read', path, error); // TypeMismatchError: a folder has that name
      }
      try {
        return new Uint8Array(await (await handle.getFile()).arrayBuffer());
      } catch (error) {
        if (errorName(error) === 'NotFoundError') return null;
        throw domFailure('read', path, error);
      }
    },

    async list(dir) {
      const segments = sinkPathSegments(dir, 'list', true);
      const names: string[] = [];
      try {
        const handle = (await folder(segments, false)) as unknown as IterableDirectory;
        for await (const entry of handle.values()) if (entry.kind === 'file' && !isSwapFile(entry.name)) names.push(entry.name);
      } catch (error) {
        if (isMissing(error)) return [];
        throw domFailure('list', dir, error);
      }
      return names.sort();
    },

    async remove(path) {
      const segments = sinkPathSegments(path, 'remove');
      const name = segments.pop()!;
      try {
        await (await folder(segments, false)).removeEntry(name);
      } catch (error) {
        if (isMissing(error)) return;
        throw domFailure('remove', path, error);
      }
    },
  };
}

/**
 * The OPFS folder for one dataset, e.g. `opfsRoot("datasets/bins-v2")`, created if needed.
 * Works in windows and workers.
 */
export async function opfsRoot(name: string): Promise<FileSystemDirectoryHandle> {
  const segments = sinkPathSegments(name, 'write');
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (typeof storage?.getDirectory !== 'function') {
    throw new SinkError('other', name, `cannot write ${name}: this browser has no origin-private file system (navigator.storage.getDirectory)`);
  }
  try {
    let dir = await storage.getDirectory();
    for (const segment of segments) dir = await dir.getDirectoryHandle(segment, { create: true });
    return dir;
  } catch (error) {
    throw domFailure('write', name, error);
  }
}

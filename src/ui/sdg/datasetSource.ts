/**
 * Reading a dataset folder in the browser: a `FileSystemDirectoryHandle` from the origin-private
 * file system (the studio's datasets live under OPFS `datasets/<name>/`) or from
 * `showDirectoryPicker()`. Whole files, byte ranges and streams, so frames.jsonl is read line by
 * line and one frame's line can be read again without the rest. Writing goes through the engine's
 * sinks (engine/dataset/sinks/directorySink.ts), never through here.
 */
import { OPFS_DATASETS_DIR } from './generateForm.ts';

export interface DatasetSource {
  /** What the viewer calls it: the OPFS dataset name or the picked folder's name. */
  readonly name: string;
  /** Whole file, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** The file as a byte stream, or null when it does not exist. */
  stream(path: string): Promise<ReadableStream<Uint8Array> | null>;
  /** Bytes [start, end) of a file. */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
}

const isMissing = (error: unknown) => {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
};

/** `values()` lives in the *.asynciterable DOM lib, which this project does not load. */
interface IterableDirectory {
  values(): AsyncIterable<FileSystemHandle>;
}

async function fileAt(root: FileSystemDirectoryHandle, path: string): Promise<File | null> {
  const segments = path.split('/');
  const name = segments.pop()!;
  try {
    let dir = root;
    for (const segment of segments) dir = await dir.getDirectoryHandle(segment);
    return await (await dir.getFileHandle(name)).getFile();
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

export function handleSource(root: FileSystemDirectoryHandle, name = root.name): DatasetSource {
  return {
    name,
    async read(path) {
      const file = await fileAt(root, path);
      return file ? new Uint8Array(await file.arrayBuffer()) : null;
    },
    async stream(path) {
      const file = await fileAt(root, path);
      return file ? (file.stream() as ReadableStream<Uint8Array>) : null;
    },
    async readRange(path, start, end) {
      const file = await fileAt(root, path);
      if (!file) throw new Error(`${name}/${path} is missing`);
      return new Uint8Array(await file.slice(start, end).arrayBuffer());
    },
  };
}

export const hasOpfs = (): boolean => typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';

export const hasDirectoryPicker = (): boolean => typeof window !== 'undefined' && typeof (window as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

async function opfsDatasetsDir(create: boolean): Promise<FileSystemDirectoryHandle | null> {
  try {
    return await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_DATASETS_DIR, { create });
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Names of the datasets in OPFS, sorted. */
export async function listOpfsDatasets(): Promise<string[]> {
  if (!hasOpfs()) return [];
  const dir = (await opfsDatasetsDir(false)) as unknown as IterableDirectory | null;
  if (!dir) return [];
  const names: string[] = [];
  for await (const entry of dir.values()) if (entry.kind === 'directory') names.push(entry.name);
  return names.sort();
}

export async function opfsDatasetSource(name: string): Promise<DatasetSource> {
  const dir = await opfsDatasetsDir(false);
  if (!dir) throw new Error(`no dataset "${name}" in browser storage`);
  try {
    return handleSource(await dir.getDirectoryHandle(name), name);
  } catch (error) {
    if (isMissing(error)) throw new Error(`no dataset "${name}" in browser storage`);
    throw error;
  }
}

export async function removeOpfsDataset(name: string): Promise<void> {
  const dir = await opfsDatasetsDir(false);
  await dir?.removeEntry(name, { recursive: true });
}

interface DirectoryPicker {
  showDirectoryPicker(options?: { mode?: 'read' | 'readwrite'; id?: string }): Promise<FileSystemDirectoryHandle>;
}

/** Asks the user for a folder; null when they cancel the picker. Must run in a user gesture. */
export async function pickDirectory(mode: 'read' | 'readwrite'): Promise<FileSystemDirectoryHandle | null> {
  try {
    return await (window as unknown as DirectoryPicker).showDirectoryPicker({ mode, id: 'simloop-datasets' });
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name === 'AbortError') return null;
    throw error;
  }
}

/**
 * directorySink against an in-memory fake of the File System API (just the parts the sink uses,
 * with the browser's rules: names are single segments, writes go to a swap buffer committed on
 * close, DOMExceptions by name). The real OPFS is exercised by a browser test.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { directorySink, opfsRoot } from './directorySink.ts';
import { expectSinkError, sinkContract } from './sinkContract.ts';

const text = (s: string) => new TextEncoder().encode(s);

/** Shared state of one fake origin: a byte quota and a permission switch. */
interface FakeStorage {
  quotaBytes: number;
  usedBytes: number;
  revoked: boolean;
  locked: Set<string>;
}

const domError = (name: string, message = name) => new DOMException(message, name);

function checkName(name: string) {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\')) throw new TypeError(`Name is not allowed: ${name}`);
}

class FakeWritable {
  private chunks: Uint8Array[] = [];
  private done = false;
  constructor(
    private readonly file: FakeFileHandle,
    private readonly storage: FakeStorage,
  ) {}
  async write(data: unknown) {
    if (this.done) throw new TypeError('the stream is closed');
    if (this.storage.revoked) throw domError('NotAllowedError');
    if (!(data instanceof Uint8Array)) throw new TypeError('the fake takes Uint8Array only');
    if (!(data.buffer instanceof ArrayBuffer)) throw new TypeError('no SharedArrayBuffer views');
    this.chunks.push(data.slice());
  }
  async close() {
    if (this.done) throw new TypeError('the stream is closed');
    this.done = true;
    const size = this.chunks.reduce((n, c) => n + c.byteLength, 0);
    const growth = size - this.file.data.byteLength;
    if (this.storage.usedBytes + growth > this.storage.quotaBytes) throw domError('QuotaExceededError', 'The quota has been exceeded.');
    const data = new Uint8Array(size);
    this.chunks.reduce((offset, c) => (data.set(c, offset), offset + c.byteLength), 0);
    this.storage.usedBytes += growth;
    this.file.data = data;
  }
  async abort() {
    this.done = true;
    this.chunks = [];
  }
}

class FakeFileHandle {
  readonly kind = 'file';
  data = new Uint8Array(0);
  constructor(
    readonly name: string,
    private readonly storage: FakeStorage,
  ) {}
  async getFile() {
    if (this.storage.revoked) throw domError('NotAllowedError');
    return new Blob([this.data]);
  }
  async createWritable(options?: { keepExistingData?: boolean }) {
    if (this.storage.revoked) throw domError('NotAllowedError');
    if (this.storage.locked.has(this.name)) throw domError('NoModificationAllowedError');
    expect(options?.keepExistingData).toBe(false);
    return new FakeWritable(this, this.storage);
  }
}

class FakeDirectoryHandle {
  readonly kind = 'directory';
  readonly children = new Map<string, FakeDirectoryHandle | FakeFileHandle>();
  constructor(
    readonly name: string,
    readonly storage: FakeStorage,
  ) {}
  private entry(name: string, kind: 'file' | 'directory', create: boolean) {
    checkName(name);
    if (this.storage.revoked) throw domError('NotAllowedError');
    const found = this.children.get(name);
    if (found && found.kind !== kind) throw domError('TypeMismatchError');
    if (found) return found;
    if (!create) throw domError('NotFoundError', `${name} was not found`);
    const made = kind === 'file' ? new FakeFileHandle(name, this.storage) : new FakeDirectoryHandle(name, this.storage);
    this.children.set(name, made);
    return made;
  }
  async getDirectoryHandle(name: string, options?: { create?: boolean }) {
    return this.entry(name, 'directory', options?.create ?? false);
  }
  async getFileHandle(name: string, options?: { create?: boolean }) {
    return this.entry(name, 'file', options?.create ?? false);
  }
  async removeEntry(name: string) {
    checkName(name);
    if (this.storage.revoked) throw domError('NotAllowedError');
    const found = this.children.get(name);
    if (!found) throw domError('NotFoundError');
    if (found.kind === 'directory' && found.children.size) throw domError('InvalidModificationError');
    if (found.kind === 'file') this.storage.usedBytes -= found.data.byteLength;
    this.children.delete(name);
  }
  async *values() {
    if (this.storage.revoked) throw domError('NotAllowedError');
    yield* this.children.values();
  }
}

function fakeRoot(quotaBytes = Infinity) {
  const storage: FakeStorage = { quotaBytes, usedBytes: 0, revoked: false, locked: new Set() };
  const root = new FakeDirectoryHandle('', storage);
  return { root, storage, handle: root as unknown as FileSystemDirectoryHandle };
}

sinkContract('directorySink over a fake FileSystemDirectoryHandle', () => ({ sink: directorySink(fakeRoot().handle) }));

describe('directorySink failures, as the browser reports them', () => {
  it('reports a full quota as no-space and leaves no empty file behind', async () => {
    const { handle, root } = fakeRoot(10);
    const sink = directorySink(handle);
    await sink.write('a.json', text('12345'));
    const error = await expectSinkError(sink.write('images/0001.png', new Uint8Array(100)), 'no-space');
    expect(error.message).toBe("cannot write images/0001.png: the browser's storage quota is full (QuotaExceededError)");
    expect(await sink.list('images')).toEqual([]);
    expect(await sink.read('a.json')).toEqual(text('12345'));
    expect([...root.children.keys()].sort()).toEqual(['a.json', 'images']);
  });

  it('reports a full quota on stream close as no-space, and the old file survives', async () => {
    const { handle } = fakeRoot(10);
    const sink = directorySink(handle);
    await sink.write('coco.json', text('{}'));
    const stream = await sink.create('coco.json');
    await stream.write(new Uint8Array(50));
    await expectSinkError(stream.close(), 'no-space', /coco\.json/);
    expect(await sink.read('coco.json')).toEqual(text('{}'));
  });

  it('reports a revoked folder permission as permission', async () => {
    const { handle, storage } = fakeRoot();
    const sink = directorySink(handle);
    await sink.write('a.txt', text('a'));
    storage.revoked = true;
    await expectSinkError(sink.write('b.txt', text('b')), 'permission', /permission to the folder was not granted or was revoked \(NotAllowedError\)/);
    await expectSinkError(sink.read('a.txt'), 'permission');
    await expectSinkError(sink.list(''), 'permission');
    await expectSinkError(sink.remove('a.txt'), 'permission');
  });

  it('reports a locked file as read-only', async () => {
    const { handle, storage } = fakeRoot();
    storage.locked.add('locked.bin');
    await expectSinkError(directorySink(handle).write('locked.bin', text('x')), 'read-only', /locked by another writer \(NoModificationAllowedError\)/);
  });

  it('treats a file where a folder should be as not-found when writing and as missing when reading', async () => {
    const { handle } = fakeRoot();
    const sink = directorySink(handle);
    await sink.write('images', text('a file'));
    await expectSinkError(sink.write('images/0001.png', text('x')), 'not-found', /in the way \(TypeMismatchError\)/);
    expect(await sink.read('images/0001.png')).toBeNull();
    expect(await sink.list('images')).toEqual([]);
  });

  it("hides Chromium's .crswap files from listings", async () => {
    const { handle, root } = fakeRoot();
    const sink = directorySink(handle);
    await sink.write('a.png', text('a'));
    await root.getFileHandle('b.png.crswap', { create: true });
    expect(await sink.list('')).toEqual(['a.png']);
  });

  it('removes the empty entry of a new file whose stream is aborted', async () => {
    const { handle, root } = fakeRoot();
    const stream = await directorySink(handle).create('new.json');
    expect(root.children.has('new.json')).toBe(true); // the API creates the entry up front
    await stream.abort();
    expect(root.children.has('new.json')).toBe(false);
  });
});

describe('opfsRoot', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("returns the dataset's folder inside the origin-private file system, creating it", async () => {
    const { root } = fakeRoot();
    vi.stubGlobal('navigator', { storage: { getDirectory: async () => root } });
    const folder = await opfsRoot('datasets/bins-v2');
    await directorySink(folder).write('a.txt', text('a'));
    const datasets = root.children.get('datasets') as FakeDirectoryHandle;
    expect((datasets.children.get('bins-v2') as FakeDirectoryHandle).children.has('a.txt')).toBe(true);
  });

  it('says so when the browser has no origin-private file system, and rejects names that leave it', async () => {
    vi.stubGlobal('navigator', {});
    await expectSinkError(opfsRoot('bins'), 'other', /no origin-private file system/);
    await expectSinkError(opfsRoot('../bins'), 'invalid-path');
  });
});

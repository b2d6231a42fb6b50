import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultySink } from '../../engine/dataset/sinks/faulty.ts';
import { expectSinkError, sinkContract } from '../../engine/dataset/sinks/sinkContract.ts';
import { checkWritable, errnoKind, fsFailure, fsSink, isTempName } from './fsSink.ts';

const text = (s: string) => new TextEncoder().encode(s);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'simloop-fs-sink-'));
}

sinkContract('fsSink', async () => {
  const dir = await tempDir();
  return { sink: fsSink(join(dir, 'out')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

sinkContract('faultySink around fsSink, with budget to spare', async () => {
  const dir = await tempDir();
  return { sink: faultySink(fsSink(dir), { failAfterBytes: 1 << 20, error: 'no-space' }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('fsSink on disk', () => {
  it('writes again into a folder removed behind its back', async () => {
    const dir = await tempDir();
    const sink = fsSink(dir);
    await sink.write('basic/rgb_0000.png', text('a'));
    await rm(join(dir, 'basic'), { recursive: true });
    await sink.write('basic/rgb_0001.png', text('b'));
    expect(await readFile(join(dir, 'basic/rgb_0001.png'), 'utf8')).toBe('b');
    await rm(join(dir, 'basic'), { recursive: true });
    await writeFile(join(dir, 'basic'), 'a file where the folder was');
    await expectSinkError(sink.write('basic/rgb_0002.png', text('c')), 'not-found', /a folder on the way is a file/);
    await rm(dir, { recursive: true });
  });

  it('writes a batch (writeFiles) file by file: a folder removed behind its back is made again, every file is tried, the first failure is reported, the commit file is not written and no temp is left', async () => {
    const dir = await tempDir();
    const sink = fsSink(dir);
    await sink.writeFiles!([{ path: 'basic/rgb_0000.png', bytes: text('a') }]);
    await rm(join(dir, 'basic'), { recursive: true });
    await mkdir(join(dir, 'coco', 'images', 'rgb_0001.png'), { recursive: true }); // a folder where a file should go
    await writeFile(join(dir, 'yolo'), 'a file where a folder should be');
    const error = await expectSinkError(
      sink.writeFiles!([
        { path: 'basic/rgb_0001.png', bytes: text('b') },
        { path: 'coco/images/rgb_0001.png', bytes: text('c') },
        { path: 'yolo/labels/0001.txt', bytes: text('d') },
        { path: 'frames/0001.json', bytes: text('e') },
      ], { commit: { path: '.simloop/frames/0001.json', bytes: text('complete') } }),
      'other',
      /coco\/images\/rgb_0001\.png/,
    );
    expect(error.message).toContain(join(dir, 'coco', 'images', 'rgb_0001.png'));
    expect(await readFile(join(dir, 'basic/rgb_0001.png'), 'utf8')).toBe('b');
    expect(await readFile(join(dir, 'frames/0001.json'), 'utf8')).toBe('e');
    expect(await sink.read('.simloop/frames/0001.json')).toBeNull();
    expect(await readdir(join(dir, 'coco', 'images'))).toEqual(['rgb_0001.png']);
    expect(await readdir(join(dir, 'basic'))).toEqual(['rgb_0001.png']);
    await expectSinkError(sink.writeFiles!([{ path: '../escape.png', bytes: text('x') }]), 'invalid-path');
    await rm(dir, { recursive: true });
  });

  it('streams into <file>.tmp-<pid>-<n> beside the file and renames it into place on close', async () => {
    const dir = await tempDir();
    const sink = fsSink(dir);
    const stream = await sink.create('labels/coco.json');
    await stream.write(text('{"images":'));
    const during = await readdir(join(dir, 'labels'));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(new RegExp(`^coco\\.json\\.tmp-${process.pid}-\\d+$`));
    expect(isTempName(during[0]!)).toBe(true);
    expect(await sink.list('labels')).toEqual([]);
    await stream.write(text('[]}'));
    await stream.close();
    expect(await readdir(join(dir, 'labels'))).toEqual(['coco.json']);
    expect(await readFile(join(dir, 'labels/coco.json'), 'utf8')).toBe('{"images":[]}');
    await rm(dir, { recursive: true });
  });

  it('never shows a half-written file: when the final rename fails the old file is untouched and no temp is left', async () => {
    const dir = await tempDir();
    const sink = fsSink(dir);
    await mkdir(join(dir, 'images', '0001.png'), { recursive: true }); // a folder where the file should go
    const error = await expectSinkError(sink.write('images/0001.png', new Uint8Array(1000)), 'other', /images\/0001\.png/);
    expect(error.message).toContain(join(dir, 'images', '0001.png'));
    expect(await readdir(join(dir, 'images'))).toEqual(['0001.png']);
    expect((await stat(join(dir, 'images', '0001.png'))).isDirectory()).toBe(true);
    await rm(dir, { recursive: true });
  });

  it('writes whole files atomically: overwriting leaves only the new bytes and no temp files', async () => {
    const dir = await tempDir();
    const sink = fsSink(dir);
    await Promise.all(Array.from({ length: 10 }, (_, i) => sink.write('same.bin', new Uint8Array(100 + i).fill(i))));
    const bytes = await readFile(join(dir, 'same.bin'));
    expect(bytes.every((b) => b === bytes.length - 100)).toBe(true); // one of the writes, whole
    expect(await readdir(dir)).toEqual(['same.bin']);
    await rm(dir, { recursive: true });
  });

  it('leaves no temp file when a stream is aborted', async () => {
    const dir = await tempDir();
    const stream = await fsSink(dir).create('a/b.txt');
    await stream.write(text('partial'));
    await stream.abort();
    expect(await readdir(join(dir, 'a'))).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('classifies a folder on the way being a file as not-found (ENOTDIR), naming the absolute file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'images'), 'not a folder');
    const sink = fsSink(dir);
    const error = await expectSinkError(sink.write('images/0001.png', text('png')), 'not-found', /ENOTDIR/);
    expect(error.message).toBe(`cannot write ${join(dir, 'images', '0001.png')}: a folder on the way is a file (ENOTDIR)`);
    expect(error.path).toBe('images/0001.png');
    expect(await sink.read('images/0001.png')).toBeNull();
    expect(await sink.list('images')).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('classifies a stream whose folder vanished before close as not-found (ENOENT) and cleans up', async () => {
    const dir = await tempDir();
    const sink = fsSink(dir);
    const stream = await sink.create('gone/records.jsonl');
    await stream.write(text('{}\n'));
    await rm(join(dir, 'gone'), { recursive: true });
    await expectSinkError(stream.close(), 'not-found', /gone\/records\.jsonl: no such file or folder \(ENOENT\)/);
    await rm(dir, { recursive: true });
  });

  it('maps errno codes to kinds', () => {
    expect(errnoKind('ENOSPC')).toBe('no-space');
    expect(errnoKind('EDQUOT')).toBe('no-space');
    expect(errnoKind('EROFS')).toBe('read-only');
    expect(errnoKind('EACCES')).toBe('permission');
    expect(errnoKind('EPERM')).toBe('permission');
    expect(errnoKind('ENOENT')).toBe('not-found');
    expect(errnoKind('ENOTDIR')).toBe('not-found');
    expect(errnoKind('EMFILE')).toBe('other');
    expect(errnoKind(undefined)).toBe('other');
  });

  it('turns an EACCES error into a permission SinkError through the errno mapping (no chmod test: the suite may run as root)', () => {
    const cause = Object.assign(new Error("EACCES: permission denied, open '/data/out/x.png'"), { code: 'EACCES' });
    const error = fsFailure('write', 'x.png', '/data/out/x.png', cause);
    expect(error.kind).toBe('permission');
    expect(error.message).toBe('cannot write /data/out/x.png: permission denied (EACCES)');
  });

  it.skipIf(process.getuid?.() === 0)('classifies a folder without write permission as permission (EACCES), when not running as root', async () => {
    const dir = await tempDir();
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o500);
    await expectSinkError(fsSink(dir).write('x.png', text('x')), 'permission', /EACCES/);
    await chmod(dir, 0o700);
    await rm(dir, { recursive: true });
  });
});

describe('checkWritable', () => {
  it('creates a missing destination and leaves it empty', async () => {
    const dir = await tempDir();
    await checkWritable(join(dir, 'new', 'out'));
    expect(await readdir(join(dir, 'new', 'out'))).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('names the destination and the cause when it is not a writable folder', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'x');
    const target = join(dir, 'file', 'out');
    await expectSinkError(checkWritable(target), 'not-found', new RegExp(`^destination ${target} is not writable: .*\\(ENOTDIR\\)$`));
    await rm(dir, { recursive: true });
  });
});

describe('faultySink', () => {
  it('fails like a full disk once the byte budget is spent, and stays failed', async () => {
    const dir = await tempDir();
    const sink = faultySink(fsSink(dir), { failAfterBytes: 10, error: 'no-space' });
    await sink.write('a.bin', new Uint8Array(6));
    await expectSinkError(sink.write('b.bin', new Uint8Array(6)), 'no-space', /^cannot write b\.bin: no space left on the device \(ENOSPC\)$/);
    await expectSinkError(sink.write('c.bin', new Uint8Array(1)), 'no-space');
    expect(await sink.list('')).toEqual(['a.bin']);
    await rm(dir, { recursive: true });
  });

  it('fails a stream mid-way like a read-only mount after N writes; close then rejects and nothing is left', async () => {
    const dir = await tempDir();
    const sink = faultySink(fsSink(dir), { failAfterWrites: 2, error: 'read-only' });
    const stream = await sink.create('big.json');
    await stream.write(text('1'));
    await stream.write(text('2'));
    await expectSinkError(stream.write(text('3')), 'read-only', /EROFS/);
    await expectSinkError(stream.close(), 'read-only');
    expect(await readdir(dir)).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('fails at once with no budget, and still reports a bad path as a bad path', async () => {
    const sink = faultySink(fsSink(await tempDir()), { error: 'permission' });
    await expectSinkError(sink.write('x.txt', text('x')), 'permission', /EACCES/);
    await expectSinkError(sink.create('x.txt'), 'permission');
    await expectSinkError(sink.write('../x.txt', text('x')), 'invalid-path');
  });
});

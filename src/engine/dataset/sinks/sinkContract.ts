/**
 * The behaviour every Sink promises, as a vitest suite: each sink's test file calls
 * `sinkContract("fsSink", makeSink)` so a new medium is held to the same rules as the others.
 * Media that can't take bytes back (a streamed zip) declare `writeOnce` and are held to the
 * write-once rules instead of replace/remove.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sink } from '../types.ts';
import { SinkError, type SinkErrorKind } from './errors.ts';
import { readFiles } from './readFiles.ts';
import { writeFiles } from './writeFiles.ts';

export interface SinkUnderTest {
  sink: Sink;
  cleanup?: () => Promise<void>;
}

export interface SinkTraits {
  /** A streamed medium: a path can be written once, and written files can't be removed. */
  writeOnce?: boolean;
}

const text = (s: string) => new TextEncoder().encode(s);

/** Paths that would leave the dataset root or are otherwise not clean relative paths. */
export const ESCAPING_PATHS = ['../outside.txt', 'a/../../outside.txt', '/etc/passwd', 'a\\..\\b.txt', 'a\0b.txt', '', 'C:/x.txt', 'a//b.txt', './a.txt', 'a/'];

export async function expectSinkError(promise: Promise<unknown>, kind: SinkErrorKind, message?: RegExp): Promise<SinkError> {
  const error = await promise.then(
    () => expect.unreachable('expected a SinkError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SinkError);
  expect((error as SinkError).kind).toBe(kind);
  if (message) expect((error as SinkError).message).toMatch(message);
  expect((error as SinkError).message).not.toContain('\n');
  return error as SinkError;
}

export function sinkContract(name: string, make: () => Promise<SinkUnderTest> | SinkUnderTest, traits: SinkTraits = {}): void {
  describe(`${name} honours the Sink contract`, () => {
    let current: SinkUnderTest;
    let sink: Sink;
    beforeEach(async () => {
      current = await make();
      sink = current.sink;
    });
    afterEach(async () => {
      await current.cleanup?.();
    });

    it('reads back a written file byte for byte, even when it was a view into a larger buffer', async () => {
      const whole = new Uint8Array(256).map((_, i) => i);
      const view = whole.subarray(10, 200);
      await sink.write('frame.bin', view);
      expect(await sink.read('frame.bin')).toEqual(new Uint8Array(view));
    });

    it('creates folders on demand, and lists the files directly in a folder, sorted', async () => {
      for (const path of ['b.txt', 'a.txt', 'images/cam0/0001.png', 'images/cam0/0000.png', 'images/readme.txt']) await sink.write(path, text(path));
      expect(await sink.list('')).toEqual(['a.txt', 'b.txt']);
      expect(await sink.list('images')).toEqual(['readme.txt']);
      expect(await sink.list('images/cam0')).toEqual(['0000.png', '0001.png']);
      expect(await sink.read('images/cam0/0001.png')).toEqual(text('images/cam0/0001.png'));
    });

    it('keeps an empty file as an empty file, not as a missing one', async () => {
      await sink.write('empty.txt', new Uint8Array(0));
      expect(await sink.read('empty.txt')).toEqual(new Uint8Array(0));
      expect(await sink.list('')).toEqual(['empty.txt']);
    });

    it('reads a missing file as null and lists a missing folder as empty', async () => {
      expect(await sink.read('nothing.txt')).toBeNull();
      expect(await sink.read('no/such/folder.txt')).toBeNull();
      expect(await sink.list('no/such')).toEqual([]);
      expect(await sink.list('')).toEqual([]);
    });

    it('assembles a streamed file from its chunks in order, visible only once closed', async () => {
      const stream = await sink.create('labels/annotations.json');
      await stream.write(text('{"images": ['));
      await stream.write(text('1, 2, 3'));
      await stream.write(text(']}'));
      const before = await sink.read('labels/annotations.json');
      expect(before === null || before.byteLength === 0).toBe(true);
      expect((await sink.list('labels')).filter((n) => n !== 'annotations.json')).toEqual([]);
      await stream.close();
      expect(await sink.read('labels/annotations.json')).toEqual(text('{"images": [1, 2, 3]}'));
      expect(await sink.list('labels')).toEqual(['annotations.json']);
    });

    it('keeps chunks in order even when the writer does not await each one', async () => {
      const stream = await sink.create('ordered.txt');
      await Promise.all(Array.from({ length: 20 }, (_, i) => stream.write(text(`${i},`))));
      await stream.close();
      expect(new TextDecoder().decode((await sink.read('ordered.txt'))!)).toBe(Array.from({ length: 20 }, (_, i) => `${i},`).join(''));
    });

    it('leaves nothing behind when a stream is aborted, and a second abort is harmless', async () => {
      const stream = await sink.create('partial/records.jsonl');
      await stream.write(text('{"frame": 0}\n'));
      await stream.abort();
      await stream.abort();
      expect(await sink.read('partial/records.jsonl')).toBeNull();
      expect(await sink.list('partial')).toEqual([]);
      expect(await sink.list('')).toEqual([]);
    });

    it('rejects writes to a stream after it was closed', async () => {
      const stream = await sink.create('closed.txt');
      await stream.write(text('done'));
      await stream.close();
      await expectSinkError(stream.write(text('late')), 'other', /already closed/);
      await stream.abort(); // no-op after close
      expect(await sink.read('closed.txt')).toEqual(text('done'));
    });

    it('lets the caller reuse its buffer once write() has resolved', async () => {
      const buffer = new Uint8Array(64).fill(1);
      await sink.write('reused.png', buffer);
      const stream = await sink.create('reused-stream.png');
      await stream.write(buffer);
      buffer.fill(2);
      await stream.write(buffer);
      buffer.fill(3);
      await stream.close();
      expect(await sink.read('reused.png')).toEqual(new Uint8Array(64).fill(1));
      expect(await sink.read('reused-stream.png')).toEqual(new Uint8Array([...new Uint8Array(64).fill(1), ...new Uint8Array(64).fill(2)]));
    });

    it('lands every file of a burst of concurrent writes', async () => {
      const paths = Array.from({ length: 25 }, (_, i) => `burst/${String(i).padStart(4, '0')}.json`);
      await Promise.all(paths.map((p) => sink.write(p, text(p))));
      expect(await sink.list('burst')).toEqual(paths.map((p) => p.slice('burst/'.length)));
      for (const p of paths) expect(await sink.read(p)).toEqual(text(p));
    });

    it('writes a batch of files (writeFiles: one call where the sink has one), views into one buffer included', async () => {
      const shared = new Uint8Array([9, 1, 2, 3, 4, 5, 9]);
      const files = [
        { path: 'batch/rgb_0000.png', bytes: shared.subarray(1, 4) },
        { path: 'batch/deep/labels_0000.json', bytes: text('{"a": 1}') },
        { path: 'batch/empty.txt', bytes: new Uint8Array(0) },
        { path: 'batch/tail.bin', bytes: shared.subarray(4, 6) },
      ];
      await writeFiles(sink, files);
      for (const f of files) expect(await sink.read(f.path), f.path).toEqual(new Uint8Array(f.bytes));
      expect(await sink.list('batch')).toEqual(['empty.txt', 'rgb_0000.png', 'tail.bin']);
      await writeFiles(sink, []);
    });

    it("writes a batch's commit file with it, and not when a file of the batch fails", async () => {
      const commit = { path: 'frames/0003.json', bytes: text('{"frame": 3}') };
      await writeFiles(sink, [{ path: 'img/0003.png', bytes: text('png') }, { path: 'img/0003.npy', bytes: text('npy') }], { commit });
      expect(await sink.read('img/0003.png')).toEqual(text('png'));
      expect(await sink.read('img/0003.npy')).toEqual(text('npy'));
      expect(await sink.read(commit.path)).toEqual(commit.bytes);
      await writeFiles(sink, [], { commit: { path: 'frames/0004.json', bytes: text('{}') } });
      expect(await sink.read('frames/0004.json')).toEqual(text('{}'));
      await expectSinkError(writeFiles(sink, [{ path: 'img/0005.png', bytes: text('png') }, { path: '../outside.txt', bytes: text('x') }], { commit: { path: 'frames/0005.json', bytes: text('{}') } }), 'invalid-path');
      expect(await sink.read('frames/0005.json')).toBeNull();
    });

    it('reads several files at once (readFiles: one call where the sink has one), in the order asked, null where missing', async () => {
      const paths = Array.from({ length: 40 }, (_, i) => `records/${String(i).padStart(4, '0')}.json`);
      await writeFiles(sink, paths.filter((_, i) => i % 3 !== 1).map((path) => ({ path, bytes: text(path) })));
      const read = await readFiles(sink, [...paths, 'no/such/folder.json', paths[0]!]);
      expect(read).toEqual([...paths.map((path, i) => (i % 3 === 1 ? null : text(path))), null, text(paths[0]!)]);
      expect(await readFiles(sink, [])).toEqual([]);
      await expectSinkError(readFiles(sink, [paths[0]!, '../outside.txt']), 'invalid-path');
    });

    it('rejects a batch with a path that could leave the dataset root', async () => {
      await expectSinkError(writeFiles(sink, [{ path: '../outside.txt', bytes: text('x') }]), 'invalid-path');
    });

    it('rejects every path that could leave the dataset root, before anything is written', async () => {
      for (const path of ESCAPING_PATHS) {
        await expectSinkError(sink.write(path, text('x')), 'invalid-path');
        await expectSinkError(sink.create(path), 'invalid-path');
        await expectSinkError(sink.read(path), 'invalid-path');
        await expectSinkError(sink.remove(path), 'invalid-path');
        if (path !== '') await expectSinkError(sink.list(path), 'invalid-path');
      }
      expect(await sink.list('')).toEqual([]);
    });

    if (!traits.writeOnce) {
      it('replaces a file written again, whole', async () => {
        await sink.write('meta.json', text('{"version": 1, "long": "xxxxxxxxxxxxxxxx"}'));
        await sink.write('meta.json', text('{"version": 2}'));
        expect(await sink.read('meta.json')).toEqual(text('{"version": 2}'));
        expect(await sink.list('')).toEqual(['meta.json']);
      });

      it('keeps the old bytes while a stream over an existing file is open, and after it is aborted', async () => {
        await sink.write('data.yaml', text('old'));
        const replacing = await sink.create('data.yaml');
        await replacing.write(text('new'));
        expect(await sink.read('data.yaml')).toEqual(text('old'));
        await replacing.close();
        expect(await sink.read('data.yaml')).toEqual(text('new'));
        const aborted = await sink.create('data.yaml');
        await aborted.write(text('never'));
        await aborted.abort();
        expect(await sink.read('data.yaml')).toEqual(text('new'));
      });

      it('removes a file, and removing a missing file is not an error', async () => {
        await sink.write('a/one.txt', text('1'));
        await sink.write('a/two.txt', text('2'));
        await sink.remove('a/one.txt');
        expect(await sink.read('a/one.txt')).toBeNull();
        expect(await sink.list('a')).toEqual(['two.txt']);
        await sink.remove('a/one.txt');
        await sink.remove('no/such/file.txt');
      });
    } else {
      it('rejects writing a path a second time, saying the file is already there', async () => {
        await sink.write('meta.json', text('1'));
        await expectSinkError(sink.write('meta.json', text('2')), 'other', /meta\.json.*already/);
        await expectSinkError(sink.create('meta.json'), 'other', /already/);
      });

      it('rejects removing a written file; removing a missing file is not an error', async () => {
        await sink.write('a/one.txt', text('1'));
        await expectSinkError(sink.remove('a/one.txt'), 'other', /a\/one\.txt/);
        await sink.remove('no/such/file.txt');
      });
    }
  });
}

import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { expectSinkError, sinkContract } from './sinkContract.ts';
import { zipSink, type ZipSinkOptions } from './zipSink.ts';

const text = (s: string) => new TextEncoder().encode(s);

/** A zip sink whose chunks are collected, as the UI does before making a Blob. */
function collecting(options?: ZipSinkOptions) {
  const chunks: Uint8Array[] = [];
  let finals = 0;
  const sink = zipSink((chunk, final) => {
    chunks.push(chunk);
    if (final) finals += 1;
  }, options);
  const archive = () => {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const c of chunks) out.set(c, (offset += c.byteLength) - c.byteLength);
    return out;
  };
  return { sink, archive, finals: () => finals };
}

sinkContract('zipSink', () => ({ sink: collecting().sink }), { writeOnce: true });

/** Bytes that look like a PNG (stored) and compressible JSON/npy (deflated). */
function pseudoRandom(n: number, seed: number): Uint8Array {
  let s = seed;
  return new Uint8Array(n).map(() => ((s = (s * 1103515245 + 12345) >>> 0), s >>> 24));
}

describe('zipSink archives', () => {
  it('unzips to exactly the files written, whole and streamed, stored and deflated', async () => {
    const { sink, archive, finals } = collecting({ holdBackBytes: 1000 });
    const png = pseudoRandom(5000, 1);
    const json = text(JSON.stringify({ images: Array.from({ length: 200 }, (_, id) => ({ id, file_name: `${id}.png` })) }));
    const npy = new Uint8Array(new Float32Array(4096).fill(1.5).buffer);
    await sink.write('images/0000.png', png);
    await sink.write('labels/0000.json', json);
    await sink.write('depth/0000.npy', npy);
    await sink.write('empty.txt', new Uint8Array(0));
    const stream = await sink.create('annotations.json'); // bigger than holdBackBytes: streamed as it comes
    const parts = Array.from({ length: 10 }, (_, i) => text(`{"frame": ${i}, "objects": [${'1,'.repeat(100)}0]}\n`));
    for (const part of parts) await stream.write(part);
    await stream.close();
    await sink.finish();
    expect(finals()).toBe(1);

    const files = unzipSync(archive());
    expect(Object.keys(files).sort()).toEqual(['annotations.json', 'depth/0000.npy', 'empty.txt', 'images/0000.png', 'labels/0000.json']);
    expect(files['images/0000.png']).toEqual(png);
    expect(files['labels/0000.json']).toEqual(json);
    expect(files['depth/0000.npy']).toEqual(npy);
    expect(files['empty.txt']).toEqual(new Uint8Array(0));
    expect(new TextDecoder().decode(files['annotations.json'])).toBe(parts.map((p) => new TextDecoder().decode(p)).join(''));
    // The PNG went in stored, the JSON and npy deflated: the archive is smaller than their sum.
    expect(archive().byteLength).toBeLessThan(png.byteLength + json.byteLength + npy.byteLength);
    expect(archive().byteLength).toBeGreaterThan(png.byteLength);
  });

  it('rejects finishing while a stream is open, naming it, then finishes once it is closed', async () => {
    const { sink, archive } = collecting();
    const stream = await sink.create('records.jsonl');
    await stream.write(text('{}\n'));
    await expectSinkError(sink.finish(), 'other', /records\.jsonl is still being written/);
    await stream.close();
    await sink.finish();
    await sink.finish(); // idempotent
    expect(unzipSync(archive())['records.jsonl']).toEqual(text('{}\n'));
    await expectSinkError(sink.write('late.txt', text('x')), 'other', /already finished/);
  });

  it('drops a small aborted stream without a trace', async () => {
    const { sink, archive } = collecting();
    const stream = await sink.create('aborted.json');
    await stream.write(text('partial'));
    await stream.abort();
    await sink.write('kept.json', text('{}'));
    await sink.finish();
    expect(Object.keys(unzipSync(archive()))).toEqual(['kept.json']);
  });

  it('refuses to go on after a stream that already reached the archive is aborted', async () => {
    const { sink } = collecting({ holdBackBytes: 4 });
    const stream = await sink.create('big.json');
    await stream.write(text('more than four bytes'));
    await stream.abort();
    await expectSinkError(sink.write('next.png', text('x')), 'other', /big\.json was aborted after part of it had been streamed/);
    await expectSinkError(sink.finish(), 'other', /export again/);
  });

  it('keeps small files readable and says when a written file was too big to keep', async () => {
    const { sink } = collecting({ retainFileBytes: 10 });
    await sink.write('small.json', text('{}'));
    await sink.write('big.png', new Uint8Array(11));
    expect(await sink.read('small.json')).toEqual(text('{}'));
    expect(await sink.read('never.json')).toBeNull();
    await expectSinkError(sink.read('big.png'), 'other', /write-only/);
  });

  it('produces the same bytes for the same files when the entry time is fixed', async () => {
    const build = async () => {
      const { sink, archive } = collecting({ mtime: new Date(2024, 0, 1) });
      await sink.write('a.png', pseudoRandom(300, 7));
      await sink.write('b.json', text('{"a": 1}'));
      await sink.finish();
      return archive();
    };
    expect(await build()).toEqual(await build());
  });

  it('turns a failing chunk consumer (the download broke) into a SinkError', async () => {
    const sink = zipSink(() => {
      throw new Error('quota exceeded');
    });
    await expectSinkError(sink.write('a.json', text('{}')), 'other', /download stopped \(quota exceeded\)/);
  });
});

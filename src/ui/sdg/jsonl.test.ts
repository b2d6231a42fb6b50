import { describe, expect, it } from 'vitest';
import { frameIndexer, JsonlSplitter, type JsonlLine, parseFrameLine, readLines, sortedCounts } from './jsonl.ts';

const enc = new TextEncoder();

function split(chunks: string[]): JsonlLine[] {
  const lines: JsonlLine[] = [];
  const splitter = new JsonlSplitter((l) => lines.push(l));
  for (const c of chunks) splitter.push(enc.encode(c));
  splitter.end();
  return lines;
}

const line = (frame: number, labels: string[]) =>
  JSON.stringify({ frame, camera: { path: '/World/Camera', width: 4, height: 3 }, objects: labels.map((label, i) => ({ path: `/World/O${i}`, label, bbox2d_tight: [0, 0, 1, 1], bbox2d_loose: [0, 0, 1, 1], visible_fraction: 1 })) });

describe('splitting frames.jsonl into lines', () => {
  it('gives each line with its byte range, whatever the chunk boundaries', () => {
    const text = 'ab\ncdé\n\nf';
    const whole = split([text]);
    expect(whole.map((l) => l.text)).toEqual(['ab', 'cdé', 'f']);
    const bytes = enc.encode(text);
    for (const l of whole) expect(new TextDecoder().decode(bytes.slice(l.start, l.end))).toBe(l.text);
    // One byte at a time (the é's two bytes arrive separately) gives the same lines.
    const byByte: JsonlLine[] = [];
    const s = new JsonlSplitter((l) => byByte.push(l));
    for (const b of bytes) s.push(Uint8Array.of(b));
    s.end();
    expect(byByte).toEqual(whole);
  });

  it('drops a trailing carriage return from the text and the range', () => {
    const [first] = split(['x\r\ny\n']);
    expect(first).toEqual({ index: 0, start: 0, end: 1, text: 'x' });
  });
});

describe('class counts over a dataset', () => {
  it('counts objects per class over every line, largest first', async () => {
    const text = [line(0, ['cube', 'ball']), line(1, ['cube']), line(2, ['cube', 'can', 'ball'])].join('\n') + '\n';
    const stream = new Blob([text]).stream();
    const indexer = frameIndexer();
    await readLines(stream as ReadableStream<Uint8Array>, indexer.add);
    expect(indexer.index.entries.map((e) => e.frame)).toEqual([0, 1, 2]);
    expect(sortedCounts(indexer.index.classCounts)).toEqual([
      { label: 'cube', count: 3 },
      { label: 'ball', count: 2 },
      { label: 'can', count: 1 },
    ]);
    const second = indexer.index.entries[1]!;
    expect(parseFrameLine(text.slice(second.start, second.end), 1).frame).toBe(1);
  });

  it('names the line that is not a frame record', () => {
    expect(() => parseFrameLine('{"frame": 1}', 4)).toThrow(/^frames\.jsonl line 5: expected/);
    expect(() => parseFrameLine('{oops', 0)).toThrow(/^frames\.jsonl line 1: not JSON/);
  });
});

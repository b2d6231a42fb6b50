import { describe, expect, it } from 'vitest';
import { MemorySink } from './memorySink.ts';
import { sinkContract } from './sinks/sinkContract.ts';

sinkContract('MemorySink', () => ({ sink: new MemorySink() }));

describe('MemorySink', () => {
  it('lists the files directly in a folder and reads them back', async () => {
    const sink = new MemorySink();
    await sink.write('a/b/c.txt', new TextEncoder().encode('c'));
    await sink.write('a/d.txt', new TextEncoder().encode('d'));
    expect(await sink.list('a')).toEqual(['d.txt']);
    expect(await sink.list('a/b')).toEqual(['c.txt']);
    expect(await sink.list('')).toEqual([]);
    expect(sink.text('a/d.txt')).toBe('d');
    expect(() => sink.text('nope')).toThrow(/no file nope/);
  });

  it('shows a streamed file only once it is closed, and counts open streams', async () => {
    const sink = new MemorySink();
    const stream = await sink.create('x.jsonl');
    await stream.write(new TextEncoder().encode('1\n'));
    expect(sink.openStreams).toBe(1);
    expect(await sink.read('x.jsonl')).toBeNull();
    await stream.write(new TextEncoder().encode('2\n'));
    await stream.close();
    expect(sink.openStreams).toBe(0);
    expect(sink.text('x.jsonl')).toBe('1\n2\n');
  });
});

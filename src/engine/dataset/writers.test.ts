import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { COCO_ANNOTATIONS_PATH } from './coco.ts';
import { FRAMES_JSONL_PATH } from './framesJsonl.ts';
import { MemorySink } from './memorySink.ts';
import { exportFrames, syntheticFrame, syntheticInfo, THREE_OBJECT_LABELS, threeObjectFrame } from './testing.ts';
import { STREAM_CHUNK_BYTES } from './textStream.ts';
import type { Sink } from './types.ts';
import { WRITER_NAMES, encodeFrameWith, writerFor, writersFor } from './writers.ts';

describe('the writer registry', () => {
  it('knows the four formats and the always-on frames.jsonl', async () => {
    expect(WRITER_NAMES).toEqual(['coco', 'basic', 'yolo', 'kitti']);
    for (const name of [...WRITER_NAMES, 'frames']) expect(writerFor(name).name).toBe(name);
    expect(writersFor(['yolo', 'coco', 'yolo']).map((w) => w.name)).toEqual(['frames', 'yolo', 'coco']);
  });

  it('names the choices when asked for an unknown format', async () => {
    expect(() => writerFor('voc')).toThrow(InputError);
    expect(() => writerFor('toString')).toThrow(/unknown dataset format "toString"; expected one of coco, basic, yolo, kitti/);
  });

  it('encodes a frame for every format at once, sharing one encoding of the colour image', async () => {
    const info = syntheticInfo(THREE_OBJECT_LABELS);
    const { files, records } = await encodeFrameWith(writersFor(WRITER_NAMES), info, threeObjectFrame());
    const paths = files.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    const images = files.filter((f) => /(rgb_0+\.png|images\/0+\.png|image_2\/0+\.png)$/.test(f.path));
    expect(images.map((f) => f.path).sort()).toEqual(['basic/rgb_0000.png', 'coco/images/rgb_000000.png', 'kitti/image_2/000000.png', 'yolo/images/000000.png']);
    for (const image of images) expect(image.bytes).toBe(images[0]!.bytes);
    expect(records.map((r) => r.writer)).toEqual(['frames', 'coco']);
  });

  it('exports every format for several frames and cameras into one tree', async () => {
    const sink = new MemorySink();
    const info = syntheticInfo(THREE_OBJECT_LABELS, { cameras: ['/World/Left', '/World/Right'], frames: 3 });
    const frames = [0, 1, 2].flatMap((f) => [threeObjectFrame(f, 0), threeObjectFrame(f, 1)]);
    await exportFrames(writersFor(WRITER_NAMES), info, frames, sink);
    expect(sink.openStreams).toBe(0);
    expect(await sink.list('')).toEqual(['frames.jsonl']);
    expect(await sink.list('coco')).toEqual(['annotations.json']);
    expect(await sink.list('yolo')).toEqual(['data.yaml']);
    expect(await sink.list('kitti/Right/label_2')).toEqual(['000000.txt', '000001.txt', '000002.txt']);
    expect((await sink.list('basic/Left')).length).toBe(3 * 18);
    expect(sink.text(FRAMES_JSONL_PATH).trimEnd().split('\n')).toHaveLength(6);
    expect(JSON.parse(sink.text(COCO_ANNOTATIONS_PATH)).images).toHaveLength(6);
  });
});

/**
 * A sink that notes, for every chunk a stream receives, how many records the producer had handed
 * out by then — so a test can see whether finalize writes as it reads or gathers everything first.
 */
function watchingSink(inner: Sink, handedOut: () => number) {
  const chunks: { handedOut: number; text: string }[] = [];
  const sink: Sink = {
    ...inner,
    write: (path, bytes) => inner.write(path, bytes),
    read: (path) => inner.read(path),
    list: (dir) => inner.list(dir),
    remove: (path) => inner.remove(path),
    async create(path) {
      const stream = await inner.create(path);
      return {
        async write(chunk) {
          chunks.push({ handedOut: handedOut(), text: new TextDecoder().decode(chunk) });
          await stream.write(chunk);
        },
        close: () => stream.close(),
        abort: () => stream.abort(),
      };
    },
  };
  return { sink, chunks };
}

describe('finalize streams', () => {
  const N = 20_000;

  it('frames.jsonl: lines go out while records are still coming in', async () => {
    const info = syntheticInfo(['cube'], { frames: N });
    const frames = writerFor('frames');
    const template = (await frames.encodeFrame(info, syntheticFrame({ width: 4, height: 4, objects: [{ path: '/World/C', label: 'cube', rect: [1, 1, 2, 2] }] }))).record as string;
    let handed = 0;
    async function* records() {
      for (let i = 0; i < N; i++) {
        handed = i + 1;
        yield { frame: i, cameraIndex: 0, record: template.replace('"frame":0', `"frame":${i}`) };
      }
    }
    const memory = new MemorySink();
    const { sink, chunks } = watchingSink(memory, () => handed);
    await frames.finalize(info, records(), sink);

    let written = 0;
    let maxAhead = 0;
    for (const chunk of chunks) {
      maxAhead = Math.max(maxAhead, chunk.handedOut - written);
      written += chunk.text.split('\n').length - 1;
    }
    const lineBytes = template.length + 1;
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks[0]!.handedOut).toBeLessThan(N / 10);
    // never more than one chunk of lines held back
    expect(maxAhead).toBeLessThanOrEqual(Math.ceil(STREAM_CHUNK_BYTES / lineBytes) + 1);

    const lines = memory.text(FRAMES_JSONL_PATH).trimEnd().split('\n');
    expect(lines).toHaveLength(N);
    expect(JSON.parse(lines[N - 1]!).frame).toBe(N - 1);
  });

  it('COCO: annotations go out while records are still coming in, and the file stays valid', async () => {
    const info = syntheticInfo(['cube'], { frames: N });
    const coco = writerFor('coco');
    let handed = 0;
    async function* records() {
      for (let i = 0; i < N; i++) {
        const frame = syntheticFrame({ frame: i, width: 4, height: 3, objects: [{ path: '/World/C', label: 'cube', rect: [i % 3, 0, 3, i % 2] }] });
        handed = i + 1;
        yield { frame: i, cameraIndex: 0, record: (await coco.encodeFrame(info, frame)).record };
      }
    }
    const memory = new MemorySink();
    const { sink, chunks } = watchingSink(memory, () => handed);
    await coco.finalize(info, records(), sink);

    let written = 0;
    let maxAhead = 0;
    for (const chunk of chunks) {
      maxAhead = Math.max(maxAhead, chunk.handedOut - written);
      written += chunk.text.split('"image_id"').length - 1;
    }
    // ~3 MB of annotations: a few chunks, the first out long before the last record came in.
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks[0]!.handedOut).toBeLessThan(N / 2);
    expect(maxAhead).toBeLessThanOrEqual(Math.ceil(STREAM_CHUNK_BYTES / 100) + 1); // annotations are > 100 bytes

    const json = JSON.parse(memory.text(COCO_ANNOTATIONS_PATH));
    expect(json.images).toHaveLength(N);
    expect(json.annotations).toHaveLength(N);
    expect(json.images[N - 1]).toEqual({ id: N, width: 4, height: 3, file_name: `images/rgb_${String(N - 1).padStart(6, '0')}.png` });
    expect(json.annotations[N - 1].id).toBe(N * 100000 + 1);
  });
});

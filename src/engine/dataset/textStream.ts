/**
 * A streamed text file for the aggregate files `finalize` writes (frames.jsonl, COCO's
 * annotations.json): text is gathered into chunks of about STREAM_CHUNK_BYTES and each chunk is
 * handed to the sink as it fills, so memory stays at one chunk whatever the dataset's length, and
 * a slow sink slows the producer down (every `write` that flushes waits for the sink).
 */
import { textBytes } from './json.ts';
import type { Sink } from './types.ts';

/**
 * 1 MiB: through the CLI every chunk is one HTTP request, and at 64 KiB the aggregate files of
 * 100 000 frames (frames.jsonl 885 MB, annotations.json 128 MB) took 108–109 s to write against
 * 62–66 s at 1 MiB (two alternating runs each; the same bytes).
 */
export const STREAM_CHUNK_BYTES = 1 << 20;

export interface TextStream {
  write(text: string): Promise<void>;
  /** Flushes and makes the file visible. */
  close(): Promise<void>;
  /** Drops the file; safe to call after a failure. */
  abort(): Promise<void>;
}

export async function openTextStream(sink: Sink, path: string): Promise<TextStream> {
  const file = await sink.create(path);
  let parts: string[] = [];
  let pending = 0;
  const flush = async () => {
    if (pending === 0) return;
    const chunk = textBytes(parts.join(''));
    parts = [];
    pending = 0;
    await file.write(chunk);
  };
  return {
    async write(text) {
      parts.push(text);
      pending += text.length; // UTF-16 units: close enough to bytes for sizing chunks
      if (pending >= STREAM_CHUNK_BYTES) await flush();
    },
    async close() {
      await flush();
      await file.close();
    },
    abort: () => file.abort(),
  };
}

/** Runs `body` over a streamed text file: closed when `body` succeeds, aborted when it throws. */
export async function withTextStream(sink: Sink, path: string, body: (out: TextStream) => Promise<void>): Promise<void> {
  const out = await openTextStream(sink, path);
  try {
    await body(out);
  } catch (error) {
    await out.abort().catch(() => {});
    throw error;
  }
  await out.close();
}

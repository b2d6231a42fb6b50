/**
 * Reading a dataset's frames.jsonl without holding it: bytes arrive in chunks, lines come out
 * with their byte ranges (so one frame's line can be read again later with `File.slice`), and
 * the class counts of the whole dataset are summed as the lines go by. Pure; the file access is
 * datasetSource.ts.
 */

export interface JsonlLine {
  /** 0-based line number (blank lines are skipped but counted for positions only). */
  index: number;
  /** Byte range of the line in the file, without the newline: [start, end). */
  start: number;
  end: number;
  text: string;
}

/**
 * Splits a byte stream into lines at '\n' (a trailing '\r' is dropped), keeping byte offsets.
 * Feed chunks with `push`, then call `end` for the last line without a newline. Blank lines are
 * not emitted.
 */
export class JsonlSplitter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** File offset of the first pending byte. */
  private lineStart = 0;
  private offset = 0;
  private count = 0;
  private readonly decoder = new TextDecoder();

  constructor(private readonly onLine: (line: JsonlLine) => void) {}

  push(chunk: Uint8Array): void {
    let from = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, from)) {
      this.pending.push(chunk.subarray(from, i));
      this.pendingBytes += i - from;
      this.flush(this.offset + i);
      from = i + 1;
      this.lineStart = this.offset + from;
    }
    if (from < chunk.length) {
      this.pending.push(chunk.slice(from));
      this.pendingBytes += chunk.length - from;
    }
    this.offset += chunk.length;
  }

  end(): void {
    if (this.pendingBytes > 0) this.flush(this.offset);
    this.pending = [];
    this.pendingBytes = 0;
  }

  private flush(end: number): void {
    const bytes = this.pending.length === 1 ? this.pending[0]! : concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let text = this.decoder.decode(bytes);
    let lineEnd = end;
    if (text.endsWith('\r')) {
      text = text.slice(0, -1);
      lineEnd -= 1;
    }
    if (text.trim() === '') return;
    this.onLine({ index: this.count++, start: this.lineStart, end: lineEnd, text });
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The fields of a frames.jsonl line the viewer uses (docs/DATASETS.md has the whole contract). */
export interface FrameLine {
  frame: number;
  camera: { path: string; width: number; height: number };
  objects: {
    path: string;
    label: string;
    bbox2d_tight: [number, number, number, number] | null;
    bbox2d_loose: [number, number, number, number] | null;
    visible_fraction: number;
    class_id?: number;
    instance_id?: number;
    instanceId?: number;
  }[];
  randomized?: Record<string, unknown>;
}

/** Parses one frames.jsonl line; a line that is not a frame record names its line number. */
export function parseFrameLine(text: string, lineNumber: number): FrameLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`frames.jsonl line ${lineNumber + 1}: not JSON (${(e as Error).message})`);
  }
  const record = value as Partial<FrameLine> | null;
  if (!record || typeof record !== 'object' || typeof record.frame !== 'number' || !Array.isArray(record.objects) || !record.camera || typeof record.camera.path !== 'string') {
    throw new Error(`frames.jsonl line ${lineNumber + 1}: expected {frame, camera: {path, …}, objects: […]}`);
  }
  return record as FrameLine;
}

/** Where each frame-and-camera line is in frames.jsonl, and the class counts of the dataset. */
export interface FrameIndex {
  entries: { frame: number; camera: string; start: number; end: number }[];
  /** Objects per class over every line (an object counts once per frame and camera it is in). */
  classCounts: Map<string, number>;
}

/** Builds a FrameIndex as lines arrive: `add` each line, read `index` at the end. */
export function frameIndexer(): { add(line: JsonlLine): void; index: FrameIndex } {
  const index: FrameIndex = { entries: [], classCounts: new Map() };
  return {
    index,
    add(line) {
      const record = parseFrameLine(line.text, line.index);
      index.entries.push({ frame: record.frame, camera: record.camera.path, start: line.start, end: line.end });
      countClasses(index.classCounts, record);
    },
  };
}

export function countClasses(counts: Map<string, number>, record: Pick<FrameLine, 'objects'>): void {
  for (const object of record.objects) counts.set(object.label, (counts.get(object.label) ?? 0) + 1);
}

/** Class counts for the bar chart: largest first, then by name. */
export function sortedCounts(counts: ReadonlyMap<string, number>): { label: string; count: number }[] {
  return [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** Reads a whole byte stream through a splitter. */
export async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: JsonlLine) => void): Promise<void> {
  const splitter = new JsonlSplitter(onLine);
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      splitter.push(value);
    }
    splitter.end();
  } finally {
    reader.releaseLock();
  }
}

/**
 * A Sink over a Map of path → bytes: for tests, for previews of a few frames, and as the model of
 * what every sink must do. Paths go through the shared path rules (sinks/paths.ts) and streams
 * through the shared stream rules (sinks/stream.ts), so a writer that passes against this sink
 * behaves the same against the file-system, OPFS and HTTP sinks.
 */
import { SinkError } from './sinks/errors.ts';
import { sinkPathSegments } from './sinks/paths.ts';
import { sinkStream } from './sinks/stream.ts';
import type { Sink } from './types.ts';

export class MemorySink implements Sink {
  /** Complete files, by dataset-relative path. */
  readonly files = new Map<string, Uint8Array>();
  /** Streams created and not yet closed or aborted (a finalize that returns should leave none). */
  openStreams = 0;

  async write(path: string, bytes: Uint8Array): Promise<void> {
    sinkPathSegments(path, 'write');
    this.files.set(path, bytes.slice());
  }

  async create(path: string): ReturnType<Sink['create']> {
    sinkPathSegments(path, 'write');
    const chunks: Uint8Array[] = [];
    this.openStreams++;
    let open = true;
    const done = () => {
      if (open) this.openStreams--;
      open = false;
    };
    return sinkStream(
      path,
      {
        write: async (chunk) => {
          chunks.push(chunk.slice());
        },
        commit: async () => {
          done();
          this.files.set(path, concat(chunks));
        },
        discard: async () => {
          done();
          chunks.length = 0;
        },
      },
      (error) => new SinkError('other', path, `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  async read(path: string): Promise<Uint8Array | null> {
    sinkPathSegments(path, 'read');
    return this.files.get(path)?.slice() ?? null;
  }

  async list(dir: string): Promise<string[]> {
    const segments = sinkPathSegments(dir, 'list', true);
    const prefix = segments.length ? `${segments.join('/')}/` : '';
    const names = new Set<string>();
    for (const path of this.files.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      if (!rest.includes('/')) names.add(rest);
    }
    return [...names].sort();
  }

  async remove(path: string): Promise<void> {
    sinkPathSegments(path, 'remove');
    this.files.delete(path);
  }

  /** A file's text (UTF-8); throws when it does not exist. */
  text(path: string): string {
    return new TextDecoder().decode(this.bytes(path));
  }

  /** A file's bytes; throws when it does not exist. */
  bytes(path: string): Uint8Array {
    const bytes = this.files.get(path);
    if (!bytes) throw new Error(`no file ${path} (have: ${[...this.files.keys()].sort().join(', ')})`);
    return bytes;
  }

  /** All paths, sorted. */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

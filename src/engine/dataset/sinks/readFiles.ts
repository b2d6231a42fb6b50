/**
 * Several whole files from a sink in one call where the sink has one (Sink.readFiles), else one
 * `read` each, a few at a time. Each file comes back in the order asked, null where it does not
 * exist; the first failure (in list order) is what the caller sees.
 */
import type { Sink } from '../types.ts';

/** Reads in flight at once when the sink has no readFiles. */
const FALLBACK_CONCURRENCY = 16;

export async function readFiles(sink: Sink, paths: readonly string[]): Promise<(Uint8Array | null)[]> {
  if (paths.length === 0) return [];
  if (sink.readFiles) return sink.readFiles(paths);
  const out: (Uint8Array | null)[] = new Array(paths.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      out[i] = await sink.read(paths[i]!);
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(FALLBACK_CONCURRENCY, paths.length) }, worker));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return out;
}

/**
 * Whole files to a sink in one call where the sink has one (Sink.writeFiles), else one `write`
 * each, concurrently. The first file's failure (in list order) is what the caller sees, once every
 * write has settled; files that did get written stay.
 */
import type { OutputFile, Sink } from '../types.ts';

export async function writeFiles(sink: Sink, files: readonly OutputFile[]): Promise<void> {
  if (files.length === 0) return;
  if (sink.writeFiles) return sink.writeFiles(files);
  // Every write settles before the call does, so nothing is still in flight when it fails.
  const results = await Promise.allSettled(files.map((file) => sink.write(file.path, file.bytes)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

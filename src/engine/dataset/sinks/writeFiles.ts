/**
 * Whole files to a sink in one call where the sink has one (Sink.writeFiles), else one `write`
 * each, concurrently. The first file's failure (in list order) is what the caller sees, once every
 * write has settled; files that did get written stay. `options.commit` is written after every
 * other file of the batch is, and not when one failed (WriteFilesOptions).
 */
import type { OutputFile, Sink, WriteFilesOptions } from '../types.ts';

export async function writeFiles(sink: Sink, files: readonly OutputFile[], options: WriteFilesOptions = {}): Promise<void> {
  const { commit } = options;
  if (files.length === 0 && !commit) return;
  if (sink.writeFiles) return sink.writeFiles(files, options);
  // Every write settles before the call does, so nothing is still in flight when it fails.
  const results = await Promise.allSettled(files.map((file) => sink.write(file.path, file.bytes)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (commit) await sink.write(commit.path, commit.bytes);
}

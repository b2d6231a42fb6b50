/**
 * The one place that decides whether a dataset path is acceptable. Every sink (and the HTTP sink
 * server, before it touches anything) runs paths through here, so no path can leave the dataset
 * root: a path is relative, uses forward slashes, and every segment is a plain name.
 */
import { SinkError, type SinkOperation } from './errors.ts';

/** Why a path is rejected, or null when it is fine. `allowRoot` accepts "" (the root folder, for `list`). */
export function pathProblem(path: unknown, allowRoot = false): string | null {
  if (typeof path !== 'string') return 'a path must be a string';
  if (path === '') return allowRoot ? null : 'the path is empty';
  if (path.includes('\0')) return 'the path contains a NUL character';
  if (path.includes('\\')) return 'the path contains a backslash (use forward slashes)';
  if (path.startsWith('/')) return 'the path is absolute (paths are relative to the dataset root)';
  if (/^[A-Za-z]:/.test(path)) return 'the path starts with a drive letter (paths are relative to the dataset root)';
  if (path.endsWith('/')) return "the path ends with '/'";
  for (const segment of path.split('/')) {
    if (segment === '') return "the path contains an empty segment ('//')";
    if (segment === '..') return "the path contains '..' (it would leave the dataset root)";
    if (segment === '.') return "the path contains a '.' segment";
  }
  return null;
}

/**
 * Checks a path and returns its segments ([] for the root); throws a SinkError of kind
 * 'invalid-path' naming the path and the problem.
 */
export function sinkPathSegments(path: string, op: SinkOperation, allowRoot = false): string[] {
  const problem = pathProblem(path, allowRoot);
  if (problem) throw new SinkError('invalid-path', String(path), `cannot ${op} ${JSON.stringify(path)}: ${problem}`);
  return path === '' ? [] : path.split('/');
}

/** "a/b/c.png" → ["a/b", "c.png"]; "c.png" → ["", "c.png"]. For already-checked paths. */
export function splitParent(path: string): [string, string] {
  const i = path.lastIndexOf('/');
  return i < 0 ? ['', path] : [path.slice(0, i), path.slice(i + 1)];
}

/**
 * How a randomization spec names prims: path patterns ("/World/Objects/*") and semantic labels.
 * Pure functions over a scene document's prim list; no drawing, no editing.
 *
 * Patterns match whole prim paths: `*` is any run of characters within one path segment, `?` one
 * character, and `**` any number of whole segments (so "/World/**" is everything under /World).
 */
import type { Prim } from '../scene/schema.ts';

const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // "/**" swallows zero or more "/segment"s; a bare "**" any characters.
      const slashBefore = source.endsWith('/');
      if (slashBefore) source = `${source.slice(0, -1)}(?:/[^/]+)*`;
      else source += '.*';
      i++;
      // "/**/" keeps its trailing slash as a separator already consumed above.
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`${source}$`);
  cache.set(pattern, re);
  return re;
}

export function isPattern(path: string): boolean {
  return /[*?]/.test(path);
}

/** Paths of the prims a pattern matches, in document order. */
export function matchPrims(prims: readonly Prim[], pattern: string): string[] {
  if (!isPattern(pattern)) return prims.some((p) => p.path === pattern) ? [pattern] : [];
  const re = globToRegExp(pattern);
  return prims.filter((p) => re.test(p.path)).map((p) => p.path);
}

/** Every label the scene carries, in any taxonomy, sorted. */
export function sceneLabels(prims: readonly Prim[]): string[] {
  const out = new Set<string>();
  for (const prim of prims) for (const values of Object.values(prim.labels)) for (const v of values) out.add(v);
  return [...out].sort();
}

/** Paths of the prims that carry one of `labels` themselves (in any taxonomy), in document order. */
export function labelledPrims(prims: readonly Prim[], labels: readonly string[]): string[] {
  const wanted = new Set(labels);
  return prims.filter((p) => Object.values(p.labels).some((values) => values.some((v) => wanted.has(v)))).map((p) => p.path);
}

export interface PrimSelector {
  prims?: string[] | undefined;
  label?: string[] | undefined;
}

/** The prims a spec entry selects: by patterns or by labels, each prim once, in document order. */
export function selectPrims(prims: readonly Prim[], selector: PrimSelector): string[] {
  const chosen = new Set<string>();
  for (const pattern of selector.prims ?? []) for (const p of matchPrims(prims, pattern)) chosen.add(p);
  for (const p of labelledPrims(prims, selector.label ?? [])) chosen.add(p);
  return prims.filter((p) => chosen.has(p.path)).map((p) => p.path);
}

/** Whether `path` is `root` or lies under it. */
export function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

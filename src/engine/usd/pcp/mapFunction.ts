/**
 * A namespace mapping carried by a composition arc (OpenUSD's PcpMapFunction): pairs of source →
 * target prim paths, optionally with the root identity (every path outside the pairs maps to
 * itself, as for inherits and internal references), plus a time offset. A path maps through the
 * pair whose source is its longest prefix; the mapping must stay one-to-one, so a path whose image
 * maps back through a different, more specific pair does not map at all. Paths here never carry
 * variant selections (those address storage, not namespace).
 */
import { hasPrefix, namespaceDepth, replacePrefix, type LayerOffset } from '../sdf.ts';

type Pair = readonly [source: string, target: string];

const elements = (path: string) => (path === '/' ? 0 : namespaceDepth(path) + (path.includes('.') ? 1 : 0));

export class MapFunction {
  private constructor(
    /** Sorted by source element count, root identity excluded. */
    readonly pairs: readonly Pair[],
    readonly rootIdentity: boolean,
    readonly offset: LayerOffset,
  ) {}

  static readonly identity = new MapFunction([], true, { offset: 0, scale: 1 });

  static create(pairs: Iterable<readonly [string, string]>, offset: LayerOffset = { offset: 0, scale: 1 }, rootIdentity = false): MapFunction {
    const list: Pair[] = [];
    for (const [source, target] of pairs) {
      if (source === '/' && target === '/') rootIdentity = true;
      else if (!list.some(([s]) => s === source)) list.push([source, target]);
    }
    list.sort((a, b) => elements(a[0]) - elements(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new MapFunction(canonical(list, rootIdentity), rootIdentity, offset);
  }

  get isIdentity(): boolean {
    return this.rootIdentity && this.pairs.length === 0 && this.offset.offset === 0 && this.offset.scale === 1;
  }

  withRootIdentity(): MapFunction {
    return this.rootIdentity ? this : MapFunction.create(this.pairs, this.offset, true);
  }

  mapSourceToTarget(path: string): string | null {
    return this.map(path, false);
  }

  mapTargetToSource(path: string): string | null {
    return this.map(path, true);
  }

  inverse(): MapFunction {
    const scale = this.offset.scale || 1;
    return MapFunction.create(
      this.pairs.map(([s, t]) => [t, s] as const),
      { offset: -this.offset.offset / scale, scale: 1 / scale },
      this.rootIdentity,
    );
  }

  /** this ∘ inner: first `inner`, then this. */
  compose(inner: MapFunction): MapFunction {
    if (this.isIdentity) return inner;
    if (inner.isIdentity) return this;
    const out: [string, string][] = [];
    const sources = new Set<string>();
    for (const [s, t] of inner.pairs) {
      const mapped = this.mapSourceToTarget(t);
      out.push([s, mapped ?? '']);
      sources.add(s);
    }
    for (const [s, t] of this.pairs) {
      const source = inner.mapTargetToSource(s);
      if (source === null || sources.has(source)) continue;
      out.push([source, t]);
    }
    const offset = { offset: this.offset.offset + this.offset.scale * inner.offset.offset, scale: this.offset.scale * inner.offset.scale };
    // A pair whose target is '' blocks its source (it no longer maps).
    return MapFunction.create(out, offset, this.rootIdentity && inner.rootIdentity);
  }

  equals(other: MapFunction): boolean {
    return this.key === other.key;
  }

  get key(): string {
    return `${this.rootIdentity ? '/=/;' : ''}${this.pairs.map(([s, t]) => `${s}=${t}`).join(';')}@${this.offset.offset},${this.offset.scale}`;
  }

  /** Element counts of each pair's source and target (the best match is the longest prefix). */
  private counts: [number, number][] | null = null;

  private map(path: string, invert: boolean): string | null {
    const from = invert ? 1 : 0;
    const to = invert ? 0 : 1;
    const counts = (this.counts ??= this.pairs.map(([s, t]) => [elements(s), t === '' ? -1 : elements(t)]));
    let best = -1;
    let bestCount = -1;
    for (let i = 0; i < this.pairs.length; i++) {
      const pair = this.pairs[i]!;
      const count = counts[i]![from]!;
      if (count > bestCount && pair[from] !== '' && hasPrefix(path, pair[from])) {
        best = i;
        bestCount = count;
      }
    }
    const bestPair = best >= 0 ? this.pairs[best]! : null;
    let result: string | null;
    if (!bestPair) result = this.rootIdentity ? path : null;
    else if (bestPair[to] === '') result = null;
    else result = replacePrefix(path, bestPair[from], bestPair[to]);
    if (result === null) return null;
    // One-to-one: the image must not be claimed by a more specific pair in the other direction.
    const minimum = bestPair ? counts[best]![to]! : 0;
    for (let i = 0; i < this.pairs.length; i++) {
      const pair = this.pairs[i]!;
      if (i === best || pair[to] === '') continue;
      const count = counts[i]![to]!;
      if (count >= minimum && hasPrefix(result, pair[to]) && (!bestPair || count > minimum || pair[to] !== bestPair[to])) return null;
    }
    return result;
  }
}

/** Drops pairs that change nothing (a child mapped where its parent's pair already sends it). */
function canonical(pairs: Pair[], rootIdentity: boolean): Pair[] {
  return pairs.filter(([source, target], i) => {
    if (target === '') {
      // A block is redundant when nothing would map the source anyway.
      const parent = bestSource(pairs, source, i);
      return parent ? parent[1] !== '' : rootIdentity;
    }
    const parent = bestSource(pairs, source, i);
    if (!parent) return !(rootIdentity && source === target);
    if (parent[1] === '') return true;
    return replacePrefix(source, parent[0], parent[1]) !== target;
  });
}

function bestSource(pairs: readonly Pair[], path: string, skip: number): Pair | null {
  let best: Pair | null = null;
  let bestCount = -1;
  pairs.forEach((pair, i) => {
    if (i === skip || pair[0] === path) return;
    const count = elements(pair[0]);
    if (count > bestCount && hasPrefix(path, pair[0])) {
      best = pair;
      bestCount = count;
    }
  });
  return best;
}

/**
 * Where a policy fails: success rates broken down by each randomized factor of the episodes (the
 * cube's position, the light's intensity, the palette…), and the share of each outcome.
 *
 * Every bin carries its Wilson interval, because a breakdown slices the episodes thin: 3 failures
 * of 5 in one bin is a hint, not a finding. Numeric factors get equal-count bins so each bin holds
 * about as many episodes; a vector factor (a position) is broken down component by component.
 *
 * Owns only the tabulation: no I/O, no randomness, deterministic order (factors by key then
 * component, bins by value, outcomes by name). docs/STATISTICS.md describes the output.
 */
import { wilsonInterval } from './stats.ts';

export interface EvaluatedEpisode {
  success: boolean;
  /** How the episode ended: 'success', 'errored', 'missed_grasp', … */
  outcome: string;
  /** The episode's randomized draws, keyed like "/World/Cube:position" or "task:target". */
  factors: Record<string, unknown>;
}

export interface FactorBin {
  /** "0.12–0.25" for a numeric range, "0.5" for a single number, the value for a category. */
  label: string;
  /** Numeric factors: the smallest and largest value in the bin (both included). */
  lo?: number;
  hi?: number;
  /** Categorical factors: the value itself. */
  value?: string | number | boolean;
  episodes: number;
  successes: number;
  success_rate: number;
  /** Wilson 95% interval of the bin's success rate. */
  ci95: [number, number];
  /** Episodes in the bin per outcome, outcomes in name order. */
  outcomes: Record<string, number>;
}

export interface FactorBreakdown {
  /** The factor's key; a component of a vector factor is `${key}.x` (length 3) or `${key}[i]`. */
  factor: string;
  kind: 'numeric' | 'categorical';
  bins: FactorBin[];
}

type Scalar = string | number | boolean;

interface FactorColumn {
  name: string;
  key: string;
  component: number;
  /** Episode index and value, for the episodes that have the factor. */
  entries: Array<{ episode: number; value: Scalar }>;
}

const AXES = ['x', 'y', 'z'];

/** One column per scalar factor and per component of a numeric vector; other values are skipped. */
function factorColumns(episodes: readonly EvaluatedEpisode[]): FactorColumn[] {
  const columns = new Map<string, FactorColumn>();
  const add = (name: string, key: string, component: number, episode: number, value: Scalar) => {
    let column = columns.get(name);
    if (!column) columns.set(name, (column = { name, key, component, entries: [] }));
    column.entries.push({ episode, value });
  };
  episodes.forEach((episode, index) => {
    for (const [key, value] of Object.entries(episode.factors)) {
      if (typeof value === 'number') {
        if (Number.isFinite(value)) add(key, key, -1, index, value);
      } else if (typeof value === 'string' || typeof value === 'boolean') {
        add(key, key, -1, index, value);
      } else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        value.forEach((v: number, i) => add(value.length === 3 ? `${key}.${AXES[i]}` : `${key}[${i}]`, key, i, index, v));
      }
    }
  });
  return [...columns.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.component - b.component));
}

const typeOrder = { boolean: 0, number: 1, string: 2 } as const;
function compareScalars(a: Scalar, b: Scalar): number {
  const ta = typeOrder[typeof a as keyof typeof typeOrder];
  const tb = typeOrder[typeof b as keyof typeof typeOrder];
  if (ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function tally(episodes: readonly EvaluatedEpisode[], members: readonly number[]): Omit<FactorBin, 'label' | 'lo' | 'hi' | 'value'> {
  let successes = 0;
  const counts = new Map<string, number>();
  for (const index of members) {
    const episode = episodes[index]!;
    if (episode.success) successes++;
    counts.set(episode.outcome, (counts.get(episode.outcome) ?? 0) + 1);
  }
  const outcomes: Record<string, number> = {};
  for (const name of [...counts.keys()].sort()) outcomes[name] = counts.get(name)!;
  return { episodes: members.length, successes, success_rate: successes / members.length, ci95: wilsonInterval(successes, members.length), outcomes };
}

/**
 * Cut points (indices into the sorted values) for at most `bins` bins of nearly equal counts. Equal
 * values always share a bin, so a cut that would split a run of them moves to the run's nearer end.
 */
function equalCountCuts(sorted: readonly number[], bins: number): number[] {
  const m = sorted.length;
  const cuts = [0];
  for (let j = 1; j < bins; j++) {
    let cut = Math.round((j * m) / bins);
    if (cut > 0 && cut < m && sorted[cut - 1] === sorted[cut]) {
      let start = cut;
      while (start > 0 && sorted[start - 1] === sorted[cut]) start--;
      let end = cut;
      while (end < m && sorted[end] === sorted[cut]) end++;
      cut = cut - start < end - cut ? start : end;
    }
    if (cut > cuts[cuts.length - 1]! && cut < m) cuts.push(cut);
  }
  cuts.push(m);
  return cuts;
}

/** Shortest labels (3 significant digits or more) that still tell every bin's bounds apart. */
function numberFormatter(bounds: readonly number[]): (x: number) => string {
  const distinct = [...new Set(bounds)];
  for (let digits = 3; digits < 17; digits++) {
    const format = (x: number) => String(Number(x.toPrecision(digits)));
    if (new Set(distinct.map(format)).size === distinct.length) return format;
  }
  return String;
}

function numericBins(episodes: readonly EvaluatedEpisode[], column: FactorColumn, bins: number): FactorBin[] | null {
  const entries = [...column.entries].sort((a, b) => (a.value as number) - (b.value as number) || a.episode - b.episode);
  const sorted = entries.map((entry) => entry.value as number);
  const distinct = new Set(sorted).size;
  if (distinct < 2) return null;
  const cuts = equalCountCuts(sorted, Math.min(bins, distinct));
  const ranges: Array<{ lo: number; hi: number; members: number[] }> = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const slice = entries.slice(cuts[i], cuts[i + 1]);
    ranges.push({ lo: slice[0]!.value as number, hi: slice[slice.length - 1]!.value as number, members: slice.map((entry) => entry.episode) });
  }
  const format = numberFormatter(ranges.flatMap((range) => [range.lo, range.hi]));
  return ranges.map(({ lo, hi, members }) => ({ label: lo === hi ? format(lo) : `${format(lo)}–${format(hi)}`, lo, hi, ...tally(episodes, members) }));
}

function categoricalBins(episodes: readonly EvaluatedEpisode[], column: FactorColumn): FactorBin[] | null {
  const groups = new Map<string, { value: Scalar; members: number[] }>();
  for (const { episode, value } of column.entries) {
    const id = `${typeof value}:${String(value)}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { value, members: [] }));
    group.members.push(episode);
  }
  if (groups.size < 2) return null;
  return [...groups.values()].sort((a, b) => compareScalars(a.value, b.value)).map(({ value, members }) => ({ label: String(value), value, ...tally(episodes, members) }));
}

/**
 * Success rate per bin of every factor that varies. A factor holding only numbers gets at most
 * `bins` equal-count bins (one per value when it takes that few); any other factor one bin per
 * value. Factors with a single value are left out; so are episodes lacking a factor, from that
 * factor's bins.
 */
export function factorBreakdown(episodes: readonly EvaluatedEpisode[], options: { bins?: number } = {}): FactorBreakdown[] {
  const bins = options.bins ?? 4;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`factorBreakdown: bins: expected a whole number ≥ 1, got ${bins}`);
  const breakdown: FactorBreakdown[] = [];
  for (const column of factorColumns(episodes)) {
    const numeric = column.entries.every((entry) => typeof entry.value === 'number');
    const result = numeric ? numericBins(episodes, column, bins) : categoricalBins(episodes, column);
    if (result) breakdown.push({ factor: column.name, kind: numeric ? 'numeric' : 'categorical', bins: result });
  }
  return breakdown;
}

export interface OutcomeShare {
  outcome: string;
  episodes: number;
  /** episodes / all episodes. */
  share: number;
  /** Wilson 95% interval of the share. */
  ci95: [number, number];
}

/** How the episodes ended: each outcome's count and share, most frequent first (ties by name). */
export function outcomeBreakdown(episodes: readonly EvaluatedEpisode[]): OutcomeShare[] {
  const counts = new Map<string, number>();
  for (const episode of episodes) counts.set(episode.outcome, (counts.get(episode.outcome) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .map(([outcome, count]) => ({ outcome, episodes: count, share: count / episodes.length, ci95: wilsonInterval(count, episodes.length) }));
}

/**
 * Two evaluations compared, paired when they can be: Simloop's episodes are a pure function of
 * (task, seed, index), so a baseline and a candidate run on the same task and seed met the same
 * episodes, and the comparison uses that (the exact McNemar test on the episodes only one solved,
 * Newcombe's paired interval). Otherwise the two runs are independent samples (Fisher's exact test,
 * Newcombe's hybrid score interval). The verdict says whether the candidate may replace the
 * baseline (verdict.ts). `simloop compare`, the studio's compare view and `--until decided` use it.
 */
import { comparePaired, compareSuccessRates, type PairedTable, wilsonInterval } from './stats.ts';
import { type SequentialData, sequentialStatus, type SequentialStatus, type StopRule } from './sequential.ts';
import { releaseVerdict, type ReleaseVerdict } from './verdict.ts';

/** An evaluation as a comparison needs it: what ran, and each episode's success when known. */
export interface EvaluatedRun {
  /** Where it came from (a results.json path, a studio run's label). */
  label: string;
  task: string;
  policy: string;
  seed: number | null;
  successes: number;
  episodes: number;
  /** Episode index → success, when the episodes are known (episodes.jsonl). */
  outcomes: ReadonlyMap<number, boolean> | null;
}

export interface RunComparison {
  kind: 'paired' | 'unpaired';
  /** Why the runs could not be paired (unpaired only). */
  unpaired_because: string | null;
  test: 'mcnemar-exact' | 'fisher-exact-two-sided';
  baseline: { label: string; policy: string; task: string; successes: number; episodes: number; success_rate: number; ci95: [number, number] };
  candidate: RunComparison['baseline'];
  /** Paired: the episodes both ran (candidate = A, baseline = B). */
  table: PairedTable | null;
  /** candidate − baseline success rate (paired: over the episodes both ran). */
  difference: number;
  ci95: [number, number];
  p_value: number;
  significant: boolean;
  alpha: number;
  margin: number;
  verdict: ReleaseVerdict;
}

/** The table of the episodes both runs ran (same task and seed), or why there is none. */
export function pairRuns(baseline: EvaluatedRun, candidate: EvaluatedRun): { table: PairedTable } | { because: string } {
  if (!baseline.outcomes || !candidate.outcomes) return { because: `${!baseline.outcomes ? baseline.label : candidate.label} has no per-episode outcomes` };
  if (baseline.task !== candidate.task) return { because: `different tasks (${baseline.task}, ${candidate.task})` };
  if (baseline.seed === null || baseline.seed !== candidate.seed) return { because: `different seeds (${baseline.seed}, ${candidate.seed}): different episodes` };
  const table: PairedTable = { both: 0, onlyA: 0, onlyB: 0, neither: 0 };
  for (const [index, b] of baseline.outcomes) {
    const c = candidate.outcomes.get(index);
    if (c === undefined) continue;
    if (c && b) table.both++;
    else if (c) table.onlyA++;
    else if (b) table.onlyB++;
    else table.neither++;
  }
  if (table.both + table.onlyA + table.onlyB + table.neither === 0) return { because: 'no episode index in common' };
  return { table };
}

const side = (run: EvaluatedRun, successes = run.successes, episodes = run.episodes) => ({
  label: run.label,
  policy: run.policy,
  task: run.task,
  successes,
  episodes,
  success_rate: successes / episodes,
  ci95: wilsonInterval(successes, episodes),
});

/** Baseline against candidate, paired when they ran the same episodes; the verdict for a release gate. */
export function compareRuns(baseline: EvaluatedRun, candidate: EvaluatedRun, options: { margin?: number; alpha?: number } = {}): RunComparison {
  const margin = options.margin ?? 0.1;
  const alpha = options.alpha ?? 0.05;
  const paired = pairRuns(baseline, candidate);
  const tested = (c: { test: RunComparison['test']; difference: number; ci95: [number, number]; pValue: number; significant: boolean }) => ({
    test: c.test,
    difference: c.difference,
    ci95: c.ci95,
    p_value: c.pValue,
    significant: c.significant,
    alpha,
    margin,
    verdict: releaseVerdict(c, margin),
  });
  if ('table' in paired) {
    const { table } = paired;
    const n = table.both + table.onlyA + table.onlyB + table.neither;
    return {
      kind: 'paired',
      unpaired_because: null,
      baseline: side(baseline, table.both + table.onlyB, n),
      candidate: side(candidate, table.both + table.onlyA, n),
      table,
      ...tested(comparePaired(table, alpha)),
    };
  }
  return {
    kind: 'unpaired',
    unpaired_because: paired.because,
    baseline: side(baseline),
    candidate: side(candidate),
    table: null,
    ...tested(compareSuccessRates(candidate.successes, candidate.episodes, baseline.successes, baseline.episodes, alpha)),
  };
}

/** What `--until decided` looks at after each episode: paired with the baseline when it can be. */
export function sequentialData(baseline: EvaluatedRun, candidate: EvaluatedRun): SequentialData {
  const paired = pairRuns(baseline, candidate);
  if ('table' in paired) return { table: paired.table };
  return { candidate: { successes: candidate.successes, n: candidate.episodes }, baseline: { successes: baseline.successes, n: baseline.episodes } };
}

/** A change in success rate in percentage points, signed: "+12.5", "−40.0". */
export const points = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)}`;

/** How the runs were compared, with the test's p: "paired on 20 shared episodes (…), exact McNemar p = 0.0313". */
export function comparisonTest(c: RunComparison): string {
  const p = c.p_value.toPrecision(3);
  if (c.kind === 'paired' && c.table) return `paired on ${c.baseline.episodes} shared episodes (${c.table.onlyA} only the candidate solved, ${c.table.onlyB} only the baseline), exact McNemar p = ${p}`;
  return `unpaired (${c.unpaired_because}), Fisher's exact test p = ${p}`;
}

/** candidate − baseline with Newcombe's 95% interval: "−50.0 points (95% CI −90.5 to +20.3)". */
export const differenceText = (c: RunComparison): string => `${points(c.difference)} points (95% CI ${points(c.ci95[0])} to ${points(c.ci95[1])})`;

/** One line for a person. */
export function describeComparison(c: RunComparison): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return `${c.verdict}: candidate ${c.candidate.successes}/${c.candidate.episodes} (${pct(c.candidate.success_rate)}) vs baseline ${c.baseline.successes}/${c.baseline.episodes} (${pct(c.baseline.success_rate)}), difference ${differenceText(c)}, ${comparisonTest(c)}; margin ±${Math.round(100 * c.margin)} points`;
}

/** An evaluation's episodes so far as a run to compare (episode index → success). */
export function runSoFar(label: string, task: string, policy: string, seed: number, episodes: readonly { index: number; success: boolean }[]): EvaluatedRun {
  return { label, task, policy, seed, successes: episodes.filter((e) => e.success).length, episodes: episodes.length, outcomes: new Map(episodes.map((e) => [e.index, e.success])) };
}

/**
 * `simloop eval --until`, after each episode: whether to stop. ci-width looks at the candidate's
 * own rate (or, given a baseline, at the difference); decided needs the baseline.
 */
export function untilStatus(rule: StopRule, candidate: EvaluatedRun, baseline: EvaluatedRun | null): SequentialStatus {
  if (baseline) return sequentialStatus(rule, sequentialData(baseline, candidate));
  if (rule.kind === 'decided') throw new RangeError('--until decided needs --baseline <results.json> to decide against');
  return sequentialStatus(rule, { successes: candidate.successes, n: candidate.episodes });
}

/** "ci-width=0.2" or "decided" (with the margin) as a rule; throws a RangeError naming --until. */
export function parseStopRule(text: string, margin = 0.1): StopRule {
  const width = /^ci-width=([0-9.]+)$/.exec(text);
  if (width) {
    const w = Number(width[1]);
    if (!(w > 0 && w <= 1)) throw new RangeError(`--until ci-width=W: W must be a number between 0 and 1, got "${width[1]}"`);
    return { kind: 'ci-width', width: w };
  }
  if (text === 'decided') return { kind: 'decided', margin };
  throw new RangeError(`--until must be ci-width=W (e.g. ci-width=0.2) or decided, got "${text}"`);
}

/** A run as it travels to a page (outcomes as pairs: a Map does not survive JSON). */
export type PortableRun = Omit<EvaluatedRun, 'outcomes'> & { outcomes: [number, boolean][] | null };
export const portableRun = (run: EvaluatedRun): PortableRun => ({ ...run, outcomes: run.outcomes ? [...run.outcomes] : null });
export const fromPortable = (run: PortableRun): EvaluatedRun => ({ ...run, outcomes: run.outcomes ? new Map(run.outcomes) : null });

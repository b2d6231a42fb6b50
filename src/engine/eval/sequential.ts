/**
 * Anytime-valid statistics: intervals and tests that keep their error rates however often one
 * looks, so `simloop eval --until` can check after every episode and stop as soon as the answer is
 * clear. A fixed-sample interval checked after every episode is not one of these: looking 200 times
 * and stopping at the first "significant" look finds differences that are not there far more often
 * than 5% of the time (sequential.test.ts measures it).
 *
 * Every procedure here rests on Ville's inequality (Ville 1939): a nonnegative martingale M with
 * M₀ = 1 exceeds 1/α at any time with probability at most α. The martingales are Robbins' (1970)
 * beta-binomial mixtures of likelihood ratios; Howard, Ramdas, McAuliffe & Sekhon (2021) give the
 * general theory. docs/STATISTICS.md has the formulas and the measured error rates.
 *
 * Owns: the confidence sequence for one success rate, the paired mixture test, the intervals for a
 * difference built from them, and the stopping rules. Pure functions; no I/O, no randomness.
 */
import { clopperPearsonInterval, logBeta, pairedTableTotal, type PairedTable } from './stats.ts';
import type { ReleaseVerdict } from './verdict.ts';

/**
 * Both shapes of the Beta mixing prior: Beta(½, ½), Jeffreys' prior. It puts weight near 0 and 1,
 * where policy success rates often are, so the sequence tightens quickly there; the price is a
 * slightly wider sequence around ½ than a uniform prior would give.
 */
export const MIXTURE_PRIOR = 0.5;

function checkCounts(successes: number, n: number, who: string): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`${who}: expected whole numbers 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
}

function checkAlpha(alpha: number, who: string): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`${who}: alpha: expected a number between 0 and 1, got ${alpha}`);
}

/**
 * log M_n(p) − log(1/alpha) for the beta-binomial mixture, given `offset` = log of the mixture's
 * marginal likelihood − log(1/alpha); 0·log 0 = 0 at the ends. Convex in p, least at S/n.
 */
function excess(p: number, offset: number, successes: number, failures: number): number {
  return offset - (successes > 0 ? successes * Math.log(p) : 0) - (failures > 0 ? failures * Math.log1p(-p) : 0);
}

/**
 * The p in (lo, hi) where `excess` crosses 0 (it does once there): Newton steps from `guess`,
 * falling back to bisection whenever a step would leave the bracket, so at worst it converges
 * like bisection. Plain arguments rather than closures: it runs after every episode.
 */
function boundary(offset: number, successes: number, failures: number, lo: number, hi: number, guess: number): number {
  const positiveAtLo = excess(lo, offset, successes, failures) > 0;
  let x = guess > lo && guess < hi ? guess : lo + (hi - lo) / 2;
  for (let i = 0; i < 200; i++) {
    const gx = excess(x, offset, successes, failures);
    if (gx === 0) return x;
    if (gx > 0 === positiveAtLo) lo = x;
    else hi = x;
    const step = gx / (failures / (1 - x) - successes / x);
    // A step this small is below rounding: x is the root to double precision.
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) return x;
    const newton = x - step;
    x = newton > lo && newton < hi ? newton : lo + (hi - lo) / 2;
    if (hi - lo <= 1e-15 * hi) return x;
  }
  return x;
}

/**
 * A (1 − alpha) confidence sequence for a success rate: with probability ≥ 1 − alpha it contains the
 * true rate after every episode at once. It is the set of rates p at which Robbins' beta-binomial
 * mixture martingale is still below 1/alpha,
 *   M_n(p) = [B(a + S, b + n − S) / B(a, b)] / [p^S (1 − p)^(n−S)],   a = b = MIXTURE_PRIOR,
 * an interval around S/n because log M_n is convex in p. Its ends are found in log space.
 */
export function confidenceSequence(successes: number, n: number, alpha = 0.05): [number, number] {
  checkCounts(successes, n, 'confidenceSequence');
  checkAlpha(alpha, 'confidenceSequence');
  if (n === 0) return [0, 1];
  const failures = n - successes;
  const offset = logBeta(MIXTURE_PRIOR + successes, MIXTURE_PRIOR + failures) - logBeta(MIXTURE_PRIOR, MIXTURE_PRIOR) + Math.log(alpha);
  const estimate = successes / n;
  // Starting points from the quadratic approximation of the log-likelihood about S/n:
  // log L(S/n) − log L(p) ≈ n (p − S/n)² / (2 p(1 − p)), set equal to what `excess` must rise by.
  const rise = -excess(estimate, offset, successes, failures);
  const radius = Math.sqrt((2 * Math.max(estimate * (1 - estimate), 1 / n) * rise) / n);
  const lo = successes === 0 ? 0 : boundary(offset, successes, failures, 0, estimate, estimate - radius);
  const hi = failures === 0 ? 1 : boundary(offset, successes, failures, estimate, 1, estimate + radius);
  return [lo, hi];
}

export interface PairedSequentialTest {
  /** log of the mixture e-value; the e-value itself overflows past about 700. */
  logEValue: number;
  eValue: number;
  /** eValue ≥ 1/alpha: the discordant pairs are not fair coin flips. */
  rejected: boolean;
  /** Which policy the discordant pairs favour, when rejected. */
  direction: 'A' | 'B' | null;
  alpha: number;
}

/**
 * The anytime-valid paired test: are "only A succeeded" and "only B succeeded" equally likely? Under
 * that hypothesis each discordant pair is a fair coin flip, and the mixture of likelihood ratios
 *   E = [B(a + onlyA, a + onlyB) / B(a, a)] / ½^(onlyA + onlyB),   a = MIXTURE_PRIOR,
 * is a nonnegative martingale with mean 1, so E ever reaching 1/alpha has probability ≤ alpha.
 * Concordant pairs carry no information about the difference and leave E as it was.
 */
export function pairedSequentialTest(onlyA: number, onlyB: number, alpha = 0.05): PairedSequentialTest {
  for (const [value, name] of [[onlyA, 'onlyA'], [onlyB, 'onlyB']] as const) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`pairedSequentialTest: ${name}: expected a whole number ≥ 0, got ${value}`);
  }
  checkAlpha(alpha, 'pairedSequentialTest');
  const logEValue = logBeta(MIXTURE_PRIOR + onlyA, MIXTURE_PRIOR + onlyB) - logBeta(MIXTURE_PRIOR, MIXTURE_PRIOR) + (onlyA + onlyB) * Math.LN2;
  const rejected = logEValue >= -Math.log(alpha);
  return { logEValue, eValue: Math.exp(logEValue), rejected, direction: rejected ? (onlyA > onlyB ? 'A' : 'B') : null, alpha };
}

export interface RateCounts {
  successes: number;
  n: number;
}

/**
 * An anytime-valid (1 − alpha) interval for pA − pB from paired episodes: confidence sequences at
 * alpha/2 for P(only A succeeds) and P(only B succeeds), whose difference pA − pB is, subtracted
 * end to end. Both cover at every look with probability ≥ 1 − alpha (union bound).
 */
export function anytimePairedInterval(table: PairedTable, alpha = 0.05): [number, number] {
  const n = pairedTableTotal(table, 'anytimePairedInterval');
  checkAlpha(alpha, 'anytimePairedInterval');
  const [loA, hiA] = confidenceSequence(table.onlyA, n, alpha / 2);
  const [loB, hiB] = confidenceSequence(table.onlyB, n, alpha / 2);
  return [Math.max(-1, loA - hiB), Math.min(1, hiA - loB)];
}

/**
 * An anytime-valid (1 − alpha) interval for candidate − baseline rate from independent episodes,
 * when the baseline's episodes were all run before the candidate's and are not added to: a
 * Clopper–Pearson interval at alpha/2 for the baseline (fixed n) and a confidence sequence at
 * alpha/2 for the candidate (checked after every episode), subtracted end to end (union bound).
 */
export function anytimeUnpairedInterval(candidate: RateCounts, baseline: RateCounts, alpha = 0.05): [number, number] {
  checkCounts(candidate.successes, candidate.n, 'anytimeUnpairedInterval: candidate');
  checkCounts(baseline.successes, baseline.n, 'anytimeUnpairedInterval: baseline');
  checkAlpha(alpha, 'anytimeUnpairedInterval');
  const [loC, hiC] = confidenceSequence(candidate.successes, candidate.n, alpha / 2);
  const [loB, hiB] = clopperPearsonInterval(baseline.successes, baseline.n, alpha / 2);
  return [Math.max(-1, loC - hiB), Math.min(1, hiC - loB)];
}

/**
 * When `simloop eval --until` stops.
 * - ci-width: once the anytime-valid interval (of the rate, or of the difference when comparing) is
 *   at most `width` wide.
 * - decided: once the comparison with the baseline is decided — the candidate improved or
 *   regressed (the anytime-valid test rejects), or it held (the anytime-valid interval for the
 *   difference lies inside (−margin, +margin)).
 * alpha defaults to 0.05.
 */
export type StopRule = { kind: 'ci-width'; width: number; alpha?: number } | { kind: 'decided'; margin: number; alpha?: number };

/**
 * What the rule looks at: one policy's counts; a paired table (candidate = A, baseline = B, on the
 * same seeds); or a candidate's counts against a baseline's fixed, already-run counts.
 */
export type SequentialData = RateCounts | { table: PairedTable } | { candidate: RateCounts; baseline: RateCounts };

export type SequentialDecision = Exclude<ReleaseVerdict, 'underpowered'>;

export interface SequentialStatus {
  stop: boolean;
  /** One sentence a person can read: why it stops, or what it is waiting for. */
  reason: string;
  /** The anytime-valid interval the rule looked at: of the rate, or of candidate − baseline. */
  interval: [number, number];
  width: number;
  /** For `decided`: the decision once there is one; null before, and always for `ci-width`. */
  decision: SequentialDecision | null;
}

const fixed = (x: number) => x.toFixed(3);
const signed = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '') + Math.abs(x).toFixed(3);
const level = (alpha: number) => `${Number(((1 - alpha) * 100).toPrecision(6))}%`;

/** Should the evaluation stop now? Call after every episode; the answer is valid at every call. */
export function sequentialStatus(rule: StopRule, data: SequentialData): SequentialStatus {
  const alpha = rule.alpha ?? 0.05;
  checkAlpha(alpha, `sequentialStatus: ${rule.kind}`);
  if (rule.kind === 'ci-width') {
    if (!(rule.width > 0 && rule.width <= 2)) throw new RangeError(`sequentialStatus: ci-width: width: expected a number greater than 0 and at most 2, got ${rule.width}`);
    const comparing = 'table' in data || 'candidate' in data;
    const interval = 'table' in data ? anytimePairedInterval(data.table, alpha) : 'candidate' in data ? anytimeUnpairedInterval(data.candidate, data.baseline, alpha) : confidenceSequence(data.successes, data.n, alpha);
    const width = interval[1] - interval[0];
    const stop = width <= rule.width;
    const what = `the ${level(alpha)} anytime-valid interval ${comparing ? `for the difference, ${signed(interval[0])} to ${signed(interval[1])},` : `${fixed(interval[0])}–${fixed(interval[1])}`}`;
    const reason = stop ? `${what} is ${fixed(width)} wide, within the ${rule.width} asked for` : `${what} is ${fixed(width)} wide; continuing until it is at most ${rule.width}`;
    return { stop, reason, interval, width, decision: null };
  }
  if (!(rule.margin > 0 && rule.margin < 1)) throw new RangeError(`sequentialStatus: decided: margin: expected a number between 0 and 1, got ${rule.margin}`);
  const margin = rule.margin;
  const paired = 'table' in data;
  if (!paired && !('candidate' in data)) throw new RangeError("sequentialStatus: decided: needs a comparison (a paired table, or candidate and baseline counts), not one policy's counts");
  const interval = paired ? anytimePairedInterval(data.table, alpha) : anytimeUnpairedInterval(data.candidate, data.baseline, alpha);
  let decision: SequentialDecision | null = null;
  let evidence = '';
  if (paired) {
    const test = pairedSequentialTest(data.table.onlyA, data.table.onlyB, alpha);
    if (test.direction) decision = test.direction === 'A' ? 'improved' : 'regressed';
    const e = test.eValue < 1e6 ? String(Number(test.eValue.toPrecision(3))) : test.eValue.toExponential(2);
    evidence = `the paired e-value is ${e}, ${decision ? 'at least' : 'short of'} 1/α = ${Number((1 / alpha).toPrecision(6))} (${data.table.onlyA} seeds only the candidate solved, ${data.table.onlyB} only the baseline)`;
  } else if (interval[0] > 0) decision = 'improved';
  else if (interval[1] < 0) decision = 'regressed';
  if (!decision && interval[0] > -margin && interval[1] < margin) decision = 'held';
  const width = interval[1] - interval[0];
  const where = `the ${level(alpha)} anytime-valid interval for candidate − baseline is ${signed(interval[0])} to ${signed(interval[1])}`;
  let reason: string;
  if (decision === 'held') reason = `the candidate held: ${where}, inside ±${margin}`;
  else if (decision && paired) reason = `the candidate ${decision}: ${evidence}; ${where}`;
  else if (decision) reason = `the candidate ${decision}: ${where}, excluding 0`;
  else if (paired) reason = `undecided: ${evidence}, and ${where}, reaching beyond ±${margin}`;
  else reason = `undecided: ${where}, including 0 and reaching beyond ±${margin}`;
  return { stop: decision !== null, reason, interval, width, decision };
}

/**
 * How many episodes an evaluation needs: `simloop eval --plan --difference D --power P`.
 *
 * Two designs, both for a two-sided test at level alpha:
 * - unpaired: each policy on its own seeds, compared as R's power.prop.test plans it (normal
 *   approximation, equal group sizes) — the episode count per policy;
 * - paired: both policies on the same seeds, compared with McNemar's test, planned with Connor's
 *   (1987) formula — the number of seeds, each run once by each policy.
 * A change of D can be an improvement or a regression; both are planned for and the larger count is
 * reported. Pure functions. docs/STATISTICS.md has the formulas and what the defaults assume.
 */
import { normalCdf, normalQuantile } from './stats.ts';

export interface PlanRequest {
  /** The smallest change in success rate worth detecting, either way (0 < D < 1). */
  difference: number;
  /** Probability of detecting it when it is there (0 < power < 1), e.g. 0.8. */
  power: number;
  /** Two-sided significance level; default 0.05. */
  alpha?: number;
  /** The baseline's expected success rate; default 0.5, which needs the most episodes. */
  rate?: number;
  /**
   * Paired design: the expected share of seeds on which exactly one policy succeeds. Default: the
   * policies' outcomes independent given their rates, p₁(1 − p₂) + p₂(1 − p₁) — an upper bound in
   * practice, because the same seed tends to be easy or hard for both.
   */
  discordance?: number;
}

export interface SampleSizePlan {
  /** Episodes for each policy on separate seeds (R's power.prop.test n, rounded up). */
  unpaired_per_policy: number;
  /** Seeds for a paired evaluation, each run by both policies (Connor 1987, rounded up). */
  paired: number;
  assumptions: {
    difference: number;
    power: number;
    alpha: number;
    baseline_rate: number;
    /** The candidate rate the counts were computed for: baseline ± difference, the harder one. */
    candidate_rate: number;
    discordance: number;
    discordance_source: 'given' | 'independent outcomes';
    unpaired_test: 'two-sided two-proportion z-test (R power.prop.test)';
    paired_test: 'two-sided McNemar test (Connor 1987)';
  };
}

/**
 * The power R's power.prop.test reports for n episodes per policy (two-sided, strict = FALSE):
 * Φ((√n |p₁ − p₂| − z_{α/2} √((p₁ + p₂)(q₁ + q₂)/2)) / √(p₁q₁ + p₂q₂)).
 */
export function unpairedPower(n: number, p1: number, p2: number, alpha = 0.05): number {
  const q1 = 1 - p1;
  const q2 = 1 - p2;
  const z = normalQuantile(1 - alpha / 2);
  return normalCdf((Math.sqrt(n) * Math.abs(p1 - p2) - z * Math.sqrt(((p1 + p2) * (q1 + q2)) / 2)) / Math.sqrt(p1 * q1 + p2 * q2));
}

/** The n at which `unpairedPower` equals `power`, solved exactly (R finds the same n by uniroot). */
export function unpairedSampleSize(p1: number, p2: number, power: number, alpha = 0.05): number {
  const q1 = 1 - p1;
  const q2 = 1 - p2;
  const root = normalQuantile(1 - alpha / 2) * Math.sqrt(((p1 + p2) * (q1 + q2)) / 2) + normalQuantile(power) * Math.sqrt(p1 * q1 + p2 * q2);
  return (root / (p1 - p2)) ** 2;
}

/**
 * Connor's (1987) seeds for McNemar's test: n = [z_{α/2} √ψ + z_β √(ψ − Δ²)]² / Δ², with ψ the
 * discordance (share of seeds where exactly one policy succeeds) and Δ the difference in rates.
 */
export function pairedSampleSize(difference: number, discordance: number, power: number, alpha = 0.05): number {
  const d2 = difference * difference;
  const root = normalQuantile(1 - alpha / 2) * Math.sqrt(discordance) + normalQuantile(power) * Math.sqrt(discordance - d2);
  return (root * root) / d2;
}

function between0And1(value: number | undefined, flag: string): void {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new RangeError(`${flag}: expected a number between 0 and 1, got ${value}`);
}

/** Whole episodes, rounding up but forgiving the last bits of floating-point noise. */
const episodesFor = (n: number) => Math.max(1, Math.ceil(n - 1e-9));

/** How many episodes find a change of `difference` with probability `power`? */
export function planSampleSize(request: PlanRequest): SampleSizePlan {
  const { difference, power } = request;
  const alpha = request.alpha ?? 0.05;
  const rate = request.rate ?? 0.5;
  between0And1(difference, '--difference');
  between0And1(power, '--power');
  between0And1(alpha, '--alpha');
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`--rate: expected a number from 0 to 1, got ${rate}`);
  const candidates = [rate + difference, rate - difference].filter((p) => p >= 0 && p <= 1);
  if (candidates.length === 0) throw new RangeError(`--difference: a change of ${difference} from a rate of ${rate} leaves the range 0 to 1`);
  if (request.discordance !== undefined) {
    const psi = request.discordance;
    if (typeof psi !== 'number' || !(psi >= difference && psi <= 1)) throw new RangeError(`--discordance: expected a number from the difference (${difference}) to 1, got ${psi}`);
  }
  let plan: { unpaired: number; paired: number; candidate: number; discordance: number } | null = null;
  for (const candidate of candidates) {
    const discordance = request.discordance ?? rate * (1 - candidate) + candidate * (1 - rate);
    const unpaired = unpairedSampleSize(rate, candidate, power, alpha);
    const paired = pairedSampleSize(difference, discordance, power, alpha);
    if (!plan || unpaired > plan.unpaired) plan = { unpaired, paired, candidate, discordance };
  }
  const chosen = plan!;
  return {
    unpaired_per_policy: episodesFor(chosen.unpaired),
    paired: episodesFor(chosen.paired),
    assumptions: {
      difference,
      power,
      alpha,
      baseline_rate: rate,
      candidate_rate: chosen.candidate,
      discordance: chosen.discordance,
      discordance_source: request.discordance === undefined ? 'independent outcomes' : 'given',
      unpaired_test: 'two-sided two-proportion z-test (R power.prop.test)',
      paired_test: 'two-sided McNemar test (Connor 1987)',
    },
  };
}

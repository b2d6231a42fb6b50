/**
 * Statistics for policy evaluation: how sure a success rate is, and whether two differ.
 *
 * - Wilson score interval (Wilson 1927) for a binomial proportion: unlike the normal ("Wald")
 *   interval it stays inside [0, 1] and keeps close to its nominal coverage at the small n and
 *   extreme rates policy evaluations have (0/20, 19/20).
 * - Fisher's exact test on the 2×2 table (successes, failures) × (A, B), two-sided as R's
 *   fisher.test computes it: the probability, with both margins fixed, of a table no more likely
 *   than the one observed. Exact at any n, which z-tests are not at 20 episodes a side.
 */

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z95 = 1.959963984540054;

/** The Wilson score interval [lo, hi] for `successes` of `n` at the given z (default 95%). */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`wilsonInterval: expected whole numbers 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp rounding (the exact bounds at 0 and n successes are 0 and 1).
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let k = logFactorials.length; k <= n; k++) logFactorials.push(logFactorials[k - 1]! + Math.log(k));
  return logFactorials[n]!;
}

/** log P(X = x) for the hypergeometric: x successes of A among `successes` total, table margins fixed. */
function logHypergeometric(x: number, nA: number, nB: number, successes: number): number {
  const logChoose = (n: number, k: number) => logFactorial(n) - logFactorial(k) - logFactorial(n - k);
  return logChoose(nA, x) + logChoose(nB, successes - x) - logChoose(nA + nB, successes);
}

export interface RateComparison {
  /** Success rates of A and B. */
  rateA: number;
  rateB: number;
  /** rateA − rateB. */
  difference: number;
  /** Two-sided p-value of Fisher's exact test. */
  pValue: number;
  /** pValue < alpha. */
  significant: boolean;
  alpha: number;
  test: 'fisher-exact-two-sided';
}

/** Do A (kA of nA) and B (kB of nB) succeed at different rates? Fisher's exact test, two-sided. */
export function compareSuccessRates(kA: number, nA: number, kB: number, nB: number, alpha = 0.05): RateComparison {
  for (const [k, n, name] of [[kA, nA, 'A'], [kB, nB, 'B']] as const) {
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`compareSuccessRates: ${name}: expected whole numbers 0 ≤ successes ≤ episodes, episodes ≥ 1, got ${k} of ${n}`);
  }
  const successes = kA + kB;
  const lo = Math.max(0, successes - nB);
  const hi = Math.min(nA, successes);
  const observed = logHypergeometric(kA, nA, nB, successes);
  // R's relative tolerance: tables as likely as the observed one, up to rounding, count.
  const tolerance = 1e-7;
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const logP = logHypergeometric(x, nA, nB, successes);
    if (logP <= observed + Math.log1p(tolerance)) p += Math.exp(logP);
  }
  const pValue = Math.min(1, p);
  return { rateA: kA / nA, rateB: kB / nB, difference: kA / nA - kB / nB, pValue, significant: pValue < alpha, alpha, test: 'fisher-exact-two-sided' };
}

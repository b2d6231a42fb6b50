/**
 * Statistics for policy evaluation: how sure a success rate is, and whether two differ.
 *
 * Owns the fixed-sample procedures (the number of episodes is decided before looking) and the
 * special functions every procedure in src/engine/eval shares. Pure functions: no I/O, no
 * randomness. docs/STATISTICS.md is the reference, with the papers each formula comes from.
 *
 * - Wilson score interval (Wilson 1927) for a binomial proportion: unlike the normal ("Wald")
 *   interval it stays inside [0, 1] and keeps close to its nominal coverage at the small n and
 *   extreme rates policy evaluations have (0/20, 19/20).
 * - Clopper–Pearson ("exact") interval: never below its nominal coverage; the sequential rules use
 *   it for a baseline whose episodes were all run before the candidate's.
 * - Fisher's exact test on the 2×2 table (successes, failures) × (A, B), two-sided as R's
 *   fisher.test computes it: the probability, with both margins fixed, of a table no more likely
 *   than the one observed. Exact at any n, which z-tests are not at 20 episodes a side. Its
 *   interval for the difference is Newcombe's hybrid score interval (1998, method 10).
 * - Paired comparisons (both policies on the same seeds): the exact McNemar test on the
 *   discordant pairs and Newcombe's paired score interval (1998, method 10). Pairing removes the
 *   seed-to-seed variation both policies share, so it needs fewer episodes for the same power.
 */

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z95 = 1.959963984540054;

// ── Special functions ───────────────────────────────────────────────────────────────────────────

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log Γ(x) for x > 0, to about 1e-15: Stirling's series (to the x⁻⁹ term, whose successor is below
 * 1e-16 once x ≥ 15), reached from smaller x through Γ(x) = Γ(x + k) / (x (x + 1) … (x + k − 1)).
 */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma: expected a finite number > 0, got ${x}`);
  let product = 1;
  while (x < 15) {
    product *= x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // Bernoulli-number coefficients B₂ₖ / (2k (2k − 1)): 1/12, −1/360, 1/1260, −1/1680, 1/1188.
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series - Math.log(product);
}

/** log n!, summed once and remembered: the exact tests add up many of these. */
const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let k = logFactorials.length; k <= n; k++) logFactorials.push(logFactorials[k - 1]! + Math.log(k));
  return logFactorials[n]!;
}

/** log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** erfc(t) for t ≥ 0, to about 1e-15 relative. */
function erfcNonNegative(t: number): number {
  if (t < 2) {
    // erf(t) = (2/√π) e^(−t²) Σₖ (2t²)ᵏ t / (1·3·…·(2k + 1)): every term positive, so no cancellation.
    const twoT2 = 2 * t * t;
    let term = t;
    let sum = t;
    for (let k = 1; term > 1e-17 * sum; k++) {
      term *= twoT2 / (2 * k + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-t * t) * sum;
  }
  // erfc(t) = e^(−t²)/√π · 1/(t + ½/(t + 1/(t + (3/2)/(t + …)))), evaluated by Lentz's method.
  const tiny = 1e-300;
  let f = t;
  let c = t;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = t + a * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = t + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-t * t) / Math.sqrt(Math.PI) / f;
}

/** Φ(x), the standard normal distribution function. The lower tail keeps its relative accuracy. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x < 0 ? 0.5 * erfcNonNegative(-x / Math.SQRT2) : 1 - 0.5 * erfcNonNegative(x / Math.SQRT2);
}

/**
 * Φ⁻¹(p), the standard normal quantile: Acklam's rational approximation (relative error below
 * 1.2e-9) polished by two Halley steps on Φ(x) = p, which take it to double precision.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: expected a probability between 0 and 1, got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  // 1 − p is exact for p ≥ ½, and the lower tail is where Φ keeps its relative accuracy.
  return p > 0.5 ? -lowerNormalQuantile(1 - p) : lowerNormalQuantile(p);
}

function lowerNormalQuantile(p: number): number {
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783) /
      ((((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.383577518672690e2) * r - 3.066479806614716e1) * r + 2.506628277459239) * q) /
      (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r - 1.328068155288572e1) * r + 1);
  }
  for (let step = 0; step < 2; step++) {
    const u = (normalCdf(x) - p) * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
    const next = x - u / (1 + (x * u) / 2);
    // Below p ≈ 1e-300 the density underflows; the approximation alone is then the answer.
    if (!Number.isFinite(next)) break;
    x = next;
  }
  return x;
}

/**
 * The regularized incomplete beta function I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b), from its
 * continued fraction (DLMF 8.17.22), used on whichever side of the mean it converges fast.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`regularizedBeta: expected shapes a, b > 0, got ${a}, ${b}`);
  if (!(x > 0)) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** 1/(1 + d₁/(1 + d₂/(1 + …))) with DLMF 8.17.22's coefficients, by Lentz's method. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let k = 1; k < 10_000; k++) {
    const m = k >> 1;
    const coefficient = k % 2 === 1
      ? (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
      : (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + coefficient * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = 1 + coefficient / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return 1 / f;
}

/** The x with I_x(a, b) = q, by bisection (I_x rises with x; 60 halvings reach double precision). */
function betaQuantile(q: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ── One success rate ────────────────────────────────────────────────────────────────────────────

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

const clopperPearsonCache = new Map<string, [number, number]>();

/**
 * The Clopper–Pearson interval [lo, hi] for `successes` of `n` at level 1 − alpha: the rates whose
 * one-sided binomial tails each exceed alpha/2, i.e. Beta quantiles. Conservative at every n.
 * Remembers recent answers: a sequential rule asks for the same baseline after every episode.
 */
export function clopperPearsonInterval(successes: number, n: number, alpha = 0.05): [number, number] {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`clopperPearsonInterval: expected whole numbers 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
  checkAlpha(alpha, 'clopperPearsonInterval');
  if (n === 0) return [0, 1];
  const key = `${successes}/${n}/${alpha}`;
  let interval = clopperPearsonCache.get(key);
  if (!interval) {
    const lo = successes === 0 ? 0 : betaQuantile(alpha / 2, successes, n - successes + 1);
    const hi = successes === n ? 1 : betaQuantile(1 - alpha / 2, successes + 1, n - successes);
    interval = [lo, hi];
    if (clopperPearsonCache.size >= 4096) clopperPearsonCache.clear();
    clopperPearsonCache.set(key, interval);
  }
  return [interval[0], interval[1]];
}

function checkAlpha(alpha: number, who: string): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`${who}: alpha: expected a number between 0 and 1, got ${alpha}`);
}

// ── Two independent success rates ───────────────────────────────────────────────────────────────

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
  /** 95% interval for rateA − rateB: Newcombe's hybrid score interval (method 10). */
  ci95: [number, number];
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
  const ci95 = newcombeUnpairedInterval(kA, nA, kB, nB);
  return { rateA: kA / nA, rateB: kB / nB, difference: kA / nA - kB / nB, ci95, pValue, significant: pValue < alpha, alpha, test: 'fisher-exact-two-sided' };
}

/**
 * Newcombe's hybrid score interval for pA − pB of independent samples (Newcombe 1998, Statistics in
 * Medicine 17:873–890, method 10): each side's distance from the estimate is the root of the sum of
 * squares of the matching Wilson half-widths, e.g. lower = d − √((pA − lA)² + (uB − pB)²).
 */
export function newcombeUnpairedInterval(kA: number, nA: number, kB: number, nB: number, z = Z95): [number, number] {
  for (const [k, n, name] of [[kA, nA, 'A'], [kB, nB, 'B']] as const) {
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`newcombeUnpairedInterval: ${name}: expected whole numbers 0 ≤ successes ≤ episodes, episodes ≥ 1, got ${k} of ${n}`);
  }
  const pA = kA / nA;
  const pB = kB / nB;
  const [lA, uA] = wilsonInterval(kA, nA, z);
  const [lB, uB] = wilsonInterval(kB, nB, z);
  const d = pA - pB;
  // The bounds stay within [lA − uB, uA − lB] ⊂ [−1, 1]; the clamp only catches rounding.
  return [Math.max(-1, d - Math.hypot(pA - lA, uB - pB)), Math.min(1, d + Math.hypot(uA - pA, pB - lB))];
}

// ── Two success rates on the same seeds ─────────────────────────────────────────────────────────

/** Episodes of A and B on the same seeds: both succeeded, only A, only B, neither. */
export interface PairedTable {
  both: number;
  onlyA: number;
  onlyB: number;
  neither: number;
}

/** The table's episode count, after checking its cells are whole numbers ≥ 0. */
export function pairedTableTotal(table: PairedTable, who: string): number {
  for (const cell of ['both', 'onlyA', 'onlyB', 'neither'] as const) {
    const value = table[cell];
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${who}: ${cell}: expected a whole number ≥ 0, got ${value}`);
  }
  return table.both + table.onlyA + table.onlyB + table.neither;
}

/**
 * The exact McNemar test, two-sided: under "A and B are equally good" each discordant pair is a
 * fair coin flip, so onlyA ~ Binomial(onlyA + onlyB, ½). p = min(1, 2·P(X ≤ min(onlyA, onlyB))),
 * which is what R's binom.test and exact2x2::mcnemar.exact give; 1 with no discordant pairs.
 */
export function mcnemarExact(onlyA: number, onlyB: number): number {
  for (const [value, name] of [[onlyA, 'onlyA'], [onlyB, 'onlyB']] as const) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`mcnemarExact: ${name}: expected a whole number ≥ 0, got ${value}`);
  }
  const m = onlyA + onlyB;
  if (m === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  // Smallest terms first; each is C(m, j) / 2^m.
  let tail = 0;
  for (let j = 0; j <= k; j++) tail += Math.exp(logFactorial(m) - logFactorial(j) - logFactorial(m - j) - m * Math.LN2);
  return Math.min(1, 2 * tail);
}

/**
 * φ, the correlation of A's and B's outcomes across the table, with Newcombe's correction: the
 * cross-product ad − bc is reduced by n/2 towards 0 when positive (to 0 if it is at most n/2) and
 * kept as it is when negative; φ = 0 when any margin is 0.
 */
function correctedPhi(table: PairedTable, n: number): number {
  const { both, onlyA, onlyB, neither } = table;
  const marginsA = (both + onlyA) * (onlyB + neither);
  const marginsB = (both + onlyB) * (onlyA + neither);
  if (marginsA === 0 || marginsB === 0) return 0;
  const cross = both * neither - onlyA * onlyB;
  const corrected = cross > n / 2 ? cross - n / 2 : cross >= 0 ? 0 : cross;
  return corrected / (Math.sqrt(marginsA) * Math.sqrt(marginsB));
}

/**
 * Newcombe's interval for pA − pB from paired data (Newcombe 1998, Statistics in Medicine
 * 17:2635–2650, method 10), pA = (both + onlyA)/n, pB = (both + onlyB)/n: the Wilson intervals
 * (lA, uA) and (lB, uB) of the two marginal rates, combined allowing for their correlation φ:
 *   lower = d − √((pA − lA)² − 2φ (pA − lA)(uB − pB) + (uB − pB)²)
 *   upper = d + √((uA − pA)² − 2φ (uA − pA)(pB − lB) + (pB − lB)²)
 * with φ corrected as `correctedPhi` says, which reproduces the paper's Table II. [−1, 1] when n = 0.
 */
export function newcombePairedInterval(table: PairedTable, z = Z95): [number, number] {
  const n = pairedTableTotal(table, 'newcombePairedInterval');
  if (n === 0) return [-1, 1];
  const kA = table.both + table.onlyA;
  const kB = table.both + table.onlyB;
  const pA = kA / n;
  const pB = kB / n;
  const [lA, uA] = wilsonInterval(kA, n, z);
  const [lB, uB] = wilsonInterval(kB, n, z);
  const phi = correctedPhi(table, n);
  const d = (table.onlyA - table.onlyB) / n;
  const spread = (x: number, y: number) => Math.sqrt(Math.max(0, x * x - 2 * phi * x * y + y * y));
  return [Math.max(-1, d - spread(pA - lA, uB - pB)), Math.min(1, d + spread(uA - pA, pB - lB))];
}

export interface PairedComparison {
  /** Success rates of A and B over the same seeds. */
  rateA: number;
  rateB: number;
  /** rateA − rateB = (onlyA − onlyB)/n. */
  difference: number;
  /** 95% interval for rateA − rateB: Newcombe's paired score interval (method 10). */
  ci95: [number, number];
  /** Two-sided p-value of the exact McNemar test. */
  pValue: number;
  /** pValue < alpha. */
  significant: boolean;
  alpha: number;
  test: 'mcnemar-exact';
  table: PairedTable;
}

/** Do A and B, run on the same seeds, succeed at different rates? The exact McNemar test. */
export function comparePaired(table: PairedTable, alpha = 0.05): PairedComparison {
  const n = pairedTableTotal(table, 'comparePaired');
  if (n === 0) throw new RangeError('comparePaired: expected at least one pair of episodes, got none');
  checkAlpha(alpha, 'comparePaired');
  const rateA = (table.both + table.onlyA) / n;
  const rateB = (table.both + table.onlyB) / n;
  const pValue = mcnemarExact(table.onlyA, table.onlyB);
  return {
    rateA,
    rateB,
    difference: (table.onlyA - table.onlyB) / n,
    ci95: newcombePairedInterval(table),
    pValue,
    significant: pValue < alpha,
    alpha,
    test: 'mcnemar-exact',
    table: { both: table.both, onlyA: table.onlyA, onlyB: table.onlyB, neither: table.neither },
  };
}

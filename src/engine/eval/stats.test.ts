import { describe, expect, it } from 'vitest';
import {
  Z95,
  clopperPearsonInterval,
  comparePaired,
  compareSuccessRates,
  logBeta,
  logGamma,
  mcnemarExact,
  newcombePairedInterval,
  newcombeUnpairedInterval,
  normalCdf,
  normalQuantile,
  regularizedBeta,
  wilsonInterval,
} from './stats.ts';

describe('wilsonInterval', () => {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
  // Medicine 17:857–872, Table II, method 3 (Wilson score), to the four places it prints.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i → [%f, %f] (Newcombe 1998)', (k, n, lo, hi) => {
    const [a, b] = wilsonInterval(k, n);
    expect(a).toBeCloseTo(lo, 4);
    expect(b).toBeCloseTo(hi, 4);
  });

  it('is [1 − hi, 1 − lo] of the complement, exactly 1 at n of n, and [0, 1] with no episodes', () => {
    const [lo, hi] = wilsonInterval(20, 20);
    expect(hi).toBe(1);
    expect(lo).toBeCloseTo(1 - 0.1611, 4);
    const a = wilsonInterval(7, 31);
    const b = wilsonInterval(24, 31);
    expect(a[0]).toBeCloseTo(1 - b[1], 12);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
  });

  it('refuses impossible counts', () => {
    expect(() => wilsonInterval(5, 4)).toThrow('expected whole numbers 0 ≤ successes ≤ n, got 5 of 4');
    expect(() => wilsonInterval(1.5, 4)).toThrow(RangeError);
  });
});

describe('compareSuccessRates (Fisher`s exact test, two-sided)', () => {
  it('gives Fisher`s tea-tasting p = 0.4857 (3 of 4 vs 1 of 4)', () => {
    const r = compareSuccessRates(3, 4, 1, 4);
    expect(r.pValue).toBeCloseTo(0.485714, 6); // = 34/70
    expect(r.significant).toBe(false);
    expect(r.difference).toBe(0.5);
  });

  it('gives p ≈ 0.00276 for 1 of 10 vs 11 of 14 (the dieting example in Fisher`s-test references)', () => {
    // Two-sided p = 0.002759 (R: fisher.test(matrix(c(1, 9, 11, 3), 2)))
    const r = compareSuccessRates(1, 10, 11, 14);
    expect(r.pValue).toBeCloseTo(0.002759, 6);
    expect(r.significant).toBe(true);
  });

  it('is symmetric in A and B, 1 for equal rates, and tiny for 10/10 vs 0/10', () => {
    expect(compareSuccessRates(12, 40, 30, 50).pValue).toBeCloseTo(compareSuccessRates(30, 50, 12, 40).pValue, 14);
    expect(compareSuccessRates(5, 10, 5, 10).pValue).toBeCloseTo(1, 12);
    // 1 / C(20, 10) twice: the two extreme tables.
    expect(compareSuccessRates(10, 10, 0, 10).pValue).toBeCloseTo(2 / 184756, 12);
  });

  it('also gives Newcombe`s hybrid score interval for the difference', () => {
    // Newcombe (1998b) Table II example (a): 56/70 − 48/80, method 10: 0.0524 to 0.3339.
    const r = compareSuccessRates(56, 70, 48, 80);
    expect(r.ci95[0]).toBeCloseTo(0.0524, 4);
    expect(r.ci95[1]).toBeCloseTo(0.3339, 4);
    expect(r.test).toBe('fisher-exact-two-sided');
  });

  it('refuses impossible counts, naming the side', () => {
    expect(() => compareSuccessRates(3, 2, 1, 4)).toThrow('A: expected whole numbers 0 ≤ successes ≤ episodes, episodes ≥ 1, got 3 of 2');
    expect(() => compareSuccessRates(1, 2, 0, 0)).toThrow(/B:/);
  });
});

describe('special functions', () => {
  it('logGamma matches Γ at known points and scipy.special.gammaln elsewhere', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13); // Γ(½) = √π
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 12); // 10!
    // scipy 1.10.1: scipy.special.gammaln(x)
    expect(logGamma(7.3)).toBeCloseTo(7.147892523022249, 12);
    expect(logGamma(100.25)).toBeCloseTo(360.28455963776423, 11);
    expect(logGamma(10000.5)).toBeCloseTo(82104.32265412837, 9);
    expect(logGamma(0.001)).toBeCloseTo(6.907178885383853, 12);
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 13); // B(2, 3) = 1!·2!/4!
    expect(() => logGamma(0)).toThrow(RangeError);
  });

  it('normalCdf and normalQuantile agree with scipy.stats.norm to double precision', () => {
    // scipy 1.10.1: scipy.stats.norm.cdf / scipy.stats.norm.ppf
    expect(normalCdf(-8) / 6.22096057427174e-16).toBeCloseTo(1, 12);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 16);
    expect(normalCdf(-1.5)).toBeCloseTo(0.06680720126885807, 15);
    expect(normalCdf(0.5)).toBeCloseTo(0.6914624612740131, 15);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalQuantile(0.975)).toBeCloseTo(Z95, 14);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 14);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(normalQuantile(1e-300)).toBeCloseTo(-37.0470962993612, 11);
    expect(normalQuantile(0.999999)).toBeCloseTo(4.753424308817087, 9);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    for (const p of [1e-6, 0.01, 0.3, 0.7, 0.99]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 15);
  });

  it('regularizedBeta matches closed forms and scipy.special.betainc', () => {
    // I_x(1, b) = 1 − (1 − x)^b, and I_½(a, a) = ½.
    expect(regularizedBeta(0.01, 1, 50)).toBeCloseTo(1 - 0.99 ** 50, 14);
    expect(regularizedBeta(0.5, 0.5, 0.5)).toBeCloseTo(0.5, 14);
    // scipy 1.10.1: scipy.special.betainc(2, 5, 0.3) and betainc(30, 4, 0.9)
    expect(regularizedBeta(0.3, 2, 5)).toBeCloseTo(0.579825, 13);
    expect(regularizedBeta(0.9, 30, 4)).toBeCloseTo(0.5769436641256928, 13);
  });
});

describe('clopperPearsonInterval', () => {
  // scipy 1.10.1: scipy.stats.beta.ppf(alpha/2, k, n − k + 1) and beta.ppf(1 − alpha/2, k + 1, n − k);
  // the 7-of-20 interval is also R's binom.test(7, 20)$conf.int.
  it.each([
    [7, 20, 0.05, 0.15390920478454118, 0.5921885345328282],
    [0, 20, 0.05, 0, 0.1684334709830853],
    [20, 20, 0.05, 0.8315665290169146, 1],
    [1, 29, 0.05, 0.000872646883579922, 0.1776442954887229],
    [60, 100, 0.05, 0.49720915042233477, 0.6967052312971226],
    [60, 100, 0.1, 0.5129758202538944, 0.6824739847635006],
  ])('%i of %i at alpha %f → [%f, %f]', (k, n, alpha, lo, hi) => {
    const [a, b] = clopperPearsonInterval(k, n, alpha);
    expect(a).toBeCloseTo(lo, 12);
    expect(b).toBeCloseTo(hi, 12);
  });

  it('is at least as wide as Wilson`s, and [0, 1] with no episodes', () => {
    const [cl, ch] = clopperPearsonInterval(13, 40);
    const [wl, wh] = wilsonInterval(13, 40);
    expect(cl).toBeLessThan(wl);
    expect(ch).toBeGreaterThan(wh);
    expect(clopperPearsonInterval(0, 0)).toEqual([0, 1]);
    expect(() => clopperPearsonInterval(3, 2)).toThrow(RangeError);
  });
});

describe('newcombeUnpairedInterval (Newcombe 1998b, method 10)', () => {
  // Rows (a) and (b): Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10, to the
  // four places printed. Every row: statsmodels 0.13.5,
  // confint_proportions_2indep(kA, nA, kB, nB, method='newcomb', compare='diff').
  it.each([
    [56, 70, 48, 80, 0.05243147240236498, 0.33387265403690614],
    [9, 10, 3, 10, 0.1705227239345029, 0.809017973535488],
    [6, 7, 2, 7, 0.05822792748231209, 0.8062496375242278],
    [5, 56, 0, 29, -0.038137147903536936, 0.19256001385511165],
    [0, 10, 0, 20, -0.1611251580528194, 0.27753279986288926],
    [0, 10, 0, 10, -0.27753279986288926, 0.27753279986288926],
    [10, 10, 0, 20, 0.6790860371419145, 1],
    [10, 10, 0, 10, 0.6075093504305241, 1],
  ])('%i/%i − %i/%i → [%f, %f]', (kA, nA, kB, nB, lo, hi) => {
    const [a, b] = newcombeUnpairedInterval(kA, nA, kB, nB);
    expect(a).toBeCloseTo(lo, 12);
    expect(b).toBeCloseTo(hi, 12);
  });

  it('mirrors when A and B swap, and refuses empty samples', () => {
    const [lo, hi] = newcombeUnpairedInterval(13, 31, 22, 40);
    const [lo2, hi2] = newcombeUnpairedInterval(22, 40, 13, 31);
    expect(lo).toBeCloseTo(-hi2, 14);
    expect(hi).toBeCloseTo(-lo2, 14);
    expect(() => newcombeUnpairedInterval(0, 0, 1, 2)).toThrow('A: expected whole numbers');
  });
});

describe('mcnemarExact (two-sided exact McNemar)', () => {
  // scipy 1.10.1: scipy.stats.binomtest(onlyA, onlyA + onlyB, 0.5).pvalue; the 150 vs 86 row is also
  // statsmodels 0.13.5 mcnemar([[794, 150], [86, 570]], exact=True).pvalue (Agresti's presidential
  // approval ratings).
  it.each([
    [12, 2, 0.012939453125],
    [2, 12, 0.012939453125],
    [1, 9, 0.021484375],
    [10, 0, 0.001953125],
    [3, 17, 0.0025768280029296875],
    [25, 40, 0.08168153394154003],
    [150, 86, 3.715936139571387e-5],
  ])('%i vs %i discordant → p = %f', (a, b, p) => {
    expect(mcnemarExact(a, b) / p).toBeCloseTo(1, 12);
  });

  it('is 1 with equal or no discordant pairs, and 2·2⁻ᵐ when every discordant pair goes one way', () => {
    expect(mcnemarExact(5, 5)).toBe(1);
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(mcnemarExact(0, 1)).toBe(1);
    expect(mcnemarExact(0, 6)).toBeCloseTo(2 / 64, 15);
    expect(() => mcnemarExact(-1, 3)).toThrow('onlyA: expected a whole number ≥ 0, got -1');
  });
});

describe('newcombePairedInterval (Newcombe 1998a, method 10)', () => {
  // Newcombe (1998), Statistics in Medicine 17:2635–2650, Table II, method 10, to the four places
  // printed (cells a, b, c, d = both, onlyA, onlyB, neither). Rows 2 and 3 tell the φ correction
  // apart: the uncorrected φ gives 0.0618 to 0.3239 and ±0.0640 instead.
  it.each([
    [36, 12, 2, 0, 0.0569, 0.3404],
    [18, 12, 2, 18, 0.0562, 0.329],
    [53, 0, 0, 1, -0.0729, 0.0729],
    [0, 30, 0, 0, 0.8395, 1],
  ])('%i, %i, %i, %i → [%f, %f]', (both, onlyA, onlyB, neither, lo, hi) => {
    const [a, b] = newcombePairedInterval({ both, onlyA, onlyB, neither });
    expect(a).toBeCloseTo(lo, 4);
    expect(b).toBeCloseTo(hi, 4);
  });

  it('is narrower than the unpaired interval when the two policies fail on the same seeds', () => {
    // 50 seeds, 40 and 30 successes; outcomes strongly correlated (only 10 discordant pairs).
    const [pl, ph] = newcombePairedInterval({ both: 30, onlyA: 10, onlyB: 0, neither: 10 });
    const [ul, uh] = newcombeUnpairedInterval(40, 50, 30, 50);
    expect(ph - pl).toBeLessThan(0.7 * (uh - ul));
    expect(newcombePairedInterval({ both: 0, onlyA: 0, onlyB: 0, neither: 0 })).toEqual([-1, 1]);
  });
});

describe('comparePaired', () => {
  it('reports both rates, the difference, Newcombe`s interval and McNemar`s p', () => {
    const table = { both: 18, onlyA: 12, onlyB: 2, neither: 18 };
    const r = comparePaired(table);
    expect(r.rateA).toBeCloseTo(30 / 50, 15);
    expect(r.rateB).toBeCloseTo(20 / 50, 15);
    expect(r.difference).toBeCloseTo(0.2, 15);
    expect(r.ci95[0]).toBeCloseTo(0.0562, 4);
    expect(r.ci95[1]).toBeCloseTo(0.329, 4);
    expect(r.pValue).toBeCloseTo(0.012939453125, 14);
    expect(r).toMatchObject({ significant: true, alpha: 0.05, test: 'mcnemar-exact', table });
    expect(comparePaired(table, 0.01).significant).toBe(false);
  });

  it('refuses negative or fractional cells and empty tables, naming the cell', () => {
    expect(() => comparePaired({ both: 1, onlyA: -2, onlyB: 0, neither: 0 })).toThrow('comparePaired: onlyA: expected a whole number ≥ 0, got -2');
    expect(() => comparePaired({ both: 0, onlyA: 0, onlyB: 0, neither: 0 })).toThrow('at least one pair');
    expect(() => comparePaired({ both: 1, onlyA: 0, onlyB: 0, neither: 0 }, 1)).toThrow('alpha');
  });
});

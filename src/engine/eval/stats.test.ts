import { describe, expect, it } from 'vitest';
import { compareSuccessRates, wilsonInterval } from './stats.ts';

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

  it('refuses impossible counts, naming the side', () => {
    expect(() => compareSuccessRates(3, 2, 1, 4)).toThrow('A: expected whole numbers 0 ≤ successes ≤ episodes, episodes ≥ 1, got 3 of 2');
    expect(() => compareSuccessRates(1, 2, 0, 0)).toThrow(/B:/);
  });
});

/** Draws are pure functions of (seed, index, path) with the statistics their distributions promise. */
import { describe, expect, it } from 'vitest';
import {
  type Distribution,
  type DrawContext,
  choiceIndex,
  drawCategory,
  drawNumber,
  drawVec3,
  normal,
  normalCdf,
  normalQuantile,
  round7,
  uniformInt,
  unit,
} from './draw.ts';

const N = 20_000;

function moments(xs: number[]) {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

function correlation(a: number[], b: number[]) {
  const ma = moments(a);
  const mb = moments(b);
  let cov = 0;
  for (let i = 0; i < a.length; i++) cov += (a[i]! - ma.mean) * (b[i]! - mb.mean);
  return cov / (a.length - 1) / Math.sqrt(ma.variance * mb.variance);
}

const series = (f: (i: number) => number, n = N) => Array.from({ length: n }, (_, i) => f(i));
const standardPdf = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);

describe('unit(seed, index, path)', () => {
  it('is a pure function: the same inputs give the same value whatever was drawn before', () => {
    const a = unit(42, 5, '/World/Objects/RedCube:color[0]');
    series((i) => unit(i, i, `noise${i}`), 1000);
    expect(unit(42, 5, '/World/Objects/RedCube:color[0]')).toBe(a);
  });

  it('gives the same value on every machine and version (datasets must reproduce): known answers', () => {
    // If these change, every dataset generated so far stops being reproducible from its seed.
    expect(unit(0, 0, '')).toBe(0.38107799454293767);
    expect(unit(0, 1, '')).toBe(0.7053379720464583);
    expect(unit(1, 0, '')).toBe(0.5199245656010555);
    expect(unit(0, 0, 'a')).toBe(0.2931813861090824);
  });

  it('changes with each of seed, index and path, including large counters and non-ASCII paths', () => {
    const base = unit(1, 2, 'p');
    expect(new Set([base, unit(2, 2, 'p'), unit(1, 3, 'p'), unit(1, 2, 'q'), unit(1, 2, 'p\0'), unit(2 ** 40, 2, 'p'), unit(1, 2 ** 40 + 2, 'p'), unit(1, 2, 'p→')]).size).toBe(8);
    // Seed and index are not interchangeable.
    expect(unit(1, 2, 'p')).not.toBe(unit(2, 1, 'p'));
  });

  it('lies in [0, 1) and is uniform: mean 1/2, variance 1/12, every sixteenth equally full', () => {
    const xs = series((i) => unit(7, i, 'x'));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
    const bins = new Array<number>(16).fill(0);
    for (const x of xs) bins[Math.floor(x * 16)]!++;
    const expected = N / 16;
    const chi2 = bins.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(37.7); // χ²(15), p = 0.001
  });

  it('is uncorrelated between neighbouring indices, neighbouring paths and neighbouring seeds', () => {
    const xs = series((i) => unit(3, i, 'p[0]'));
    expect(Math.abs(correlation(xs.slice(0, -1), xs.slice(1)))).toBeLessThan(0.03);
    expect(Math.abs(correlation(xs, series((i) => unit(3, i, 'p[1]'))))).toBeLessThan(0.03);
    expect(Math.abs(correlation(xs, series((i) => unit(4, i, 'p[0]'))))).toBeLessThan(0.03);
    expect(Math.abs(correlation(series((i) => unit(i, 0, 'p')), series((i) => unit(i + 1, 0, 'p'))))).toBeLessThan(0.03);
  });

  it('rejects counters that are not non-negative integers below 2^53', () => {
    expect(() => unit(-1, 0, 'p')).toThrow(RangeError);
    expect(() => unit(0, 1.5, 'p')).toThrow(RangeError);
    expect(() => unit(0, 2 ** 53, 'p')).toThrow(RangeError);
  });
});

describe('normal distribution', () => {
  it('Φ and Φ⁻¹ match reference values and invert each other', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 7);
    expect(normalCdf(-3) / 0.0013498980316301 - 1).toBeLessThan(1e-6);
    expect(normalCdf(-8) / 6.22096057427178e-16 - 1).toBeLessThan(1e-6);
    for (const p of [1e-12, 1e-4, 0.02, 0.3, 0.5, 0.8, 0.99, 1 - 1e-9]) expect(Math.abs(normalCdf(normalQuantile(p)) / p - 1)).toBeLessThan(2e-7);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
  });

  it('untruncated draws have the requested mean and standard deviation', () => {
    const xs = series((i) => normal(11, i, 'n', 2, 0.5));
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean - 2)).toBeLessThan(0.02);
    expect(Math.abs(Math.sqrt(variance) - 0.5)).toBeLessThan(0.01);
  });

  it('truncated draws stay inside the bounds and have the truncated normal mean', () => {
    const cases: [number, number][] = [
      [-1, 2],
      [0, Infinity],
      [1.5, 3],
      [5, 6], // far in the upper tail
      [-7, -6], // far in the lower tail
    ];
    for (const [a, b] of cases) {
      const xs = series((i) => normal(5, i, `t${a}`, 0, 1, a, b));
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(a);
      expect(Math.max(...xs)).toBeLessThanOrEqual(b);
      const z = normalCdf(b) - normalCdf(a);
      const expected = (standardPdf(a) - (Number.isFinite(b) ? standardPdf(b) : 0)) / z;
      expect(Math.abs(moments(xs).mean - expected)).toBeLessThan(0.02);
    }
  });

  it('a zero standard deviation gives the mean (clamped to the bounds)', () => {
    expect(normal(0, 0, 'p', 3, 0)).toBe(3);
    expect(normal(0, 0, 'p', 3, 0, 0, 1)).toBe(1);
  });
});

describe('choices, integers and sequences', () => {
  it('choice follows its weights (χ² test)', () => {
    const weights = [1, 2, 7, 0];
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < N; i++) counts[choiceIndex(9, i, 'c', 4, weights)]!++;
    expect(counts[3]).toBe(0);
    const chi2 = [0, 1, 2].reduce((s, k) => s + (counts[k]! - (N * weights[k]!) / 10) ** 2 / ((N * weights[k]!) / 10), 0);
    expect(chi2).toBeLessThan(13.8); // χ²(2), p = 0.001
  });

  it('uniform integers include both ends, each equally often', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const k = uniformInt(2, i, 'k', 0, 4);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const c of counts.values()) expect(Math.abs(c - N / 5)).toBeLessThan(0.05 * (N / 5));
  });

  it('a sequence cycles through its values in order; per-sequence parameters change every sequence_length frames', () => {
    const sequence: Distribution<string> = { kind: 'sequence', values: ['a', 'b', 'c'], per: 'frame' };
    const at = (frame: number, d: Distribution<string>, sequenceLength = 1) => drawCategory(d, { seed: 0, frame, sequenceLength }, 'p');
    expect([0, 1, 2, 3, 4].map((f) => at(f, sequence))).toEqual(['a', 'b', 'c', 'a', 'b']);
    const perSequence = { ...sequence, per: 'sequence' as const };
    expect([0, 3, 4, 7, 8, 12].map((f) => at(f, perSequence, 4))).toEqual(['a', 'a', 'b', 'b', 'c', 'a']);

    const u: Distribution<number> = { kind: 'uniform', min: 0, max: 1, per: 'sequence' };
    const ctx = (frame: number): DrawContext => ({ seed: 1, frame, sequenceLength: 10 });
    expect(drawNumber(u, ctx(10), 'x')).toBe(drawNumber(u, ctx(19), 'x'));
    expect(drawNumber(u, ctx(19), 'x')).not.toBe(drawNumber(u, ctx(20), 'x'));
  });

  it('integer draws from continuous distributions stay whole and inside the bounds', () => {
    const d: Distribution<number> = { kind: 'normal', mean: 2, std: 3, min: 0, max: 4, per: 'frame' };
    const xs = series((i) => drawNumber(d, { seed: 0, frame: i, sequenceLength: 1 }, 'n', true), 2000);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= 4)).toBe(true);
  });
});

describe('vector draws', () => {
  it('draw each component from its own sub-path, inside per-component bounds', () => {
    const d: Distribution<[number, number, number]> = { kind: 'uniform', min: [0, 10, -1], max: [1, 20, -1], per: 'frame' };
    const ctx = (frame: number): DrawContext => ({ seed: 3, frame, sequenceLength: 1 });
    const vs = series((i) => 0 * i, 5000).map((_, i) => drawVec3(d, ctx(i), 'v'));
    expect(vs.every((v) => v[0] >= 0 && v[0] < 1 && v[1] >= 10 && v[1] < 20 && v[2] === -1)).toBe(true);
    expect(Math.abs(correlation(vs.map((v) => v[0]), vs.map((v) => v[1])))).toBeLessThan(0.04);
    // Component k is the scalar draw at path[k].
    expect(drawVec3(d, ctx(7), 'v')[1]).toBe(drawNumber({ kind: 'uniform', min: 10, max: 20, per: 'frame' }, ctx(7), 'v[1]'));
  });

  it('a choice of vectors picks whole vectors', () => {
    const d: Distribution<[number, number, number]> = { kind: 'choice', values: [[1, 2, 3], [4, 5, 6]], weights: null, per: 'frame' };
    const seen = new Set(series((i) => i, 100).map((i) => drawVec3(d, { seed: 0, frame: i, sequenceLength: 1 }, 'v').join()));
    expect([...seen].sort()).toEqual(['1,2,3', '4,5,6']);
  });
});

describe('round7', () => {
  it('keeps seven significant digits', () => {
    expect(round7(0.123456789)).toBe(0.1234568);
    expect(round7(123456789)).toBe(123456800);
    expect(round7(-9.80665)).toBe(-9.80665);
  });
});

import { describe, expect, it } from 'vitest';
import { makeNormalizer, statsFromLeRobot } from './normalize.ts';

const close = (a: ArrayLike<number>, b: number[], digits = 6) => b.forEach((v, i) => expect(a[i], `[${i}]`).toBeCloseTo(v, digits));

describe('normalisers (LeRobot formulas)', () => {
  it('mean_std: (x − mean) / std, by hand', () => {
    const n = makeNormalizer('mean_std', { mean: [1, -2], std: [2, 0.5] }, 2);
    close(n.normalize([5, -1]), [2, 2]); // (5−1)/2, (−1+2)/0.5
    close(n.denormalize([2, 2]), [5, -1]);
  });

  it('min_max and quantiles map the range onto [−1, 1]', () => {
    const mm = makeNormalizer('min_max', { min: [0, -1], max: [4, 1] }, 2);
    close(mm.normalize([0, 1]), [-1, 1]);
    close(mm.normalize([1, 0]), [-0.5, 0]);
    const q = makeNormalizer('quantiles', { q01: [10], q99: [20], min: [0], max: [100] }, 1);
    close(q.normalize([17.5]), [0.5]); // 2·7.5/10 − 1
    close(q.denormalize([-1]), [10]);
  });

  it('stays finite on a constant dimension (std 0, min = max) thanks to eps, and identity passes through', () => {
    const n = makeNormalizer('mean_std', { mean: [3], std: [0] }, 1);
    expect(n.normalize([3])[0]).toBe(0);
    expect(n.denormalize([0])[0]).toBe(3);
    const mm = makeNormalizer('min_max', { min: [2], max: [2] }, 1);
    expect(Number.isFinite(mm.normalize([2])[0]!)).toBe(true);
    close(makeNormalizer('identity', {}, 3).normalize([1, 2, 3]), [1, 2, 3]);
  });

  it('round-trips: denormalize(normalize(x)) = x', () => {
    const n = makeNormalizer('quantiles', { q01: [-0.3, 0, 1], q99: [0.3, 0.08, 2] }, 3);
    close(n.denormalize(n.normalize([0.1, 0.04, 1.7])), [0.1, 0.04, 1.7], 5);
  });

  it('says which statistic is missing or malformed', () => {
    expect(() => makeNormalizer('mean_std', { mean: [0] }, 1)).toThrow('mean_std normalisation needs "std"');
    expect(() => makeNormalizer('min_max', { min: [0, 0], max: [1] }, 2)).toThrow('"max" has 1 values; expected 2');
    expect(() => makeNormalizer('min_max', { min: [1], max: [0] }, 1)).toThrow('"max"[0] (0) is below "min"[0] (1)');
    expect(() => makeNormalizer('mean_std', { mean: [NaN], std: [1] }, 1)).toThrow('not a finite number');
  });

  it('reads a feature`s stats from a LeRobot stats.json, naming a missing feature', () => {
    const stats = { action: { mean: [0.5], std: [0.1], q01: [0.2], q99: [0.8], count: [100] }, 'observation.state': { mean: [0] } };
    expect(statsFromLeRobot(stats, 'action')).toEqual({ mean: [0.5], std: [0.1], q01: [0.2], q99: [0.8], count: [100] });
    expect(() => statsFromLeRobot(stats, 'observation.images.wrist')).toThrow('stats.json has no feature "observation.images.wrist" (it has action, observation.state)');
  });
});

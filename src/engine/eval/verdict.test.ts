import { describe, expect, it } from 'vitest';
import { comparePaired, compareSuccessRates } from './stats.ts';
import { releaseVerdict } from './verdict.ts';

describe('releaseVerdict (candidate = A)', () => {
  it('regressed: significant and the candidate does worse', () => {
    // 1 of 10 vs 11 of 14: Fisher p = 0.0028.
    expect(releaseVerdict(compareSuccessRates(1, 10, 11, 14))).toBe('regressed');
  });

  it('improved: significant and the candidate does better', () => {
    // Newcombe's paired example: 12 seeds only the candidate solved, 2 only the baseline; McNemar p = 0.013.
    expect(releaseVerdict(comparePaired({ both: 18, onlyA: 12, onlyB: 2, neither: 18 }))).toBe('improved');
  });

  it('held: not significant, and the whole 95% interval lies within ±margin', () => {
    // 400 seeds, 10 vs 8 discordant: difference 0.005, Newcombe interval −0.017 to +0.027.
    const comparison = comparePaired({ both: 300, onlyA: 10, onlyB: 8, neither: 82 });
    expect(comparison.significant).toBe(false);
    expect(releaseVerdict(comparison)).toBe('held');
    expect(releaseVerdict(comparison, 0.02)).toBe('underpowered');
  });

  it('underpowered: not significant, but the interval is too wide to rule out a change of margin', () => {
    // 3 of 4 vs 1 of 4: p = 0.49, and the interval spans most of [−1, 1].
    expect(releaseVerdict(compareSuccessRates(3, 4, 1, 4))).toBe('underpowered');
  });

  it('counts an interval touching ±margin as held, and refuses a margin outside (0, 1)', () => {
    expect(releaseVerdict({ difference: 0, ci95: [-0.1, 0.1], significant: false })).toBe('held');
    expect(releaseVerdict({ difference: 0, ci95: [-0.1000001, 0.1], significant: false })).toBe('underpowered');
    expect(() => releaseVerdict({ difference: 0, ci95: [0, 0], significant: false }, 0)).toThrow('releaseVerdict: margin: expected a number between 0 and 1, got 0');
  });
});

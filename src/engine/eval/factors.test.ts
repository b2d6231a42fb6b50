import { describe, expect, it } from 'vitest';
import { factorBreakdown, outcomeBreakdown, type EvaluatedEpisode } from './factors.ts';

// Twelve episodes, i = 0 … 11. Episodes 0 and 1 miss the grasp, 2 errors, 7 drops the cube; the
// other eight succeed. The draws:
//   light intensity (i + 1)·100; cube position [0.05·(11 − i), 0, i < 4 ? 0.75 : 0.8];
//   palette red, blue, green in turn; flip = i is even; task target always "cube".
const failures: Record<number, string> = { 0: 'missed_grasp', 1: 'missed_grasp', 2: 'errored', 7: 'dropped' };
const episodes: EvaluatedEpisode[] = Array.from({ length: 12 }, (_, i) => ({
  success: !(i in failures),
  outcome: failures[i] ?? 'success',
  factors: {
    '/World/Light:intensity': (i + 1) * 100,
    '/World/Cube:position': [0.05 * (11 - i), 0, i < 4 ? 0.75 : 0.8],
    '/World/Cube:palette': ['red', 'blue', 'green'][i % 3],
    flip: i % 2 === 0,
    'task:target': 'cube',
  },
}));

const byName = (name: string) => factorBreakdown(episodes).find((f) => f.factor === name)!;
const summary = (name: string) => byName(name).bins.map((b) => [b.label, b.successes, b.episodes]);

describe('factorBreakdown', () => {
  it('lists the factors that vary, in key order, vectors by component; constant ones are left out', () => {
    expect(factorBreakdown(episodes).map((f) => [f.factor, f.kind])).toEqual([
      ['/World/Cube:palette', 'categorical'],
      ['/World/Cube:position.x', 'numeric'],
      ['/World/Cube:position.z', 'numeric'],
      ['/World/Light:intensity', 'numeric'],
      ['flip', 'categorical'],
    ]);
  });

  it('cuts a numeric factor into equal-count bins: light intensity 100–1200 → four bins of three', () => {
    // Sorted intensities 100 … 1200, cut after the 3rd, 6th and 9th. Successes by hand: episodes
    // 0–2 all fail; 3–5 succeed; of 6–8, episode 7 drops the cube; 9–11 succeed.
    expect(summary('/World/Light:intensity')).toEqual([
      ['100–300', 0, 3],
      ['400–600', 3, 3],
      ['700–900', 2, 3],
      ['1000–1200', 3, 3],
    ]);
    const [first, , third] = byName('/World/Light:intensity').bins;
    expect(first).toMatchObject({ lo: 100, hi: 300, success_rate: 0, outcomes: { errored: 1, missed_grasp: 2 } });
    expect(Object.keys(first!.outcomes)).toEqual(['errored', 'missed_grasp']);
    // Wilson 95% for 0 of 3 and 2 of 3 (statsmodels 0.13.5 proportion_confint(k, n, method='wilson')).
    expect(first!.ci95[0]).toBe(0);
    expect(first!.ci95[1]).toBeCloseTo(0.5614970317550455, 12);
    expect(third).toMatchObject({ lo: 700, hi: 900, outcomes: { dropped: 1, success: 2 } });
    expect(third!.success_rate).toBeCloseTo(2 / 3, 15);
    expect(third!.ci95[0]).toBeCloseTo(0.2076596008020477, 12);
    expect(third!.ci95[1]).toBeCloseTo(0.9385080552796037, 12);
  });

  it('bins a position by component, sorting by value whatever the episode order', () => {
    // x = 0.05·(11 − i) runs downwards: the lowest bin holds episodes 11, 10, 9 (all succeed), the
    // highest 2, 1, 0 (all fail).
    expect(summary('/World/Cube:position.x')).toEqual([
      ['0–0.1', 3, 3],
      ['0.15–0.25', 2, 3],
      ['0.3–0.4', 3, 3],
      ['0.45–0.55', 0, 3],
    ]);
    // z takes two values: one bin each. z = 0.75 for episodes 0–3 (only 3 succeeds).
    expect(summary('/World/Cube:position.z')).toEqual([
      ['0.75', 1, 4],
      ['0.8', 7, 8],
    ]);
    expect(byName('/World/Cube:position.z').bins[0]).toMatchObject({ lo: 0.75, hi: 0.75, outcomes: { errored: 1, missed_grasp: 2, success: 1 } });
  });

  it('gives strings and booleans one bin per value, in value order', () => {
    // red: episodes 0, 3, 6, 9 (0 fails); blue: 1, 4, 7, 10 (1 and 7 fail); green: 2, 5, 8, 11 (2 fails).
    expect(summary('/World/Cube:palette')).toEqual([
      ['blue', 2, 4],
      ['green', 3, 4],
      ['red', 3, 4],
    ]);
    expect(byName('/World/Cube:palette').bins[0]!.value).toBe('blue');
    // even: 0, 2 fail of 6; odd: 1, 7 fail of 6.
    expect(summary('flip')).toEqual([
      ['false', 4, 6],
      ['true', 4, 6],
    ]);
    expect(byName('flip').bins[1]!.value).toBe(true);
  });

  it('keeps equal values in one bin, moving a cut to the nearer end of their run', () => {
    // Sorted: five 0.1s, then 0.2 … 0.8. The first cut (after 3) would split the 0.1s; their run ends
    // at 5, nearer than its start at 0. The other cuts stay after 6 and 9.
    const values = [0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const tied = values.map((v) => ({ success: v > 0.3, outcome: v > 0.3 ? 'success' : 'timeout', factors: { friction: v } }));
    expect(factorBreakdown(tied)[0]!.bins.map((b) => [b.label, b.episodes])).toEqual([
      ['0.1', 5],
      ['0.2', 1],
      ['0.3–0.5', 3],
      ['0.6–0.8', 3],
    ]);
  });

  it('honours bins, names longer vectors by index, and widens labels until they differ', () => {
    const near = [1.0001, 1.0002, 1.0003, 1.0004].map((v, i) => ({ success: i > 1, outcome: i > 1 ? 'success' : 'timeout', factors: { 'arm:home': [v, i % 2, 0, 1] } }));
    const result = factorBreakdown(near, { bins: 2 });
    expect(result.map((f) => f.factor)).toEqual(['arm:home[0]', 'arm:home[1]']);
    expect(result[0]!.bins.map((b) => b.label)).toEqual(['1.0001–1.0002', '1.0003–1.0004']);
    expect(() => factorBreakdown(near, { bins: 0 })).toThrow('bins: expected a whole number ≥ 1, got 0');
  });

  it('treats a factor with mixed types as categorical and skips values it cannot bin', () => {
    const mixed: EvaluatedEpisode[] = [
      { success: true, outcome: 'success', factors: { level: 2, junk: null, nan: Number.NaN } },
      { success: false, outcome: 'timeout', factors: { level: 'hard', junk: { a: 1 }, nan: 1 } },
      { success: true, outcome: 'success', factors: { level: 2 } },
    ];
    const result = factorBreakdown(mixed);
    expect(result.map((f) => f.factor)).toEqual(['level']);
    expect(result[0]!.bins.map((b) => [b.label, b.value, b.episodes])).toEqual([
      ['2', 2, 2],
      ['hard', 'hard', 1],
    ]);
    expect(factorBreakdown([])).toEqual([]);
  });
});

describe('outcomeBreakdown', () => {
  it('counts each outcome with the Wilson interval of its share, most frequent first', () => {
    const shares = outcomeBreakdown(episodes);
    expect(shares.map((s) => [s.outcome, s.episodes])).toEqual([
      ['success', 8],
      ['missed_grasp', 2],
      ['dropped', 1],
      ['errored', 1],
    ]);
    expect(shares[0]!.share).toBeCloseTo(8 / 12, 15);
    // statsmodels 0.13.5 proportion_confint(8, 12, method='wilson') and (2, 12).
    expect(shares[0]!.ci95[0]).toBeCloseTo(0.3906220888727995, 12);
    expect(shares[0]!.ci95[1]).toBeCloseTo(0.8618799089087869, 12);
    expect(shares[1]!.ci95[0]).toBeCloseTo(0.04696514218385381, 12);
    expect(shares[1]!.ci95[1]).toBeCloseTo(0.4480308622529735, 12);
    expect(outcomeBreakdown([])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { pairedSampleSize, planSampleSize, unpairedPower, unpairedSampleSize } from './plan.ts';

describe('unpaired planning (R`s power.prop.test)', () => {
  it('reproduces the examples in R`s ?power.prop.test', () => {
    // power.prop.test(n = 50, p1 = .50, p2 = .75)      → power = 0.7401659
    expect(unpairedPower(50, 0.5, 0.75)).toBeCloseTo(0.7401659, 7);
    // power.prop.test(p1 = .50, p2 = .75, power = .90) → n = 76.7 (76.70693 unrounded; scipy 1.10.1
    // with the same formula: 76.70692845177743)
    expect(unpairedSampleSize(0.5, 0.75, 0.9)).toBeCloseTo(76.70692845177743, 9);
    expect(unpairedPower(unpairedSampleSize(0.5, 0.75, 0.9), 0.5, 0.75)).toBeCloseTo(0.9, 12);
  });
});

describe('paired planning (Connor 1987)', () => {
  it('gives Connor`s n for a worked case', () => {
    // Δ = 0.25, ψ = 0.5 (rates 0.5 and 0.75, independent outcomes: 0.5·0.25 + 0.75·0.5), power 0.9,
    // alpha 0.05, z₀.₉₇₅ = 1.959964, z₀.₉ = 1.281552:
    // [1.959964·√0.5 + 1.281552·√(0.5 − 0.0625)]² / 0.0625 = [1.385904 + 0.847667]² / 0.0625
    // = 2.233571² / 0.0625 = 79.82.
    expect(pairedSampleSize(0.25, 0.5, 0.9)).toBeCloseTo(79.8214, 3);
  });

  it('needs fewer seeds the fewer seeds split the policies', () => {
    expect(pairedSampleSize(0.1, 0.2, 0.8)).toBeLessThan(pairedSampleSize(0.1, 0.5, 0.8) / 2);
  });
});

describe('planSampleSize', () => {
  it('plans R`s example: 77 episodes per policy, or 80 seeds paired with independent outcomes', () => {
    const plan = planSampleSize({ difference: 0.25, power: 0.9 });
    expect(plan.unpaired_per_policy).toBe(77);
    expect(plan.paired).toBe(80);
    expect(plan.assumptions).toMatchObject({ alpha: 0.05, baseline_rate: 0.5, candidate_rate: 0.75, discordance: 0.5, discordance_source: 'independent outcomes' });
  });

  it('plans for the harder direction: from 0.8, a drop to 0.7 needs more episodes than a rise to 0.9', () => {
    // unpaired: 293.2 for 0.8 vs 0.7, 199.0 for 0.8 vs 0.9; paired ψ = 0.8·0.3 + 0.7·0.2 = 0.38 → 295.9
    // (scipy 1.10.1, same formulas).
    const plan = planSampleSize({ difference: 0.1, power: 0.8, rate: 0.8 });
    expect(plan.assumptions.candidate_rate).toBeCloseTo(0.7, 12);
    expect(plan.unpaired_per_policy).toBe(294);
    expect(plan.paired).toBe(296);
  });

  it('takes a given discordance: same seeds, fewer split outcomes, fewer episodes', () => {
    // Connor with Δ = 0.1, ψ = 0.2, power 0.8: 154.6 (scipy 1.10.1, same formula).
    const plan = planSampleSize({ difference: 0.1, power: 0.8, rate: 0.5, discordance: 0.2 });
    expect(plan.paired).toBe(155);
    expect(plan.unpaired_per_policy).toBe(388);
    expect(plan.assumptions.discordance_source).toBe('given');
  });

  it('refuses impossible requests, naming the flag', () => {
    expect(() => planSampleSize({ difference: 0, power: 0.8 })).toThrow('--difference: expected a number between 0 and 1, got 0');
    expect(() => planSampleSize({ difference: 0.1, power: 1 })).toThrow('--power: expected a number between 0 and 1, got 1');
    expect(() => planSampleSize({ difference: 0.1, power: 0.8, alpha: 0 })).toThrow('--alpha: expected a number between 0 and 1');
    expect(() => planSampleSize({ difference: 0.1, power: 0.8, rate: 2 })).toThrow('--rate: expected a number from 0 to 1, got 2');
    expect(() => planSampleSize({ difference: 0.1, power: 0.8, discordance: 0.05 })).toThrow('--discordance: expected a number from the difference (0.1) to 1, got 0.05');
    expect(() => planSampleSize({ difference: Number.NaN, power: 0.8 })).toThrow('--difference');
  });
});

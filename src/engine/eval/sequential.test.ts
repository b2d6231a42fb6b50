import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/usda.ts';
import {
  MIXTURE_PRIOR,
  anytimePairedInterval,
  anytimeUnpairedInterval,
  confidenceSequence,
  pairedSequentialTest,
  sequentialStatus,
} from './sequential.ts';
import { clopperPearsonInterval, logBeta, mcnemarExact, wilsonInterval } from './stats.ts';

/** log of the mixture martingale M_n(p) the confidence sequence is built from. */
function logMartingale(successes: number, n: number, p: number): number {
  return logBeta(MIXTURE_PRIOR + successes, MIXTURE_PRIOR + n - successes) - logBeta(MIXTURE_PRIOR, MIXTURE_PRIOR) - successes * Math.log(p) - (n - successes) * Math.log1p(-p);
}

describe('confidenceSequence (beta-binomial mixture, Beta(½, ½) prior)', () => {
  // Independent computation, scipy 1.10.1: with f(p) = betaln(½ + S, ½ + n − S) − betaln(½, ½)
  // − xlogy(S, p) − xlog1py(n − S, −p) − log(1/alpha), the bounds are
  // scipy.optimize.brentq(f, 1e-300, S/n) and brentq(f, S/n, 1 − 1e-16), xtol = rtol = 1e-15.
  it.each([
    [7, 10, 0.05, 0.2524128900850035, 0.9674848602119411],
    [0, 20, 0.05, 0, 0.22400611201278273],
    [60, 100, 0.05, 0.4343147479411285, 0.7514297560666051],
    [600, 1000, 0.05, 0.5426917403945875, 0.6555352416365479],
    [60, 100, 0.025, 0.42436428644277707, 0.7596589191243447],
    [1, 1, 0.05, 0.025, 1],
  ])('%i of %i at alpha %f → [%f, %f]', (k, n, alpha, lo, hi) => {
    const [a, b] = confidenceSequence(k, n, alpha);
    expect(a).toBeCloseTo(lo, 12);
    expect(b).toBeCloseTo(hi, 12);
  });

  it('ends where the martingale reaches 1/alpha', () => {
    const [lo, hi] = confidenceSequence(37, 80, 0.05);
    expect(logMartingale(37, 80, lo)).toBeCloseTo(Math.log(20), 9);
    expect(logMartingale(37, 80, hi)).toBeCloseTo(Math.log(20), 9);
  });

  it('after 1 success of 1, excludes exactly the rates up to alpha/2', () => {
    // M_1(p) = [B(3/2, ½)/B(½, ½)]/p = (π/2)/(π p) = 1/(2p), below 1/alpha exactly when p > alpha/2.
    expect(confidenceSequence(1, 1, 0.05)[0]).toBeCloseTo(0.025, 14);
  });

  it('is wider than the fixed-n Wilson interval (the price of looking every episode) and narrows as n grows', () => {
    const [cl, ch] = confidenceSequence(60, 100);
    const [wl, wh] = wilsonInterval(60, 100);
    expect(cl).toBeLessThan(wl);
    expect(ch).toBeGreaterThan(wh);
    const width = (k: number, n: number) => confidenceSequence(k, n)[1] - confidenceSequence(k, n)[0];
    expect(width(600, 1000)).toBeLessThan(width(60, 100));
    expect(confidenceSequence(0, 0)).toEqual([0, 1]);
  });

  it('refuses impossible counts and alphas', () => {
    expect(() => confidenceSequence(3, 2)).toThrow('confidenceSequence: expected whole numbers 0 ≤ successes ≤ n, got 3 of 2');
    expect(() => confidenceSequence(1, 2, 0)).toThrow('alpha: expected a number between 0 and 1');
  });
});

describe('pairedSequentialTest (mixture e-value on the discordant pairs)', () => {
  it('gives C(2m, m)/2^m after m discordant pairs all one way, rejecting from m = 7 at alpha 0.05', () => {
    // With Beta(½, ½): B(½ + m, ½)/B(½, ½) = Γ(m + ½)/(√π m!) = C(2m, m)/4^m, times 2^m.
    // m = 6: 924/64 = 14.44 < 20; m = 7: 3432/128 = 26.81 ≥ 20; m = 8: 12870/256 = 50.27.
    expect(pairedSequentialTest(6, 0).eValue).toBeCloseTo(924 / 64, 10);
    expect(pairedSequentialTest(6, 0).rejected).toBe(false);
    expect(pairedSequentialTest(7, 0)).toMatchObject({ rejected: true, direction: 'A' });
    expect(pairedSequentialTest(7, 0).eValue).toBeCloseTo(3432 / 128, 10);
    expect(pairedSequentialTest(0, 8)).toMatchObject({ rejected: true, direction: 'B' });
    expect(pairedSequentialTest(0, 8).eValue).toBeCloseTo(12870 / 256, 10);
  });

  it('matches scipy for mixed counts, and needs more evidence than the fixed-n McNemar test', () => {
    // scipy 1.10.1: exp(betaln(½ + x, ½ + y) − betaln(½, ½) + (x + y)·log 2)
    expect(pairedSequentialTest(12, 2).eValue).toBeCloseTo(10.88232421875, 10);
    expect(pairedSequentialTest(20, 8).eValue).toBeCloseTo(2.1263699233531925, 10);
    expect(pairedSequentialTest(5, 5).eValue).toBeCloseTo(0.24609375, 12);
    // 12 vs 2 is significant for McNemar (p = 0.0129) but not yet for the anytime-valid test.
    expect(mcnemarExact(12, 2)).toBeLessThan(0.05);
    expect(pairedSequentialTest(12, 2).rejected).toBe(false);
    expect(pairedSequentialTest(0, 0)).toMatchObject({ logEValue: 0, rejected: false, direction: null });
  });
});

describe('sequentialStatus', () => {
  it('ci-width: stops once the confidence sequence is narrow enough, and says so', () => {
    const waiting = sequentialStatus({ kind: 'ci-width', width: 0.2 }, { successes: 60, n: 100 });
    expect(waiting.stop).toBe(false);
    expect(waiting.interval).toEqual(confidenceSequence(60, 100));
    expect(waiting.width).toBeCloseTo(0.7514297560666051 - 0.4343147479411285, 12);
    expect(waiting.reason).toBe('the 95% anytime-valid interval 0.434–0.751 is 0.317 wide; continuing until it is at most 0.2');
    const done = sequentialStatus({ kind: 'ci-width', width: 0.2 }, { successes: 600, n: 1000 });
    expect(done).toMatchObject({ stop: true, decision: null });
    expect(done.reason).toBe('the 95% anytime-valid interval 0.543–0.656 is 0.113 wide, within the 0.2 asked for');
  });

  it('ci-width on a comparison looks at the interval for the difference', () => {
    const table = { both: 300, onlyA: 20, onlyB: 15, neither: 165 };
    const status = sequentialStatus({ kind: 'ci-width', width: 0.15, alpha: 0.1 }, { table });
    expect(status.interval).toEqual(anytimePairedInterval(table, 0.1));
    expect(status.stop).toBe(status.width <= 0.15);
    expect(status.reason).toMatch(/^the 90% anytime-valid interval for the difference, /);
  });

  it('decided, paired: improved once the e-value reaches 1/alpha', () => {
    const status = sequentialStatus({ kind: 'decided', margin: 0.1 }, { table: { both: 50, onlyA: 12, onlyB: 1, neither: 20 } });
    expect(status).toMatchObject({ stop: true, decision: 'improved' });
    expect(status.reason).toMatch(/^the candidate improved: the paired e-value is [\d.]+, at least 1\/α = 20 \(12 seeds only the candidate solved, 1 only the baseline\); the 95% anytime-valid interval for candidate − baseline is −0\.\d{3} to \+0\.\d{3}$/);
    const waiting = sequentialStatus({ kind: 'decided', margin: 0.1 }, { table: { both: 50, onlyA: 5, onlyB: 1, neither: 20 } });
    expect(waiting).toMatchObject({ stop: false, decision: null });
    expect(waiting.reason).toMatch(/^undecided: the paired e-value is [\d.]+, short of 1\/α = 20 \(5 seeds only the candidate solved, 1 only the baseline\), and the 95% anytime-valid interval for candidate − baseline is −0\.\d{3} to \+0\.\d{3}, reaching beyond ±0\.1$/);
    expect(sequentialStatus({ kind: 'decided', margin: 0.1 }, { table: { both: 50, onlyA: 1, onlyB: 12, neither: 20 } }).decision).toBe('regressed');
  });

  it('decided, paired: held once the difference interval lies inside ±margin', () => {
    const table = { both: 500, onlyA: 12, onlyB: 10, neither: 400 };
    const [lo, hi] = anytimePairedInterval(table);
    expect(lo).toBeGreaterThan(-0.1);
    expect(hi).toBeLessThan(0.1);
    const status = sequentialStatus({ kind: 'decided', margin: 0.1 }, { table });
    expect(status).toMatchObject({ stop: true, decision: 'held', interval: [lo, hi] });
    expect(status.reason).toBe(`the candidate held: the 95% anytime-valid interval for candidate − baseline is −${(-lo).toFixed(3)} to +${hi.toFixed(3)}, inside ±0.1`);
    // The same table is undecided with a tighter margin.
    expect(sequentialStatus({ kind: 'decided', margin: 0.02 }, { table })).toMatchObject({ stop: false, decision: null });
  });

  it('decided, unpaired: a Clopper–Pearson interval for the fixed baseline, a confidence sequence for the candidate', () => {
    const candidate = { successes: 30, n: 60 };
    const baseline = { successes: 70, n: 100 };
    const [cLo, cHi] = confidenceSequence(30, 60, 0.025);
    const [bLo, bHi] = clopperPearsonInterval(70, 100, 0.025);
    expect(anytimeUnpairedInterval(candidate, baseline)).toEqual([cLo - bHi, cHi - bLo]);
    const undecided = sequentialStatus({ kind: 'decided', margin: 0.1 }, { candidate, baseline });
    expect(undecided).toMatchObject({ stop: false, decision: null });
    expect(undecided.reason).toMatch(/^undecided: the 95% anytime-valid interval for candidate − baseline is −0\.\d{3} to \+0\.\d{3}, including 0 and reaching beyond ±0\.1$/);
    expect(sequentialStatus({ kind: 'decided', margin: 0.1 }, { candidate: { successes: 50, n: 300 }, baseline }).decision).toBe('regressed');
    expect(sequentialStatus({ kind: 'decided', margin: 0.1 }, { candidate: { successes: 290, n: 300 }, baseline }).decision).toBe('improved');
  });

  it('refuses rules it cannot apply, naming the field', () => {
    expect(() => sequentialStatus({ kind: 'ci-width', width: 0 }, { successes: 1, n: 2 })).toThrow('ci-width: width: expected a number greater than 0 and at most 2, got 0');
    expect(() => sequentialStatus({ kind: 'decided', margin: 1.5 }, { table: { both: 1, onlyA: 0, onlyB: 0, neither: 0 } })).toThrow('decided: margin: expected a number between 0 and 1, got 1.5');
    expect(() => sequentialStatus({ kind: 'decided', margin: 0.1 }, { successes: 1, n: 2 })).toThrow('decided: needs a comparison');
    expect(() => sequentialStatus({ kind: 'ci-width', width: 0.1, alpha: 2 }, { successes: 1, n: 2 })).toThrow('alpha: expected a number between 0 and 1, got 2');
  });
});

// Simulations: 10 000 runs each, a look after every episode. The error rates they measure are
// quoted in docs/STATISTICS.md. With 10 000 runs the standard error of a rate near 0.05 is 0.002.
describe('error rates under repeated looks (simulated)', () => {
  const runs = 10_000;
  const alpha = 0.05;

  it('paired: the anytime-valid test keeps type-I error ≤ alpha over 200 looks; McNemar at every look does not', () => {
    // H0: the policies are equally good. Per seed: both succeed 0.3, only A 0.2, only B 0.2, neither 0.3.
    const random = seededRandom(20240611);
    let sequentialErrors = 0;
    let naiveErrors = 0;
    for (let run = 0; run < runs; run++) {
      let onlyA = 0;
      let onlyB = 0;
      let sequentialRejected = false;
      let naiveRejected = false;
      for (let episode = 0; episode < 200; episode++) {
        const u = random();
        if (u < 0.3 || u >= 0.7) continue; // concordant: neither verdict can change
        if (u < 0.5) onlyA++;
        else onlyB++;
        if (!sequentialRejected && pairedSequentialTest(onlyA, onlyB, alpha).rejected) sequentialRejected = true;
        if (!naiveRejected && mcnemarExact(onlyA, onlyB) < alpha) naiveRejected = true;
      }
      if (sequentialRejected) sequentialErrors++;
      if (naiveRejected) naiveErrors++;
    }
    const sequentialRate = sequentialErrors / runs;
    const naiveRate = naiveErrors / runs;
    expect(sequentialRate).toBeLessThanOrEqual(alpha);
    // The simulation can tell: stopping at the first significant McNemar test errs far more often.
    expect(naiveRate).toBeGreaterThan(2 * alpha);
  });

  it('ci-width: the confidence sequence covers the true rate at the stopping time ≥ 1 − alpha of the time', () => {
    // True rate 0.7; stop when the 95% sequence is at most 0.3 wide (about 100 episodes). Each look
    // computes the sequence directly (sequentialStatus builds a sentence too, which a 900 000-look
    // simulation would spend most of its time on); at the stopping look and the one before it,
    // sequentialStatus must agree, so the stopping time measured is the rule's.
    const random = seededRandom(7);
    const rate = 0.7;
    const rule = { kind: 'ci-width', width: 0.3, alpha } as const;
    let missedAtStop = 0;
    let missedAtAnyLook = 0;
    let disagreements = 0;
    for (let run = 0; run < runs; run++) {
      let successes = 0;
      let missedBefore = false;
      for (let n = 1; n <= 1000; n++) {
        const success = random() < rate;
        if (success) successes++;
        const [lo, hi] = confidenceSequence(successes, n, alpha);
        const covers = lo <= rate && rate <= hi;
        if (!covers) missedBefore = true;
        if (hi - lo <= rule.width) {
          if (!covers) missedAtStop++;
          if (!sequentialStatus(rule, { successes, n }).stop) disagreements++;
          if (n > 1 && sequentialStatus(rule, { successes: successes - (success ? 1 : 0), n: n - 1 }).stop) disagreements++;
          break;
        }
      }
      if (missedBefore) missedAtAnyLook++;
    }
    expect(disagreements).toBe(0);
    expect(1 - missedAtStop / runs).toBeGreaterThanOrEqual(1 - alpha);
    // Time-uniform: covered at every look up to the stop, not only at the stop.
    expect(1 - missedAtAnyLook / runs).toBeGreaterThanOrEqual(1 - alpha);
  });

  it('decided, unpaired: a candidate as good as its baseline is called improved or regressed ≤ alpha of the time', () => {
    // Baseline: 100 episodes run beforehand at rate 0.6; candidate at 0.6, a look after each of up
    // to 120 episodes, stopping at the first decision: "held" is right here, the other two wrong.
    // As above, each look computes the interval directly and sequentialStatus is checked to agree
    // at the stopping look.
    const random = seededRandom(99);
    const rate = 0.6;
    const margin = 0.1;
    const rule = { kind: 'decided', margin, alpha } as const;
    let wrong = 0;
    let disagreements = 0;
    for (let run = 0; run < runs; run++) {
      let baselineSuccesses = 0;
      for (let i = 0; i < 100; i++) if (random() < rate) baselineSuccesses++;
      const baseline = { successes: baselineSuccesses, n: 100 };
      let successes = 0;
      for (let n = 1; n <= 120; n++) {
        if (random() < rate) successes++;
        const [lo, hi] = anytimeUnpairedInterval({ successes, n }, baseline, alpha);
        const decision = lo > 0 ? 'improved' : hi < 0 ? 'regressed' : lo > -margin && hi < margin ? 'held' : null;
        if (decision) {
          if (decision !== 'held') wrong++;
          if (sequentialStatus(rule, { candidate: { successes, n }, baseline }).decision !== decision) disagreements++;
          break;
        }
      }
    }
    expect(disagreements).toBe(0);
    expect(wrong / runs).toBeLessThanOrEqual(alpha);
  });
});

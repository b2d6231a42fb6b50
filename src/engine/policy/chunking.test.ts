import { describe, expect, it } from 'vitest';
import { ChunkQueue, TemporalEnsembler } from './chunking.ts';

describe('ChunkQueue (n_action_steps)', () => {
  it('runs the first n actions of each chunk, then asks for a new one', () => {
    const q = new ChunkQueue(2, 2);
    expect(q.needsInference()).toBe(true);
    q.push([1, 10, 2, 20, 3, 30], 3);
    expect([...q.next()]).toEqual([1, 10]);
    expect(q.needsInference()).toBe(false);
    expect([...q.next()]).toEqual([2, 20]);
    expect(q.needsInference()).toBe(true);
    expect(() => q.next()).toThrow('no action queued');
  });

  it('refuses chunks of the wrong size and non-finite actions; runs a chunk shorter than n whole', () => {
    const q = new ChunkQueue(2, 4);
    expect(() => q.push([1, 2, 3], 2)).toThrow('an action chunk of 2 × 2 needs 4 values, got 3');
    expect(() => q.push([1, 2, NaN, 4], 2)).toThrow('not a finite number (NaN) at step 1, dimension 0');
    q.push([1, 2, 3, 4], 2);
    expect([...q.next(), ...q.next()]).toEqual([1, 2, 3, 4]);
    expect(q.needsInference()).toBe(true);
  });
});

describe('TemporalEnsembler (ACT)', () => {
  it('matches a worked example: weights exp(−c·i), oldest prediction i = 0', () => {
    // 1-D actions, horizon 3, c = ln 2 so the weights are 1, 1/2, 1/4.
    const e = new TemporalEnsembler(1, Math.LN2);
    // Step 0: one prediction for step 0 → 10.
    e.push([10, 11, 12], 3);
    expect(e.next()[0]).toBeCloseTo(10, 12);
    // Step 1: predictions for step 1 are 11 (older, w 1) and 21 (newer, w 1/2) → (11 + 10.5) / 1.5.
    e.push([21, 22, 23], 3);
    expect(e.next()[0]).toBeCloseTo((11 + 21 / 2) / 1.5, 12);
    // Step 2: 12 (w 1), 22 (w 1/2), 32 (w 1/4) → (12 + 11 + 8) / 1.75.
    e.push([32, 33, 34], 3);
    expect(e.next()[0]).toBeCloseTo((12 + 11 + 8) / 1.75, 12);
    // Step 3: three predictions again (23, 33, 43): the horizon bounds how many there are.
    e.push([43, 44, 45], 3);
    expect(e.next()[0]).toBeCloseTo((23 + 33 / 2 + 43 / 4) / 1.75, 12);
  });

  it('with c = 0 is the plain mean of the predictions, per dimension', () => {
    const e = new TemporalEnsembler(2, 0);
    e.push([0, 100, 1, 101], 2);
    e.next();
    e.push([3, 103, 5, 105], 2);
    expect([...e.next()]).toEqual([2, 102]);
  });

  it('needs a chunk every step, and starts over on reset', () => {
    const e = new TemporalEnsembler(1, 0.01);
    e.push([1, 2], 2);
    expect(e.needsInference()).toBe(false);
    e.next();
    expect(e.needsInference()).toBe(true);
    expect(() => e.next()).toThrow('ensembling needs a chunk every step');
    e.reset();
    e.push([7, 8], 2);
    expect(e.next()[0]).toBe(7);
  });
});

import { describe, expect, it } from 'vitest';
import { addSample, stepsPerSecond, type StepSample } from './stepRate.ts';

describe('steps per second', () => {
  it('is unknown until two samples exist', () => {
    expect(stepsPerSecond([])).toBeNull();
    expect(stepsPerSecond(addSample([], { at: 0, steps: 0 }))).toBeNull();
  });

  it('measures 240 steps/s when 4 steps arrive every 16.7 ms', () => {
    let samples: StepSample[] = [];
    for (let i = 0; i <= 120; i++) samples = addSample(samples, { at: (i * 1000) / 60, steps: i * 4 });
    expect(stepsPerSecond(samples)).toBeCloseTo(240, 6);
    // Only about a second of samples is kept.
    expect(samples[samples.length - 1]!.at - samples[0]!.at).toBeLessThanOrEqual(1000 + 1000 / 60);
  });

  it('follows a slowdown within the window', () => {
    let samples: StepSample[] = [];
    for (let i = 0; i <= 60; i++) samples = addSample(samples, { at: i * 50, steps: i * 12 }); // 240/s for 3 s
    for (let i = 1; i <= 40; i++) samples = addSample(samples, { at: 3000 + i * 50, steps: 720 + i * 3 }); // then 60/s for 2 s
    expect(stepsPerSecond(samples)).toBeCloseTo(60, 0);
  });

  it('starts over when the step counter goes back (reset, new scene)', () => {
    let samples = addSample(addSample([], { at: 0, steps: 100 }), { at: 100, steps: 124 });
    samples = addSample(samples, { at: 200, steps: 0 });
    expect(samples).toEqual([{ at: 200, steps: 0 }]);
  });
});

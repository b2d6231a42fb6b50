/**
 * Measured simulation speed: physics steps per wall-clock second over a sliding window of the
 * pose frames received. Pure functions over an immutable sample list.
 */

export interface StepSample {
  /** Wall-clock milliseconds (performance.now()). */
  at: number;
  steps: number;
}

export const RATE_WINDOW_MS = 1000;

/** Adds a sample and drops those older than the window (keeping one before it as the base). */
export function addSample(samples: readonly StepSample[], sample: StepSample, windowMs = RATE_WINDOW_MS): StepSample[] {
  // A step counter that went back means a reset or a new scene: start over.
  const last = samples[samples.length - 1];
  const kept = last && sample.steps < last.steps ? [] : samples.slice();
  kept.push(sample);
  let first = 0;
  while (first + 1 < kept.length - 1 && kept[first + 1]!.at <= sample.at - windowMs) first++;
  return kept.slice(first);
}

/** Steps per second across the samples, or null until there are two samples apart in time. */
export function stepsPerSecond(samples: readonly StepSample[]): number | null {
  if (samples.length < 2) return null;
  const a = samples[0]!;
  const b = samples[samples.length - 1]!;
  const seconds = (b.at - a.at) / 1000;
  return seconds > 0 ? (b.steps - a.steps) / seconds : null;
}

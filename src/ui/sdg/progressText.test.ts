import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, progressFraction, progressLine, resultLine, stageLine } from './progressText.ts';

describe('progress text', () => {
  it('durations round up to the next second and grow hours when needed', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(0.2)).toBe('0:01');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Infinity)).toBe('—');
  });

  it('rates: whole numbers from 10, one decimal from 1, two significant digits below', () => {
    expect(formatRate(23.6)).toBe('24 frames/s');
    expect(formatRate(2.44)).toBe('2.4 frames/s');
    expect(formatRate(0.314)).toBe('0.31 frames/s');
    expect(formatRate(0)).toBe('— frames/s');
  });

  it('the progress line: frames done, rate, ETA = frames left / rate, phase', () => {
    const p = { done: 3, total: 10, framesPerSecond: 2, etaSeconds: 7 / 2, phase: 'frames' as const, retried: 0 };
    expect(progressLine(p)).toBe('3 / 10 frames · 2.0 frames/s · ETA 0:04 · rendering');
    expect(progressFraction(p)).toBe(0.3);
    expect(progressLine({ ...p, done: 10, phase: 'done', retried: 1 })).toBe('10 / 10 frames · 2.0 frames/s · ETA 0:00 · done · 1 retried');
    expect(progressLine({ ...p, done: 10, phase: 'finalize', aggregated: 4, etaSeconds: 2 })).toBe('10 / 10 frames · 2.0 frames/s · ETA 0:02 · writing annotations 4 / 10');
  });

  it('the result line and stage times', () => {
    expect(resultLine({ status: 'complete', frames: 10, produced: 6, resumedFrom: 4, retried: 0, seconds: 3, stageMs: {} })).toBe(
      'Complete: 10 frames (6 made, 4 already there) in 0:03, 2.0 frames/s.',
    );
    expect(resultLine({ status: 'cancelled', frames: 1, produced: 1, resumedFrom: 0, retried: 2, seconds: 0.5, stageMs: {} })).toBe(
      'Cancelled: 1 frame (1 made, 0 already there) in 0:01, 2.0 frames/s, 2 retried after a worker crash.',
    );
    expect(stageLine({ physics: 4.25, render: 31.4 })).toBe('render 31 ms · physics 4.3 ms');
  });
});

/**
 * How a generation's progress and result read in the generate panel: durations, rates and the
 * one-line summaries. Pure text; no locale-dependent formatting, so tests pin the exact words.
 */
import type { GenerationProgress, GenerationResult } from '../../engine/jobs/generate.ts';

/** "0:07", "1:05", "1:02:03"; "—" when unknown. Rounds up: an ETA of 0.2 s shows as 0:01. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.ceil(seconds - 1e-9);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "2.4 frames/s", "0.31 frames/s" (two significant digits below 10), "— frames/s" before the first frame. */
export function formatRate(framesPerSecond: number): string {
  if (!Number.isFinite(framesPerSecond) || framesPerSecond <= 0) return '— frames/s';
  const text = framesPerSecond >= 10 ? String(Math.round(framesPerSecond)) : framesPerSecond >= 1 ? framesPerSecond.toFixed(1) : framesPerSecond.toPrecision(2);
  return `${text} frames/s`;
}

/** Fraction done, 0–1. */
export const progressFraction = (p: Pick<GenerationProgress, 'done' | 'total'>): number => (p.total > 0 ? Math.min(1, p.done / p.total) : 0);

const PHASE: Record<GenerationProgress['phase'], string> = { frames: 'rendering', finalize: 'writing annotations', done: 'done' };

/** "3 / 10 frames · 2.4 frames/s · ETA 0:03 · rendering" (+ "· 1 retried"). */
export function progressLine(p: GenerationProgress): string {
  const phase = p.phase === 'finalize' && p.aggregated !== undefined ? `${PHASE.finalize} ${p.aggregated} / ${p.total}` : PHASE[p.phase];
  const parts = [`${p.done} / ${p.total} frames`, formatRate(p.framesPerSecond), `ETA ${formatDuration(p.phase === 'done' ? 0 : p.etaSeconds)}`, phase];
  if (p.retried > 0) parts.push(`${p.retried} retried`);
  return parts.join(' · ');
}

/** "Complete: 10 frames (10 made, 0 resumed) in 0:12, 0.83 frames/s." */
export function resultLine(r: GenerationResult): string {
  const head = r.status === 'complete' ? 'Complete' : 'Cancelled';
  const rate = r.seconds > 0 && r.produced > 0 ? `, ${formatRate(r.produced / r.seconds)}` : '';
  const retried = r.retried > 0 ? `, ${r.retried} retried after a worker crash` : '';
  return `${head}: ${r.frames} frame${r.frames === 1 ? '' : 's'} (${r.produced} made, ${r.resumedFrom} already there) in ${formatDuration(r.seconds)}${rate}${retried}.`;
}

/** "physics 12 ms · render 30 ms · …" from mean stage times, largest first. */
export function stageLine(stageMs: Record<string, number>): string {
  return Object.entries(stageMs)
    .sort((a, b) => b[1] - a[1])
    .map(([stage, ms]) => `${stage} ${ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`)
    .join(' · ');
}

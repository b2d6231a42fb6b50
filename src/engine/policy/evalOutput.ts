/**
 * What `simloop eval` writes, in one place for the page that writes it (src/pages/evalPage.ts),
 * the CLI that reports it and the tests that read it back:
 *
 *   <out>/results.json                      the summary contract (docs/CLI.md): EvalResults
 *   <out>/episodes.jsonl                    one line per episode (evalEpisodeLine)
 *   <out>/videos/episode_<k>_<outcome>.mp4  each episode's camera video (unless --no-videos)
 *   <out>/traces/episode_<k>.jsonl          with --traces: one line per control step
 *   <out>/latency.svg                       each inference's latency over the run (a served
 *                                           policy's round trip and the server's own time)
 */
import type { EvaluationSummary, PolicyEpisodeResult } from './closedLoop.ts';
import { lineChartSvg } from '../report/plot.ts';
import type { SequentialStatus, StopRule } from '../eval/sequential.ts';

export const EVAL_RESULTS_PATH = 'results.json';
export const EVAL_EPISODES_PATH = 'episodes.jsonl';
export const EVAL_VIDEOS_DIR = 'videos';
export const EVAL_TRACES_DIR = 'traces';
export const EVAL_LATENCY_PATH = 'latency.svg';

/** The video of an episode, named by its outcome, as a path under `<out>/`. */
export const evalVideoPath = (result: Pick<PolicyEpisodeResult, 'index' | 'success'>) => `${EVAL_VIDEOS_DIR}/episode_${result.index}_${result.success ? 'success' : 'failure'}.mp4`;
/** The per-step trace of episode `index`, as a path under `<out>/`. */
export const evalTracePath = (index: number) => `${EVAL_TRACES_DIR}/episode_${index}.jsonl`;

export interface EvalResults extends EvaluationSummary {
  seed: number;
  /** Why a provider before the one used was skipped. */
  fallbacks: string[];
  /** Control steps per wall-clock second over the episodes (physics, cameras, inference, videos). */
  control_rate_hz: number;
  /** A served policy: the protocol, the server's URL, the metadata it sent, and how many connections the run opened (more than one: it reconnected). */
  remote?: { protocol: string; url: string; metadata: Record<string, unknown>; connections: number };
  /** `--until`: the rule, whether it stopped the run before --episodes, and its last answer (engine/eval/sequential.ts). */
  until?: { rule: StopRule; stopped_early: boolean } & SequentialStatus;
}

/** An episode as the evaluation keeps it: its result and its video's path (null without one). */
export type EvalEpisode = PolicyEpisodeResult & { video: string | null };

/** The results.json contract of a finished evaluation. */
export function evalResults(summary: EvaluationSummary, seed: number, fallbacks: readonly string[], episodes: readonly EvalEpisode[], wallSeconds: number, remote: EvalResults['remote'] | null = null, until: EvalResults['until'] | null = null): EvalResults {
  const steps = episodes.reduce((n, e) => n + e.steps, 0);
  return { ...summary, seed, fallbacks: [...fallbacks], control_rate_hz: Number((steps / Math.max(wallSeconds, 1e-9)).toFixed(2)), ...(remote ? { remote } : {}), ...(until ? { until } : {}) };
}

/** One line of episodes.jsonl. */
export function evalEpisodeLine(e: EvalEpisode): string {
  return JSON.stringify({
    episode: e.index,
    seed: e.seed,
    success: e.success,
    steps: e.steps,
    instruction: e.instruction,
    ...(e.target !== e.instruction ? { target_instruction: e.target } : {}),
    error: e.error,
    outcome: e.outcome,
    grasp_attempts: e.grasps.attempts,
    first_grasp_offset: e.grasps.firstOffset?.map((v) => Number(v.toFixed(4))) ?? null,
    inference_ms: e.inferenceMs.map((v) => Number(v.toFixed(3))),
    ...(e.serverMs.length ? { server_ms: e.serverMs.map((v) => Number(v.toFixed(3))) } : {}),
    factors: e.factors,
    video: e.video,
  });
}

/** Every inference's latency in order over the run, as a picture (with the server's own time when it reports one). */
export function latencyChart(results: Pick<EvalResults, 'policy' | 'ep' | 'clock'>, episodes: readonly EvalEpisode[]): string {
  const served = episodes.some((e) => e.serverMs.length > 0);
  const series = [{ name: served ? 'round trip' : 'inference', colour: '#1f6fd1', values: episodes.flatMap((e) => e.inferenceMs) }];
  // Server times line up with requests where the server sent one.
  if (served) series.push({ name: 'server infer_ms', colour: '#d1651f', values: episodes.flatMap((e) => (e.serverMs.length === e.inferenceMs.length ? e.serverMs : e.inferenceMs.map(() => Number.NaN))) });
  return lineChartSvg(`${results.policy} · ${results.ep} · ${results.clock} time: latency per ${served ? 'request' : 'inference'}`, 'ms', series);
}

/** episodes.jsonl, latency.svg, then results.json (results last: its presence says the evaluation finished). */
export function evalOutputFiles(results: EvalResults, episodes: readonly EvalEpisode[]): { path: string; bytes: Uint8Array }[] {
  const text = new TextEncoder();
  return [
    { path: EVAL_EPISODES_PATH, bytes: text.encode(episodes.map((e) => `${evalEpisodeLine(e)}\n`).join('')) },
    { path: EVAL_LATENCY_PATH, bytes: text.encode(`${latencyChart(results, episodes)}\n`) },
    { path: EVAL_RESULTS_PATH, bytes: text.encode(`${JSON.stringify(results, null, 2)}\n`) },
  ];
}

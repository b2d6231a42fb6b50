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
import { type EvaluationSummary, type PolicyEpisodeResult, summarize } from './closedLoop.ts';
import type { GraspRecord } from '../tasks/outcome.ts';
import { InputError } from '../errors.ts';
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
  /** `--shard i/N`: this run is block i of N of a job of `episodes` episodes (contiguous, as shardRange splits them); `simloop merge` joins the blocks. */
  shard?: { index: number; count: number; episodes: number };
}

/** An episode as the evaluation keeps it: its result and its video's path (null without one). */
export type EvalEpisode = PolicyEpisodeResult & { video: string | null };

/** The results.json contract of a finished evaluation. */
export function evalResults(
  summary: EvaluationSummary,
  seed: number,
  fallbacks: readonly string[],
  episodes: readonly EvalEpisode[],
  wallSeconds: number,
  remote: EvalResults['remote'] | null = null,
  until: EvalResults['until'] | null = null,
  shard: EvalResults['shard'] | null = null,
): EvalResults {
  const steps = episodes.reduce((n, e) => n + e.steps, 0);
  return { ...summary, seed, fallbacks: [...fallbacks], control_rate_hz: Number((steps / Math.max(wallSeconds, 1e-9)).toFixed(2)), ...(remote ? { remote } : {}), ...(until ? { until } : {}), ...(shard ? { shard } : {}) };
}

/** An episodes.jsonl line read back (the inverse of evalEpisodeLine; the file does not hold the control rate: `seconds` from `hz` when given, else NaN). */
export function evalEpisodeFromLine(line: Record<string, unknown>, hz: number | null): EvalEpisode {
  const e = line as {
    episode: number; seed: number; success: boolean; steps: number; instruction: string; target_instruction?: string; error: string | null; outcome: PolicyEpisodeResult['outcome'];
    grasp_attempts: number; first_grasp_offset: number[] | null; inference_ms?: number[]; server_ms?: number[]; factors?: Record<string, unknown>; video: string | null;
  };
  return {
    index: e.episode,
    seed: e.seed,
    instruction: e.instruction,
    target: e.target_instruction ?? e.instruction,
    success: e.success,
    steps: e.steps,
    error: e.error,
    outcome: e.outcome,
    grasps: { attempts: e.grasp_attempts, firstOffset: (e.first_grasp_offset as GraspRecord['firstOffset']) ?? null },
    seconds: hz ? e.steps / hz : Number.NaN,
    inferenceMs: e.inference_ms ?? [],
    serverMs: e.server_ms ?? [],
    factors: e.factors ?? {},
    video: e.video,
  };
}

/**
 * The blocks of one sharded evaluation as the single run would have written them: episodes in
 * order, the summary recomputed over all of them, and the control rate over the shards' summed
 * time. Throws an InputError naming the shard that belongs to another job, repeats a block, or
 * is missing.
 */
export function mergeEvaluations(shards: readonly { dir: string; results: EvalResults; episodes: EvalEpisode[] }[]): { results: EvalResults; episodes: EvalEpisode[] } {
  if (shards.length === 0) throw new InputError('merge', 'give the shard directories to merge');
  const first = shards[0]!;
  const same = ['task', 'policy', 'seed', 'clock', 'instructions', 'ep'] as const;
  const seen = new Map<number, string>();
  for (const s of shards) {
    if (!s.results.shard) throw new InputError(s.dir, 'is not a shard of an evaluation (its results.json has no "shard"; run simloop eval --shard i/N)');
    for (const key of same) {
      if (JSON.stringify(s.results[key]) !== JSON.stringify(first.results[key])) throw new InputError(s.dir, `comes from a different evaluation than ${first.dir} (its ${key} is ${JSON.stringify(s.results[key])}, not ${JSON.stringify(first.results[key])})`);
    }
    const { index, count, episodes } = s.results.shard;
    if (count !== first.results.shard!.count || episodes !== first.results.shard!.episodes) throw new InputError(s.dir, `is shard ${index}/${count} of ${episodes} episodes, but ${first.dir} is one of ${first.results.shard!.count} of ${first.results.shard!.episodes}`);
    const other = seen.get(index);
    if (other) throw new InputError(s.dir, `is shard ${index}/${count} again (also ${other})`);
    seen.set(index, s.dir);
  }
  const { count, episodes: total } = first.results.shard!;
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new InputError('merge', `shards ${missing.map((i) => `${i}/${count}`).join(', ')} are missing`);
  const episodes = shards.flatMap((s) => s.episodes).sort((a, b) => a.index - b.index);
  if (episodes.length !== total || episodes.some((e, i) => e.index !== i)) throw new InputError('merge', `the shards hold ${episodes.length} episodes; the evaluation has ${total} (episodes 0 to ${total - 1}, each once)`);
  const r = first.results;
  const summary = summarize(r.task, { name: r.policy, provider: r.ep }, r.clock, episodes, r.instructions);
  // Each shard's wall time, from its steps and control rate: the merged rate is as if run one after another.
  const wall = shards.reduce((t, s) => t + s.episodes.reduce((n, e) => n + e.steps, 0) / Math.max(s.results.control_rate_hz, 1e-9), 0);
  const fallbacks = [...new Set(shards.flatMap((s) => s.results.fallbacks))];
  return { results: evalResults(summary, r.seed, fallbacks, episodes, wall, r.remote ?? null), episodes };
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
  const count = served ? { one: 'request', many: 'requests' } : { one: 'inference', many: 'inferences' };
  return lineChartSvg(`${results.policy} · ${results.ep} · ${results.clock} time: latency per ${count.one}`, 'ms', series, undefined, undefined, count);
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

/**
 * A policy driving the robot through task episodes, and an evaluation over many of them.
 *
 * Each control step: when the action selector needs one, the policy gets an observation (the
 * robot's cameras, its state, the instruction) and returns an action chunk (SI units); the
 * selector (n_action_steps queue or ACT temporal ensembling) gives this step's action, which the
 * episode applies through the robot's controllers; the task's success predicate is checked on
 * simulator state. Two clocks:
 * - sim: physics waits for inference. Fully reproducible: episode k depends only on (seed, k)
 *   (given a deterministic runtime: the same provider on the same machine).
 * - real: inference latency costs simulated time, as on a real robot. While the policy thinks for
 *   L ms, floor(L · hz / 1000) control steps pass with the arm holding still (zero motion, the
 *   gripper as last commanded); the chunk's first actions, whose time has passed, are dropped. A
 *   slow policy is penalised the way hardware would penalise it. Not reproducible (latency varies).
 *
 * A PolicyError (NaN actions, a failed inference) ends the episode as errored, and the evaluation
 * goes on with the next one.
 */
import type { SceneDocument } from '../scene/schema.ts';
import { Episode, type RobotProfileFile } from '../tasks/episode.ts';
import { InputError } from '../errors.ts';
import { countOutcomes, type GraspRecord, type Outcome } from '../tasks/outcome.ts';
import type { TaskSpec } from '../tasks/spec.ts';
import { compareSuccessRates, wilsonInterval } from '../eval/stats.ts';
import { type FactorBreakdown, factorBreakdown, type OutcomeShare, outcomeBreakdown } from '../eval/factors.ts';
import { unit } from '../randomize/draw.ts';
import { type ActionSelector, ChunkQueue, TemporalEnsembler } from './chunking.ts';
import type { RgbaImage } from './image.ts';
import type { ActionSpace } from './manifest.ts';
import { PolicyError, type PolicyObservation } from './runtime.ts';

export type EvalClock = 'sim' | 'real';

/**
 * What the policy is told: the episode's instruction ('given'), or for the ablation ('swapped')
 * the same instruction naming another object on the table — the target's colour word replaced by
 * the colour of another of the task's objects (drawn from (seed, episode)). Success is still
 * judged on the episode's real target, so a policy that follows the words fails more often.
 */
export type InstructionMode = 'given' | 'swapped';

/** The instruction the policy gets in `mode`; throws for tasks whose instruction names no colour. */
export function instructionFor(episode: Episode, mode: InstructionMode): string {
  if (mode === 'given') return episode.instruction;
  const colourOf = (path: string) => episode.randomized[`${path}:palette`];
  const target = episode.target ? colourOf(episode.target) : undefined;
  const others = episode.objects.filter((p) => p !== episode.target).map(colourOf).filter((c): c is string => typeof c === 'string' && c !== target);
  if (typeof target !== 'string' || others.length === 0) throw new Error(`task "${episode.task.id}": swapped instructions need a target named by colour among other coloured objects`);
  const other = others[Math.min(others.length - 1, Math.floor(unit(episode.seed, episode.index, 'eval:swapped-instruction') * others.length))]!;
  const swapped = episode.instruction.replace(new RegExp(`\\b${target}\\b`, 'g'), other);
  if (swapped === episode.instruction) throw new Error(`task "${episode.task.id}": the instruction "${episode.instruction}" does not name the target's colour (${target})`);
  return swapped;
}

/** What the loop needs of a policy: a chunk for an observation, and how to use it. */
export interface PolicyDriver {
  name: string;
  /** The robot profile the policy was made for (its manifest's `robot`); episodes check theirs is it. */
  robot?: string;
  /** With space "features": the feature names the action sets, in order. */
  features?: readonly string[] | null;
  /** The execution provider, for reports ("wasm", "webgpu", "node"). */
  provider: string;
  space: ActionSpace;
  horizon: number;
  dim: number;
  hz: number;
  nActionSteps: number;
  temporalEnsemble: number | null;
  /** Control steps of observations each inference sees (the manifest's inputs.history; default 1). */
  history?: number;
  /**
   * Action chunk (horizon × dim, SI units; a served policy's horizon may differ from `horizon`),
   * the latency in milliseconds (a served policy's: the request's round trip) and, from a server
   * that reports it, its own inference time.
   */
  infer(obs: PolicyObservation): Promise<{ chunk: Float64Array; ms: number; serverMs?: number }>;
}

/** Renders the robot's cameras for one episode. */
export interface EpisodeCameras {
  render(): Partial<Record<string, RgbaImage>>;
  dispose(): void;
}

export interface PolicyEpisodeResult {
  index: number;
  seed: number;
  /** What the policy was told. */
  instruction: string;
  /** The episode's own instruction (what success is judged by); differs when swapped. */
  target: string;
  success: boolean;
  steps: number;
  /** Why the episode stopped early (a PolicyError), or null. */
  error: string | null;
  /** How it ended: success, errored, or the kind of failure (tasks/outcome.ts). */
  outcome: Outcome;
  /** Grasp attempts and the tool's offset from the target at the first (tasks/outcome.ts). */
  grasps: GraspRecord;
  /** Simulated seconds the episode took. */
  seconds: number;
  /** Each inference's latency (ms): in the tab, the worker call; for a served policy, the request's round trip. */
  inferenceMs: number[];
  /** A served policy's own inference time per request (openpi's server_timing.infer_ms); empty in the tab. */
  serverMs: number[];
  /** The episode's randomized draws (engine/randomize), for the per-factor breakdown. */
  factors: Record<string, unknown>;
}

export interface PolicyEpisodeRun {
  task: TaskSpec;
  scene: SceneDocument;
  seed: number;
  index: number;
  policy: PolicyDriver;
  clock: EvalClock;
  /** What the policy is told (default: the episode's instruction). */
  instructions?: InstructionMode;
  /** The robot's profile (default: the task's robot, its profile inferred). */
  robot?: RobotProfileFile;
  /** Words typed by a person, told instead of the episode's instruction (success is still judged on the episode's target). */
  instruction?: string;
  cameras?: (episode: Episode) => EpisodeCameras;
  /** Called once the episode's scene exists, before the first step (live views show it). */
  onStart?: (episode: Episode, instruction: string) => void;
  /** Called after every control step (for videos and live views). */
  onStep?: (episode: Episode, action: Float64Array, images: Partial<Record<string, RgbaImage>> | null) => void | Promise<void>;
  /** Checked before every control step: when set, the episode ends early, marked errored "stopped". */
  signal?: { readonly aborted: boolean };
}

function observation(episode: Episode, images: Partial<Record<string, RgbaImage>>, instruction: string): PolicyObservation {
  const o = episode.observe();
  const features = episode.featureValues();
  const joints = episode.arm.model.armJoints.length;
  const { position, quaternion } = o.ee;
  return {
    images,
    jointPositions: o.state.subarray(0, joints),
    fingerPositions: o.state.subarray(joints),
    eePosition: [position.x, position.y, position.z],
    eeQuaternion: [quaternion.x, quaternion.y, quaternion.z, quaternion.w],
    gripperWidth: o.gripperWidth,
    ...(features ? { features } : {}),
    instruction,
    // Latent noise (diffusion, flow matching) is drawn from the episode and the control step, so
    // sim-time episodes stay a pure function of (seed, index).
    noise: { seed: episode.seed, episode: episode.index, step: episode.steps },
  };
}

function selectorFor(policy: PolicyDriver): ActionSelector {
  return policy.temporalEnsemble !== null ? new TemporalEnsembler(policy.dim, policy.temporalEnsemble) : new ChunkQueue(policy.dim, policy.nActionSteps);
}

/** The action that holds the arm still with the gripper as `gripper` commands it. */
function holdAction(space: ActionSpace, dim: number, gripper: number, episode: Episode, features: readonly string[] | null | undefined): Float64Array {
  if (space === 'features') return episode.featureTargets(features ?? []);
  const hold = new Float64Array(dim);
  if (space === 'joint_position') hold.set(episode.arm.state().target.slice(0, dim - 1));
  hold[dim - 1] = gripper;
  return hold;
}

/** One episode of `task` (episode `index` of `seed`) driven by `policy`. */
export async function runPolicyEpisode(run: PolicyEpisodeRun): Promise<PolicyEpisodeResult> {
  const { policy } = run;
  // The task runs at the policy's control rate (as demonstrations record at theirs).
  const task = run.task.control_hz === policy.hz ? run.task : { ...run.task, control_hz: policy.hz };
  const episode = await Episode.create(task, run.scene, run.seed, run.index, run.robot);
  let told: string;
  try {
    // A policy drives the robot it was made for: the task's robot must be that profile's.
    const robot = episode.arm.model.name;
    if (policy.robot !== undefined && policy.robot !== robot) throw new InputError(policy.name, `robot: the policy is for "${policy.robot}", the task's robot is "${robot}"${run.robot ? ` (${run.robot.file})` : ' (its profile inferred; give the task a robot profile)'}`);
    told = run.instruction?.trim() ? run.instruction.trim() : instructionFor(episode, run.instructions ?? 'given');
  } catch (e) {
    episode.free();
    throw e;
  }
  const cameras = run.cameras?.(episode) ?? null;
  run.onStart?.(episode, told);
  const selector = selectorFor(policy);
  const inferenceMs: number[] = [];
  const serverMs: number[] = [];
  let error: string | null = null;
  let gripper = -1;
  const history = policy.history ?? 1;
  const past: PolicyObservation[] = [];
  try {
    while (!episode.done) {
      if (run.signal?.aborted) {
        error = 'stopped';
        break;
      }
      const images = cameras ? cameras.render() : {};
      // Policies with a history see the last steps' observations too (every control step's).
      const now = history > 1 || selector.needsInference() ? observation(episode, images, told) : null;
      let action: Float64Array;
      if (selector.needsInference()) {
        let chunk: Float64Array;
        let ms: number;
        let serverTime: number | undefined;
        try {
          ({ chunk, ms, serverMs: serverTime } = await policy.infer(history > 1 ? { ...now!, past: past.slice() } : now!));
        } catch (e) {
          if (!(e instanceof PolicyError)) throw e;
          // Stopping a run may end the request it was waiting on: that episode was stopped.
          error = run.signal?.aborted ? 'stopped' : e.message;
          break;
        }
        inferenceMs.push(ms);
        if (serverTime !== undefined) serverMs.push(serverTime);
        let horizon = chunk.length / policy.dim;
        if (run.clock === 'real') {
          // The world moved on while the policy was thinking.
          const passed = Math.floor((ms * policy.hz) / 1000);
          for (let k = 0; k < passed && !episode.done; k++) {
            const hold = holdAction(policy.space, policy.dim, gripper, episode, policy.features);
            episode.stepIn(policy.space, hold, policy.features ?? undefined);
            await run.onStep?.(episode, hold, null);
          }
          if (episode.done) break;
          const dropped = Math.min(passed, horizon - 1);
          chunk = chunk.subarray(dropped * policy.dim);
          horizon -= dropped;
        }
        selector.push(chunk, horizon);
      }
      if (history > 1) {
        past.push(now!);
        if (past.length > history - 1) past.shift();
      }
      action = selector.next();
      gripper = action[policy.dim - 1]!;
      episode.stepIn(policy.space, action, policy.features ?? undefined);
      await run.onStep?.(episode, action, cameras ? images : null);
    }
  } finally {
    cameras?.dispose();
    episode.free();
  }
  return {
    index: run.index,
    seed: run.seed,
    instruction: told,
    target: episode.instruction,
    success: error === null && episode.success,
    steps: episode.steps,
    error,
    outcome: error !== null ? 'errored' : episode.outcome(),
    grasps: episode.grasps(),
    seconds: episode.steps / episode.task.control_hz,
    inferenceMs,
    serverMs,
    factors: episode.randomized,
  };
}

export interface EvaluationSummary {
  task: string;
  policy: string;
  episodes: number;
  successes: number;
  success_rate: number;
  ci95: [number, number];
  mean_steps: number;
  ep: string;
  clock: EvalClock;
  /** Inference latency: in the tab, the worker call; for a served policy, each request's round trip. */
  inference_ms: { p50: number; p95: number };
  /** A served policy's own inference time (server_timing.infer_ms), when the server reports it. */
  server_ms?: { p50: number; p95: number };
  /** Episodes stopped by a policy error (counted as failures). */
  errored: number;
  instructions: InstructionMode;
  /** How many episodes ended each way (tasks/outcome.ts), zero counts left out. */
  outcomes: Partial<Record<Outcome, number>>;
  /** Each outcome's share of the episodes with its Wilson interval, most frequent first (engine/eval/factors.ts). */
  by_outcome: OutcomeShare[];
  /** Success by each randomized factor that varied (binned numbers, categories), with intervals: where the policy fails. */
  by_factor: FactorBreakdown[];
}

/** The q-quantile (0..1) by linear interpolation between order statistics (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

/** The results.json summary of a set of episodes. */
export function summarize(taskId: string, policy: Pick<PolicyDriver, 'name' | 'provider'>, clock: EvalClock, results: readonly PolicyEpisodeResult[], instructions: InstructionMode = 'given'): EvaluationSummary {
  const successes = results.filter((r) => r.success).length;
  const latencies = results.flatMap((r) => r.inferenceMs);
  const server = results.flatMap((r) => r.serverMs ?? []);
  const round = (v: number, digits: number) => Number(v.toFixed(digits));
  return {
    task: taskId,
    policy: policy.name,
    episodes: results.length,
    successes,
    success_rate: results.length ? successes / results.length : 0,
    ci95: wilsonInterval(successes, results.length),
    mean_steps: results.length ? results.reduce((n, r) => n + r.steps, 0) / results.length : 0,
    ep: policy.provider,
    clock,
    inference_ms: { p50: round(quantile(latencies, 0.5), 3), p95: round(quantile(latencies, 0.95), 3) },
    ...(server.length ? { server_ms: { p50: round(quantile(server, 0.5), 3), p95: round(quantile(server, 0.95), 3) } } : {}),
    errored: results.filter((r) => r.error !== null).length,
    instructions,
    outcomes: countOutcomes(results.map((r) => r.outcome)),
    by_outcome: outcomeBreakdown(results),
    by_factor: factorBreakdown(results),
  };
}

export interface EvaluationProgress {
  done: number;
  total: number;
  successes: number;
  last: PolicyEpisodeResult | null;
}

/** Episodes 0..n−1 of (task, seed) driven by `policy`, one after another. */
export async function runEvaluation(
  job: { taskId: string; task: TaskSpec; scene: SceneDocument; seed: number; episodes: number; policy: PolicyDriver; clock: EvalClock; instructions?: InstructionMode; cameras?: PolicyEpisodeRun['cameras'] },
  onProgress?: (p: EvaluationProgress) => void,
): Promise<{ summary: EvaluationSummary; episodes: PolicyEpisodeResult[] }> {
  const results: PolicyEpisodeResult[] = [];
  for (let index = 0; index < job.episodes; index++) {
    const result = await runPolicyEpisode({ task: job.task, scene: job.scene, seed: job.seed, index, policy: job.policy, clock: job.clock, instructions: job.instructions ?? 'given', ...(job.cameras ? { cameras: job.cameras } : {}) });
    results.push(result);
    onProgress?.({ done: results.length, total: job.episodes, successes: results.filter((r) => r.success).length, last: result });
  }
  return { summary: summarize(job.taskId, job.policy, job.clock, results, job.instructions ?? 'given'), episodes: results };
}

/** Two runs' success rates compared (Fisher's exact test). */
export function compareEvaluations(a: EvaluationSummary, b: EvaluationSummary) {
  return compareSuccessRates(a.successes, a.episodes, b.successes, b.episodes);
}

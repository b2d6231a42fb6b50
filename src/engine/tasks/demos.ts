/**
 * Demonstrations: run a task's scripted expert for episodes 0 … N−1 of a seed, record every
 * control step (observation before the action, the action, reward and done after it), and write
 * the datasets — LeRobot v3.0 under `lerobot/`, robomimic-style HDF5 as `robomimic.hdf5`, and
 * always `episodes.jsonl` (episode, seed, success, steps, instruction). Failed episodes are kept and
 * marked (episodes.jsonl, the HDF5 `failed` mask). Episode k depends only on (seed, k).
 *
 * DOM-free; writes through a Sink (Node's file system from the CLI). Camera streams are not
 * recorded yet (they need the renderer, which runs in the browser).
 */
import { writeLeRobotDataset } from '../dataset/lerobot.ts';
import { writeRobomimicHdf5, type RobomimicEpisode } from '../dataset/robomimic.ts';
import { writeFiles } from '../dataset/sinks/writeFiles.ts';
import type { Sink } from '../dataset/types.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { ACTION_NAMES, Episode } from './episode.ts';
import { runExpert } from './experts.ts';
import type { TaskSpec } from './spec.ts';

export const DEMO_FORMATS = ['lerobot', 'hdf5'] as const;
export type DemoFormat = (typeof DEMO_FORMATS)[number];

export interface DemoJob {
  task: TaskSpec;
  /** The task's scene, loaded. */
  scene: SceneDocument;
  episodes: number;
  seed: number;
  formats: DemoFormat[];
}

export interface DemoProgress {
  done: number;
  total: number;
  successes: number;
  episodesPerSecond: number;
  etaSeconds: number | null;
}

export interface DemoSummary {
  task: string;
  episodes: number;
  successes: number;
  frames: number;
  seconds: number;
}

/** One recorded episode. */
export interface Recording {
  index: number;
  seed: number;
  instruction: string;
  success: boolean;
  failure: string | null;
  stateNames: string[];
  state: Float32Array[];
  action: Float32Array[];
  reward: number[];
  done: boolean[];
  /** For robomimic's obs: tool point position and quaternion (x y z w), fingers, joints. */
  eefPos: Float32Array[];
  eefQuat: Float32Array[];
  gripperQpos: Float32Array[];
  jointPos: Float32Array[];
  /** Flattened simulator state per step: every moving body's position and orientation. */
  simState: Float64Array[];
  /** The task objects' positions per step, flattened (robomimic's `object` observation). */
  objects: Float32Array[];
}

/** Runs episode `index` with the expert, recording every control step. */
export async function recordEpisode(task: TaskSpec, scene: SceneDocument, seed: number, index: number): Promise<Recording> {
  const episode = await Episode.create(task, scene, seed, index);
  try {
    const r: Recording = {
      index,
      seed,
      instruction: episode.instruction,
      success: false,
      failure: null,
      stateNames: episode.stateNames(),
      state: [],
      action: [],
      reward: [],
      done: [],
      eefPos: [],
      eefQuat: [],
      gripperQpos: [],
      jointPos: [],
      simState: [],
      objects: [],
    };
    const arms = episode.arm.model.armJoints.length;
    const observe = () => {
      const o = episode.observe();
      r.state.push(o.state);
      r.eefPos.push(Float32Array.from(o.ee.position.toArray()));
      r.eefQuat.push(Float32Array.from([o.ee.quaternion.x, o.ee.quaternion.y, o.ee.quaternion.z, o.ee.quaternion.w]));
      r.jointPos.push(o.state.slice(0, arms));
      r.gripperQpos.push(o.state.slice(arms));
      r.simState.push(Float64Array.from(episode.world.readPoses()));
      r.objects.push(Float32Array.from(episode.objects.flatMap((p) => episode.position(p).toArray())));
    };
    const result = runExpert(episode, (action) => {
      observe();
      r.action.push(action);
    });
    // One reward / done per recorded step: the last step is where the episode ended.
    const n = r.action.length;
    for (let t = 0; t < n; t++) {
      r.reward.push(t === n - 1 && result.success ? 1 : 0);
      r.done.push(t === n - 1);
    }
    r.success = result.success;
    r.failure = result.failure;
    return r;
  } finally {
    episode.free();
  }
}

/** Runs the job and writes its datasets to `sink`; returns the summary. */
export async function runDemos(job: DemoJob, sink: Sink, onProgress?: (p: DemoProgress) => void, now: () => number = () => performance.now()): Promise<DemoSummary> {
  const started = now();
  const recordings: Recording[] = [];
  for (let k = 0; k < job.episodes; k++) {
    recordings.push(await recordEpisode(job.task, job.scene, job.seed, k));
    const elapsed = (now() - started) / 1000;
    const rate = (k + 1) / Math.max(elapsed, 1e-9);
    onProgress?.({ done: k + 1, total: job.episodes, successes: recordings.filter((r) => r.success).length, episodesPerSecond: rate, etaSeconds: (job.episodes - k - 1) / rate });
  }
  const fps = job.task.control_hz;
  const encoder = new TextEncoder();
  const lines = recordings.map((r) => JSON.stringify({ episode: r.index, seed: r.seed, success: r.success, steps: r.action.length, instruction: r.instruction, ...(r.failure ? { failure: r.failure } : {}) }));
  await sink.write('episodes.jsonl', encoder.encode(lines.map((l) => `${l}\n`).join('')));

  if (job.formats.includes('lerobot')) {
    const files = writeLeRobotDataset(
      { fps, robotType: 'panda', stateNames: recordings[0]?.stateNames ?? [], actionNames: [...ACTION_NAMES] },
      recordings.map((r) => ({ index: r.index, task: r.instruction, state: r.state, action: r.action, reward: r.reward, done: r.done })),
    );
    await writeFiles(sink, files.map((f) => ({ path: `lerobot/${f.path}`, bytes: f.bytes })));
  }
  if (job.formats.includes('hdf5')) {
    const episodes: RobomimicEpisode[] = recordings.map((r) => ({
      index: r.index,
      instruction: r.instruction,
      success: r.success,
      actions: r.action,
      rewards: r.reward,
      dones: r.done,
      states: r.simState,
      obs: { robot0_eef_pos: r.eefPos, robot0_eef_quat: r.eefQuat, robot0_gripper_qpos: r.gripperQpos, robot0_joint_pos: r.jointPos, object: r.objects },
    }));
    const bytes = await writeRobomimicHdf5({ envName: `Simloop-${job.task.id}`, envKwargs: { task: job.task.id, control_hz: fps, seed: job.seed, action: [...ACTION_NAMES] } }, episodes);
    await sink.write('robomimic.hdf5', bytes);
  }
  return {
    task: job.task.id,
    episodes: recordings.length,
    successes: recordings.filter((r) => r.success).length,
    frames: recordings.reduce((n, r) => n + r.action.length, 0),
    seconds: Number(((now() - started) / 1000).toFixed(3)),
  };
}

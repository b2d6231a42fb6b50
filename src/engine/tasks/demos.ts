/**
 * Demonstrations: run a task's scripted expert for episodes 0 … N−1 of a seed, record every
 * control step (observation before the action, the action, reward and done after it), and write
 * the datasets — LeRobot v3.0 under `lerobot/`, robomimic-style HDF5 as `robomimic.hdf5`, and
 * always `episodes.jsonl` (episode, seed, success, steps, instruction). Failed episodes are kept and
 * marked (episodes.jsonl, the HDF5 `failed` mask). Episode k depends only on (seed, k).
 *
 * DOM-free; writes through a Sink. Camera streams need a renderer and a video encoder, which
 * the caller provides (`DemoCameras`: in the browser, a RobotCameraRig on an OffscreenCanvas and
 * WebCodecs + mediabunny); without them the datasets have no images (the CLI's --no-cameras).
 * Video files follow LeRobot's splitting: episodes append to a camera's current file until the
 * next would bring it to `video_files_size_in_mb`. After every episode the datasets so far are
 * written out, so a failure leaves the finished episodes readable (the HDF5 file excepted: it is
 * written at the end).
 */
import { fillPath } from '../dataset/pathTemplate.ts';
import { DEMOS_EPISODES_PATH, DEMOS_ROBOMIMIC_PATH, demosLeRobotPath } from '../dataset/demosLayout.ts';
import { DEFAULT_CHUNK_SIZE, DEFAULT_VIDEO_FILE_SIZE_IN_MB, imageStats, type LeRobotVideoSpan, nextFile, VIDEO_PATH, writeLeRobotDataset } from '../dataset/lerobot.ts';
import { RobomimicWriter, type RobomimicEpisode } from '../dataset/robomimic.ts';
import { writeFiles } from '../dataset/sinks/writeFiles.ts';
import type { Sink } from '../dataset/types.ts';
import { robotFromScene } from '../robot/model.ts';
import { resolveProfile } from '../robot/profile.ts';
import { setUpRobot } from '../robot/setup.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { ACTION_NAMES, Episode, type RobotProfileFile } from './episode.ts';
import { type ActionNoise, runExpert } from './experts.ts';
import type { TaskSpec } from './spec.ts';

export const DEMO_FORMATS = ['lerobot', 'hdf5'] as const;
export type DemoFormat = (typeof DEMO_FORMATS)[number];

/** One episode of one camera, encoded (its packets are the encoder's business). */
export interface EncodedEpisode {
  frames: number;
  /** Encoded size. */
  bytes: number;
  data: unknown;
}

/** Video encoding and muxing (src/browser/videoTrack.ts in the browser: WebCodecs + mediabunny). */
export interface VideoCodec {
  /** As LeRobot names it in info.json: "av1" or "h264". */
  readonly name: string;
  /** One episode's frames (RGBA8, top row first), starting with a key frame. */
  encode(frames: readonly Uint8Array[], width: number, height: number, fps: number): Promise<EncodedEpisode>;
  /** One MP4 file of these episodes, back to back. */
  mux(episodes: readonly EncodedEpisode[], fps: number): Promise<Uint8Array>;
}

export interface DemoCamera {
  /** The LeRobot feature is observation.images.<key>. */
  key: string;
  /** The camera prim. */
  path: string;
  width: number;
  height: number;
}

export interface DemoCameras {
  cameras: DemoCamera[];
  /** A renderer for one episode's scene: `render()` gives every camera's image now, by prim path. */
  rig(episode: Episode): { render(): Map<string, Uint8Array>; dispose(): void };
  video: VideoCodec;
  videoFilesSizeInMb?: number;
}

export interface DemoJob {
  task: TaskSpec;
  /** The task's scene, loaded. */
  scene: SceneDocument;
  episodes: number;
  seed: number;
  /**
   * The first episode drawn (default 0): a shard of a job runs episodes firstEpisode …
   * firstEpisode + episodes − 1 of the seed, recorded as its dataset's episodes 0 … episodes − 1.
   */
  firstEpisode?: number;
  formats: DemoFormat[];
  cameras?: DemoCameras;
  /** Execute the expert's actions perturbed (DART); the datasets record the expert's own actions. */
  noise?: ActionNoise;
  /** The robot's profile: its features name and scale the recorded state (and LeRobot's action). */
  robot?: RobotProfileFile;
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
  /** Place in the dataset (0, 1, …). */
  index: number;
  /** The episode was drawn as (seed, draw): its randomization, target and instruction. */
  seed: number;
  draw: number;
  instruction: string;
  success: boolean;
  failure: string | null;
  /** The robot's robot_type (its profile's; LeRobot's info.json records it). */
  robotType: string;
  stateNames: string[];
  state: Float32Array[];
  action: Float32Array[];
  /**
   * With a profile that names features: per step, the joint-position targets its action set, in the
   * features' units — the action LeRobot records from a leader arm. LeRobot output uses these (named
   * as the state) instead of the end-effector action; robomimic keeps the end-effector action.
   */
  jointAction?: Float32Array[];
  reward: number[];
  done: boolean[];
  /** For robomimic's obs: tool point position and quaternion (x y z w), fingers, joints. */
  eefPos: Float32Array[];
  eefQuat: Float32Array[];
  gripperQpos: Float32Array[];
  jointPos: Float32Array[];
  /** Flattened simulator state per step: every moving body's position and orientation. */
  simState: Float64Array[];
  /** The task objects' positions and the goal point per step, flattened (robomimic's `object` observation). */
  objects: Float32Array[];
  /** Camera images per step (RGBA8), by camera key, when cameras are recorded. */
  images: Record<string, Uint8Array[]>;
  /**
   * DART demonstrations only: per step, how far the commanded tool pose is off the expert's path
   * (3 position + 3 rotation-vector values), which that step's action undoes. Training can tell
   * the correction from the path with it (robomimic `obs/dart_offset`).
   */
  dartOffset?: Float32Array[];
}

/**
 * Records an episode step by step, whoever drives it (the scripted expert, or a person through
 * teleoperation): before each action, the observation (and the cameras' images); then the action.
 */
export class EpisodeRecorder {
  readonly recording: Recording;
  private readonly rig: ReturnType<DemoCameras['rig']> | null;
  private readonly arms: number;

  /** `index` is the episode's place in the dataset; the episode itself was drawn as (seed, draw). */
  constructor(
    readonly episode: Episode,
    index: number,
    private readonly cameras?: DemoCameras,
  ) {
    this.rig = cameras?.rig(episode) ?? null;
    this.arms = episode.arm.model.armJoints.length;
    this.recording = {
      index,
      seed: episode.seed,
      draw: episode.index,
      instruction: episode.instruction,
      success: false,
      failure: null,
      stateNames: episode.stateNames(),
      robotType: episode.arm.model.robotType,
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
      images: Object.fromEntries((cameras?.cameras ?? []).map((c) => [c.key, []])),
    };
  }

  /** Records the state now and the action about to be applied (call just before Episode.step). */
  record(action: Float32Array, dartOffset: Float32Array | null = null): void {
    const { episode, recording: r } = this;
    if (dartOffset) (r.dartOffset ??= []).push(dartOffset);
    this.recordTargets();
    const o = episode.observe();
    r.state.push(episode.featureState() ?? o.state);
    r.eefPos.push(Float32Array.from(o.ee.position.toArray()));
    r.eefQuat.push(Float32Array.from([o.ee.quaternion.x, o.ee.quaternion.y, o.ee.quaternion.z, o.ee.quaternion.w]));
    r.jointPos.push(o.state.slice(0, this.arms));
    r.gripperQpos.push(o.state.slice(this.arms));
    r.simState.push(Float64Array.from(episode.world.readPoses()));
    // The task's state beyond the robot: its objects' positions, then the goal point if it has one.
    r.objects.push(Float32Array.from([...episode.objects.flatMap((p) => episode.position(p).toArray()), ...(episode.goal?.toArray() ?? [])]));
    if (this.rig) {
      const images = this.rig.render();
      for (const c of this.cameras!.cameras) r.images[c.key]!.push(images.get(c.path)!);
    }
    r.action.push(action);
  }

  /** The joint targets the previous step's action set, as features (profiles with features only). */
  private recordTargets(): void {
    const r = this.recording;
    const previous = r.action.at(-1);
    if (!previous || (r.jointAction?.length ?? 0) === r.action.length) return;
    const targets = this.episode.featureState({ gripperClosed: previous[previous.length - 1]! >= 0 });
    if (targets) (r.jointAction ??= []).push(targets);
  }

  /** Ends the recording: reward 1 on the last step of a success, done on the last step. */
  finish(failure: string | null = null): Recording {
    this.recordTargets();
    const r = this.recording;
    const n = r.action.length;
    r.reward = Array.from({ length: n }, (_, t) => (t === n - 1 && this.episode.success ? 1 : 0));
    r.done = Array.from({ length: n }, (_, t) => t === n - 1);
    r.success = this.episode.success;
    r.failure = this.episode.success ? null : failure;
    this.rig?.dispose();
    return r;
  }
}

/**
 * Runs episode `draw` of the seed with the expert, recording every control step, as episode `place`
 * of the dataset (a shard's dataset counts from 0; its episodes are drawn from its block of the job's).
 */
export async function recordEpisode(task: TaskSpec, scene: SceneDocument, seed: number, draw: number, cameras?: DemoCameras, noise?: ActionNoise, robot?: RobotProfileFile, place = draw): Promise<Recording> {
  const episode = await Episode.create(task, scene, seed, draw, robot);
  try {
    const recorder = new EpisodeRecorder(episode, place, cameras);
    try {
      const result = runExpert(episode, (action, offset) => recorder.record(action, offset), noise);
      return recorder.finish(result.failure);
    } catch (error) {
      recorder.finish();
      throw error;
    }
  } finally {
    episode.free();
  }
}

/**
 * Camera streams across episodes, as LeRobot splits them: per camera, the current video file takes
 * whole episodes until the next would bring it to `video_files_size_in_mb` (its encoded size is
 * known, as in LeRobot's writer); then the next file. Files are muxed from the episodes' packets,
 * so the current one can be written out again after every episode.
 */
export class VideoFiles {
  private readonly current = new Map<string, { chunk: number; file: number; episodes: EncodedEpisode[]; bytes: number }>();
  /** Finished files (rolled over), not yet handed out. */
  private finished: { path: string; bytes: Uint8Array }[] = [];
  readonly spans: Record<string, LeRobotVideoSpan>[] = [];

  /** `keys`: the cameras' keys (feature observation.images.<key>), in order; `limitMb`: video_files_size_in_mb. */
  constructor(
    private readonly keys: readonly string[],
    private readonly mux: VideoCodec['mux'],
    private readonly fps: number,
    private readonly chunksSize: number,
    private readonly limitMb: number,
  ) {}

  private path(key: string, chunk: number, file: number): string {
    return fillPath(VIDEO_PATH, { video_key: `observation.images.${key}`, chunk_index: chunk, file_index: file });
  }

  /** Encodes a recording's camera frames and adds them. */
  async add(recording: Recording, cameras: DemoCameras): Promise<void> {
    const episode: Record<string, { encoded: EncodedEpisode; stats: Record<string, number[]> }> = {};
    for (const camera of cameras.cameras) {
      const frames = recording.images[camera.key]!;
      episode[camera.key] = { encoded: await cameras.video.encode(frames, camera.width, camera.height, this.fps), stats: imageStats(frames) };
    }
    await this.addEncoded(episode);
  }

  /** Adds one episode already encoded: per camera key, its packets and its image stats. */
  async addEncoded(episode: Record<string, { encoded: EncodedEpisode; stats: Record<string, number[]> }>): Promise<void> {
    const spans: Record<string, LeRobotVideoSpan> = {};
    const limit = this.limitMb * 2 ** 20;
    for (const key of this.keys) {
      const { encoded, stats } = episode[key]!;
      let file = this.current.get(key);
      if (file && file.episodes.length && file.bytes + encoded.bytes >= limit) {
        this.finished.push({ path: this.path(key, file.chunk, file.file), bytes: await this.mux(file.episodes, this.fps) });
        const [chunk, index] = nextFile(file.chunk, file.file, this.chunksSize);
        file = { chunk, file: index, episodes: [], bytes: 0 };
      }
      file ??= { chunk: 0, file: 0, episodes: [], bytes: 0 };
      this.current.set(key, file);
      const first = file.episodes.reduce((n, e) => n + e.frames, 0);
      file.episodes.push(encoded);
      file.bytes += encoded.bytes;
      // Frame counts over the rate, not sums of seconds, so spans meet exactly.
      spans[`observation.images.${key}`] = { chunk: file.chunk, file: file.file, from: first / this.fps, to: (first + encoded.frames) / this.fps, stats };
    }
    this.spans.push(spans);
  }

  /** The files to write now: those finished since the last call, and every current file as it stands. */
  async files(): Promise<{ path: string; bytes: Uint8Array }[]> {
    const out = this.finished;
    this.finished = [];
    for (const [key, file] of this.current) out.push({ path: this.path(key, file.chunk, file.file), bytes: await this.mux(file.episodes, this.fps) });
    return out;
  }
}

/** RGBA8 frames → RGB8 (robomimic's H × W × 3 images). */
function rgbOf(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}

/**
 * The cameras to record: the scene's own (the scene camera) first, then the robot's (the wrist
 * camera), keyed by their prim name without "camera" ("wrist_camera" → wrist, "SceneCamera" →
 * scene).
 */
export function demoCameras(scene: SceneDocument, robot: string | undefined, [width, height]: [number, number], profile?: RobotProfileFile): DemoCamera[] {
  if (profile) scene = setUpRobot(scene, resolveProfile(profile.profile, scene, profile.file), profile.file);
  const own = new Set(robotFromScene(scene, robot).cameras);
  const all = scene.prims.filter((p) => p.camera).map((p) => p.path);
  const ordered = [...all.filter((p) => !own.has(p)), ...all.filter((p) => own.has(p))];
  const keys = new Set<string>();
  return ordered.map((path) => {
    const name = path.split('/').pop()!.replace(/camera/i, '').replace(/^_+|_+$/g, '').toLowerCase() || 'camera';
    let key = name;
    for (let n = 2; keys.has(key); n++) key = `${name}${n}`;
    keys.add(key);
    return { key, path, width, height };
  });
}

/**
 * The order robomimicEpisode writes the low-dimensional observations in (those a recording has).
 * HDF5 reads a group's members back in name order; `simloop merge` restores this order with it, so
 * a merged file is written exactly as a single run's.
 */
export const ROBOMIMIC_OBS_ORDER = ['robot0_eef_pos', 'robot0_eef_quat', 'robot0_gripper_qpos', 'robot0_joint_pos', 'robot0_features', 'object', 'dart_offset'] as const;

/** One recording as a robomimic demo: low-dimensional observations (ROBOMIMIC_OBS_ORDER) and, with cameras, `<camera>_image`. */
function robomimicEpisode(r: Recording, cameras: readonly DemoCamera[]): RobomimicEpisode {
  return {
    index: r.index,
    instruction: r.instruction,
    success: r.success,
    actions: r.action,
    rewards: r.reward,
    dones: r.done,
    states: r.simState,
    obs: {
      robot0_eef_pos: r.eefPos,
      robot0_eef_quat: r.eefQuat,
      robot0_gripper_qpos: r.gripperQpos,
      robot0_joint_pos: r.jointPos,
      // A profile's features (LeRobot's observation.state: the SO-101's joints in degrees, its jaw 0 … 100).
      ...(r.jointAction ? { robot0_features: r.state } : {}),
      ...((r.objects[0]?.length ?? 0) > 0 ? { object: r.objects } : {}),
      ...(r.dartOffset ? { dart_offset: r.dartOffset } : {}),
    },
    images: Object.fromEntries(cameras.map((c) => [`${c.key}_image`, { width: c.width, height: c.height, frames: r.images[c.key]!.map(rgbOf) }])),
  };
}

/**
 * The datasets of a set of recordings, written as they come: camera frames go into the video
 * files and the HDF5 file at once (and are then dropped), the rest at finish().
 */
export class DemoDatasets {
  private readonly recordings: Recording[] = [];

  private constructor(
    private readonly task: TaskSpec,
    private readonly formats: readonly DemoFormat[],
    private readonly cameras: DemoCameras | undefined,
    private readonly videos: VideoFiles | null,
    private readonly hdf5: RobomimicWriter | null,
  ) {}

  static async create(task: TaskSpec, seed: number, formats: readonly DemoFormat[], cameras?: DemoCameras, noise?: ActionNoise): Promise<DemoDatasets> {
    const fps = task.control_hz;
    const videos = cameras && formats.includes('lerobot') ? new VideoFiles(cameras.cameras.map((c) => c.key), cameras.video.mux, fps, DEFAULT_CHUNK_SIZE, cameras.videoFilesSizeInMb ?? DEFAULT_VIDEO_FILE_SIZE_IN_MB) : null;
    const envKwargs = { task: task.id, control_hz: fps, seed, action: [...ACTION_NAMES], ...(noise ? { action_noise: { position: noise.position, rotation: noise.rotation, tau: noise.tau ?? 0.5 } } : {}) };
    const hdf5 = formats.includes('hdf5')
      ? await RobomimicWriter.create({ envName: `Simloop-${task.id}`, envKwargs })
      : null;
    return new DemoDatasets(task, formats, cameras, videos, hdf5);
  }

  get count(): number {
    return this.recordings.length;
  }

  get frames(): number {
    return this.recordings.reduce((n, r) => n + r.action.length, 0);
  }

  get successes(): number {
    return this.recordings.filter((r) => r.success).length;
  }

  /**
   * Adds a recording (its `index` must be the next dataset index); its images are then dropped.
   * With a sink, the datasets so far are written out again at once (episodes.jsonl and lerobot/, as
   * LeRobot's recorder rewrites its metadata after every episode), so a failure later — a full disk,
   * a crash — leaves every finished episode readable. The HDF5 file is written by finish() only.
   */
  async add(recording: Recording, sink?: Sink): Promise<void> {
    if (recording.index !== this.recordings.length) throw new RangeError(`demos: recording ${recording.index} added as episode ${this.recordings.length}`);
    if (recording.action.length === 0) throw new RangeError(`demos: episode ${recording.index} has no steps`);
    if (this.videos) await this.videos.add(recording, this.cameras!);
    this.hdf5?.add(robomimicEpisode(recording, this.cameras?.cameras ?? []));
    recording.images = {};
    this.recordings.push(recording);
    if (sink) await this.writeSoFar(sink);
  }

  /** Writes every file: episodes.jsonl, lerobot/ (with the videos), robomimic.hdf5. */
  async finish(sink: Sink): Promise<void> {
    await this.writeSoFar(sink);
    if (this.hdf5) await sink.write(DEMOS_ROBOMIMIC_PATH, this.hdf5.finish());
  }

  /**
   * lerobot/ and episodes.jsonl for the episodes added so far — episodes.jsonl last: once it lists
   * an episode, that episode's LeRobot files are complete.
   */
  private async writeSoFar(sink: Sink): Promise<void> {
    const fps = this.task.control_hz;
    if (this.formats.includes('lerobot') && this.recordings.length) {
      const videos = this.videos;
      const files = writeLeRobotDataset(
        {
          fps,
          robotType: this.recordings[0]!.robotType,
          stateNames: this.recordings[0]!.stateNames,
          actionNames: this.recordings[0]!.jointAction ? this.recordings[0]!.stateNames : [...ACTION_NAMES],
          // A profile's features: exactly the features a real robot's recording has (no rewards), to merge with them.
          rewards: !this.recordings[0]!.jointAction,
          ...(this.cameras?.videoFilesSizeInMb ? { videoFilesSizeInMb: this.cameras.videoFilesSizeInMb } : {}),
          ...(videos
            ? { videos: { features: this.cameras!.cameras.map((c) => ({ key: `observation.images.${c.key}`, width: c.width, height: c.height, codec: this.cameras!.video.name })), spans: videos.spans } }
            : {}),
        },
        this.recordings.map((r) => ({ index: r.index, task: r.instruction, state: r.state, action: r.jointAction ?? r.action, reward: r.reward, done: r.done })),
      );
      await writeFiles(sink, [...files, ...((await videos?.files()) ?? [])].map((f) => ({ path: demosLeRobotPath(f.path), bytes: f.bytes })));
    }
    const lines = this.recordings.map((r) =>
      JSON.stringify({ episode: r.index, seed: r.seed, draw: r.draw, success: r.success, steps: r.action.length, instruction: r.instruction, ...(r.failure ? { failure: r.failure } : {}) }),
    );
    await sink.write(DEMOS_EPISODES_PATH, new TextEncoder().encode(lines.map((l) => `${l}\n`).join('')));
  }

  /** Drops unfinished files (after a failure). */
  abort(): void {
    this.hdf5?.abort();
  }
}

/** Runs the job and writes its datasets to `sink`; returns the summary. */
export async function runDemos(job: DemoJob, sink: Sink, onProgress?: (p: DemoProgress) => void, now: () => number = () => performance.now()): Promise<DemoSummary> {
  const started = now();
  const datasets = await DemoDatasets.create(job.task, job.seed, job.formats, job.cameras, job.noise);
  try {
    for (let k = 0; k < job.episodes; k++) {
      await datasets.add(await recordEpisode(job.task, job.scene, job.seed, (job.firstEpisode ?? 0) + k, job.cameras, job.noise, job.robot, k), sink);
      const rate = (k + 1) / Math.max((now() - started) / 1000, 1e-9);
      onProgress?.({ done: k + 1, total: job.episodes, successes: datasets.successes, episodesPerSecond: rate, etaSeconds: (job.episodes - k - 1) / rate });
    }
    await datasets.finish(sink);
  } catch (error) {
    datasets.abort();
    throw error;
  }
  return { task: job.task.id, episodes: datasets.count, successes: datasets.successes, frames: datasets.frames, seconds: Number(((now() - started) / 1000).toFixed(3)) };
}

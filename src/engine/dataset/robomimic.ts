/**
 * Robot demonstrations as a robomimic-style HDF5 file — the layout robomimic, robosuite, LIBERO and
 * MimicGen read (robomimic.readthedocs.io, "Dataset Structure"):
 *
 *   data                      attrs: total (int64, steps over all demos), env_args (JSON string)
 *   data/demo_<k>             attrs: num_samples (int64 N), success (uint8 0/1), instruction (UTF-8)
 *   data/demo_<k>/actions     float32 N×A
 *   data/demo_<k>/rewards     float32 N
 *   data/demo_<k>/dones       uint8 N
 *   data/demo_<k>/states      float64 N×S
 *   data/demo_<k>/obs/<key>   float32 N×D, or uint8 N×H×W×3 for a camera
 *   data/demo_<k>/next_obs/…  the same keys one step later; the last step repeats the last obs
 *   mask/successful, mask/failed   demo names ("demo_0", …) as fixed-length ASCII strings
 *
 * HDF5 is written by h5wasm (the HDF5 C library compiled to WebAssembly) into its in-memory
 * Emscripten file system, and the file's bytes are returned, so this runs the same in Node and in a
 * Web Worker (no node:fs, no DOM).
 *
 * Which h5wasm build: the package's "exports" has "." → dist/esm (condition "import") and "./node"
 * → dist/node. The "." build is Emscripten's web build with the WASM inlined (no separate .wasm to
 * fetch) and an in-memory file system; it also loads and runs in Node, which is what we want here.
 * "h5wasm/node" is built with NODERAWFS — its file system is the host's disk, not memory — so it
 * is not usable in a worker and not what we want in Node either. One import, `h5wasm`, serves both.
 * It is imported on first use, not at load time, because the module is ~4 MB (the bundler then puts
 * it in its own chunk, loaded only when an HDF5 file is written).
 *
 * Memory: every dataset is assembled as one contiguous array before it is handed to HDF5, and the
 * whole file lives in memory until its bytes are returned — fine for demonstration sets of
 * low-dimensional observations and small camera images; very long image episodes need that much
 * memory two or three times over.
 */

import { atEpoch } from './epochClock.ts';

/** One demonstration: N steps of actions, rewards, dones, simulator states and observations. */
export interface RobomimicEpisode {
  /** Demo name index k → group data/demo_<k>. */
  index: number;
  /** Language instruction (stored as the demo's `instruction` attribute, UTF-8 string). */
  instruction: string;
  success: boolean;
  /** Per step, same length N: */
  actions: Float32Array[]; // N × A
  rewards: number[]; // N
  dones: boolean[]; // N (stored as uint8 0/1)
  states: Float64Array[]; // N × S (flattened simulator state)
  obs: Record<string, Float32Array[]>; // key → N × D (e.g. robot0_eef_pos (3), robot0_eef_quat (4, x y z w), robot0_gripper_qpos (2), robot0_joint_pos (7), object (k))
  /** Optional camera images: key (e.g. "agentview_image") → N frames of H×W×3 uint8, row-major. */
  images?: Record<string, { width: number; height: number; frames: Uint8Array[] }>;
}

/** What robomimic needs to know about the environment the demos came from. */
export interface RobomimicInfo {
  /** Stored as the JSON string attribute data.env_args: {"env_name", "type", "env_kwargs"}. */
  envName: string;
  envKwargs: Record<string, unknown>;
}

/**
 * robomimic's EnvType.GYM_TYPE (robomimic/envs/env_base.py: ROBOSUITE_TYPE = 1, GYM_TYPE = 2).
 * Simloop is not a robosuite environment, and GYM_TYPE is the generic choice; robomimic's env
 * factory would try to build a gym env by this name, so rollouts through robomimic's own
 * EnvUtils.create_env_from_metadata are not expected to work — training from the file does.
 */
const ENV_TYPE_GYM = 2;

type H5wasm = typeof import('h5wasm').default;
type H5File = InstanceType<H5wasm['File']>;
type H5Group = ReturnType<H5File['create_group']>;
type EmscriptenFS = Awaited<H5wasm['ready']>['FS'];

interface H5Runtime {
  h5: H5wasm;
  fs: EmscriptenFS;
}

let runtime: Promise<H5Runtime> | undefined;
let fileCounter = 0;

/** Loads h5wasm once; a failed load is forgotten so that a later call can try again. */
function loadH5wasm(): Promise<H5Runtime> {
  runtime ??= import('h5wasm')
    .then(async ({ default: h5 }) => ({ h5, fs: (await h5.ready).FS }))
    .catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
  return runtime;
}

/**
 * A robomimic file written demo by demo, so a caller can drop each episode's frames once it is
 * added (memory holds the file, not every episode's arrays as well). Validation happens in add(),
 * before anything of that demo is written; demos must agree on action and observation shapes.
 */
export class RobomimicWriter {
  private readonly added: { index: number; success: boolean; steps: number }[] = [];
  /** The first demo's index and shape, which every later demo must match. */
  private first: { index: number; shape: EpisodeShape } | null = null;
  private closed = false;

  private constructor(
    private readonly fs: EmscriptenFS,
    private readonly path: string,
    private readonly file: H5File,
    private readonly data: H5Group,
  ) {}

  static async create(info: RobomimicInfo): Promise<RobomimicWriter> {
    const envArgs = JSON.stringify({ env_name: info.envName, type: ENV_TYPE_GYM, env_kwargs: info.envKwargs });
    const { h5, fs } = await loadH5wasm();
    const path = `/robomimic-${++fileCounter}.hdf5`;
    // libver v108 (HDF5 1.8 object formats) keeps the file readable by every HDF5 ≥ 1.8 reader, e.g.
    // h5py built on Debian's HDF5 1.10; h5wasm's default upper bound allows 2.0-only formats.
    // HDF5 stamps every object with the time (obj_track_times, which h5wasm cannot turn off): all
    // writing happens at the epoch (epochClock.ts) so identical episodes give identical bytes.
    return atEpoch(() => {
      const file = new h5.File(path, 'w', { libver: 'v108' });
      const data = file.create_group('data');
      data.create_attribute('env_args', envArgs, null, 'S');
      return new RobomimicWriter(fs, path, file, data);
    });
  }

  /** Writes one demo (data/demo_<index>). Throws a RangeError naming the episode and key on bad input. */
  add(episode: RobomimicEpisode): void {
    if (this.closed) throw new Error('robomimic: the file is already finished');
    const shape = validateEpisode(episode);
    if (this.added.some((e) => e.index === episode.index)) fail(episode.index, `index ${episode.index} appears twice`);
    if (this.first) checkSameShapes([this.first, episode], [this.first.shape, shape]);
    this.first ??= { index: episode.index, shape };
    atEpoch(() => writeDemo(this.data, episode, shape));
    this.added.push({ index: episode.index, success: episode.success, steps: shape.steps });
  }

  /** The finished file's bytes (and the scratch file removed). */
  finish(): Uint8Array {
    if (this.closed) throw new Error('robomimic: the file is already finished');
    this.closed = true;
    try {
      return atEpoch(() => {
        try {
          this.data.create_attribute('total', this.added.reduce((sum, e) => sum + e.steps, 0), null, '<q');
          writeMasks(this.file, this.added);
          this.file.flush();
        } finally {
          this.file.close();
        }
        return this.fs.readFile(this.path); // a copy, not a view of the WASM heap: safe to transfer
      });
    } finally {
      this.fs.unlink(this.path); // the in-memory file system would otherwise keep every file ever written
    }
  }

  /** Drops an unfinished file. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.file.close();
    } finally {
      this.fs.unlink(this.path);
    }
  }
}

/** The whole file's bytes. Throws a RangeError naming the episode and key when lengths disagree. */
export async function writeRobomimicHdf5(info: RobomimicInfo, episodes: readonly RobomimicEpisode[]): Promise<Uint8Array> {
  // Validate everything before loading h5wasm, so bad input fails fast and writes nothing.
  const shapes = episodes.map(validateEpisode);
  checkDistinctIndices(episodes);
  checkSameShapes(episodes, shapes);
  const writer = await RobomimicWriter.create(info);
  try {
    for (const episode of episodes) writer.add(episode);
  } catch (error) {
    writer.abort();
    throw error;
  }
  return writer.finish();
}

/**
 * A robomimic file read back (as this module writes it; `simloop merge` joins demonstration shards
 * with it): the environment info and every demo in index order, with its low-dimensional
 * observations (float32 N×D) and camera images (uint8 N×H×W×3). HDF5 lists a group's members by
 * name, not in the order they were written: `obs` comes back in name order.
 */
export async function readRobomimicHdf5(bytes: Uint8Array, where: string): Promise<{ info: RobomimicInfo; episodes: RobomimicEpisode[] }> {
  const { h5, fs } = await loadH5wasm();
  const path = `/robomimic-read-${++fileCounter}.hdf5`;
  fs.writeFile(path, bytes);
  const bad = (message: string): never => {
    throw new RangeError(`${where}: ${message}`);
  };
  try {
    const file = new h5.File(path, 'r');
    try {
      const data = file.get('data') as H5Group | null;
      if (!data || !('keys' in data)) bad('no group "data" (not a robomimic file)');
      const envArgs = JSON.parse(String(data!.attrs['env_args']?.value ?? bad('data has no env_args attribute'))) as { env_name: string; env_kwargs: Record<string, unknown> };
      const demos = data!
        .keys()
        .filter((k) => /^demo_\d+$/.test(k))
        .map((k) => Number(k.slice(5)))
        .sort((a, b) => a - b);
      const array = (group: H5Group, name: string) => {
        const d = group.get(name) as InstanceType<H5wasm['Dataset']> | null;
        if (!d || !('shape' in d)) bad(`${name} is missing`);
        return { values: d!.value as Float32Array | Float64Array | Uint8Array, shape: d!.shape ?? [] };
      };
      const rows = <T extends Float32Array | Float64Array>(values: T, n: number): T[] => {
        const width = values.length / n;
        return Array.from({ length: n }, (_, t) => values.slice(t * width, (t + 1) * width) as T);
      };
      const episodes = demos.map((index): RobomimicEpisode => {
        const demo = data!.get(`demo_${index}`) as H5Group;
        const n = Number(demo.attrs['num_samples']?.value ?? bad(`demo_${index} has no num_samples`));
        const obs: Record<string, Float32Array[]> = {};
        const images: NonNullable<RobomimicEpisode['images']> = {};
        const obsGroup = demo.get('obs') as H5Group;
        for (const key of obsGroup.keys()) {
          const { values, shape } = array(obsGroup, key);
          if (values instanceof Uint8Array && shape.length === 4) images[key] = { height: shape[1]!, width: shape[2]!, frames: Array.from({ length: n }, (_, t) => values.slice(t * shape[1]! * shape[2]! * 3, (t + 1) * shape[1]! * shape[2]! * 3)) };
          else obs[key] = rows(Float32Array.from(values), n);
        }
        return {
          index,
          instruction: String(demo.attrs['instruction']?.value ?? ''),
          success: Number(demo.attrs['success']?.value) === 1,
          actions: rows(Float32Array.from(array(demo, 'actions').values), n),
          rewards: Array.from(array(demo, 'rewards').values),
          dones: Array.from(array(demo, 'dones').values, (v) => v === 1),
          states: rows(Float64Array.from(array(demo, 'states').values), n),
          obs,
          ...(Object.keys(images).length ? { images } : {}),
        };
      });
      return { info: { envName: envArgs.env_name, envKwargs: envArgs.env_kwargs }, episodes };
    } finally {
      file.close();
    }
  } finally {
    fs.unlink(path);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Per-episode sizes found while validating: N and the row width of each key. */
interface EpisodeShape {
  steps: number;
  actionSize: number;
  stateSize: number;
  obsSizes: Map<string, number>;
}

function fail(episode: number, message: string): never {
  throw new RangeError(`robomimic: episode ${episode}: ${message}`);
}

/** Checks one episode's lengths, widths and values; returns its shape. */
function validateEpisode(episode: RobomimicEpisode): EpisodeShape {
  const { index } = episode;
  if (!Number.isSafeInteger(index) || index < 0) fail(index, `index ${index} must be a non-negative integer (it names data/demo_<index>)`);
  const steps = episode.actions.length;
  if (steps < 1) fail(index, 'actions is empty; a demo needs at least one step');
  const expect = (key: string, length: number, unit: string) => {
    if (length !== steps) fail(index, `${key} has ${length} ${unit}, expected ${steps} (the number of actions)`);
  };

  const actionSize = checkRows(index, 'actions', episode.actions);
  expect('rewards', episode.rewards.length, 'values');
  episode.rewards.forEach((reward, t) => {
    // Rewards are stored as float32: a finite double beyond its range would become ±Infinity.
    if (!Number.isFinite(Math.fround(reward))) fail(index, `rewards[${t}] is ${reward}; rewards must be finite float32 numbers`);
  });
  expect('dones', episode.dones.length, 'values');
  expect('states', episode.states.length, 'rows');
  const stateSize = checkRows(index, 'states', episode.states);

  const obsSizes = new Map<string, number>();
  for (const [key, rows] of Object.entries(episode.obs)) {
    checkKeyName(index, `obs/${key}`, key);
    expect(`obs/${key}`, rows.length, 'rows');
    obsSizes.set(key, checkRows(index, `obs/${key}`, rows));
  }
  for (const [key, camera] of Object.entries(episode.images ?? {})) {
    checkKeyName(index, `images/${key}`, key);
    if (key in episode.obs) fail(index, `images/${key} clashes with obs/${key}: camera and low-dimensional keys share the obs group`);
    expect(`images/${key}`, camera.frames.length, 'frames');
    checkFrames(index, key, camera);
  }
  return { steps, actionSize, stateSize, obsSizes };
}

/** Every row of one key has the same, non-zero number of values, all finite; returns that number. */
function checkRows(episode: number, key: string, rows: readonly ArrayLike<number>[]): number {
  const width = rows[0]?.length ?? 0;
  if (rows.length > 0 && width === 0) fail(episode, `${key} rows are empty; each row needs at least one value`);
  rows.forEach((row, t) => {
    if (row.length !== width) fail(episode, `${key} row ${t} has ${row.length} values, expected ${width} (as row 0)`);
    for (let j = 0; j < row.length; j++) {
      const value = row[j]!;
      if (!Number.isFinite(value)) fail(episode, `${key} row ${t} value ${j} is ${value}; values must be finite`);
    }
  });
  return width;
}

/** HDF5 link names cannot contain '/', and '.' means the group itself. */
function checkKeyName(episode: number, label: string, key: string): void {
  if (key === '' || key === '.' || key.includes('/')) fail(episode, `${label}: a key must be non-empty, not '.', and without '/'`);
}

function checkFrames(episode: number, key: string, camera: { width: number; height: number; frames: Uint8Array[] }): void {
  const { width, height } = camera;
  const valid = (n: number) => Number.isSafeInteger(n) && n > 0;
  if (!valid(width) || !valid(height)) fail(episode, `images/${key} is ${width}×${height}; width and height must be positive integers`);
  const bytes = width * height * 3;
  camera.frames.forEach((frame, t) => {
    if (frame.length !== bytes) fail(episode, `images/${key} frame ${t} has ${frame.length} bytes, expected ${bytes} (${height}×${width}×3)`);
  });
}

function checkDistinctIndices(episodes: readonly RobomimicEpisode[]): void {
  const seen = new Set<number>();
  for (const { index } of episodes) {
    if (seen.has(index)) fail(index, `index ${index} is used by more than one episode (data/demo_${index} would be written twice)`);
    seen.add(index);
  }
}

/**
 * robomimic's loaders stack the same action and observation keys of every demo into batches, so
 * demos must agree on the action size and on the low-dimensional observation keys and sizes.
 * Simulator states and camera sets may differ: states are only used to reset a simulator, demo by
 * demo, and cameras are checked per demo.
 */
function checkSameShapes(episodes: readonly Pick<RobomimicEpisode, 'index'>[], shapes: readonly EpisodeShape[]): void {
  const first = shapes[0];
  const firstIndex = episodes[0]?.index;
  if (first === undefined || firstIndex === undefined) return;
  shapes.forEach((shape, i) => {
    const index = episodes[i]!.index;
    if (shape.actionSize !== first.actionSize) {
      fail(index, `actions rows have ${shape.actionSize} values, but episode ${firstIndex}'s have ${first.actionSize}; all demos must share the action size`);
    }
    const keys = [...shape.obsSizes.keys()].sort();
    const firstKeys = [...first.obsSizes.keys()].sort();
    if (keys.join('\n') !== firstKeys.join('\n')) {
      fail(index, `obs keys [${keys.join(', ')}] differ from episode ${firstIndex}'s [${firstKeys.join(', ')}]`);
    }
    for (const [key, size] of shape.obsSizes) {
      const firstSize = first.obsSizes.get(key)!;
      if (size !== firstSize) fail(index, `obs/${key} rows have ${size} values, but episode ${firstIndex}'s have ${firstSize}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Writing

function writeDemo(data: H5Group, episode: RobomimicEpisode, shape: EpisodeShape): void {
  const { steps } = shape;
  const demo = data.create_group(`demo_${episode.index}`);
  demo.create_attribute('num_samples', steps, null, '<q');
  demo.create_attribute('success', episode.success ? 1 : 0, null, '<B');
  demo.create_attribute('instruction', episode.instruction, null, 'S');

  writeArray(demo, 'actions', flatten(episode.actions, shape.actionSize, Float32Array), [steps, shape.actionSize], '<f');
  writeArray(demo, 'rewards', Float32Array.from(episode.rewards), [steps], '<f');
  writeArray(demo, 'dones', Uint8Array.from(episode.dones, (done) => (done ? 1 : 0)), [steps], '<B');
  writeArray(demo, 'states', flatten(episode.states, shape.stateSize, Float64Array), [steps, shape.stateSize], '<d');

  const obs = demo.create_group('obs');
  const nextObs = demo.create_group('next_obs');
  const writeBoth = (key: string, values: Float32Array | Uint8Array, rowShape: number[], dtype: string, compress = false) => {
    const rowSize = values.length / steps;
    writeArray(obs, key, values, [steps, ...rowShape], dtype, compress);
    writeArray(nextObs, key, shiftByOneStep(values, rowSize), [steps, ...rowShape], dtype, compress);
  };
  for (const [key, rows] of Object.entries(episode.obs)) {
    const size = shape.obsSizes.get(key)!;
    writeBoth(key, flatten(rows, size, Float32Array), [size], '<f');
  }
  for (const [key, camera] of Object.entries(episode.images ?? {})) {
    const frameSize = camera.width * camera.height * 3;
    // Row-major H×W×3 frames, as robomimic's image observations are (it transposes to C×H×W itself).
    writeBoth(key, flatten(camera.frames, frameSize, Uint8Array), [camera.height, camera.width, 3], '<B', true);
  }
}

/**
 * robomimic filter keys: datasets of demo names under `mask`, in index order. Fixed-length ASCII
 * strings, as robomimic's own scripts write them (numpy 'S' arrays); it reads them back with
 * `[elem.decode("utf-8") for elem in f["mask/<key>"][:]]`.
 */
function writeMasks(file: H5File, episodes: readonly { index: number; success: boolean }[]): void {
  const mask = file.create_group('mask');
  const sorted = [...episodes].sort((a, b) => a.index - b.index);
  const names = (success: boolean) => sorted.filter((e) => e.success === success).map((e) => `demo_${e.index}`);
  for (const [key, list] of [['successful', names(true)], ['failed', names(false)]] as const) {
    // HDF5 strings need a size of at least 1, even for an empty list.
    const length = list.reduce((longest, name) => Math.max(longest, name.length), 1);
    mask.create_dataset({ name: key, data: list, shape: [list.length], dtype: `A${length}` });
  }
}

/**
 * One dataset. Images are gzip-compressed in chunks of one frame (rendered frames shrink several
 * times over, and h5py/robomimic read gzip transparently).
 */
function writeArray(group: H5Group, name: string, values: Float32Array | Float64Array | Uint8Array, shape: number[], dtype: string, compress = false): void {
  if (compress) group.create_dataset({ name, data: values, shape, dtype, chunks: [1, ...shape.slice(1)], compression: 'gzip', compression_opts: 4 });
  else group.create_dataset({ name, data: values, shape, dtype });
}

/** Rows of equal length (already checked) laid end to end. */
function flatten<T extends Float32Array | Float64Array | Uint8Array>(
  rows: readonly ArrayLike<number>[],
  rowSize: number,
  Type: { new (length: number): T },
): T {
  const out = new Type(rows.length * rowSize);
  rows.forEach((row, t) => out.set(row, t * rowSize));
  return out;
}

/** next_obs[t] = obs[t + 1]; the final transition has no next step, so robomimic repeats the last obs. */
function shiftByOneStep<T extends Float32Array | Uint8Array>(values: T, rowSize: number): T {
  const next = values.slice() as T;
  next.copyWithin(0, rowSize);
  return next;
}

/**
 * `simloop demos`: scripted-expert demonstrations of a task, written as LeRobot v3.0 and
 * robomimic HDF5 datasets (src/engine/tasks/demos.ts), with a progress line. With camera streams
 * (the default) the episodes run in headless Chromium (demos.html: WebGL renders the robot's
 * cameras, WebCodecs encodes them) through the same runner; with --no-cameras they run in Node,
 * physics only.
 */
import { basename, resolve } from 'node:path';
import { InputError } from '../engine/errors.ts';
import { DEMO_FORMATS, type DemoFormat, type DemoProgress, type DemoSummary, runDemos } from '../engine/tasks/demos.ts';
import { demoCameras } from '../engine/tasks/demos.ts';
import type { ActionNoise } from '../engine/tasks/experts.ts';
import type { DemosPageRequest } from '../protocol/pages.ts';
import { runHeadlessJob } from './headlessJob.ts';
import { faultySink } from '../engine/dataset/sinks/faulty.ts';
import type { Sink } from '../engine/dataset/types.ts';
import { parseFaults } from './generate.ts';
import { checkWritable, fsSink } from './sinks/fsSink.ts';
import { readTaskInput } from './taskInput.ts';
import type { VariantSelection } from '../engine/usd/compose.ts';
import { type Shard, shardRange } from '../engine/jobs/job.ts';
import { sha256Hex } from '../engine/jobs/manifest.ts';
import { SIMLOOP_VERSION } from '../engine/jobs/plan.ts';
import { DEMOS_MANIFEST_PATH } from '../engine/dataset/demosLayout.ts';
import { DEMOS_MANIFEST_SCHEMA_ID, DEMOS_MANIFEST_VERSION, type DemosManifest, encodeDemosManifest } from '../engine/tasks/demosManifest.ts';

export interface DemosRequest {
  task: string;
  episodes: number;
  seed: number;
  out: string;
  formats: string[];
  /** Recording rate = control rate (default: the task's). */
  fps?: number;
  /** Record the robot's cameras (default true); their image size (default 128 × 128). */
  cameras?: boolean;
  imageSize?: [number, number];
  /** DART: execute the expert's actions perturbed (metres, radians); the datasets record the expert's own actions. */
  noise?: ActionNoise;
  /** USD variant choices for the task's scene (`--variant`). */
  variants?: VariantSelection[];
  /**
   * `--robot`: a profile (`<file>.robot.yaml`: its features name and scale the recorded state and
   * LeRobot's action) or a robot description (URDF, MJCF, USD) put in place of the scene's robot.
   * Default: the task's own profile, if it names one.
   */
  robot?: string;
  /**
   * `--shard i/N`: record block i of N of the job's episodes (contiguous, as generate splits frames
   * and eval splits episodes), drawn as in the whole run; `simloop merge` joins the blocks.
   */
  shard?: Shard;
}

export async function runDemosCommand(request: DemosRequest, onProgress?: (p: DemoProgress) => void): Promise<DemoSummary> {
  const { file, task, taskBytes, scenePath, scene, sceneBytes, robot } = await readTaskInput(request.task, { ...(request.robot !== undefined ? { robot: request.robot } : {}), variants: request.variants ?? [] });
  for (const f of request.formats) {
    if (!DEMO_FORMATS.includes(f as DemoFormat)) throw new InputError('--format', `unknown format "${f}" (expected ${DEMO_FORMATS.join(', ')})`);
  }
  if (request.fps !== undefined && !(request.fps >= 1 && request.fps <= 120)) throw new InputError('--fps', `expected a rate between 1 and 120 frames per second, got ${request.fps}`);
  const [width, height] = request.imageSize ?? [128, 128];
  if (![width, height].every((v) => Number.isInteger(v) && v >= 16 && v <= 1024)) throw new InputError('--image-size', `expected WxH with each side a whole number from 16 to 1024, got ${width}x${height}`);
  if (request.shard && request.shard.count > request.episodes) throw new InputError('--shard', `${request.shard.count} shards of ${request.episodes} episodes would leave some empty`);
  const block = request.shard ? shardRange(request.episodes, request.shard) : { start: 0, end: request.episodes };
  const out = resolve(request.out);
  await checkWritable(out);
  const formats = request.formats as DemoFormat[];
  // Test hook ($SIMLOOP_FAULT=no-space@BYTES or read-only@BYTES): the destination fails part way.
  const faults = parseFaults(process.env.SIMLOOP_FAULT);
  let sink: Sink = fsSink(out);
  if (faults.sink) sink = faultySink(sink, faults.sink);
  const episodes = block.end - block.start;
  const cameras = request.cameras === false ? [] : demoCameras(scene, task.robot, [width, height], robot ? { profile: robot.profile, file: robot.file } : undefined);
  if (request.cameras !== false && !cameras.length) throw new InputError(scenePath, 'the scene has no camera to record; add one or pass --no-cameras');
  const summary =
    request.cameras === false
      ? await runDemos(
          { task: request.fps ? { ...task, control_hz: request.fps } : task, scene, episodes, firstEpisode: block.start, seed: request.seed, formats, ...(request.noise ? { noise: request.noise } : {}), ...(robot ? { robot: { profile: robot.profile, file: robot.file } } : {}) },
          sink,
          onProgress,
        )
      : await runHeadlessJob<DemosPageRequest, DemoProgress, DemoSummary>({
          page: 'demos.html',
          request: { taskFile: basename(file), sceneFile: basename(scenePath), episodes, firstEpisode: block.start, seed: request.seed, formats, fps: request.fps ?? null, cameras, noise: request.noise ?? null, robotFile: robot?.file ?? null },
          inputs: { task: taskBytes, scene: sceneBytes, ...(robot ? { robot: robot.bytes } : {}) },
          sink,
          ...(onProgress ? { onProgress } : {}),
        });
  // Written last: its presence says the run finished (merge reads it to tell jobs and shards apart).
  const manifest: DemosManifest = {
    schema: DEMOS_MANIFEST_SCHEMA_ID,
    version: DEMOS_MANIFEST_VERSION,
    simloop_version: SIMLOOP_VERSION,
    task: { file: basename(file), sha256: await sha256Hex(taskBytes), id: task.id },
    scene: { file: basename(scenePath), sha256: await sha256Hex(sceneBytes) },
    robot: robot ? { file: basename(robot.file), sha256: await sha256Hex(robot.bytes) } : null,
    seed: request.seed,
    episodes: { total: request.episodes, range: [block.start, block.end] },
    formats,
    fps: request.fps ?? task.control_hz,
    cameras,
    noise: request.noise ?? null,
    variants: (request.variants ?? []).map((v) => `${v.prim}:${v.set}=${v.selection}`),
    shard: request.shard ?? null,
    recorded: summary.episodes,
    successes: summary.successes,
  };
  await sink.write(DEMOS_MANIFEST_PATH, encodeDemosManifest(manifest));
  return summary;
}

export function formatDemoProgress(p: DemoProgress): string {
  const eta = p.etaSeconds === null ? '–' : p.etaSeconds < 90 ? `${Math.ceil(p.etaSeconds)} s` : `${Math.ceil(p.etaSeconds / 60)} min`;
  return `episodes ${p.done}/${p.total} · ${p.successes} succeeded · ${p.episodesPerSecond.toFixed(2)} episodes/s · ETA ${eta}`;
}

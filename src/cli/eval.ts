/**
 * `simloop eval`: a policy package on a task's randomized episodes. Node checks the inputs (task,
 * scene, the manifest and what it names, and the manifest against the graph with
 * onnxruntime-node) so bad input fails in one line before any browser starts; the episodes run in
 * headless Chromium (eval.html: the closed loop, the policy on onnxruntime-web, the cameras and
 * the per-episode videos); Node writes results.json and episodes.jsonl.
 *
 * Output:
 *   <out>/results.json     { task, policy, episodes, successes, success_rate, ci95, mean_steps, ep,
 *                            clock, inference_ms: { p50, p95 }, errored, instructions, seed, fallbacks }
 *   <out>/episodes.jsonl   one line per episode: { episode, seed, success, steps, instruction,
 *                            target_instruction (when swapped), error, video }
 *   <out>/videos/episode_<k>_<success|failure>.mp4   the scene camera, one frame per control step
 *   <out>/traces/episode_<k>.jsonl  with --traces: action, tool point (simulated and commanded),
 *                                   gripper opening and target centre per control step
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InputError } from '../engine/errors.ts';
import type { EvalClock, EvaluationSummary, InstructionMode } from '../engine/policy/closedLoop.ts';
import { compareRuns, type EvaluatedRun, portableRun, type RunComparison } from '../engine/eval/compare.ts';
import type { StopRule } from '../engine/eval/sequential.ts';
import { type Shard, shardRange } from '../engine/jobs/job.ts';
import { type AnyPolicyManifest, isRemotePolicy, ownImageSize, packageFiles, parseAnyPolicyManifest, type PolicyManifest, resolvePolicy } from '../engine/policy/manifest.ts';
import { checkPolicyServer, type Relay, remoteApiKey, startRelay } from './policyServer.ts';
import { checkGraph, type SessionLike } from '../engine/policy/runtime.ts';
import type { EvalPageRequest, EvalPageResult, EvalProgress } from '../protocol/pages.ts';
import type { ExecutionProvider } from '../protocol/policyWorker.ts';
import { read, readTaskInput } from './taskInput.ts';
import { runHeadlessJob } from './headlessJob.ts';
import type { VariantSelection } from '../engine/usd/compose.ts';
import { checkWritable, fsSink } from './sinks/fsSink.ts';

export interface EvalRequest {
  policy: string;
  task: string;
  episodes: number;
  seed: number;
  out: string;
  /** The execution provider to try first (default webgpu, falling back to wasm). */
  ep?: ExecutionProvider;
  clock?: EvalClock;
  /** The ablation: tell the policy about another object than the target. */
  instructions?: InstructionMode;
  imageSize?: [number, number];
  videos?: boolean;
  /** Write traces/episode_<k>.jsonl (one line per control step). */
  traces?: boolean;
  /** USD variant choices for the task's scene (`--variant`). */
  variants?: VariantSelection[];
  /** `--robot`: a robot profile, or a robot description put in place of the scene's robot (see taskInput.ts). */
  robot?: string;
  /** `--until`: stop before `episodes` once the rule says so (engine/eval/sequential.ts). */
  until?: StopRule;
  /** `--baseline`: the results.json the rule compares against. */
  baseline?: string;
  /** `--shard i/N`: run block i of N of the episodes (contiguous, as generate splits frames); `simloop merge` joins them. */
  shard?: Shard;
}

import { EVAL_EPISODES_PATH, type EvalResults } from '../engine/policy/evalOutput.ts';
export type { EvalResults };

export async function runEvalCommand(request: EvalRequest, onProgress?: (p: EvalProgress) => void): Promise<EvalResults> {
  const { file, task, taskBytes, scenePath, sceneBytes, robot } = await readTaskInput(request.task, { ...(request.robot !== undefined ? { robot: request.robot } : {}), variants: request.variants ?? [] });

  const manifestPath = resolve(request.policy);
  const manifestName = basename(manifestPath);
  const manifestBytes = await read(manifestPath, 'policy manifest');
  const manifest = parseAnyPolicyManifest(new TextDecoder().decode(manifestBytes), manifestName);
  // The policy drives the robot it was made for: fail here, in one line, rather than per episode.
  const robotName = robot ? robot.profile.name : null;
  if (robotName !== null && manifest.robot !== robotName) throw new InputError(manifestName, `robot: the policy is for "${manifest.robot}", the task's robot is "${robotName}" (${robot!.file})`);
  const inputs: Record<string, Uint8Array> = { task: taskBytes, scene: sceneBytes, ...(robot ? { robot: robot.bytes } : {}), [`policy/${manifestName}`]: manifestBytes };
  const until = await stopRule(request);

  // The policy checked here, so a bad package or an absent server is one line and no browser starts.
  let policy: Pick<EvalPageRequest, 'policyFiles' | 'providers' | 'remote'>;
  let relay: Relay | null = null;
  if (isRemotePolicy(manifest)) {
    const apiKey = remoteApiKey(manifest, manifestName);
    const metadata = await checkPolicyServer(manifest, manifestName, apiKey);
    // A browser's WebSocket cannot send the API key header: the page connects through a local relay that adds it.
    relay = apiKey ? await startRelay(manifest.remote.url, apiKey) : null;
    policy = { policyFiles: [manifestName], providers: [], remote: { url: relay?.url ?? manifest.remote.url, metadata } };
  } else {
    const files = await checkPackage(manifest, manifestName, dirname(manifestPath), inputs);
    const ep = request.ep ?? 'webgpu';
    policy = { policyFiles: [manifestName, ...files], providers: ep === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'], remote: null };
  }
  try {
    const { imageSize, sink } = await evalOutput(request, manifest);
    // A shard runs its contiguous block of the job's episodes (shardRange, as generate splits frames).
    const block = request.shard ? shardRange(request.episodes, request.shard) : { start: 0, end: request.episodes };
    const pageRequest: EvalPageRequest = {
      taskId: task.id,
      taskFile: basename(file),
      sceneFile: basename(scenePath),
      manifestFile: manifestName,
      ...policy,
      firstEpisode: block.start,
      episodes: block.end - block.start,
      shard: request.shard ? { ...request.shard, episodes: request.episodes } : null,
      seed: request.seed,
      clock: request.clock ?? 'sim',
      instructions: request.instructions ?? 'given',
      imageSize,
      videos: request.videos !== false,
      traces: request.traces === true,
      warmup: 3,
      robotFile: robot?.file ?? null,
      until,
    };
    const result = await runHeadlessJob<EvalPageRequest, EvalProgress, EvalPageResult>({ page: 'eval.html', request: pageRequest, inputs, sink, ...(onProgress ? { onProgress } : {}) });
    // The page wrote results.json and episodes.jsonl through the sink (engine/policy/evalOutput.ts).
    return result.results;
  } finally {
    await relay?.close();
  }
}

/** Reads the files an ONNX package names into `inputs` and checks the manifest against its graphs; returns the file names. */
async function checkPackage(manifest: PolicyManifest, manifestName: string, folder: string, inputs: Record<string, Uint8Array>): Promise<string[]> {
  const readText = (path: string) => {
    try {
      return readFileSync(join(folder, path), 'utf8');
    } catch {
      return null;
    }
  };
  const policy = resolvePolicy(manifest, manifestName, readText);
  const files = packageFiles(manifest);
  for (const name of files) {
    try {
      inputs[`policy/${name}`] = new Uint8Array(readFileSync(join(folder, name)));
    } catch {
      throw new InputError(manifestName, `"${name}" was not found beside the manifest (${folder})`);
    }
  }
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const [g, graph] of manifest.graphs.entries()) {
      try {
        sessions.push(await ort.InferenceSession.create(inputs[`policy/${graph.file}`]!));
      } catch (e) {
        throw new InputError(manifestName, `graphs[${g}].file: "${graph.file}" could not be opened as an ONNX graph (${(e as Error).message.split('\n')[0]})`);
      }
    }
    checkGraph(policy, sessions as unknown as SessionLike[], manifestName);
  } finally {
    for (const s of sessions) await s.release();
  }
  return files;
}

/** `--until` with its baseline read (and checked) here. */
async function stopRule(request: EvalRequest): Promise<EvalPageRequest['until']> {
  if (request.until && request.shard) throw new InputError('--until', 'stops one evaluation on what all its episodes show; a shard sees only its block (run --until without --shard)');
  if (request.shard && request.shard.count > request.episodes) throw new InputError('--shard', `${request.shard.count} shards of ${request.episodes} episodes would leave some empty`);
  if (!request.until) {
    if (request.baseline !== undefined) throw new InputError('--baseline', 'is for --until decided (or ci-width of the difference); give --until');
    return null;
  }
  const baseline = request.baseline !== undefined ? await readEvaluation(request.baseline) : null;
  if (request.until.kind === 'decided' && !baseline) throw new InputError('--until', 'decided needs --baseline <results.json> to decide against');
  return { rule: request.until, baseline: baseline ? portableRun(baseline) : null };
}

/** The episodes, the camera size (the policy's own image size when its images share one) and the output folder, checked. */
async function evalOutput(request: EvalRequest, manifest: AnyPolicyManifest): Promise<{ imageSize: [number, number]; sink: ReturnType<typeof fsSink> }> {
  if (!Number.isInteger(request.episodes) || request.episodes < 1) throw new InputError('--episodes', `expected a whole number ≥ 1, got ${request.episodes}`);
  // By default the cameras render at the policy's own image size (when its images share one), so
  // it sees frames rendered as its training demonstrations were, not resampled ones.
  const [width, height] = request.imageSize ?? ownImageSize(manifest) ?? [128, 128];
  if (![width, height].every((v) => Number.isInteger(v) && v >= 16 && v <= 1024)) throw new InputError('--image-size', `expected WxH with each side a whole number from 16 to 1024, got ${width}x${height}`);
  const out = resolve(request.out);
  await checkWritable(out);
  return { imageSize: [width, height], sink: fsSink(out) };
}

export function formatEvalProgress(p: EvalProgress): string {
  return `episodes ${p.done}/${p.total} · ${p.successes} succeeded${p.provider ? ` · ${p.provider}` : ''}`;
}

/**
 * An evaluation's results.json, with its episodes.jsonl beside it when there is one (then the
 * comparison can pair episodes run on the same seed). Errors name the file and the field.
 */
export async function readEvaluation(file: string): Promise<EvaluatedRun> {
  const text = new TextDecoder().decode(await read(resolve(file), 'results'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `not JSON (${(e as Error).message})`);
  }
  const r = value as Partial<EvaluationSummary> & { seed?: unknown };
  for (const key of ['episodes', 'successes'] as const) {
    if (!Number.isInteger(r[key]) || (r[key] as number) < 0) throw new InputError(file, `"${key}": expected a whole number (a results.json written by simloop eval)`);
  }
  if (r.episodes! < 1 || r.successes! > r.episodes!) throw new InputError(file, `expected 0 ≤ successes ≤ episodes and episodes ≥ 1, got ${r.successes} of ${r.episodes}`);
  let outcomes: Map<number, boolean> | null = null;
  const lines = join(dirname(resolve(file)), EVAL_EPISODES_PATH);
  if (existsSync(lines)) {
    outcomes = new Map();
    readFileSync(lines, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        let e: { episode?: unknown; success?: unknown };
        try {
          e = JSON.parse(line);
        } catch (err) {
          throw new InputError(lines, `line ${i + 1}: not JSON (${(err as Error).message})`);
        }
        if (!Number.isInteger(e.episode) || typeof e.success !== 'boolean') throw new InputError(lines, `line ${i + 1}: expected "episode" (a whole number) and "success" (true or false)`);
        outcomes!.set(e.episode as number, e.success);
      });
    const successes = [...outcomes.values()].filter(Boolean).length;
    if (outcomes.size !== r.episodes || successes !== r.successes) throw new InputError(lines, `${outcomes.size} episodes with ${successes} successes; ${file} says ${r.successes} of ${r.episodes}`);
  }
  return { label: file, task: String(r.task ?? ''), policy: String(r.policy ?? ''), seed: Number.isInteger(r.seed) ? (r.seed as number) : null, successes: r.successes!, episodes: r.episodes!, outcomes };
}

/** `simloop compare`: the baseline against the candidate, paired when they ran the same episodes, with the release verdict. */
export async function compareResults(baselineFile: string, candidateFile: string, options: { margin?: number } = {}): Promise<RunComparison> {
  const baseline = await readEvaluation(baselineFile);
  const candidate = await readEvaluation(candidateFile);
  return compareRuns(baseline, candidate, options);
}

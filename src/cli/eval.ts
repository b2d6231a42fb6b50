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
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InputError } from '../engine/errors.ts';
import type { EvalClock, EvaluationSummary, InstructionMode } from '../engine/policy/closedLoop.ts';
import { compareSuccessRates, wilsonInterval } from '../engine/eval/stats.ts';
import { type AnyPolicyManifest, isRemotePolicy, ownImageSize, packageFiles, parseAnyPolicyManifest, type RemotePolicyManifest, resolvePolicy } from '../engine/policy/manifest.ts';
import { checkPolicyServer, remoteApiKey, startRelay } from './policyServer.ts';
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
}

import type { EvalResults } from '../engine/policy/evalOutput.ts';
export type { EvalResults };

export async function runEvalCommand(request: EvalRequest, onProgress?: (p: EvalProgress) => void): Promise<EvalResults> {
  const { file, task, taskBytes, scenePath, sceneBytes, robot } = await readTaskInput(request.task, { ...(request.robot !== undefined ? { robot: request.robot } : {}), variants: request.variants ?? [] });

  const manifestPath = resolve(request.policy);
  const manifestName = basename(manifestPath);
  const manifestBytes = await read(manifestPath, 'policy manifest');
  const anyManifest = parseAnyPolicyManifest(new TextDecoder().decode(manifestBytes), manifestName);
  // The policy drives the robot it was made for: fail here, in one line, rather than per episode.
  const robotName = robot ? robot.profile.name : null;
  if (robotName !== null && anyManifest.robot !== robotName) throw new InputError(manifestName, `robot: the policy is for "${anyManifest.robot}", the task's robot is "${robotName}" (${robot!.file})`);
  if (isRemotePolicy(anyManifest)) return runRemoteEval(request, anyManifest, manifestName, manifestBytes, { file, task, taskBytes, scenePath, sceneBytes, robot }, onProgress);
  const manifest = anyManifest;
  const folder = dirname(manifestPath);
  const readText = (path: string) => {
    try {
      return readFileSync(join(folder, path), 'utf8');
    } catch {
      return null;
    }
  };
  const policy = resolvePolicy(manifest, manifestName, readText);
  const files = packageFiles(manifest);
  const inputs: Record<string, Uint8Array> = { task: taskBytes, scene: sceneBytes, ...(robot ? { robot: robot.bytes } : {}), [`policy/${manifestName}`]: manifestBytes };
  for (const name of files) {
    try {
      inputs[`policy/${name}`] = new Uint8Array(readFileSync(join(folder, name)));
    } catch {
      throw new InputError(manifestName, `"${name}" was not found beside the manifest (${folder})`);
    }
  }
  // The manifest against the graphs, here, so a mismatch is one line and no browser starts.
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

  const { imageSize, sink } = await evalOutput(request, manifest);
  const ep = request.ep ?? 'webgpu';
  const pageRequest: EvalPageRequest = {
    taskId: task.id,
    taskFile: basename(file),
    sceneFile: basename(scenePath),
    manifestFile: manifestName,
    policyFiles: [manifestName, ...files],
    episodes: request.episodes,
    seed: request.seed,
    providers: ep === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
    clock: request.clock ?? 'sim',
    instructions: request.instructions ?? 'given',
    imageSize,
    videos: request.videos !== false,
    traces: request.traces === true,
    warmup: 3,
    robotFile: robot?.file ?? null,
    remote: null,
  };
  const result = await runHeadlessJob<EvalPageRequest, EvalProgress, EvalPageResult>({ page: 'eval.html', request: pageRequest, inputs, sink, ...(onProgress ? { onProgress } : {}) });
  // The page wrote results.json and episodes.jsonl through the sink (engine/policy/evalOutput.ts).
  return result.results;
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

/**
 * A served policy: the server is asked GET /healthz and for its metadata here, so an unreachable
 * server is one line before any browser starts; the page then speaks to it itself (through a
 * local relay that adds the API key, when the manifest names one: a browser cannot set headers).
 */
async function runRemoteEval(
  request: EvalRequest,
  manifest: RemotePolicyManifest,
  manifestName: string,
  manifestBytes: Uint8Array,
  input: Pick<Awaited<ReturnType<typeof readTaskInput>>, 'file' | 'task' | 'taskBytes' | 'scenePath' | 'sceneBytes' | 'robot'>,
  onProgress?: (p: EvalProgress) => void,
): Promise<EvalResults> {
  const { file, task, taskBytes, scenePath, sceneBytes, robot } = input;
  const apiKey = remoteApiKey(manifest, manifestName);
  const metadata = await checkPolicyServer(manifest, manifestName, apiKey);
  const { imageSize, sink } = await evalOutput(request, manifest);
  const relay = apiKey ? await startRelay(manifest.remote.url, apiKey) : null;
  try {
    const pageRequest: EvalPageRequest = {
      taskId: task.id,
      taskFile: basename(file),
      sceneFile: basename(scenePath),
      manifestFile: manifestName,
      policyFiles: [manifestName],
      episodes: request.episodes,
      seed: request.seed,
      providers: [],
      clock: request.clock ?? 'sim',
      instructions: request.instructions ?? 'given',
      imageSize,
      videos: request.videos !== false,
      traces: request.traces === true,
      warmup: 3,
      robotFile: robot?.file ?? null,
      remote: { url: relay?.url ?? manifest.remote.url, metadata },
    };
    const inputs: Record<string, Uint8Array> = { task: taskBytes, scene: sceneBytes, ...(robot ? { robot: robot.bytes } : {}), [`policy/${manifestName}`]: manifestBytes };
    const result = await runHeadlessJob<EvalPageRequest, EvalProgress, EvalPageResult>({ page: 'eval.html', request: pageRequest, inputs, sink, ...(onProgress ? { onProgress } : {}) });
    return result.results;
  } finally {
    await relay?.close();
  }
}

export function formatEvalProgress(p: EvalProgress): string {
  return `episodes ${p.done}/${p.total} · ${p.successes} succeeded${p.provider ? ` · ${p.provider}` : ''}`;
}

export interface ComparisonResult {
  a: { file: string; policy: string; task: string; episodes: number; successes: number; success_rate: number; ci95: [number, number] };
  b: ComparisonResult['a'];
  difference: number;
  p_value: number;
  significant: boolean;
  test: 'fisher-exact-two-sided';
}

/** Two `simloop eval` results compared: do their success rates differ (Fisher's exact test)? */
export async function compareResults(fileA: string, fileB: string): Promise<ComparisonResult> {
  const load = async (file: string) => {
    const text = new TextDecoder().decode(await read(resolve(file), 'results'));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new InputError(file, `not JSON (${(e as Error).message})`);
    }
    const r = value as Partial<EvaluationSummary>;
    for (const key of ['episodes', 'successes'] as const) {
      if (!Number.isInteger(r[key]) || (r[key] as number) < 0) throw new InputError(file, `"${key}": expected a whole number (a results.json written by simloop eval)`);
    }
    if (r.episodes! < 1 || r.successes! > r.episodes!) throw new InputError(file, `expected 0 ≤ successes ≤ episodes and episodes ≥ 1, got ${r.successes} of ${r.episodes}`);
    return { file, policy: String(r.policy ?? ''), task: String(r.task ?? ''), episodes: r.episodes!, successes: r.successes!, success_rate: r.successes! / r.episodes!, ci95: wilsonInterval(r.successes!, r.episodes!) };
  };
  const a = await load(fileA);
  const b = await load(fileB);
  const test = compareSuccessRates(a.successes, a.episodes, b.successes, b.episodes);
  return { a, b, difference: test.difference, p_value: test.pValue, significant: test.significant, test: test.test };
}


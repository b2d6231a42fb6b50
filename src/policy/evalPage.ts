/**
 * The page `simloop eval` opens in headless Chromium (eval.html): task episodes in this page
 * (Rapier, the robot's cameras rendered by three.js on an OffscreenCanvas), the policy in its
 * worker (onnxruntime-web, WebGPU first), the closed loop of src/engine/policy/closedLoop.ts, and
 * one MP4 of the scene camera per episode (WebCodecs) written through Node's sink as
 * videos/episode_<k>_<success|failure>.mp4. Node writes results.json and episodes.jsonl from the
 * answer (src/cli/eval.ts).
 */
import * as Comlink from 'comlink';
import type { ExecutionProvider, OpenResult, PolicyWorkerApi } from '../../workers/policy.worker.ts';
import { loadSceneFile } from '../engine/load.ts';
import { type EvalClock, type EvaluationSummary, type InstructionMode, type PolicyDriver, type PolicyEpisodeResult, runPolicyEpisode, summarize } from '../engine/policy/closedLoop.ts';
import type { RgbaImage } from '../engine/policy/image.ts';
import { ACTION_SPACES, parsePolicyManifest } from '../engine/policy/manifest.ts';
import { PolicyError, type PolicyObservation } from '../engine/policy/runtime.ts';
import { FrameRenderer } from '../engine/render/frameRenderer.ts';
import { RobotCameraRig } from '../engine/robot/cameraRig.ts';
import { demoCameras } from '../engine/tasks/demos.ts';
import { parseTaskSpec } from '../engine/tasks/spec.ts';
import { fetchInput, outputSink, runPageJob } from '../sdg/pageJob.ts';
import { browserVideoCodec, pickVideoCodec } from '../robot/videoTrack.ts';

export interface EvalPageRequest {
  taskId: string;
  taskFile: string;
  sceneFile: string;
  manifestFile: string;
  /** The policy package's files, fetched as inputs named "policy/<path>". */
  policyFiles: string[];
  episodes: number;
  seed: number;
  providers: ExecutionProvider[];
  clock: EvalClock;
  instructions: InstructionMode;
  /** The size the robot's cameras render at (the policy's inputs are fitted from it; videos use it). */
  imageSize: [number, number];
  videos: boolean;
  warmup: number;
}

export interface EvalProgress {
  done: number;
  total: number;
  successes: number;
  provider: string | null;
}

export interface EvalPageResult {
  summary: EvaluationSummary;
  episodes: (PolicyEpisodeResult & { video: string | null })[];
  opened: OpenResult;
}

runPageJob<EvalPageRequest, EvalProgress, EvalPageResult>(async (request, onProgress) => {
  const task = parseTaskSpec(new TextDecoder().decode(await fetchInput('task')), request.taskFile);
  const scene = loadSceneFile(await fetchInput('scene'), request.sceneFile).document;
  const files: Record<string, ArrayBuffer> = {};
  for (const name of request.policyFiles) files[name] = (await fetchInput(`policy/${name}`)).slice().buffer as ArrayBuffer;
  const manifest = parsePolicyManifest(new TextDecoder().decode(files[request.manifestFile]!), request.manifestFile);

  const worker = new Worker(new URL('../../workers/policy.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<PolicyWorkerApi>(worker);
  const [width, height] = request.imageSize;
  const renderer = new FrameRenderer(new OffscreenCanvas(width, height), width, height);
  const sink = outputSink();
  try {
    const opened = await api.open({ manifestFile: request.manifestFile, files, providers: request.providers });
    onProgress({ done: 0, total: request.episodes, successes: 0, provider: opened.provider });
    const infer = async (obs: PolicyObservation) => {
      const t0 = performance.now();
      try {
        const result = await api.infer(obs);
        return { chunk: result.chunk, ms: performance.now() - t0 };
      } catch (e) {
        // Failures inside the worker (NaN actions, a lost device) end the episode, not the run.
        throw new PolicyError(e instanceof Error ? e.message : String(e));
      }
    };
    // Warm up before timing: the first runs compile kernels and allocate.
    const blank = (w: number, h: number): RgbaImage => ({ width: w, height: h, data: new Uint8Array(w * h * 4) });
    for (let i = 0; i < request.warmup; i++) {
      await api.infer({ images: { scene: blank(width, height), wrist: blank(width, height) }, jointPositions: new Array(7).fill(0), fingerPositions: [0, 0], eePosition: [0, 0, 0], eeQuaternion: [0, 0, 0, 1], gripperWidth: 0, instruction: '' });
    }
    const policy: PolicyDriver = {
      name: manifest.name,
      provider: opened.provider,
      space: manifest.outputs.space,
      horizon: manifest.outputs.chunk,
      dim: ACTION_SPACES[manifest.outputs.space],
      hz: manifest.control.hz,
      nActionSteps: manifest.control.n_action_steps,
      temporalEnsemble: manifest.control.temporal_ensemble,
      infer,
    };
    const cameras = demoCameras(scene, task.robot, [width, height]);
    const needed = new Set(manifest.inputs.images.map((i) => i.camera));
    for (const key of needed) {
      if (!cameras.some((c) => c.key === key)) throw new Error(`${request.manifestFile}: the policy needs the ${key} camera; the task's scene has ${cameras.map((c) => c.key).join(', ') || 'none'}`);
    }
    const codec = request.videos ? await pickVideoCodec(width, height) : null;
    const video = codec ? browserVideoCodec(codec) : null;
    const results: EvalPageResult['episodes'] = [];
    for (let index = 0; index < request.episodes; index++) {
      const frames: Uint8Array[] = [];
      let last: Uint8Array | null = null;
      const result = await runPolicyEpisode({
        task,
        scene,
        seed: request.seed,
        index,
        policy,
        clock: request.clock,
        instructions: request.instructions,
        cameras: (episode) => {
          const rig = new RobotCameraRig(renderer, episode.doc, episode.world, cameras);
          return {
            render: () => {
              const images = rig.render();
              const out: Partial<Record<'scene' | 'wrist', RgbaImage>> = {};
              for (const c of cameras) if (c.key === 'scene' || c.key === 'wrist') out[c.key] = { width: c.width, height: c.height, data: images.get(c.path)! };
              if (out.scene) last = out.scene.data as Uint8Array;
              return out;
            },
            dispose: () => rig.dispose(),
          };
        },
        // One video frame per control step: what the scene camera showed when the step's action
        // was chosen; steps that passed while the policy was thinking (real time) repeat it.
        onStep: (_, __, images) => {
          const frame = (images?.scene?.data as Uint8Array | undefined) ?? last;
          if (frame) frames.push(frame);
        },
      });
      let path: string | null = null;
      if (video && frames.length > 0) {
        const encoded = await video.encode(frames, width, height, policy.hz);
        path = `videos/episode_${index}_${result.success ? 'success' : 'failure'}.mp4`;
        await sink.write(path, await video.mux([encoded], policy.hz));
      }
      results.push({ ...result, video: path });
      onProgress({ done: results.length, total: request.episodes, successes: results.filter((r) => r.success).length, provider: opened.provider });
    }
    return { summary: summarize(request.taskId, policy, request.clock, results, request.instructions), episodes: results, opened };
  } finally {
    renderer.dispose();
    worker.terminate();
  }
});

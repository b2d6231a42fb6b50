/**
 * The page `simloop eval` opens in headless Chromium (eval.html): task episodes in this page
 * (Rapier, the robot's cameras rendered by three.js on an OffscreenCanvas), the policy in its
 * worker (onnxruntime-web, WebGPU first), the closed loop of src/engine/policy/closedLoop.ts, and
 * one MP4 of the scene camera per episode (WebCodecs) written through Node's sink as
 * videos/episode_<k>_<success|failure>.mp4, and with traces one line per control step as
 * traces/episode_<k>.jsonl. Node writes results.json and episodes.jsonl from the answer
 * (src/cli/eval.ts).
 */
import * as Comlink from 'comlink';
import type { OpenResult, PolicyWorkerApi } from '../protocol/policyWorker.ts';
import type { EvalPageRequest, EvalPageResult, EvalProgress } from '../protocol/pages.ts';
import { loadSceneFile } from '../engine/load.ts';
import { type EvalClock, type EvaluationSummary, type InstructionMode, type PolicyDriver, type PolicyEpisodeResult, summarize } from '../engine/policy/closedLoop.ts';
import { isRemotePolicy, parseAnyPolicyManifest } from '../engine/policy/manifest.ts';
import { RemotePolicyClient, remotePolicyDriver, type WebSocketLike } from '../engine/policy/remote.ts';
import { fromPortable, runSoFar, untilStatus } from '../engine/eval/compare.ts';
import type { SequentialStatus } from '../engine/eval/sequential.ts';
import { type EvalEpisode, evalOutputFiles, evalResults, evalTracePath, evalVideoPath } from '../engine/policy/evalOutput.ts';
import { PolicyError, type PolicyObservation } from '../engine/policy/runtime.ts';
import { CameraStack } from '../browser/cameraStack.ts';
import { parseTaskSpec } from '../engine/tasks/spec.ts';
import { fetchInput, outputSink, runPageJob } from './pageJob.ts';
import { fetchRobotProfile } from './robotInput.ts';
import type { Episode } from '../engine/tasks/episode.ts';
import { policyDriver, runBrowserEpisodes, stepTrace, warmUp } from '../browser/policyEpisodes.ts';

runPageJob<EvalPageRequest, EvalProgress, EvalPageResult>(async (request, onProgress) => {
  const task = parseTaskSpec(new TextDecoder().decode(await fetchInput('task')), request.taskFile);
  const scene = (await loadSceneFile(await fetchInput('scene'), request.sceneFile)).document;
  const robot = await fetchRobotProfile(request.robotFile);
  const files: Record<string, ArrayBuffer> = {};
  for (const name of request.policyFiles) files[name] = (await fetchInput(`policy/${name}`)).slice().buffer as ArrayBuffer;
  const manifest = parseAnyPolicyManifest(new TextDecoder().decode(files[request.manifestFile]!), request.manifestFile);

  // An ONNX policy runs in its worker; a served one is spoken to from here (engine/policy/remote.ts).
  let worker: Worker | null = null;
  let client: RemotePolicyClient | null = null;
  const [width, height] = request.imageSize;
  const stack = new CameraStack(width, height);
  const sink = outputSink();
  try {
    let policy: PolicyDriver;
    let opened: OpenResult | null = null;
    if (isRemotePolicy(manifest)) {
      if (!request.remote) throw new Error(`${request.manifestFile}: a served policy needs the server's URL`);
      client = new RemotePolicyClient({ url: request.remote.url, open: (url) => new WebSocket(url) as unknown as WebSocketLike, timeoutMs: manifest.remote.timeout_s * 1000 });
      policy = remotePolicyDriver(manifest, client);
      onProgress({ done: 0, total: request.episodes, successes: 0, provider: policy.provider });
      try {
        await warmUp(async (obs) => policy.infer(obs), [width, height], request.warmup, manifest);
      } catch (e) {
        // A server failing already: the episodes say so, each errored with the reason, and reconnect.
        if (!(e instanceof PolicyError)) throw e;
      }
    } else {
      worker = new Worker(new URL('../../workers/policy.worker.ts', import.meta.url), { type: 'module' });
      const api = Comlink.wrap<PolicyWorkerApi>(worker);
      opened = await api.open({ manifestFile: request.manifestFile, files, providers: request.providers });
      onProgress({ done: 0, total: request.episodes, successes: 0, provider: opened.provider });
      const infer = (obs: PolicyObservation) => api.infer(obs);
      await warmUp(infer, [width, height], request.warmup, manifest);
      policy = policyDriver(manifest, opened.provider, infer);
    }
    const results: EvalEpisode[] = [];
    // --until: the rule is asked after every episode; the run stops once it says so.
    const stop = { aborted: false };
    const baseline = request.until?.baseline ? fromPortable(request.until.baseline) : null;
    let sequential: SequentialStatus | null = null;
    let trace: string[] = [];
    const t0 = performance.now();
    await runBrowserEpisodes(
      {
        task,
        scene,
        ...(robot ? { robot } : {}),
        manifest,
        manifestFile: request.manifestFile,
        seed: request.seed,
        indices: Array.from({ length: request.episodes }, (_, i) => request.firstEpisode + i),
        clock: request.clock,
        instructions: request.instructions,
        imageSize: request.imageSize,
        videos: request.videos,
        signal: stop,
        ...(request.traces ? { onStep: (episode: Episode, action: Float64Array) => void trace.push(JSON.stringify(stepTrace(episode, action))) } : {}),
        onEpisode: async (result, video) => {
          let path: string | null = null;
          if (video) {
            path = evalVideoPath(result);
            await sink.write(path, video);
          }
          if (request.traces) {
            await sink.write(evalTracePath(result.index), new TextEncoder().encode(trace.map((l) => `${l}\n`).join('')));
            trace = [];
          }
          results.push({ ...result, video: path });
          if (request.until) {
            sequential = untilStatus(request.until.rule, runSoFar('candidate', task.id, policy.name, request.seed, results), baseline);
            if (sequential.stop) stop.aborted = true;
          }
          onProgress({ done: results.length, total: request.episodes, successes: results.filter((r) => r.success).length, provider: policy.provider });
        },
      },
      policy,
      stack,
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    const remote = isRemotePolicy(manifest) && request.remote ? { protocol: manifest.remote.protocol, url: manifest.remote.url, metadata: request.remote.metadata, connections: client!.connections } : null;
    // Set in onEpisode (control flow does not see it there).
    const last = sequential as SequentialStatus | null;
    const until = request.until && last ? { rule: request.until.rule, stopped_early: results.length < request.episodes, ...last } : null;
    const evaluation = evalResults(summarize(request.taskId, policy, request.clock, results, request.instructions), request.seed, opened?.fallbacks ?? [], results, wallSeconds, remote, until, request.shard);
    for (const file of evalOutputFiles(evaluation, results)) await sink.write(file.path, file.bytes);
    return { results: evaluation, episodes: results, opened };
  } finally {
    stack.dispose();
    worker?.terminate();
    client?.close();
  }
});

/**
 * The policy worker: onnxruntime-web in its own thread, WebGPU first and WASM (threaded when the
 * page is cross-origin isolated) as the fallback, with the provider actually used reported back.
 * Wiring only — manifest, pre/post-processing and the graph check are src/engine/policy.
 *
 * ORT is imported here, not proxied (`env.wasm.proxy` does not work with WebGPU).
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import { describeError } from '../src/engine/errors.ts';
import { parsePolicyManifest, type ResolvedPolicy, resolvePolicy } from '../src/engine/policy/manifest.ts';
import type { ExecutionProvider, OpenRequest, OpenResult, PolicyWorkerApi, RawTensor } from '../src/protocol/policyWorker.ts';
import { type PolicyObservation, PolicyRuntime, type SessionLike, type TensorFactory, type TensorLike } from '../src/engine/policy/runtime.ts';

const tensor: TensorFactory = (type, data, dims) => new ort.Tensor(type, data, dims) as unknown as TensorLike;

let runtime: PolicyRuntime | null = null;
/** One session per graph of the open policy, in the manifest's order. */
let sessions: ort.InferenceSession[] = [];

async function releaseAll(): Promise<void> {
  const open = sessions;
  sessions = [];
  runtime = null;
  for (const s of open) await s.release();
}

/** Why WebGPU cannot be used here, or null when an adapter is available. */
async function webgpuProblem(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'navigator.gpu is not available (the browser has WebGPU off)';
  try {
    return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter';
  } catch (e) {
    return `requesting an adapter failed (${describeError(e)})`;
  }
}

/** The open policy, kept to reopen it on WASM if the WebGPU device is lost. */
let current: { policy: ResolvedPolicy; models: ArrayBuffer[]; manifestFile: string; opened: OpenResult; lost: Promise<string> | null } | null = null;
/** Set when the WebGPU device the sessions run on is lost (why). */
let deviceLost: string | null = null;

/** Opens the policy's graphs on the first provider that works. */
async function openOn(providers: ExecutionProvider[], policy: ResolvedPolicy, models: ArrayBuffer[], manifestFile: string, earlier: string[]): Promise<OpenResult> {
  await releaseAll();
  deviceLost = null;
  const fallbacks = [...earlier];
  for (const provider of providers) {
    if (provider === 'webgpu') {
      const problem = await webgpuProblem();
      if (problem) {
        fallbacks.push(`webgpu: ${problem}`);
        continue;
      }
    }
    const resident: string[] = [];
    try {
      // Last graph first: a graph's outputs that later graphs (or its own loop) read stay on
      // the GPU on WebGPU, so a multi-graph policy moves no intermediate tensor through the CPU.
      const created: ort.InferenceSession[] = [];
      const readLater = new Set<string>();
      for (let g = models.length - 1; g >= 0; g--) {
        const graph = policy.manifest.graphs[g]!;
        const onGpu = provider === 'webgpu' ? [...readLater, ...(graph.repeat ? [graph.repeat.carry.from] : [])] : [];
        const session = await ort.InferenceSession.create(new Uint8Array(models[g]!), {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          ...(onGpu.length ? { preferredOutputLocation: Object.fromEntries(onGpu.map((n) => [n, 'gpu-buffer' as const])) } : {}),
        });
        created.unshift(session);
        sessions = created;
        resident.push(...session.outputNames.filter((n) => onGpu.includes(n)));
        for (const input of session.inputNames) readLater.add(graph.bind[input] ?? input);
      }
    } catch (e) {
      fallbacks.push(`${provider}: ${describeError(e)}`);
      await releaseAll();
      continue;
    }
    runtime = PolicyRuntime.create(policy, sessions as unknown as SessionLike[], tensor, manifestFile);
    const opened: OpenResult = { provider, fallbacks, threads: ort.env.wasm.numThreads ?? 1, crossOriginIsolated: self.crossOriginIsolated, gpuResident: resident.sort() };
    current = { policy, models, manifestFile, opened, lost: null };
    if (provider === 'webgpu') {
      const device = (await ort.env.webgpu.device) as unknown as { lost: Promise<{ reason: string; message: string }> };
      const mine = current;
      mine.lost = device.lost.then((info) => {
        const why = `the WebGPU device was lost (${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''})`;
        if (current === mine) deviceLost = why;
        return why;
      });
    }
    return opened;
  }
  throw new Error(`${manifestFile}: no execution provider could open the policy (${fallbacks.join('; ')})`);
}

/**
 * Runs `work` on the open policy. After the WebGPU device is lost, the call fails with a message
 * saying so (the episode it belongs to is marked errored) and the policy is reopened on WASM, so
 * the calls after it run there; nothing waits on a dead device.
 */
async function guarded<T>(work: (r: PolicyRuntime) => Promise<T>): Promise<T> {
  if (!runtime || !current) throw new Error('no policy is open');
  const fail = async (why: string): Promise<never> => {
    const { policy, models, manifestFile, opened } = current!;
    await openOn(['wasm'], policy, models, manifestFile, [...opened.fallbacks, `webgpu: ${why}`]);
    throw new Error(`${why}; the policy was reopened on WASM (this inference failed; the next ones run on WASM)`);
  };
  if (deviceLost && current.opened.provider === 'webgpu') return fail(deviceLost);
  if (!current.lost) return work(runtime);
  // A device lost mid-run may leave the run waiting forever: the loss ends the wait.
  const lost = current.lost.then((why) => ({ lost: why }));
  let outcome: { done: T } | { lost: string };
  try {
    outcome = await Promise.race([work(runtime).then((done) => ({ done })), lost]);
  } catch (e) {
    if (deviceLost) return fail(deviceLost);
    throw e;
  }
  if ('lost' in outcome) return fail(outcome.lost);
  return outcome.done;
}

const api: PolicyWorkerApi = {
  async open(request: OpenRequest): Promise<OpenResult> {
    const text = (path: string): string | null => (request.files[path] ? new TextDecoder().decode(request.files[path]) : null);
    const manifestText = text(request.manifestFile);
    if (manifestText === null) throw new Error(`${request.manifestFile}: the manifest was not given`);
    const policy = resolvePolicy(parsePolicyManifest(manifestText, request.manifestFile), request.manifestFile, text);
    const models = policy.manifest.graphs.map((graph, g) => {
      const model = request.files[graph.file];
      if (!model) throw new Error(`${request.manifestFile}: graphs[${g}].file: "${graph.file}" was not given`);
      return model;
    });

    ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, Math.max(1, navigator.hardwareConcurrency - 1)) : 1;
    return openOn(request.providers ?? ['webgpu', 'wasm'], policy, models, request.manifestFile, []);
  },

  /** Runs the graph on tensors given as they are (tests, benchmarks); returns the raw output and the actions. */
  async runRaw(inputs: Record<string, RawTensor>): Promise<{ raw: Float32Array; chunk: Float64Array; ms: number }> {
    const feeds: Record<string, TensorLike> = {};
    for (const [name, t] of Object.entries(inputs)) {
      const data = t.type === 'float32' ? Float32Array.from(t.data) : t.type === 'uint8' ? Uint8Array.from(t.data) : t.type === 'int64' ? BigInt64Array.from(t.data, (v) => BigInt(v)) : Int32Array.from(t.data);
      feeds[name] = tensor(t.type, data, t.dims);
    }
    const t0 = performance.now();
    const result = await guarded((r) => r.run(feeds));
    return Comlink.transfer({ ...result, ms: performance.now() - t0 }, [result.raw.buffer, result.chunk.buffer]);
  },

  /** Observation → action chunk (SI units). */
  async infer(obs: PolicyObservation) {
    const result = await guarded((r) => r.infer(obs));
    return Comlink.transfer(result, [result.raw.buffer, result.chunk.buffer]);
  },

  /**
   * Serves this API on `port` as well: the studio hands the other end to the simulation worker,
   * so the closed loop calls the policy directly, worker to worker, without the page in between.
   */
  /** The provider the policy runs on now (it changes to WASM after a lost WebGPU device). */
  status(): OpenResult | null {
    return current?.opened ?? null;
  },

  /** Destroys the WebGPU device under the open policy, as a driver reset or a GPU crash would (fault tests). */
  async loseDevice(): Promise<void> {
    if (current?.opened.provider !== 'webgpu') throw new Error('the policy is not running on WebGPU');
    const device = (await ort.env.webgpu.device) as unknown as { destroy(): void; lost: Promise<unknown> };
    device.destroy();
    await device.lost;
    // The lost handler above runs in the same turn; give it its microtask.
    await Promise.resolve();
  },

  connect(port: MessagePort): void {
    Comlink.expose(api, port);
  },

  async close(): Promise<void> {
    current = null;
    await releaseAll();
  },
};

Comlink.expose(api);

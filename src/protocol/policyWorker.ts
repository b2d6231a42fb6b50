/**
 * What pages and the simulation worker say to the policy worker (workers/policy.worker.ts) over
 * comlink: types only.
 */
import type { InferenceResult, PolicyObservation } from '../engine/policy/runtime.ts';

export type ExecutionProvider = 'webgpu' | 'wasm';

export interface OpenRequest {
  manifestFile: string;
  /** The manifest and every file it names, by path relative to the manifest. */
  files: Record<string, ArrayBuffer>;
  /** Providers to try, in order (default: WebGPU, then WASM). */
  providers?: ExecutionProvider[];
}

export interface OpenResult {
  provider: ExecutionProvider;
  /** Why earlier providers were not used (e.g. "webgpu: no adapter"). */
  fallbacks: string[];
  threads: number;
  crossOriginIsolated: boolean;
  /** Graph outputs kept on the GPU between graphs (WebGPU, multi-graph policies). */
  gpuResident: string[];
}

export interface RawTensor {
  type: 'float32' | 'uint8' | 'int64' | 'int32';
  dims: number[];
  data: number[];
}

export interface PolicyWorkerApi {
  open(request: OpenRequest): Promise<OpenResult>;
  /** Runs the graph on tensors given as they are (tests, benchmarks); returns the raw output and the actions. */
  runRaw(inputs: Record<string, RawTensor>): Promise<{ raw: Float32Array; chunk: Float64Array; ms: number }>;
  /** Observation → action chunk (SI units). */
  infer(obs: PolicyObservation): Promise<InferenceResult>;
  /** The provider the policy runs on now (it changes to WASM after a lost WebGPU device). */
  status(): OpenResult | null;
  /** Destroys the WebGPU device under the open policy, as a driver reset or a GPU crash would (fault tests). */
  loseDevice(): Promise<void>;
  /**
   * Serves this API on `port` as well: the studio hands the other end to the simulation worker,
   * so the closed loop calls the policy directly, worker to worker, without the page in between.
   */
  connect(port: MessagePort): void;
  close(): Promise<void>;
}

/**
 * The page the policy runtime checks open in headless Chromium (policy.html): the policy worker
 * (onnxruntime-web) opens a policy package on each requested execution provider and runs it on
 * given input tensors, warm-up first, returning the outputs and per-run latency — the parity
 * test (WebGPU vs WASM vs onnxruntime-node) and `npm run bench:policy` use it. Node serves the
 * package's files (src/cli/headlessJob.ts).
 */
import * as Comlink from 'comlink';
import type { ExecutionProvider, OpenResult, PolicyWorkerApi, RawTensor } from '../../workers/policy.worker.ts';
import { fetchInput, runPageJob } from '../sdg/pageJob.ts';

export interface PolicyPageRequest {
  manifestFile: string;
  /** Package files to fetch as inputs (the manifest, graphs, stats, vocabulary). */
  files: string[];
  /** One run per entry: the providers to try, in order. */
  runs: ExecutionProvider[][];
  /** The input tensors, fetched as this input (JSON: name → RawTensor). */
  tensorsInput: string;
  warmup: number;
  repeats: number;
  /** Fault test: after the runs, destroy the WebGPU device, then run twice more. */
  loseDevice?: boolean;
}

export interface PolicyPageRun extends OpenResult {
  requested: ExecutionProvider[];
  raw: number[];
  /** Milliseconds per inference after warm-up. */
  ms: number[];
  /** With loseDevice: the run right after the loss (its error) and the one after that. */
  afterLoss?: { error: string | null; provider: string | null; fallbacks: string[]; raw: number[] };
}

export interface PolicyPageResult {
  runs: PolicyPageRun[];
  userAgent: string;
}

runPageJob<PolicyPageRequest, { run: number }, PolicyPageResult>(async (request, onProgress) => {
  const files: Record<string, ArrayBuffer> = {};
  for (const name of request.files) files[name] = (await fetchInput(name)).slice().buffer as ArrayBuffer;
  const tensors = JSON.parse(new TextDecoder().decode(await fetchInput(request.tensorsInput))) as Record<string, RawTensor>;
  const runs: PolicyPageRun[] = [];
  for (const [index, providers] of request.runs.entries()) {
    onProgress({ run: index });
    const worker = new Worker(new URL('../../workers/policy.worker.ts', import.meta.url), { type: 'module' });
    const api = Comlink.wrap<PolicyWorkerApi>(worker);
    try {
      const opened = await api.open({ manifestFile: request.manifestFile, files: structuredClone(files), providers });
      let raw: Float32Array = new Float32Array();
      const ms: number[] = [];
      for (let i = 0; i < request.warmup + request.repeats; i++) {
        const result = await api.runRaw(tensors);
        raw = result.raw;
        if (i >= request.warmup) ms.push(result.ms);
      }
      let afterLoss: PolicyPageRun['afterLoss'];
      if (request.loseDevice) {
        await api.loseDevice();
        let error: string | null = null;
        try {
          await api.runRaw(tensors);
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
        const next = await api.runRaw(tensors);
        const status = await api.status();
        afterLoss = { error, provider: status?.provider ?? null, fallbacks: status?.fallbacks ?? [], raw: Array.from(next.raw) };
      }
      runs.push({ ...opened, requested: providers, raw: Array.from(raw), ms, ...(afterLoss ? { afterLoss } : {}) });
    } finally {
      worker.terminate();
    }
  }
  return { runs, userAgent: navigator.userAgent };
});

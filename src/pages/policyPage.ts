/**
 * The page the policy runtime checks open in headless Chromium (policy.html): the policy worker
 * (onnxruntime-web) opens a policy package on each requested execution provider and runs it on
 * given input tensors, warm-up first, returning the outputs and per-run latency — the parity
 * test (WebGPU vs WASM vs onnxruntime-node) and `npm run bench:policy` use it. Node serves the
 * package's files (src/cli/headlessJob.ts).
 */
import * as Comlink from 'comlink';
import type { PolicyWorkerApi, RawTensor } from '../protocol/policyWorker.ts';
import type { PolicyPageRequest, PolicyPageResult, PolicyPageRun } from '../protocol/pages.ts';
import { fetchInput, runPageJob } from './pageJob.ts';

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

/**
 * The synthetic-data worker: physics and rendering together (Rapier + three.js on an
 * OffscreenCanvas), one frame per call. Wiring only — the frame itself is
 * src/engine/jobs/framePipeline.ts. Output buffers are transferred, not copied.
 */
import * as Comlink from 'comlink';
import { describeError } from '../src/engine/errors.ts';
import { FramePipeline, type PipelineInit } from '../src/engine/jobs/framePipeline.ts';
import type { FrameOutput } from '../src/engine/jobs/generate.ts';
import type { LabelledFrame } from '../src/engine/dataset/types.ts';
import type { SdgWorkerApi, WorkerFaults } from '../src/protocol/sdgWorker.ts';
import { loadRapier } from '../src/engine/physics/rapier.ts';

// Rapier's WebAssembly compiles while the page reads the job (the worker starts before it);
// a failure shows at the first settle, which awaits the same load.
loadRapier().catch(() => {});

let pipeline: FramePipeline | null = null;
let faults: WorkerFaults = {};

function transferables(output: FrameOutput): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const file of output.files) {
    const buffer = file.bytes.buffer;
    // Only whole, unshared buffers can move; a view into a larger buffer is copied with it.
    if (buffer instanceof ArrayBuffer) seen.add(buffer);
  }
  return [...seen];
}

const api: SdgWorkerApi = {
  async init(init: PipelineInit, testFaults: WorkerFaults = {}): Promise<void> {
    faults = testFaults;
    pipeline?.dispose();
    const canvas = new OffscreenCanvas(init.job.width, init.job.height);
    try {
      pipeline = await FramePipeline.create(canvas, init);
    } catch (error) {
      throw new Error(describeError(error));
    }
  },

  async run(frame: number, attempt: number): Promise<FrameOutput> {
    if (!pipeline) throw new Error('sdg worker: run() before init()');
    if (faults.crashAtFrame === frame && attempt === 0) {
      // An uncaught error in the worker's global scope: the page sees the worker die.
      setTimeout(() => {
        throw new Error(`injected crash at frame ${frame}`);
      });
      return new Promise<FrameOutput>(() => {});
    }
    const output = await pipeline.run(frame);
    return Comlink.transfer(output, transferables(output));
  },

  /** Frame `frame` with its labels and colour image, not encoded: the studio's previews. */
  async preview(frame: number): Promise<LabelledFrame[]> {
    if (!pipeline) throw new Error('sdg worker: preview() before init()');
    const { frames } = await pipeline.label(frame);
    // The pipeline fills the same arrays again next frame: send copies, and move those.
    const copies = frames.map((f) => ({ ...f, buffers: Object.fromEntries(Object.entries(f.buffers).map(([k, b]) => [k, b.slice()])) as typeof f.buffers }));
    const buffers = copies.flatMap((f) => Object.values(f.buffers).map((b: ArrayBufferView) => b.buffer as ArrayBuffer));
    return Comlink.transfer(copies, [...new Set(buffers)]);
  },
};

Comlink.expose(api);

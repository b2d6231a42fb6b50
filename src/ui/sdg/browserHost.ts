/**
 * The browser side of the synthetic-data controller: the preview worker (workers/sdg.worker.ts
 * over comlink), generation through src/pages/generateInBrowser.ts, OPFS and picked folders through
 * the engine's directory sink, and zip downloads as object URLs. Wiring only.
 */
import * as Comlink from 'comlink';
import { directorySink, opfsRoot } from '../../engine/dataset/sinks/directorySink.ts';
import { generateInBrowser } from '../../pages/generateInBrowser.ts';
import type { SdgWorkerApi } from '../../protocol/sdgWorker.ts';
import { bundledSpecFor } from '../examples.ts';
import { OPFS_DATASETS_DIR } from './generateForm.ts';
import { handleSource, listOpfsDatasets, opfsDatasetSource, pickDirectory, removeOpfsDataset } from './datasetSource.ts';
import type { PreviewWorker, SdgHost } from './sdgStudio.ts';

/** Starts one sdg worker for previews. A crash rejects the call in flight instead of hanging it. */
function startPreviewWorker(): PreviewWorker {
  const worker = new Worker(new URL('../../../workers/sdg.worker.ts', import.meta.url), { type: 'module', name: 'simloop-sdg-preview' });
  let crashed: (error: Error) => void = () => {};
  const crash = new Promise<never>((_, reject) => (crashed = reject));
  crash.catch(() => {});
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    crashed(new Error(`the preview worker crashed (${event.message || 'no message'})`));
  });
  worker.addEventListener('messageerror', () => crashed(new Error('the preview worker sent an unreadable message')));
  const remote = Comlink.wrap<SdgWorkerApi>(worker);
  return {
    init: (init) => Promise.race([remote.init(init), crash]),
    preview: (frame) => Promise.race([remote.preview(frame), crash]),
    terminate() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

export function browserSdgHost(reportError: (text: string) => void): SdgHost {
  let lastDownload: string | null = null;
  return {
    startPreviewWorker,
    generate: (call) => generateInBrowser(call),
    opfsSink: async (name) => directorySink(await opfsRoot(`${OPFS_DATASETS_DIR}/${name}`)),
    opfsSource: opfsDatasetSource,
    listDatasets: listOpfsDatasets,
    removeDataset: removeOpfsDataset,
    async pickFolder(mode) {
      const handle = await pickDirectory(mode);
      if (!handle) return null;
      return { name: handle.name, sink: () => directorySink(handle), source: () => handleSource(handle) };
    },
    offerDownload(chunks, _fileName) {
      if (lastDownload) URL.revokeObjectURL(lastDownload);
      const blob = new Blob(chunks as Uint8Array<ArrayBuffer>[], { type: 'application/zip' });
      lastDownload = URL.createObjectURL(blob);
      return { url: lastDownload, bytes: blob.size };
    },
    bundledSpec: bundledSpecFor,
    reportError,
  };
}

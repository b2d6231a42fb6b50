/**
 * The browser side of the synthetic-data controller: the preview worker (workers/sdg.worker.ts
 * over comlink), generation through src/pages/generateInBrowser.ts, OPFS and picked folders through
 * the engine's directory sink, and zip downloads as object URLs. Wiring only.
 */
import * as Comlink from 'comlink';
import { directorySink, opfsRoot } from '../../engine/dataset/sinks/directorySink.ts';
import { generateInBrowser } from '../../pages/generateInBrowser.ts';
import type { SdgWorkerApi } from '../../protocol/sdgWorker.ts';
import { watchWorkerDeath } from '../../browser/workerDeath.ts';
import { bundledSpecFor } from '../examples.ts';
import { OPFS_DATASETS_DIR } from './generateForm.ts';
import { handleSource, listOpfsDatasets, opfsDatasetSource, pickDirectory, removeOpfsDataset } from './datasetSource.ts';
import type { PreviewWorker, SdgHost } from './sdgStudio.ts';

/** Starts one sdg worker for previews. A crash rejects the call in flight instead of hanging it. */
function startPreviewWorker(): PreviewWorker {
  const worker = new Worker(new URL('../../../workers/sdg.worker.ts', import.meta.url), { type: 'module', name: 'simloop-sdg-preview' });
  const watch = watchWorkerDeath(worker, {
    crashed: (text) => new Error(`the preview worker crashed (${text || 'no message'})`),
    unreadable: () => new Error('the preview worker sent an unreadable message'),
  });
  const remote = Comlink.wrap<SdgWorkerApi>(worker);
  return {
    init: (init) => watch.guard(remote.init(init)),
    preview: (frame) => watch.guard(remote.preview(frame)),
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

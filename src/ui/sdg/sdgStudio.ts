/**
 * The synthetic-data controller: what the randomize, generate and dataset panels do — edit and
 * check the spec, sample a frame on a preview worker, run a generation into OPFS, a picked folder
 * or a zip, cancel and resume it, and open a written dataset frame by frame — as plain functions
 * over the sdg store, the studio store (for the open scene) and a host that owns the browser parts
 * (browserHost.ts; fakes in tests). Failures become state and messages; nothing here throws at the UI.
 */
import type { LabelledFrame, Sink } from '../../engine/dataset/types.ts';
import { FRAMES_JSONL_PATH } from '../../engine/dataset/framesJsonl.ts';
import type { GenerationProgress, GenerationResult } from '../../engine/jobs/generate.ts';
import type { GenerateJob } from '../../engine/jobs/job.ts';
import { DATASET_STATE_PATH, MANIFEST_PATH } from '../../engine/jobs/layout.ts';
import { type DatasetManifest, parseManifest } from '../../engine/jobs/manifest.ts';
import type { PipelineInit } from '../../engine/jobs/framePipeline.ts';
import { type GenerationInputs, planGeneration } from '../../engine/jobs/plan.ts';
import type { LoadedScene } from '../state/studioState.ts';
import type { StudioStore } from '../state/studioState.ts';
import { type CocoIndex, loadFrameImage, loadInstanceMask } from './datasetFrame.ts';
import type { DatasetSource } from './datasetSource.ts';
import { type DestinationKind, type GenerateForm, DESTINATION_LABEL, canResume, jobFromForm, nextDatasetName, sceneStem } from './generateForm.ts';
import { type FrameIndex, frameIndexer, parseFrameLine, readLines, sortedCounts } from './jsonl.ts';
import { parseProject } from '../../engine/project.ts';
import { stringify as stringifyYaml } from 'yaml';
import { type OverlayToggles, type RunState, type SdgState, type SdgTab, checkSpec, errorText, idleRun, specForScene } from './sdgState.ts';
import type { SdgStore } from './sdgState.ts';
import { zipDestination } from './zipDestination.ts';

/** The preview worker as the controller uses it: the comlink remote of workers/sdg.worker.ts, or a fake. */
export interface PreviewWorker {
  init(init: PipelineInit): Promise<void>;
  preview(frame: number): Promise<LabelledFrame[]>;
  terminate(): void;
}

/** A folder the user picked: a sink to write into it and a source to read it. */
export interface PickedFolder {
  name: string;
  sink(): Sink;
  source(): DatasetSource;
}

export interface GenerateCall {
  job: GenerateJob;
  inputs: GenerationInputs;
  sink: Sink;
  onProgress: (progress: GenerationProgress) => void;
  signal: AbortSignal;
}

/** What the controller needs from the browser (browserHost.ts) — or from a test. */
export interface SdgHost {
  startPreviewWorker(): PreviewWorker;
  /** src/pages/generateInBrowser.ts in the page. */
  generate(call: GenerateCall): Promise<GenerationResult>;
  opfsSink(name: string): Promise<Sink>;
  opfsSource(name: string): Promise<DatasetSource>;
  listDatasets(): Promise<string[]>;
  removeDataset(name: string): Promise<void>;
  /** Null when the user cancels the picker. */
  pickFolder(mode: 'read' | 'readwrite'): Promise<PickedFolder | null>;
  /** Turns a finished zip into something to download (an object URL). */
  offerDownload(chunks: Uint8Array[], fileName: string): { url: string; bytes: number };
  /** The bundled spec of a scene file, or null. */
  bundledSpec(sceneFile: string): { fileName: string; text: string } | null;
  /** Also shows an error in the studio's messages panel. */
  reportError(text: string): void;
}

/**
 * The spec a Simloop project file carries (a saved project, or the designer's autosave), as YAML
 * for the editor; null when the scene was not opened from a project or the project has none.
 */
export function projectSpec(loaded: Pick<LoadedScene, 'source' | 'fileName'>): { fileName: string; text: string } | null {
  if (loaded.source[0] !== 0x7b /* { */) return null;
  try {
    const project = parseProject(loaded.source, loaded.fileName);
    if (!project.randomize) return null;
    return { fileName: `${sceneStem(loaded.fileName)}.randomize.yaml`, text: stringifyYaml(project.randomize) };
  } catch {
    return null;
  }
}

export interface SdgStudio {
  selectTab(tab: SdgTab): void;
  setSpecText(text: string): void;
  /** Back to the scene's bundled spec. */
  restoreSpec(): void;
  setPreviewFrame(frame: number): void;
  setPreviewCamera(camera: number): void;
  /** Draws frame `frame` (default: the frame field) on the preview worker. */
  sample(frame?: number): Promise<void>;
  /** The next frame index. */
  reroll(): Promise<void>;
  setForm(patch: Partial<GenerateForm>): void;
  chooseFolder(): Promise<void>;
  generate(): Promise<void>;
  resume(): Promise<void>;
  cancel(): void;
  refreshDatasets(): Promise<void>;
  selectDataset(name: string): void;
  /** Opens an OPFS dataset (default: the selected one). */
  openDataset(name?: string): Promise<void>;
  openFolder(): Promise<void>;
  /** Deletes an OPFS dataset (default: the selected one). */
  deleteDataset(name?: string): Promise<void>;
  showFrame(position: number): Promise<void>;
  setOverlay(patch: Partial<OverlayToggles>): void;
  dispose(): void;
}

const MAX_PREVIEW_FRAME = 99_999_999;

export function createSdgStudio(store: SdgStore, studioStore: StudioStore, host: SdgHost): SdgStudio {
  const set = (update: (s: SdgState) => Partial<SdgState>) => store.setState(update);
  const setRun = (patch: Partial<RunState>) => set((s) => ({ generate: { ...s.generate, run: { ...s.generate.run, ...patch } } }));
  const setPreview = (patch: Partial<SdgState['preview']>) => set((s) => ({ preview: { ...s.preview, ...patch } }));
  const setViewer = (patch: Partial<SdgState['viewer']>) => set((s) => ({ viewer: { ...s.viewer, ...patch } }));

  const scene = (): LoadedScene | null => studioStore.getState().scene;

  // ------------------------------------------------------------------ the open scene and its spec

  let previewWorker: PreviewWorker | null = null;
  /** What the preview worker was initialised with (scene, spec, seed, resolution); null: not initialised. */
  let previewKey: string | null = null;

  function dropPreviewWorker() {
    previewWorker?.terminate();
    previewWorker = null;
    previewKey = null;
  }

  /**
   * The dataset name the controller proposed (the scene's stem, numbered past the datasets in
   * storage). It follows the list of datasets until the person types a name or a run uses it —
   * then it is theirs, and Resume must find the same name.
   */
  let suggestedName: string | null = null;

  function isRunning(): boolean {
    const { status } = store.getState().generate.run;
    return status === 'running' || status === 'cancelling';
  }

  function suggestName(fresh = false) {
    const loaded = scene();
    const { generate, viewer } = store.getState();
    if (!loaded || isRunning()) return;
    if (!fresh && generate.form.datasetName !== suggestedName) return;
    if (!fresh && generate.run.datasetName === generate.form.datasetName) return;
    suggestedName = nextDatasetName(sceneStem(loaded.fileName), viewer.datasets);
    set((s) => ({ generate: { ...s.generate, form: { ...s.generate.form, datasetName: suggestedName! } } }));
  }

  function sceneChanged(loaded: LoadedScene | null) {
    dropPreviewWorker();
    if (!loaded) {
      set(() => ({ sceneGeneration: null }));
      return;
    }
    const spec = specForScene(loaded.fileName, projectSpec(loaded) ?? host.bundledSpec(loaded.fileName), loaded.document);
    set((s) => ({ sceneGeneration: loaded.generation, spec, preview: { ...s.preview, busy: false, error: null, shown: null, camera: 0 } }));
    suggestName(true); // a new scene proposes a new name
    followCameraResolution(loaded);
  }

  /** The frame size follows the scene camera's own resolution (its render product), when it has one. */
  function followCameraResolution(loaded: LoadedScene) {
    const resolution = loaded.document.prims.find((p) => p.camera)?.camera?.resolution;
    if (!resolution) return;
    const [width, height] = resolution.map(String) as [string, string];
    set((s) => (s.generate.form.width === width && s.generate.form.height === height ? s : { generate: { ...s.generate, form: { ...s.generate.form, width, height } } }));
  }

  /**
   * The open scene edited in the designer: the spec stays (checked again against the edited
   * document), the preview worker is made again for the new document when next needed.
   */
  function sceneEdited(loaded: LoadedScene) {
    dropPreviewWorker();
    const { spec } = store.getState();
    const check = checkSpec(spec.text, spec.file, loaded.document);
    set((s) => ({ sceneGeneration: loaded.generation, spec: { ...s.spec, error: check.ok ? null : check.error } }));
    followCameraResolution(loaded);
  }

  let lastScene = scene();
  if (lastScene) sceneChanged(lastScene);
  void refreshDatasets();
  const unsubscribe = studioStore.subscribe((state) => {
    if (state.scene === lastScene) return;
    const edited = state.scene !== null && lastScene !== null && state.scene.opened === lastScene.opened;
    lastScene = state.scene;
    if (edited) sceneEdited(state.scene!);
    else sceneChanged(state.scene);
  });

  /** Timer for re-drawing the shown sample once an edited spec checks out again. */
  let resampleTimer: ReturnType<typeof setTimeout> | null = null;

  function setSpecText(text: string) {
    const loaded = scene();
    const { file } = store.getState().spec;
    const check = checkSpec(text, file, loaded?.document ?? null);
    set((s) => ({ spec: { ...s.spec, text, error: check.ok ? null : check.error } }));
    if (resampleTimer) clearTimeout(resampleTimer);
    resampleTimer = null;
    // A valid edit re-draws the sample on show (the last good one stays while the text is broken).
    if (check.ok && store.getState().preview.shown) {
      resampleTimer = setTimeout(() => {
        resampleTimer = null;
        void sample(store.getState().preview.frame);
      }, 400);
    }
  }

  function restoreSpec() {
    const loaded = scene();
    if (!loaded) return;
    setSpecText(specForScene(loaded.fileName, projectSpec(loaded) ?? host.bundledSpec(loaded.fileName), loaded.document).text);
  }

  /** The spec to run with: its text (null: none) or the reason it can't be used. */
  function currentSpec(loaded: LoadedScene): { specText: string | null; specFile: string | null } | { error: string } {
    const { spec } = store.getState();
    const check = checkSpec(spec.text, spec.file, loaded.document);
    if (!check.ok) return { error: check.error };
    return { specText: check.specText, specFile: check.specText === null ? null : spec.file };
  }

  // ------------------------------------------------------------------ preview

  let previewQueue: Promise<void> = Promise.resolve();
  let wantedFrame: number | null = null;

  function sample(frame = store.getState().preview.frame): Promise<void> {
    const f = Math.max(0, Math.min(MAX_PREVIEW_FRAME, Math.floor(Number.isFinite(frame) ? frame : 0)));
    wantedFrame = f;
    setPreview({ frame: f, busy: true });
    // Requests made while one is drawing collapse into the latest.
    previewQueue = previewQueue.then(async () => {
      if (wantedFrame === null) return;
      const next = wantedFrame;
      wantedFrame = null;
      await drawSample(next);
      if (wantedFrame === null) setPreview({ busy: false });
    });
    return previewQueue;
  }

  async function drawSample(frame: number): Promise<void> {
    const loaded = scene();
    if (!loaded) return setPreview({ error: 'Open a scene first.' });
    const spec = currentSpec(loaded);
    if ('error' in spec) return setPreview({ error: `The randomization spec has an error: ${spec.error}` });
    const { form } = store.getState().generate;
    const jobResult = jobFromForm({ ...form, frames: String(Math.max(1, frame + 1)) }, loaded.fileName, spec.specFile, 'preview');
    if (!jobResult.ok) return setPreview({ error: `Generate settings: ${jobResult.error}` });
    const job = jobResult.job;
    const inputs: GenerationInputs = { sceneBytes: loaded.source, sceneFile: loaded.fileName, specText: spec.specText, specFile: spec.specFile };
    const key = JSON.stringify([loaded.generation, spec.specText, job.seed, job.width, job.height, job.shadows]);
    try {
      if (previewKey !== key || !previewWorker) {
        const plan = await planGeneration(inputs, job);
        previewWorker ??= host.startPreviewWorker();
        previewKey = null;
        await previewWorker.init({ ...inputs, job, info: plan.info });
        previewKey = key;
      }
      const frames = await previewWorker.preview(frame);
      if (scene() !== loaded) return; // a new scene opened meanwhile
      const camera = Math.min(store.getState().preview.camera, Math.max(0, frames.length - 1));
      setPreview({ error: null, camera, shown: { frame, frames } });
    } catch (error) {
      // A worker that failed may be unusable: the next sample starts a fresh one.
      dropPreviewWorker();
      setPreview({ error: errorText(error) });
    }
  }

  // ------------------------------------------------------------------ generation

  let abort: AbortController | null = null;
  let folder: PickedFolder | null = null;

  async function chooseFolder() {
    try {
      const picked = await host.pickFolder('readwrite');
      if (!picked) return;
      folder = picked;
      set((s) => ({ generate: { ...s.generate, folderName: picked.name, form: { ...s.generate.form, destination: 'directory' } } }));
    } catch (error) {
      fail(`Could not open the folder: ${errorText(error)}`);
    }
  }

  function fail(text: string) {
    setRun({ status: 'failed', error: text });
    host.reportError(`Generate: ${text}`);
  }


  async function openDestination(kind: DestinationKind, name: string, resume: boolean): Promise<{ sink: Sink; destination: string; finish?: () => Promise<{ url: string; bytes: number }> }> {
    if (kind === 'zip') {
      const chunks: Uint8Array[] = [];
      const zip = zipDestination((chunk) => chunks.push(chunk));
      return {
        sink: zip.sink,
        destination: `${DESTINATION_LABEL.zip}: ${name}.zip`,
        finish: async () => {
          await zip.finish();
          return host.offerDownload(chunks, `${name}.zip`);
        },
      };
    }
    const sink = kind === 'opfs' ? await host.opfsSink(name) : folder?.sink();
    if (!sink) throw new Error('choose a folder first');
    const destination = kind === 'opfs' ? `browser storage: ${name}` : `folder ${folder!.name}`;
    if (!resume && (await sink.read(DATASET_STATE_PATH))) {
      throw new Error(kind === 'opfs' ? `browser storage already has a dataset named "${name}": resume it, or choose another name` : `the folder ${folder!.name} already holds a dataset: resume it, or choose an empty folder`);
    }
    return { sink, destination };
  }

  async function run(resume: boolean): Promise<void> {
    if (isRunning()) return;
    const loaded = scene();
    if (!loaded) return fail('open a scene first');
    const spec = currentSpec(loaded);
    if ('error' in spec) return fail(`the randomization spec has an error: ${spec.error}`);
    const { form } = store.getState().generate;
    const kind = form.destination;
    if (resume && !canResume(kind)) return fail('a zip download cannot be resumed; generate it again');
    const name = form.datasetName.trim();
    const out = kind === 'opfs' ? `opfs:datasets/${name}` : kind === 'directory' ? (folder?.name ?? 'folder') : `${name}.zip`;
    const jobResult = jobFromForm(form, loaded.fileName, spec.specFile, out, resume);
    if (!jobResult.ok) return fail(jobResult.error);
    const { job } = jobResult;
    const controller = new AbortController();
    abort = controller;
    set((s) => ({
      generate: {
        ...s.generate,
        run: { ...idleRun(), status: 'running', kind, datasetName: kind === 'opfs' ? name : null },
      },
    }));
    try {
      const target = await openDestination(kind, name, resume);
      setRun({ destination: target.destination, progress: { done: 0, total: job.frames, framesPerSecond: 0, etaSeconds: null, phase: 'frames', retried: 0 } });
      const result = await host.generate({
        job,
        inputs: { sceneBytes: loaded.source, sceneFile: loaded.fileName, specText: spec.specText, specFile: spec.specFile },
        sink: target.sink,
        signal: controller.signal,
        onProgress: (progress) => setRun({ progress }),
      });
      const download = result.status === 'complete' && target.finish ? await target.finish() : null;
      setRun({ status: result.status === 'complete' ? 'complete' : 'cancelled', result, download: download && { ...download, fileName: `${name}.zip` } });
      if (kind === 'opfs') {
        await refreshDatasets();
        if (result.status === 'complete') {
          setViewer({ selected: name });
          suggestName(true); // this one is done: the next run gets a new name
        }
      }
    } catch (error) {
      fail(errorText(error));
    } finally {
      if (abort === controller) abort = null;
    }
  }

  function cancel() {
    if (!abort || store.getState().generate.run.status !== 'running') return;
    setRun({ status: 'cancelling' });
    abort.abort();
  }

  // ------------------------------------------------------------------ dataset viewer

  interface OpenDataset {
    source: DatasetSource;
    manifest: DatasetManifest;
    index: FrameIndex;
    coco: { index: CocoIndex | null };
  }
  let opened: OpenDataset | null = null;
  /** Counts viewer loads, so a slow frame never replaces a later one. */
  let viewerTicket = 0;

  async function refreshDatasets() {
    try {
      const datasets = await host.listDatasets();
      set((s) => ({ viewer: { ...s.viewer, datasets, selected: s.viewer.selected && datasets.includes(s.viewer.selected) ? s.viewer.selected : (datasets[0] ?? null) } }));
      suggestName();
    } catch (error) {
      setViewer({ error: `Could not list the datasets in browser storage: ${errorText(error)}` });
    }
  }

  async function deleteDataset(name = store.getState().viewer.selected ?? undefined) {
    if (!name) return;
    const { run } = store.getState().generate;
    if (isRunning() && run.datasetName === name) {
      setViewer({ error: `${name} is being generated; cancel the run before deleting it` });
      return;
    }
    try {
      await host.removeDataset(name);
      if (store.getState().viewer.dataset?.kind === 'opfs' && store.getState().viewer.dataset?.name === name) {
        opened = null;
        viewerTicket++;
        setViewer({ status: 'idle', dataset: null, current: null });
      }
      setViewer({ error: null, selected: null });
      await refreshDatasets();
    } catch (error) {
      setViewer({ error: `Could not delete ${name}: ${errorText(error)}` });
    }
  }

  async function openSource(kind: 'opfs' | 'directory', getSource: () => Promise<DatasetSource | null>) {
    const ticket = ++viewerTicket;
    setViewer({ status: 'loading', error: null });
    try {
      const source = await getSource();
      if (!source) {
        if (ticket === viewerTicket) setViewer({ status: store.getState().viewer.dataset ? 'ready' : 'idle' });
        return;
      }
      const manifestBytes = await source.read(MANIFEST_PATH);
      if (!manifestBytes) throw new Error(`${source.name} is not a Simloop dataset (it has no ${MANIFEST_PATH})`);
      const manifest = parseManifest(manifestBytes, `${source.name}/${MANIFEST_PATH}`);
      const stream = await source.stream(FRAMES_JSONL_PATH);
      if (!stream) throw new Error(`${source.name} has no ${FRAMES_JSONL_PATH} yet: its generation did not finish (resume it in the Generate tab)`);
      const indexer = frameIndexer();
      await readLines(stream, indexer.add);
      if (ticket !== viewerTicket) return;
      opened = { source, manifest, index: indexer.index, coco: { index: null } };
      setViewer({
        status: 'ready',
        dataset: {
          name: source.name,
          kind,
          lines: indexer.index.entries.length,
          frames: new Set(indexer.index.entries.map((e) => e.frame)).size,
          complete: manifest.complete,
          formats: manifest.formats,
          resolution: manifest.resolution,
          cameras: manifest.cameras,
          classCounts: sortedCounts(indexer.index.classCounts).map((c) => ({ ...c, id: manifest.classes.find((k) => k.name === c.label)?.id })),
        },
        current: null,
      });
      await showFrame(0);
    } catch (error) {
      if (ticket !== viewerTicket) return;
      opened = null;
      setViewer({ status: 'failed', error: errorText(error), dataset: null, current: null });
    }
  }

  async function showFrame(position: number) {
    const dataset = opened;
    if (!dataset || dataset.index.entries.length === 0) return;
    const at = Math.max(0, Math.min(dataset.index.entries.length - 1, Math.floor(Number.isFinite(position) ? position : 0)));
    const ticket = ++viewerTicket;
    const entry = dataset.index.entries[at]!;
    try {
      const bytes = await dataset.source.readRange(FRAMES_JSONL_PATH, entry.start, entry.end);
      const line = parseFrameLine(new TextDecoder().decode(bytes), at);
      const read = (path: string) => dataset.source.read(path);
      const image = await loadFrameImage(read, dataset.manifest, line);
      const mask = await loadInstanceMask(read, dataset.manifest, line, dataset.coco);
      if (ticket !== viewerTicket || opened !== dataset) return;
      setViewer({ status: 'ready', error: image ? null : `frame ${line.frame}: no colour image in the dataset's formats (${dataset.manifest.formats.join(', ')})`, current: { position: at, line, image: image?.image ?? null, imagePath: image?.path ?? null, mask } });
    } catch (error) {
      if (ticket !== viewerTicket) return;
      setViewer({ error: `Frame ${at + 1}: ${errorText(error)}` });
    }
  }

  return {
    selectTab: (tab) => set(() => ({ tab })),
    setSpecText,
    restoreSpec,
    setPreviewFrame: (frame) => setPreview({ frame: Math.max(0, Math.min(MAX_PREVIEW_FRAME, Math.floor(Number.isFinite(frame) ? frame : 0))) }),
    setPreviewCamera: (camera) => setPreview({ camera }),
    sample,
    reroll: () => sample(store.getState().preview.frame + 1),
    setForm: (patch) => set((s) => ({ generate: { ...s.generate, form: { ...s.generate.form, ...patch } } })),
    chooseFolder,
    generate: () => run(false),
    resume: () => run(true),
    cancel,
    refreshDatasets,
    selectDataset: (name) => setViewer({ selected: name }),
    openDataset: (name) => {
      const chosen = name ?? store.getState().viewer.selected;
      if (!chosen) return Promise.resolve();
      setViewer({ selected: chosen });
      return openSource('opfs', () => host.opfsSource(chosen));
    },
    openFolder: () =>
      openSource('directory', async () => {
        const picked = await host.pickFolder('read');
        return picked ? picked.source() : null;
      }),
    deleteDataset,
    showFrame,
    setOverlay: (patch) => set((s) => ({ overlay: { ...s.overlay, ...patch } })),
    dispose() {
      unsubscribe();
      if (resampleTimer) clearTimeout(resampleTimer);
      abort?.abort();
      dropPreviewWorker();
    },
  };
}

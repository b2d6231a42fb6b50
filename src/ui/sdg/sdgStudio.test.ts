import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../engine/dataset/memorySink.ts';
import { faultySink } from '../../engine/dataset/sinks/faulty.ts';
import { syntheticFrame, syntheticInfo } from '../../engine/dataset/testing.ts';
import type { Sink } from '../../engine/dataset/types.ts';
import { encodeFrameWith, writersFor } from '../../engine/dataset/writers.ts';
import { type FrameWorker, runGeneration } from '../../engine/jobs/generate.ts';
import type { PipelineInit } from '../../engine/jobs/framePipeline.ts';
import type { GenerateJob } from '../../engine/jobs/job.ts';
import { loadSceneFile } from '../../engine/load.ts';
import { createStudioStore } from '../state/store.ts';
import type { LoadedScene } from '../state/studioState.ts';
import type { DatasetSource } from './datasetSource.ts';
import { parseFrameLine } from './jsonl.ts';
import { createSdgStudio, type GenerateCall, type SdgHost } from './sdgStudio.ts';
import { createSdgStore } from './store.ts';

const sceneBytes = new Uint8Array(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)));
const specText = readFileSync(new URL('../../../scenes/tabletop.randomize.yaml', import.meta.url), 'utf8');

const tabletopDocument = (await loadSceneFile(sceneBytes, 'tabletop.usda')).document;

function tabletop(generation = 1): LoadedScene {
  return { generation, opened: generation, fileName: 'tabletop.usda', source: sceneBytes, document: tabletopDocument, movingBodies: [], bodyCount: 7, dt: 1 / 240 };
}

/** A frame the fake workers make: a cube moving right by one pixel per frame, a ball in front of it. */
const frameOf = (frame: number, width: number, height: number) =>
  syntheticFrame({
    frame,
    width,
    height,
    objects: [
      { path: '/World/Objects/RedCube', label: 'cube', rect: [2 + frame, 2, 9 + frame, 8] },
      { path: '/World/Objects/BlueBall', label: 'ball', rect: [7 + frame, 5, 13 + frame, 11] },
    ],
    classes: syntheticInfo(['ball', 'cube']).classes,
    randomized: { '/World/Sun:intensity': 1 + frame / 10 },
  });

const memorySource = (name: string, sink: MemorySink): DatasetSource => ({
  name,
  read: (path) => sink.read(path),
  async stream(path) {
    const bytes = await sink.read(path);
    return bytes ? (new Blob([bytes as Uint8Array<ArrayBuffer>]).stream() as ReadableStream<Uint8Array>) : null;
  },
  async readRange(path, start, end) {
    return (await sink.read(path))!.slice(start, end);
  },
});

/** The controller's browser parts, in memory: OPFS is a map of sinks, generation runs the real job runner over synthetic frame workers. */
function fakeHost(options: { gate?: (frame: number) => Promise<void>; wrapSink?: (sink: Sink) => Sink } = {}) {
  const opfs = new Map<string, MemorySink>();
  const inits: PipelineInit[] = [];
  const previews: number[] = [];
  const errors: string[] = [];
  const calls: GenerateCall[] = [];
  const downloads: Uint8Array[][] = [];
  let terminated = 0;
  const worker = (job: GenerateJob): FrameWorker => ({
    async run(frame) {
      await options.gate?.(frame);
      const info = syntheticInfo(['ball', 'cube'], { width: job.width, height: job.height, frames: job.frames });
      const { files, records } = await encodeFrameWith(writersFor(job.formats), info, frameOf(frame, job.width, job.height));
      return { frame, files, records: records.map((r) => ({ ...r, cameraIndex: 0 })), ms: { render: 1 } };
    },
    terminate() {},
  });
  const host: SdgHost = {
    startPreviewWorker: () => ({
      async init(init) {
        inits.push(init);
      },
      async preview(frame) {
        previews.push(frame);
        const job = inits.at(-1)!.job;
        return [frameOf(frame, job.width, job.height)];
      },
      terminate: () => void terminated++,
    }),
    generate(call) {
      calls.push(call);
      const info = syntheticInfo(['ball', 'cube'], { width: call.job.width, height: call.job.height, frames: call.job.frames });
      const lineage = { simloopVersion: '0.1.0', scene: { file: call.inputs.sceneFile, sha256: '0'.repeat(64) }, randomization: null, annotators: ['rgb'] };
      return runGeneration(call.job, info, lineage, { sink: call.sink, spawn: async () => worker(call.job), onProgress: call.onProgress, signal: call.signal });
    },
    async opfsSink(name) {
      if (!opfs.has(name)) opfs.set(name, new MemorySink());
      return options.wrapSink ? options.wrapSink(opfs.get(name)!) : opfs.get(name)!;
    },
    async opfsSource(name) {
      const sink = opfs.get(name);
      if (!sink) throw new Error(`no dataset "${name}" in browser storage`);
      return memorySource(name, sink);
    },
    listDatasets: async () => [...opfs.keys()].sort(),
    removeDataset: async (name) => void opfs.delete(name),
    pickFolder: async () => null,
    offerDownload: (chunks) => {
      downloads.push(chunks);
      return { url: 'blob:zip', bytes: chunks.reduce((n, c) => n + c.length, 0) };
    },
    bundledSpec: (scene) => (scene === 'tabletop.usda' ? { fileName: 'tabletop.randomize.yaml', text: specText } : null),
    reportError: (text) => void errors.push(text),
  };
  return { host, opfs, inits, previews, errors, calls, downloads, terminated: () => terminated };
}

function setup(options: Parameters<typeof fakeHost>[0] = {}) {
  const studioStore = createStudioStore();
  studioStore.setState({ scene: tabletop() });
  const store = createSdgStore({ opfs: true, directoryPicker: false });
  const fake = fakeHost(options);
  const sdg = createSdgStudio(store, studioStore, fake.host);
  sdg.setForm({ frames: '3', width: '32', height: '24', workers: '2', formats: ['coco', 'basic'] });
  return { studioStore, store, sdg, ...fake };
}

describe('randomize panel', () => {
  it('opens the scene with its bundled spec, checked against the scene', () => {
    const { store } = setup();
    const { spec } = store.getState();
    expect(spec).toMatchObject({ file: 'tabletop.randomize.yaml', bundled: true, text: specText, error: null });
  });

  it('a broken field is named as it is typed, the last sample stays, and fixing it brings samples back', async () => {
    const { store, sdg, previews } = setup();
    await sdg.sample(2);
    expect(store.getState().preview).toMatchObject({ frame: 2, busy: false, error: null });
    expect(store.getState().preview.shown?.frame).toBe(2);

    sdg.setSpecText(specText.replace('margin: 0.04          #', 'margin: lots #'));
    const error = store.getState().spec.error;
    expect(error).toMatch(/^tabletop\.randomize\.yaml: objects\[0\]\.scatter\.margin: /);
    expect(error).toMatch(/line \d+/);

    await sdg.sample(3);
    expect(store.getState().preview.error).toContain('objects[0].scatter.margin');
    expect(store.getState().preview.shown?.frame).toBe(2);
    expect(previews).toEqual([2]);

    sdg.setSpecText(specText);
    expect(store.getState().spec.error).toBeNull();
    await sdg.sample(3);
    expect(store.getState().preview.shown?.frame).toBe(3);
    expect(store.getState().preview.error).toBeNull();
    sdg.dispose();
  });

  it('names a prim the scene does not have', () => {
    const { store, sdg } = setup();
    sdg.setSpecText(specText.replace('surface: /World/Table/Top', 'surface: /World/Tabel/Top'));
    expect(store.getState().spec.error).toMatch(/objects\[0\]\.scatter\.surface: \/World\/Tabel\/Top is not a prim in the scene/);
  });

  it('re-roll samples the next index on the same worker; new settings initialise it again', async () => {
    const { store, sdg, inits, previews } = setup();
    await sdg.sample(5);
    await sdg.reroll();
    expect(previews).toEqual([5, 6]);
    expect(store.getState().preview.frame).toBe(6);
    expect(inits).toHaveLength(1);
    expect(inits[0]!.job).toMatchObject({ seed: 0, width: 32, height: 24 });
    expect(inits[0]!.specText).toBe(specText);
    expect(inits[0]!.info.cameras).toEqual(['/World/Camera']);

    sdg.setForm({ seed: '9' });
    await sdg.sample();
    expect(inits).toHaveLength(2);
    expect(inits[1]!.job.seed).toBe(9);
  });

  it('an empty spec means no randomization', async () => {
    const { store, sdg, inits } = setup();
    sdg.setSpecText('# nothing varies\n');
    expect(store.getState().spec.error).toBeNull();
    await sdg.sample(0);
    expect(inits[0]!.specText).toBeNull();
    expect(inits[0]!.specFile).toBeNull();
  });

  it('a newly opened scene brings its own spec and drops the old preview worker', async () => {
    const { studioStore, store, sdg, terminated } = setup();
    await sdg.sample(1);
    studioStore.setState({ scene: { ...tabletop(2), fileName: 'other.usda' } });
    const state = store.getState();
    expect(state.spec).toMatchObject({ file: 'other.randomize.yaml', bundled: false, error: null });
    expect(state.preview.shown).toBeNull();
    expect(terminated()).toBe(1);
    expect(state.generate.form.datasetName).toBe('other-001');
  });

  it('takes the frame size from the scene camera`s resolution, on open and after an edit', () => {
    const { studioStore, store } = setup();
    expect(store.getState().generate.form).toMatchObject({ width: '32', height: '24' }); // as setup() sets it
    const sized = (generation: number, opened: number, resolution: [number, number]) => {
      const scene = tabletop(generation);
      const prims = scene.document.prims.map((p) => (p.camera ? { ...p, camera: { ...p.camera, resolution } } : p));
      return { ...scene, opened, document: { ...scene.document, prims } };
    };
    studioStore.setState({ scene: sized(2, 2, [320, 240]) });
    expect(store.getState().generate.form).toMatchObject({ width: '320', height: '240' });
    studioStore.setState({ scene: sized(3, 2, [128, 96]) }); // the same scene, edited
    expect(store.getState().generate.form).toMatchObject({ width: '128', height: '96' });
  });
});

describe('generate panel', () => {
  it('generates into browser storage: progress, result, and the next dataset name', async () => {
    const { store, sdg, opfs, calls } = setup();
    sdg.setForm({ datasetName: 'tabletop-001' });
    const seen: number[] = [];
    const unsubscribe = store.subscribe((s) => {
      const done = s.generate.run.progress?.done;
      if (done !== undefined && seen.at(-1) !== done) seen.push(done);
    });
    await sdg.generate();
    unsubscribe();
    const { run } = store.getState().generate;
    expect(run.status).toBe('complete');
    expect(run.error).toBeNull();
    expect(run.result).toMatchObject({ status: 'complete', frames: 3, produced: 3, resumedFrom: 0 });
    expect(run.destination).toBe('browser storage: tabletop-001');
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(calls[0]!.job).toMatchObject({ frames: 3, width: 32, height: 24, formats: ['coco', 'basic'], randomize: 'tabletop.randomize.yaml', out: 'opfs:datasets/tabletop-001' });
    expect(calls[0]!.inputs.specText).toBe(specText);
    const sink = opfs.get('tabletop-001')!;
    expect(sink.files.has('frames.jsonl')).toBe(true);
    expect(sink.files.has('coco/annotations.json')).toBe(true);
    expect(store.getState().viewer).toMatchObject({ datasets: ['tabletop-001'], selected: 'tabletop-001' });
    expect(store.getState().generate.form.datasetName).toBe('tabletop-002');
  });

  it('proposes a dataset name past those in storage, and keeps a name the person typed', async () => {
    const studioStore = createStudioStore();
    studioStore.setState({ scene: tabletop() });
    const store = createSdgStore({ opfs: true, directoryPicker: false });
    const fake = fakeHost();
    fake.opfs.set('tabletop-001', new MemorySink());
    const sdg = createSdgStudio(store, studioStore, fake.host);
    await sdg.refreshDatasets();
    expect(store.getState().generate.form.datasetName).toBe('tabletop-002');
    sdg.setForm({ datasetName: 'mine' });
    fake.opfs.set('tabletop-002', new MemorySink());
    await sdg.refreshDatasets();
    expect(store.getState().generate.form.datasetName).toBe('mine');
  });

  it('refuses to overwrite a dataset: resume it or choose another name', async () => {
    const { store, sdg, errors } = setup();
    sdg.setForm({ datasetName: 'same' });
    await sdg.generate();
    sdg.setForm({ datasetName: 'same' });
    await sdg.generate();
    const { run } = store.getState().generate;
    expect(run.status).toBe('failed');
    expect(run.error).toBe('browser storage already has a dataset named "same": resume it, or choose another name');
    expect(errors).toEqual([`Generate: ${run.error}`]);
  });

  it('a full destination fails with the sink’s one-line message; Resume then finishes the missing frames', async () => {
    // Room for the dataset state, the first manifest and one whole frame (its files and its record), then full.
    const info = syntheticInfo(['ball', 'cube'], { width: 32, height: 24 });
    const perFrame = (await encodeFrameWith(writersFor(['coco', 'basic']), info, frameOf(0, 32, 24))).files.length + 1;
    let full = true;
    const { store, sdg, opfs } = setup({ wrapSink: (sink) => (full ? faultySink(sink, { error: 'no-space', failAfterWrites: 2 + perFrame + 2 }) : sink) });
    sdg.setForm({ datasetName: 'full', workers: '1' });
    await sdg.generate();
    let { run } = store.getState().generate;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^cannot write .*: no space left on the device \(ENOSPC\)$/);
    const written = [...opfs.get('full')!.files.keys()].filter((p) => p.startsWith('.simloop/frames/')).length;
    expect(written).toBe(1);

    full = false;
    await sdg.resume();
    ({ run } = store.getState().generate);
    expect(run.status).toBe('complete');
    expect(run.result).toMatchObject({ frames: 3, resumedFrom: written, produced: 3 - written });
  });

  it('cancel stops after the frames in flight; resume makes only the missing ones', async () => {
    let release: () => void = () => {};
    const gate = (frame: number) => (frame === 0 ? Promise.resolve() : new Promise<void>((r) => (release = r)));
    const { store, sdg } = setup({ gate });
    sdg.setForm({ datasetName: 'cut', workers: '1' });
    const running = sdg.generate();
    await new Promise((r) => setTimeout(r, 20));
    expect(store.getState().generate.run.status).toBe('running');
    sdg.cancel();
    expect(store.getState().generate.run.status).toBe('cancelling');
    release();
    await running;
    let { run } = store.getState().generate;
    expect(run.status).toBe('cancelled');
    expect(run.result?.frames).toBe(2);

    const resumed = sdg.resume();
    await new Promise((r) => setTimeout(r, 20));
    release();
    await resumed;
    ({ run } = store.getState().generate);
    expect(run.result).toMatchObject({ status: 'complete', frames: 3, resumedFrom: 2, produced: 1 });
  });

  it('a zip download is offered when it completes, and cannot be resumed', async () => {
    const { store, sdg, downloads } = setup();
    sdg.setForm({ destination: 'zip', datasetName: 'bundle' });
    await sdg.generate();
    const { run } = store.getState().generate;
    expect(run.error).toBeNull();
    expect(run.status).toBe('complete');
    expect(run.download).toMatchObject({ url: 'blob:zip', fileName: 'bundle.zip' });
    const zip = new Uint8Array(downloads[0]!.flatMap((c) => Array.from(c)));
    expect(run.download!.bytes).toBe(zip.length);
    // The archive is the dataset: the final manifest (rewritten while generating) and every file.
    const files = unzipSync(zip);
    expect(JSON.parse(new TextDecoder().decode(files['manifest.json']))).toMatchObject({ complete: true, formats: ['coco', 'basic'] });
    expect(new TextDecoder().decode(files['frames.jsonl']).trim().split('\n')).toHaveLength(3);
    for (const path of ['coco/annotations.json', 'coco/images/rgb_000002.png', 'basic/rgb_0002.png', '.simloop/dataset.json', '.simloop/frames/00000002.json']) expect(files[path], path).toBeDefined();
    await sdg.resume();
    expect(store.getState().generate.run.error).toBe('a zip download cannot be resumed; generate it again');
  });

  it('a bad setting is named and nothing runs', async () => {
    const { store, sdg, calls } = setup();
    sdg.setForm({ width: '0' });
    await sdg.generate();
    expect(store.getState().generate.run.error).toMatch(/width: at least 1 pixel/);
    expect(calls).toHaveLength(0);
  });
});

describe('dataset viewer', () => {
  it('opens a generated dataset: frames, class counts, image, mask and the boxes of frames.jsonl', async () => {
    const { store, sdg, opfs } = setup();
    sdg.setForm({ datasetName: 'seen' });
    await sdg.generate();
    await sdg.openDataset('seen');
    const { viewer } = store.getState();
    expect(viewer.status).toBe('ready');
    expect(viewer.error).toBeNull();
    expect(viewer.dataset).toMatchObject({ name: 'seen', lines: 3, frames: 3, complete: true, formats: ['coco', 'basic'], resolution: [32, 24] });
    expect(viewer.dataset!.classCounts).toEqual([
      { label: 'ball', count: 3, id: 1 },
      { label: 'cube', count: 3, id: 2 },
    ]);

    const jsonl = new TextDecoder().decode(opfs.get('seen')!.files.get('frames.jsonl')!).trim().split('\n');
    await sdg.showFrame(1);
    const current = store.getState().viewer.current!;
    expect(current.position).toBe(1);
    expect(current.line).toEqual(parseFrameLine(jsonl[1]!, 1));
    const expected = frameOf(1, 32, 24);
    expect(current.line.objects.map((o) => o.bbox2d_tight)).toEqual(expected.objects.map((o) => o.bbox2d_tight));
    expect(current.imagePath).toBe('basic/rgb_0001.png');
    // The image is the frame's colour buffer (RGB8 PNG → RGBA8), the mask its instance buffer.
    expect(Array.from(current.image!.data)).toEqual(Array.from(expected.buffers.rgb));
    expect(Array.from(current.mask!.ids)).toEqual(Array.from(expected.buffers.instance));

    await sdg.showFrame(99);
    expect(store.getState().viewer.current!.position).toBe(2);
  });

  it('deletes a dataset from storage, closing it in the viewer', async () => {
    const { store, sdg, opfs } = setup();
    sdg.setForm({ datasetName: 'gone' });
    await sdg.generate();
    await sdg.openDataset('gone');
    await sdg.deleteDataset('gone');
    expect(opfs.has('gone')).toBe(false);
    expect(store.getState().viewer).toMatchObject({ datasets: [], selected: null, dataset: null, current: null, status: 'idle', error: null });
  });

  it('reads the mask from COCO when the dataset has no Basic images', async () => {
    const { store, sdg } = setup();
    sdg.setForm({ datasetName: 'coco-only', formats: ['coco'] });
    await sdg.generate();
    await sdg.openDataset('coco-only');
    const current = store.getState().viewer.current!;
    expect(current.imagePath).toBe('coco/images/rgb_000000.png');
    expect(current.mask!.source).toBe('coco/annotations.json');
    expect(Array.from(current.mask!.ids)).toEqual(Array.from(frameOf(0, 32, 24).buffers.instance));
  });

  it('says why a dataset cannot be opened', async () => {
    const { store, sdg, opfs } = setup();
    opfs.set('empty', new MemorySink());
    await sdg.openDataset('empty');
    expect(store.getState().viewer).toMatchObject({ status: 'failed', error: 'empty is not a Simloop dataset (it has no manifest.json)', dataset: null });

    let release: () => void = () => {};
    const cut = setup({ gate: (f) => (f === 0 ? Promise.resolve() : new Promise<void>((r) => (release = r))) });
    cut.sdg.setForm({ datasetName: 'half', workers: '1' });
    const running = cut.sdg.generate();
    await new Promise((r) => setTimeout(r, 20));
    cut.sdg.cancel();
    release();
    await running;
    await cut.sdg.openDataset('half');
    expect(cut.store.getState().viewer.error).toMatch(/^half has no frames\.jsonl yet: its generation did not finish/);
  });
});

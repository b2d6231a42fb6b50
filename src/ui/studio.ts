/**
 * The studio controller: what the toolbar, drag-and-drop and startup do — open a scene (bundled,
 * picked or dropped), play, pause, step, reset — as plain functions over the store and the sim
 * worker's API. Failures become messages; nothing here throws at the UI.
 */
import * as Comlink from 'comlink';
import type { Remote } from 'comlink';
import { describeError } from '../engine/errors.ts';
import { MJCF_EXTENSIONS, SCENE_FILE_EXTENSIONS, URDF_EXTENSIONS, USD_EXTENSIONS } from '../engine/load.ts';
import { xmlRootName } from '../engine/xmlRoot.ts';
import { MESH_ASSET_EXTENSIONS } from '../engine/meshAsset.ts';
import type { ComposeResult, LoadResult, PoseListener, SimWorkerApi } from '../protocol/simWorker.ts';
import type { VariantSelection } from '../engine/usd/compose.ts';
import type { SceneDocument } from '../engine/scene/schema.ts';
import { documentReloaded, frameReceived, loadFailed, loadStarted, loadSucceeded, sceneSource, withMessages } from './state/studioState.ts';
import type { StudioStore } from './state/studioState.ts';
import { type ExampleScene, fetchExampleScene } from './examples.ts';

export interface Studio {
  openBytes(bytes: ArrayBuffer, fileName: string): Promise<void>;
  openFile(file: File): Promise<void>;
  /**
   * Opens the scene file among several (a dropped folder, several picked files): a URDF with its
   * mesh files beside it, found by their relative paths.
   */
  openFiles(files: readonly PickedFile[]): Promise<void>;
  /** Opens a bundled example scene with the files that go with it (a robot folder's includes and meshes). */
  openExample(scene: ExampleScene): Promise<void>;
  /**
   * Puts an edited document (the scene designer's) in the simulation in place of the loaded one;
   * the scene stays open (camera, messages), physics starts over. Edits queue behind loads.
   */
  applyDocument(document: SceneDocument): Promise<void>;
  /**
   * The scene opened last composed again from its files with these variant choices (a USD scene's
   * variant picker); the result is a document to apply as an edit, or why it cannot be made.
   */
  composeVariants(variants: VariantSelection[]): Promise<ComposeResult>;
  play(): Promise<void>;
  pause(): Promise<void>;
  step(): Promise<void>;
  reset(): Promise<void>;
  /** Shows an error that happened outside the controller (worker crash, rendering failure). */
  reportError(text: string): void;
}

/** A file the user gave, with its path relative to what they picked or dropped ("robot/meshes/arm.dae"). */
export interface PickedFile {
  path: string;
  file: File;
}

const hasExtension = (name: string, extensions: readonly string[]) => extensions.some((e) => name.toLowerCase().endsWith(e));

const depth = (path: string) => path.split('/').length;
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The file names the asset paths of USDA layers name (`@./assets/robot.usda@` → robot.usda). */
export function namedFiles(layers: readonly string[]): Set<string> {
  const named = new Set<string>();
  for (const text of layers) {
    for (const m of text.matchAll(/@([^@\s]+)@/g)) named.add(baseName(m[1]!));
    // An MJCF model's <include file="…">.
    for (const m of text.matchAll(/<include\s[^>]*\bfile\s*=\s*["']([^"']+)["']/g)) named.add(baseName(m[1]!));
  }
  return named;
}

/** What the studio reads of several given files to choose the scene: the files other files name, and which XML files are MJCF models. */
export interface SceneFileHints {
  named: ReadonlySet<string>;
  /** Paths of the .xml/.mjcf files whose root element is <mujoco> (others, such as MJCF fragments, are not scenes). */
  mjcf?: ReadonlySet<string>;
}

/**
 * Which of several files is the scene, and which go with it; or why none can be. One file is
 * opened whatever its name (the importers go by the bytes). A URDF goes with its mesh files. USD
 * goes with every other file given (the layers it references, its textures): its root layer is
 * the one USD file no other given layer names (`named`: see namedFiles) nearest the top of what
 * was given (`scene.usda` over `assets/robot.usda`, as Simloop's own export lays a scene out).
 * MJCF goes with every other file given too (its includes and meshes): its model is the one
 * <mujoco> file no other includes, nearest the top. With a URDF and an MJCF of one robot given
 * together (a robot description folder), the URDF opens.
 */
export function chooseSceneFile(files: readonly PickedFile[], hints: SceneFileHints = { named: new Set() }): { scene: PickedFile; companions: PickedFile[] } | { error: string } {
  if (files.length === 1) return { scene: files[0]!, companions: [] };
  const { named } = hints;
  const isMjcf = (f: PickedFile) => hasExtension(f.path, MJCF_EXTENSIONS);
  const scenes = files.filter((f) => hasExtension(f.path, SCENE_FILE_EXTENSIONS) && (!isMjcf(f) || !hints.mjcf || hints.mjcf.has(f.path)));
  const urdfs = scenes.filter((f) => hasExtension(f.path, URDF_EXTENSIONS));
  const topmost = (list: PickedFile[]) => {
    const unnamed = list.filter((f) => !named.has(baseName(f.path)));
    return unnamed.filter((f) => depth(f.path) === Math.min(...unnamed.map((u) => depth(u.path))));
  };
  const usd = scenes.filter((f) => hasExtension(f.path, USD_EXTENSIONS));
  const top = usd.length === scenes.length && usd.length > 1 ? topmost(usd) : [];
  const mjcf = scenes.filter(isMjcf);
  const mjcfTop = urdfs.length === 0 && mjcf.length === scenes.length && mjcf.length > 1 ? topmost(mjcf) : [];
  const scene = scenes.length === 1 ? scenes[0]! : urdfs.length === 1 ? urdfs[0]! : top.length === 1 ? top[0]! : mjcfTop.length === 1 ? mjcfTop[0]! : null;
  if (!scene) {
    return scenes.length === 0
      ? { error: `none of the ${files.length} files given is a scene file (expected one of ${SCENE_FILE_EXTENSIONS.join(', ')})` }
      : {
          error: `${scenes.length} scene files were given (${scenes.map((f) => f.path).join(', ')}); open one at a time: a URDF with its mesh files, or a USD layer or an MJCF model with the files it names in folders below it`,
        };
  }
  if (hasExtension(scene.path, URDF_EXTENSIONS)) return { scene, companions: files.filter((f) => f !== scene && hasExtension(f.path, MESH_ASSET_EXTENSIONS)) };
  return { scene, companions: hasExtension(scene.path, [...USD_EXTENSIONS, ...MJCF_EXTENSIONS]) ? files.filter((f) => f !== scene) : [] };
}

/** The worker API as the studio calls it: the comlink remote of `SimWorkerApi`, or a fake in tests. */
export interface SimApi {
  subscribe(callback: PoseListener): Promise<void>;
  load(bytes: ArrayBuffer, fileName: string, companions?: Record<string, ArrayBuffer>): Promise<LoadResult>;
  compose(bytes: ArrayBuffer, fileName: string, companions: Record<string, ArrayBuffer> | undefined, variants: VariantSelection[]): Promise<ComposeResult>;
  play(): Promise<void>;
  pause(): Promise<void>;
  step(count?: number): Promise<void>;
  reset(): Promise<void>;
}

/** The comlink remote of the real worker; compiling this checks that it fits `SimApi`. */
export type SimWorkerRemote = FitsSimApi<Remote<SimWorkerApi>>;
type FitsSimApi<T extends SimApi> = T;

export function createStudio(store: StudioStore, sim: SimApi, now: () => number = () => performance.now()): Studio {
  const reportError = (text: string) => store.setState((s) => withMessages(s, 'error', [text]));

  void sim
    .subscribe(Comlink.proxy((frame) => store.setState((s) => frameReceived(s, frame, now()))))
    .catch((e: unknown) => reportError(`Simulation worker: ${describeError(e)}`));

  let loads = Promise.resolve();
  /** The files the scene opened last came from, kept to compose it again with other variants. */
  let files: { bytes: Uint8Array; fileName: string; companions: Record<string, Uint8Array> } | null = null;

  /**
   * Loads run one after another, so the last file opened is the one that stays. With companion
   * files (a URDF's meshes) the scene the rest of the studio works from (generation, the Robot tab)
   * is the document the import produced, meshes included, not the URDF alone.
   */
  function openBytes(bytes: ArrayBuffer, fileName: string, companions: Record<string, ArrayBuffer> = {}): Promise<void> {
    loads = loads.then(async () => {
      store.setState(loadStarted(fileName));
      const withFiles = Object.keys(companions).length > 0;
      const original = new Uint8Array(bytes.slice(0));
      const kept = Object.fromEntries(Object.entries(companions).map(([path, data]) => [path, new Uint8Array(data.slice(0))]));
      try {
        const result = await sim.load(Comlink.transfer(bytes, [bytes, ...Object.values(companions)]), fileName, withFiles ? companions : undefined);
        const source = result.ok ? sceneSource(original, withFiles, result.summary.document) : original;
        if (result.ok) files = result.summary.document.variantSets?.length ? { bytes: original, fileName, companions: kept } : null;
        store.setState((s) => (result.ok ? loadSucceeded(s, fileName, result, source) : loadFailed(s, result.error)));
      } catch (e) {
        store.setState((s) => loadFailed(s, `${fileName}: ${describeError(e)}`));
      }
    });
    return loads;
  }

  async function openFile(file: File): Promise<void> {
    await openFiles([{ path: file.name, file }]);
  }

  async function openFiles(files: readonly PickedFile[]): Promise<void> {
    // Which USD layer or MJCF model is the root: the one no other names.
    const layers = files.length > 1 ? files.filter((f) => hasExtension(f.path, ['.usda', '.usd', ...MJCF_EXTENSIONS])) : [];
    const texts = await Promise.all(layers.map((f) => f.file.text().catch(() => '')));
    const mjcf = new Set(layers.filter((f, i) => hasExtension(f.path, MJCF_EXTENSIONS) && xmlRootName(texts[i]!) === 'mujoco').map((f) => f.path));
    const choice = chooseSceneFile(files, { named: namedFiles(texts), mjcf });
    if ('error' in choice) {
      reportError(`Open: ${choice.error}`);
      return;
    }
    const read = async (picked: PickedFile): Promise<ArrayBuffer | null> => {
      try {
        return await picked.file.arrayBuffer();
      } catch (e) {
        reportError(`${picked.path}: could not be read (${describeError(e)})`);
        return null;
      }
    };
    const bytes = await read(choice.scene);
    if (!bytes) return;
    const companions: Record<string, ArrayBuffer> = {};
    for (const companion of choice.companions) {
      const data = await read(companion);
      if (data) companions[companion.path] = data;
    }
    await openBytes(bytes, choice.scene.path, companions);
  }

  async function openExample(scene: ExampleScene): Promise<void> {
    let fetched: Awaited<ReturnType<typeof fetchExampleScene>>;
    try {
      fetched = await fetchExampleScene(scene);
    } catch (e) {
      reportError(`${scene.fileName}: could not be fetched (${describeError(e)})`);
      return;
    }
    await openBytes(fetched.bytes, scene.fileName, fetched.companions);
  }

  /** The latest edit wins: an edit still queued when a newer one comes is skipped. */
  let latestEdit: SceneDocument | null = null;
  function applyDocument(document: SceneDocument): Promise<void> {
    latestEdit = document;
    loads = loads.then(async () => {
      const scene = store.getState().scene;
      if (latestEdit !== document || !scene) return;
      const source = new TextEncoder().encode(JSON.stringify(document));
      const bytes = source.slice().buffer;
      try {
        const result = await sim.load(Comlink.transfer(bytes, [bytes]), scene.fileName);
        if (!result.ok) {
          reportError(`Edit: the simulation could not load the edited scene (${result.error})`);
          return;
        }
        store.setState((s) => documentReloaded(s, document, result, source));
      } catch (e) {
        reportError(`Edit: ${describeError(e)}`);
      }
    });
    return loads;
  }

  async function composeVariants(variants: VariantSelection[]): Promise<ComposeResult> {
    if (!files) return { ok: false, error: 'the scene was not opened from USD files with variant sets' };
    const bytes = files.bytes.slice().buffer;
    const companions = Object.fromEntries(Object.entries(files.companions).map(([path, data]) => [path, data.slice().buffer]));
    try {
      return await sim.compose(Comlink.transfer(bytes, [bytes, ...Object.values(companions)]), files.fileName, Object.keys(companions).length ? companions : undefined, variants);
    } catch (e) {
      return { ok: false, error: describeError(e) };
    }
  }

  const control = (name: string, action: () => Promise<void>) => async () => {
    if (!store.getState().scene) return;
    try {
      await action();
    } catch (e) {
      reportError(`${name}: ${describeError(e)}`);
    }
  };

  return {
    openBytes,
    openFile,
    openFiles,
    openExample,
    applyDocument,
    composeVariants,
    play: control('Play', () => sim.play()),
    pause: control('Pause', () => sim.pause()),
    step: control('Step', () => sim.step(1)),
    reset: control('Reset', () => sim.reset()),
    reportError,
  };
}

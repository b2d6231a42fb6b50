/**
 * The scene designer's controller and store: the edited document with its undo history
 * (engine/scene/history.ts over the pure edits of engine/scene/edit.ts), the selection, the gizmo's
 * settings, field errors, the delete confirmation, autosave, and saving and exporting.
 *
 * The designer follows the studio: a scene opened there (a file, the bundled example, a restored
 * autosave) starts a new history; every accepted edit goes back to the studio (applyDocument),
 * which reloads it in the simulation so Play, generation and the Robot tab use the edited scene.
 * A refused edit changes nothing and its reason is kept by field, for the inspector to show.
 *
 * No React and no DOM beyond the `DesignerStorage` given (localStorage in the page); tests drive it
 * with fakes.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { describeError, InputError } from '../../engine/errors.ts';
import { loadAssetFile } from '../../engine/load.ts';
import { EditError, type JointPolicy, addPrim, insertScene, removePrim, renamePrim, reparentPrim, setVisibility } from '../../engine/scene/edit.ts';
import { extractSubtree } from '../../engine/scene/extract.ts';
import { parentPath, primName } from '../../engine/scene/hierarchy.ts';
import { History } from '../../engine/scene/history.ts';
import { makeProject, parseProject, PROJECT_FILE_EXTENSION, serializeProject } from '../../engine/project.ts';
import { sampleFrame } from '../../engine/randomize/sample.ts';
import { checkSpecAgainstScene, type RandomizationSpecInput, validateRandomizationSpec } from '../../engine/randomize/spec.ts';
import type { SceneDocument } from '../../engine/scene/schema.ts';
import type { VariantSelection } from '../../engine/usd/compose.ts';
import type { ComposeResult } from '../../protocol/simWorker.ts';
import { exportUsda, exportUsdLayers } from '../../engine/usd/export.ts';
import { insertReference } from '../../engine/usd/reference.ts';
import { packUsdz } from '../../engine/usd/usdz.ts';
import { usdIdentifier } from '../../engine/usd/typeNames.ts';
import type { StudioStore } from '../state/store.ts';
import { withMessages } from '../state/studioState.ts';
import { sceneStem } from '../sdg/generateForm.ts';
import { fieldErrorKey as fieldKey } from './inspectorModel.ts';
import { defaultParent, freeName, primitiveFields, primitiveStem, type PrimitiveKind, starterScene } from './primitives.ts';

export type GizmoMode = 'translate' | 'rotate' | 'scale';
export type GizmoSpace = 'world' | 'local';

export interface GizmoSettings {
  mode: GizmoMode;
  space: GizmoSpace;
  /** Snap to the grid (translate), to angle steps (rotate) and to scale steps while dragging. */
  snap: boolean;
  /** Grid step, metres. */
  grid: number;
  /** Angle step, degrees. */
  angle: number;
}

export interface DesignerState {
  /** The document being edited (the studio's scene, with the edits made here), or null. */
  document: SceneDocument | null;
  /** The scene's file name, as the studio opened it. */
  fileName: string;
  /** Selected prim paths, the last one the "active" prim the inspector shows. */
  selection: string[];
  canUndo: boolean;
  canRedo: boolean;
  /** What undo and redo would do ("Move Cube"), for tooltips. */
  undoLabel: string | null;
  redoLabel: string | null;
  gizmo: GizmoSettings;
  /** The last refusal per field ("/World/Box|mass.mass" → reason), cleared by the next accepted edit of that field. */
  fieldErrors: Record<string, string>;
  /** A delete waiting for the person to choose what happens to the joints it would break. */
  confirmDelete: { paths: string[]; joints: string[] } | null;
  /** The outliner's filter. */
  search: string;
  /** The keyboard shortcut overlay. */
  help: boolean;
  /** The scene camera the viewport looks through, or null for the free camera. */
  lookThrough: string | null;
  /** When the document was last written to browser storage (ms since the epoch), or null. */
  autosavedAt: number | null;
  /** Counts requests to frame the selection in the viewport (it answers each new value). */
  frameRequest: number;
  /** Frame i's draw of the randomization, shown in the viewport instead of the scene, or null. */
  preview: { frame: number; seed: number; document: SceneDocument; warnings: string[] } | null;
  /** A preview being drawn. */
  previewing: boolean;
}

export type DesignerStore = StoreApi<DesignerState>;

export const createDesignerStore = (): DesignerStore =>
  createStore<DesignerState>()(() => ({
    document: null,
    fileName: '',
    selection: [],
    canUndo: false,
    canRedo: false,
    undoLabel: null,
    redoLabel: null,
    gizmo: { mode: 'translate', space: 'world', snap: false, grid: 0.05, angle: 15 },
    fieldErrors: {},
    confirmDelete: null,
    search: '',
    help: false,
    lookThrough: null,
    autosavedAt: null,
    frameRequest: 0,
    preview: null,
    previewing: false,
  }));

/** Where autosaves go: localStorage in the page, a map in tests. */
export interface DesignerStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What the studio does for the designer (studio.ts's Studio has the first two). */
export interface DesignerHost {
  applyDocument(document: SceneDocument): Promise<void>;
  openBytes(bytes: ArrayBuffer, fileName: string): Promise<void>;
  /**
   * The randomization spec that goes with the scene (the Randomize tab's), or null for none;
   * throws with the reason when it is not a usable spec.
   */
  randomization?(): RandomizationSpecInput | null;
  /** The seed previews are drawn with (the Generate form's). */
  sampleSeed?(): number;
  /** A prim was renamed or moved (or that was undone): the randomization spec names it anew. */
  primMoved?(from: string, to: string): void;
  /** The opened USD scene composed again with these variant choices (studio.composeVariants). */
  composeVariants?(variants: VariantSelection[]): Promise<ComposeResult>;
}

export const AUTOSAVE_KEY = 'simloop.designer.autosave';
const AUTOSAVE_DELAY_MS = 400;

/** What an autosave holds. */
interface Autosave {
  fileName: string;
  savedAt: number;
  /** A Simloop project file's text. */
  project: string;
}

export interface EditOptions {
  /** Consecutive edits with the same key undo as one (a gizmo drag, typing in a field). */
  coalesce?: string;
  /** The inspector field the edit comes from: a refusal is kept for it ("/World/Box", "mass.mass"). */
  field?: { path: string; field: string };
  /** The selection after the edit, from the one before (prims renamed or moved keep being selected). */
  reselect?: (selection: string[]) => string[];
}

export interface Designer {
  /** Follows the studio's scene; returns the unsubscribe. */
  attach(): () => void;
  /** Selects `path` (null: nothing); 'toggle' and 'add' extend the selection (ctrl/shift-click). */
  select(path: string | null, how?: 'replace' | 'toggle' | 'add'): void;
  /** Applies an edit as one undo step; returns null, or the reason it was refused. */
  edit(label: string, change: (doc: SceneDocument) => SceneDocument, options?: EditOptions): string | null;
  /** Forgets the refusal kept for a field (the person reverted it). */
  clearFieldError(path: string, field: string): void;
  /** Ends a run of coalesced edits (pointer up after a drag). */
  endCoalescing(): void;
  undo(): void;
  redo(): void;
  /** Adds a primitive under the scene's root prim and selects it. */
  add(kind: PrimitiveKind, at?: [number, number, number]): void;
  /**
   * Adds the scene in `bytes` (a USD file, a URDF, a scene document or project, or a model file:
   * glTF/GLB, STL, OBJ or COLLADA, as one dynamic body) under the scene's
   * root prim as an asset that keeps its own paths; a file that does not load changes nothing and
   * says why. With `subtree`, only that prim's subtree (with what it needs: scene/extract.ts) is
   * added, named after the prim. Returns whether it was added.
   */
  importAsset(bytes: Uint8Array, fileName: string, subtree?: string | null): Promise<boolean>;
  /** Deletes the selection, or asks first (confirmDelete) when joints use it. */
  deleteSelection(): void;
  /** Answers the delete question: remove or detach the joints, or keep everything. */
  resolveDelete(choice: JointPolicy | 'cancel'): void;
  rename(path: string, name: string): string | null;
  /** Moves `path` under `parent` (null: the root), keeping where it is in the world. */
  reparent(path: string, parent: string | null): string | null;
  toggleVisible(path: string): void;
  setGizmo(settings: Partial<GizmoSettings>): void;
  setSearch(text: string): void;
  setHelp(open: boolean): void;
  lookThrough(camera: string | null): void;
  /**
   * Shows frame `frame`'s draw of the randomization spec in the viewport (objects placed and
   * settled, colours, lights, cameras as drawn) until the next edit or endPreview().
   */
  previewSample(frame: number): Promise<void>;
  endPreview(): void;
  /** Asks the viewport to frame the selection (the whole scene when nothing is selected). */
  frameSelection(): void;
  /** The project file (the document and the randomization spec), as text, with a file name. */
  projectFile(): { name: string; text: string };
  /** The randomization spec changed (it is part of what autosave keeps). */
  specChanged(): void;
  /** The document as USDA, with a file name. */
  /** The scene as one USDA layer, referenced assets copied in. */
  usdaFile(): { name: string; text: string };
  /** The scene as a USDZ package: the root layer keeping its references, and the asset layers. */
  usdzFile(): { name: string; bytes: Uint8Array };
  /** Starts a new scene from scratch: /World with a ground plane, a light and a camera. */
  newScene(): Promise<void>;
  /** Opens the autosaved scene, if there is one; says whether there was. */
  restoreAutosave(): Promise<boolean>;
  /** Forgets the autosave (the person started over). */
  discardAutosave(): void;
  /**
   * Shows variant `selection` of `prim`'s variant set `set`: the scene's files composed again with
   * the scene's current choices and this one, applied as one undoable edit (it replaces edits made
   * since the scene was opened; undo brings them back). Returns null, or why it could not.
   */
  chooseVariant(prim: string, set: string, selection: string): Promise<string | null>;
}

/** A selection with `from` (and what is under it) renamed to `to`. */
const movedTo = (from: string, to: string) => (selection: string[]) =>
  selection.map((p) => (p === from ? to : p.startsWith(`${from}/`) ? to + p.slice(from.length) : p));

export function createDesigner(store: DesignerStore, studioStore: StudioStore, host: DesignerHost, storage: DesignerStorage | null, now: () => number = () => Date.now()): Designer {
  let history: History | null = null;
  let autosaveTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Renames and moves by the document they produced, so that undoing or redoing one renames the
   * prim in the randomization spec too (the spec lives outside the history).
   */
  const moves = new WeakMap<SceneDocument, { from: string; to: string }>();
  function moved(from: string, to: string): void {
    if (from === to || !history) return;
    moves.set(history.document, { from, to });
    host.primMoved?.(from, to);
  }

  /** Set while the autosave is being opened, so opening it does not forget it. */
  let restoring = false;

  function forgetAutosave(): void {
    if (autosaveTimer) clearTimeout(autosaveTimer);
    autosaveTimer = null;
    storage?.removeItem(AUTOSAVE_KEY);
    store.setState({ autosavedAt: null });
  }

  const reportError = (text: string) => studioStore.setState((s) => withMessages(s, 'error', [text]));

  function publish(extra: Partial<DesignerState> = {}): void {
    const h = history;
    store.setState({
      document: h?.document ?? null,
      canUndo: h?.canUndo ?? false,
      canRedo: h?.canRedo ?? false,
      undoLabel: h && h.labels.length ? h.labels[h.labels.length - 1]! : null,
      redoLabel: h && h.redoLabels.length ? h.redoLabels[h.redoLabels.length - 1]! : null,
      ...extra,
    });
  }

  function writeAutosave(): void {
    autosaveTimer = null;
    const { document, fileName } = store.getState();
    if (!storage || !document) return;
    const savedAt = now();
    // A spec that does not check out is left out rather than blocking the scene's autosave.
    let randomize: RandomizationSpecInput | null = null;
    try {
      randomize = host.randomization?.() ?? null;
    } catch {
      randomize = null;
    }
    const value: Autosave = { fileName, savedAt, project: serializeProject(makeProject(document, randomize)) };
    try {
      storage.setItem(AUTOSAVE_KEY, JSON.stringify(value));
      store.setState({ autosavedAt: savedAt });
    } catch (e) {
      reportError(`Autosave: the scene could not be kept in browser storage (${describeError(e)})`);
    }
  }

  function scheduleAutosave(): void {
    if (!storage) return;
    if (autosaveTimer) clearTimeout(autosaveTimer);
    autosaveTimer = setTimeout(writeAutosave, AUTOSAVE_DELAY_MS);
  }

  /** A new document from the history: to the store, the simulation and (soon) browser storage. */
  function changed(extra: Partial<DesignerState> = {}): void {
    const h = history!;
    const paths = new Set([...h.document.prims, ...h.document.joints].map((p) => p.path));
    const selection = (extra.selection ?? store.getState().selection).filter((p) => paths.has(p));
    publish({ ...extra, selection, preview: null });
    void host.applyDocument(h.document);
    scheduleAutosave();
  }

  function edit(label: string, change: (doc: SceneDocument) => SceneDocument, options: EditOptions = {}): string | null {
    if (!history) return 'no scene is open';
    const before = history.document;
    try {
      history.apply(label, change, options.coalesce ? { coalesce: options.coalesce } : {});
    } catch (e) {
      const reason = e instanceof EditError ? e.message : describeError(e);
      if (options.field) store.setState((s) => ({ fieldErrors: { ...s.fieldErrors, [fieldKey(options.field!.path, options.field!.field)]: reason } }));
      else reportError(`${label}: ${reason}`);
      return reason;
    }
    const fieldErrors = { ...store.getState().fieldErrors };
    if (options.field) delete fieldErrors[fieldKey(options.field.path, options.field.field)];
    if (history.document !== before) changed({ fieldErrors, ...(options.reselect ? { selection: options.reselect(store.getState().selection) } : {}) });
    else store.setState({ fieldErrors });
    return null;
  }

  function remove(paths: readonly string[], policy?: JointPolicy): void {
    // Descendants go with their ancestors: remove only the top-most selected prims.
    const tops = paths.filter((p) => !paths.some((q) => q !== p && p.startsWith(`${q}/`)));
    edit(tops.length === 1 ? `Delete ${tops[0]!.slice(tops[0]!.lastIndexOf('/') + 1)}` : `Delete ${tops.length} prims`, (doc) =>
      tops.reduce((d, path) => removePrim(d, path, policy ? { joints: policy } : {}), doc),
    );
  }

  const designer: Designer = {
    attach() {
      let opened = -1;
      const follow = () => {
        const scene = studioStore.getState().scene;
        if (!scene || scene.opened === opened) return;
        opened = scene.opened;
        history = new History(scene.document);
        publish({ fileName: scene.fileName, selection: [], fieldErrors: {}, confirmDelete: null, lookThrough: null, preview: null });
        // The autosave holds a scene with edits not saved elsewhere: a scene just opened has none
        // (a restored autosave keeps its copy until the next edit replaces it).
        if (restoring) restoring = false;
        else forgetAutosave();
      };
      follow();
      return studioStore.subscribe(follow);
    },

    select(path, how = 'replace') {
      if (path === null) {
        store.setState({ selection: [] });
        return;
      }
      const current = store.getState().selection;
      if (how === 'replace') store.setState({ selection: [path] });
      else if (how === 'toggle') store.setState({ selection: current.includes(path) ? current.filter((p) => p !== path) : [...current, path] });
      else store.setState({ selection: current.includes(path) ? [...current.filter((p) => p !== path), path] : [...current, path] });
    },

    edit,

    async chooseVariant(prim, set, selection) {
      const doc = history?.document;
      const field = { path: prim, field: `variant.${set}` };
      if (!doc || !host.composeVariants) return 'no USD scene with variant sets is open';
      const current = doc.variantSets?.find((v) => v.prim === prim && v.set === set);
      if (!current) return `${prim} has no variant set "${set}"`;
      if (current.selection === selection) return null;
      // The scene's current choices, this one replaced: what a session layer would hold.
      const variants = (doc.variantSets ?? []).filter((v) => v.selection && !(v.prim === prim && v.set === set)).map((v) => ({ prim: v.prim, set: v.set, selection: v.selection }));
      variants.push({ prim, set, selection });
      const result = await host.composeVariants(variants);
      if (history?.document !== doc) return 'the scene changed while its variant was being composed; choose again';
      if (!result.ok) {
        store.setState((s) => ({ fieldErrors: { ...s.fieldErrors, [fieldKey(field.path, field.field)]: result.error } }));
        return result.error;
      }
      return edit(`Show ${set} ${selection} on ${primName(prim)}`, () => result.document, { field });
    },

    clearFieldError(path, field) {
      const key = fieldKey(path, field);
      if (!(key in store.getState().fieldErrors)) return;
      const fieldErrors = { ...store.getState().fieldErrors };
      delete fieldErrors[key];
      store.setState({ fieldErrors });
    },

    endCoalescing() {
      history?.endCoalescing();
    },

    undo() {
      if (!history?.canUndo) return;
      const leaving = history.document;
      history.undo();
      const move = moves.get(leaving);
      if (move) host.primMoved?.(move.to, move.from);
      changed();
    },

    redo() {
      if (!history?.canRedo) return;
      history.redo();
      const move = moves.get(history.document);
      if (move) host.primMoved?.(move.from, move.to);
      changed();
    },

    add(kind, at = [0, 0, 0]) {
      const doc = history?.document;
      if (!doc) return;
      const parent = defaultParent(doc);
      const name = freeName(doc, parent, primitiveStem(kind));
      const path = parent ? `${parent}/${name}` : `/${name}`;
      edit(`Add ${name}`, (d) => addPrim(d, parent, name, primitiveFields(kind, at)), { reselect: () => [path] });
    },

    async importAsset(bytes, fileName, subtree = null) {
      if (!history?.document) return false;
      let asset: SceneDocument;
      let warnings: string[];
      try {
        ({ document: asset, warnings } = await loadAssetFile(bytes, fileName));
        if (subtree) {
          try {
            asset = extractSubtree(asset, subtree);
          } catch (e) {
            throw e instanceof EditError ? new InputError(fileName, e.message) : e;
          }
        }
      } catch (e) {
        reportError(`Import: ${describeError(e)}; the scene is unchanged`);
        return false;
      }
      // The scene as it is now (a glTF file is read asynchronously).
      const doc = history?.document;
      if (!doc) return false;
      const parent = defaultParent(doc);
      const stem = usdIdentifier(subtree ? primName(subtree) : sceneStem(fileName));
      const name = freeName(doc, parent, stem);
      const path = parent ? `${parent}/${name}` : `/${name}`;
      // As a USD reference to the asset's own layer; an asset USD cannot hold is copied in instead.
      const added =
        edit(
          `Import ${fileName}`,
          (d) => {
            try {
              return insertReference(d, parent, name, asset, undefined, stem);
            } catch (e) {
              if (!(e instanceof InputError)) throw e;
              warnings = [...warnings, `copied into the scene instead of referenced: ${e.detail}`];
              return insertScene(d, parent, name, asset);
            }
          },
          { reselect: () => [path] },
        ) === null;
      if (added && warnings.length) studioStore.setState((s) => withMessages(s, 'warning', warnings.map((w) => `Import ${fileName}: ${w}`)));
      return added;
    },

    deleteSelection() {
      const { selection } = store.getState();
      const doc = history?.document;
      if (!doc || selection.length === 0) return;
      // Ask first when joints outside the deleted prims use them.
      const gone = (p: string | null) => p !== null && selection.some((s) => p === s || p.startsWith(`${s}/`));
      const joints = doc.joints.filter((j) => !gone(j.path) && (gone(j.body0) || gone(j.body1))).map((j) => j.path);
      if (joints.length) {
        store.setState({ confirmDelete: { paths: [...selection], joints } });
        return;
      }
      remove(selection);
    },

    resolveDelete(choice) {
      const pending = store.getState().confirmDelete;
      store.setState({ confirmDelete: null });
      if (!pending || choice === 'cancel') return;
      remove(pending.paths, choice);
    },

    rename(path, name) {
      const to = `${parentPath(path) ?? ''}/${name}`;
      const reason = edit(`Rename ${path.slice(path.lastIndexOf('/') + 1)} to ${name}`, (doc) => renamePrim(doc, path, name), { field: { path, field: 'name' }, reselect: movedTo(path, to) });
      if (reason === null) moved(path, to);
      return reason;
    },

    reparent(path, parent) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      const to = `${parent ?? ''}/${name}`;
      const reason = edit(`Move ${name} under ${parent ?? 'the root'}`, (doc) => reparentPrim(doc, path, parent, { keepWorldTransform: true }), { reselect: movedTo(path, to) });
      if (reason === null) moved(path, to);
      return reason;
    },

    toggleVisible(path) {
      const prim = history?.document.prims.find((p) => p.path === path);
      if (!prim) return;
      edit(`${prim.visible ? 'Hide' : 'Show'} ${path.slice(path.lastIndexOf('/') + 1)}`, (doc) => setVisibility(doc, path, !prim.visible));
    },

    setGizmo(settings) {
      store.setState((s) => ({ gizmo: { ...s.gizmo, ...settings } }));
    },

    setSearch(text) {
      store.setState({ search: text });
    },

    setHelp(open) {
      store.setState({ help: open });
    },

    lookThrough(camera) {
      store.setState({ lookThrough: camera });
    },

    async previewSample(frame) {
      const document = history?.document;
      if (!document) return;
      store.setState({ previewing: true });
      try {
        const input = host.randomization?.() ?? null;
        const file = `${sceneStem(store.getState().fileName)}.randomize.yaml`;
        const spec = input === null ? null : validateRandomizationSpec(input, file);
        if (spec) checkSpecAgainstScene(spec, document, file);
        const seed = host.sampleSeed?.() ?? 0;
        const sample = await sampleFrame(document, spec, { seed, frame });
        // An edit made while drawing wins: the preview would show the scene before it.
        if (history?.document !== document) return;
        store.setState({ preview: { frame, seed, document: sample.scene, warnings: sample.warnings } });
      } catch (e) {
        reportError(`Preview sample: ${describeError(e)}`);
      } finally {
        store.setState({ previewing: false });
      }
    },

    endPreview() {
      store.setState({ preview: null });
    },

    frameSelection() {
      store.setState((s) => ({ frameRequest: s.frameRequest + 1 }));
    },

    projectFile() {
      const { document, fileName } = store.getState();
      if (!document) throw new Error('no scene is open');
      const project = makeProject(document, host.randomization?.() ?? null);
      // What is saved must open again: the spec is checked against the scene here.
      const text = serializeProject(project);
      parseProject(text, `${sceneStem(fileName)}${PROJECT_FILE_EXTENSION}`);
      return { name: `${sceneStem(fileName)}${PROJECT_FILE_EXTENSION}`, text };
    },

    specChanged() {
      if (history) scheduleAutosave();
    },

    usdaFile() {
      const { document, fileName } = store.getState();
      if (!document) throw new Error('no scene is open');
      // One layer cannot carry image files; the package can.
      const images = [...new Set(document.prims.flatMap((p) => (p.material?.image ? [p.material.image] : [])))];
      if (images.length) throw new InputError(fileName, `the scene's looks show image files (${images.join(', ')}), which one .usda cannot hold; Export USDZ packs them with the scene`);
      return { name: `${sceneStem(fileName)}.usda`, text: exportUsda(document) };
    },

    usdzFile() {
      const { document, fileName } = store.getState();
      if (!document) throw new Error('no scene is open');
      const stem = sceneStem(fileName);
      const layers = exportUsdLayers(document);
      return { name: `${stem}.usdz`, bytes: packUsdz([{ name: `${stem}.usda`, bytes: new TextEncoder().encode(layers.root) }, ...layers.assets]) };
    },

    async newScene() {
      const bytes = new TextEncoder().encode(JSON.stringify(starterScene()));
      await host.openBytes(bytes.buffer, 'untitled.json');
    },

    async restoreAutosave() {
      const text = storage?.getItem(AUTOSAVE_KEY);
      if (!text) return false;
      let saved: Autosave;
      let note: string | null = null;
      try {
        saved = JSON.parse(text) as Autosave;
        let projectText = saved.project;
        try {
          parseProject(projectText, 'autosave');
        } catch (e) {
          // The scene is what matters: a spec that no longer fits it is dropped, and said so.
          const raw = JSON.parse(projectText) as Record<string, unknown>;
          if (raw['randomize'] === null || raw['randomize'] === undefined) throw e;
          projectText = JSON.stringify({ ...raw, randomize: null });
          parseProject(projectText, 'autosave');
          note = `its randomization spec did not fit the scene and was left out (${describeError(e)})`;
        }
        // The project itself is opened: the scene, and its spec for the Randomize tab.
        const bytes = new TextEncoder().encode(projectText);
        restoring = true;
        await host.openBytes(bytes.buffer, saved.fileName);
        // Opening it clears the flag (attach's follow); still set, the load failed (and said why).
        if (restoring) throw new Error('the simulation could not load it');
      } catch (e) {
        restoring = false;
        reportError(`Autosave: the scene kept in browser storage could not be restored (${describeError(e)}); it was discarded`);
        storage?.removeItem(AUTOSAVE_KEY);
        return false;
      }
      const when = new Date(saved.savedAt);
      studioStore.setState((s) => withMessages(s, 'info', [`Restored the scene you were editing (${saved.fileName}, autosaved ${when.toLocaleString()})`]));
      if (note) studioStore.setState((s) => withMessages(s, 'warning', [`Autosave: ${note}`]));
      return true;
    },

    discardAutosave: forgetAutosave,
  };
  return designer;
}


import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { differences } from '../../engine/testing/roundTrip.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSceneFile } from '../../engine/load.ts';
import { parseProject } from '../../engine/project.ts';
import { validateSceneDocument } from '../../engine/scene/document.ts';
import { setMassProperties, setVisualMaterial } from '../../engine/scene/edit.ts';
import { encode as encodePng } from 'fast-png';
import { imageLookEdit, withTexture } from './inspectorModel.ts';
import type { SceneDocument } from '../../engine/scene/schema.ts';
import { importUsd } from '../../engine/usd/import.ts';
import { createStudioStore } from '../state/store.ts';
import { sceneStem } from '../sdg/generateForm.ts';
import { AUTOSAVE_KEY, createDesigner, createDesignerStore, type DesignerStorage } from './designer.ts';
import { freeName, primitiveFields } from './primitives.ts';
import { SHORTCUTS, shortcutFor } from './shortcuts.ts';
import { glbBytes } from '../../engine/testing/gltf.ts';

const tabletop = (await loadSceneFile(readFileSync('scenes/tabletop.usda'), 'tabletop.usda')).document;
const panda = (await loadSceneFile(readFileSync('scenes/panda_tabletop.usda'), 'panda_tabletop.usda')).document;

function memoryStorage(): DesignerStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
}

/** A studio with `doc` open, a designer on it, and what the designer sent the simulation. */
function setup(doc: SceneDocument = tabletop, storage: DesignerStorage | null = memoryStorage()) {
  const studioStore = createStudioStore();
  const applied: SceneDocument[] = [];
  let opened = 0;
  const open = (document: SceneDocument, fileName: string) =>
    studioStore.setState({
      scene: { generation: opened + 1, opened: ++opened, fileName, source: new Uint8Array(), document, movingBodies: [], bodyCount: 0, dt: 1 / 240 },
    });
  const host = {
    applyDocument: async (d: SceneDocument) => void applied.push(d),
    openBytes: async (bytes: ArrayBuffer, fileName: string) => open((await loadSceneFile(new Uint8Array(bytes), fileName)).document, fileName),
  };
  const store = createDesignerStore();
  const designer = createDesigner(store, studioStore, host, storage, () => 1_700_000_000_000);
  open(doc, 'tabletop.usda');
  designer.attach();
  return { store, designer, studioStore, applied, open };
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('the designer', () => {
  it('follows the opened scene, applies edits to the simulation, and undoes and redoes them', () => {
    const { store, designer, applied } = setup();
    expect(store.getState().document).toBe(tabletop);
    expect(store.getState().canUndo).toBe(false);
    designer.add('box');
    const added = store.getState().document!;
    expect(added.prims.find((p) => p.path === '/World/Cube')).toMatchObject({ type: 'Cube', geometry: { kind: 'box', size: [0.1, 0.1, 0.1] }, body: { type: 'dynamic' } });
    expect(store.getState().selection).toEqual(['/World/Cube']);
    expect(store.getState().undoLabel).toBe('Add Cube');
    expect(applied.at(-1)).toBe(added);
    designer.undo();
    expect(store.getState().document).toBe(tabletop);
    expect(store.getState().selection).toEqual([]); // the prim is gone, so is its selection
    expect(applied.at(-1)).toBe(tabletop);
    designer.redo();
    expect(store.getState().document).toBe(added);
    expect(store.getState().canRedo).toBe(false);
  });

  it('keeps a refused field edit`s reason by field, changes nothing, and clears it when the field is accepted', () => {
    const { store, designer, applied } = setup();
    const path = '/World/Objects/RedCube';
    const field = { path, field: 'mass.mass' };
    const reason = designer.edit('Set mass', (d) => setMassProperties(d, path, { mass: -1 }), { field });
    expect(reason).toBe('/World/Objects/RedCube: mass.mass must be a positive number of kilograms, got -1');
    expect(store.getState().fieldErrors[`${path}|mass.mass`]).toBe(reason);
    expect(store.getState().document).toBe(tabletop);
    expect(store.getState().canUndo).toBe(false);
    expect(applied).toHaveLength(0);
    designer.clearFieldError(path, 'mass.mass'); // the person reverted the field
    expect(store.getState().fieldErrors[`${path}|mass.mass`]).toBeUndefined();
    designer.edit('Set mass', (d) => setMassProperties(d, path, { mass: -1 }), { field });
    expect(designer.edit('Set mass', (d) => setMassProperties(d, path, { mass: 2 }), { field })).toBeNull();
    expect(store.getState().fieldErrors[`${path}|mass.mass`]).toBeUndefined();
    expect(store.getState().document!.prims.find((p) => p.path === path)!.mass).toEqual({ mass: 2 });
    expect(applied).toHaveLength(1);
  });

  it('undoes typing in one field as one step (coalesced edits)', () => {
    const { store, designer } = setup();
    const path = '/World/Objects/RedCube';
    for (const mass of [1, 1.5, 2]) designer.edit('Set mass', (d) => setMassProperties(d, path, { mass }), { coalesce: `${path}|mass.mass` });
    expect(store.getState().document!.prims.find((p) => p.path === path)!.mass).toEqual({ mass: 2 });
    designer.undo();
    expect(store.getState().document).toBe(tabletop);
  });

  it('asks before deleting a body a joint uses, then removes or detaches the joint as chosen', () => {
    const { store, designer } = setup(panda);
    const joint = panda.joints.find((j) => j.body0 && j.body1)!;
    const body = joint.body1!;
    designer.select(body);
    designer.deleteSelection();
    const pending = store.getState().confirmDelete!;
    expect(pending.paths).toEqual([body]);
    expect(pending.joints).toContain(joint.path);
    expect(store.getState().document).toBe(panda); // nothing yet
    designer.resolveDelete('cancel');
    expect(store.getState().confirmDelete).toBeNull();
    expect(store.getState().document).toBe(panda);

    designer.deleteSelection();
    designer.resolveDelete('detach-joints');
    const detached = store.getState().document!;
    expect(detached.prims.some((p) => p.path === body)).toBe(false);
    expect(detached.joints.find((j) => j.path === joint.path)?.body1).toBeNull();
    designer.undo();
    designer.select(body);
    designer.deleteSelection();
    designer.resolveDelete('remove-joints');
    expect(store.getState().document!.joints.some((j) => j.path === joint.path)).toBe(false);
  });

  it('renames and moves prims, keeping them selected under their new paths', () => {
    const { store, designer } = setup();
    designer.select('/World/Objects/RedCube');
    expect(designer.rename('/World/Objects/RedCube', 'Crate')).toBeNull();
    expect(store.getState().selection).toEqual(['/World/Objects/Crate']);
    expect(designer.rename('/World/Objects/Crate', 'bad name')).toMatch(/\/World\/Objects\/Crate/);
    expect(store.getState().fieldErrors['/World/Objects/Crate|name']).toBeDefined();
    expect(designer.reparent('/World/Objects/Crate', '/World/Table')).toBeNull();
    expect(store.getState().selection).toEqual(['/World/Table/Crate']);
    expect(store.getState().document!.prims.some((p) => p.path === '/World/Table/Crate')).toBe(true);
    expect(store.getState().undoLabel).toBe('Move Crate under /World/Table');
  });

  it('imports an asset file under a prim of its own, and refuses a broken one leaving the scene unchanged', async () => {
    const { store, designer, studioStore } = setup();
    expect(await designer.importAsset(new Uint8Array(readFileSync('scenes/pendulum.usda')), 'pendulum.usda')).toBe(true);
    const doc = store.getState().document!;
    expect(store.getState().selection).toEqual(['/World/pendulum']);
    expect(doc.prims.filter((p) => p.path.startsWith('/World/pendulum/')).length).toBeGreaterThan(2);
    expect(doc.joints.some((j) => j.path.startsWith('/World/pendulum/'))).toBe(true);
    expect(store.getState().undoLabel).toBe('Import pendulum.usda');
    // Again: a free name.
    await designer.importAsset(new Uint8Array(readFileSync('scenes/pendulum.usda')), 'pendulum.usda');
    expect(store.getState().selection).toEqual(['/World/pendulum_1']);
    // A mesh file: one dynamic body with the mesh as its look and its convex hull as its collider.
    expect(await designer.importAsset(new Uint8Array(readFileSync('scenes/fixtures/urdf/meshes/forearm.obj')), 'forearm.obj')).toBe(true);
    const meshDoc = store.getState().document!;
    expect(meshDoc.prims.find((p) => p.path === '/World/forearm/forearm/forearm')).toMatchObject({ body: { type: 'dynamic' }, mass: { density: 600 } });
    expect(meshDoc.prims.find((p) => p.path === '/World/forearm/forearm/forearm/collision_0')).toMatchObject({ geometry: { kind: 'mesh' }, collider: { approximation: 'convexHull' } });
    // A glTF model: one dynamic body, a Mesh prim per primitive.
    expect(await designer.importAsset(glbBytes([{ name: 'Shell', size: [0.1, 0.1, 0.1], color: [0.2, 0.6, 0.2, 1] }]), 'mug.glb')).toBe(true);
    expect(store.getState().selection).toEqual(['/World/mug']);
    expect(store.getState().document!.prims.find((p) => p.path === '/World/mug/mug/Shell')).toMatchObject({ type: 'Mesh', collider: { approximation: 'convexHull' }, material: { color: [0.2, 0.6, 0.2] } });
    expect(await designer.importAsset(new TextEncoder().encode('not an stl'), 'broken.stl')).toBe(false);
    expect(studioStore.getState().messages.at(-1)!.text).toMatch(/^Import: broken\.stl: could not be read as a mesh/);
    const before = store.getState().document;
    expect(await designer.importAsset(new TextEncoder().encode('#usda 1.0\ndef Xform "A" {\n  double3 xformOp:translate = (1, 2\n}\n'), 'broken.usda')).toBe(false);
    expect(store.getState().document).toBe(before);
    expect(studioStore.getState().messages.at(-1)!.text).toMatch(/^Import: broken\.usda: .*; the scene is unchanged$/);
  });

  it('imports part of a bundled scene: the robot off its table, named after its prim', async () => {
    const { store, designer, studioStore } = setup();
    const bytes = new Uint8Array(readFileSync('scenes/panda_tabletop.usda'));
    expect(await designer.importAsset(bytes, 'panda_tabletop.usda', '/World/Panda')).toBe(true);
    const doc = store.getState().document!;
    expect(store.getState().selection).toEqual(['/World/Panda']);
    expect(store.getState().undoLabel).toBe('Import panda_tabletop.usda');
    expect(doc.prims.some((p) => p.path === '/World/Panda/Panda/hand')).toBe(true);
    expect(doc.prims.some((p) => p.path.includes('/Table'))).toBe(tabletop.prims.some((p) => p.path.includes('/Table')));
    expect(doc.joints.filter((j) => j.path.startsWith('/World/Panda/Panda/')).length).toBe(10);
    // A part that is not there changes nothing and says so.
    const before = store.getState().document;
    expect(await designer.importAsset(bytes, 'panda_tabletop.usda', '/World/Nope')).toBe(false);
    expect(store.getState().document).toBe(before);
    expect(studioStore.getState().messages.at(-1)!.text).toBe('Import: panda_tabletop.usda: /World/Nope: no prim has this path; the scene is unchanged');
  });

  it('tells the spec about renames and moves, and about undoing and redoing them', () => {
    const studioStore = createStudioStore();
    const calls: string[] = [];
    const host = { applyDocument: async () => undefined, openBytes: async () => undefined, primMoved: (from: string, to: string) => void calls.push(`${from} -> ${to}`) };
    const store = createDesignerStore();
    const designer = createDesigner(store, studioStore, host, null);
    studioStore.setState({ scene: { generation: 1, opened: 1, fileName: 'tabletop.usda', source: new Uint8Array(), document: tabletop, movingBodies: [], bodyCount: 0, dt: 1 / 240 } });
    designer.attach();
    designer.rename('/World/Objects/RedCube', 'Crate');
    designer.reparent('/World/Objects/Crate', '/World/Table');
    designer.add('box');
    designer.undo(); // the box: no rename
    designer.undo(); // the move
    designer.undo(); // the rename
    designer.redo();
    expect(calls).toEqual([
      '/World/Objects/RedCube -> /World/Objects/Crate',
      '/World/Objects/Crate -> /World/Table/Crate',
      '/World/Table/Crate -> /World/Objects/Crate',
      '/World/Objects/Crate -> /World/Objects/RedCube',
      '/World/Objects/RedCube -> /World/Objects/Crate',
    ]);
    expect(designer.rename('/World/Objects/Crate', 'bad name')).not.toBeNull();
    expect(calls).toHaveLength(5);
  });

  it('selects with replace, toggle (ctrl) and add (shift); the last is the active one', () => {
    const { store, designer } = setup();
    designer.select('/World/Table');
    designer.select('/World/Objects/RedCube', 'add');
    expect(store.getState().selection).toEqual(['/World/Table', '/World/Objects/RedCube']);
    designer.select('/World/Table', 'toggle');
    expect(store.getState().selection).toEqual(['/World/Objects/RedCube']);
    designer.select('/World/Table', 'replace');
    expect(store.getState().selection).toEqual(['/World/Table']);
    designer.select(null);
    expect(store.getState().selection).toEqual([]);
  });
});

describe('autosave and files', () => {
  it('keeps the edited scene in browser storage a moment after an edit, and opens it again after a reload', async () => {
    const storage = memoryStorage();
    const first = setup(tabletop, storage);
    first.designer.add('sphere');
    expect(storage.items.has(AUTOSAVE_KEY)).toBe(false); // not on every keystroke
    vi.advanceTimersByTime(1000);
    const saved = JSON.parse(storage.items.get(AUTOSAVE_KEY)!);
    expect(saved.fileName).toBe('tabletop.usda');
    expect(parseProject(saved.project, 'autosave').scene.prims.some((p) => p.path === '/World/Sphere')).toBe(true);
    expect(first.store.getState().autosavedAt).toBe(1_700_000_000_000);

    // "Reload": a new page with the same storage restores it instead of the example.
    const studioStore = createStudioStore();
    const store = createDesignerStore();
    let opened = 0;
    const host = {
      applyDocument: async () => undefined,
      openBytes: async (bytes: ArrayBuffer, fileName: string) =>
        studioStore.setState({ scene: { generation: 1, opened: ++opened, fileName, source: new Uint8Array(), document: (await loadSceneFile(new Uint8Array(bytes), fileName)).document, movingBodies: [], bodyCount: 0, dt: 1 / 240 } }),
    };
    const designer = createDesigner(store, studioStore, host, storage);
    designer.attach();
    expect(await designer.restoreAutosave()).toBe(true);
    expect(store.getState().document!.prims.find((p) => p.path === '/World/Sphere')).toBeDefined();
    expect(studioStore.getState().messages.at(-1)!.text).toMatch(/^Restored the scene you were editing \(tabletop\.usda/);
    expect(storage.items.has(AUTOSAVE_KEY)).toBe(true); // kept until the next edit replaces it
  });

  it('forgets the autosave when another scene is opened, and discards an unreadable one with a message', async () => {
    const storage = memoryStorage();
    const { designer, open, studioStore } = setup(tabletop, storage);
    designer.add('box');
    vi.advanceTimersByTime(1000);
    expect(storage.items.has(AUTOSAVE_KEY)).toBe(true);
    open(panda, 'panda_tabletop.usda');
    expect(storage.items.has(AUTOSAVE_KEY)).toBe(false);

    storage.setItem(AUTOSAVE_KEY, '{"fileName":"x.usda","savedAt":0,"project":"{\\"schema\\":\\"simloop.project\\",\\"version\\":1}"}');
    expect(await designer.restoreAutosave()).toBe(false);
    expect(studioStore.getState().messages.at(-1)!.text).toMatch(/^Autosave: the scene kept in browser storage could not be restored \(autosave: scene: missing/);
    expect(storage.items.has(AUTOSAVE_KEY)).toBe(false);
  });

  it('keeps the randomization spec with the scene, and restores the scene without a spec that no longer fits it', async () => {
    const storage = memoryStorage();
    const studioStore = createStudioStore();
    let opened = 0;
    let spec: unknown = { version: 1, objects: [{ prims: '/World/Cube', color: { uniform: [[0, 0, 0], [1, 1, 1]] } }] };
    const openedBytes: string[] = [];
    const host = {
      applyDocument: async () => undefined,
      openBytes: async (bytes: ArrayBuffer, fileName: string) => {
        openedBytes.push(new TextDecoder().decode(bytes));
        studioStore.setState({ scene: { generation: 1, opened: ++opened, fileName, source: new Uint8Array(bytes), document: (await loadSceneFile(new Uint8Array(bytes), fileName)).document, movingBodies: [], bodyCount: 0, dt: 1 / 240 } });
      },
      randomization: () => spec as never,
    };
    const store = createDesignerStore();
    const designer = createDesigner(store, studioStore, host, storage);
    studioStore.setState({ scene: { generation: 1, opened: ++opened, fileName: 'tabletop.usda', source: new Uint8Array(), document: tabletop, movingBodies: [], bodyCount: 0, dt: 1 / 240 } });
    designer.attach();
    designer.add('box');
    designer.specChanged();
    vi.advanceTimersByTime(1000);
    const saved = parseProject(JSON.parse(storage.items.get(AUTOSAVE_KEY)!).project, 'autosave');
    expect(saved.randomize).toEqual(spec);
    expect(parseProject(designer.projectFile().text, 'p.simloop.json').randomize).toEqual(spec);

    // The cube is deleted, so the spec that names it no longer fits: saving says so, restoring drops it.
    designer.select('/World/Cube');
    designer.deleteSelection();
    expect(() => designer.projectFile()).toThrow(/randomize\.objects\[0\]\.prims/);
    vi.advanceTimersByTime(1000); // autosave keeps the scene without the cube, and the spec as it is
    spec = null;
    expect(await designer.restoreAutosave()).toBe(true);
    expect(JSON.parse(openedBytes.at(-1)!).randomize).toBeNull();
    expect(studioStore.getState().messages.at(-1)!.text).toMatch(/^Autosave: its randomization spec did not fit the scene and was left out/);
  });

  it('shows frame i`s draw of the randomization in place of the scene until the next edit', async () => {
    vi.useRealTimers();
    const studioStore = createStudioStore();
    const spec = { version: 1, objects: [{ prims: '/World/Objects/RedCube', color: { uniform: [[0, 0, 0], [1, 1, 1]] } }] };
    const host = { applyDocument: async () => undefined, openBytes: async () => undefined, randomization: () => spec as never, sampleSeed: () => 7 };
    const store = createDesignerStore();
    const designer = createDesigner(store, studioStore, host, null);
    studioStore.setState({ scene: { generation: 1, opened: 1, fileName: 'tabletop.usda', source: new Uint8Array(), document: tabletop, movingBodies: [], bodyCount: 0, dt: 1 / 240 } });
    designer.attach();
    const colour = (doc: SceneDocument) => doc.prims.find((p) => p.path === '/World/Objects/RedCube')!.material!.color;
    await designer.previewSample(3);
    const first = store.getState().preview!;
    expect(first).toMatchObject({ frame: 3, seed: 7 });
    expect(colour(first.document)).not.toEqual(colour(tabletop));
    expect(store.getState().document).toBe(tabletop); // the scene being edited is untouched
    await designer.previewSample(3);
    expect(colour(store.getState().preview!.document)).toEqual(colour(first.document)); // same (seed, frame), same draw
    await designer.previewSample(4);
    expect(colour(store.getState().preview!.document)).not.toEqual(colour(first.document));
    designer.add('box');
    expect(store.getState().preview).toBeNull();
  });

  it('saves a project file and exports USDA that read back as the edited scene', async () => {
    const { designer } = setup();
    designer.add('cylinder');
    const project = designer.projectFile();
    expect(project.name).toBe('tabletop.simloop.json');
    const fromProject = (await loadSceneFile(new TextEncoder().encode(project.text), project.name)).document;
    expect(fromProject.prims.find((p) => p.path === '/World/Cylinder')).toMatchObject({ geometry: { kind: 'cylinder', radius: 0.04, height: 0.12 } });
    const usda = designer.usdaFile();
    expect(usda.name).toBe('tabletop.usda');
    const back = importUsd(usda.text, usda.name).document;
    expect(back.prims.find((p) => p.path === '/World/Cylinder')).toMatchObject({ geometry: { kind: 'cylinder', radius: 0.04, height: 0.12 }, body: { type: 'dynamic' } });
    expect(sceneStem('scenes/robot.simloop.json')).toBe('robot');
  });

  it('keeps an imported asset as a USD reference: the USDZ export holds its layer, and reads back as the edited scene', async () => {
    const { store, designer } = setup();
    await designer.importAsset(new Uint8Array(readFileSync('scenes/panda_tabletop.usda')), 'panda_tabletop.usda', '/World/Panda');
    const imported = store.getState().document!;
    expect(imported.references).toEqual([{ prim: '/World/Panda', asset: 'assets/Panda.usda', target: null }]);
    expect(Object.keys(imported.assets!)).toEqual(['assets/Panda.usda']);
    // The same asset again: another prim, the same layer.
    await designer.importAsset(new Uint8Array(readFileSync('scenes/panda_tabletop.usda')), 'panda_tabletop.usda', '/World/Panda');
    expect(store.getState().document!.references!.map((r) => [r.prim, r.asset])).toEqual([['/World/Panda', 'assets/Panda.usda'], ['/World/Panda_1', 'assets/Panda.usda']]);
    expect(Object.keys(store.getState().document!.assets!)).toEqual(['assets/Panda.usda']);
    designer.undo();
    // An edit inside the referenced robot.
    expect(designer.rename('/World/Panda/Panda/hand', 'gripper')).toBeNull();
    const edited = store.getState().document!;
    const usdz = designer.usdzFile();
    expect(usdz.name).toBe('tabletop.usdz');
    const files = unzipSync(usdz.bytes);
    expect(Object.keys(files)).toEqual(['tabletop.usda', 'assets/Panda.usda']);
    const root = new TextDecoder().decode(files['tabletop.usda']);
    expect(root).toContain('prepend references = @./assets/Panda.usda@');
    expect(root).toContain('over "hand" (');
    expect(differences(importUsd(usdz.bytes, usdz.name).document, edited)).toEqual([]);
    // The one-layer export copies the robot in; deleting the prim drops the reference and its layer.
    expect(designer.usdaFile().text).not.toContain('references');
    designer.select('/World/Panda');
    designer.deleteSelection();
    expect(store.getState().document!.references).toBeUndefined();
    expect(store.getState().document!.assets).toBeUndefined();
    designer.undo();
    expect(store.getState().document).toEqual(edited);
  });

  it('shows a picked image on a look, refuses a file that is not one in the field, and packs the image into the USDZ', () => {
    const { store, designer } = setup();
    designer.add('box');
    const path = '/World/Cube';
    const field = { path, field: 'material.image' };
    const notImage = designer.edit('Set texture image', imageLookEdit(path, 'notes.txt', new TextEncoder().encode('hello')), { field });
    expect(notImage).toBe('notes.txt: not an image Simloop reads: expected PNG or JPEG bytes');
    expect(store.getState().fieldErrors[`${path}|material.image`]).toBe(notImage);
    const png = encodePng({ width: 2, height: 1, channels: 3, depth: 8, data: new Uint8Array([255, 0, 0, 0, 0, 255]) });
    expect(designer.edit('Set texture image', imageLookEdit(path, 'My Wood.png', png), { field })).toBeNull();
    const doc = store.getState().document!;
    expect(doc.prims.find((p) => p.path === path)!.material?.image).toBe('textures/My_Wood.png');
    expect(store.getState().fieldErrors[`${path}|material.image`]).toBeUndefined();
    const usdz = designer.usdzFile();
    expect(Object.keys(unzipSync(usdz.bytes))).toEqual(['tabletop.usda', 'textures/My_Wood.png']);
    expect(differences(importUsd(usdz.bytes, usdz.name).document, doc)).toEqual([]);
    // One layer cannot hold the file: the export says so and points at USDZ.
    expect(() => designer.usdaFile()).toThrow(/looks show image files \(textures\/My_Wood\.png\), which one \.usda cannot hold; Export USDZ packs them/);
    // A bundled texture in its place drops the file; undo brings both back.
    const look = doc.prims.find((p) => p.path === path)!.material!;
    designer.edit('Set texture', (d) => setVisualMaterial(d, path, withTexture(look, 'checker')));
    expect(store.getState().document!.assets).toBeUndefined();
    designer.undo();
    expect(store.getState().document).toEqual(doc);
  });
});

describe('a new scene', () => {
  it('starts from a ground, a light and a camera, as a valid document the designer follows', async () => {
    const { store, designer, studioStore } = setup();
    await designer.newScene();
    const doc = store.getState().document!;
    expect(studioStore.getState().scene!.fileName).toBe('untitled.json');
    expect(doc.prims.map((p) => p.path)).toEqual(['/World', '/World/Ground', '/World/Sun', '/World/Camera']);
    expect(() => validateSceneDocument(doc, 'untitled.json')).not.toThrow();
    expect(doc.prims[1]).toMatchObject({ body: { type: 'static' }, collider: { enabled: true } });
    expect(store.getState().canUndo).toBe(false);
    designer.add('box');
    expect(store.getState().document!.prims.at(-1)!.path).toBe('/World/Cube');
  });
});

describe('primitives', () => {
  it('rest on the ground where they are put, weigh what wood of their volume weighs, and take free names', () => {
    const box = primitiveFields('box', [0.2, 0, 0]);
    expect(box.transform!.position).toEqual([0.2, 0.05, 0]);
    expect(box.mass!.mass).toBeCloseTo(600 * 0.001, 6);
    const sphere = primitiveFields('sphere');
    expect(sphere.mass!.mass).toBeCloseTo(Math.round(600 * (4 / 3) * Math.PI * 0.05 ** 3 * 1e4) / 1e4, 6);
    expect(primitiveFields('plane').body!.type).toBe('static');
    expect(primitiveFields('camera').camera!.fovY).toBeCloseTo(Math.PI / 4, 12);
    expect(freeName(tabletop, '/World/Objects', 'RedCube')).toBe('RedCube_1');
    expect(freeName(tabletop, '/World', 'Cube')).toBe('Cube');
  });
});

describe('keyboard shortcuts', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; shiftKey: boolean; metaKey: boolean }> = {}, target: { tagName?: string; type?: string } | null = { tagName: 'BODY' }) =>
    shortcutFor({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods, target });

  it('map keys to actions, and every action is listed in the help overlay', () => {
    expect(key('z', { ctrlKey: true })).toBe('undo');
    expect(key('Z', { ctrlKey: true, shiftKey: true })).toBe('redo');
    expect(key('y', { metaKey: true })).toBe('redo');
    expect(key('w')).toBe('translate');
    expect(key('E')).toBe('rotate');
    expect(key('Delete')).toBe('delete');
    expect(key('?', { shiftKey: true })).toBe('help');
    expect(key('k')).toBeNull();
    const actions = ['z', 'y', 's', 'Delete', 'w', 'e', 'r', 'q', 'x', 'f', 'h', 'Escape', '?'].map((k) => key(k, { ctrlKey: 'zys'.includes(k) }));
    expect(new Set(actions)).toEqual(new Set(SHORTCUTS.map((s) => s.action)));
  });

  it('stay out of text fields but not checkboxes', () => {
    expect(key('w', {}, { tagName: 'INPUT', type: 'text' })).toBeNull();
    expect(key('Delete', {}, { tagName: 'TEXTAREA' })).toBeNull();
    expect(key('z', { ctrlKey: true }, { tagName: 'INPUT', type: 'number' })).toBeNull();
    expect(key('w', {}, { tagName: 'INPUT', type: 'checkbox' })).toBe('translate');
  });
});

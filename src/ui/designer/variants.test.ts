/**
 * Choosing a USD variant in the studio: a scene opened from a folder (scenes/fixtures/variants: a
 * block asset with a look and a shape variant set, referenced by the scene) is composed again
 * with the choice, the new document goes to the simulation as one edit, and Undo brings the
 * previous variant back.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SceneDocument } from '../../engine/scene/schema.ts';
import { createStudioStore } from '../state/store.ts';
import { createStudio, type PickedFile } from '../studio.ts';
import { directSim } from '../testing/directSim.ts';
import { createDesigner, createDesignerStore } from './designer.ts';

const FOLDER = new URL('../../../scenes/fixtures/variants/', import.meta.url).pathname;

function folderFiles(dir: string, prefix = 'variants'): PickedFile[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return folderFiles(path, `${prefix}/${name}`);
    return [{ path: `${prefix}/${name}`, file: new File([new Uint8Array(readFileSync(path))], name) }];
  });
}

const body = (doc: SceneDocument) => doc.prims.find((p) => p.path === '/World/Block/Body')!;

async function openVariantsFolder() {
  const studioStore = createStudioStore();
  const studio = createStudio(studioStore, directSim().sim);
  const applied: SceneDocument[] = [];
  let settled: Promise<void> = Promise.resolve();
  const store = createDesignerStore();
  const designer = createDesigner(
    store,
    studioStore,
    {
      applyDocument: (d) => {
        applied.push(d);
        settled = studio.applyDocument(d);
        return settled;
      },
      openBytes: (bytes, fileName) => studio.openBytes(bytes, fileName),
      composeVariants: (variants) => studio.composeVariants(variants),
    },
    null,
  );
  designer.attach();
  await studio.openFiles(folderFiles(FOLDER));
  return { studioStore, studio, store, designer, applied, simulated: () => settled };
}

describe('choosing a variant of a USD scene opened from its folder', () => {
  it('lists the variant sets the referenced asset offers, with the selections it authors', async () => {
    const { store } = await openVariantsFolder();
    const doc = store.getState().document!;
    expect(doc.variantSets).toEqual([
      { prim: '/World/Block', set: 'look', options: ['red', 'green'], selection: 'red' },
      { prim: '/World/Block', set: 'shape', options: ['box', 'ball'], selection: 'box' },
    ]);
    expect(body(doc).geometry).toEqual({ kind: 'box', size: [0.5, 0.5, 0.5] });
    expect(body(doc).material?.color).toEqual([0.9, 0.05, 0.05]);
  });

  it('composes the scene again with the choice, as one edit the simulation gets, and undo brings the old variant back', async () => {
    const { store, designer, applied, studioStore, simulated } = await openVariantsFolder();
    const before = store.getState().document!;
    expect(await designer.chooseVariant('/World/Block', 'look', 'green')).toBeNull();
    const green = store.getState().document!;
    expect(body(green).material?.color).toEqual([0.05, 0.9, 0.05]);
    expect(green.variantSets!.find((v) => v.set === 'look')!.selection).toBe('green');
    expect(store.getState().undoLabel).toBe('Show look green on Block');
    expect(applied.at(-1)).toBe(green);
    await simulated();
    expect(studioStore.getState().scene!.document).toBe(green);
    // A second set keeps the first choice.
    expect(await designer.chooseVariant('/World/Block', 'shape', 'ball')).toBeNull();
    const ball = store.getState().document!;
    expect(body(ball).geometry).toEqual({ kind: 'sphere', radius: 0.25 });
    expect(body(ball).material?.color).toEqual([0.05, 0.9, 0.05]);
    designer.undo();
    designer.undo();
    expect(store.getState().document).toBe(before);
    expect(applied.at(-1)).toBe(before);
  });

  it('refuses a variant the set does not have, keeping the reason for the field', async () => {
    const { store, designer } = await openVariantsFolder();
    const before = store.getState().document;
    const reason = await designer.chooseVariant('/World/Block', 'look', 'blue');
    expect(reason).toBe('variants/scene.usda: variant /World/Block:look=blue: "look" has no variant "blue" (choose one of "red", "green")');
    expect(store.getState().fieldErrors['/World/Block|variant.look']).toBe(reason);
    expect(store.getState().document).toBe(before);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { addPrim, EditError, removePrim, renamePrim, setMassProperties, setPrimField, setTransform, setVisualMaterial } from '../scene/edit.ts';
import { extractSubtree } from '../scene/extract.ts';
import { EARTH_GRAVITY, type SceneDocument } from '../scene/schema.ts';
import { emptyDocument } from '../scene/document.ts';
import { deepFreeze } from '../testing/documents.ts';
import { differences } from '../testing/roundTrip.ts';
import { seededRandom } from '../testing/usda.ts';
import { resolverFromAssets } from './compose.ts';
import { exportUsdLayers } from './export.ts';
import { importUsd } from './import.ts';
import { insertReference } from './reference.ts';

const load = async (file: string) => deepFreeze((await loadSceneFile(readFileSync(file), file)).document);
const tabletop = await load('scenes/panda_tabletop.usda');
const panda = extractSubtree(tabletop, '/World/Panda');
const cubes = extractSubtree(await load('scenes/tabletop.usda'), '/World');

function layersRoundTrip(doc: SceneDocument) {
  const layers = exportUsdLayers(doc);
  const files = Object.fromEntries(layers.assets.map((a) => [a.name, new TextDecoder().decode(a.bytes)]));
  const back = importUsd(layers.root, 'scene.usda', { resolve: resolverFromAssets(files) });
  return { layers, document: back.document, warnings: back.warnings };
}

describe('a scene with referenced assets', () => {
  const start = addPrim(emptyDocument('scene.json', [0, -EARTH_GRAVITY, 0]), null, 'World');
  const withRobot = insertReference(start, '/World', 'franka', panda, { position: [0.5, 0, 0.2], orientation: [0, 0, 0, 1], scale: [1, 1, 1] });

  it('is written as a reference and the placement alone, and comes back the same', () => {
    const { layers, document, warnings } = layersRoundTrip(withRobot);
    expect(warnings).toEqual([]);
    expect(layers.assets.map((a) => a.name)).toEqual(['assets/franka.usda']);
    expect(differences(document, withRobot)).toEqual([]);
  });

  it('keeps edits over the reference: moved, re-massed, recoloured, deleted and added prims', () => {
    let doc = withRobot;
    const link = doc.prims.find((p) => p.path.startsWith('/World/franka/') && p.mass?.mass !== undefined)!;
    doc = setMassProperties(doc, link.path, { ...link.mass!, mass: 7.5 });
    const shape = doc.prims.find((p) => p.path.startsWith('/World/franka/') && p.material)!;
    doc = setVisualMaterial(doc, shape.path, { ...shape.material!, color: [1, 0, 0], roughness: 0.2 });
    const leaf = doc.prims.filter((p) => p.path.startsWith('/World/franka/') && !doc.prims.some((q) => q.path.startsWith(`${p.path}/`)) && !doc.joints.some((j) => j.body0 === p.path || j.body1 === p.path)).at(-1)!;
    doc = removePrim(doc, leaf.path);
    doc = addPrim(doc, '/World/franka', 'Marker', { type: 'Sphere', geometry: { kind: 'sphere', radius: 0.02 } });
    doc = setTransform(doc, '/World/franka', { position: [0, 0, 1], orientation: [0, 0, 0, 1], scale: [1, 1, 1] });
    doc = renamePrim(doc, '/World/franka', 'robot');
    doc = insertReference(doc, '/World', 'cubes', cubes);
    const { layers, document, warnings } = layersRoundTrip(doc);
    expect(warnings).toEqual([]);
    expect(differences(document, doc)).toEqual([]);
  });
});

describe('random edits over referenced assets', () => {
  const base = insertReference(insertReference(addPrim(emptyDocument('scene.json', [0, -EARTH_GRAVITY, 0]), null, 'World'), '/World', 'franka', panda), '/World', 'cubes', cubes);
  const SCENES = 40;

  it(`${SCENES} edited scenes come back the same through the root layer and its assets`, () => {
    const failures: string[] = [];
    let overs = 0;
    for (let seed = 0; seed < SCENES; seed++) {
      const random = seededRandom(seed);
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
      let doc: SceneDocument = base;
      for (let step = 0; step < 12; step++) {
        const target = pick(doc.prims.filter((p) => p.path !== '/World')).path;
        const shape = pick(doc.prims.filter((p) => p.geometry)).path;
        const edits: (() => SceneDocument)[] = [
          () => setTransform(doc, target, { position: [random(), random() - 0.5, 0], orientation: [0, Math.SQRT1_2, 0, Math.SQRT1_2], scale: [1, 1, 1 + random()] }),
          () => setPrimField(doc, target, 'mass', { mass: 0.1 + random() }),
          () => setPrimField(doc, shape, 'material', { color: [random(), random(), random()], roughness: pick([0.5, random()]), metallic: pick([0, 1]), opacity: 1 }),
          () => setPrimField(doc, shape, 'collider', undefined),
          () => setPrimField(doc, target, 'labels', pick<Record<string, string[]>>([{}, { class: ['thing'] }])),
          () => setPrimField(doc, target, 'visible', false),
          () => removePrim(doc, target, { joints: 'remove-joints' }),
          () => addPrim(doc, pick(doc.prims.filter((p) => !p.geometry)).path, `Added${step}`, { type: 'Cube', geometry: { kind: 'box', size: [0.1, 0.1, 0.1] } }),
          () => renamePrim(doc, target, `Renamed${step}`),
        ];
        try {
          doc = pick(edits)();
        } catch (e) {
          if (!(e instanceof EditError)) throw e;
        }
      }
      const { layers, document, warnings } = layersRoundTrip(doc);
      overs += (layers.root.match(/\bover\b/g) ?? []).length;
      const diff = differences(document, doc);
      if (diff.length || warnings.length) failures.push(`seed ${seed}: ${[...warnings, ...diff].slice(0, 4).join('; ')}`);
    }
    expect(failures).toEqual([]);
    // The edits were written as overs on the referenced prims, not as copies.
    expect(overs).toBeGreaterThan(SCENES);
  });
});

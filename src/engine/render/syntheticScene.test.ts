/**
 * Point-light slots of synthetic frames: as many as the spec can add (measured against the frames
 * the sampler draws), every frame built with exactly that many point lights, so one shader program
 * serves them all while no pixel pays for lamps no frame can have.
 */
import { readFileSync } from 'node:fs';
import { PointLight } from 'three';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { sampleFrame } from '../randomize/sample.ts';
import { maxAddedLights, parseRandomizationSpec } from '../randomize/spec.ts';
import { pointLightCount } from './lights.ts';
import { LabelMaterialCache, SYNTHETIC_POINT_LIGHT_SLOTS, buildSyntheticScene, syntheticPointLightSlots } from './syntheticScene.ts';

const tabletop = (await loadSceneFile(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda')).document;
const tabletopSpec = parseRandomizationSpec(readFileSync(new URL('../../../scenes/tabletop.randomize.yaml', import.meta.url), 'utf8'), 'tabletop.randomize.yaml');
const lampSpec = (count: string) => parseRandomizationSpec(`version: 1\nlights:\n  - add: sphere\n    count: ${count}\n    position: { constant: [0, 2, 0] }\n  - add: distant\n    count: { constant: 3 }\n`, 'lamps.yaml');

describe('the most lights a spec adds', () => {
  it('is the largest count each adding group can draw, summed, for the kind asked', () => {
    expect(maxAddedLights(lampSpec('{ uniform: [1, 5] }'), 'sphere')).toBe(5);
    expect(maxAddedLights(lampSpec('{ choice: [0, 7, 2] }'), 'sphere')).toBe(7);
    expect(maxAddedLights(lampSpec('{ normal: { mean: 2, std: 1, max: 4 } }'), 'sphere')).toBe(4);
    expect(maxAddedLights(lampSpec('{ normal: { mean: 2, std: 1 } }'), 'sphere')).toBe(Infinity);
    expect(maxAddedLights(lampSpec('{ uniform: [1, 5] }'), 'distant')).toBe(3);
    expect(maxAddedLights(null, 'sphere')).toBe(0);
  });

  it('bounds, and is reached by, the lamps the sampler adds to the tabletop', async () => {
    const most = maxAddedLights(tabletopSpec, 'sphere');
    expect(most).toBe(2);
    let seen = 0;
    for (let frame = 0; frame < 24; frame++) {
      const { scene } = await sampleFrame(tabletop, tabletopSpec, { seed: 1, frame });
      const lamps = pointLightCount(scene.prims) - pointLightCount(tabletop.prims);
      expect(lamps).toBeLessThanOrEqual(most);
      seen = Math.max(seen, lamps);
    }
    expect(seen).toBe(most);
  });
});

describe('synthetic scenes with point-light slots', () => {
  it('draw every frame with the same number of point lights, the unused ones dark', async () => {
    const slots = syntheticPointLightSlots(tabletop, maxAddedLights(tabletopSpec, 'sphere'));
    expect(slots).toBe(2);
    const labelMaterials = new LabelMaterialCache();
    const lit = new Set<number>();
    for (let frame = 0; frame < 12; frame++) {
      const { scene: doc } = await sampleFrame(tabletop, tabletopSpec, { seed: 1, frame });
      const synthetic = buildSyntheticScene(doc, { classIds: new Map(), labelMaterials, pointLightSlots: slots });
      const points: PointLight[] = [];
      synthetic.scene.traverse((o) => void (o instanceof PointLight && points.push(o)));
      expect(points).toHaveLength(slots);
      const on = points.filter((p) => p.intensity > 0).length;
      expect(on).toBe(pointLightCount(doc.prims));
      lit.add(on);
      synthetic.dispose();
    }
    expect([...lit].sort()).toEqual([0, 1, 2]);
  });

  it('fall back to the default slots when the spec can add any number', () => {
    expect(syntheticPointLightSlots(tabletop, Infinity)).toBe(SYNTHETIC_POINT_LIGHT_SLOTS);
  });
});

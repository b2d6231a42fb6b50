/**
 * Point lights of synthetic frames: each frame's own, no dark slots (a slot is shaded on every
 * pixel whether lit or not; see buildLights).
 */
import { readFileSync } from 'node:fs';
import { PointLight } from 'three';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { sampleFrame } from '../randomize/sample.ts';
import { parseRandomizationSpec } from '../randomize/spec.ts';
import { pointLightCount } from './lights.ts';
import { LabelMaterialCache, buildSyntheticScene } from './syntheticScene.ts';

const tabletop = (await loadSceneFile(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda')).document;
const tabletopSpec = parseRandomizationSpec(readFileSync(new URL('../../../scenes/tabletop.randomize.yaml', import.meta.url), 'utf8'), 'tabletop.randomize.yaml');

describe('synthetic scenes of randomized frames', () => {
  it('draw each frame with exactly its lamps, all lit: 0, 1 or 2 as the tabletop spec adds them', async () => {
    const labelMaterials = new LabelMaterialCache();
    const counts = new Set<number>();
    for (let frame = 0; frame < 12; frame++) {
      const { scene: doc } = await sampleFrame(tabletop, tabletopSpec, { seed: 1, frame });
      const synthetic = buildSyntheticScene(doc, { classIds: new Map(), labelMaterials });
      const points: PointLight[] = [];
      synthetic.scene.traverse((o) => void (o instanceof PointLight && points.push(o)));
      expect(points).toHaveLength(pointLightCount(doc.prims));
      expect(points.every((p) => p.intensity > 0)).toBe(true);
      counts.add(points.length - pointLightCount(tabletop.prims));
      synthetic.dispose();
    }
    expect([...counts].sort()).toEqual([0, 1, 2]);
  });
});

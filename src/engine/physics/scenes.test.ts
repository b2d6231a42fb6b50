/** The bundled example scenes behave physically. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { PhysicsWorld } from './world.ts';

const load = (name: string) => loadSceneFile(readFileSync(new URL(`../../../scenes/${name}`, import.meta.url)), name);

describe('scenes/pendulum.usda (centimetres, Y-up, revolute joints)', () => {
  it('imports without warnings, as three jointed links in metres', () => {
    const { document, warnings } = load('pendulum.usda');
    expect(warnings).toEqual([]);
    expect(document.joints.map((j) => [j.body0, j.body1])).toEqual([
      ['/World/Frame', '/World/Link1'],
      ['/World/Link1', '/World/Link2'],
      ['/World/Link2', '/World/Link3'],
    ]);
    expect(document.joints[1]!.localPos0).toEqual([0.12, 0, 0]);
  });

  it('released horizontal, it swings down conserving mechanical energy, with every joint held together', async () => {
    // Rapier's solver dissipates energy in proportion to the step (measured: ~3 %/s for a single
    // pendulum at 240 Hz, a quarter of that at 960 Hz), so conservation is checked at 960 Hz.
    const dt = 1 / 960;
    const world = await PhysicsWorld.create(load('pendulum.usda').document, { dt });
    try {
      const e0 = world.mechanicalEnergy();
      expect(e0.kinetic).toBe(0);
      let minPotential = e0.potential;
      for (let i = 0; i < 960; i++) {
        world.step();
        minPotential = Math.min(minPotential, world.mechanicalEnergy().potential);
        // Each link's ends stay on its neighbours' ends: 0.24 m between consecutive link centres.
        const centres = ['/World/Link1', '/World/Link2', '/World/Link3'].map((p) => world.bodyState(p).position);
        const pivot = [0, 1, 0];
        expect(Math.hypot(...centres[0]!.map((c, k) => c - pivot[k]!))).toBeCloseTo(0.12, 2);
      }
      const e1 = world.mechanicalEnergy();
      // Over one second it fell more than 1 J worth and kept its energy to within 3 % of the drop.
      expect(e0.potential - minPotential).toBeGreaterThan(1);
      expect(Math.abs(e1.kinetic + e1.potential - (e0.kinetic + e0.potential)) / (e0.potential - minPotential)).toBeLessThan(0.03);
    } finally {
      world.free();
    }
  });
});

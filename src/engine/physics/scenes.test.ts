/** The bundled example scenes behave physically. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { Quaternion, Vector3 } from 'three';
import { PhysicsWorld } from './world.ts';

/** World position of a point given in a body's (unscaled) frame. */
function anchor(world: PhysicsWorld, body: string, local: readonly number[]): Vector3 {
  const s = world.bodyState(body);
  return new Vector3(local[0], local[1], local[2]).applyQuaternion(new Quaternion(...s.orientation)).add(new Vector3(...s.position));
}

const load = (name: string) => loadSceneFile(readFileSync(new URL(`../../../scenes/${name}`, import.meta.url)), name);

describe('scenes/pendulum.usda (centimetres, Y-up, revolute joints)', () => {
  it('imports without warnings, as three jointed links in metres', async () => {
    const { document, warnings } = await load('pendulum.usda');
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
    const world = await PhysicsWorld.create((await load('pendulum.usda')).document, { dt });
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

const cartpole = await load('fixtures/third-party/cartpole.usda');

describe('scenes/fixtures/third-party/cartpole.usda (written by the newton team: Z-up, joints in scaled frames)', () => {
  const { document, warnings } = cartpole;

  it('imports its bodies and joints, warning only about the PhysX articulation schema', () => {
    expect(warnings).toEqual(['/cartPole: API schemas not supported, ignored: PhysxArticulationAPI']);
    expect(document.joints.map((j) => `${j.type} ${j.body0} ${j.body1}`)).toEqual([
      'fixed null /cartPole/rail',
      'prismatic /cartPole/rail /cartPole/cart',
      'revolute /cartPole/cart /cartPole/pole1',
      'revolute /cartPole/pole1 /cartPole/pole2',
    ]);
    // localPos0 = (0.55, 0, 0) in the cart's frame, which is scaled by 0.2 along X.
    const hinge = document.joints[2]!;
    expect(hinge.localPos0[0]).toBeCloseTo(0.11, 6);
    expect(hinge.limits).toEqual([]);
  });

  it('nudged, the poles fall while the cart slides only along the rail and every hinge holds', async () => {
    const nudged = structuredClone(document);
    // USD X is the hinge axis; after Z-up → Y-up it is still world X.
    nudged.prims.find((p) => p.path === '/cartPole/pole1')!.body!.angularVelocity = [0.5, 0, 0];
    const world = await PhysicsWorld.create(nudged);
    try {
      const railStart = world.bodyState('/cartPole/rail').position;
      for (let i = 0; i < 480; i++) {
        world.step();
        const cart = world.bodyState('/cartPole/cart').position;
        // The rail runs along USD Y, which is world -Z: the cart keeps x = 0 and y = 0.
        expect(Math.abs(cart[0])).toBeLessThan(0.005);
        expect(Math.abs(cart[1])).toBeLessThan(0.005);
        expect(Math.abs(cart[2])).toBeLessThanOrEqual(4 + 0.01);
      }
      world.bodyState('/cartPole/rail').position.forEach((c, k) => expect(Math.abs(c - railStart[k]!)).toBeLessThan(1e-3));
      // Each hinge's two anchors coincide in the world.
      for (const joint of nudged.joints.slice(2)) {
        const a = anchor(world, joint.body0!, joint.localPos0);
        const b = anchor(world, joint.body1!, joint.localPos1);
        expect(a.distanceTo(b), joint.path).toBeLessThan(0.01);
      }
      // Pole 2's tip started 2 m up; falling, it has come well down.
      const pole2 = world.bodyState('/cartPole/pole2').position;
      expect(pole2[1]).toBeLessThan(1.2);
      // The cart has been pushed along the rail by the falling poles.
      expect(Math.abs(world.bodyState('/cartPole/cart').position[2])).toBeGreaterThan(0.05);
    } finally {
      world.free();
    }
  });
});

/** sampleFrame on the bundled tabletop: reproducible frames whose objects rest on the table, apart. */
import { readFileSync } from 'node:fs';
import { Box3, Quaternion, Vector3 } from 'three';
import type { RigidBody as RapierBody } from '@dimforge/rapier3d-compat';
import RAPIER_DETERMINISTIC from '@dimforge/rapier3d-deterministic-compat';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import type { Rapier } from '../physics/rapier.ts';
import { PhysicsWorld } from '../physics/world.ts';
import { validateSceneDocument } from '../scene/document.ts';
import { worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { orientedExtent, subtreeShapes, subtreeWorldBounds } from './bounds.ts';
import { kelvinToLinearRgb } from './colorTemperature.ts';
import { type FrameSample, copySharingGeometry, sampleFrame } from './sample.ts';
import { parseRandomizationSpec } from './spec.ts';

const tabletop = (await loadSceneFile(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda')).document;
const specText = readFileSync(new URL('../../../scenes/tabletop.randomize.yaml', import.meta.url), 'utf8');
const spec = parseRandomizationSpec(specText, 'tabletop.randomize.yaml');
const specWith = (yaml: string) => parseRandomizationSpec(yaml, 'test.yaml');

/** The table top (a 1.2 × 0.8 m box, 5 cm thick, centred 0.75 m up): top face at 0.775 m. */
const TOP = 0.775;
const TOP_HALF = { x: 0.6, z: 0.4 };
const DEG = Math.PI / 180;

const isPlaced = (path: string) => path.startsWith('/World/Objects/') || path.startsWith('/World/Distractors/');
const placedBodies = (scene: SceneDocument) => scene.prims.filter((p) => p.body?.type === 'dynamic' && isPlaced(p.path)).map((p) => p.path);

/** World bounds of a prim's geometry as it stands in the scene (exact for upright boxes, spheres, capsules, round shapes). */
function boundsOf(scene: SceneDocument, path: string): Box3 {
  const world = worldMatrices(scene);
  const p = new Vector3();
  const q = new Quaternion();
  const s = new Vector3();
  world.get(path)!.decompose(p, q, s);
  return orientedExtent(subtreeShapes(scene, path, world), q, s).translate(p);
}

/** Signed distances between the colliders of two bodies (negative: interpenetrating), by Rapier's contact query. */
function closest(a: RapierBody, b: RapierBody): number {
  let d = Infinity;
  for (let i = 0; i < a.numColliders(); i++) {
    for (let j = 0; j < b.numColliders(); j++) {
      const contact = a.collider(i).contactCollider(b.collider(j), 0.05);
      if (contact) d = Math.min(d, contact.distance);
    }
  }
  return d;
}

const frames = (from: number, to: number, seed = 1, s = spec) => Promise.all(Array.from({ length: to - from }, (_, k) => sampleFrame(tabletop, s, { seed, frame: from + k })));

describe('sampleFrame on scenes/tabletop.usda with its spec', () => {
  it('is a pure function of (seed, frame): frames in any order, repeated, come out identical', async () => {
    const five = await sampleFrame(tabletop, spec, { seed: 42, frame: 5 });
    const three = await sampleFrame(tabletop, spec, { seed: 42, frame: 3 });
    const fiveAgain = await sampleFrame(tabletop, spec, { seed: 42, frame: 5 });
    expect(JSON.stringify(fiveAgain)).toBe(JSON.stringify(five));
    expect(fiveAgain).toEqual(five);
    expect(JSON.stringify(await sampleFrame(tabletop, spec, { seed: 42, frame: 3 }))).toBe(JSON.stringify(three));
  });

  it('settles with another Rapier flavour when given one (the cross-platform bit-reproducible build), just as reproducibly', async () => {
    await RAPIER_DETERMINISTIC.init();
    const rapier = RAPIER_DETERMINISTIC as unknown as Rapier;
    const a = await sampleFrame(tabletop, spec, { seed: 42, frame: 5, rapier });
    const b = await sampleFrame(tabletop, spec, { seed: 42, frame: 5, rapier });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    // Draws do not depend on the physics flavour; only the settled poses may differ in the last bits.
    expect(a.randomized).toEqual((await sampleFrame(tabletop, spec, { seed: 42, frame: 5 })).randomized);
  });

  it('differs between frames and between seeds', async () => {
    const [a, b] = await frames(0, 2, 42);
    const c = await sampleFrame(tabletop, spec, { seed: 43, frame: 0 });
    expect(a!.randomized['/World/Objects/RedCube:position']).not.toEqual(b!.randomized['/World/Objects/RedCube:position']);
    expect(a!.randomized['/World/Objects/RedCube:position']).not.toEqual(c.randomized['/World/Objects/RedCube:position']);
    expect(a!.cameras[0]!.position).not.toEqual(b!.cameras[0]!.position);
  });

  it('leaves the input document alone and returns a valid scene document', async () => {
    const before = JSON.stringify(tabletop);
    const sample = await sampleFrame(tabletop, spec, { seed: 1, frame: 0 });
    expect(JSON.stringify(tabletop)).toBe(before);
    expect(() => validateSceneDocument(JSON.parse(JSON.stringify(sample.scene)), 'sample')).not.toThrow();
  });

  it('settles the scattered objects and distractors at rest on the table top, inside it, without interpenetrating', async () => {
    for (const sample of await frames(0, 12)) {
      expect(sample.warnings).toEqual([]);
      const bodies = placedBodies(sample.scene);
      expect(bodies.length).toBeGreaterThanOrEqual(6);
      for (const path of bodies) {
        const prim = sample.scene.prims.find((p) => p.path === path)!;
        expect(Math.hypot(...prim.body!.linearVelocity), `${path} is still moving`).toBeLessThan(0.01);
        expect(Math.hypot(...prim.body!.angularVelocity), `${path} is still turning`).toBeLessThan(0.2);
        const box = boundsOf(sample.scene, path);
        // Resting on the top face (within a millimetre, as Rapier lets contacts sink a little) …
        expect(Math.abs(box.min.y - TOP), `${path} lowest point ${box.min.y}`).toBeLessThan(0.001);
        // … and inside its edges.
        expect(box.min.x).toBeGreaterThan(-TOP_HALF.x);
        expect(box.max.x).toBeLessThan(TOP_HALF.x);
        expect(box.min.z).toBeGreaterThan(-TOP_HALF.z);
        expect(box.max.z).toBeLessThan(TOP_HALF.z);
      }
      // The same, asked of the physics engine: every body touches the table and none overlaps another.
      const world = await PhysicsWorld.create(sample.scene);
      try {
        const rapierBodies = (world as unknown as { bodies: Map<string, RapierBody> }).bodies;
        const table = rapierBodies.get('/World/Table')!;
        for (const path of bodies) expect(Math.abs(closest(rapierBodies.get(path)!, table)), `${path} to the table`).toBeLessThan(0.002);
        for (let i = 0; i < bodies.length; i++) {
          for (let j = i + 1; j < bodies.length; j++) expect(closest(rapierBodies.get(bodies[i]!)!, rapierBodies.get(bodies[j]!)!), `${bodies[i]} and ${bodies[j]}`).toBeGreaterThan(-0.001);
        }
      } finally {
        world.free();
      }
    }
  });

  it('stops the settle once everything is at rest, within 2 mm and 2° of where the full half second leaves it', async () => {
    const full = { ...spec, settle: { ...spec.settle, until_rest: false } };
    const early = await frames(0, 16);
    const complete = await frames(0, 16, 1, full);
    const steps: number[] = [];
    for (let k = 0; k < early.length; k++) {
      const [a, b] = [early[k]!, complete[k]!];
      expect(b.settleSteps).toBe(Math.round(spec.settle.seconds * spec.settle.rate));
      expect(a.settleSteps).toBeLessThanOrEqual(b.settleSteps);
      steps.push(a.settleSteps);
      const worldA = worldMatrices(a.scene);
      const worldB = worldMatrices(b.scene);
      for (const path of placedBodies(a.scene)) {
        const [pa, qa, pb, qb] = [new Vector3(), new Quaternion(), new Vector3(), new Quaternion()];
        worldA.get(path)!.decompose(pa, qa, new Vector3());
        worldB.get(path)!.decompose(pb, qb, new Vector3());
        expect(pa.distanceTo(pb), `${path} in frame ${k}`).toBeLessThan(0.002);
        expect(qa.angleTo(qb) / DEG, `${path} in frame ${k}`).toBeLessThan(2);
      }
    }
    // It does stop early on most frames (objects are released 2 mm above the top).
    expect(steps.filter((n) => n < Math.round(spec.settle.seconds * spec.settle.rate)).length).toBeGreaterThan(early.length / 2);
  });

  it('before any settling, the scatter keeps every object`s bounds apart by the spacing, released just above the top', async () => {
    const unsettled = { ...spec, settle: { seconds: 0, rate: 240, until_rest: true } };
    for (const sample of await frames(0, 12, 7, unsettled)) {
      const boxes = placedBodies(sample.scene).map((p) => boundsOf(sample.scene, p));
      for (const box of boxes) expect(box.min.y).toBeCloseTo(TOP + 0.002, 9);
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i]!, boxes[j]!];
          const gap = Math.max(a.min.x - b.max.x, b.min.x - a.max.x, a.min.z - b.max.z, b.min.z - a.max.z);
          expect(gap).toBeGreaterThanOrEqual(0.01 - 1e-9);
        }
      }
    }
  });

  it('adds 0–4 unlabelled distractors and now and then one labelled "distractor", each with geometry, body and collider', async () => {
    const counts = new Set<number>();
    for (const sample of await frames(0, 40)) {
      const plain = sample.randomized['distractors[0]:count'] as number;
      const labelled = sample.randomized['distractors[1]:count'] as number;
      expect(plain).toBeGreaterThanOrEqual(0);
      expect(plain).toBeLessThanOrEqual(4);
      expect([0, 1]).toContain(labelled);
      counts.add(plain);
      const distractors = sample.scene.prims.filter((p) => p.path.startsWith('/World/Distractors/'));
      expect(distractors.map((p) => p.path)).toEqual(Array.from({ length: plain + labelled }, (_, k) => `/World/Distractors/Distractor_${k}`));
      distractors.forEach((p, k) => {
        expect(p.labels).toEqual(k < plain ? {} : { class: ['distractor'] });
        expect(p.geometry).toBeDefined();
        expect(p.body?.type).toBe('dynamic');
        expect(p.collider?.enabled).toBe(true);
        expect(sample.randomized[`${p.path}:shape`]).toBe({ Cube: 'box', Sphere: 'sphere', Cylinder: 'cylinder', Cone: 'cone', Capsule: 'capsule' }[p.type]);
      });
    }
    expect([...counts].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('places the camera on the shell around the table top, looking at its centre within the jitter, with the drawn field of view', async () => {
    const centre = new Vector3(0, 0.75, 0);
    for (const sample of await frames(0, 20)) {
      const camera = sample.cameras[0]!;
      expect(camera.path).toBe('/World/Camera');
      const eye = new Vector3(...camera.position);
      const q = new Quaternion(...camera.orientation);
      const forward = new Vector3(0, 0, -1).applyQuaternion(q);
      const offset = centre.clone().sub(eye);
      expect(offset.length()).toBeGreaterThanOrEqual(1.4);
      expect(offset.length()).toBeLessThanOrEqual(2.2);
      const elevation = Math.asin(-offset.y / offset.length()) / DEG;
      expect(elevation).toBeGreaterThanOrEqual(25 - 1e-6);
      expect(elevation).toBeLessThanOrEqual(60 + 1e-6);
      // The view ray passes the table centre no farther than the jitter box's corner (±8 cm on each axis).
      const miss = offset.clone().sub(forward.clone().multiplyScalar(offset.dot(forward))).length();
      expect(miss).toBeLessThanOrEqual(0.08 * Math.sqrt(3));
      // The recorded look-at point is on the ray, and the camera is upright to within the roll limit (±5°).
      const target = new Vector3(...(sample.randomized['camera:/World/Camera:look_at'] as number[]));
      expect(target.clone().sub(centre).toArray().every((d) => Math.abs(d) <= 0.08 + 1e-6)).toBe(true);
      expect(target.clone().sub(eye).normalize().dot(forward)).toBeCloseTo(1, 6);
      const right = new Vector3(1, 0, 0).applyQuaternion(q);
      expect(Math.abs(Math.asin(right.y)) / DEG).toBeLessThanOrEqual(5 + 1e-3);
      expect(camera.fovY / DEG).toBeGreaterThanOrEqual(35);
      expect(camera.fovY / DEG).toBeLessThanOrEqual(50);
      expect(camera.fovY).toBeCloseTo((sample.randomized['camera:/World/Camera:fov'] as number) * DEG, 6);
      const prim = sample.scene.prims.find((p) => p.path === '/World/Camera')!;
      expect(prim.camera!.fovY).toBe(camera.fovY);
      expect(2 * Math.atan(prim.camera!.verticalAperture / (2 * prim.camera!.focalLength))).toBeCloseTo(camera.fovY, 9);
      expect([camera.near, camera.far]).toEqual([0.01, 100]);
    }
  });

  it('draws colours, materials, lights, gravity and background inside their ranges, and applies what it records', async () => {
    for (const sample of await frames(0, 10)) {
      const r = sample.randomized;
      const prim = (path: string) => sample.scene.prims.find((p) => p.path === path)!;
      for (const path of ['/World/Objects/RedCube', '/World/Objects/PurpleWedge']) {
        const color = prim(path).material!.color;
        expect(color.every((c) => c >= 0.05 && c <= 0.95)).toBe(true);
        expect(color.map((c) => Number(c.toPrecision(7)))).toEqual(r[`${path}:color`]);
        expect(['authored', 'matte_plastic', 'glossy_plastic', 'brushed_metal']).toContain(r[`${path}:material`]);
        const texture = r[`${path}:texture`];
        expect(sample.textures[path]).toBe(texture === 'none' ? undefined : texture);
      }
      const sun = prim('/World/Sun').light!;
      const temperature = r['/World/Sun:temperature'] as number;
      expect(temperature).toBeGreaterThanOrEqual(3500);
      expect(temperature).toBeLessThanOrEqual(7500);
      kelvinToLinearRgb(temperature).forEach((c, k) => expect(sun.color[k]).toBeCloseTo(c, 5));
      expect(sun.intensity).toBeGreaterThanOrEqual(1.5);
      expect(sun.intensity).toBeLessThanOrEqual(3);
      // The sun shines along its −Z from the drawn elevation.
      const world = worldMatrices(sample.scene).get('/World/Sun')!;
      const from = new Vector3(0, 0, 1).applyQuaternion(new Quaternion().setFromRotationMatrix(world));
      expect(Math.asin(from.y) / DEG).toBeCloseTo(r['/World/Sun:elevation'] as number, 3);
      const lamps = sample.scene.prims.filter((p) => p.path.startsWith('/World/RandomLights/'));
      expect(lamps.length).toBe(r['lights[1]:count']);
      for (const lamp of lamps) expect(lamp.light!.kind).toBe('sphere');
      expect(sample.scene.gravity[0]).toBe(0);
      expect(sample.scene.gravity[1]).toBeGreaterThanOrEqual(-10.1);
      expect(sample.scene.gravity[1]).toBeLessThanOrEqual(-9.5);
      expect(sample.background.every((c) => c >= 0.02 && c <= 0.5)).toBe(true);
      // Friction and restitution go to a physics material of the object's own.
      const cube = prim('/World/Objects/RedCube');
      const material = sample.scene.physicsMaterials.find((m) => m.path === cube.collider!.physicsMaterial)!;
      expect(material.dynamicFriction).toBeCloseTo(r['/World/Objects/RedCube:friction'] as number, 6);
      expect(material.restitution).toBeCloseTo(r['/World/Objects/RedCube:restitution'] as number, 6);
      expect(cube.mass!.mass).toBeCloseTo(0.2 * (r['/World/Objects/RedCube:mass_scale'] as number), 6);
    }
  });

  it('records every randomized parameter under a readable path, as JSON with 7 significant digits', async () => {
    const sample = await sampleFrame(tabletop, spec, { seed: 1, frame: 0 });
    const keys = Object.keys(sample.randomized);
    for (const key of [
      'physics:gravity',
      '/World/Objects/RedCube:position',
      '/World/Objects/RedCube:rotation',
      '/World/Objects/RedCube:scale',
      '/World/Objects/RedCube:color',
      '/World/Objects/RedCube:material',
      '/World/Objects/RedCube:texture',
      '/World/Objects/RedCube:mass_scale',
      '/World/Objects/RedCube:friction',
      '/World/Objects/RedCube:restitution',
      '/World/Table:texture',
      '/World/Table:color',
      'distractors[0]:count',
      'distractors[1]:count',
      '/World/Sun:intensity',
      '/World/Sun:temperature',
      '/World/Sun:elevation',
      '/World/Sun:azimuth',
      'lights[1]:count',
      'camera:/World/Camera:position',
      'camera:/World/Camera:radius',
      'camera:/World/Camera:look_at',
      'camera:/World/Camera:jitter',
      'camera:/World/Camera:roll',
      'camera:/World/Camera:fov',
      'background:color',
    ]) {
      expect(keys).toContain(key);
    }
    const json = JSON.parse(JSON.stringify(sample.randomized)) as Record<string, unknown>;
    expect(json).toEqual(sample.randomized);
    const numbers = Object.values(json).flat().filter((v): v is number => typeof v === 'number');
    expect(numbers.every((x) => Number(x.toPrecision(7)) === x)).toBe(true);
  });

  it('changes per-sequence parameters only when the sequence (8 frames) changes', async () => {
    const samples = await frames(0, 24);
    const table = samples.map((s) => JSON.stringify([s.randomized['/World/Table:texture'], s.randomized['/World/Table:color']]));
    for (const k of [0, 8, 16]) expect(new Set(table.slice(k, k + 8)).size).toBe(1);
    expect(new Set(table).size).toBe(3);
    // Per-frame parameters change within a sequence.
    expect(new Set(samples.slice(0, 8).map((s) => JSON.stringify(s.randomized['/World/Objects/RedCube:color']))).size).toBe(8);
  });

  it('without a spec returns the scene unchanged, seen from its first camera', async () => {
    const sample = await sampleFrame(tabletop, null, { seed: 0, frame: 0 });
    expect(sample.scene).toEqual(tabletop);
    expect(sample.randomized).toEqual({});
    expect(sample.cameras.map((c) => c.path)).toEqual(['/World/Camera']);
    expect(sample.cameras[0]!.position).toEqual([1.6, 1.5, 1.6].map((x, k) => expect.closeTo(x, 9)) as never);
  });
});

describe('other spec features', () => {
  it('copies an asset as a distractor, with the spec`s label and none inside it', async () => {
    const s = specWith(`version: 1
distractors:
  - count: 2
    shape: /World/Objects/RedCube
    label: clutter
    scale: { uniform: [0.5, 0.8] }
    scatter: { surface: /World/Table/Top }
`);
    const sample = await sampleFrame(tabletop, s, { seed: 0, frame: 0 });
    const copies = sample.scene.prims.filter((p) => p.path.startsWith('/World/Distractors/'));
    expect(copies.map((p) => [p.path, p.type, p.labels])).toEqual([
      ['/World/Distractors/Distractor_0', 'Cube', { class: ['clutter'] }],
      ['/World/Distractors/Distractor_1', 'Cube', { class: ['clutter'] }],
    ]);
    for (const copy of copies) {
      const scale = sample.randomized[`${copy.path}:scale`] as number;
      expect(copy.transform.scale[0]).toBeCloseTo(scale, 6);
      const box = boundsOf(sample.scene, copy.path);
      expect(box.max.x - box.min.x).toBeLessThanOrEqual(0.06 * Math.SQRT2 * scale + 1e-6);
      expect(box.min.y).toBeCloseTo(TOP, 2);
    }
  });

  it('keeps surface scatter inside a `within` box as well (a part of the table), every frame', async () => {
    const s = specWith(`version: 1
objects:
  - prims: /World/Objects/*
    scatter:
      surface: /World/Table/Top
      within: { min: [-0.3, 0, -0.05], max: [0.1, 2, 0.3] }
      spacing: 0.005
settle: { seconds: 0 }
`);
    for (const sample of await frames(0, 8, 3, s)) {
      for (const path of placedBodies(sample.scene)) {
        const box = boundsOf(sample.scene, path);
        expect(box.min.x, path).toBeGreaterThanOrEqual(-0.3 + 0.01 - 1e-9);
        expect(box.max.x, path).toBeLessThanOrEqual(0.1 - 0.01 + 1e-9);
        expect(box.min.z, path).toBeGreaterThanOrEqual(-0.05 + 0.01 - 1e-9);
        expect(box.max.z, path).toBeLessThanOrEqual(0.3 - 0.01 + 1e-9);
        expect(box.min.y, path).toBeCloseTo(TOP + 0.002, 9);
      }
    }
  });

  it('scatters inside a volume, rotates freely, sets absolute masses and switches lights on and off', async () => {
    const s = specWith(`version: 1
objects:
  - prims: [/World/Objects/RedCube, /World/Objects/GreenCan]
    scatter:
      volume: { min: [-0.3, 1.0, -0.2], max: [0.3, 1.4, 0.2] }
      margin: 0
    rotation: { free: true }
    mass: { uniform: [1, 2] }
lights:
  - prims: /World/*
    count: { choice: [0, 1] }
settle: { seconds: 0 }
`);
    const volume = new Box3(new Vector3(-0.3, 1.0, -0.2), new Vector3(0.3, 1.4, 0.2));
    const lit = new Set<boolean>();
    for (const sample of await frames(0, 10, 3, s)) {
      for (const path of ['/World/Objects/RedCube', '/World/Objects/GreenCan']) {
        expect(volume.containsBox(boundsOf(sample.scene, path))).toBe(true);
        const q = sample.randomized[`${path}:rotation`] as number[];
        expect(Math.hypot(...q)).toBeCloseTo(1, 5);
      }
      const world = await PhysicsWorld.create(sample.scene);
      const mass = world.describeBodies().find((b) => b.path === '/World/Objects/GreenCan')!.mass;
      world.free();
      expect(mass).toBeCloseTo(sample.randomized['/World/Objects/GreenCan:mass'] as number, 5);
      const sun = sample.scene.prims.find((p) => p.path === '/World/Sun')!;
      const on = sample.randomized['/World/Sun:enabled'] as boolean;
      expect(sun.visible).toBe(on);
      expect(sun.light!.intensity).toBe(on ? 3 : 0);
      lit.add(on);
    }
    expect([...lit].sort()).toEqual([false, true]);
  });

  it('adds distant lights pointing from the drawn direction, and reads a background image', async () => {
    const s = specWith(`version: 1
lights:
  - add: distant
    count: 2
    elevation: 90
    azimuth: { uniform: [0, 360] }
    color: [1, 0.5, 0.25]
background:
  image: { choice: [noise, checker] }
`);
    const sample = await sampleFrame(tabletop, s, { seed: 0, frame: 0 });
    const world = worldMatrices(sample.scene);
    for (const path of ['/World/RandomLights/Light_0', '/World/RandomLights/Light_1']) {
      const light = sample.scene.prims.find((p) => p.path === path)!;
      expect(light.light).toEqual({ kind: 'distant', color: [1, 0.5, 0.25], intensity: 1, exposure: 0 });
      const down = new Vector3(0, 0, -1).applyQuaternion(new Quaternion().setFromRotationMatrix(world.get(path)!));
      expect(down.y).toBeCloseTo(-1, 6);
    }
    expect(['noise', 'checker']).toContain(sample.backgroundImage);
  });

  it('drops an object that finds no free place from above the others, still clear of them, and says so', async () => {
    const s = specWith(`version: 1
distractors:
  - count: 40
    shape: box
    size: 0.2
    scatter: { surface: /World/Table/Top, spacing: 0.01, attempts: 5 }
settle: { seconds: 0 }
`);
    const sample = await sampleFrame(tabletop, s, { seed: 0, frame: 0 });
    expect(sample.warnings.some((w) => /Distractor_\d+: no free place after 5 attempts; dropped from above/.test(w))).toBe(true);
    const boxes = placedBodies(sample.scene).map((p) => boundsOf(sample.scene, p));
    expect(boxes.length).toBe(46);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i]!, boxes[j]!];
        const gap = Math.max(a.min.x - b.max.x, b.min.x - a.max.x, a.min.y - b.max.y, b.min.y - a.max.y, a.min.z - b.max.z, b.min.z - a.max.z);
        expect(gap).toBeGreaterThanOrEqual(0.01 - 1e-9);
      }
    }
  });

  it('keeps the surface prim`s bounds as the place to scatter on, whatever the prim`s parents', () => {
    // The table top sits under a Z-up root: its world bounds are Y-up.
    const top = subtreeWorldBounds(tabletop, '/World/Table/Top');
    expect(top.min.toArray().map((x) => Number(x.toFixed(9)))).toEqual([-0.6, 0.725, -0.4]);
    expect(top.max.toArray().map((x) => Number(x.toFixed(9)))).toEqual([0.6, 0.775, 0.4]);
  });
});

describe('the frame copy of a document', () => {
  it('is the document, key for key, sharing its geometry and embedded files, and nothing else', async () => {
    const doc: SceneDocument = { ...tabletop, assets: { 'tex.png': 'base64:AAAA' } };
    const copy = copySharingGeometry(doc);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(doc));
    expect(copy.assets).toBe(doc.assets);
    doc.prims.forEach((prim, i) => {
      expect(copy.prims[i]).not.toBe(prim);
      expect(copy.prims[i]!.geometry).toBe(prim.geometry);
    });
    expect(JSON.stringify(copySharingGeometry(tabletop))).toBe(JSON.stringify(tabletop));
    expect('assets' in copySharingGeometry(tabletop)).toBe('assets' in tabletop);
  });

  it('leaves the scene as it was after a frame is drawn from it', async () => {
    const before = JSON.stringify(tabletop);
    const [frame] = await frames(3, 4);
    expect(JSON.stringify(tabletop)).toBe(before);
    // The frame's objects moved and its distractors are new shapes; the scene's shapes are shared.
    const cube = (d: SceneDocument) => d.prims.find((p) => p.path === '/World/Objects/RedCube')!;
    expect(cube(frame!.scene).geometry).toBe(cube(tabletop).geometry);
    expect(cube(frame!.scene).transform).not.toEqual(cube(tabletop).transform);
  });
});

describe('sample record', () => {
  it('is JSON-able as a whole except the scene, which is plain data', async () => {
    const sample: FrameSample = await sampleFrame(tabletop, spec, { seed: 5, frame: 9 });
    expect(JSON.parse(JSON.stringify(sample))).toEqual(sample);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Matrix4, Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { PhysicsWorld } from '../physics/world.ts';
import { bodyPosesAt } from '../robot/articulation.ts';
import { pandaDhFrames } from '../robot/pandaDh.ts';
import type { Prim, SceneDocument } from '../scene/schema.ts';
import { importMjcf, MJCF_TOKEN_MASS } from './import.ts';
import { differences } from '../testing/roundTrip.ts';
import { exportUsda } from '../usd/export.ts';
import { importUsd } from '../usd/import.ts';

const model = (body: string, head = '', tail = '') => `<mujoco model="m">${head}<worldbody>${body}</worldbody>${tail}</mujoco>`;
const load = (text: string, files: Record<string, string | Uint8Array> = {}) =>
  importMjcf(text, 'm.xml', { resolveAsset: (p) => (typeof files[p] === 'string' ? new TextEncoder().encode(files[p] as string) : (files[p] as Uint8Array | undefined)) });
const prim = (doc: SceneDocument, path: string): Prim => {
  const p = doc.prims.find((x) => x.path === path);
  if (!p) throw new Error(`no prim ${path} (have ${doc.prims.map((x) => x.path).join(', ')})`);
  return p;
};
/** A prim's pose in MuJoCo's world (Z up): the document's world pose with the root's turn undone. */
function mujocoPose(doc: SceneDocument, path: string): { position: Vector3; rotation: Quaternion } {
  const byPath = new Map(doc.prims.map((p) => [p.path, p]));
  let m = new Matrix4();
  const parts = path.split('/').filter(Boolean);
  for (let i = 2; i <= parts.length; i++) {
    const t = byPath.get(`/${parts.slice(0, i).join('/')}`)!.transform;
    m = m.multiply(new Matrix4().compose(new Vector3(...t.position), new Quaternion(...t.orientation), new Vector3(...t.scale)));
  }
  const position = new Vector3();
  const rotation = new Quaternion();
  m.decompose(position, rotation, new Vector3());
  return { position, rotation };
}
const close = (a: ArrayLike<number>, b: ArrayLike<number>, digits = 9) => Array.from(a).forEach((v, i) => expect(v, `component ${i}`).toBeCloseTo(b[i]!, digits));
/** Same rotation (q and −q are one). */
const sameRotation = (a: Quaternion, b: Quaternion, digits = 9) => expect(Math.abs(a.dot(b))).toBeCloseTo(1, digits);
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
};

describe('MJCF frames', () => {
  it('reads pos with quat (w x y z), axisangle and euler in degrees by default, and the same in radians', () => {
    const q = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), Math.PI / 2);
    const deg = load(model(`<body name="a" pos="1 2 3" quat="0.7071068 0 0 0.7071068"/><body name="b" axisangle="0 0 1 90"/><body name="c" euler="0 0 90"/>`)).document;
    close(mujocoPose(deg, '/m/a').position.toArray(), [1, 2, 3]);
    for (const name of ['a', 'b', 'c']) sameRotation(mujocoPose(deg, `/m/${name}`).rotation, q, 6);
    const rad = load(model(`<body name="b" axisangle="0 0 1 1.5707963267948966"/>`, '<compiler angle="radian"/>')).document;
    sameRotation(mujocoPose(rad, '/m/b').rotation, q);
  });

  it('applies eulerseq: lower case turns about the moving axes, upper case about the fixed ones', () => {
    const rx = new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), Math.PI / 2);
    const rz = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), Math.PI / 2);
    const intrinsic = load(model(`<body name="a" euler="90 0 90"/>`, '<compiler eulerseq="xyz"/>')).document;
    sameRotation(mujocoPose(intrinsic, '/m/a').rotation, rx.clone().multiply(rz));
    const extrinsic = load(model(`<body name="a" euler="90 0 90"/>`, '<compiler eulerseq="XYZ"/>')).document;
    sameRotation(mujocoPose(extrinsic, '/m/a').rotation, rz.clone().multiply(rx));
  });

  it('reads xyaxes (y made orthogonal to x) and zaxis (the shortest turn from +Z)', () => {
    const doc = load(model(`<body name="a" xyaxes="0 1 0 -1 0.3 0"/><body name="b" zaxis="1 0 0"/>`)).document;
    const a = mujocoPose(doc, '/m/a').rotation;
    close(new Vector3(1, 0, 0).applyQuaternion(a).toArray(), [0, 1, 0]);
    close(new Vector3(0, 1, 0).applyQuaternion(a).toArray(), [-1, 0, 0]);
    const b = mujocoPose(doc, '/m/b').rotation;
    close(new Vector3(0, 0, 1).applyQuaternion(b).toArray(), [1, 0, 0]);
  });

  it('composes nested bodies, and turns the model Z-up → the document Y-up at its root', () => {
    const doc = load(model(`<body name="a" pos="0 0 1" euler="0 0 90"><body name="b" pos="1 0 0"/></body>`)).document;
    close(mujocoPose(doc, '/m/b').position.toArray(), [0, 1, 1]);
    // In the document's world (Y up), MuJoCo's +Z is +Y and its +Y is −Z.
    const world = bodyPosesAt(doc).get('/m/b')!;
    close(new Vector3().setFromMatrixPosition(world).toArray(), [0, 1, -1]);
    expect(doc.source).toMatchObject({ format: 'mjcf', upAxis: 'Z' });
    close(doc.gravity, [0, -9.81, 0]);
  });

  it('places capsules and cylinders given by fromto at the segment middle, along it', () => {
    const doc = load(model(`<geom name="g" type="capsule" fromto="0 0 0 0.2 0 0" size="0.05"/>`)).document;
    const g = prim(doc, '/m/world/g');
    expect(g.geometry).toEqual({ kind: 'capsule', radius: 0.05, height: 0.2, axis: 'Z' });
    const pose = mujocoPose(doc, '/m/world/g');
    close(pose.position.toArray(), [0.1, 0, 0]);
    close(new Vector3(0, 0, 1).applyQuaternion(pose.rotation).toArray(), [1, 0, 0]);
  });
});

describe('MJCF defaults', () => {
  const text = model(
    `<body name="a" childclass="arm"><joint name="j1"/><geom name="g1" size="0.1"/>
       <body name="b"><joint name="j2" class="wrist"/><geom name="g2" class="main" size="0.1"/></body></body>`,
    `<default><geom rgba="1 0 0 1" type="sphere"/><joint damping="0.5"/>
       <default class="arm"><geom rgba="0 1 0 1"/><joint damping="2" range="-45 45"/>
         <default class="wrist"><joint range="-90 90"/></default></default></default>`,
  );
  const doc = load(text).document;
  const joint = (name: string) => doc.joints.find((j) => j.path === `/m/joints/${name}`)!;

  it('applies the body`s childclass to what it holds, and to nested bodies', () => {
    expect(prim(doc, '/m/a/g1').material?.color).toEqual([0, 1, 0]);
    expect(joint('j1').drives[0]).toMatchObject({ damping: 2, stiffness: 0 });
    expect(joint('j1').limits).toEqual([{ dof: 'angular', low: -Math.PI / 4, high: Math.PI / 4 }]);
  });

  it('lets an element`s own class win, nested classes inheriting what they do not set', () => {
    // wrist inherits arm's damping, sets its own range.
    expect(joint('j2').drives[0]!.damping).toBe(2);
    expect(joint('j2').limits[0]!.high).toBeCloseTo(Math.PI / 2, 12);
    // class="main" reaches back to the top-level defaults inside a childclass body.
    expect(prim(doc, '/m/b/g2').material?.color).toEqual([1, 0, 0]);
  });

  it('names an undefined class', () => {
    expect(errorOf(() => load(model('<body><geom class="nope" size="1"/></body>')))).toMatch(/^m\.xml: <body> in <worldbody> <geom> #1: class "nope" is not defined in <default>/);
  });
});

describe('MJCF mass', () => {
  it('takes <inertial> as given: diaginertia, or fullinertia diagonalised, in the inertial frame', () => {
    const doc = load(model(`<body name="a"><freejoint/><inertial pos="0 0 0.1" mass="2" diaginertia="0.1 0.2 0.3"/></body><body name="b"><freejoint/><inertial pos="0 0 0" mass="1" fullinertia="2 2 2 -1 0 -1"/></body>`)).document;
    expect(prim(doc, '/m/a').mass).toEqual({ mass: 2, centerOfMass: [0, 0, 0.1], diagonalInertia: [0.1, 0.2, 0.3], principalAxes: [0, 0, 0, 1] });
    const b = prim(doc, '/m/b').mass!;
    close([...b.diagonalInertia!].sort((x, y) => x - y), [2 - Math.SQRT2, 2, 2 + Math.SQRT2], 9);
  });

  it('computes a body`s inertia from its geoms when it has no <inertial>, as MuJoCo does', () => {
    // A 0.2 × 0.4 × 0.6 box of density 500 (24 kg) and a sphere of mass 3 and radius 0.1 at x = 1.
    const doc = load(model(`<body name="a"><freejoint/><geom type="box" size="0.1 0.2 0.3" density="500"/><geom type="sphere" size="0.1" pos="1 0 0" mass="3"/></body>`)).document;
    const m = prim(doc, '/m/a').mass!;
    expect(m.mass).toBeCloseTo(27, 12);
    close(m.centerOfMass!, [3 / 27, 0, 0], 12);
    // About the combined centre: box (m/12)(b²+c²) etc., sphere 2/5·m·r², plus the parallel-axis terms.
    const box = [(24 / 12) * (0.16 + 0.36), (24 / 12) * (0.04 + 0.36), (24 / 12) * (0.04 + 0.16)];
    const sphere = 0.4 * 3 * 0.01;
    const dBox = 3 / 27;
    const dSphere = 1 - 3 / 27;
    const expected = [box[0]! + sphere, box[1]! + sphere + 24 * dBox ** 2 + 3 * dSphere ** 2, box[2]! + sphere + 24 * dBox ** 2 + 3 * dSphere ** 2];
    close([...m.diagonalInertia!].sort((x, y) => x - y), expected.sort((x, y) => x - y), 10);
  });

  it('integrates a mesh as the solid it bounds (a unit cube from an OBJ, density 1000)', () => {
    const cube = `v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\nf 1 3 2\nf 1 4 3\nf 5 6 7\nf 5 7 8\nf 1 2 6\nf 1 6 5\nf 2 3 7\nf 2 7 6\nf 3 4 8\nf 3 8 7\nf 4 1 5\nf 4 5 8\n`;
    const doc = load(model(`<body name="a"><freejoint/><geom type="mesh" mesh="cube"/></body>`, '<compiler meshdir="meshes"/>', '<asset><mesh file="cube.obj"/></asset>'), { 'meshes/cube.obj': cube }).document;
    const m = prim(doc, '/m/a').mass!;
    expect(m.mass).toBeCloseTo(1000, 9);
    close(m.centerOfMass!, [0.5, 0.5, 0.5], 12);
    close(m.diagonalInertia!, [1000 / 6, 1000 / 6, 1000 / 6], 9);
    expect(prim(doc, '/m/a/geom_1').collider?.approximation).toBe('convexHull');
  });

  it('gives a moving body that weighs nothing a token mass, and says so', () => {
    const { document, warnings } = load(model(`<body name="a"><joint name="j"/></body>`));
    expect(prim(document, '/m/a').mass?.mass).toBe(MJCF_TOKEN_MASS);
    expect(warnings.join('\n')).toMatch(/<body name="a">: has no <inertial> and its geoms weigh nothing/);
  });
});

describe('MJCF joints and actuators', () => {
  const arm = (actuators: string, joint = '<joint name="j" axis="0 1 0" range="-30 60" damping="0.5"/>') =>
    load(model(`<body name="base"><body name="link" pos="0 0 0.1">${joint}<geom size="0.05"/></body></body>`, '', `<actuator>${actuators}</actuator>`));

  it('maps a hinge with a position servo: axis, limits in degrees, kp and kv plus joint damping, forcerange', () => {
    const { document } = arm('<position joint="j" kp="100" kv="3" forcerange="-2 2"/>');
    const j = document.joints.find((x) => x.path === '/m/joints/j')!;
    expect(j).toMatchObject({ type: 'revolute', body0: '/m/base', body1: '/m/link', axis: 'Y', localPos0: [0, 0, 0.1], localPos1: [0, 0, 0], collisionEnabled: false });
    expect(j.limits[0]!.low).toBeCloseTo(-Math.PI / 6, 12);
    expect(j.limits[0]!.high).toBeCloseTo(Math.PI / 3, 12);
    expect(j.drives).toEqual([{ dof: 'angular', type: 'force', stiffness: 100, damping: 3.5, targetPosition: 0, targetVelocity: 0, maxForce: 2 }]);
    // The base is welded to the world and carries the articulation.
    expect(prim(document, '/m/base')).toMatchObject({ body: { type: 'kinematic' }, articulationRoot: true });
    expect(prim(document, '/m/link').body?.type).toBe('dynamic');
  });

  it('reads a general actuator with an affine bias as the same servo, a motor as no drive, a slide as prismatic', () => {
    const general = arm('<general joint="j" gainprm="40" biastype="affine" biasprm="0 -40 -2"/>').document.joints[0]!;
    expect(general.drives[0]).toMatchObject({ stiffness: 40, damping: 2.5 });
    const motor = arm('<motor joint="j"/>', '<joint name="j"/>').document.joints[0]!;
    expect(motor.drives).toEqual([]);
    const slide = arm('', '<joint name="j" type="slide" axis="1 0 0" range="0 0.04"/>').document.joints[0]!;
    expect(slide).toMatchObject({ type: 'prismatic', axis: 'X', limits: [{ dof: 'linear', low: 0, high: 0.04 }] });
  });

  it('turns an axis that is not X, Y or Z onto the joint frame`s Z', () => {
    const j = arm('', '<joint name="j" axis="0 1 1"/>').document.joints[0]!;
    expect(j.axis).toBe('Z');
    close(new Vector3(0, 0, 1).applyQuaternion(new Quaternion(...j.localRot1)).toArray(), [0, Math.SQRT1_2, Math.SQRT1_2]);
  });

  it('leaves joints unlimited without a range, and with limited="false"; names an actuator`s missing joint', () => {
    expect(arm('', '<joint name="j"/>').document.joints[0]!.limits).toEqual([]);
    expect(arm('', '<joint name="j" range="-1 1" limited="false"/>').document.joints[0]!.limits).toEqual([]);
    expect(errorOf(() => arm('<position joint="nope"/>'))).toMatch(/^m\.xml: <position> #1 in <actuator>: joint "nope" does not exist/);
  });

  it('simulates: a position servo holds its joint at the target against gravity', async () => {
    const { document } = arm('<position joint="j" kp="50" kv="1"/>', '<joint name="j" axis="0 1 0"/><geom type="capsule" fromto="0 0 0 0.2 0 0" size="0.02"/>');
    const world = await PhysicsWorld.create(document, { dt: 1 / 240 });
    try {
      world.setJointTarget('/m/joints/j', 0.3);
      world.step(480);
      expect(world.jointPosition('/m/joints/j')).toBeCloseTo(0.3, 1);
    } finally {
      world.free();
    }
  });
});

describe('MJCF files and errors', () => {
  it('splices <include>d files, and finds meshes under meshdir', () => {
    const robot = `<mujoco><worldbody><body name="r"><freejoint/><geom size="0.1"/></body></worldbody></mujoco>`;
    const doc = load(`<mujoco model="scene"><include file="robot.xml"/><worldbody><geom name="floor" type="plane" size="0 0 0.05"/></worldbody></mujoco>`, { 'robot.xml': robot }).document;
    expect(doc.prims.map((p) => p.path)).toEqual(expect.arrayContaining(['/scene/r', '/scene/world/floor']));
    expect(prim(doc, '/scene/world/floor').geometry).toMatchObject({ kind: 'plane', axis: 'Z' });
  });

  it('warns about what it does not simulate, naming the elements, and keeps the rest', () => {
    const { warnings } = load(model(`<body name="a"><freejoint/><geom size="0.1"/></body>`, '', '<equality><weld name="w" body1="a"/></equality><tendon><fixed name="t"/></tendon>'));
    expect(warnings.join('\n')).toMatch(/<equality> <weld>: not supported; ignored \(<weld name="w">\)/);
    expect(warnings.join('\n')).toMatch(/<tendon> <fixed>: not supported; ignored \(<fixed name="t">\)/);
  });

  it('refuses malformed files with one line naming the element', () => {
    expect(errorOf(() => load('<mujoco><worldbody><body name="a" pos="1 2"/></worldbody></mujoco>'))).toBe('m.xml: <body name="a">: pos must be 3 numbers, got "1 2"');
    expect(errorOf(() => load('<mujoco><worldbody><body name="a" quat="1 0 0 0" euler="0 0 0"/></worldbody></mujoco>'))).toMatch(/<body name="a">: has several orientations \(quat, euler\)/);
    expect(errorOf(() => load('<mujoco><worldbody><body name="a"><joint type="screw"/></body></worldbody></mujoco>'))).toMatch(/<joint> #1: unknown joint type "screw"/);
    expect(errorOf(() => load('<robot name="r"/>'))).toMatch(/no <mujoco> element \(the document's root is <robot>\); not an MJCF file/);
    expect(errorOf(() => load('<mujoco><include file="missing.xml"/></mujoco>'))).toMatch(/<include file="missing.xml">: the file "missing.xml" was not found/);
    expect(errorOf(() => load('<mujoco><worldbody><body'))).toMatch(/^m\.xml: not valid XML \(line 1/);
  });
});

describe('the SO-101 (TheRobotStudio/SO-ARM100, MJCF and URDF)', () => {
  const dir = 'scenes/robots/so101';
  const open = async (file: string) => {
    const path = join(dir, file);
    return loadSceneFile(readFileSync(path), path, { resolveAsset: (key) => readFileSync(join(dirname(path), key)), resolveMesh: (uri) => readFileSync(join(dirname(path), uri)) });
  };

  it('opens through the importers table with its meshes, six joints driven as its servo class says', async () => {
    const { document, warnings } = await open('so101_new_calib.xml');
    expect(warnings.filter((w) => !/armature|frictionloss/.test(w))).toEqual([]);
    // Joints have their own scope: the joint "gripper" keeps its name beside the body "gripper".
    expect(document.joints.map((j) => j.path)).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'].map((n) => `/so101_new_calib/joints/${n}`));
    // sts3215 class: kp 998.22, kv 2.731 plus joint damping 0.60; the actuator's forcerange ±3.35 N·m.
    for (const j of document.joints) expect(j.drives[0]).toMatchObject({ stiffness: 998.22, maxForce: 3.35 });
    expect(document.joints[0]!.drives[0]!.damping).toBeCloseTo(3.331, 12);
    expect(document.prims.filter((p) => p.geometry?.kind === 'mesh').length).toBeGreaterThan(20);
    expect(document.prims.find((p) => p.path.endsWith('/gripperframe'))).toBeDefined();
  });

  it('has the same link poses as its URDF, within 1 mm and 0.1°, at several joint configurations', async () => {
    const mjcf = (await open('so101_new_calib.xml')).document;
    const urdf = (await open('so101_new_calib.urdf')).document;
    const names = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];
    const links: [string, string][] = [
      ['base', 'base_link'],
      ['shoulder', 'shoulder_link'],
      ['upper_arm', 'upper_arm_link'],
      ['lower_arm', 'lower_arm_link'],
      ['wrist', 'wrist_link'],
      ['gripper', 'gripper_link'],
      ['moving_jaw_so101_v1', 'moving_jaw_so101_v1_link'],
    ];
    const urdfRoot = `/${urdf.prims[0]!.path.split('/')[1]}`;
    const configs = [
      [0, 0, 0, 0, 0, 0],
      [0.5, -0.8, 1.2, -0.4, 1.5, 0.9],
      [-1.5, 1.2, -1.4, 1.3, -2.5, -0.1],
      [1.0, 0.3, 0.7, -1.2, 0.4, 1.6],
    ];
    for (const q of configs) {
      const a = bodyPosesAt(mjcf, new Map(mjcf.joints.map((j, i) => [j.path, q[i]!])));
      const b = bodyPosesAt(urdf, new Map(names.map((n, i) => [`${urdfRoot}/${n}`, q[i]!])));
      for (const [m, u] of links) {
        const pa = new Vector3().setFromMatrixPosition(a.get(`/so101_new_calib/${m}`)!);
        const pb = new Vector3().setFromMatrixPosition(b.get(`${urdfRoot}/${u}`)!);
        expect(pa.distanceTo(pb), `${m} at q = ${q.join(', ')}`).toBeLessThan(0.001);
        const qa = new Quaternion().setFromRotationMatrix(a.get(`/so101_new_calib/${m}`)!);
        const qb = new Quaternion().setFromRotationMatrix(b.get(`${urdfRoot}/${u}`)!);
        expect(qa.angleTo(qb), `${m} rotation at q = ${q.join(', ')}`).toBeLessThan((0.1 * Math.PI) / 180);
      }
    }
  });

  it('converts to USD and back as the same document (simloop convert so101_new_calib.xml robot.usda)', async () => {
    const { document } = await open('so101_new_calib.xml');
    const back = importUsd(exportUsda(document), 'robot.usda');
    expect(back.warnings).toEqual([]);
    // MuJoCo's gravity (9.81) is not UsdPhysics' default (9.80665): the USD says it with a PhysicsScene.
    const prims = back.document.prims.filter((p) => p.path !== '/PhysicsScene');
    expect(prims.map((p) => p.path)).toEqual(document.prims.map((p) => p.path));
    expect(differences({ ...back.document, prims }, { ...document, source: back.document.source })).toEqual([]);
  });

  it('stands still in a physics world with its servos holding zero', async () => {
    const { document } = await open('so101_new_calib.xml');
    const world = await PhysicsWorld.create(document);
    try {
      world.step(240);
      for (const j of document.joints) expect(Math.abs(world.jointPosition(j.path)), j.path).toBeLessThan(0.02);
    } finally {
      world.free();
    }
  });
});

describe('the Franka Panda from MuJoCo Menagerie (its MJCF, meshes left out)', () => {
  const file = 'scenes/fixtures/third-party/menagerie/franka_emika_panda/panda.xml';
  const { document, warnings } = importMjcf(readFileSync(file), file);

  it('imports its nine joints (and the welds of link8 and the hand), its general actuators as servos, and warns about what it does not simulate', () => {
    expect(document.joints.map((j) => [j.path.split('/').pop(), j.type])).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7].map((i) => [`joint${i}`, 'revolute']),
      ['link8_weld', 'fixed'],
      ['hand_weld', 'fixed'],
      ['finger_joint1', 'prismatic'],
      ['finger_joint2', 'prismatic'],
    ]);
    const joint = (name: string) => document.joints.find((j) => j.path === `/panda/joints/${name}`)!;
    // gainprm 4500, biasprm 0 −4500 −450 with the class's damping 1; forcerange ±87 from the class.
    expect(joint('joint1').drives[0]).toEqual({ dof: 'angular', type: 'force', stiffness: 4500, damping: 451, targetPosition: 0, targetVelocity: 0, maxForce: 87 });
    expect(joint('joint7').drives[0]).toMatchObject({ stiffness: 2000, damping: 201, maxForce: 12 });
    expect(joint('joint4').limits).toEqual([{ dof: 'angular', low: -3.0718, high: -0.0698 }]);
    expect(joint('joint4').drives[0]!.targetPosition).toBe(-0.0698);
    expect(joint('finger_joint1')).toMatchObject({ axis: 'Y', limits: [{ dof: 'linear', low: 0, high: 0.04 }] });
    const text = warnings.join('\n');
    for (const expected of [/<general name="actuator8">: tendon transmissions are not supported; ignored/, /<equality> <joint>: not supported/, /<tendon> <fixed>: not supported/, /<keyframe> <key>: not supported/, /spot and point lights: not simulated; ignored on <worldbody> <light name="top">/, /mesh file "assets\/link0_0.obj" was not found/]) {
      expect(text).toMatch(expected);
    }
    expect(document.filteredPairs).toEqual([['/panda/link7', '/panda/link8']]);
    // The fingertip pads (boxes from their classes) still collide; the meshes are gone.
    expect(document.prims.filter((p) => p.path.startsWith('/panda/left_finger/') && p.geometry?.kind === 'box')).toHaveLength(5);
  });

  it('puts every link where Franka`s published DH table does, at several configurations', () => {
    const turn = new Matrix4().makeRotationX(-Math.PI / 2).invert();
    const configs = [
      [0, 0, 0, -1.5, 0, 1.5, 0],
      [0.3, -0.6, 0.4, -2.1, 0.5, 1.9, -0.7],
      [-1.2, 1.0, -0.8, -0.5, 2.0, 0.4, 2.5],
    ];
    for (const q of configs) {
      const poses = bodyPosesAt(document, new Map(q.map((v, i) => [`/panda/joints/joint${i + 1}`, v])));
      const dh = pandaDhFrames(q);
      for (let i = 0; i < 8; i++) {
        // DH frames 1..7 and the flange are Menagerie's link1..link8, in MuJoCo's world (Z up).
        const mj = turn.clone().multiply(poses.get(`/panda/link${i + 1}`)!);
        const p = new Vector3().setFromMatrixPosition(mj);
        expect(p.distanceTo(new Vector3().setFromMatrixPosition(dh[i]!)), `link${i + 1} at q = ${q.join(', ')}`).toBeLessThan(1e-6);
        const r = new Quaternion().setFromRotationMatrix(mj);
        expect(r.angleTo(new Quaternion().setFromRotationMatrix(dh[i]!)), `link${i + 1} rotation`).toBeLessThan(1e-6);
      }
    }
  });
});

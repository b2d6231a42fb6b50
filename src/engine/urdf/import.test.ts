import { readFileSync } from 'node:fs';
import { Matrix3, Matrix4, Quaternion, Vector3 } from 'three';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile, SCENE_FILE_EXTENSIONS } from '../load.ts';
import { PhysicsWorld } from '../physics/world.ts';
import { ROBOT_PHYSICS, RobotArm } from '../robot/arm.ts';
import { forwardKinematics, tipPose } from '../robot/kinematics.ts';
import { robotFromScene } from '../robot/model.ts';
import { primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { Joint, Prim, SceneDocument } from '../scene/schema.ts';
import { FRAME_LINK_MASS, importUrdf, type UrdfImportOptions, URDF_DRIVE_GAINS } from './import.ts';
import { expectMatrixClose, fromPrincipal, tensorMatrix } from '../testing/inertia.ts';

const DIR = 'scenes/fixtures/urdf/';
const FILE = 'test_arm.urdf';
const text = readFileSync(DIR + FILE, 'utf8');

/** Resolves package://test_arm/… and paths relative to the URDF to the fixture folder, as a ROS workspace would. */
const resolveMesh = (uri: string): Uint8Array | null => {
  const relative = uri.startsWith('package://test_arm/') ? uri.slice('package://test_arm/'.length) : uri;
  try {
    return readFileSync(DIR + relative);
  } catch {
    return null;
  }
};
const fixture = importUrdf(text, FILE, { resolveMesh });
const doc = fixture.document;

const R = '/test_arm';
function prim(document: SceneDocument, path: string): Prim {
  const p = primIndex(document).get(path);
  if (!p) throw new Error(`no prim ${path}`);
  return p;
}
function joint(document: SceneDocument, name: string): Joint {
  const j = document.joints.find((x) => x.path === `${R}/${name}`);
  if (!j) throw new Error(`no joint ${name}`);
  return j;
}
function expectClose(actual: readonly number[], expected: readonly number[], digits = 9) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `component ${i}`).toBeCloseTo(expected[i]!, digits));
}

// ---------------------------------------------------------------- the URDF by hand

/** URDF rpy written out: R = Rz(yaw)·Ry(pitch)·Rx(roll). */
const rpy = (r: number, p: number, y: number) => new Matrix4().makeRotationZ(y).multiply(new Matrix4().makeRotationY(p)).multiply(new Matrix4().makeRotationX(r));
const origin = (xyz: [number, number, number], angles: [number, number, number] = [0, 0, 0]) => new Matrix4().makeTranslation(...xyz).multiply(rpy(...angles));
const turn = (axis: [number, number, number], q: number) => new Matrix4().makeRotationAxis(new Vector3(...axis).normalize(), q);
const slide = (axis: [number, number, number], d: number) => new Matrix4().makeTranslation(...new Vector3(...axis).multiplyScalar(d).toArray());
/** URDF (x, y, z) Z-up is the document's (x, z, −y): −90° about X. */
const Z_UP = new Matrix4().makeRotationX(-Math.PI / 2);

/** The fixture's tool point for arm joints q, composed from test_arm.urdf's origins and axes. */
function tcpByHand(q: readonly number[]): Matrix4 {
  return Z_UP.clone()
    .multiply(origin([0, 0, 0.1]))
    .multiply(turn([0, 0, 1], q[0]!))
    .multiply(origin([0, 0.05, 0.3], [0.2, -0.1, 0.4]))
    .multiply(turn([0, -0.6, -0.8], q[1]!))
    .multiply(origin([0.25, 0, 0], [0, 0.3, 0]))
    .multiply(turn([0.6, 0, 0.8], q[2]!))
    .multiply(origin([0.12, 0, 0], [0, 0, 0.25]));
}

/** The left finger's frame for arm joints q and finger opening d. */
function leftFingerByHand(q: readonly number[], d: number): Matrix4 {
  return Z_UP.clone()
    .multiply(origin([0, 0, 0.1]))
    .multiply(turn([0, 0, 1], q[0]!))
    .multiply(origin([0, 0.05, 0.3], [0.2, -0.1, 0.4]))
    .multiply(turn([0, -0.6, -0.8], q[1]!))
    .multiply(origin([0.25, 0, 0], [0, 0.3, 0]))
    .multiply(turn([0.6, 0, 0.8], q[2]!))
    .multiply(origin([0.08, 0.01, 0]))
    .multiply(slide([0, 1, 0], d));
}

function poseDistance(a: Matrix4, b: Matrix4): { position: number; angle: number } {
  const [pa, qa, pb, qb] = [new Vector3(), new Quaternion(), new Vector3(), new Quaternion()];
  a.decompose(pa, qa, new Vector3());
  b.decompose(pb, qb, new Vector3());
  return { position: pa.distanceTo(pb), angle: qa.angleTo(qb) };
}

// ---------------------------------------------------------------- the document

describe('test_arm.urdf as a scene document', () => {
  it('puts the robot under one root prim that turns URDF`s Z-up into the document`s Y-up', () => {
    const root = prim(doc, R);
    expect(root.type).toBe('Xform');
    const q = new Quaternion(...root.transform.orientation);
    const up = new Vector3(0, 0, 1).applyQuaternion(q);
    expectClose([up.x, up.y, up.z], [0, 1, 0]);
    expect(doc.gravity).toEqual([0, -9.80665, 0]);
    expect(doc.source).toMatchObject({ file: FILE, metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Z' });
  });

  it('makes every link a rigid-body prim beside the others, the root link kinematic and the articulation root', () => {
    const links = ['base_link', 'upper_arm', 'forearm', 'hand', 'tcp', 'finger_left', 'finger_right'];
    const bodies = doc.prims.filter((p) => p.body);
    expect(bodies.map((p) => p.path)).toEqual(links.map((l) => `${R}/${l}`));
    expect(bodies.map((p) => p.body!.type)).toEqual(['kinematic', ...new Array(6).fill('dynamic')]);
    expect(doc.prims.filter((p) => p.articulationRoot).map((p) => p.path)).toEqual([`${R}/base_link`]);
  });

  it('places each link at its pose for all joints at zero (composed joint origins)', () => {
    const world = worldMatrices(doc);
    const d = poseDistance(world.get(`${R}/tcp`)!, tcpByHand([0, 0, 0]));
    expect(d.position).toBeLessThan(1e-9);
    expect(d.angle).toBeLessThan(1e-7);
    const finger = poseDistance(world.get(`${R}/finger_left`)!, leftFingerByHand([0, 0, 0], 0));
    expect(finger.position).toBeLessThan(1e-9);
    expect(finger.angle).toBeLessThan(1e-7);
  });

  it('turns visuals into drawn shapes and collisions into hidden colliders, in the element`s origin frame', () => {
    const visual = prim(doc, `${R}/upper_arm/visual_0`);
    expect(visual.geometry).toEqual({ kind: 'cylinder', radius: 0.04, height: 0.3, axis: 'Z' });
    expect(visual.collider).toBeUndefined();
    expect(visual.visible).toBe(true);
    expectClose(visual.transform.position, [0, 0, 0.15]);
    const collision = prim(doc, `${R}/upper_arm/collision_0`);
    expect(collision.geometry).toEqual(visual.geometry);
    expect(collision.collider).toEqual({ enabled: true, approximation: 'none', physicsMaterial: null });
    expect(collision.visible).toBe(false);
    expect(prim(doc, `${R}/base_link/collision_0`).geometry).toEqual({ kind: 'box', size: [0.2, 0.2, 0.1] });
    expect(prim(doc, `${R}/hand/collision_0`).geometry).toEqual({ kind: 'sphere', radius: 0.04 });
    // The visual's rpy is its prim's orientation.
    const capTurn = new Quaternion(...prim(doc, `${R}/upper_arm/visual_1`).transform.orientation);
    expect(capTurn.angleTo(new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), 0.5))).toBeLessThan(1e-7);
  });

  it('reads the STL mesh (scaled 0.5, facet normals kept) and the OBJ mesh (quads split, flat normals, as a convex-hull collider)', () => {
    const stl = prim(doc, `${R}/upper_arm/visual_1`).geometry!;
    if (stl.kind !== 'mesh') throw new Error('expected a mesh');
    expect(stl.indices).toHaveLength(12); // 4 facets
    expect(Math.max(...stl.points)).toBeCloseTo(0.04, 6); // 0.08 × 0.5
    expect(Math.min(...stl.points)).toBe(0);
    expect(stl.normals).toHaveLength(stl.points.length);
    // Every facet's normal agrees with its winding (counter-clockwise from outside).
    for (let t = 0; t < stl.indices.length; t += 3) {
      const [a, b, c] = [0, 1, 2].map((k) => new Vector3().fromArray(stl.points, stl.indices[t + k]! * 3));
      const winding = b!.clone().sub(a!).cross(c!.clone().sub(a!)).normalize();
      expect(winding.dot(new Vector3().fromArray(stl.normals!, stl.indices[t]! * 3))).toBeCloseTo(1, 6);
    }
    const obj = prim(doc, `${R}/forearm/visual_0`).geometry!;
    if (obj.kind !== 'mesh') throw new Error('expected a mesh');
    // Without vn lines three's OBJLoader gives each face its own normal: 6 faces × 4 corners.
    expect(obj.points).toHaveLength(24 * 3);
    expect(obj.indices).toHaveLength(12 * 3);
    expect(obj.normals).toHaveLength(24 * 3);
    expect(Math.min(...obj.points.filter((_, i) => i % 3 === 0))).toBe(0);
    expect(Math.max(...obj.points.filter((_, i) => i % 3 === 0))).toBeCloseTo(0.25, 6);
    expect(prim(doc, `${R}/forearm/collision_0`).collider?.approximation).toBe('convexHull');
    // The COLLADA shell: authored in centimetres, 5 cm up its Z; read in metres, in the link frame.
    const dae = prim(doc, `${R}/hand/visual_2`).geometry!;
    if (dae.kind !== 'mesh') throw new Error('expected a mesh');
    expect(dae.indices).toHaveLength(12 * 3);
    expect(Math.max(...dae.points.filter((_, i) => i % 3 === 2))).toBeCloseTo(0.06, 6);
    expect(prim(doc, `${R}/hand/visual_2`).material?.color).toEqual([0.5, 0.5, 0.5]);
  });

  it('colours visuals from named and inline materials (rgba as linear RGB and opacity)', () => {
    expect(prim(doc, `${R}/base_link/visual_0`).material).toEqual({ color: [0.5, 0.5, 0.5], roughness: 0.5, metallic: 0, opacity: 1 });
    expect(prim(doc, `${R}/upper_arm/visual_0`).material?.color).toEqual([1, 0.5, 0]);
    expect(prim(doc, `${R}/forearm/visual_0`).material?.color).toEqual([0.1, 0.3, 0.8]);
    expect(prim(doc, `${R}/hand/visual_1`).material).toBeUndefined();
  });

  it('stands in for the missing mesh with the link`s collision shape, and says so naming the link and the file', () => {
    const standIn = prim(doc, `${R}/hand/visual_1`);
    expect(standIn.geometry).toEqual({ kind: 'sphere', radius: 0.04 });
    expectClose(standIn.transform.position, [0.03, 0, 0]);
    expect(fixture.warnings).toEqual([
      'joint "finger_right_joint": <mimic joint="finger_left_joint"> is not simulated; the joint is driven on its own',
      'link "hand": visual mesh "package://test_arm/meshes/missing_gripper.stl" was not found; using a stand-in: the link\'s collision geometry',
      `link "tcp": no <inertial> and no collision shapes; given a token mass of ${FRAME_LINK_MASS} kg`,
    ]);
  });

  it('reads inertials: mass, centre of mass, and the inertia tensor as principal moments and axes in the link frame', () => {
    const upper = prim(doc, `${R}/upper_arm`).mass!;
    expect(upper.mass).toBe(1.5);
    expectClose(upper.centerOfMass!, [0, 0, 0.15]);
    // Rotated into the link frame by the inertial origin's rpy, the tensor is what the moments and axes give.
    const ro = new Matrix3().setFromMatrix4(rpy(0.1, 0.2, 0.3));
    const inLink = ro.clone().multiply(tensorMatrix([0.012, 0.001, -0.002, 0.011, 0.0015, 0.004])).multiply(ro.clone().transpose());
    expectMatrixClose(fromPrincipal(upper.diagonalInertia!, new Quaternion(...upper.principalAxes!)), inLink, 1e-15);
    const forearm = prim(doc, `${R}/forearm`).mass!;
    expectMatrixClose(fromPrincipal(forearm.diagonalInertia!, new Quaternion(...forearm.principalAxes!)), tensorMatrix([0.001, 0.0002, 0, 0.006, 0, 0.006]), 1e-15);
    expect(prim(doc, `${R}/tcp`).mass?.mass).toBe(FRAME_LINK_MASS);
  });

  it('reads joints: parent and child bodies, limits in radians and metres, continuous without limits, drives with the default gains', () => {
    const shoulder = joint(doc, 'shoulder');
    expect(shoulder).toMatchObject({ type: 'revolute', body0: `${R}/base_link`, body1: `${R}/upper_arm`, axis: 'Z', collisionEnabled: false, localPos1: [0, 0, 0], localRot1: [0, 0, 0, 1] });
    expect(shoulder.limits).toEqual([{ dof: 'angular', low: -2.9, high: 2.9 }]);
    expect(shoulder.drives).toEqual([{ dof: 'angular', type: 'force', ...URDF_DRIVE_GAINS.revolute, targetPosition: 0, targetVelocity: 0, maxForce: 50 }]);
    expect(URDF_DRIVE_GAINS).toEqual({ revolute: { stiffness: 4000, damping: 100 }, prismatic: { stiffness: 2000, damping: 50 } });
    expect(joint(doc, 'elbow').limits).toEqual([{ dof: 'angular', low: -2, high: 1.5 }]);
    expect(joint(doc, 'elbow').drives[0]!.maxForce).toBe(30);
    const wrist = joint(doc, 'wrist');
    expect(wrist.type).toBe('revolute');
    expect(wrist.limits).toEqual([]);
    expect(wrist.drives[0]).toMatchObject({ dof: 'angular', maxForce: 10, targetPosition: 0 });
    const finger = joint(doc, 'finger_left_joint');
    expect(finger).toMatchObject({ type: 'prismatic', body0: `${R}/hand`, body1: `${R}/finger_left`, axis: 'Y' });
    expect(finger.limits).toEqual([{ dof: 'linear', low: 0, high: 0.04 }]);
    expect(finger.drives).toEqual([{ dof: 'linear', type: 'force', ...URDF_DRIVE_GAINS.prismatic, targetPosition: 0, targetVelocity: 0, maxForce: 20 }]);
    expect(joint(doc, 'tcp_joint')).toMatchObject({ type: 'fixed', body0: `${R}/hand`, body1: `${R}/tcp`, limits: [], drives: [] });
    expect(doc.joints.every((j) => !j.collisionEnabled)).toBe(true);
  });

  it('turns both joint frames so that the scene axis lies along a non-axis-aligned or negative URDF axis', () => {
    for (const [name, axis] of [
      ['elbow', [0, -0.6, -0.8]],
      ['wrist', [0.6, 0, 0.8]],
      ['finger_right_joint', [0, -1, 0]],
    ] as const) {
      const j = joint(doc, name);
      expect(j.axis).toBe('Z');
      // In the child link's frame (the URDF joint frame) the scene axis is the URDF axis ...
      const inChild = new Vector3(0, 0, 1).applyQuaternion(new Quaternion(...j.localRot1));
      expectClose([inChild.x, inChild.y, inChild.z], axis);
      // ... and in the parent it is the URDF axis turned by the origin's rpy.
      const inParent = new Vector3(0, 0, 1).applyQuaternion(new Quaternion(...j.localRot0));
      const expected = new Vector3(...axis).applyQuaternion(new Quaternion(...j.localRot0).multiply(new Quaternion(...j.localRot1).invert()));
      expectClose([inParent.x, inParent.y, inParent.z], [expected.x, expected.y, expected.z]);
    }
  });

  it('keeps the robot from colliding with itself: one collision group that filters itself, holding the robot', () => {
    expect(doc.collisionGroups).toEqual([{ path: `${R}/SelfCollisionGroup`, members: [R], filteredGroups: [`${R}/SelfCollisionGroup`], invertFilteredGroups: false }]);
    expect(prim(doc, `${R}/SelfCollisionGroup`).type).toBe('PhysicsCollisionGroup');
  });

  it('opens through the scene-file registry too (meshes then become stand-ins, each named)', async () => {
    expect(SCENE_FILE_EXTENSIONS).toContain('.urdf');
    const loaded = await loadSceneFile(new TextEncoder().encode(text), FILE);
    expect(loaded.document.prims.map((p) => p.path)).toEqual(doc.prims.map((p) => p.path));
    expect(loaded.warnings).toContain('link "forearm": visual mesh "meshes/forearm.obj" was not found (no mesh resolver was given); using a stand-in: a 5 cm box');
    expect(prim(loaded.document, `${R}/forearm/collision_0`).geometry).toEqual({ kind: 'box', size: [0.05, 0.05, 0.05] });
    // The elbow cap's visual has the link's collision cylinder to stand in for it.
    expect(prim(loaded.document, `${R}/upper_arm/visual_1`).geometry).toMatchObject({ kind: 'cylinder' });
  });
});

// ---------------------------------------------------------------- the robot

describe('test_arm.urdf as a robot', () => {
  const model = robotFromScene(doc);

  it('is found by robotFromScene: the arm joints in order, the tool point link as end effector, the fingers on the hand it is fixed to', () => {
    expect(model.root).toBe(`${R}/base_link`);
    expect(model.armJoints.map((j) => j.path)).toEqual([`${R}/shoulder`, `${R}/elbow`, `${R}/wrist`]);
    expect(model.armJoints.map((j) => [j.lower, j.upper])).toEqual([
      [-2.9, 2.9],
      [-2, 1.5],
      [-Infinity, Infinity],
    ]);
    expect(model.endEffector).toBe(`${R}/tcp`);
    expect(model.gripperJoints.map((j) => j.path)).toEqual([`${R}/finger_left_joint`, `${R}/finger_right_joint`]);
    expect(model.links).toHaveLength(7);
  });

  it('has forward kinematics equal to the URDF composed by hand (to a micrometre, several configurations)', () => {
    for (const q of [
      [0, 0, 0],
      [0.5, -0.7, 1.2],
      [-2.5, 1.4, -3.0],
      [1.9, -1.9, 5.5],
    ]) {
      const d = poseDistance(forwardKinematics(model.chain, q).tip, tcpByHand(q));
      expect(d.position, `q = ${q}`).toBeLessThan(1e-6);
      expect(d.angle, `q = ${q}`).toBeLessThan(1e-6);
    }
  });

  it('puts a planar two-link arm`s tool where a hand calculation does', () => {
    const planar = importUrdf(
      `<robot name="planar">
        <link name="base"/>
        <link name="upper"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
        <link name="tcp"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
        <joint name="j1" type="revolute"><parent link="base"/><child link="upper"/><origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
        <joint name="j2" type="revolute"><parent link="upper"/><child link="tcp"/><origin xyz="0.3 0 0"/><axis xyz="0 0 -1"/><limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
      </robot>`,
      'planar.urdf',
    ).document;
    // j1 = 90° swings the upper link to +Y, its end at (0, 0.3, 0.1); j2 = 90° about −Z turns the
    // tool back to +X. URDF (x, y, z) = (0, 0.3, 0.1) is the document's (0, 0.1, −0.3).
    const tip = tipPose(robotFromScene(planar).chain, [Math.PI / 2, Math.PI / 2]);
    expectClose(tip.position.toArray(), [0, 0.1, -0.3]);
    const x = new Vector3(1, 0, 0).applyQuaternion(tip.quaternion);
    expectClose(x.toArray(), [1, 0, 0]);
  });
});

// ---------------------------------------------------------------- simulation

describe('test_arm.urdf simulated', () => {
  let world: PhysicsWorld | null = null;
  afterEach(() => {
    world?.free();
    world = null;
  });

  it('has the inertia the URDF gives, in the simulated body', async () => {
    world = await PhysicsWorld.create(doc, ROBOT_PHYSICS);
    const m = world.massProperties(`${R}/upper_arm`);
    expect(m.mass).toBeCloseTo(1.5, 5);
    expectClose(m.centerOfMass, [0, 0, 0.15], 6);
    const ro = new Matrix3().setFromMatrix4(rpy(0.1, 0.2, 0.3));
    const inLink = ro.clone().multiply(tensorMatrix([0.012, 0.001, -0.002, 0.011, 0.0015, 0.004])).multiply(ro.clone().transpose());
    // Rapier keeps single precision.
    expectMatrixClose(fromPrincipal(m.principalInertia, new Quaternion(...m.inertiaFrame)), inLink, 1e-8);
    expect(world.warnings).toEqual([]);
  });

  /** Runs the arm to joint values q (and the fingers to their openings) for two seconds. */
  async function driveTo(q: number[], fingers: [number, number], gravityCompensation: boolean) {
    world = await PhysicsWorld.create(doc, ROBOT_PHYSICS);
    const model = robotFromScene(doc);
    const arm = new RobotArm(world, model, { controlHz: 20, gravityCompensation });
    // The fingers are not the end effector's (robotFromScene looks for them on the tcp link), and
    // the mimic is not simulated: each is driven on its own.
    world.setJointTarget(`${R}/finger_left_joint`, fingers[0]);
    world.setJointTarget(`${R}/finger_right_joint`, fingers[1]);
    for (let k = 0; k < 40; k++) arm.step({ kind: 'joint_position', q });
    return { arm, model, world };
  }

  it('drives the joints to their targets: arm joints through RobotArm, fingers by setJointTarget', async () => {
    const q = [0.8, -0.9, 1.7];
    const { arm, model, world } = await driveTo(q, [0.03, 0.02], true);
    const state = arm.state();
    state.q.forEach((v, i) => expect(Math.abs(v - q[i]!), `joint ${model.armJoints[i]!.path}`).toBeLessThan(1e-4));
    expect(Math.abs(world.jointPosition(`${R}/finger_left_joint`) - 0.03)).toBeLessThan(1e-5);
    expect(Math.abs(world.jointPosition(`${R}/finger_right_joint`) - 0.02)).toBeLessThan(1e-5);
    // The simulated tool point and finger are where the URDF puts them for these joint values.
    const body = (path: string) => {
      const s = world.bodyState(path);
      return new Matrix4().compose(new Vector3(...s.position), new Quaternion(...s.orientation), new Vector3(1, 1, 1));
    };
    expect(poseDistance(body(`${R}/tcp`), tcpByHand(q)).position).toBeLessThan(1e-4);
    expect(poseDistance(body(`${R}/finger_left`), leftFingerByHand(q, 0.03)).position).toBeLessThan(1e-4);
    // At rest, not jittering.
    expect(world.maxMotion().speed).toBeLessThan(1e-3);
    expect(world.warnings).toEqual([]);
  });

  it('holds against gravity with the default gains alone (sag = gravity torque / stiffness, a few milliradians)', async () => {
    const q = [-0.5, 0.6, -1];
    const { arm } = await driveTo(q, [0.01, 0.01], false);
    arm.state().q.forEach((v, i) => expect(Math.abs(v - q[i]!), `joint ${i}`).toBeLessThan(5e-3));
  });
});

// ---------------------------------------------------------------- errors

const robot = (body: string) => `<?xml version="1.0"?>\n<robot name="r">\n${body}\n</robot>\n`;
const links = (...names: string[]) => names.map((n) => `<link name="${n}"/>`).join('\n');
const fixedJoint = (name: string, parent: string, child: string) => `<joint name="${name}" type="fixed"><parent link="${parent}"/><child link="${child}"/></joint>`;

function problem(source: string, options?: UrdfImportOptions): string {
  try {
    importUrdf(source, 'bad.urdf', options);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('URDF files that are not usable robots', () => {
  it('names a file that is not XML, or XML without <robot>, or unexpanded xacro', () => {
    expect(problem('solid not xml')).toMatch(/^bad\.urdf: not valid XML \(line 1, column 1: /);
    expect(problem('<robot><link name="a"></robot>')).toMatch(/^bad\.urdf: not valid XML \(line 1/);
    expect(problem('<?xml version="1.0"?><sdf version="1.9"/>')).toBe('bad.urdf: no <robot> element (the document\'s root is <sdf>); not a URDF file');
    expect(problem('')).toBe('bad.urdf: file is empty');
    expect(problem(robot('<xacro:macro name="m"/>'))).toMatch(/this is a xacro file/);
    expect(problem(robot(''))).toBe('bad.urdf: <robot> has no <link>');
    expect(problem(robot('<__proto__/>'))).toMatch(/^bad\.urdf: XML that cannot be read \(.*__proto__/);
  });

  it('names a dangling joint', () => {
    expect(problem(robot(`${links('a')}${fixedJoint('j', 'a', 'nowhere')}`))).toBe('bad.urdf: joint "j": child link "nowhere" does not exist (dangling joint)');
    expect(problem(robot(`${links('a')}${fixedJoint('j', 'nowhere', 'a')}`))).toBe('bad.urdf: joint "j": parent link "nowhere" does not exist (dangling joint)');
  });

  it('names a link that is the child of two joints', () => {
    expect(problem(robot(`${links('a', 'b', 'c')}${fixedJoint('j1', 'a', 'c')}${fixedJoint('j2', 'b', 'c')}`))).toBe(
      'bad.urdf: link "c": is the child of two joints ("j1" and "j2"); a URDF robot must be a tree',
    );
  });

  it('names the joints of a loop, whether or not the rest has a root', () => {
    // a is the root; b and c hang off each other.
    expect(problem(robot(`${links('a', 'b', 'c')}${fixedJoint('j1', 'b', 'c')}${fixedJoint('j2', 'c', 'b')}`))).toMatch(
      /^bad\.urdf: joint "j[12]": closes a loop \(joints "j[12]" → "j[12]"\); a URDF robot must be a tree$/,
    );
    expect(problem(robot(`${links('a', 'b')}${fixedJoint('j1', 'a', 'b')}${fixedJoint('j2', 'b', 'a')}`))).toMatch(/closes a loop \(joints "j[12]" → "j[12]"\), so no link is the root/);
    expect(problem(robot(`${links('a')}${fixedJoint('j', 'a', 'a')}`))).toBe('bad.urdf: joint "j": parent and child are the same link "a" (a loop)');
  });

  it('says when there are several root links', () => {
    expect(problem(robot(`${links('a', 'b', 'c')}${fixedJoint('j', 'a', 'b')}`))).toBe(
      'bad.urdf: links "a", "c": several root links (links that are no joint\'s child); a URDF robot has exactly one',
    );
  });

  it('names a joint whose lower limit is above its upper', () => {
    const body = `${links('a', 'b')}<joint name="hinge" type="revolute"><parent link="a"/><child link="b"/><limit lower="1" upper="-1" effort="1" velocity="1"/></joint>`;
    expect(problem(robot(body))).toBe('bad.urdf: joint "hinge": <limit> lower 1 is above upper -1');
  });

  it('names a link with negative mass', () => {
    const body = `<link name="a"/><link name="b"><inertial><mass value="-2"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial></link>${fixedJoint('j', 'a', 'b')}`;
    expect(problem(robot(body))).toBe('bad.urdf: link "b": <mass value> must not be negative, got -2');
  });

  it('names a joint of unknown type, or without one', () => {
    expect(problem(robot(`${links('a', 'b')}<joint name="ball" type="spherical"><parent link="a"/><child link="b"/></joint>`))).toBe(
      'bad.urdf: joint "ball": unknown type "spherical" (URDF joint types: revolute, continuous, prismatic, fixed, floating, planar)',
    );
    expect(problem(robot(`${links('a', 'b')}<joint name="j"><parent link="a"/><child link="b"/></joint>`))).toMatch(/joint "j": no type/);
  });

  it('names malformed numbers, duplicate names, and an axis without direction', () => {
    expect(problem(robot(`${links('a', 'b')}<joint name="j" type="fixed"><parent link="a"/><child link="b"/><origin xyz="1 2"/></joint>`))).toBe(
      'bad.urdf: joint "j": <origin xyz> must be 3 numbers, got "1 2"',
    );
    expect(problem(robot('<link name="a"><visual><geometry><box size="1 x 1"/></geometry></visual></link>'))).toBe('bad.urdf: link "a": <box size> must be 3 numbers, got "1 x 1"');
    expect(problem(robot('<link name="a"><collision><geometry><sphere radius="-1"/></geometry></collision></link>'))).toBe('bad.urdf: link "a": <sphere radius> must not be negative, got -1');
    expect(problem(robot(links('a', 'a')))).toBe('bad.urdf: link "a": is defined twice');
    expect(problem(robot(`${links('a', 'b', 'c')}${fixedJoint('j', 'a', 'b')}${fixedJoint('j', 'a', 'c')}`))).toBe('bad.urdf: joint "j": is defined twice');
    expect(problem(robot(`${links('a', 'b')}<joint name="j" type="continuous"><parent link="a"/><child link="b"/><axis xyz="0 0 0"/></joint>`))).toBe(
      'bad.urdf: joint "j": <axis xyz="0 0 0"> has no direction',
    );
  });
});

// ---------------------------------------------------------------- approximations, warned

describe('URDF content imported approximately, with warnings', () => {
  const two = (childLink: string, jointXml = fixedJoint('j', 'a', 'b')) => robot(`<link name="a"/>\n${childLink}\n${jointXml}`);

  it('warns about a non-positive-definite inertia and uses the collision shapes` inertia at the given mass', async () => {
    const { document, warnings } = importUrdf(
      two('<link name="b"><inertial><mass value="2"/><inertia ixx="1" iyy="1" izz="-1" ixy="0" ixz="0" iyz="0"/></inertial><collision><geometry><box size="0.1 0.2 0.3"/></geometry></collision></link>'),
      'soft.urdf',
    );
    expect(warnings).toEqual(['link "b": <inertia> is not positive definite (principal moments 1.00, 1.00, -1.00); the collision shapes\' inertia scaled to the mass is used']);
    expect(prim(document, '/r/b').mass).toEqual({ mass: 2, centerOfMass: [0, 0, 0] });
    const world = await PhysicsWorld.create(document);
    try {
      const m = world.massProperties('/r/b');
      expect(m.mass).toBeCloseTo(2, 5);
      // A solid box's moments: m (b² + c²) / 12, ...
      expectClose([...m.principalInertia].sort(), [(2 * (0.01 + 0.04)) / 12, (2 * (0.01 + 0.09)) / 12, (2 * (0.04 + 0.09)) / 12].sort(), 5);
    } finally {
      world.free();
    }
  });

  it('without an inertial, leaves the mass to the collision shapes` density and says so', () => {
    const { document, warnings } = importUrdf(two('<link name="b"><collision><geometry><sphere radius="0.1"/></geometry></collision></link>'), 'm.urdf');
    expect(prim(document, '/r/b').mass).toBeUndefined();
    expect(warnings).toEqual(['link "b": no <inertial>; mass from the collision shapes at the default density (1000 kg/m³)']);
  });

  it('reads a COLLADA mesh: its unit applied (cm → m), its up axis not, node transforms applied, textures ignored', () => {
    const dae = readFileSync(DIR + 'meshes/wrist_shell.dae');
    const domParserBefore = 'DOMParser' in globalThis;
    const { document, warnings } = importUrdf(
      two('<link name="b"><visual><geometry><mesh filename="package://p/meshes/wrist_shell.dae"/></geometry></visual><collision><geometry><mesh filename="package://p/meshes/wrist_shell.dae" scale="2 1 1"/></geometry></collision></link>'),
      'dae.urdf',
      { resolveMesh: () => dae },
    );
    // No warning about the mesh: the one there is is the missing inertial's.
    expect(warnings).toEqual(['link "b": no <inertial>; mass from the collision shapes at the default density (1000 kg/m³)']);
    // The file: a 10 × 4 × 2 cm box, Z_UP, 5 cm along its Z above the link frame.
    const box = (path: string): { min: number[]; max: number[]; triangles: number } => {
      const mesh = prim(document, path).geometry!;
      if (mesh.kind !== 'mesh') throw new Error('expected a mesh');
      const axis = (k: number): number[] => mesh.points.filter((_, i) => i % 3 === k);
      return { min: [0, 1, 2].map((k) => Math.min(...axis(k))), max: [0, 1, 2].map((k) => Math.max(...axis(k))), triangles: mesh.indices.length / 3 };
    };
    const visual = box('/r/b/visual_0');
    expect(visual.triangles).toBe(12);
    expectClose(visual.min, [-0.05, -0.02, 0.04], 1e-6);
    expectClose(visual.max, [0.05, 0.02, 0.06], 1e-6);
    // The URDF's scale multiplies on top of the file's unit.
    const collision = box('/r/b/collision_0');
    expectClose(collision.min, [-0.1, -0.02, 0.04], 1e-6);
    expectClose(collision.max, [0.1, 0.02, 0.06], 1e-6);
    // The DOMParser stand-in was only there while parsing.
    expect('DOMParser' in globalThis).toBe(domParserBefore);
  });

  it('replaces an unreadable COLLADA file and an unreadable STL by stand-ins, naming link, file and reason', () => {
    const { document, warnings } = importUrdf(
      two('<link name="b"><visual><geometry><mesh filename="package://p/shell.dae"/></geometry></visual><collision><geometry><mesh filename="package://p/broken.stl"/></geometry></collision></link>'),
      'dae.urdf',
      { resolveMesh: (uri) => new TextEncoder().encode(uri.endsWith('.stl') ? 'solid nothing here' : '<COLLADA><library_geometries>') },
    );
    expect(warnings[0]).toMatch(/^link "b": visual mesh "package:\/\/p\/shell\.dae" is not a readable COLLADA file \(not well-formed XML: .+\); using a stand-in: a 5 cm box$/);
    expect(warnings[1]).toMatch(/^link "b": collision mesh "package:\/\/p\/broken\.stl" is not a readable STL file \(.*\); using a stand-in: a 5 cm box$/);
    expect(prim(document, '/r/b/visual_0').geometry).toEqual({ kind: 'box', size: [0.05, 0.05, 0.05] });
    expect(prim(document, '/r/b/collision_0').collider?.enabled).toBe(true);
    const notCollada = importUrdf(two('<link name="b"><visual><geometry><mesh filename="x.dae"/></geometry></visual></link>'), 'dae.urdf', { resolveMesh: () => new TextEncoder().encode('<svg/>') });
    expect(notCollada.warnings[0]).toContain('is not a readable COLLADA file (the root element is <svg>, not <COLLADA>)');
  });

  it('reads a binary STL, and keeps triangles counter-clockwise under a mirroring scale', () => {
    // One triangle in the XY plane, facing +Z.
    const stl = new Uint8Array(84 + 50);
    const view = new DataView(stl.buffer);
    view.setUint32(80, 1, true);
    [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0].forEach((v, i) => view.setFloat32(84 + i * 4, v, true));
    const { document } = importUrdf(two('<link name="b"><visual><geometry><mesh filename="m.stl" scale="-1 1 1"/></geometry></visual></link>'), 'bin.urdf', { resolveMesh: () => stl });
    const mesh = prim(document, '/r/b/visual_0').geometry!;
    if (mesh.kind !== 'mesh') throw new Error('expected a mesh');
    expect(mesh.points).toEqual([-0, 0, 0, -1, 0, 0, -0, 1, 0]);
    const [a, b, c] = [0, 1, 2].map((k) => new Vector3().fromArray(mesh.points, mesh.indices[k]! * 3));
    // Mirrored in X, the face still faces +Z, and its winding agrees.
    expect(b!.clone().sub(a!).cross(c!.clone().sub(a!)).z).toBeGreaterThan(0);
    expectClose(mesh.normals!, [0, 0, 1, 0, 0, 1, 0, 0, 1]);
  });

  it('imports floating and planar joints as fixed, normalises axes, and reports ignored elements once each', () => {
    const { document, warnings } = importUrdf(
      robot(`${links('a', 'b', 'c', 'd')}
        <joint name="free" type="floating"><parent link="a"/><child link="b"/></joint>
        <joint name="flat" type="planar"><parent link="a"/><child link="c"/><axis xyz="0 0 1"/></joint>
        <joint name="spin" type="continuous"><parent link="a"/><child link="d"/><axis xyz="0 0 2"/><dynamics damping="0.1"/></joint>
        <gazebo reference="a"/><gazebo/><transmission name="t"/>`),
      'odd.urdf',
    );
    expect(document.joints.map((j) => j.type)).toEqual(['fixed', 'fixed', 'revolute']);
    expect(document.joints[2]).toMatchObject({ axis: 'Z', localRot1: [0, 0, 0, 1], limits: [], drives: [{ maxForce: null }] });
    expect(warnings).toEqual([
      'odd.urdf: <gazebo> elements (2) are not part of URDF\'s robot model; ignored',
      'odd.urdf: <transmission> element is not part of URDF\'s robot model; ignored',
      'joint "free": floating joints are not supported; imported as fixed',
      'joint "flat": planar joints are not supported; imported as fixed',
      'joint "spin": <axis xyz="0 0 2"> is not a unit vector; normalised',
      'link "b": no <inertial> and no collision shapes; given a token mass of 0.01 kg',
      'link "c": no <inertial> and no collision shapes; given a token mass of 0.01 kg',
      'link "d": no <inertial> and no collision shapes; given a token mass of 0.01 kg',
      'odd.urdf: <dynamics> is not simulated; ignored on joint "spin"',
    ]);
  });

  it('clamps the drive target into the limits, and makes names prim-safe and unique', () => {
    const { document, warnings } = importUrdf(
      robot(`<link name="base"/><link name="arm.1"/>
        <joint name="arm.1" type="prismatic"><parent link="base"/><child link="arm.1"/><limit lower="0.1" upper="0.5" effort="5" velocity="1"/></joint>`),
      'names.urdf',
    );
    expect(document.joints[0]).toMatchObject({ path: '/r/arm_1_1', body1: '/r/arm_1', axis: 'X' });
    expect(document.joints[0]!.drives[0]!.targetPosition).toBe(0.1);
    expect(warnings).toContain('link "arm.1": imported as /r/arm_1 (prim names take letters, digits and _)');
    expect(warnings).toContain('joint "arm.1": imported as /r/arm_1_1 (prim names take letters, digits and _)');
  });
});



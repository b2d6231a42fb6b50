import { readFileSync } from 'node:fs';
import { Matrix4, Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { seededRandom } from '../testing/usda.ts';
import { forwardKinematics } from './kinematics.ts';
import { robotFromScene } from './model.ts';
import { PANDA_HOME, PANDA_LIMITS, pandaDhFrames } from './pandaDh.ts';
import { buildPandaTabletopUsda } from './pandaUsda.ts';

const SCENE = 'scenes/panda_tabletop.usda';
const text = readFileSync(SCENE, 'utf8');
const load = () => loadSceneFile(new TextEncoder().encode(text), 'panda_tabletop.usda');
const panda = (await load()).document;

const randomConfig = (random: () => number) => PANDA_LIMITS.map(([lo, hi]) => lo + (hi - lo) * random());

describe('the bundled Panda scene', () => {
  it('is exactly what scripts/panda-usda.ts generates (edit the script, then run it)', () => {
    expect(text).toBe(buildPandaTabletopUsda());
  });

  it('imports without warnings', async () => {
    expect((await load()).warnings).toEqual([]);
  });
});

describe('robotFromScene on the Panda', () => {
  const model = robotFromScene(panda);

  it('finds the arm joints in order, the two finger joints, the hand as end effector and the wrist camera', () => {
    expect(model.root).toBe('/World/Panda/link0');
    expect(model.armJoints.map((j) => j.path)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `/World/Panda/joint${i}`));
    expect(model.armJoints.every((j) => j.type === 'revolute' && j.hasDrive)).toBe(true);
    expect(model.gripperJoints.map((j) => j.path)).toEqual(['/World/Panda/finger_joint1', '/World/Panda/finger_joint2']);
    expect(model.gripperJoints.map((j) => [j.lower, j.upper])).toEqual([
      [0, 0.04],
      [0, 0.04],
    ]);
    expect(model.endEffector).toBe('/World/Panda/hand');
    expect(model.cameras).toEqual(['/World/Panda/hand/wrist_camera']);
    expect(model.links).toHaveLength(11);
  });

  it('reads the published joint limits (degrees in USD) back in radians, and the home pose as drive targets', () => {
    model.armJoints.forEach((j, i) => {
      expect(j.lower).toBeCloseTo(PANDA_LIMITS[i]![0], 5);
      expect(j.upper).toBeCloseTo(PANDA_LIMITS[i]![1], 5);
      expect(j.target).toBeCloseTo(PANDA_HOME[i]!, 5);
    });
  });

  it('has forward kinematics equal to the published DH parameters (sub-millimetre, 20 configurations)', () => {
    // The document is Y-up; the DH base frame is the robot base (link0) in the world.
    const random = seededRandom(7);
    for (let k = 0; k < 20; k++) {
      const q = k === 0 ? PANDA_HOME : randomConfig(random);
      const expected = model.chain.base.clone().multiply(pandaDhFrames(q)[9]!);
      const got = forwardKinematics(model.chain, q).tip;
      const [pe, qe, pg, qg] = [new Vector3(), new Quaternion(), new Vector3(), new Quaternion()];
      expected.decompose(pe, qe, new Vector3());
      got.decompose(pg, qg, new Vector3());
      expect(pg.distanceTo(pe), `configuration ${k}`).toBeLessThan(1e-4);
      expect(qg.angleTo(qe), `configuration ${k}`).toBeLessThan(1e-4);
    }
  });

  it('puts the base where the scene mounts it: on the table top, Z-up turned into the document`s Y-up', () => {
    const p = new Vector3().setFromMatrixPosition(model.chain.base);
    expect(p.x).toBeCloseTo(-0.45, 9);
    expect(p.y).toBeCloseTo(0.75, 9);
    expect(p.z).toBeCloseTo(0, 9);
    // The DH z axis (up for the robot) is the document's +Y.
    const up = new Vector3(0, 0, 1).transformDirection(model.chain.base);
    expect(up.y).toBeCloseTo(1, 9);
  });
});

/** The Panda scene with an edit applied to a copy. */
function edited(edit: (doc: SceneDocument) => void): SceneDocument {
  const doc = structuredClone(panda);
  edit(doc);
  return doc;
}

describe('robotFromScene on bad robots', () => {
  const problem = (doc: SceneDocument, root?: string) => {
    try {
      robotFromScene(doc, root);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    }
    throw new Error('expected an InputError');
  };

  it('names a dangling joint', () => {
    const doc = edited((d) => (d.joints.find((j) => j.path.endsWith('joint4'))!.body1 = '/World/Panda/nothing'));
    expect(problem(doc)).toMatch(/\/World\/Panda\/joint4: dangling joint: \/World\/Panda\/nothing is not a rigid body/);
  });

  it('names a joint whose limits are impossible', () => {
    const doc = edited((d) => {
      const limit = d.joints.find((j) => j.path.endsWith('joint2'))!.limits[0]!;
      limit.low = 1;
      limit.high = -1;
    });
    expect(problem(doc)).toMatch(/\/World\/Panda\/joint2: impossible limits: lower 1 is above upper -1/);
  });

  it('names the joint that closes a loop', () => {
    const doc = edited((d) => d.joints.push({ ...structuredClone(d.joints[0]!), path: '/World/Panda/shortcut', body0: '/World/Panda/link2', body1: '/World/Panda/link5' }));
    // link2 → link3 → link4 → link5 → link2: whichever joint the walk meets last is named.
    expect(problem(doc)).toMatch(/\/World\/Panda\/joint\d: closes a kinematic loop at \/World\/Panda\/link\d \(already joined by \/World\/Panda\/(joint\d|shortcut)\); robots must be trees/);
  });

  it('says when there is no articulation root, or more than one', () => {
    expect(problem(edited((d) => d.prims.forEach((p) => (p.articulationRoot = false))))).toMatch(/no robot: no prim has PhysicsArticulationRootAPI/);
    expect(problem(edited((d) => (d.prims.find((p) => p.path === '/World/Objects/RedCube')!.articulationRoot = true)))).toMatch(/several articulation roots/);
    expect(problem(panda, '/World/Table/Top')).toMatch(/\/World\/Table\/Top: the articulation root is not a rigid body/);
  });

  it('refuses joint types a serial robot cannot have', () => {
    const doc = edited((d) => (d.joints.find((j) => j.path.endsWith('joint3'))!.type = 'spherical'));
    expect(problem(doc)).toMatch(/joint3: spherical joints are not supported in a robot/);
  });

  it('without a tcp prim, takes the hand the fingers hang from, with the tool point at its origin', () => {
    const doc = edited((d) => (d.prims = d.prims.filter((p) => !p.path.endsWith('/tcp'))));
    const model = robotFromScene(doc);
    expect(model.endEffector).toBe('/World/Panda/hand');
    expect(model.armJoints).toHaveLength(7);
    expect(model.gripperJoints.map((j) => j.path)).toEqual(['/World/Panda/finger_joint1', '/World/Panda/finger_joint2']);
    expect(model.tcp.equals(new Matrix4())).toBe(true);
  });
});

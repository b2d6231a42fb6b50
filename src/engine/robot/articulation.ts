/**
 * Where every rigid body of a scene document is for given joint positions: forward kinematics over
 * the document's joints themselves (any tree of revolute, prismatic and fixed joints, from any
 * importer), without building a physics world. A body that no joint moves stays at its authored
 * pose. Used to compare robot descriptions (an MJCF and a URDF of one arm) and to place arms.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { worldMatrices } from '../scene/hierarchy.ts';
import type { Joint, SceneDocument } from '../scene/schema.ts';

const AXES = { X: new Vector3(1, 0, 0), Y: new Vector3(0, 1, 0), Z: new Vector3(0, 0, 1) } as const;
const ONE = new Vector3(1, 1, 1);

/** A rigid frame from a position and a quaternion [x, y, z, w] (a joint's frame in its body). */
export const jointFrame = (position: readonly number[], rotation: readonly number[]) =>
  new Matrix4().compose(new Vector3(position[0], position[1], position[2]), new Quaternion(rotation[0], rotation[1], rotation[2], rotation[3]).normalize(), ONE);

/** A world matrix with its scale taken out: where a body is and how it is turned. */
export function withoutScale(m: Matrix4): Matrix4 {
  const p = new Vector3();
  const q = new Quaternion();
  m.decompose(p, q, new Vector3());
  return new Matrix4().compose(p, q.normalize(), ONE);
}

/** The motion of a joint at position `q` (radians or metres) in its own frame. */
function motion(joint: Joint, q: number): Matrix4 {
  if (joint.type === 'revolute') return new Matrix4().makeRotationAxis(AXES[joint.axis], q);
  if (joint.type === 'prismatic') return new Matrix4().makeTranslation(AXES[joint.axis].clone().multiplyScalar(q));
  return new Matrix4();
}

/**
 * World matrices of the document's rigid bodies with the joints at `positions` (by joint path;
 * absent joints at 0). Child bodies follow their parent through the joint frames:
 * body1 = body0 · frame0 · motion(q) · frame1⁻¹.
 */
export function bodyPosesAt(doc: SceneDocument, positions: ReadonlyMap<string, number> = new Map()): Map<string, Matrix4> {
  const authored = worldMatrices(doc);
  const poses = new Map<string, Matrix4>();
  for (const prim of doc.prims) if (prim.body) poses.set(prim.path, authored.get(prim.path)!.clone());
  const children = new Map<string, Joint[]>();
  const moved = new Set<string>();
  for (const joint of doc.joints) {
    if (!joint.enabled || joint.body0 === null || joint.body1 === null || joint.type === 'spherical' || joint.type === 'distance' || joint.type === 'd6') continue;
    children.set(joint.body0, [...(children.get(joint.body0) ?? []), joint]);
    moved.add(joint.body1);
  }
  const visit = (body: string) => {
    for (const joint of children.get(body) ?? []) {
      const parent = poses.get(body);
      if (!parent || !poses.has(joint.body1!)) continue;
      const pose = parent
        .clone()
        .multiply(jointFrame(joint.localPos0, joint.localRot0))
        .multiply(motion(joint, positions.get(joint.path) ?? 0))
        .multiply(jointFrame(joint.localPos1, joint.localRot1).invert());
      poses.set(joint.body1!, pose);
      visit(joint.body1!);
    }
  };
  for (const body of poses.keys()) if (!moved.has(body)) visit(body);
  return poses;
}

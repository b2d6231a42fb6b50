/**
 * Putting another robot where a scene's robot stands: the scene's articulation (its robot's own
 * prim, e.g. /World/Panda) is removed with its joints, and the other robot's description (URDF,
 * MJCF or USD, imported to a document) is inserted in its place, its base where the old base was.
 * How `simloop demos --robot <file>` runs a task with any arm.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import { insertScene, removePrim } from '../scene/edit.ts';
import { matrixToTransform, parentPath, primName, worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';

const rigid = (m: Matrix4) => {
  const p = new Vector3();
  const q = new Quaternion();
  m.decompose(p, q, new Vector3());
  return new Matrix4().compose(p, q.normalize(), new Vector3(1, 1, 1));
};

function onlyRoot(doc: SceneDocument, given: string | undefined, what: string): string {
  const roots = doc.prims.filter((p) => p.articulationRoot && p.body).map((p) => p.path);
  if (given !== undefined) {
    if (!roots.includes(given)) throw new InputError(doc.source.file, `${given} is not an articulation root of ${what} (${roots.join(', ') || 'it has none'})`);
    return given;
  }
  if (roots.length !== 1) throw new InputError(doc.source.file, roots.length ? `${what} has several robots (${roots.join(', ')}); name one` : `${what} has no robot (no articulation root)`);
  return roots[0]!;
}

/**
 * `scene` with its robot (the articulation rooted at `root`, default the only one) replaced by the
 * robot of `robot`, whose base takes the old base's pose. The robot's own prim (the old root's
 * parent, unless that is a top-level prim) goes; the new one takes its name.
 */
export function swapRobot(scene: SceneDocument, robot: SceneDocument, root?: string): SceneDocument {
  const oldRoot = onlyRoot(scene, root, 'the scene');
  const newRoot = onlyRoot(robot, undefined, robot.source.file);
  const parent = parentPath(oldRoot);
  const top = parent && parentPath(parent) ? parent : oldRoot;
  const sceneWorld = worldMatrices(scene);
  const robotWorld = worldMatrices(robot);
  const holder = parentPath(top);
  const holderWorld = holder ? rigid(sceneWorld.get(holder)!) : new Matrix4();
  // holder · T · newBase = oldBase, so the new base lands on the old one.
  const transform = holderWorld.clone().invert().multiply(rigid(sceneWorld.get(oldRoot)!)).multiply(rigid(robotWorld.get(newRoot)!).invert());
  const without = removePrim(scene, top, { joints: 'remove-joints' });
  return insertScene(without, holder, primName(top), robot, matrixToTransform(transform));
}

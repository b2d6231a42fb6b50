/**
 * Putting another robot where a scene's robot stands: the scene's articulation (its robot's own
 * prim, e.g. /World/Panda) is removed with its joints, and the other robot's description (URDF,
 * MJCF or USD, imported to a document) is inserted in its place, its base where the old base was.
 * How `simloop demos --robot <file>` runs a task with any arm.
 */
import { Matrix4 } from 'three';
import { insertScene, removePrim } from '../scene/edit.ts';
import { matrixToTransform, parentPath, primName, worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { withoutScale } from './articulation.ts';
import { articulationRoot } from './profile.ts';

/**
 * `scene` with its robot (the articulation rooted at `root`, default the only one) replaced by the
 * robot of `robot`, whose base takes the old base's pose. The robot's own prim (the old root's
 * parent, unless that is a top-level prim) goes; the new one takes its name.
 */
export function swapRobot(scene: SceneDocument, robot: SceneDocument, root?: string): SceneDocument {
  const oldRoot = articulationRoot(scene, root, scene.source.file, 'the scene');
  const newRoot = articulationRoot(robot, undefined, robot.source.file);
  const parent = parentPath(oldRoot);
  const top = parent && parentPath(parent) ? parent : oldRoot;
  const sceneWorld = worldMatrices(scene);
  const robotWorld = worldMatrices(robot);
  const holder = parentPath(top);
  const holderWorld = holder ? withoutScale(sceneWorld.get(holder)!) : new Matrix4();
  // holder · T · newBase = oldBase, so the new base lands on the old one.
  const transform = holderWorld.clone().invert().multiply(withoutScale(sceneWorld.get(oldRoot)!)).multiply(withoutScale(robotWorld.get(newRoot)!).invert());
  const without = removePrim(scene, top, { joints: 'remove-joints' });
  return insertScene(without, holder, primName(top), robot, matrixToTransform(transform));
}

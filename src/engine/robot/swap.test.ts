import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { PhysicsWorld } from '../physics/world.ts';
import { worldMatrices } from '../scene/hierarchy.ts';
import { robotFromScene } from './model.ts';
import { swapRobot } from './swap.ts';

const open = async (path: string) => (await loadSceneFile(readFileSync(path), path, { resolveAsset: (key) => readFileSync(join(dirname(path), key)) })).document;

describe('swapping the robot of a scene', () => {
  it('puts the SO-101 (MJCF) where the tabletop`s Panda stood: the Panda and its joints gone, the new base on the old one', async () => {
    const scene = await open('scenes/panda_tabletop.usda');
    const so101 = await open('scenes/robots/so101/so101_new_calib.xml');
    const swapped = swapRobot(scene, so101);
    expect(swapped.prims.some((p) => p.path.startsWith('/World/Panda/link'))).toBe(false);
    expect(swapped.joints.map((j) => j.path.split('/').pop())).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper']);
    const roots = swapped.prims.filter((p) => p.articulationRoot).map((p) => p.path);
    expect(roots).toEqual(['/World/Panda/so101_new_calib/base']);
    const before = worldMatrices(scene).get('/World/Panda/link0')!;
    const after = worldMatrices(swapped).get(roots[0]!)!;
    expect(new Vector3().setFromMatrixPosition(after).distanceTo(new Vector3().setFromMatrixPosition(before))).toBeLessThan(1e-9);
    expect(new Quaternion().setFromRotationMatrix(after).angleTo(new Quaternion().setFromRotationMatrix(before))).toBeLessThan(1e-9);
    // The rest of the scene stays; the new robot is the scene's robot, and it simulates.
    expect(swapped.prims.filter((p) => p.path.startsWith('/World/Objects/')).length).toBe(scene.prims.filter((p) => p.path.startsWith('/World/Objects/')).length);
    expect(robotFromScene(swapped).armJoints).toHaveLength(5);
    const world = await PhysicsWorld.create(swapped);
    try {
      world.step(10);
    } finally {
      world.free();
    }
  });

  it('says which robot it cannot find', async () => {
    const scene = await open('scenes/tabletop.usda');
    const so101 = await open('scenes/robots/so101/so101_new_calib.xml');
    expect(() => swapRobot(scene, so101)).toThrow(/the scene has no robot \(no articulation root\)/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSceneWithFiles } from '../engine/load.ts';
import { BUNDLED_ASSETS, DEFAULT_SCENE, EXAMPLE_SCENES } from './examples.ts';
import { BUNDLED_TASKS } from './robot/teleopStudio.ts';

describe('the bundled examples', () => {
  it('bundle the SO-101`s table scene with its folder: the model it includes and its 13 meshes', () => {
    const so101 = EXAMPLE_SCENES.find((s) => s.fileName === 'so101_tabletop.xml')!;
    expect(so101.path).toBe('scenes/robots/so101/so101_tabletop.xml');
    const companions = Object.keys(so101.companions);
    expect(companions).toContain('so101_new_calib.xml');
    expect(companions.filter((p) => /^assets\/.+\.stl$/.test(p))).toHaveLength(13);
    // One-file scenes have none; the default stays the tabletop; the designer is offered one-file scenes only.
    expect(EXAMPLE_SCENES.find((s) => s.fileName === 'panda_tabletop.usda')!.companions).toEqual({});
    expect(DEFAULT_SCENE?.fileName).toBe('tabletop.usda');
    expect(BUNDLED_ASSETS.some((a) => a.scene.fileName === 'so101_tabletop.xml')).toBe(false);
  });

  it('the companions, by their paths, are what the MJCF needs: it opens with every mesh', async () => {
    const so101 = EXAMPLE_SCENES.find((s) => s.fileName === 'so101_tabletop.xml')!;
    const folder = 'scenes/robots/so101/';
    const files = Object.fromEntries(Object.keys(so101.companions).map((p) => [p, new Uint8Array(readFileSync(folder + p))]));
    const { document, warnings } = await loadSceneWithFiles(readFileSync(so101.path), so101.fileName, files);
    expect(warnings.filter((w) => /mesh|include|not found/i.test(w))).toEqual([]);
    expect(document.joints.filter((j) => j.type === 'revolute').map((j) => j.path.split('/').pop())).toEqual(expect.arrayContaining(['shoulder_pan', 'gripper']));
  });

  it('offer the SO-101 tasks with the profile they name, beside the Panda`s', () => {
    const reach = BUNDLED_TASKS.find((t) => t.id === 'so101-reach')!;
    expect(reach.scene.fileName).toBe('so101_tabletop.xml');
    expect(reach.profile?.file).toBe('so101.robot.yaml');
    expect(reach.profile?.text).toMatch(/robot_type: so_follower/);
    const pickCube = BUNDLED_TASKS.find((t) => t.id === 'pick-cube')!;
    expect(pickCube.scene.fileName).toBe('panda_tabletop.usda');
  });
});

import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { parseRobotProfile } from '../robot/profile.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { demoCameras } from './demos.ts';
import { Episode, type RobotProfileFile } from './episode.ts';
import { runExpert } from './experts.ts';
import { checkTaskAgainstScene, parseTaskSpec, type TaskSpec } from './spec.ts';

/** A bundled SO-101 task with its scene (MJCF, meshes beside it) and the robot profile it names. */
async function so101Task(id: string): Promise<{ file: string; task: TaskSpec; scene: SceneDocument; robot: RobotProfileFile }> {
  const file = `scenes/tasks/${id}.task.yaml`;
  const task = parseTaskSpec(readFileSync(file, 'utf8'), basename(file));
  const scenePath = resolve(dirname(file), task.scene);
  const scene = (await loadSceneFile(readFileSync(scenePath), scenePath, { resolveAsset: (key) => readFileSync(join(dirname(scenePath), key)) })).document;
  const profilePath = resolve(dirname(file), task.profile!);
  return { file, task, scene, robot: { profile: parseRobotProfile(readFileSync(profilePath, 'utf8'), basename(profilePath)), file: basename(profilePath) } };
}

const tasks = { reach: await so101Task('so101-reach'), pick: await so101Task('so101-pick-cube'), place: await so101Task('so101-place') };

/** Runs the scripted expert on `n` episodes of seed 2; returns the successes and why the others failed. */
async function expertRate({ task, scene, robot }: (typeof tasks)['pick'], n: number): Promise<{ successes: number; failures: string[] }> {
  let successes = 0;
  const failures: string[] = [];
  for (let i = 0; i < n; i++) {
    const episode = await Episode.create(task, scene, 2, i, robot);
    try {
      const result = runExpert(episode);
      if (result.success) successes++;
      else failures.push(`${i}: ${result.failure} (${episode.outcome()})`);
    } finally {
      episode.free();
    }
  }
  return { successes, failures };
}

describe('SO-101 tasks (its MJCF on a table, its profile named by the task)', () => {
  it('the tasks name the SO-101 profile, and the episode`s robot is the five-joint arm with its jaw, recording LeRobot`s features', async () => {
    const { file, task, scene, robot } = tasks.pick;
    expect(task.profile).toBe('../robots/so101/so101.robot.yaml');
    checkTaskAgainstScene(task, scene, file);
    const episode = await Episode.create(task, scene, 1, 0, robot);
    try {
      expect(episode.arm.model.armJoints).toHaveLength(5);
      expect(episode.arm.model.gripper?.type).toBe('revolute');
      expect(episode.arm.model.robotType).toBe('so_follower');
      expect(episode.stateNames()).toEqual(['shoulder_pan.pos', 'shoulder_lift.pos', 'elbow_flex.pos', 'wrist_flex.pos', 'wrist_roll.pos', 'gripper.pos']);
      // It starts at the profile's home pose: shoulder_lift −30°, in the feature's degrees.
      expect(episode.featureState()![1]).toBeCloseTo(-30, 0);
      // Instructions name the cube by its class ("cube_2" → cube) and its drawn colour.
      expect(episode.instruction).toMatch(/^(pick up|lift|grab) the (red|green|blue|yellow|purple|orange) cube( and raise it)?$/);
    } finally {
      episode.free();
    }
  });

  it('records the front camera (the scene`s) and the wrist camera (the profile`s), named as LeRobot users name them', () => {
    const { task, scene, robot } = tasks.pick;
    expect(demoCameras(scene, task.robot, [64, 48], robot).map((c) => c.key)).toEqual(['front', 'wrist']);
    // Without the profile there is no wrist camera: the MJCF has none.
    expect(demoCameras(scene, task.robot, [64, 48]).map((c) => c.key)).toEqual(['front']);
  });

  for (const [name, t] of Object.entries(tasks)) {
    it(`${t.task.id}: the scripted expert succeeds in at least 45 of 50 randomized episodes (seed 2)`, async () => {
      const { successes, failures } = await expertRate(t, 50);
      expect(successes, `${name}: ${failures.join('; ')}`).toBeGreaterThanOrEqual(45);
    });
  }
});

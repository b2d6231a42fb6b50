import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { Episode } from './episode.ts';
import { runExpert } from './experts.ts';
import { checkTaskAgainstScene, parseTaskSpec } from './spec.ts';

const taskFile = 'scenes/tasks/so101-reach.task.yaml';
const task = parseTaskSpec(readFileSync(taskFile, 'utf8'), taskFile);
const scenePath = resolve(dirname(taskFile), task.scene);
const scene = (await loadSceneFile(readFileSync(scenePath), scenePath, { resolveAsset: (key) => readFileSync(join(dirname(scenePath), key)) })).document;

describe('SO-101 tasks (its MJCF on a table, the profile inferred)', () => {
  it('so101-reach: the scene fits the task, and the episode`s robot is the five-joint arm with its jaw', async () => {
    checkTaskAgainstScene(task, scene, taskFile);
    const episode = await Episode.create(task, scene, 1, 0);
    try {
      expect(episode.arm.model.armJoints).toHaveLength(5);
      expect(episode.arm.model.gripper?.type).toBe('revolute');
      expect(episode.stateNames()).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper']);
      expect(episode.observe().state).toHaveLength(6);
    } finally {
      episode.free();
    }
  });

  it('so101-reach: the scripted expert succeeds in at least 45 of 50 randomized episodes (seed 2)', async () => {
    let successes = 0;
    const failures: string[] = [];
    for (let i = 0; i < 50; i++) {
      const episode = await Episode.create(task, scene, 2, i);
      const result = runExpert(episode);
      if (result.success) successes++;
      else failures.push(`${i}: ${result.failure}`);
      episode.free();
    }
    expect(successes, failures.join('; ')).toBeGreaterThanOrEqual(45);
  });
});

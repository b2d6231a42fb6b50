/**
 * Policies for any robot: a manifest names its robot's profile and takes state and actions by the
 * profile's feature names (LeRobot's SO-101 `shoulder_pan.pos` … in degrees, `gripper.pos` 0 … 100),
 * so a policy trained on real SO-101 recordings drives the simulated SO-101 with no code.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { parseRobotProfile } from '../robot/profile.ts';
import { parseTaskSpec } from '../tasks/spec.ts';
import { type PolicyDriver, runPolicyEpisode } from './closedLoop.ts';
import { actionSize, parsePolicyManifest, resolvePolicy } from './manifest.ts';
import type { PolicyObservation } from './runtime.ts';

const SO101_FEATURES = ['shoulder_pan.pos', 'shoulder_lift.pos', 'elbow_flex.pos', 'wrist_flex.pos', 'wrist_roll.pos', 'gripper.pos'];

/** An ACT-like SO-101 policy as LeRobot users describe theirs: two cameras, the six joint features in, the six out. */
const so101Manifest = {
  simloop_policy: 2,
  name: 'so101-act',
  robot: 'so101',
  inputs: {
    images: [
      { tensor: 'observation.images.front', camera: 'front', width: 64, height: 48 },
      { tensor: 'observation.images.wrist', camera: 'wrist', width: 64, height: 48 },
    ],
    state: { tensor: 'observation.state', features: SO101_FEATURES, normalization: { mode: 'mean_std', mean: [0, 0, 0, 0, 0, 50], std: [90, 90, 90, 90, 90, 50] } },
  },
  outputs: { tensor: 'action', chunk: 10, space: 'features', features: SO101_FEATURES, normalization: { mode: 'identity' } },
  control: { hz: 30, n_action_steps: 10 },
  graphs: [{ name: 'act', file: 'act.onnx' }],
};

const taskFile = 'scenes/tasks/so101-reach.task.yaml';
const task = parseTaskSpec(readFileSync(taskFile, 'utf8'), basename(taskFile));
const scenePath = resolve(dirname(taskFile), task.scene);
const scene = (await loadSceneFile(readFileSync(scenePath), scenePath, { resolveAsset: (key) => readFileSync(join(dirname(scenePath), key)) })).document;
const profilePath = resolve(dirname(taskFile), task.profile!);
const robot = { profile: parseRobotProfile(readFileSync(profilePath, 'utf8'), 'so101.robot.yaml'), file: 'so101.robot.yaml' };

/** A stand-in for a trained policy: holds a fixed joint pose (feature units), and keeps what it was shown. */
function posePolicy(pose: number[], seen: PolicyObservation[], robotName = 'so101'): PolicyDriver {
  return {
    name: 'pose',
    robot: robotName,
    provider: 'test',
    space: 'features',
    features: SO101_FEATURES,
    horizon: 1,
    dim: SO101_FEATURES.length,
    hz: 30,
    nActionSteps: 1,
    temporalEnsemble: null,
    async infer(obs) {
      seen.push(obs);
      return { chunk: Float64Array.from(pose), ms: 0 };
    },
  };
}

describe('policy manifests by robot profile and feature name', () => {
  it('reads an SO-101 manifest: state and actions by feature, any camera by name', () => {
    const manifest = parsePolicyManifest(JSON.stringify(so101Manifest), 'policy.json');
    expect(manifest.robot).toBe('so101');
    expect(actionSize(manifest.outputs)).toBe(6);
    const policy = resolvePolicy(manifest, 'policy.json', () => null);
    expect(policy.state).toMatchObject({ tensor: 'observation.state', features: SO101_FEATURES, quantities: null });
    expect(policy.state!.normalizer.dim).toBe(6);
    expect(policy.action).toMatchObject({ space: 'features', features: SO101_FEATURES, dim: 6 });
    expect(policy.images.map((i) => i.camera)).toEqual(['front', 'wrist']);
  });

  it('reads a version-1 manifest (a Panda policy) unchanged', () => {
    const v1 = { ...so101Manifest, simloop_policy: 1, robot: 'panda', inputs: { images: [{ tensor: 'img', camera: 'scene', width: 8, height: 8 }], state: { tensor: 's', quantities: ['joint_positions'], normalization: { mode: 'identity' } } }, outputs: { tensor: 'a', chunk: 1, space: 'ee_delta_pose', normalization: { mode: 'identity' } }, control: { hz: 20, n_action_steps: 1 } };
    const manifest = parsePolicyManifest(JSON.stringify(v1), 'old.json');
    expect(manifest.simloop_policy).toBe(2);
    expect(manifest.robot).toBe('panda');
    expect(actionSize(manifest.outputs)).toBe(7);
  });

  it('drives the SO-101 by feature: the policy sees the joints in degrees and the jaw 0 … 100, and its action sets them', async () => {
    const seen: PolicyObservation[] = [];
    // Pan 25°, lift −20°, elbow 15°, wrist 80°, roll −30°, the jaw closed (0).
    const pose = [25, -20, 15, 80, -30, 0];
    let final: number[] = [];
    const result = await runPolicyEpisode({
      task: { ...task, max_steps: 45 },
      scene,
      seed: 1,
      index: 0,
      robot,
      policy: posePolicy(pose, seen),
      clock: 'sim',
      onStep: (episode) => {
        if (episode.done) final = Array.from(episode.featureState()!);
      },
    });
    expect(result.error).toBeNull();
    expect(result.steps).toBe(45);
    // What the policy was shown first: the home pose, by LeRobot's names, in degrees.
    expect(Object.keys(seen[0]!.features!)).toEqual(SO101_FEATURES);
    expect(seen[0]!.features!['shoulder_lift.pos']).toBeCloseTo(-30, 0);
    expect(seen[0]!.features!['wrist_flex.pos']).toBeCloseTo(93, 0);
    // Where its actions took the arm, 1.5 s later: each joint within half a degree, the jaw shut.
    pose.slice(0, 5).forEach((deg, i) => expect(Math.abs(final[i]! - deg), SO101_FEATURES[i]).toBeLessThan(0.5));
    expect(final[5]).toBeLessThan(2);
  });

  it('refuses to drive another robot than the policy`s, naming both', async () => {
    const run = runPolicyEpisode({ task, scene, seed: 1, index: 0, robot, policy: posePolicy([0, 0, 0, 0, 0, 0], [], 'panda'), clock: 'sim' });
    await expect(run).rejects.toThrow(InputError);
    await expect(runPolicyEpisode({ task, scene, seed: 1, index: 0, robot, policy: posePolicy([0, 0, 0, 0, 0, 0], [], 'panda'), clock: 'sim' })).rejects.toThrow('pose: robot: the policy is for "panda", the task\'s robot is "so101" (so101.robot.yaml)');
  });
});

/**
 * The demo-VLA pipeline cannot rot: demonstrations with camera images from `simloop demos`,
 * a few training steps of training/train_vla.py (Debian's python3-torch and python3-onnx), the
 * exported package checked against its graph and run by onnxruntime-node, and one closed-loop
 * episode with `simloop eval` in headless Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { main } from '../src/cli/main.ts';
import { parsePolicyManifest, resolvePolicy } from '../src/engine/policy/manifest.ts';
import { PolicyRuntime } from '../src/engine/policy/runtime.ts';
import { PYTHON, pythonModules, requirePython } from '../src/engine/testing/python.ts';

const TRAINING = pythonModules('torch', 'onnx', 'h5py');
const SKIP = TRAINING.skip;

async function run(...args) {
  const stdout = [];
  const stderr = [];
  const code = await main(args, { write: (s) => stdout.push(s) }, { write: (s) => stderr.push(s) });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

test('training smoke test: demos → a few training steps → export → the runtime and a closed-loop episode', { skip: SKIP, timeout: 300_000 }, async () => {
  requirePython(TRAINING);
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-training-'));
  try {
    const demos = await run('demos', '--task', 'pick-cube', '--episodes', '2', '--seed', '9', '--out', join(tmp, 'demos'), '--format', 'hdf5', '--image-size', '32x32', '--json');
    assert.equal(demos.code, 0, demos.stderr);
    // DART demonstrations too: the trainer reads their obs/dart_offset.
    const dart = await run('demos', '--task', 'pick-cube', '--episodes', '2', '--seed', '10', '--out', join(tmp, 'dart'), '--format', 'hdf5', '--image-size', '32x32', '--action-noise', '0.005,0.02', '--json');
    assert.equal(dart.code, 0, dart.stderr);
    const pkg = join(tmp, 'policy');
    const hdf5 = [join(tmp, 'demos', 'robomimic.hdf5'), join(tmp, 'dart', 'robomimic.hdf5')];
    const badState = spawnSync(PYTHON, ['training/train_vla.py', '--hdf5', ...hdf5, '--out', pkg, '--steps', '3', '--state', 'joint_positions,elbow'], { encoding: 'utf8' });
    assert.notEqual(badState.status, 0);
    assert.match(badState.stderr, /--state: expected quantities from joint_positions, finger_positions, ee_position, features, got "joint_positions,elbow"/);
    // The shipped policy's state: joints, fingers and the tool point's position.
    const train = spawnSync(PYTHON, ['training/train_vla.py', '--hdf5', ...hdf5, '--out', pkg, '--steps', '3', '--batch', '8', '--state', 'joint_positions,finger_positions,ee_position'], { encoding: 'utf8' });
    assert.equal(train.status, 0, train.stderr);
    assert.match(train.stdout, /step 3\/3 {2}loss \d/);

    const read = (p) => readFileSync(join(pkg, p), 'utf8');
    const manifest = parsePolicyManifest(read('policy.json'), 'policy.json');
    assert.deepEqual(manifest.inputs.images.map((i) => [i.camera, i.width, i.height]), [['scene', 32, 32], ['wrist', 32, 32]]);
    assert.deepEqual(manifest.inputs.state.quantities, ['joint_positions', 'finger_positions', 'ee_position']);
    const report = JSON.parse(read('training.json'));
    // Failed episodes are left out of training.
    assert.equal(report.demos, JSON.parse(demos.stdout).successes + JSON.parse(dart.stdout).successes);
    assert.ok(JSON.parse(dart.stdout).successes >= 1);
    assert.equal(report.steps, 3);
    // The expert's closed-gripper wait is cut to 3 steps: a clean demonstration holds still with the
    // gripper closed for 13 steps (the close, then 12 of waiting), of which the last 10 are dropped.
    assert.equal(report.hold_steps, 3);
    assert.ok(report.dropped_waiting_steps >= 10 * JSON.parse(demos.stdout).successes, `dropped ${report.dropped_waiting_steps}`);
    const policy = resolvePolicy(manifest, 'policy.json', read);
    const session = await ort.InferenceSession.create(join(pkg, 'policy.onnx'));
    const runtime = PolicyRuntime.create(policy, session, (t, d, dims) => new ort.Tensor(t, d, dims), 'policy.json');
    const image = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 4).fill(100) };
    const result = await runtime.infer({ images: { scene: image, wrist: image }, jointPositions: [0, -0.3, 0, -2.2, 0, 2, 0.8], fingerPositions: [0.04, 0.04], eePosition: [0.3, 0.9, 0], eeQuaternion: [0, 0, 0, 1], gripperWidth: 0.08, instruction: 'pick up the red cube' });
    assert.equal(result.chunk.length, manifest.outputs.chunk * 7);
    assert.ok(result.chunk.every(Number.isFinite));

    const evaluated = await run('eval', '--policy', join(pkg, 'policy.json'), '--task', 'pick-cube', '--episodes', '1', '--seed', '100', '--out', join(tmp, 'eval'), '--ep', 'wasm', '--no-videos', '--json');
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const results = JSON.parse(evaluated.stdout);
    assert.equal(results.episodes, 1);
    assert.equal(results.errored, 0);
    assert.ok(results.mean_steps > 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the trainer drops a closed-gripper wait past its first steps, judging stillness by the path (action + DART offset)', { skip: SKIP, timeout: 60_000 }, () => {
  requirePython(TRAINING);
  // Steps: 2 moving, 5 still and closed, 1 moving closed, 2 still closed; the DART demo's step 3
  // corrects an offset (its action is not zero) but its path is still.
  const script = `
import sys, json
sys.path.insert(0, 'training')
import numpy as np
from train_vla import long_holds
a = np.zeros((10, 7), np.float32)
a[:2, 1] = -0.006
a[:, 6] = [-1, -1, 1, 1, 1, 1, 1, 1, 1, 1]
a[7, 1] = 0.006
offset = np.zeros((10, 6), np.float32)
clean = long_holds({'actions': a, 'offset': offset}, keep=2)
dart = a.copy(); dart[3, 0] = 0.01; off = offset.copy(); off[3, 0] = -0.01
noisy = long_holds({'actions': dart, 'offset': off}, keep=2)
print(json.dumps([clean.astype(int).tolist(), noisy.astype(int).tolist(), long_holds({'actions': a, 'offset': offset}, keep=0).astype(int).tolist()]))
`;
  const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), [
    [0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 1, 1, 1, 1, 1, 0, 1, 1],
  ]);
});

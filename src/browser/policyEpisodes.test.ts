import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicyManifest } from '../engine/policy/manifest.ts';
import { PolicyError, type PolicyObservation } from '../engine/policy/runtime.ts';
import { policyDriver } from './policyEpisodes.ts';

const manifest = parsePolicyManifest(readFileSync('scenes/fixtures/policy/tiny/policy.json', 'utf8'), 'policy.json');
const obs = {} as PolicyObservation;

describe('the closed loop`s driver for a policy in a worker', () => {
  it('takes the manifest`s control settings and measures latency around the worker call', async () => {
    const seen: number[] = [];
    const driver = policyDriver(manifest, 'webgpu', async () => ({ chunk: new Float64Array(28), raw: new Float32Array(28), ms: { preprocess: 0, run: 0 }, unknownWords: [] }), (_, ms) => seen.push(ms));
    expect(driver).toMatchObject({ name: 'tiny-test-policy', provider: 'webgpu', space: 'ee_delta_pose', horizon: 4, dim: 7, hz: 20, nActionSteps: 2, temporalEnsemble: null, history: 1 });
    const { chunk, ms } = await driver.infer(obs);
    expect(chunk).toHaveLength(28);
    expect(seen).toEqual([ms]);
  });

  it('turns worker failures into PolicyErrors, and after a lost WebGPU device reports WASM as the provider', async () => {
    let calls = 0;
    const driver = policyDriver(manifest, 'webgpu', async () => {
      calls++;
      throw new Error(calls === 1 ? 'the policy returned NaN in its action chunk (step 0, dimension 1)' : 'the WebGPU device was lost (destroyed); the policy was reopened on WASM (this inference failed; the next ones run on WASM)');
    });
    await expect(driver.infer(obs)).rejects.toThrow(PolicyError);
    expect(driver.provider).toBe('webgpu');
    await expect(driver.infer(obs)).rejects.toThrow(/device was lost/);
    expect(driver.provider).toBe('wasm');
  });
});

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import type { Episode } from '../tasks/episode.ts';
import { expertFor, runExpert } from '../tasks/experts.ts';
import { parseTaskSpec } from '../tasks/spec.ts';
import { Episode as EpisodeClass } from '../tasks/episode.ts';
import { instructionFor, type PolicyDriver, quantile, runEvaluation, runPolicyEpisode, summarize } from './closedLoop.ts';
import { parsePolicyManifest, resolvePolicy } from './manifest.ts';
import { PolicyError, PolicyRuntime, type SessionLike } from './runtime.ts';

async function loadTask(id: string) {
  const file = `scenes/tasks/${id}.task.yaml`;
  const task = parseTaskSpec(readFileSync(file, 'utf8'), file);
  const scenePath = resolve(dirname(file), task.scene);
  return { task, scene: (await loadSceneFile(readFileSync(scenePath), scenePath)).document };
}
const pick = await loadTask('pick-cube');
const reach = await loadTask('reach');

/** The scripted expert as a "policy" with a one-step chunk: it sees the episode through the camera hook. */
function expertDriver(hz: number): { driver: PolicyDriver; cameras: (e: Episode) => { render: () => object; dispose: () => void } } {
  let expert: ReturnType<typeof expertFor> | null = null;
  return {
    cameras: (episode) => {
      expert = expertFor(episode);
      return { render: () => ({}), dispose: () => {} };
    },
    driver: {
      name: 'expert',
      provider: 'scripted',
      space: 'ee_delta_pose',
      horizon: 1,
      dim: 7,
      hz,
      nActionSteps: 1,
      temporalEnsemble: null,
      infer: async () => {
        const action = expert!.act();
        if (!action) throw new PolicyError('the expert gave up');
        return { chunk: Float64Array.from(action), ms: 0 };
      },
    },
  };
}

describe('closed loop', () => {
  it('driven by the scripted expert`s actions, succeeds exactly where the expert does (episodes 0–3 of pick-cube)', async () => {
    const { driver, cameras } = expertDriver(pick.task.control_hz);
    for (let index = 0; index < 4; index++) {
      const looped = await runPolicyEpisode({ task: pick.task, scene: pick.scene, seed: 1, index, policy: driver, clock: 'sim', cameras });
      const direct = await EpisodeClass.create(pick.task, pick.scene, 1, index);
      const expert = runExpert(direct);
      direct.free();
      expect({ success: looped.success, steps: looped.steps }).toEqual({ success: expert.success, steps: expert.steps });
      expect(looped.instruction).toMatch(/cube/);
      expect(looped.inferenceMs).toHaveLength(looped.steps);
    }
  });

  const tiny = async (): Promise<PolicyDriver> => {
    const dir = 'scenes/fixtures/policy/tiny/';
    const read = (p: string) => readFileSync(dir + p, 'utf8');
    const policy = resolvePolicy(parsePolicyManifest(read('policy.json'), 'policy.json'), 'policy.json', read);
    const session = await ortNode.InferenceSession.create(dir + 'policy.onnx');
    const runtime = PolicyRuntime.create(policy, session as unknown as SessionLike, (t, d, dims) => new ortNode.Tensor(t, d, dims), 'policy.json');
    return {
      name: 'tiny',
      provider: 'node',
      space: 'ee_delta_pose',
      horizon: 4,
      dim: 7,
      hz: 20,
      nActionSteps: 2,
      temporalEnsemble: null,
      infer: async (obs) => {
        const r = await runtime.infer(obs);
        return { chunk: r.chunk, ms: r.ms.run };
      },
    };
  };
  const grey = () => ({ render: () => ({ scene: { width: 64, height: 48, data: new Uint8Array(64 * 48 * 4).fill(128) }, wrist: { width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(90) } }), dispose: () => {} });

  it('runs an ONNX policy (onnxruntime-node) to the end of an episode: one inference per n_action_steps, reproducible in sim-time', async () => {
    const policy = await tiny();
    const task = { ...reach.task, max_steps: 30 };
    const a = await runPolicyEpisode({ task, scene: reach.scene, seed: 3, index: 0, policy, clock: 'sim', cameras: grey });
    const b = await runPolicyEpisode({ task, scene: reach.scene, seed: 3, index: 0, policy, clock: 'sim', cameras: grey });
    expect(a.steps).toBe(30);
    expect(a.error).toBeNull();
    expect(a.inferenceMs).toHaveLength(15);
    expect({ ...a, inferenceMs: [] }).toEqual({ ...b, inferenceMs: [] });
  });

  it('in real time, inference latency costs control steps: 120 ms at 20 Hz holds the arm 2 steps and drops 2 actions of each chunk', async () => {
    const inner = await tiny();
    const seen: number[] = [];
    const slow: PolicyDriver = { ...inner, infer: async (obs) => ({ ...(await inner.infer(obs)), ms: 120 }) };
    const task = { ...reach.task, max_steps: 24 };
    const result = await runPolicyEpisode({ task, scene: reach.scene, seed: 3, index: 0, policy: slow, clock: 'real', cameras: grey, onStep: (_, action, images) => void seen.push(images ? 1 : 0) });
    // Each inference: 2 held steps (no images: the policy was busy), then 2 actions of the 4 (the first 2 are stale).
    expect(result.steps).toBe(24);
    expect(result.inferenceMs).toHaveLength(6);
    expect(seen.slice(0, 8)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it('marks an episode errored on a policy error and goes on with the next; the summary counts it as a failure', async () => {
    const inner = await tiny();
    let calls = 0;
    const flaky: PolicyDriver = {
      ...inner,
      infer: async (obs) => {
        calls++;
        if (calls === 3) throw new PolicyError('the policy returned NaN in its action chunk (step 0, dimension 1)');
        return inner.infer(obs);
      },
    };
    const task = { ...reach.task, max_steps: 10 };
    const progress: number[] = [];
    const { summary, episodes } = await runEvaluation({ taskId: 'reach', task, scene: reach.scene, seed: 1, episodes: 2, policy: flaky, clock: 'sim', cameras: grey }, (p) => progress.push(p.done));
    expect(episodes[0]).toMatchObject({ success: false, steps: 4, error: 'the policy returned NaN in its action chunk (step 0, dimension 1)' });
    expect(episodes[1]).toMatchObject({ error: null, steps: 10 });
    expect(progress).toEqual([1, 2]);
    expect(summary).toMatchObject({ task: 'reach', policy: 'tiny', episodes: 2, successes: 0, success_rate: 0, errored: 1, ep: 'node', clock: 'sim', ci95: [0, expect.closeTo(0.6576, 4)] });
  });

  it('gives a policy with a history of 3 the two previous control steps` observations, oldest first', async () => {
    const inner = await tiny();
    const seen: number[][] = [];
    const spy: PolicyDriver = {
      ...inner,
      history: 3,
      nActionSteps: 2,
      infer: async (obs) => {
        seen.push([...(obs.past ?? []).map((p) => p.noise!.step), obs.noise!.step]);
        return inner.infer({ ...obs, past: [] });
      },
    };
    await runPolicyEpisode({ task: { ...reach.task, max_steps: 7 }, scene: reach.scene, seed: 1, index: 0, policy: spy, clock: 'sim', cameras: grey });
    // Inference every 2 steps; each sees up to 2 earlier steps (every step's, not only inference steps').
    expect(seen).toEqual([[0], [0, 1, 2], [2, 3, 4], [4, 5, 6]]);
  });

  it('tells typed words instead of the episode`s instruction, reports the start, and stops on request before the next step', async () => {
    const inner = await tiny();
    const told: string[] = [];
    const spy: PolicyDriver = { ...inner, infer: async (obs) => (told.push(obs.instruction), inner.infer(obs)) };
    const signal = { aborted: false };
    const started: string[] = [];
    const result = await runPolicyEpisode({
      task: { ...pick.task, max_steps: 50 },
      scene: pick.scene,
      seed: 2,
      index: 1,
      policy: spy,
      clock: 'sim',
      cameras: grey,
      instruction: '  lift the purple cube ',
      onStart: (episode, instruction) => started.push(`${episode.steps}:${instruction}`),
      onStep: (episode) => {
        if (episode.steps === 6) signal.aborted = true;
      },
      signal,
    });
    expect(started).toEqual(['0:lift the purple cube']);
    expect(new Set(told)).toEqual(new Set(['lift the purple cube']));
    expect(result).toMatchObject({ steps: 6, error: 'stopped', success: false, instruction: 'lift the purple cube' });
    // Success is still judged on the episode's own target, named in its own instruction.
    expect(result.target).toMatch(/cube/);
    expect(result.target).not.toBe(result.instruction);
  });
});

describe('instruction ablation', () => {
  it('swaps the target`s colour for another cube`s on the table, the same way for the same (seed, episode)', async () => {
    for (let index = 0; index < 5; index++) {
      const episode = await EpisodeClass.create(pick.task, pick.scene, 7, index);
      try {
        const colours = episode.objects.map((p) => episode.randomized[`${p}:palette`] as string);
        const target = episode.randomized[`${episode.target}:palette`] as string;
        const swapped = instructionFor(episode, 'swapped');
        expect(instructionFor(episode, 'given')).toBe(episode.instruction);
        expect(episode.instruction).toContain(target);
        const named = colours.filter((c) => new RegExp(`\\b${c}\\b`).test(swapped));
        expect(named).toHaveLength(1);
        expect(named[0]).not.toBe(target);
        expect(swapped.replace(named[0]!, target)).toBe(episode.instruction);
        expect(instructionFor(episode, 'swapped')).toBe(swapped);
      } finally {
        episode.free();
      }
    }
  });

  it('refuses tasks without named colours (reach)', async () => {
    const episode = await EpisodeClass.create(reach.task, reach.scene, 1, 0);
    try {
      expect(() => instructionFor(episode, 'swapped')).toThrow('task "reach": swapped instructions need a target named by colour among other coloured objects');
    } finally {
      episode.free();
    }
  });
});

describe('summaries', () => {
  it('quantiles interpolate between order statistics (numpy`s default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 0, 5], 0.95)).toBeCloseTo(9.5, 12);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('gives the success rate with its Wilson interval and the mean steps', () => {
    const episode = (success: boolean, steps: number) => ({ index: 0, seed: 0, instruction: '', target: '', success, steps, error: null, outcome: success ? ('success' as const) : ('wrong_object' as const), grasps: { attempts: 1, firstOffset: null }, seconds: 0, inferenceMs: [1, 3], serverMs: [], factors: {} });
    const driver = { name: 'p', provider: 'wasm' } as PolicyDriver;
    const s = summarize('pick-cube', driver, 'sim', [episode(true, 10), episode(true, 20), episode(false, 60), episode(true, 30)]);
    expect(s).toMatchObject({ episodes: 4, successes: 3, success_rate: 0.75, mean_steps: 30, inference_ms: { p50: 2, p95: 3 }, outcomes: { success: 3, wrong_object: 1 } });
    expect(s.ci95[0]).toBeCloseTo(0.3006, 4);
    expect(s.ci95[1]).toBeCloseTo(0.9544, 4);
  });
});

import { describe, expect, it } from 'vitest';
import { describeError } from '../engine/errors.ts';
import { SimSession } from '../engine/sim/session.ts';
import { readFileSync } from 'node:fs';
import type { LoadResult, PoseFrame, PoseListener } from '../../workers/sim.worker.ts';
import { createStudioStore } from './state/store.ts';
import { createStudio, type SimApi } from './studio.ts';

/** The worker API over a real session, called directly (no worker, no comlink transport). */
function fakeSim() {
  const session = new SimSession();
  let generation = 0;
  let listener: PoseListener = () => {};
  const publish = () => listener({ generation, poses: session.poses(), status: session.status() });
  const sim: SimApi = {
    subscribe: async (callback) => {
      listener = callback;
    },
    load: async (bytes, fileName): Promise<LoadResult> => {
      try {
        const summary = await session.load(bytes, fileName);
        generation++;
        return { ok: true, generation, summary, poses: session.poses(), status: session.status() };
      } catch (e) {
        return { ok: false, error: describeError(e) };
      }
    },
    play: async () => (session.play(), publish()),
    pause: async () => (session.pause(), publish()),
    step: async (count) => (session.step(count), publish()),
    reset: async () => (session.reset(), publish()),
  };
  return { sim, session, send: (frame: PoseFrame) => listener(frame), generation: () => generation };
}

const tabletopBytes = () => new Uint8Array(readFileSync(new URL('../../scenes/tabletop.usda', import.meta.url))).buffer;

describe('studio controller', () => {
  it('opens a scene: state, poses and an info message', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, fakeSim().sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    const state = store.getState();
    expect(state.scene?.fileName).toBe('tabletop.usda');
    expect(state.scene?.movingBodies).toHaveLength(6);
    expect(state.scene?.bodyCount).toBe(7);
    expect(state.poses).toHaveLength(42);
    expect(state.loading).toBeNull();
    expect(state.messages.map((m) => m.level)).toEqual(['info']);
  });

  it('keeps the current scene when a file is broken, and says which file', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, fakeSim().sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    const scene = store.getState().scene;
    await studio.openBytes(new Uint8Array([1, 2, 3, 4]).buffer, 'broken.usda');
    const state = store.getState();
    expect(state.scene).toBe(scene);
    const errors = state.messages.filter((m) => m.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.text).toMatch(/^broken\.usda: not a USD file/);
  });

  it('step, play, pause and reset reach the simulation and come back as frames', async () => {
    const store = createStudioStore();
    const fake = fakeSim();
    const studio = createStudio(store, fake.sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    await studio.step();
    expect(store.getState().status.steps).toBe(1);
    await studio.play();
    expect(store.getState().status.playing).toBe(true);
    await studio.pause();
    expect(store.getState().status.playing).toBe(false);
    await studio.reset();
    expect(store.getState().status).toEqual({ time: 0, steps: 0, playing: false });
  });

  it('ignores frames from a scene that is no longer loaded', async () => {
    const store = createStudioStore();
    const fake = fakeSim();
    const studio = createStudio(store, fake.sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    const before = store.getState();
    fake.send({ generation: fake.generation() + 7, poses: new Float32Array(7), status: { time: 9, steps: 9, playing: true } });
    expect(store.getState()).toBe(before);
  });

  it('does nothing on play before any scene is open', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, fakeSim().sim);
    await studio.play();
    expect(store.getState().messages).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceResult } from '../engine/policy/runtime.ts';
import type { PolicyEvent, PoseFrame, PolicyRunRequest, TeleopStartRequest } from '../protocol/simWorker.ts';
import type { TeleopStatus } from '../engine/tasks/teleop.ts';
import type { CameraStack } from './cameraStack.ts';
import { SimHost } from './simHost.ts';

const file = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url));
const bytes = (path: string) => new Uint8Array(file(path)).buffer;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Cameras that render blank frames of the asked size (Node has no OffscreenCanvas). */
function blankCameras(width: number, height: number): CameraStack {
  const stack = {
    width,
    height,
    fits: (w: number, h: number) => w === width && h === height,
    rig: (_: unknown, cameras: readonly { path: string; width: number; height: number }[]) => ({
      render: () => new Map(cameras.map((c) => [c.path, new Uint8Array(c.width * c.height * 4)])),
      dispose: () => {},
    }),
    video: () => Promise.reject(new Error('no video encoder in tests')),
    demoCameras: () => Promise.reject(new Error('no video encoder in tests')),
    dispose: () => {},
  };
  return stack as unknown as CameraStack;
}

const hosts: SimHost[] = [];
function host(): { host: SimHost; frames: PoseFrame[]; teleop: TeleopStatus[] } {
  const h = new SimHost({ cameraStack: blankCameras, tickMs: 5 });
  hosts.push(h);
  const frames: PoseFrame[] = [];
  const teleop: TeleopStatus[] = [];
  h.subscribe((frame) => frames.push(frame));
  h.teleopSubscribe((status) => teleop.push(status));
  return { host: h, frames, teleop };
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

const teleopRequest = (draw = 0, seed = 1): TeleopStartRequest => ({
  taskText: file('scenes/tasks/reach.task.yaml').toString('utf8'),
  taskFile: 'reach.task.yaml',
  sceneBytes: bytes('scenes/panda_tabletop.usda'),
  sceneFile: 'panda_tabletop.usda',
  seed,
  draw,
});

describe('the simulation host: the open scene', () => {
  it('loads a scene, and play, pause, step and reset reach it and come back as frames', async () => {
    const { host: h, frames } = host();
    const loaded = await h.load(bytes('scenes/tabletop.usda'), 'tabletop.usda');
    if (!loaded.ok) throw new Error(loaded.error);
    expect(loaded.generation).toBe(1);
    expect(loaded.poses.length).toBe(7 * loaded.summary.movingBodies.length);
    expect(h.active.kind).toBe('scene');

    h.step(3);
    expect(frames.at(-1)).toMatchObject({ generation: 1, status: { steps: 3, playing: false } });

    h.play();
    await sleep(120);
    h.pause();
    const played = frames.at(-1)!;
    expect(played.status.playing).toBe(false);
    expect(played.status.steps).toBeGreaterThan(3);
    await sleep(40);
    expect(frames.at(-1)).toBe(played); // paused: the clock stopped

    await h.reset();
    expect(frames.at(-1)!.status).toEqual({ time: 0, steps: 0, playing: false });
    expect(Array.from(frames.at(-1)!.poses)).toEqual(Array.from(loaded.poses));
  });

  it('keeps the open scene when a file is broken, and says which file', async () => {
    const { host: h } = host();
    await h.load(bytes('scenes/tabletop.usda'), 'tabletop.usda');
    const broken = await h.load(new TextEncoder().encode('#usda 1.0\n(\n').buffer, 'broken.usda');
    expect(broken).toMatchObject({ ok: false });
    expect(!broken.ok && broken.error).toMatch(/^broken\.usda/);
    h.step(1);
    expect(h.active.status().steps).toBe(1);
  });
});

describe('the simulation host: teleoperation', () => {
  it('shows the episode, steps it with the held input, starts it over, and keeps and exports demonstrations', async () => {
    const { host: h, frames, teleop } = host();
    await h.load(bytes('scenes/tabletop.usda'), 'tabletop.usda');
    const started = await h.teleopStart(teleopRequest());
    if (!started.ok) throw new Error(started.error);
    expect(started.generation).toBe(2);
    expect(h.active.kind).toBe('teleop');
    expect(started.summary.movingBodies.length).toBeGreaterThan(1);
    expect(started.teleop).toMatchObject({ steps: 0, kept: 0, done: false });

    h.teleopInput({ move: [1, 0, 0], yaw: 0, close: false });
    h.step(4);
    expect(teleop.at(-1)!.steps).toBe(4);
    expect(frames.at(-1)).toMatchObject({ generation: 2, status: { steps: 4 } });
    // The tool moved along +x: the frame's poses differ from the episode's first.
    expect(Array.from(frames.at(-1)!.poses)).not.toEqual(Array.from(started.poses));

    h.teleopDrive(true);
    await sleep(200); // 20 control steps a second
    h.teleopDrive(false);
    expect(teleop.at(-1)!.steps).toBeGreaterThan(4);

    await h.reset();
    expect(teleop.at(-1)!.steps).toBe(0);
    expect(Array.from(frames.at(-1)!.poses)).toEqual(Array.from(started.poses));

    h.step(3);
    expect(h.teleopKeep()).toMatchObject({ kept: 1, steps: 0 });
    const sent = frames.length;
    h.step(1); // nothing is simulated after keeping: the last poses stay
    expect(frames.length).toBe(sent);

    const files = await h.teleopExport(['lerobot']);
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining([expect.stringMatching(/(^|\/)meta\/info\.json$/), 'lerobot/data/chunk-000/file-000.parquet']));

    // Another draw of the same task and seed keeps the kept demonstrations.
    const again = await h.teleopStart(teleopRequest(1));
    expect(again.ok && again.teleop).toMatchObject({ kept: 1, steps: 0 });

    // Opening a scene ends teleoperation.
    await h.load(bytes('scenes/tabletop.usda'), 'tabletop.usda');
    expect(h.active.kind).toBe('scene');
    expect(() => h.teleopKeep()).toThrow(/no teleoperation session/);
  });

  it('starts an SO-101 task from its MJCF and companion files with the task`s profile, and jogs a joint to a goal', async () => {
    const { host: h, teleop } = host();
    const folder = 'scenes/robots/so101/';
    const companions = Object.fromEntries(
      // The folder's files, as the studio bundles them (the model it includes, its meshes).
      [...readdirSync(folder).filter((n) => n.endsWith('.xml') && n !== 'so101_tabletop.xml'), ...readdirSync(`${folder}assets`).map((n) => `assets/${n}`)].map((p) => [p, bytes(`${folder}${p}`)]),
    );
    const started = await h.teleopStart({
      taskText: file('scenes/tasks/so101-reach.task.yaml').toString('utf8'),
      taskFile: 'so101-reach.task.yaml',
      sceneBytes: bytes(`${folder}so101_tabletop.xml`),
      sceneFile: 'so101_tabletop.xml',
      sceneCompanions: companions,
      profile: { text: file(`${folder}so101.robot.yaml`).toString('utf8'), file: 'so101.robot.yaml' },
      seed: 1,
      draw: 0,
    });
    if (!started.ok) throw new Error(started.error);
    expect(started.robot?.joints.map((j) => j.feature?.name)).toEqual(['shoulder_pan.pos', 'shoulder_lift.pos', 'elbow_flex.pos', 'wrist_flex.pos', 'wrist_roll.pos']);
    expect(started.robot?.gripper?.feature?.name).toBe('gripper.pos');
    const start = started.teleop!.joints;
    expect(() => h.teleopInput({ move: [0, 0, 0], yaw: 0, close: false, joints: [0.3] })).toThrow(/the arm has 5 joints/);
    h.teleopInput({ move: [0, 0, 0], yaw: 0, close: false, joints: [start[0]! + 0.2, ...start.slice(1)] });
    h.step(2);
    // 1.5 rad/s at the task's 30 Hz: 0.05 rad a step.
    expect(teleop.at(-1)!.joints[0]! - start[0]!).toBeCloseTo(0.1, 9);
    expect(teleop.at(-1)!.jogging).toBe(true);
    h.step(4);
    expect(teleop.at(-1)!.joints[0]! - start[0]!).toBeCloseTo(0.2, 9);
  });

  it('refuses a bad task and keeps what is shown', async () => {
    const { host: h } = host();
    await h.load(bytes('scenes/tabletop.usda'), 'tabletop.usda');
    const bad = await h.teleopStart({ ...teleopRequest(), taskText: 'version: 1\nid: reach\ncontrol_hz: -3\n' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/reach\.task\.yaml/);
    expect(h.active.kind).toBe('scene');
  });
});

describe('the simulation host: policy runs', () => {
  const manifestText = file('public/policies/pick-cube/policy.json').toString('utf8');
  const request = (indices: number[]): PolicyRunRequest => ({
    ...teleopRequest(),
    manifestText,
    manifestFile: 'policy.json',
    provider: 'wasm',
    seed: 5,
    indices,
    clock: 'sim',
    instructions: 'given',
    randomizationsOff: [],
    imageSize: [64, 64],
    videos: false,
    pace: false,
    viewEvery: 0,
  });
  /** A policy that holds still: a chunk of zero actions, the gripper open. */
  const still = async (): Promise<InferenceResult> => {
    const chunk = new Float64Array(8 * 7);
    for (let i = 0; i < 8; i++) chunk[i * 7 + 6] = -1;
    return { chunk, raw: new Float32Array(8 * 7), ms: { preprocess: 0, run: 0 }, unknownWords: [] };
  };

  it('says so when no policy is attached', async () => {
    const { host: h } = host();
    expect(await h.policyRun(request([0]), () => {})).toEqual({ ok: false, error: 'no policy is open' });
  });

  it('shows each episode as it runs, streams its steps, ignores play and step meanwhile, and stops when asked', async () => {
    const { host: h, frames } = host();
    await h.load(bytes('scenes/tabletop.usda'), 'tabletop.usda');
    h.attachPolicy(still);
    const events: PolicyEvent[] = [];
    const result = await h.policyRun(request([0, 1, 2]), (event) => {
      events.push(event);
      if (event.type === 'step' && event.step === 3) {
        h.play();
        h.step(50); // the closed loop steps the world, not the controls
      }
      if (event.type === 'episode') h.policyStop();
    });
    if (!result.ok) throw new Error(result.error);
    expect(result.results).toHaveLength(1);
    const [start, ...rest] = events;
    expect(start).toMatchObject({ type: 'start', index: 0, load: { generation: 2 } });
    const steps = rest.filter((e) => e.type === 'step');
    expect(steps.map((e) => e.step)).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(steps.length).toBe(result.results[0]!.steps);
    expect(rest.at(-1)).toMatchObject({ type: 'episode', video: null });
    expect(h.active.kind).toBe('policy');
    // Frames of the episode's world at every reported step; play and step(50) moved nothing.
    const shown = frames.filter((f) => f.generation === 2);
    expect([...new Set(shown.map((f) => f.status.steps))]).toEqual(steps.map((e) => e.step));
    // A finished run simulates nothing: controls send no frames.
    const sent = frames.length;
    h.step(2);
    expect(frames.length).toBe(sent);
  });

  it('a bad manifest is an error value; opening a scene afterwards works', async () => {
    const { host: h } = host();
    h.attachPolicy(still);
    const result = await h.policyRun({ ...request([0]), manifestText: '{"simloop_policy": 1}' }, () => {});
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/policy\.json/);
    const loaded = await h.load(bytes('scenes/tabletop.usda'), 'tabletop.usda');
    expect(loaded.ok).toBe(true);
    expect(h.active.kind).toBe('scene');
  });
});

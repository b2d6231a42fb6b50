/**
 * Robot benchmark: physics steps per second of the Panda tabletop scene (robot settings,
 * ROBOT_PHYSICS), control steps per second of the arm controllers (IK included), demonstration
 * frames recorded and written per second (the pick-cube expert, LeRobot + HDF5) without cameras
 * (Node, physics only) and with both cameras rendered and encoded (headless Chromium: WebGL on
 * SwiftShader and WebCodecs AV1 — the control rate with rendering of both cameras), and the joint
 * tracking error of the controllers on a moving target. Prints one JSON object; run with
 * `npm run bench:robot` (ROBOT_BENCH_EPISODES, default 20; ROBOT_BENCH_CAMERA_EPISODES, default 5).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runDemosCommand } from '../src/cli/demos.ts';
import { loadSceneFile } from '../src/engine/load.ts';
import { PhysicsWorld } from '../src/engine/physics/world.ts';
import { ROBOT_PHYSICS, RobotArm } from '../src/engine/robot/arm.ts';
import { robotFromScene } from '../src/engine/robot/model.ts';
import { PANDA_HOME } from '../src/engine/robot/pandaDh.ts';

const scene = (await loadSceneFile(readFileSync(new URL('../scenes/panda_tabletop.usda', import.meta.url)), 'panda_tabletop.usda')).document;
const DEG = 180 / Math.PI;

async function physicsSteps() {
  const world = await PhysicsWorld.create(scene, ROBOT_PHYSICS);
  new RobotArm(world, robotFromScene(scene));
  const steps = 2400;
  const t0 = performance.now();
  world.step(steps);
  const seconds = (performance.now() - t0) / 1000;
  world.free();
  return Number((steps / seconds).toFixed(0));
}

/** Tracking a 0.3 rad, 0.25 Hz sinusoid on every joint (as the controller test does), 8 s. */
async function tracking() {
  const world = await PhysicsWorld.create(scene, ROBOT_PHYSICS);
  const arm = new RobotArm(world, robotFromScene(scene), { controlHz: 20 });
  const errors: number[] = [];
  const t0 = performance.now();
  const steps = 160;
  for (let k = 1; k <= steps; k++) {
    const t = k / 20;
    arm.step({ kind: 'joint_position', q: PANDA_HOME.map((h, i) => h + 0.3 * Math.min(1, t) * Math.sin(2 * Math.PI * 0.25 * t + i)) });
    const s = arm.state();
    errors.push(...s.q.map((q, i) => Math.abs(q - s.target[i]!) * DEG));
  }
  const jointControlRate = steps / ((performance.now() - t0) / 1000);
  // End-effector control (IK every step): small circles.
  const centre = arm.targetEe();
  const q = centre.quaternion;
  const t1 = performance.now();
  for (let k = 1; k <= steps; k++) {
    const a = (2 * Math.PI * k) / 40;
    const p = centre.position.clone().add({ x: 0.05 * Math.cos(a) - 0.05, y: 0, z: 0.05 * Math.sin(a) } as never);
    arm.step({ kind: 'ee_pose', position: [p.x, p.y, p.z], quaternion: [q.x, q.y, q.z, q.w] });
  }
  const eeControlRate = steps / ((performance.now() - t1) / 1000);
  world.free();
  errors.sort((a, b) => a - b);
  return {
    joint_tracking_error_deg: {
      mean: Number((errors.reduce((a, b) => a + b, 0) / errors.length).toFixed(3)),
      p95: Number(errors[Math.floor(errors.length * 0.95)]!.toFixed(3)),
      max: Number(errors[errors.length - 1]!.toFixed(3)),
    },
    control_steps_per_second: { joint_position: Number(jointControlRate.toFixed(1)), ee_pose_ik: Number(eeControlRate.toFixed(1)) },
  };
}

async function demos(cameras: boolean) {
  const out = mkdtempSync(join(tmpdir(), 'simloop-robot-bench-'));
  try {
    const episodes = Number(cameras ? (process.env.ROBOT_BENCH_CAMERA_EPISODES ?? 5) : (process.env.ROBOT_BENCH_EPISODES ?? 20));
    const t0 = performance.now();
    const summary = await runDemosCommand({ task: 'pick-cube', episodes, seed: 1, out, formats: ['lerobot', 'hdf5'], cameras, imageSize: [128, 128] });
    const seconds = (performance.now() - t0) / 1000;
    return {
      task: summary.task,
      cameras: cameras ? 'scene + wrist, 128×128, AV1' : 'none',
      episodes: summary.episodes,
      successes: summary.successes,
      frames: summary.frames,
      // With cameras: control steps per second with both cameras rendered and encoded (browser
      // start-up included in `seconds`, not in this rate, which the page's own clock measures).
      frames_per_second: Number((summary.frames / (cameras ? summary.seconds : seconds)).toFixed(1)),
      seconds: Number(seconds.toFixed(2)),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

console.log(
  JSON.stringify(
    {
      scene: 'scenes/panda_tabletop.usda',
      physics: { dt: ROBOT_PHYSICS.dt, solver_iterations: ROBOT_PHYSICS.solverIterations, pgs_iterations: ROBOT_PHYSICS.pgsIterations },
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      physics_steps_per_second: await physicsSteps(),
      ...(await tracking()),
      demonstrations: await demos(false),
      demonstrations_with_cameras: await demos(true),
    },
    null,
    2,
  ),
);

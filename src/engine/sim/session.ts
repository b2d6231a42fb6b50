/**
 * A simulation session: one loaded scene and its physics world, with play / pause / step / reset
 * and a fixed-step clock. The sim worker exposes this over comlink; the CLI and tests use it
 * directly. Loading a new scene that fails leaves the current one untouched.
 */
import { loadSceneFile, type LoadedScene, type SceneLoadOptions } from '../load.ts';
import { PhysicsWorld, DEFAULT_DT } from '../physics/world.ts';
import { ROBOT_PHYSICS } from '../robot/arm.ts';
import { robotFromScene } from '../robot/model.ts';
import type { SceneDocument } from '../scene/schema.ts';
import type { SimMode, SimStatus } from './mode.ts';

export type { SimStatus } from './mode.ts';

export interface SceneSummary {
  document: SceneDocument;
  warnings: string[];
  /** Paths of the bodies whose poses `poses()` returns, in order. */
  movingBodies: string[];
  dt: number;
}

/**
 * Turns wall-clock time into a whole number of fixed physics steps (an accumulator), capped so a
 * stalled tab does not try to catch up on minutes of simulation at once.
 */
export class FixedStepClock {
  private accumulator = 0;
  constructor(
    readonly dt: number,
    readonly maxStepsPerTick = 32,
  ) {}

  /** Seconds of wall time elapsed since the previous tick → steps to take now. */
  advance(elapsedSeconds: number): number {
    this.accumulator += Math.max(0, elapsedSeconds);
    let steps = Math.floor(this.accumulator / this.dt + 1e-9);
    if (steps > this.maxStepsPerTick) {
      steps = this.maxStepsPerTick;
      this.accumulator = 0;
    } else {
      this.accumulator -= steps * this.dt;
    }
    return steps;
  }

  reset(): void {
    this.accumulator = 0;
  }
}

export class SimSession implements SimMode {
  readonly kind = 'scene' as const;
  private physics: PhysicsWorld | null = null;
  private loaded: LoadedScene | null = null;
  private clock = new FixedStepClock(DEFAULT_DT);
  playing = false;

  /**
   * `robots`: simulate articulated robots as their controllers hold them — links weightless
   * (gravity compensation) and the solver settings robot worlds use (ROBOT_PHYSICS) — so an arm
   * stands still in Play instead of sagging. The studio turns this on; `simloop simulate` does not.
   */
  constructor(
    private readonly dt = DEFAULT_DT,
    private readonly options: { robots?: boolean } = {},
  ) {}

  private async build(document: SceneDocument): Promise<PhysicsWorld> {
    const robots = this.options.robots ? document.prims.filter((p) => p.articulationRoot && p.body).map((p) => p.path) : [];
    const physics = await PhysicsWorld.create(document, robots.length ? { dt: this.dt, solverIterations: ROBOT_PHYSICS.solverIterations, pgsIterations: ROBOT_PHYSICS.pgsIterations, predictionDistance: ROBOT_PHYSICS.predictionDistance } : { dt: this.dt });
    this.holdRobots(physics, document, robots);
    return physics;
  }

  /** Gravity compensation on every robot's links (a robot that is not a clean tree is left as it is). */
  private holdRobots(physics: PhysicsWorld, document: SceneDocument, roots: readonly string[]): void {
    for (const root of roots) {
      try {
        for (const link of robotFromScene(document, root).links.slice(1)) physics.setGravityScale(link, 0);
      } catch {
        // robotFromScene's errors name what is wrong; the scene still simulates without compensation.
      }
    }
  }

  /** Imports and builds a scene; on any error the previous scene stays loaded and the error is thrown. */
  async load(bytes: Uint8Array | ArrayBuffer, file: string, options: SceneLoadOptions = {}): Promise<SceneSummary> {
    const loaded = await loadSceneFile(bytes, file, options);
    const physics = await this.build(loaded.document);
    this.physics?.free();
    this.physics = physics;
    this.loaded = loaded;
    this.playing = false;
    this.clock = new FixedStepClock(physics.dt);
    return this.summary();
  }

  summary(): SceneSummary {
    const { physics, loaded } = this.require();
    return { document: loaded.document, warnings: [...loaded.warnings, ...physics.warnings], movingBodies: [...physics.movingBodies], dt: physics.dt };
  }

  status(): SimStatus {
    return { time: this.physics?.time ?? 0, steps: this.physics?.stepCount ?? 0, playing: this.playing };
  }

  play(): void {
    this.require();
    this.clock.reset();
    this.playing = true;
  }

  pause(): void {
    this.playing = false;
  }

  /** Steps `count` fixed steps regardless of play state. */
  step(count = 1): void {
    this.require().physics.step(count);
  }

  /** While playing, advances by the wall time elapsed; returns the number of steps taken. */
  tick(elapsedSeconds: number): number {
    if (!this.playing || !this.physics) return 0;
    const steps = this.clock.advance(elapsedSeconds);
    if (steps) this.physics.step(steps);
    return steps;
  }

  reset(): void {
    const { physics, loaded } = this.require();
    physics.reset();
    if (this.options.robots) this.holdRobots(physics, loaded.document, loaded.document.prims.filter((p) => p.articulationRoot && p.body).map((p) => p.path));
    this.clock.reset();
    this.playing = false;
  }

  /** 7 floats per moving body (position, quaternion), in `summary().movingBodies` order. */
  poses(): Float32Array {
    return this.require().physics.readPoses();
  }

  get world(): PhysicsWorld | null {
    return this.physics;
  }

  dispose(): void {
    this.physics?.free();
    this.physics = null;
    this.loaded = null;
  }

  private require() {
    if (!this.physics || !this.loaded) throw new Error('no scene loaded');
    return { physics: this.physics, loaded: this.loaded };
  }
}

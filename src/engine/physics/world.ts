/**
 * A running Rapier world built from a scene document (build.ts builds it): stepping, poses and
 * velocities, energies, joint positions and drive targets, gravity scales, teleports and
 * kinematic targets, reset. DOM-free; runs in workers and in Node. The WASM world is owned here
 * and must be released with `free()`.
 */
import { Quaternion, Vector3 } from 'three';
import type RAPIER_NS from '@dimforge/rapier3d-compat';
import type { ImpulseJoint, RigidBody as RapierBody, World } from '@dimforge/rapier3d-compat';
import type { SceneDocument, Vec3 } from '../scene/schema.ts';
import {
  type BodyInfo,
  type BuiltWorld,
  buildWorld,
  pairKey,
  type SolverSettings,
  UNBOUNDED,
  wrapAngle,
  xToAxis,
} from './build.ts';
import { loadRapier, type Rapier } from './rapier.ts';

export { type BodyInfo, type ColliderInfo, type ColliderShape, DEFAULT_DENSITY, DEFAULT_MATERIAL } from './build.ts';

export interface BodyState {
  path: string;
  position: Vec3;
  orientation: [number, number, number, number];
  linearVelocity: Vec3;
  angularVelocity: Vec3;
}

export interface PhysicsOptions {
  /** Fixed time step in seconds. */
  dt?: number;
  /** An initialised Rapier module of another flavour (benchmarks compare them); default: `loadRapier()`. */
  rapier?: Rapier;
  /**
   * Velocity-solver iterations per step (Rapier's default is 4). Chains of joints such as a robot
   * arm track their drives better with more.
   */
  solverIterations?: number;
  /**
   * Inner PGS iterations of each solver iteration (Rapier's default is 1): a cheaper way to firm
   * up stiff contacts, such as fingers squeezing an object.
   */
  pgsIterations?: number;
  /**
   * How far apart (m) two shapes may be and still get a contact (Rapier's default, 2 cm, is made
   * for metre-sized objects). Contacts made that early keep the direction they had when they were
   * made: a jaw coming down 4 mm beside a 3 cm cube got one from its top face, pressing it into
   * the table. Robot scenes use 5 mm.
   */
  predictionDistance?: number;
}

export const DEFAULT_DT = 1 / 240;

export class PhysicsWorld {
  readonly dt: number;
  /** Paths of the non-static bodies, in the order of `readPoses`. */
  readonly movingBodies: string[] = [];
  readonly warnings: string[] = [];
  private world!: World;
  private bodies!: Map<string, RapierBody>;
  private bodyInfo!: Map<string, BodyInfo>;
  private joints!: Map<string, ImpulseJoint>;
  /** Revolute joints simulated relative to the middle of their range (build.ts buildJoint). */
  private angleOffsets!: Map<string, number>;
  private filteredColliderPairs!: Set<string>;
  private steps = 0;
  private readonly settings: SolverSettings;

  private constructor(
    private readonly R: Rapier,
    readonly doc: SceneDocument,
    options: PhysicsOptions,
  ) {
    this.dt = options.dt ?? DEFAULT_DT;
    if (!(this.dt > 0 && this.dt <= 1)) throw new RangeError(`time step must be in (0, 1] seconds, got ${this.dt}`);
    this.settings = { dt: this.dt, solverIterations: options.solverIterations ?? null, pgsIterations: options.pgsIterations ?? null, predictionDistance: options.predictionDistance ?? null };
    this.adopt(buildWorld(R, doc, this.settings));
  }

  /** Takes over a built world (the lists callers hold keep their identity across resets). */
  private adopt(built: BuiltWorld): void {
    this.world = built.world;
    this.bodies = built.bodies;
    this.bodyInfo = built.bodyInfo;
    this.joints = built.joints;
    this.angleOffsets = built.angleOffsets;
    this.filteredColliderPairs = built.filteredColliderPairs;
    this.movingBodies.splice(0, this.movingBodies.length, ...built.movingBodies);
    this.warnings.splice(0, this.warnings.length, ...built.warnings);
  }

  static async create(doc: SceneDocument, options: PhysicsOptions = {}): Promise<PhysicsWorld> {
    return new PhysicsWorld(options.rapier ?? (await loadRapier()), doc, options);
  }

  get time(): number {
    return this.steps * this.dt;
  }

  get stepCount(): number {
    return this.steps;
  }

  private readonly hooks = {
    filterContactPair: (c1: number, c2: number): number | null =>
      this.filteredColliderPairs.has(pairKey(c1, c2)) ? null : this.R.SolverFlags.COMPUTE_IMPULSE,
    filterIntersectionPair: (c1: number, c2: number): boolean => !this.filteredColliderPairs.has(pairKey(c1, c2)),
  };

  /** Rapier consults physics hooks only when stepping with an event queue; kept for filtered pairs. */
  private events: RAPIER_NS.EventQueue | null = null;

  step(count = 1): void {
    if (this.filteredColliderPairs.size && !this.events) this.events = new this.R.EventQueue(true);
    for (let i = 0; i < count; i++) {
      if (this.events) this.world.step(this.events, this.hooks as never);
      else this.world.step();
      this.steps++;
    }
  }

  /** Positions and orientations of `movingBodies`, 7 floats each (x, y, z, qx, qy, qz, qw). */
  readPoses(out = new Float32Array(this.movingBodies.length * 7)): Float32Array {
    this.movingBodies.forEach((path, i) => {
      const b = this.bodies.get(path)!;
      const t = b.translation();
      const r = b.rotation();
      out.set([t.x, t.y, t.z, r.x, r.y, r.z, r.w], i * 7);
    });
    return out;
  }

  bodyState(path: string): BodyState {
    const b = this.bodies.get(path);
    if (!b) throw new Error(`no rigid body at ${path}`);
    const t = b.translation();
    const r = b.rotation();
    const v = b.linvel();
    const w = b.angvel();
    return { path, position: [t.x, t.y, t.z], orientation: [r.x, r.y, r.z, r.w], linearVelocity: [v.x, v.y, v.z], angularVelocity: [w.x, w.y, w.z] };
  }

  /**
   * The fastest moving body's speed (m/s) and spin (rad/s); sleeping bodies count as still.
   * Zero when nothing moves.
   */
  maxMotion(): { speed: number; spin: number } {
    let speed = 0;
    let spin = 0;
    for (const path of this.movingBodies) {
      const b = this.bodies.get(path)!;
      if (b.isSleeping() || !b.isDynamic()) continue;
      const v = b.linvel();
      const w = b.angvel();
      speed = Math.max(speed, Math.hypot(v.x, v.y, v.z));
      spin = Math.max(spin, Math.hypot(w.x, w.y, w.z));
    }
    return { speed, spin };
  }

  /** States of every non-static body. */
  bodyStates(): BodyState[] {
    return this.movingBodies.map((p) => this.bodyState(p));
  }

  /**
   * Mechanical energy of the moving bodies (J): kinetic (translational + rotational) and potential
   * in the scene's gravity, relative to the world origin. Used to check conservation.
   */
  mechanicalEnergy(): { kinetic: number; potential: number } {
    const g = new Vector3(...this.doc.gravity);
    let kinetic = 0;
    let potential = 0;
    for (const path of this.movingBodies) {
      const b = this.bodies.get(path)!;
      const m = b.mass();
      const v = b.linvel();
      const com = b.worldCom();
      // ω in the principal frame: inverse(body rotation · principal frame) applied to world ω.
      const frame = b.principalInertiaLocalFrame();
      const r = b.rotation();
      const toPrincipal = new Quaternion(r.x, r.y, r.z, r.w).multiply(new Quaternion(frame.x, frame.y, frame.z, frame.w)).invert();
      const w = new Vector3(b.angvel().x, b.angvel().y, b.angvel().z).applyQuaternion(toPrincipal);
      const inertia = b.principalInertia();
      kinetic += 0.5 * m * (v.x * v.x + v.y * v.y + v.z * v.z) + 0.5 * (inertia.x * w.x * w.x + inertia.y * w.y * w.y + inertia.z * w.z * w.z);
      potential -= m * g.dot(new Vector3(com.x, com.y, com.z));
    }
    return { kinetic, potential };
  }

  /** Simulated mass properties of a body: centre of mass and inertia frame in the body's frame. */
  massProperties(path: string): { mass: number; centerOfMass: Vec3; principalInertia: Vec3; inertiaFrame: [number, number, number, number] } {
    const b = this.bodies.get(path);
    if (!b) throw new Error(`no rigid body at ${path}`);
    const c = b.localCom();
    const i = b.principalInertia();
    const f = b.principalInertiaLocalFrame();
    return { mass: b.mass(), centerOfMass: [c.x, c.y, c.z], principalInertia: [i.x, i.y, i.z], inertiaFrame: [f.x, f.y, f.z, f.w] };
  }

  /** Every body, static ones included, with its colliders. */
  describeBodies(): BodyInfo[] {
    return [...this.bodyInfo.values()];
  }

  /** Current angle (revolute, rad) or offset (prismatic, m) of a joint, measured from its frames. */
  jointPosition(path: string): number {
    const joint = this.doc.joints.find((j) => j.path === path);
    if (!joint || !this.joints.has(path)) throw new Error(`no simulated joint at ${path}`);
    const frame = (body: string | null, pos: Vec3, rot: [number, number, number, number]) => {
      const q = new Quaternion(...rot).multiply(xToAxis(joint.axis));
      const p = new Vector3(...pos);
      if (body) {
        const b = this.bodies.get(body)!;
        const bq = new Quaternion(b.rotation().x, b.rotation().y, b.rotation().z, b.rotation().w);
        const t = b.translation();
        return { q: bq.clone().multiply(q), p: p.applyQuaternion(bq).add(new Vector3(t.x, t.y, t.z)) };
      }
      return { q, p };
    };
    const f0 = frame(joint.body0, joint.localPos0, joint.localRot0);
    const f1 = frame(joint.body1, joint.localPos1, joint.localRot1);
    const axis = new Vector3(1, 0, 0).applyQuaternion(f0.q);
    if (joint.type === 'prismatic') return f1.p.clone().sub(f0.p).dot(axis);
    const rel = f0.q.clone().invert().multiply(f1.q);
    // Twist angle about the joint's X axis, taken within half a turn of the middle of its range.
    const offset = this.angleOffsets.get(path) ?? 0;
    const twist = 2 * Math.atan2(rel.x, rel.w);
    return offset + wrapAngle(twist - offset);
  }

  /** Velocity of a revolute (rad/s) or prismatic (m/s) joint: body1's motion relative to body0 along the axis. */
  jointVelocity(path: string): number {
    const joint = this.doc.joints.find((j) => j.path === path);
    if (!joint || !this.joints.has(path) || (joint.type !== 'revolute' && joint.type !== 'prismatic')) throw new Error(`no simulated revolute or prismatic joint at ${path}`);
    const rotationOf = (body: string | null) => {
      if (!body) return new Quaternion();
      const r = this.bodies.get(body)!.rotation();
      return new Quaternion(r.x, r.y, r.z, r.w);
    };
    const axis = new Vector3(1, 0, 0).applyQuaternion(rotationOf(joint.body0).multiply(new Quaternion(...joint.localRot0)).multiply(xToAxis(joint.axis)));
    const velocity = (body: string | null, linear: boolean): Vector3 => {
      if (!body) return new Vector3();
      const b = this.bodies.get(body)!;
      const v = linear ? b.linvel() : b.angvel();
      return new Vector3(v.x, v.y, v.z);
    };
    if (joint.type === 'revolute') return velocity(joint.body1, false).sub(velocity(joint.body0, false)).dot(axis);
    // Prismatic: the velocity of body1's joint anchor relative to body0's, along the axis (the
    // anchors coincide up to the slide, so the rotational parts nearly cancel; this is exact for
    // bodies that do not turn relative to each other, which the joint enforces).
    const anchorVelocity = (body: string | null, local: Vec3) => {
      if (!body) return new Vector3();
      const b = this.bodies.get(body)!;
      const t = b.translation();
      const com = b.worldCom();
      const anchor = new Vector3(...local).applyQuaternion(rotationOf(body)).add(new Vector3(t.x, t.y, t.z));
      const w = velocity(body, false);
      return velocity(body, true).add(w.cross(anchor.sub(new Vector3(com.x, com.y, com.z))));
    };
    return anchorVelocity(joint.body1, joint.localPos1).sub(anchorVelocity(joint.body0, joint.localPos0)).dot(axis);
  }

  /**
   * Sets the drive target of a revolute or prismatic joint (rad or m, and rad/s or m/s), keeping
   * the drive's stiffness, damping and force limit. The joint must have a drive.
   */
  setJointTarget(path: string, position: number, velocity = 0, gains?: { stiffness: number; damping: number; maxForce: number | null }): void {
    const joint = this.doc.joints.find((j) => j.path === path);
    const created = this.joints.get(path);
    const drive = joint?.drives[0];
    if (!joint || !created || (joint.type !== 'revolute' && joint.type !== 'prismatic')) throw new Error(`no simulated revolute or prismatic joint at ${path}`);
    if (!drive) throw new Error(`${path}: the joint has no drive (PhysicsDriveAPI) to set a target for`);
    const g = gains ?? drive;
    const unit = created as RAPIER_NS.RevoluteImpulseJoint;
    unit.configureMotor(position - (this.angleOffsets.get(path) ?? 0), velocity, g.stiffness, g.damping);
    unit.setMotorMaxForce(g.maxForce ?? UNBOUNDED);
    for (const body of [joint.body0, joint.body1]) if (body) this.bodies.get(body)?.wakeUp();
  }

  /**
   * Scales gravity on one body (0: weightless). Robot links use 0 to stand for the gravity
   * compensation a real arm's controller applies.
   */
  setGravityScale(path: string, scale: number): void {
    const body = this.bodies.get(path);
    if (!body) throw new Error(`no rigid body at ${path}`);
    body.setGravityScale(scale, true);
  }

  /** Puts a body at a pose (world frame) at rest, now: for resets and constructed test states. */
  setBodyPose(path: string, position: Vec3, orientation: [number, number, number, number]): void {
    const body = this.bodies.get(path);
    if (!body) throw new Error(`no rigid body at ${path}`);
    body.setTranslation(new this.R.Vector3(...position), true);
    body.setRotation(new this.R.Quaternion(...orientation), true);
    if (body.isDynamic()) {
      body.setLinvel(new this.R.Vector3(0, 0, 0), true);
      body.setAngvel(new this.R.Vector3(0, 0, 0), true);
    }
  }

  /** Moves a kinematic body to a pose over the next step (world frame). */
  setKinematicTarget(path: string, position: Vec3, orientation: [number, number, number, number]): void {
    const body = this.bodies.get(path);
    if (!body || !body.isKinematic()) throw new Error(`no kinematic body at ${path}`);
    body.setNextKinematicTranslation(new this.R.Vector3(...position));
    body.setNextKinematicRotation(new this.R.Quaternion(...orientation));
  }

  /** Drops all state and rebuilds the world from the document (time back to zero). */
  reset(): void {
    this.freeWasm();
    this.steps = 0;
    this.adopt(buildWorld(this.R, this.doc, this.settings));
  }

  free(): void {
    this.freeWasm();
  }

  private freeWasm(): void {
    this.events?.free();
    this.events = null;
    this.world.free();
  }
}

/**
 * Building a Rapier world from a scene document: bodies, colliders for every shape, physics
 * materials with combine rules, mass properties, joints with limits and drives, and collision
 * filtering (groups and pairs). What is built, and how each UsdPhysics attribute maps to Rapier,
 * lives here; world.ts runs the result (steps, poses, joint targets, reset). DOM-free.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import type RAPIER_NS from '@dimforge/rapier3d-compat';
import type { Collider as RapierCollider, ImpulseJoint, RigidBody as RapierBody, World } from '@dimforge/rapier3d-compat';
import { owningBody, parentPath, primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { Axis, Geometry, Joint, PhysicsMaterial, Prim, SceneDocument, Vec3 } from '../scene/schema.ts';
import type { Rapier } from './rapier.ts';

export type ColliderShape = 'box' | 'sphere' | 'capsule' | 'cylinder' | 'cone' | 'convexHull' | 'convexDecomposition' | 'trimesh' | 'plane';

export interface ColliderInfo {
  path: string;
  shape: ColliderShape;
  material: { staticFriction: number; dynamicFriction: number; restitution: number } | null;
}

export interface BodyInfo {
  path: string;
  type: 'dynamic' | 'kinematic' | 'static';
  /** Mass as authored or derived from an authored density; null when neither was authored. */
  authoredMass: number | null;
  /** The mass Rapier simulates with (kg). */
  mass: number;
  colliders: ColliderInfo[];
}

/** Friction, restitution and density used where a collider has no bound physics material (PhysX defaults). */
export const DEFAULT_MATERIAL = { staticFriction: 0.5, dynamicFriction: 0.5, restitution: 0 } as const;
/** kg/m³, used when neither mass nor density is authored (as PhysX does). */
export const DEFAULT_DENSITY = 1000;

const COMBINE_RULES = { average: 0, min: 1, multiply: 2, max: 3 } as const;

/** Rotation taking +Y (Rapier's axis for cylinders, capsules, cones) to the given axis. */
function yToAxis(axis: Axis): Quaternion {
  if (axis === 'X') return new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), -Math.PI / 2);
  if (axis === 'Z') return new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), Math.PI / 2);
  return new Quaternion();
}

/**
 * Rotation taking the joint frame's X (the free axis of Rapier's revolute and prismatic joints) to
 * the given axis by cycling the axes (X→Y→Z→X), so the joint frame's Y and Z are always the USD
 * axes that follow: for a spherical joint, coneAngle0 (toward the next axis) limits rotation about
 * the frame's Z and coneAngle1 about its Y, whatever the axis.
 */
export function xToAxis(axis: Axis): Quaternion {
  const diagonal = new Vector3(1, 1, 1).normalize();
  if (axis === 'Y') return new Quaternion().setFromAxisAngle(diagonal, (2 * Math.PI) / 3);
  if (axis === 'Z') return new Quaternion().setFromAxisAngle(diagonal, (4 * Math.PI) / 3);
  return new Quaternion();
}

const axisIndex = (axis: Axis) => ({ X: 0, Y: 1, Z: 2 })[axis];

interface BuiltCollider {
  prim: Prim;
  collider: RapierCollider;
  info: ColliderInfo;
  /** Its mass comes from an authored mass or density, not the default density. */
  massAuthored: boolean;
}

/** How the world steps: the fixed time step and the solver's iteration counts (null: Rapier's defaults). */
export interface SolverSettings {
  dt: number;
  solverIterations: number | null;
  pgsIterations: number | null;
  /** How far apart (m) two shapes may be and still get a contact (Rapier's default is 2 cm); null: the default. */
  predictionDistance: number | null;
}

/** A built Rapier world and what the running side needs to find its parts (world.ts owns and frees it). */
export interface BuiltWorld {
  world: World;
  bodies: Map<string, RapierBody>;
  bodyInfo: Map<string, BodyInfo>;
  joints: Map<string, ImpulseJoint>;
  /** Revolute joints simulated relative to the middle of their range (see buildJoint). */
  angleOffsets: Map<string, number>;
  /** Collider handle pairs ("a:b", smaller first) that must not touch. */
  filteredColliderPairs: Set<string>;
  /** Paths of the non-static bodies, in creation order. */
  movingBodies: string[];
  warnings: string[];
}

/** Builds the document's world with these solver settings; the caller frees `world`. */
export function buildWorld(R: Rapier, doc: SceneDocument, settings: SolverSettings): BuiltWorld {
  const world = new R.World(new R.Vector3(...doc.gravity));
  world.timestep = settings.dt;
  if (settings.solverIterations !== null) world.numSolverIterations = settings.solverIterations;
  if (settings.pgsIterations !== null) world.numInternalPgsIterations = settings.pgsIterations;
  if (settings.predictionDistance !== null) world.integrationParameters.normalizedPredictionDistance = settings.predictionDistance;
  const builder = new WorldBuilder(R, doc, world);
  try {
    builder.build();
  } catch (error) {
    world.free();
    throw error;
  }
  const { bodies, bodyInfo, joints, angleOffsets, filteredColliderPairs, movingBodies, warnings } = builder;
  return { world, bodies, bodyInfo, joints, angleOffsets, filteredColliderPairs, movingBodies, warnings };
}

class WorldBuilder {
  readonly bodies = new Map<string, RapierBody>();
  readonly bodyInfo = new Map<string, BodyInfo>();
  readonly joints = new Map<string, ImpulseJoint>();
  readonly angleOffsets = new Map<string, number>();
  readonly filteredColliderPairs = new Set<string>();
  readonly movingBodies: string[] = [];
  readonly warnings: string[] = [];
  private worldAnchor: RapierBody | null = null;

  constructor(
    private readonly R: Rapier,
    private readonly doc: SceneDocument,
    private readonly world: World,
  ) {}

  private warn(path: string, message: string) {
    this.warnings.push(`${path}: ${message}`);
  }

  build() {
    const { R, doc } = this;
    const prims = primIndex(doc);
    const world = worldMatrices(doc);
    const materials = new Map(doc.physicsMaterials.map((m) => [m.path, m]));

    const rigid = (path: string) => {
      const p = new Vector3();
      const q = new Quaternion();
      const s = new Vector3();
      world.get(path)!.decompose(p, q, s);
      return { p, q: q.normalize(), s };
    };

    const createBody = (path: string, type: BodyInfo['type'], prim: Prim | null) => {
      const { p, q } = rigid(path);
      const desc =
        type === 'dynamic' ? R.RigidBodyDesc.dynamic() : type === 'kinematic' ? R.RigidBodyDesc.kinematicPositionBased() : R.RigidBodyDesc.fixed();
      desc.setTranslation(p.x, p.y, p.z).setRotation({ x: q.x, y: q.y, z: q.z, w: q.w });
      if (prim?.body && type === 'dynamic') {
        desc.setLinvel(...prim.body.linearVelocity).setAngvel(new R.Vector3(...prim.body.angularVelocity));
        if (prim.body.startsAsleep) desc.setSleeping(true);
      }
      const body = this.world.createRigidBody(desc);
      this.bodies.set(path, body);
      this.bodyInfo.set(path, { path, type, authoredMass: null, mass: 0, colliders: [] });
      if (type !== 'static') this.movingBodies.push(path);
      return body;
    };

    for (const prim of doc.prims) if (prim.body) createBody(prim.path, prim.body.type, prim);

    // Colliders: attached to the nearest body at or above them, or to a static body of their own.
    const byBody = new Map<string, BuiltCollider[]>();
    const groups = this.collisionGroupBits();
    for (const prim of doc.prims) {
      if (!prim.collider || !prim.geometry) continue;
      if (!prim.collider.enabled) continue;
      let owner = owningBody(prim.path, prims)?.path ?? null;
      if (!owner) {
        owner = prim.path;
        createBody(owner, 'static', null);
      }
      const body = this.bodies.get(owner)!;
      const bodyType = this.bodyInfo.get(owner)!.type;
      const bodyPose = rigid(owner);
      const bodyRigid = new Matrix4().compose(bodyPose.p, bodyPose.q, new Vector3(1, 1, 1));
      const rel = bodyRigid.invert().multiply(world.get(prim.path)!);
      const t = new Vector3();
      const r = new Quaternion();
      const s = new Vector3();
      rel.decompose(t, r, s);
      const shaped = this.colliderDesc(prim, prim.geometry, s, bodyType);
      if (!shaped) continue;
      const { desc, shape, rotation } = shaped;
      const q = r.normalize().clone().multiply(rotation);
      desc.setTranslation(t.x, t.y, t.z).setRotation({ x: q.x, y: q.y, z: q.z, w: q.w });

      const material = prim.collider.physicsMaterial ? materials.get(prim.collider.physicsMaterial) ?? null : null;
      const m = material ?? DEFAULT_MATERIAL;
      desc.setFriction(m.dynamicFriction).setRestitution(m.restitution);
      if (material) {
        desc.setFrictionCombineRule(COMBINE_RULES[material.frictionCombine]);
        desc.setRestitutionCombineRule(COMBINE_RULES[material.restitutionCombine]);
      }
      const density = this.densityFor(prim, material, owner, prims);
      desc.setDensity(density.density);
      const bits = groups.get(prim.path);
      if (bits !== undefined) desc.setCollisionGroups(bits);
      const collider = this.world.createCollider(desc, body);
      if (prim.mass?.mass) collider.setMass(prim.mass.mass);
      const info: ColliderInfo = {
        path: prim.path,
        shape,
        material: material ? { staticFriction: material.staticFriction, dynamicFriction: material.dynamicFriction, restitution: material.restitution } : null,
      };
      this.bodyInfo.get(owner)!.colliders.push(info);
      const list = byBody.get(owner) ?? [];
      list.push({ prim, collider, info, massAuthored: density.authored || prim.mass?.mass !== undefined });
      byBody.set(owner, list);
    }

    for (const [path, info] of this.bodyInfo) this.applyMass(path, info, prims, byBody.get(path) ?? [], rigid(path).s);
    this.buildFilteredPairs(byBody, prims);
    for (const joint of doc.joints) this.buildJoint(joint);
  }

  /**
   * Collider density, by UsdPhysics precedence: MassAPI density on the collider or the nearest
   * ancestor up to its body (a child's overrides its parent's), then the bound material's, then
   * the default. `authored` is false only for the default.
   */
  private densityFor(prim: Prim, material: PhysicsMaterial | null, owner: string, prims: Map<string, Prim>): { density: number; authored: boolean } {
    for (let p: string | null = prim.path; p; p = p === owner ? null : parentPath(p)) {
      const density = prims.get(p)?.mass?.density;
      if (density !== undefined) return { density, authored: true };
    }
    if (material?.density !== undefined) return { density: material.density, authored: true };
    return { density: DEFAULT_DENSITY, authored: false };
  }

  /**
   * Mass properties of one body. Colliders contribute density × volume; an authored body mass
   * rescales them; an authored centre of mass (in the body's scaled frame) or inertia replaces
   * Rapier's computed ones. A dynamic body left without mass gets 1 kg and unit inertia, as in PhysX.
   */
  private applyMass(path: string, info: BodyInfo, prims: Map<string, Prim>, colliders: BuiltCollider[], bodyScale: Vector3) {
    const body = this.bodies.get(path)!;
    const authored = prims.get(path)?.mass;
    for (const c of colliders) {
      if (c.prim.path !== path && (c.prim.mass?.centerOfMass || c.prim.mass?.diagonalInertia)) {
        this.warn(c.prim.path, 'centerOfMass and diagonalInertia on a collider are not simulated; author them on the rigid body');
      }
    }
    if (info.type !== 'dynamic') {
      info.mass = 0;
      info.authoredMass = authored?.mass ?? null;
      return;
    }
    body.recomputeMassPropertiesFromColliders();
    // A body's authored mass overrides its colliders': keep their distribution, rescale the total.
    if (authored?.mass !== undefined && colliders.length) {
      const total = colliders.reduce((sum, c) => sum + c.collider.mass(), 0);
      for (const c of colliders) c.collider.setMass(total > 0 ? (authored.mass * c.collider.mass()) / total : authored.mass / colliders.length);
      body.recomputeMassPropertiesFromColliders();
    }
    const computed = body.mass() > 0;
    if (authored?.diagonalInertia || authored?.centerOfMass || !computed) {
      if (!computed && authored?.mass === undefined) this.warn(path, 'dynamic body without colliders or authored mass; simulated as 1 kg with unit inertia');
      const v = (x: { x: number; y: number; z: number }): Vec3 => [x.x, x.y, x.z];
      const mass = authored?.mass ?? (computed ? body.mass() : 1);
      const com: Vec3 = authored?.centerOfMass
        ? [authored.centerOfMass[0] * bodyScale.x, authored.centerOfMass[1] * bodyScale.y, authored.centerOfMass[2] * bodyScale.z]
        : computed ? v(body.localCom()) : [0, 0, 0];
      const inertia: Vec3 = authored?.diagonalInertia ?? (computed ? v(body.principalInertia()) : [1, 1, 1]);
      // Authored moments come with authored axes (identity by default); computed ones keep theirs.
      const computedFrame = body.principalInertiaLocalFrame();
      const frame = authored?.principalAxes ?? (authored?.diagonalInertia || !computed ? [0, 0, 0, 1] : [computedFrame.x, computedFrame.y, computedFrame.z, computedFrame.w]);
      for (const c of colliders) c.collider.setDensity(0);
      body.setAdditionalMassProperties(mass, new this.R.Vector3(...com), new this.R.Vector3(...inertia), new this.R.Quaternion(...frame), true);
      body.recomputeMassPropertiesFromColliders();
    }
    info.mass = body.mass();
    const massAuthored = authored?.mass !== undefined || authored?.density !== undefined || colliders.some((c) => c.massAuthored);
    info.authoredMass = massAuthored ? info.mass : null;
  }

  private colliderDesc(
    prim: Prim,
    geometry: Geometry,
    scale: Vector3,
    bodyType: BodyInfo['type'],
  ): { desc: RAPIER_NS.ColliderDesc; shape: ColliderShape; rotation: Quaternion } | null {
    const { R } = this;
    const s = [Math.abs(scale.x), Math.abs(scale.y), Math.abs(scale.z)] as const;
    const identity = new Quaternion();
    const approximation = prim.collider!.approximation;
    const perpendicular = (axis: Axis) => {
      const i = axisIndex(axis);
      const others = [0, 1, 2].filter((k) => k !== i).map((k) => s[k]!);
      if (Math.abs(others[0]! - others[1]!) > 1e-6 * Math.max(others[0]!, others[1]!)) {
        this.warn(prim.path, `non-uniform scale across the ${axis} axis of a round shape; using the larger radius`);
      }
      return { radial: Math.max(others[0]!, others[1]!), along: s[i]! };
    };
    switch (geometry.kind) {
      case 'box':
        return { desc: R.ColliderDesc.cuboid((geometry.size[0] * s[0]) / 2, (geometry.size[1] * s[1]) / 2, (geometry.size[2] * s[2]) / 2), shape: 'box', rotation: identity };
      case 'sphere': {
        const max = Math.max(...s);
        if (max - Math.min(...s) > 1e-6 * max) this.warn(prim.path, 'non-uniformly scaled sphere collider; using the largest radius');
        return { desc: R.ColliderDesc.ball(geometry.radius * max), shape: 'sphere', rotation: identity };
      }
      case 'cylinder':
      case 'capsule':
      case 'cone': {
        const { radial, along } = perpendicular(geometry.axis);
        const radius = geometry.radius * radial;
        const half = (geometry.height * along) / 2;
        const desc =
          geometry.kind === 'cylinder' ? R.ColliderDesc.cylinder(half, radius) : geometry.kind === 'capsule' ? R.ColliderDesc.capsule(half, radius) : R.ColliderDesc.cone(half, radius);
        return { desc, shape: geometry.kind, rotation: yToAxis(geometry.axis) };
      }
      case 'plane': {
        if (bodyType !== 'static') {
          this.warn(prim.path, 'a Plane collider on a moving body is simulated as a thin box');
          const half = [(geometry.width * s[0]) / 2, (geometry.length * s[1]) / 2, 0.0005];
          const q = geometry.axis === 'Z' ? identity : geometry.axis === 'X' ? yToAxis('X').multiply(yToAxis('Z')) : yToAxis('Z');
          return { desc: R.ColliderDesc.cuboid(half[0]!, half[1]!, half[2]!), shape: 'box', rotation: q };
        }
        const normal = [0, 0, 0];
        normal[axisIndex(geometry.axis)] = 1;
        const desc = new R.ColliderDesc(new R.HalfSpace(new R.Vector3(normal[0]!, normal[1]!, normal[2]!)));
        return { desc, shape: 'plane', rotation: identity };
      }
      case 'mesh': {
        const vertices = new Float32Array(geometry.points.length);
        for (let i = 0; i < geometry.points.length; i++) vertices[i] = geometry.points[i]! * s[i % 3]!;
        const indices = new Uint32Array(geometry.indices);
        const hull = () => {
          const desc = R.ColliderDesc.convexHull(vertices);
          if (!desc) this.warn(prim.path, 'mesh points are degenerate (no convex hull); collider skipped');
          return desc ? { desc, shape: 'convexHull' as const, rotation: identity } : null;
        };
        switch (approximation) {
          case 'convexHull':
            return hull();
          case 'convexDecomposition': {
            const desc = indices.length >= 3 ? R.ColliderDesc.convexDecomposition(vertices, indices) : null;
            if (desc) return { desc, shape: 'convexDecomposition', rotation: identity };
            this.warn(prim.path, 'convex decomposition failed; using the convex hull');
            return hull();
          }
          case 'boundingSphere': {
            const c = centroidBounds(vertices);
            return { desc: R.ColliderDesc.ball(c.radius).setTranslation(c.center.x, c.center.y, c.center.z), shape: 'sphere', rotation: identity };
          }
          case 'boundingCube': {
            const c = centroidBounds(vertices);
            return { desc: R.ColliderDesc.cuboid(c.half.x, c.half.y, c.half.z).setTranslation(c.center.x, c.center.y, c.center.z), shape: 'box', rotation: identity };
          }
          case 'meshSimplification':
          case 'none':
          default: {
            if (bodyType === 'dynamic') {
              this.warn(prim.path, `triangle-mesh collision ("${approximation}") is not supported on dynamic bodies; using the convex hull`);
              return hull();
            }
            if (approximation === 'meshSimplification') this.warn(prim.path, 'meshSimplification is simulated with the full triangle mesh');
            if (indices.length < 3) return hull();
            return { desc: R.ColliderDesc.trimesh(vertices, indices), shape: 'trimesh', rotation: identity };
          }
        }
      }
    }
  }

  /**
   * Rapier filters with 16 membership bits per collider. Groups get bits 0..14; colliders in no
   * group get bit 15, which every group collides with.
   */
  private collisionGroupBits(): Map<string, number> {
    const out = new Map<string, number>();
    const groups = this.doc.collisionGroups;
    if (!groups.length) return out;
    const usable = groups.slice(0, 15);
    if (groups.length > 15) this.warn(groups[15]!.path, `only 15 collision groups are supported; ${groups.length - 15} ignored`);
    const bit = new Map(usable.map((g, i) => [g.path, 1 << i]));
    const DEFAULT_BIT = 1 << 15;
    const filterOf = (i: number) => {
      const g = usable[i]!;
      const named = g.filteredGroups.reduce((acc, p) => acc | (bit.get(p) ?? 0), 0);
      return g.invertFilteredGroups ? named : 0xffff & ~named;
    };
    // Filtering is symmetric: a group filtered by another also ignores it.
    const filters = usable.map((_, i) => filterOf(i));
    usable.forEach((g, i) => {
      for (const other of g.filteredGroups) {
        const j = usable.findIndex((u) => u.path === other);
        if (j >= 0 && !g.invertFilteredGroups) filters[j]! &= ~(1 << i);
      }
    });
    for (const prim of this.doc.prims) {
      if (!prim.collider) continue;
      let membership = 0;
      let filter = 0xffff;
      usable.forEach((g, i) => {
        if (g.members.some((m) => prim.path === m || prim.path.startsWith(`${m}/`))) {
          membership |= 1 << i;
          filter &= filters[i]!;
        }
      });
      if (membership === 0) membership = DEFAULT_BIT;
      out.set(prim.path, ((membership & 0xffff) << 16) | (filter & 0xffff));
    }
    return out;
  }

  private buildFilteredPairs(byBody: Map<string, BuiltCollider[]>, prims: Map<string, Prim>) {
    if (!this.doc.filteredPairs.length) return;
    const all = [...byBody.values()].flat();
    const handlesFor = (path: string) =>
      all.filter((c) => c.prim.path === path || c.prim.path.startsWith(`${path}/`) || owningBody(c.prim.path, prims)?.path === path).map((c) => c.collider);
    for (const [a, b] of this.doc.filteredPairs) {
      const ca = handlesFor(a);
      const cb = handlesFor(b);
      for (const x of ca) {
        for (const y of cb) {
          this.filteredColliderPairs.add(pairKey(x.handle, y.handle));
          x.setActiveHooks(this.R.ActiveHooks.FILTER_CONTACT_PAIRS | this.R.ActiveHooks.FILTER_INTERSECTION_PAIRS);
          y.setActiveHooks(this.R.ActiveHooks.FILTER_CONTACT_PAIRS | this.R.ActiveHooks.FILTER_INTERSECTION_PAIRS);
        }
      }
    }
  }

  private bodyOrWorld(path: string | null): RapierBody {
    if (path) return this.bodies.get(path)!;
    this.worldAnchor ??= this.world.createRigidBody(this.R.RigidBodyDesc.fixed());
    return this.worldAnchor;
  }

  private buildJoint(joint: Joint) {
    const { R } = this;
    if (!joint.enabled) return;
    if (joint.body0 === null && joint.body1 === null) {
      this.warn(joint.path, 'joint has neither body0 nor body1; skipped');
      return;
    }
    const b0 = this.bodyOrWorld(joint.body0);
    const b1 = this.bodyOrWorld(joint.body1);
    const a0 = new R.Vector3(...joint.localPos0);
    const a1 = new R.Vector3(...joint.localPos1);
    const axisFrame = joint.type === 'revolute' || joint.type === 'prismatic' || joint.type === 'spherical' ? xToAxis(joint.axis) : new Quaternion();
    // Rapier measures a revolute angle in (−π, π]; a range such as the Panda's joint 6
    // (−1°, 215°) leaves that interval. So body0's frame is turned to the middle of the range,
    // Rapier works relative to it, and limits, targets and readings are shifted back.
    const offset = revoluteOffset(joint);
    this.angleOffsets.set(joint.path, offset);
    const frame0 = new Quaternion(...joint.localRot0).multiply(axisFrame).multiply(new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), offset));
    const frame1 = new Quaternion(...joint.localRot1).multiply(axisFrame);
    const X = new R.Vector3(1, 0, 0);
    let data: RAPIER_NS.JointData;
    const limitsByDof = new Map(joint.limits.map((l) => [l.dof, l]));
    switch (joint.type) {
      case 'revolute':
        data = R.JointData.revolute(a0, a1, X);
        break;
      case 'prismatic':
        data = R.JointData.prismatic(a0, a1, X);
        break;
      case 'spherical':
        data = R.JointData.spherical(a0, a1);
        break;
      case 'fixed':
        data = R.JointData.fixed(a0, toRot(frame0), a1, toRot(frame1));
        break;
      case 'distance': {
        if (joint.minDistance !== null && joint.minDistance > 0) this.warn(joint.path, 'minDistance of a distance joint is not simulated (only maxDistance)');
        if (joint.maxDistance === null) {
          this.warn(joint.path, 'distance joint without maxDistance constrains nothing; skipped');
          return;
        }
        data = R.JointData.rope(joint.maxDistance, a0, a1);
        break;
      }
      case 'd6': {
        // A dof is locked when its limit has low > high; without a limit it is free.
        const dofs = ['transX', 'transY', 'transZ', 'rotX', 'rotY', 'rotZ'] as const;
        let locked = 0;
        dofs.forEach((dof, i) => {
          const l = limitsByDof.get(dof);
          if (l && isLocked(l)) locked |= 1 << i;
        });
        if (limitsByDof.has('distance')) this.warn(joint.path, 'PhysicsLimitAPI:distance on a generic joint is not simulated');
        if (locked === 0) {
          this.warn(joint.path, 'generic joint leaves all six degrees of freedom free; nothing to simulate');
          return;
        }
        data = R.JointData.generic(a0, a1, X, locked);
        break;
      }
    }
    const created = this.world.createImpulseJoint(data, b0, b1, true);
    created.setContactsEnabled(joint.collisionEnabled);
    if (joint.type !== 'fixed' && joint.type !== 'distance') {
      created.setLocalFrame1(a0, toRot(frame0));
      created.setLocalFrame2(a1, toRot(frame1));
    }
    this.joints.set(joint.path, created);

    const raw = this.world.impulseJoints.raw;
    const handle = created.handle;
    const axisOf: Record<string, number> = { transX: 0, transY: 1, transZ: 2, rotX: 3, rotY: 4, rotZ: 5 };
    if (joint.type === 'revolute' || joint.type === 'prismatic') {
      const unit = created as RAPIER_NS.RevoluteImpulseJoint;
      const limit = joint.limits[0];
      if (limit) unit.setLimits(limit.low !== null ? limit.low - offset : -UNBOUNDED, limit.high !== null ? limit.high - offset : UNBOUNDED);
      const drive = joint.drives[0];
      if (drive) {
        unit.configureMotorModel(drive.type === 'acceleration' ? R.MotorModel.AccelerationBased : R.MotorModel.ForceBased);
        unit.configureMotor(drive.targetPosition - offset, drive.targetVelocity, drive.stiffness, drive.damping);
        if (drive.maxForce !== null) unit.setMotorMaxForce(drive.maxForce);
      }
    } else if (joint.type === 'spherical') {
      // Cone limits approximated per swing axis (Rapier limits each angular axis separately):
      // coneAngle0 tilts the axis toward the next one (about the frame's Z), coneAngle1 about Y.
      if (joint.coneAngle0 !== null) raw.jointSetLimits(handle, this.R.JointAxis.AngZ as never, -joint.coneAngle0, joint.coneAngle0);
      if (joint.coneAngle1 !== null) raw.jointSetLimits(handle, this.R.JointAxis.AngY as never, -joint.coneAngle1, joint.coneAngle1);
      if (joint.coneAngle0 !== null || joint.coneAngle1 !== null) this.warn(joint.path, 'spherical cone limits are simulated as independent per-axis swing limits');
    } else if (joint.type === 'd6') {
      for (const l of joint.limits) {
        const axis = axisOf[l.dof];
        if (axis === undefined || isLocked(l)) continue;
        if (l.low !== null || l.high !== null) raw.jointSetLimits(handle, axis as never, l.low ?? -UNBOUNDED, l.high ?? UNBOUNDED);
      }
      for (const d of joint.drives) {
        const axis = axisOf[d.dof];
        if (axis === undefined) {
          this.warn(joint.path, `drive on "${d.dof}" is not simulated for generic joints`);
          continue;
        }
        raw.jointConfigureMotorModel(handle, axis as never, (d.type === 'acceleration' ? R.MotorModel.AccelerationBased : R.MotorModel.ForceBased) as never);
        raw.jointConfigureMotor(handle, axis as never, d.targetPosition, d.targetVelocity, d.stiffness, d.damping);
        if (d.maxForce !== null) raw.jointSetMotorMaxForce(handle, axis as never, d.maxForce);
      }
    }
    if (joint.drives.length && joint.type !== 'revolute' && joint.type !== 'prismatic' && joint.type !== 'd6') {
      this.warn(joint.path, `drives on ${joint.type} joints are not simulated`);
    }
  }
}

const toRot = (q: Quaternion) => ({ x: q.x, y: q.y, z: q.z, w: q.w });

/** An angle in (−π, π]. */
export const wrapAngle = (a: number) => {
  const r = a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
  return r <= -Math.PI ? r + 2 * Math.PI : r;
};

/** The middle of a revolute joint's range when both sides are bounded (and not locked), else 0. */
function revoluteOffset(joint: Joint): number {
  if (joint.type !== 'revolute') return 0;
  const limit = joint.limits[0];
  if (!limit || limit.low === null || limit.high === null || limit.low > limit.high) return 0;
  return (limit.low + limit.high) / 2;
}
/** Stands in for an unbounded side of a limit (Rapier takes finite f32 limits). */
export const UNBOUNDED = 1e9;
const isLocked = (l: { low: number | null; high: number | null }) => l.low !== null && l.high !== null && l.low > l.high;
export const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

function centroidBounds(v: Float32Array) {
  const min = new Vector3(Infinity, Infinity, Infinity);
  const max = new Vector3(-Infinity, -Infinity, -Infinity);
  for (let i = 0; i < v.length; i += 3) {
    min.min(new Vector3(v[i], v[i + 1], v[i + 2]));
    max.max(new Vector3(v[i], v[i + 1], v[i + 2]));
  }
  const center = min.clone().add(max).multiplyScalar(0.5);
  const half = max.clone().sub(min).multiplyScalar(0.5);
  return { center, half, radius: half.length() };
}

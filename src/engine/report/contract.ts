/**
 * The JSON contracts of `simloop inspect --json` and `simloop simulate --json` (documented in
 * docs/CLI.md). Later tools parse these, so field names and units change only with a version bump.
 * Units: metres, kilograms, seconds; Y-up world frame; quaternions [x, y, z, w]; camera fovY in degrees.
 */
import { classLabel, matrixToTransform, primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';
import type { Matrix4 } from 'three';
import { PhysicsWorld, type ColliderShape } from '../physics/world.ts';

export interface InspectReport {
  source: string;
  authored: { metersPerUnit: number; kilogramsPerUnit: number; upAxis: 'Y' | 'Z' };
  gravity: [number, number, number];
  bodies: {
    path: string;
    type: 'dynamic' | 'kinematic' | 'static';
    position: [number, number, number];
    orientation: [number, number, number, number];
    mass: number | null;
    label: string | null;
    colliders: { shape: Exclude<ColliderShape, 'convexDecomposition'> | 'convexHull'; material: { staticFriction: number; dynamicFriction: number; restitution: number } | null }[];
  }[];
  joints: { path: string; type: SceneDocument['joints'][number]['type']; body0: string | null; body1: string | null }[];
  cameras: { path: string; position: [number, number, number]; orientation: [number, number, number, number]; fovY: number; near: number; far: number }[];
  warnings: string[];
}

export interface SimulateReport {
  time: number;
  bodies: { path: string; position: [number, number, number]; orientation: [number, number, number, number]; linearVelocity: [number, number, number] }[];
}

// Rapier computes in f32: seven significant digits is all the precision there is.
const round = (v: number) => (Math.abs(v) < 1e-9 ? 0 : Number(v.toPrecision(7)));
const vec = <T extends number[]>(v: T): T => v.map(round) as T;

function pose(world: Map<string, Matrix4>, path: string) {
  const { position, orientation } = matrixToTransform(world.get(path)!);
  return { position: vec(position), orientation: vec(orientation) };
}

/** Builds the inspect report; constructs (and frees) a physics world to resolve shapes and masses. */
export async function inspectScene(doc: SceneDocument, source: string, importWarnings: string[]): Promise<InspectReport> {
  const physics = await PhysicsWorld.create(doc);
  try {
    const world = worldMatrices(doc);
    const prims = primIndex(doc);
    return {
      source,
      authored: { metersPerUnit: doc.source.metersPerUnit, kilogramsPerUnit: doc.source.kilogramsPerUnit, upAxis: doc.source.upAxis },
      gravity: vec([...doc.gravity]),
      bodies: physics.describeBodies().map((b) => ({
        path: b.path,
        type: b.type,
        ...pose(world, b.path),
        mass: b.authoredMass === null ? null : round(b.authoredMass),
        label: classLabel(b.path, prims),
        colliders: b.colliders.map((c) => ({
          // The contract names convex decompositions as hulls (a compound of them).
          shape: c.shape === 'convexDecomposition' ? 'convexHull' : c.shape,
          material: c.material && { staticFriction: round(c.material.staticFriction), dynamicFriction: round(c.material.dynamicFriction), restitution: round(c.material.restitution) },
        })),
      })),
      joints: doc.joints.map((j) => ({ path: j.path, type: j.type, body0: j.body0, body1: j.body1 })),
      cameras: doc.prims
        .filter((p) => p.camera)
        .map((p) => ({ path: p.path, ...pose(world, p.path), fovY: round((p.camera!.fovY * 180) / Math.PI), near: round(p.camera!.near), far: round(p.camera!.far) })),
      warnings: [...importWarnings, ...physics.warnings],
    };
  } finally {
    physics.free();
  }
}

/** Steps the scene for `seconds` at fixed `dt` and reports every non-static body. */
export async function simulateScene(doc: SceneDocument, seconds: number, dt?: number): Promise<SimulateReport> {
  const physics = await PhysicsWorld.create(doc, dt === undefined ? {} : { dt });
  try {
    const steps = Math.round(seconds / physics.dt);
    physics.step(steps);
    return {
      time: round(physics.time),
      bodies: physics.bodyStates().map((s) => ({ path: s.path, position: vec(s.position), orientation: vec(s.orientation), linearVelocity: vec(s.linearVelocity) })),
    };
  } finally {
    physics.free();
  }
}

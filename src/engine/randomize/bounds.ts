/**
 * Conservative bounds of prims for placement: each shape as a few points swept by a sphere (a box
 * is its eight corners, a sphere its centre and radius, a capsule its two end centres and radius),
 * so the axis-aligned box of the points, grown by the radius, contains the shape in any
 * orientation and is exact for boxes, spheres and capsules, and for upright round shapes.
 */
import { Box3, Matrix4, Vector3, type Quaternion } from 'three';
import { worldMatrices } from '../scene/hierarchy.ts';
import type { Geometry, SceneDocument } from '../scene/schema.ts';
import { isWithin } from './select.ts';

/** Points (in some frame) and a radius swept around each. */
export interface SweptPoints {
  points: Vector3[];
  radius: number;
}

const AXES = { X: 0, Y: 1, Z: 2 } as const;

/** A shape in its own frame. Planes are flat quads; meshes their points. */
export function shapePoints(geometry: Geometry): SweptPoints {
  const box = (hx: number, hy: number, hz: number): Vector3[] => {
    const out: Vector3[] = [];
    for (const x of [-hx, hx]) for (const y of [-hy, hy]) for (const z of [-hz, hz]) out.push(new Vector3(x, y, z));
    return out;
  };
  const along = (axis: 'X' | 'Y' | 'Z', along: number, across: number) => {
    const h = [across, across, across];
    h[AXES[axis]] = along;
    return h as [number, number, number];
  };
  switch (geometry.kind) {
    case 'box':
      return { points: box(geometry.size[0] / 2, geometry.size[1] / 2, geometry.size[2] / 2), radius: 0 };
    case 'sphere':
      return { points: [new Vector3()], radius: geometry.radius };
    case 'capsule': {
      const end = new Vector3();
      end.setComponent(AXES[geometry.axis], geometry.height / 2);
      return { points: [end.clone(), end.clone().negate()], radius: geometry.radius };
    }
    case 'cylinder':
    case 'cone':
      return { points: box(...along(geometry.axis, geometry.height / 2, geometry.radius)), radius: 0 };
    case 'plane': {
      // UsdGeomPlane: width along X (Z when the axis is X), length along Y (Z when the axis is Y).
      const [w, l] = [geometry.width / 2, geometry.length / 2];
      const h = geometry.axis === 'X' ? [0, l, w] : geometry.axis === 'Y' ? [w, 0, l] : [w, l, 0];
      return { points: box(h[0]!, h[1]!, h[2]!), radius: 0 };
    }
    case 'mesh': {
      const points: Vector3[] = [];
      for (let i = 0; i + 2 < geometry.points.length; i += 3) points.push(new Vector3(geometry.points[i], geometry.points[i + 1], geometry.points[i + 2]));
      return { points, radius: 0 };
    }
  }
}

/** Largest factor by which a matrix stretches any direction (bounds the scaled sweep radius). */
export function maxScale(m: Matrix4): number {
  const e = m.elements;
  return Math.max(Math.hypot(e[0]!, e[1]!, e[2]!), Math.hypot(e[4]!, e[5]!, e[6]!), Math.hypot(e[8]!, e[9]!, e[10]!));
}

/** Swept points of one shape, carried into another frame by `m`. */
function transformed(shape: SweptPoints, m: Matrix4): SweptPoints {
  return { points: shape.points.map((p) => p.clone().applyMatrix4(m)), radius: shape.radius * maxScale(m) };
}

/**
 * The shapes of every prim with geometry at or under `root`, expressed in the root's own frame
 * (its world matrix undone, scale included): what moves with the root when it is placed.
 */
export function subtreeShapes(doc: Pick<SceneDocument, 'prims'>, root: string, world = worldMatrices(doc)): SweptPoints[] {
  const rootWorld = world.get(root);
  if (!rootWorld) return [];
  const toRoot = rootWorld.clone().invert();
  return doc.prims.filter((p) => p.geometry && isWithin(p.path, root)).map((p) => transformed(shapePoints(p.geometry!), toRoot.clone().multiply(world.get(p.path)!)));
}

/** Axis-aligned box of swept points after rotating and scaling them (positions relative to the origin). */
export function orientedExtent(shapes: readonly SweptPoints[], rotation: Quaternion, scale: Vector3): Box3 {
  const box = new Box3();
  const s = Math.max(Math.abs(scale.x), Math.abs(scale.y), Math.abs(scale.z));
  const v = new Vector3();
  for (const shape of shapes) {
    const r = shape.radius * s;
    for (const p of shape.points) {
      v.copy(p).multiply(scale).applyQuaternion(rotation);
      box.expandByPoint(v.clone().subScalar(r));
      box.expandByPoint(v.clone().addScalar(r));
    }
  }
  return box;
}

/** World-space bounds of one prim's own geometry (empty box when it has none). */
export function primWorldBounds(geometry: Geometry | undefined, world: Matrix4): Box3 {
  const box = new Box3();
  if (!geometry) return box;
  const shape = transformed(shapePoints(geometry), world);
  for (const p of shape.points) {
    box.expandByPoint(p.clone().subScalar(shape.radius));
    box.expandByPoint(p.clone().addScalar(shape.radius));
  }
  return box;
}

/** World-space bounds of everything with geometry at or under `root` (empty box when nothing). */
export function subtreeWorldBounds(doc: Pick<SceneDocument, 'prims'>, root: string, world = worldMatrices(doc)): Box3 {
  const box = new Box3();
  for (const p of doc.prims) if (p.geometry && isWithin(p.path, root)) box.union(primWorldBounds(p.geometry, world.get(p.path)!));
  return box;
}

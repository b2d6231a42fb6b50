/**
 * Mass properties of solid shapes of uniform density — volume, centre of mass and inertia tensor
 * about it, in the shape's own frame — and their sum over the shapes of one body, as MuJoCo
 * computes a body's inertia from its geoms when the file gives none. Closed meshes are integrated
 * exactly (signed tetrahedra from the origin); an open or inside-out mesh is integrated all the
 * same (its sign fixed), which is what MuJoCo's "exact" inertia does too.
 */
import { Matrix3, Matrix4, Quaternion, Vector3 } from 'three';
import type { Geometry, Vec3 } from '../scene/schema.ts';
import { diagonaliseInertia } from './inertia.ts';

/** Per unit density: volume (m³), centre (m) and inertia about the centre (m⁵, a symmetric 3×3). */
export interface SolidMoments {
  volume: number;
  center: Vector3;
  /** Row-major symmetric tensor: [xx, xy, xz, yy, yz, zz]. */
  inertia: [number, number, number, number, number, number];
}

const diagonal = (volume: number, xx: number, yy: number, zz: number): SolidMoments => ({ volume, center: new Vector3(), inertia: [xx, 0, 0, yy, 0, zz] });

/** Moments of an axis-aligned solid: `along` its axis, `across` about the two others. */
function axial(volume: number, along: number, across: number, axis: 'X' | 'Y' | 'Z'): SolidMoments {
  return axis === 'X' ? diagonal(volume, along, across, across) : axis === 'Y' ? diagonal(volume, across, along, across) : diagonal(volume, across, across, along);
}

/** The moments of a solid ellipsoid with these semi-axes. */
export function ellipsoidMoments([a, b, c]: Vec3): SolidMoments {
  const v = (4 / 3) * Math.PI * a * b * c;
  return diagonal(v, (v * (b * b + c * c)) / 5, (v * (a * a + c * c)) / 5, (v * (a * a + b * b)) / 5);
}

/** The moments of a geometry as a solid; null for what has no volume (a plane). */
export function solidMoments(geometry: Geometry): SolidMoments | null {
  switch (geometry.kind) {
    case 'sphere': {
      const r = geometry.radius;
      const v = (4 / 3) * Math.PI * r ** 3;
      const i = 0.4 * v * r * r;
      return diagonal(v, i, i, i);
    }
    case 'box': {
      const [a, b, c] = geometry.size;
      const v = a * b * c;
      return diagonal(v, (v * (b * b + c * c)) / 12, (v * (a * a + c * c)) / 12, (v * (a * a + b * b)) / 12);
    }
    case 'cylinder': {
      const { radius: r, height: h } = geometry;
      const v = Math.PI * r * r * h;
      return axial(v, (v * r * r) / 2, (v * (3 * r * r + h * h)) / 12, geometry.axis);
    }
    case 'cone': {
      const { radius: r, height: h } = geometry;
      const v = (Math.PI * r * r * h) / 3;
      // About the centroid, a quarter of the height above the base; the cone's frame is centred on its height.
      const moments = axial(v, (3 * v * r * r) / 10, v * ((3 * r * r) / 20 + (3 * h * h) / 80), geometry.axis);
      moments.center.setComponent(geometry.axis === 'X' ? 0 : geometry.axis === 'Y' ? 1 : 2, -h / 4);
      return moments;
    }
    case 'capsule': {
      // A cylinder of height h and two hemispheres of radius r (the sphere's inertia, moved to the caps).
      const { radius: r, height: h } = geometry;
      const vc = Math.PI * r * r * h;
      const vs = (4 / 3) * Math.PI * r ** 3;
      const along = (vc * r * r) / 2 + 0.4 * vs * r * r;
      const across = (vc * (3 * r * r + h * h)) / 12 + vs * (0.4 * r * r + (h * h) / 4 + (3 * h * r) / 8);
      return axial(vc + vs, along, across, geometry.axis);
    }
    case 'mesh':
      return meshMoments(geometry.points, geometry.indices);
    case 'plane':
      return null;
  }
}

/** Moments of a triangle mesh taken as the solid it bounds; null when it encloses no volume. */
export function meshMoments(points: readonly number[], indices: readonly number[]): SolidMoments | null {
  let volume = 0;
  const first = new Vector3();
  // ∫x xᵀ dV over the tetrahedra (0, a, b, c): vol/20 · (a aᵀ + b bᵀ + c cᵀ + s sᵀ), s = a + b + c.
  const second: [number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0];
  const a = new Vector3();
  const b = new Vector3();
  const c = new Vector3();
  const s = new Vector3();
  const p = (i: number, out: Vector3) => out.set(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!);
  for (let t = 0; t + 2 < indices.length; t += 3) {
    p(indices[t]!, a);
    p(indices[t + 1]!, b);
    p(indices[t + 2]!, c);
    const vol = a.dot(new Vector3().crossVectors(b, c)) / 6;
    volume += vol;
    s.copy(a).add(b).add(c);
    first.addScaledVector(s, vol / 4);
    const k = vol / 20;
    for (const v of [a, b, c, s]) {
      second[0] += k * v.x * v.x;
      second[1] += k * v.x * v.y;
      second[2] += k * v.x * v.z;
      second[3] += k * v.y * v.y;
      second[4] += k * v.y * v.z;
      second[5] += k * v.z * v.z;
    }
  }
  if (!(Math.abs(volume) > 1e-18)) return null;
  // An inside-out mesh integrates to a negative volume: every moment flips with it.
  const sign = Math.sign(volume);
  volume *= sign;
  const center = first.multiplyScalar(sign / volume);
  const [xx, xy, xz, yy, yz, zz] = second.map((v) => v * sign) as [number, number, number, number, number, number];
  // Inertia about the origin from the second moments, then moved to the centre (parallel axes).
  const io = [yy + zz, -xy, -xz, xx + zz, -yz, xx + yy];
  const { x, y, z } = center;
  const inertia: SolidMoments['inertia'] = [io[0]! - volume * (y * y + z * z), io[1]! + volume * x * y, io[2]! + volume * x * z, io[3]! - volume * (x * x + z * z), io[4]! + volume * y * z, io[5]! - volume * (x * x + y * y)];
  return { volume, center, inertia };
}

/** One part of a body: its mass, and its moments (any density) placed in the body's frame by `pose`. */
export interface MassPart {
  mass: number;
  moments: SolidMoments;
  pose: Matrix4;
}

/**
 * The mass properties of a body made of these parts, in the body's frame: total mass, centre of
 * mass, principal moments and axes. Null when the parts weigh nothing.
 */
export function combineMass(parts: readonly MassPart[]): { mass: number; centerOfMass: Vec3; diagonalInertia: Vec3; principalAxes: [number, number, number, number] } | null {
  const mass = parts.reduce((sum, p) => sum + p.mass, 0);
  if (!(mass > 0)) return null;
  const centers = parts.map((p) => p.moments.center.clone().applyMatrix4(p.pose));
  const com = new Vector3();
  parts.forEach((p, i) => com.addScaledVector(centers[i]!, p.mass / mass));
  const total = new Matrix3().set(0, 0, 0, 0, 0, 0, 0, 0, 0);
  parts.forEach((part, i) => {
    const [xx, xy, xz, yy, yz, zz] = part.moments.inertia;
    const scale = part.moments.volume > 0 ? part.mass / part.moments.volume : 0;
    const local = new Matrix3().set(xx, xy, xz, xy, yy, yz, xz, yz, zz).multiplyScalar(scale);
    // R I Rᵀ, then the parallel-axis term m(|d|² E − d dᵀ).
    const r = new Matrix3().setFromMatrix4(new Matrix4().extractRotation(part.pose));
    const rotated = r.clone().multiply(local).multiply(r.clone().transpose());
    const d = centers[i]!.clone().sub(com);
    const dd = d.lengthSq();
    const shift = new Matrix3().set(dd - d.x * d.x, -d.x * d.y, -d.x * d.z, -d.y * d.x, dd - d.y * d.y, -d.y * d.z, -d.z * d.x, -d.z * d.y, dd - d.z * d.z).multiplyScalar(part.mass);
    for (let k = 0; k < 9; k++) total.elements[k]! += rotated.elements[k]! + shift.elements[k]!;
  });
  const e = total.elements; // column-major; symmetric
  const { moments, axes } = diagonaliseInertia([e[0]!, e[3]!, e[6]!, e[4]!, e[7]!, e[8]!]);
  const q: Quaternion = axes;
  return { mass, centerOfMass: [com.x, com.y, com.z], diagonalInertia: moments.map((m) => Math.max(m, 0)) as Vec3, principalAxes: [q.x, q.y, q.z, q.w] };
}

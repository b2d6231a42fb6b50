/**
 * Inertia tensors: principal moments and axes of a symmetric 3×3 tensor (the URDF importer's
 * `<inertia>`; any importer that reads full tensors). Pure math over three.js's types.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import type { Vec3 } from '../scene/schema.ts';

/** Symmetric inertia tensor about the centre of mass: ixx, ixy, ixz, iyy, iyz, izz. */
export type InertiaTensor = readonly [number, number, number, number, number, number];

/**
 * Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations: A = V·diag(values)·Vᵀ
 * with V's columns the (orthonormal) eigenvectors. Exact to rounding for any symmetric input.
 */
export function symmetricEigen3(matrix: readonly (readonly number[])[]): { values: Vec3; vectors: number[][] } {
  const a = matrix.map((row) => [...row]);
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const scale = Math.max(...a.flat().map(Math.abs), Number.MIN_VALUE);
  for (let sweep = 0; sweep < 64; sweep++) {
    const off = a[0]![1]! ** 2 + a[0]![2]! ** 2 + a[1]![2]! ** 2;
    if (off <= (1e-17 * scale) ** 2) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const apq = a[p]![q]!;
      if (Math.abs(apq) <= 1e-300) continue;
      // The rotation in the (p, q) plane that zeroes a[p][q] (Numerical Recipes, the smaller angle).
      const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      // A ← Jᵀ·A·J and V ← V·J, with J the identity but J[p][p] = J[q][q] = c, J[p][q] = s, J[q][p] = −s.
      for (let k = 0; k < 3; k++) {
        const akp = a[k]![p]!;
        const akq = a[k]![q]!;
        a[k]![p] = c * akp - s * akq;
        a[k]![q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p]![k]!;
        const aqk = a[q]![k]!;
        a[p]![k] = c * apk - s * aqk;
        a[q]![k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k]![p]!;
        const vkq = v[k]![q]!;
        v[k]![p] = c * vkp - s * vkq;
        v[k]![q] = s * vkp + c * vkq;
      }
    }
  }
  return { values: [a[0]![0]!, a[1]![1]!, a[2]![2]!], vectors: v };
}

/**
 * Principal moments and axes of an inertia tensor: I = R·diag(moments)·Rᵀ, with R the rotation
 * `axes` (a proper rotation: a reflected eigenvector basis is flipped back).
 */
export function diagonaliseInertia(tensor: InertiaTensor): { moments: Vec3; axes: Quaternion } {
  const [ixx, ixy, ixz, iyy, iyz, izz] = tensor;
  const { values, vectors: v } = symmetricEigen3([
    [ixx, ixy, ixz],
    [ixy, iyy, iyz],
    [ixz, iyz, izz],
  ]);
  const column = (j: number) => new Vector3(v[0]![j], v[1]![j], v[2]![j]);
  const [x, y, z] = [column(0), column(1), column(2)];
  if (x.clone().cross(y).dot(z) < 0) z.negate();
  const axes = new Quaternion().setFromRotationMatrix(new Matrix4().makeBasis(x, y, z)).normalize();
  return { moments: values, axes };
}

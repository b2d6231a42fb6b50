/** Checks on inertia tensors shared by the importers' tests and physics/inertia.test.ts. */
import { Matrix3, Matrix4, type Quaternion } from 'three';
import { expect } from 'vitest';
import type { InertiaTensor } from '../physics/inertia.ts';

/** The symmetric matrix R·diag(d)·Rᵀ. */
export function fromPrincipal(diagonal: readonly number[], axes: Quaternion): Matrix3 {
  const r = new Matrix3().setFromMatrix4(new Matrix4().makeRotationFromQuaternion(axes));
  const d = new Matrix3().set(diagonal[0]!, 0, 0, 0, diagonal[1]!, 0, 0, 0, diagonal[2]!);
  return r.clone().multiply(d).multiply(r.clone().transpose());
}
export const tensorMatrix = ([ixx, ixy, ixz, iyy, iyz, izz]: InertiaTensor) => new Matrix3().set(ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz);
export function expectMatrixClose(a: Matrix3, b: Matrix3, tolerance: number) {
  a.elements.forEach((v, i) => expect(Math.abs(v - b.elements[i]!), `element ${i}: ${v} vs ${b.elements[i]}`).toBeLessThan(tolerance));
}

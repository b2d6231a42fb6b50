import { Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { expectMatrixClose, fromPrincipal, tensorMatrix } from '../testing/inertia.ts';
import { diagonaliseInertia, type InertiaTensor } from './inertia.ts';

function expectClose(actual: readonly number[], expected: readonly number[], digits = 9) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i]!, digits));
}

describe('diagonaliseInertia', () => {
  it('finds the eigenvalues of a known tensor and axes that reconstruct it (R·diag·Rᵀ)', () => {
    // [[2, −1, 0], [−1, 2, −1], [0, −1, 2]] has eigenvalues 2 − √2, 2, 2 + √2.
    const tensor: InertiaTensor = [2, -1, 0, 2, -1, 2];
    const { moments, axes } = diagonaliseInertia(tensor);
    expectClose([...moments].sort((a, b) => a - b), [2 - Math.SQRT2, 2, 2 + Math.SQRT2], 12);
    expect(axes.length()).toBeCloseTo(1, 12);
    expectMatrixClose(fromPrincipal(moments, axes), tensorMatrix(tensor), 1e-12);
  });

  it('recovers moments and axes from a tensor built from them', () => {
    const truth = new Quaternion().setFromAxisAngle(new Vector3(1, 2, 3).normalize(), 0.9);
    const built = fromPrincipal([0.3, 0.2, 0.1], truth).elements; // column-major, symmetric
    const tensor: InertiaTensor = [built[0]!, built[3]!, built[6]!, built[4]!, built[7]!, built[8]!];
    const { moments, axes } = diagonaliseInertia(tensor);
    expectClose([...moments].sort(), [0.1, 0.2, 0.3], 12);
    expectMatrixClose(fromPrincipal(moments, axes), tensorMatrix(tensor), 1e-14);
    // Each principal axis is one of the true ones (up to sign).
    const truthAxes = [0, 1, 2].map((i) => new Vector3(i === 0 ? 1 : 0, i === 1 ? 1 : 0, i === 2 ? 1 : 0).applyQuaternion(truth));
    const want = [0.3, 0.2, 0.1];
    moments.forEach((m, i) => {
      const axis = new Vector3(i === 0 ? 1 : 0, i === 1 ? 1 : 0, i === 2 ? 1 : 0).applyQuaternion(axes);
      expect(Math.abs(axis.dot(truthAxes[want.findIndex((w) => Math.abs(w - m) < 1e-9)]!))).toBeCloseTo(1, 10);
    });
  });

  it('leaves a diagonal tensor alone', () => {
    const { moments, axes } = diagonaliseInertia([1, 0, 0, 2, 0, 3]);
    expect(moments).toEqual([1, 2, 3]);
    expect([axes.x, axes.y, axes.z, axes.w]).toEqual([0, 0, 0, 1]);
  });
});
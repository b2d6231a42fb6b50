/**
 * The little rigid-body algebra the writers need to re-express a frame's labels in a format's
 * conventions (a box in world coordinates for Replicator, a yaw angle for KITTI). Plain arrays,
 * row-major matrices, column vectors (p' = M · p); quaternions [x, y, z, w].
 */
import type { Box3D, Mat3, Mat4 } from './types.ts';

/** Rotation matrix of a quaternion (normalised first). */
export function quaternionToMatrix([x, y, z, w]: readonly [number, number, number, number]): Mat3 {
  const n = Math.hypot(x, y, z, w) || 1;
  const [qx, qy, qz, qw] = [x / n, y / n, z / n, w / n];
  return [
    [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
    [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
    [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)],
  ];
}

/** The 4×4 transform with rotation R and translation t. */
export function rigidTransform(r: Mat3, t: readonly [number, number, number]): Mat4 {
  return [
    [r[0][0], r[0][1], r[0][2], t[0]],
    [r[1][0], r[1][1], r[1][2], t[1]],
    [r[2][0], r[2][1], r[2][2], t[2]],
    [0, 0, 0, 1],
  ];
}

/** Inverse of a rigid transform [R | t] (R orthonormal): [Rᵀ | −Rᵀt]. */
export function invertRigid(m: Mat4): Mat4 {
  const rt: Mat3 = [
    [m[0][0], m[1][0], m[2][0]],
    [m[0][1], m[1][1], m[2][1]],
    [m[0][2], m[1][2], m[2][2]],
  ];
  const t = [m[0][3], m[1][3], m[2][3]] as const;
  const ti: [number, number, number] = [0, 1, 2].map((i) => -(rt[i]![0] * t[0] + rt[i]![1] * t[1] + rt[i]![2] * t[2])) as [number, number, number];
  return rigidTransform(rt, ti);
}

export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => a[i]![0] * b[0][j]! + a[i]![1] * b[1][j]! + a[i]![2] * b[2][j]! + a[i]![3] * b[3][j]!));
  return out as Mat4;
}

/** The 16 numbers of a matrix read column by column — the row-major numbers of its transpose (row-vector convention, as USD and Replicator store matrices). */
export function rowVectorFlat(m: Mat4): number[] {
  const out: number[] = [];
  for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) out.push(m[i]![j]!);
  return out;
}

/** Box frame → camera frame of a labelled 3D box. */
export function boxToCamera(box: Box3D): Mat4 {
  return rigidTransform(quaternionToMatrix(box.rotation), box.center);
}

/** Box frame → world of a labelled 3D box, given the camera's world → camera transform. */
export function boxToWorld(box: Box3D, worldToCamera: Mat4): Mat4 {
  return multiply(invertRigid(worldToCamera), boxToCamera(box));
}

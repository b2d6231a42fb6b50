/**
 * Object poses and oriented 3D boxes for labels: world and camera-frame poses (position +
 * orientation, scale removed) and the object's local bounding box carried into the camera frame.
 * Owns the split of a world matrix into its rigid part and its scale; knows nothing of pixels.
 *
 * A world matrix is T · R · S for objects whose non-uniform scales sit on their own prim. Under a
 * rotated parent with non-uniform scale it can also shear; then the rotation is the polar
 * decomposition's (the rotation nearest the linear part) and the scale the lengths of the images
 * of the local axes. A mirroring matrix (negative determinant) is read as a negative x scale.
 * Quaternions are [x, y, z, w] with w ≥ 0.
 */
import { Box3, Matrix4, Quaternion, Vector3 } from 'three';
import type { Box3D, CameraInfo, Pose } from '../dataset/types.ts';
import { worldToCameraMatrix } from './camera.ts';

export interface RigidSplit {
  position: Vector3;
  quaternion: Quaternion;
  /** Lengths of the images of the local axes (x negative for a mirroring matrix). */
  scale: Vector3;
}

/** Nearest rotation to a 3×3 (column-major, 9 numbers) with positive determinant: R ← (R + R⁻ᵀ)/2. */
function polarRotation(a: number[]): number[] {
  let r = a.slice();
  for (let iteration = 0; iteration < 30; iteration++) {
    const [a0, a1, a2, b0, b1, b2, c0, c1, c2] = r as [number, number, number, number, number, number, number, number, number];
    // Columns a, b, c; R⁻ᵀ = cofactor matrix / det, whose columns are b×c, c×a, a×b over det.
    const det = a0 * (b1 * c2 - b2 * c1) - b0 * (a1 * c2 - a2 * c1) + c0 * (a1 * b2 - a2 * b1);
    if (!(Math.abs(det) > 1e-300)) break;
    const inverseT = [
      b1 * c2 - b2 * c1, b2 * c0 - b0 * c2, b0 * c1 - b1 * c0,
      c1 * a2 - c2 * a1, c2 * a0 - c0 * a2, c0 * a1 - c1 * a0,
      a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0,
    ].map((v) => v / det);
    const next = r.map((v, i) => (v + inverseT[i]!) / 2);
    const change = next.reduce((sum, v, i) => sum + Math.abs(v - r[i]!), 0);
    r = next;
    if (change < 1e-15) break;
  }
  return r;
}

/** Splits a matrix into position, rotation (rigid part) and per-axis scale. */
export function rigidSplit(m: Matrix4): RigidSplit {
  const e = m.elements;
  const position = new Vector3(e[12], e[13], e[14]);
  const columns = [0, 4, 8].map((o) => new Vector3(e[o], e[o + 1], e[o + 2]));
  const lengths = columns.map((c) => c.length());
  const det = columns[0]!.dot(new Vector3().crossVectors(columns[1]!, columns[2]!));
  const sign = det < 0 ? -1 : 1;
  const scale = new Vector3(lengths[0]! * sign, lengths[1]!, lengths[2]!);
  if (lengths.some((l) => !(l > 1e-12))) return { position, quaternion: new Quaternion(), scale };
  // Normalised columns (x flipped when mirrored): exactly the rotation when there is no shear.
  const normalised = columns.flatMap((c, i) => c.clone().multiplyScalar((i === 0 ? sign : 1) / lengths[i]!).toArray());
  const r = polarRotation(normalised);
  const rotation = new Matrix4().set(r[0]!, r[3]!, r[6]!, 0, r[1]!, r[4]!, r[7]!, 0, r[2]!, r[5]!, r[8]!, 0, 0, 0, 0, 1);
  const quaternion = new Quaternion().setFromRotationMatrix(rotation).normalize();
  if (quaternion.w < 0) quaternion.set(-quaternion.x, -quaternion.y, -quaternion.z, -quaternion.w);
  return { position, quaternion, scale };
}

function toPose({ position, quaternion }: RigidSplit): Pose {
  return { position: [position.x, position.y, position.z], orientation: [quaternion.x, quaternion.y, quaternion.z, quaternion.w] };
}

/** The object's world pose: its origin and rigid orientation, scale removed. */
export function worldPose(worldMatrix: Matrix4): Pose {
  return toPose(rigidSplit(worldMatrix));
}

/** Object → OpenCV camera frame. */
export function objectToCamera(info: CameraInfo, worldMatrix: Matrix4): Matrix4 {
  return worldToCameraMatrix(info).multiply(worldMatrix);
}

/** The object's pose in the OpenCV camera frame: world_to_camera · pose_world. */
export function poseInCamera(info: CameraInfo, worldMatrix: Matrix4): Pose {
  return toPose(rigidSplit(objectToCamera(info, worldMatrix)));
}

/**
 * The object's local box in the camera frame: centre of the box (not the object's origin), full
 * extents along the box's axes with the object's scale applied, and the box axes' rotation (the
 * rigid part, so the same as pose_camera's orientation). An empty box is a point at the origin.
 */
export function box3d(info: CameraInfo, localBox: Box3, objectWorldMatrix: Matrix4): Box3D {
  const empty = localBox.isEmpty();
  const localCenter = empty ? new Vector3() : localBox.getCenter(new Vector3());
  const localSize = empty ? new Vector3() : localBox.getSize(new Vector3());
  const toCamera = objectToCamera(info, objectWorldMatrix);
  const { quaternion, scale } = rigidSplit(toCamera);
  const center = localCenter.applyMatrix4(toCamera);
  return {
    center: [center.x, center.y, center.z],
    size: [localSize.x * Math.abs(scale.x), localSize.y * Math.abs(scale.y), localSize.z * Math.abs(scale.z)],
    rotation: [quaternion.x, quaternion.y, quaternion.z, quaternion.w],
  };
}

import { describe, expect, it } from 'vitest';
import { Box3, Matrix4, Quaternion, Vector3 } from 'three';
import type { Pose } from '../dataset/types.ts';
import { cameraInfo, fromMat4 } from './camera.ts';
import { box3d, poseInCamera, rigidSplit, worldPose } from './pose.ts';

const DEG = Math.PI / 180;
/** At the origin looking down world -Z: camera frame (x, y, z) = world (x, -y, -z), a half turn about X. */
const straight = cameraInfo({ path: '/C', worldMatrix: new Matrix4(), fovY: 1, near: 0.1, far: 100, width: 64, height: 48 });
const elsewhere = cameraInfo({
  path: '/C2',
  worldMatrix: new Matrix4().compose(new Vector3(2, 1.5, -1), new Quaternion().setFromAxisAngle(new Vector3(0.3, 1, -0.2).normalize(), 1.1), new Vector3(1, 1, 1)),
  fovY: 1,
  near: 0.1,
  far: 100,
  width: 64,
  height: 48,
});

/** Same rotation whatever the quaternion's sign. */
const expectSameRotation = (actual: readonly number[], expected: Quaternion) => {
  const dot = Math.abs(actual[0]! * expected.x + actual[1]! * expected.y + actual[2]! * expected.z + actual[3]! * expected.w);
  expect(dot).toBeCloseTo(1, 12);
};
const matrixOf = (pose: Pose) => new Matrix4().compose(new Vector3(...pose.position), new Quaternion(...pose.orientation), new Vector3(1, 1, 1));
const expectMatrixClose = (a: Matrix4, b: Matrix4) => a.elements.forEach((v, i) => expect(v).toBeCloseTo(b.elements[i]!, 12));

describe('poses and 3D boxes', () => {
  const rotation = new Quaternion().setFromAxisAngle(new Vector3(1, -2, 0.5).normalize(), 40 * DEG);
  const position = new Vector3(0.4, -0.3, -5);
  const world = new Matrix4().compose(position, rotation, new Vector3(2, 3, 0.5));

  it('gives the world pose without the scale', () => {
    const pose = worldPose(world);
    expect(pose.position).toEqual([0.4, -0.3, -5]);
    expectSameRotation(pose.orientation, rotation);
    expect(pose.orientation[3]).toBeGreaterThanOrEqual(0);
  });

  it('places a rotated, non-uniformly scaled box: centre of the box, scaled size, rigid rotation', () => {
    // The box is off the object's origin: local centre (0.5, 1, 1.5), size 1 × 2 × 3.
    const box = box3d(straight, new Box3(new Vector3(0, 0, 0), new Vector3(1, 2, 3)), world);
    const centreWorld = new Vector3(0.5 * 2, 1 * 3, 1.5 * 0.5).applyQuaternion(rotation).add(position);
    [centreWorld.x, -centreWorld.y, -centreWorld.z].forEach((v, i) => expect(box.center[i]).toBeCloseTo(v, 12));
    box.size.forEach((v, i) => expect(v).toBeCloseTo([2, 6, 1.5][i]!, 12));
    const flip = new Quaternion(1, 0, 0, 0); // world → camera frame
    expectSameRotation(box.rotation, flip.clone().multiply(rotation));
    // A box axis in the camera frame is the object's axis seen by the camera.
    const axisCamera = new Vector3(1, 0, 0).applyQuaternion(new Quaternion(...box.rotation));
    const axisWorld = new Vector3(1, 0, 0).applyQuaternion(rotation);
    [axisWorld.x, -axisWorld.y, -axisWorld.z].forEach((v, i) => expect(axisCamera.getComponent(i)).toBeCloseTo(v, 12));
  });

  it('gives a camera pose that composes back to the world pose through the inverse extrinsics', () => {
    const cameraToWorld = fromMat4(elsewhere.world_to_camera).invert();
    const back = cameraToWorld.multiply(matrixOf(poseInCamera(elsewhere, world)));
    expectMatrixClose(back, matrixOf(worldPose(world)));
    // And the 3D box's rotation is the camera pose's orientation.
    expectSameRotation(box3d(elsewhere, new Box3(new Vector3(-1, -1, -1), new Vector3(1, 1, 1)), world).rotation, new Quaternion(...poseInCamera(elsewhere, world).orientation));
  });

  it('reads a mirroring matrix as a negative x scale with a proper rotation', () => {
    const mirrored = new Matrix4().compose(position, rotation, new Vector3(-2, 1, 1));
    const split = rigidSplit(mirrored);
    expect(split.scale.x).toBeCloseTo(-2, 12);
    expectSameRotation(split.quaternion.toArray(), rotation);
    expect(box3d(straight, new Box3(new Vector3(-1, -1, -1), new Vector3(1, 1, 1)), mirrored).size.map((v) => +v.toFixed(12))).toEqual([4, 2, 2]);
  });

  it('takes the nearest rotation of a sheared matrix (non-uniform parent scale over a rotated child)', () => {
    const parent = new Matrix4().makeScale(1, 3, 1);
    const child = new Matrix4().makeRotationZ(30 * DEG);
    const { quaternion, scale } = rigidSplit(parent.multiply(child));
    expect(quaternion.length()).toBeCloseTo(1, 12);
    // The image of local x is (cos 30°, 3 sin 30°, 0): its length is the x scale; the rotation turns
    // about z only, between the child's 30° and the sheared x axis's atan(3·tan 30°).
    expect(scale.x).toBeCloseTo(Math.hypot(Math.cos(30 * DEG), 3 * Math.sin(30 * DEG)), 12);
    const angle = 2 * Math.atan2(quaternion.z, quaternion.w);
    expect(Math.abs(quaternion.x) + Math.abs(quaternion.y)).toBeLessThan(1e-12);
    expect(angle).toBeGreaterThan(30 * DEG);
    expect(angle).toBeLessThan(Math.atan(3 * Math.tan(30 * DEG)));
  });
});

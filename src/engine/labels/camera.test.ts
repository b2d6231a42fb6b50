import { describe, expect, it } from 'vitest';
import { Matrix4, Quaternion, Vector3 } from 'three';
import { cameraInfo, DEFAULT_HORIZONTAL_APERTURE_MM, fromMat4, lensValues, projectPoint, threeCamera, toMat4 } from './camera.ts';

const DEG = Math.PI / 180;

/** A 640×480 camera at (1, 2, 3) turned 90° left (about +Y): it looks down world -X, right is world -Z. */
const turned = () =>
  cameraInfo({
    path: '/World/Camera',
    worldMatrix: new Matrix4().compose(new Vector3(1, 2, 3), new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), 90 * DEG), new Vector3(1, 1, 1)),
    fovY: 60 * DEG,
    near: 0.1,
    far: 100,
    width: 640,
    height: 480,
  });

describe('camera intrinsics and extrinsics', () => {
  it('puts the principal point at the image centre and fy = (H/2)/tan(fovY/2), square pixels', () => {
    const { K } = turned();
    const f = 240 / Math.tan(30 * DEG);
    expect(K[0][0]).toBeCloseTo(f, 9);
    expect(K[1][1]).toBeCloseTo(f, 9);
    expect([K[0][1], K[0][2], K[1][0], K[1][2], K[2][0], K[2][1], K[2][2]]).toEqual([0, 320, 0, 240, 0, 0, 1]);
  });

  it('projects a point 5 m ahead, 1 m right and 0.5 m up to the hand-computed pixel', () => {
    const info = turned();
    const f = 240 / Math.tan(30 * DEG);
    // ahead = world -X, right = world -Z, up = world +Y.
    const p = projectPoint(info, new Vector3(1 - 5, 2 + 0.5, 3 - 1));
    expect(p.z).toBeCloseTo(5, 12);
    expect(p.u).toBeCloseTo(320 + (f * 1) / 5, 9);
    expect(p.v).toBeCloseTo(240 - (f * 0.5) / 5, 9);
    // The camera-frame point itself: OpenCV x right, y down, z forward.
    const cam = new Vector3(1 - 5, 2 + 0.5, 3 - 1).applyMatrix4(fromMat4(info.world_to_camera));
    expect(cam.toArray().map((v) => +v.toFixed(12))).toEqual([1, -0.5, 5]);
  });

  it('agrees with three.js projecting through threeCamera, mapped to pixels', () => {
    const info = turned();
    const camera = threeCamera(info);
    const points = [
      [-4, 2.5, 2],
      [-10, 0, 8],
      [-2, 3.1, 3.2],
      [-30, -5, -7],
      [0.5, 2, 3],
    ] as const;
    for (const point of points) {
      const ndc = new Vector3(...point).project(camera);
      const p = projectPoint(info, point);
      expect(p.u).toBeCloseTo(((ndc.x + 1) / 2) * info.width, 6);
      expect(p.v).toBeCloseTo(((1 - ndc.y) / 2) * info.height, 6);
    }
  });

  it('records the GL view and projection that threeCamera renders with', () => {
    const info = turned();
    const camera = threeCamera(info);
    const close = (a: number[][], b: number[][]) => a.flat().forEach((v, i) => expect(v).toBeCloseTo(b.flat()[i]!, 12));
    close(toMat4(camera.matrixWorldInverse), info.view_gl);
    close(toMat4(camera.projectionMatrix), info.projection_gl);
    // world_to_camera is the GL view with y and z flipped.
    close(toMat4(new Matrix4().makeScale(1, -1, -1).multiply(fromMat4(info.view_gl))), info.world_to_camera);
    expect(camera.aspect).toBe(640 / 480);
  });

  it('ignores scale on the camera matrix', () => {
    const info = turned();
    const scaled = cameraInfo({
      ...info,
      worldMatrix: fromMat4(info.view_gl).invert().multiply(new Matrix4().makeScale(2, 3, 0.5)),
      focalLength: undefined,
      horizontalAperture: undefined,
      verticalAperture: undefined,
    });
    scaled.world_to_camera.flat().forEach((v, i) => expect(v).toBeCloseTo(info.world_to_camera.flat()[i]!, 12));
  });

  it('derives lens values from the field of view with a 20.955 mm horizontal aperture', () => {
    const info = turned();
    expect(info.horizontalAperture).toBe(DEFAULT_HORIZONTAL_APERTURE_MM);
    expect(info.verticalAperture).toBeCloseTo((20.955 * 480) / 640, 12);
    // The lens reproduces both fields of view.
    expect(2 * Math.atan(info.verticalAperture / 2 / info.focalLength)).toBeCloseTo(60 * DEG, 12);
    expect(info.horizontalAperture / 2 / info.focalLength).toBeCloseTo(320 / info.K[0][0], 12);
    // A given focal length fixes the aperture instead; given values are kept.
    const lens = lensValues(60 * DEG, 640, 480, { focalLength: 24 });
    expect(lens.focalLength).toBe(24);
    expect(2 * Math.atan(lens.verticalAperture / 2 / 24)).toBeCloseTo(60 * DEG, 12);
    expect(lensValues(1, 10, 10, { focalLength: 1, horizontalAperture: 2, verticalAperture: 3 })).toEqual({ focalLength: 1, horizontalAperture: 2, verticalAperture: 3 });
  });

  it('refuses impossible cameras', () => {
    const base = { path: '/C', worldMatrix: new Matrix4(), fovY: 1, near: 0.1, far: 10, width: 4, height: 4 };
    expect(() => cameraInfo({ ...base, width: 0 })).toThrow(RangeError);
    expect(() => cameraInfo({ ...base, fovY: Math.PI })).toThrow(/fovY/);
    expect(() => cameraInfo({ ...base, near: 10 })).toThrow(/near/);
  });
});

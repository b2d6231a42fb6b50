/**
 * One camera, two descriptions that must never disagree: the `CameraInfo` written with every
 * labelled frame (OpenCV intrinsics and extrinsics, plus the GL matrices and USD lens values) and
 * the three.js `PerspectiveCamera` that renders the frame. `cameraInfo` builds the first from the
 * scene camera; `threeCamera` builds the second from the first, so the renderer and the labels use
 * the same numbers. Owns the projection of world points to pixels; no rendering, no DOM.
 *
 * Conventions (see ../dataset/types.ts): OpenCV camera frame (x right, y down, z forward); pixel
 * (col, row) has its centre at (col + 0.5, row + 0.5), so the principal point of a centred lens is
 * (W/2, H/2) and u = fx·x/z + cx; square pixels (fx = fy, the renderer's aspect is W/H).
 */
import { MathUtils, Matrix4, PerspectiveCamera, Quaternion, Vector3 } from 'three';
import type { CameraInfo, Mat3, Mat4 } from '../dataset/types.ts';

/**
 * Horizontal film aperture used when the scene gives none (mm): Isaac Sim's / USD's default
 * `horizontalAperture`, 20.955 mm (35 mm academy gate), so derived focal lengths read as in Isaac.
 */
export const DEFAULT_HORIZONTAL_APERTURE_MM = 20.955;

export interface CameraParams {
  path: string;
  /** World matrix of the camera: looks down its local -Z with +Y up (USD and three alike). Scale is ignored. */
  worldMatrix: Matrix4;
  /** Vertical field of view, radians. */
  fovY: number;
  near: number;
  far: number;
  width: number;
  height: number;
  /** USD lens values (mm), recorded as given; missing ones are derived from fovY (see `lensValues`). */
  focalLength?: number;
  horizontalAperture?: number;
  verticalAperture?: number;
}

/** OpenGL camera frame (-Z forward, +Y up) → OpenCV camera frame (+Z forward, +Y down). */
const GL_TO_CV = new Matrix4().makeScale(1, -1, -1);

/** Row-major 4×4 of a three Matrix4 (three stores column-major). */
export function toMat4(m: Matrix4): Mat4 {
  const e = m.elements;
  const row = (r: number): [number, number, number, number] => [e[r]!, e[4 + r]!, e[8 + r]!, e[12 + r]!];
  return [row(0), row(1), row(2), row(3)];
}

/** three Matrix4 of a row-major 4×4. */
export function fromMat4(m: Mat4): Matrix4 {
  const [a, b, c, d] = m;
  return new Matrix4().set(...a, ...b, ...c, ...d);
}

/** World → OpenCV camera frame, as a three Matrix4 (apply to column vectors). */
export function worldToCameraMatrix(info: CameraInfo): Matrix4 {
  return fromMat4(info.world_to_camera);
}

/** The camera's rigid world matrix (scale and shear dropped): what the renderer places. */
function rigidCameraWorld(worldMatrix: Matrix4): Matrix4 {
  const position = new Vector3();
  const quaternion = new Quaternion();
  const scale = new Vector3();
  worldMatrix.decompose(position, quaternion, scale);
  return new Matrix4().compose(position, quaternion.normalize(), new Vector3(1, 1, 1));
}

function perspective(fovY: number, width: number, height: number, near: number, far: number): PerspectiveCamera {
  return new PerspectiveCamera(MathUtils.radToDeg(fovY), width / height, near, far);
}

/**
 * USD lens values for an image of width × height with vertical field of view fovY and square
 * pixels, filling in what is not given: tan(fovX/2) = (W/H)·tan(fovY/2), and
 * focalLength = horizontalAperture / (2·tan(fovX/2)); the horizontal aperture defaults to
 * DEFAULT_HORIZONTAL_APERTURE_MM (or follows from a given focal length), the vertical one to
 * horizontalAperture·H/W. Values that are given are kept as they are: fovY alone decides rendering.
 */
export function lensValues(
  fovY: number,
  width: number,
  height: number,
  given: { focalLength?: number; horizontalAperture?: number; verticalAperture?: number } = {},
): { focalLength: number; horizontalAperture: number; verticalAperture: number } {
  const tanHalfX = (width / height) * Math.tan(fovY / 2);
  let { focalLength, horizontalAperture } = given;
  if (horizontalAperture === undefined) {
    horizontalAperture = focalLength === undefined ? DEFAULT_HORIZONTAL_APERTURE_MM : focalLength * 2 * tanHalfX;
  }
  if (focalLength === undefined) focalLength = horizontalAperture / (2 * tanHalfX);
  const verticalAperture = given.verticalAperture ?? (horizontalAperture * height) / width;
  return { focalLength, horizontalAperture, verticalAperture };
}

/** The labelled-frame description of a camera. Throws RangeError on impossible parameters. */
export function cameraInfo(params: CameraParams): CameraInfo {
  const { path, worldMatrix, fovY, near, far, width, height } = params;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`camera ${path}: image size must be positive integers, got ${width}×${height}`);
  }
  if (!(fovY > 0 && fovY < Math.PI)) throw new RangeError(`camera ${path}: fovY must be in (0, π) radians, got ${fovY}`);
  if (!(near > 0 && far > near)) throw new RangeError(`camera ${path}: need 0 < near < far, got near ${near}, far ${far}`);

  const fy = height / 2 / Math.tan(fovY / 2);
  const K: Mat3 = [
    [fy, 0, width / 2],
    [0, fy, height / 2],
    [0, 0, 1],
  ];
  const view = rigidCameraWorld(worldMatrix).invert();
  const worldToCamera = GL_TO_CV.clone().multiply(view);
  return {
    path,
    width,
    height,
    K,
    world_to_camera: toMat4(worldToCamera),
    fovY,
    near,
    far,
    ...lensValues(fovY, width, height, params),
    view_gl: toMat4(view),
    projection_gl: toMat4(perspective(fovY, width, height, near, far).projectionMatrix),
  };
}

/** The three.js camera that renders exactly what `info` describes (aspect W/H, pose from view_gl). */
export function threeCamera(info: CameraInfo): PerspectiveCamera {
  const camera = perspective(info.fovY, info.width, info.height, info.near, info.far);
  fromMat4(info.view_gl).invert().decompose(camera.position, camera.quaternion, camera.scale);
  camera.scale.set(1, 1, 1);
  camera.updateMatrixWorld(true);
  return camera;
}

export interface ProjectedPoint {
  /** Pixel coordinates (continuous; pixel (0,0) spans [0,1)², its centre at (0.5, 0.5)). */
  u: number;
  v: number;
  /** Depth along the optical axis (camera-frame z, metres); ≤ 0 behind the camera, where u, v mean nothing. */
  z: number;
}

/** Projects a world point with K · world_to_camera. */
export function projectPoint(info: CameraInfo, point: Vector3 | readonly [number, number, number]): ProjectedPoint {
  const [px, py, pz] = point instanceof Vector3 ? [point.x, point.y, point.z] : point;
  const [r0, r1, r2] = info.world_to_camera;
  const x = r0[0] * px + r0[1] * py + r0[2] * pz + r0[3];
  const y = r1[0] * px + r1[1] * py + r1[2] * pz + r1[3];
  const z = r2[0] * px + r2[1] * py + r2[2] * pz + r2[3];
  return { ...projectCameraPoint(info.K, x, y, z), z };
}

/** Pixel coordinates of a camera-frame point (z > 0). */
export function projectCameraPoint(K: Mat3, x: number, y: number, z: number): { u: number; v: number } {
  return { u: (K[0][0] * x + K[0][1] * y) / z + K[0][2], v: (K[1][1] * y) / z + K[1][2] };
}

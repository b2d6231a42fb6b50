/**
 * 2D boxes: the loose box (the projected extent of an object's 3D box, near-plane clipped, cut to
 * the image) and the tight box and pixel count of every instance in an instance-id buffer.
 *
 * Pixel rule: a box is inclusive pixel indices [x_min, y_min, x_max, y_max] of the pixels whose
 * centres (col + 0.5, row + 0.5) lie in the closed continuous extent [u_min, u_max] × [v_min, v_max]:
 *   x_min = ceil(u_min - 0.5), x_max = floor(u_max - 0.5)   (same for rows with v),
 * then clamped to the image. An extent that holds no pixel centre inside the image gives null.
 */
import type { Box3, Matrix4 } from 'three';
import type { CameraInfo } from '../dataset/types.ts';
import { objectToCamera } from './pose.ts';

export type PixelBox = [number, number, number, number];

/** Inclusive pixel box of a continuous extent (pixel units), cut to a width × height image; null when empty. */
export function pixelBox(uMin: number, vMin: number, uMax: number, vMax: number, width: number, height: number): PixelBox | null {
  const x0 = Math.max(0, Math.ceil(uMin - 0.5));
  const y0 = Math.max(0, Math.ceil(vMin - 0.5));
  const x1 = Math.min(width - 1, Math.floor(uMax - 0.5));
  const y1 = Math.min(height - 1, Math.floor(vMax - 0.5));
  return x0 <= x1 && y0 <= y1 ? [x0, y0, x1, y1] : null;
}

/** Box corner i has x from bit 0, y from bit 1, z from bit 2; an edge joins corners one bit apart. */
const BOX_EDGES: ReadonlyArray<readonly [number, number]> = [
  [0, 1], [2, 3], [4, 5], [6, 7],
  [0, 2], [1, 3], [4, 6], [5, 7],
  [0, 4], [1, 5], [2, 6], [3, 7],
];

/**
 * The loose 2D box of an object: the projection of its local box (in the object's frame, placed by
 * `objectWorldMatrix`). The box in front of the near plane (z ≥ near, what the renderer keeps) is
 * the convex hull of its corners in front and the points where its edges cross the plane, so the
 * extent of their projections is exact even for a box reaching behind the camera. Not clipped at
 * the far plane. Null when no pixel centre of the image lies inside the projection.
 */
export function looseBox(info: CameraInfo, localBox: Box3, objectWorldMatrix: Matrix4): PixelBox | null {
  if (localBox.isEmpty()) return null;
  const e = objectToCamera(info, objectWorldMatrix).elements;
  const near = info.near;
  const xs: number[] = [];
  const ys: number[] = [];
  const zs: number[] = [];
  for (let i = 0; i < 8; i++) {
    const lx = i & 1 ? localBox.max.x : localBox.min.x;
    const ly = i & 2 ? localBox.max.y : localBox.min.y;
    const lz = i & 4 ? localBox.max.z : localBox.min.z;
    xs.push(e[0]! * lx + e[4]! * ly + e[8]! * lz + e[12]!);
    ys.push(e[1]! * lx + e[5]! * ly + e[9]! * lz + e[13]!);
    zs.push(e[2]! * lx + e[6]! * ly + e[10]! * lz + e[14]!);
  }
  const [[fx, skew, cx], [, fy, cy]] = info.K;
  let uMin = Infinity, vMin = Infinity, uMax = -Infinity, vMax = -Infinity;
  const add = (x: number, y: number, z: number) => {
    const u = (fx * x + skew * y) / z + cx;
    const v = (fy * y) / z + cy;
    if (u < uMin) uMin = u;
    if (u > uMax) uMax = u;
    if (v < vMin) vMin = v;
    if (v > vMax) vMax = v;
  };
  for (let i = 0; i < 8; i++) if (zs[i]! >= near) add(xs[i]!, ys[i]!, zs[i]!);
  for (const [a, b] of BOX_EDGES) {
    const za = zs[a]!, zb = zs[b]!;
    if ((za < near) === (zb < near)) continue;
    const t = (near - za) / (zb - za);
    add(xs[a]! + t * (xs[b]! - xs[a]!), ys[a]! + t * (ys[b]! - ys[a]!), near);
  }
  if (uMin > uMax) return null;
  return pixelBox(uMin, vMin, uMax, vMax, info.width, info.height);
}

/** Pixel count and tight box of every instance id in 1..count, indexed by id (index 0 unused). */
export interface InstanceScan {
  pixels: Uint32Array;
  minX: Int32Array;
  minY: Int32Array;
  maxX: Int32Array;
  maxY: Int32Array;
}

/**
 * One pass over an instance buffer (row 0 on top): for each id in 1..count its pixel count and the
 * min/max column and row of its pixels. Id 0 (background) and ids above `count` are skipped.
 */
export function scanInstances(instance: Uint32Array, width: number, height: number, count: number): InstanceScan {
  if (instance.length < width * height) throw new RangeError(`instance buffer holds ${instance.length} ids, expected ${width}×${height}`);
  const pixels = new Uint32Array(count + 1);
  const minX = new Int32Array(count + 1).fill(width);
  const minY = new Int32Array(count + 1).fill(height);
  const maxX = new Int32Array(count + 1).fill(-1);
  const maxY = new Int32Array(count + 1).fill(-1);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const id = instance[i]!;
      if (id === 0 || id > count) continue;
      pixels[id]!++;
      if (x < minX[id]!) minX[id] = x;
      if (x > maxX[id]!) maxX[id] = x;
      if (minY[id] === height) minY[id] = y; // rows arrive in order: the first hit is the top row
      maxY[id] = y;
    }
  }
  return { pixels, minX, minY, maxX, maxY };
}

/** The tight box of one id from a scan, or null when it has no pixel. */
export function tightBox(scan: InstanceScan, id: number): PixelBox | null {
  if (!(id > 0 && id < scan.pixels.length) || scan.pixels[id] === 0) return null;
  return [scan.minX[id]!, scan.minY[id]!, scan.maxX[id]!, scan.maxY[id]!];
}

/** The smallest box holding both (either may be null). */
export function unionBox(a: PixelBox | null, b: PixelBox | null): PixelBox | null {
  if (!a) return b;
  if (!b) return a;
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

/**
 * The footprint of one object: how many pixels it would cover with nothing in front of it, inside
 * the image (`inFramePixels`) and on the image plane beyond the border (`unoccludedPixels`, so
 * that truncation by the border counts as hidden). A small CPU rasteriser of the object's own
 * triangles, following the GPU's rules so its counts match the renderer's coverage:
 *
 * - triangles are clipped in the camera frame (Sutherland–Hodgman) at the near and far planes, as
 *   the renderer does, and at a guard band around the counting region;
 * - vertices snap to the GPU's sub-pixel grid (1/256 pixel on desktop GPUs, 1/16 on SwiftShader:
 *   `subPixelBitsFor`), so edge functions are exact integers, and a pixel centre exactly on an edge
 *   is decided by a fill rule: the top-left rule in GL window coordinates (y up), which in our
 *   image coordinates (row 0 on top, GL's bottom-up readback flipped) counts centres on left edges
 *   and on horizontal bottom edges. That is how WebGL through ANGLE fills a render target: with 4
 *   bits this rasteriser matched Chromium's SwiftShader/Vulkan pixel for pixel (spheres, boxes,
 *   triangle soups, near-plane-clipped floors, ties on pixel centres). On another GPU, float32
 *   vertex maths and its own snapping can move the few centres within a snapping step of an edge;
 * - both faces count (a back face covers the same pixels as the front faces of a closed mesh; an
 *   open single-sided mesh seen from behind, which the GPU culls, is counted all the same);
 *   a coverage bitmap over the object's projected rectangle counts overlapping triangles once.
 *
 * The "unbounded" image plane is the region [-⌊W/2⌋, W+⌊W/2⌋) × [-⌊H/2⌋, H+⌊H/2⌋), four times the
 * image area, the image in its middle: an object reaching beyond it (one the camera is nearly
 * inside) has its unoccluded count cut there, which only matters for objects mostly out of frame.
 *
 * Buffers are reused between objects: a `FootprintRasterizer` is not re-entrant, one per worker.
 */
import type { BufferGeometry, Matrix4 } from 'three';
import type { CameraInfo } from '../dataset/types.ts';
import { worldToCameraMatrix } from './camera.ts';

/** Triangles of one mesh in its own frame, placed in the world by `worldMatrix`. */
export interface MeshPart {
  /** xyz per vertex. */
  positions: ArrayLike<number>;
  /** Three vertex indices per triangle; null: consecutive vertex triples are triangles. */
  index: ArrayLike<number> | null;
  worldMatrix: Matrix4;
}

export interface Footprint {
  /** Pixel centres covered inside the image. */
  inFramePixels: number;
  /** Pixel centres covered on the (capped) image plane, inside and outside the image. */
  unoccludedPixels: number;
}

/** Triangles of a three geometry (its `position` attribute and index), to pair with a world matrix. */
export function geometryTriangles(geometry: BufferGeometry): Pick<MeshPart, 'positions' | 'index'> {
  const position = geometry.getAttribute('position');
  if (!position || position.itemSize !== 3 || 'isInterleavedBufferAttribute' in position) {
    throw new Error('geometry needs a non-interleaved xyz position attribute');
  }
  return { positions: position.array.subarray(0, position.count * 3), index: geometry.index ? geometry.index.array : null };
}

/** Sub-pixel bits of most desktop GPUs (D3D11 requires 8; NVIDIA, AMD and Intel report 8). */
export const HARDWARE_SUBPIXEL_BITS = 8;
/** Sub-pixel bits of SwiftShader, the software Vulkan behind headless Chromium's WebGL. */
export const SWIFTSHADER_SUBPIXEL_BITS = 4;

/** The sub-pixel precision to rasterise with for a WebGL renderer string (WEBGL_debug_renderer_info's UNMASKED_RENDERER). */
export function subPixelBitsFor(renderer: string): number {
  return /swiftshader/i.test(renderer) ? SWIFTSHADER_SUBPIXEL_BITS : HARDWARE_SUBPIXEL_BITS;
}

export interface FootprintOptions {
  /** Vertex snapping, as the GPU that renders the instance buffer: HARDWARE_SUBPIXEL_BITS by default. */
  subPixelBits?: number;
}

/** Guard band beyond the counting region (pixels): clipped edges lie there, away from counted centres. */
const GUARD = 1;
const PLANES = 6;
const MAX_POLYGON = 3 + PLANES;

export class FootprintRasterizer {
  /** Sub-pixel steps per pixel (vertices snap to 1/SUB pixel), and half of it: a pixel centre from its corner. */
  private readonly SUB: number;
  private readonly HALF: number;
  private camera = new Float64Array(0); // xyz per vertex, camera frame
  private codes = new Uint8Array(0); // planes each vertex is outside of
  private snapped = new Float64Array(0); // fixed-point X, Y per vertex (valid where code is 0)
  private triangles = new Float64Array(6 * 1024); // fixed-point X0 Y0 X1 Y1 X2 Y2, clockwise on screen (y down): edge functions positive inside
  private triangleCount = 0;
  private bits = new Uint8Array(0);
  private polygon = new Float64Array(3 * MAX_POLYGON);
  private clipped = new Float64Array(3 * MAX_POLYGON);
  private planes = new Float64Array(4 * PLANES);
  /** Read-only outside: the last object's coverage bitmap spans columns [rectX, rectX + rectWidth) and rows [rectY, rectY + rectHeight). */
  rectX = 0;
  rectY = 0;
  rectWidth = 0;
  rectHeight = 0;
  private width = 0;
  private height = 0;

  constructor(options: FootprintOptions = {}) {
    const bits = options.subPixelBits ?? HARDWARE_SUBPIXEL_BITS;
    if (!(Number.isInteger(bits) && bits >= 1 && bits <= 10)) throw new RangeError(`subPixelBits must be an integer in 1…10, got ${bits}`);
    this.SUB = 2 ** bits;
    this.HALF = this.SUB / 2;
  }

  /** Rasterises one object (all its parts into one coverage bitmap) and counts its pixels. */
  measure(info: CameraInfo, parts: readonly MeshPart[]): Footprint {
    const { width, height } = info;
    const { SUB, HALF } = this;
    this.width = width;
    this.height = height;
    const regionX0 = -Math.floor(width / 2);
    const regionY0 = -Math.floor(height / 2);
    const regionX1 = width + Math.floor(width / 2); // exclusive
    const regionY1 = height + Math.floor(height / 2);
    this.setPlanes(info, regionX0 - GUARD, regionY0 - GUARD, regionX1 + GUARD, regionY1 + GUARD);

    this.triangleCount = 0;
    const bounds = [Infinity, Infinity, -Infinity, -Infinity];
    const worldToCamera = worldToCameraMatrix(info);
    for (const part of parts) this.collect(info, part, worldToCamera.clone().multiply(part.worldMatrix), bounds);

    // Pixels whose centres can be covered: X ≥ SUB·x + HALF ⇔ x ≥ (X − HALF)/SUB.
    const x0 = Math.max(regionX0, Math.ceil((bounds[0]! - HALF) / SUB));
    const y0 = Math.max(regionY0, Math.ceil((bounds[1]! - HALF) / SUB));
    const x1 = Math.min(regionX1 - 1, Math.floor((bounds[2]! - HALF) / SUB));
    const y1 = Math.min(regionY1 - 1, Math.floor((bounds[3]! - HALF) / SUB));
    if (!(x0 <= x1 && y0 <= y1)) {
      this.rectX = this.rectY = this.rectWidth = this.rectHeight = 0;
      return { inFramePixels: 0, unoccludedPixels: 0 };
    }
    this.rectX = x0;
    this.rectY = y0;
    this.rectWidth = x1 - x0 + 1;
    this.rectHeight = y1 - y0 + 1;
    const area = this.rectWidth * this.rectHeight;
    if (this.bits.length < area) this.bits = new Uint8Array(Math.max(area, this.bits.length * 2));
    this.bits.fill(0, 0, area);
    return this.rasterize();
  }

  /** Whether the last measured object covers pixel (col, row) (any pixel of the image plane). */
  covers(col: number, row: number): boolean {
    const x = col - this.rectX;
    const y = row - this.rectY;
    return x >= 0 && y >= 0 && x < this.rectWidth && y < this.rectHeight && this.bits[y * this.rectWidth + x] === 1;
  }

  /** Writes `value` into `target` (width × height, row 0 on top) where the last measured object covers the image. */
  paint(target: Uint32Array, value: number): void {
    const { width, height, rectX, rectY, rectWidth, rectHeight, bits } = this;
    for (let row = Math.max(0, rectY); row < Math.min(height, rectY + rectHeight); row++) {
      const base = (row - rectY) * rectWidth - rectX;
      for (let col = Math.max(0, rectX); col < Math.min(width, rectX + rectWidth); col++) {
        if (bits[base + col] === 1) target[row * width + col] = value;
      }
    }
  }

  /** Clip planes a·x + b·y + c·z + d ≥ 0 (camera frame): near, far, and the guard band's four sides. */
  private setPlanes(info: CameraInfo, left: number, top: number, right: number, bottom: number): void {
    const [[fx, skew, cx], [, fy, cy]] = info.K;
    // u = (fx·x + skew·y)/z + cx ≥ left ⇔ fx·x + skew·y + (cx − left)·z ≥ 0 for z > 0 (after the near plane).
    this.planes.set([
      0, 0, 1, -info.near,
      0, 0, -1, info.far,
      fx, skew, cx - left, 0,
      -fx, -skew, right - cx, 0,
      0, fy, cy - top, 0,
      0, -fy, bottom - cy, 0,
    ]);
  }

  private outcode(x: number, y: number, z: number): number {
    const p = this.planes;
    let code = 0;
    for (let k = 0; k < PLANES; k++) {
      const o = 4 * k;
      if (p[o]! * x + p[o + 1]! * y + p[o + 2]! * z + p[o + 3]! < 0) code |= 1 << k;
    }
    return code;
  }

  /** Transforms, clips, projects and snaps one part's triangles, appending them to the list. */
  private collect(info: CameraInfo, part: MeshPart, toCamera: Matrix4, bounds: number[]): void {
    const { positions, index } = part;
    const vertexCount = Math.floor(positions.length / 3);
    if (this.codes.length < vertexCount) {
      const capacity = Math.max(vertexCount, this.codes.length * 2);
      this.camera = new Float64Array(3 * capacity);
      this.codes = new Uint8Array(capacity);
      this.snapped = new Float64Array(2 * capacity);
    }
    const { camera, codes, snapped, SUB } = this;
    const e = toCamera.elements;
    const [[fx, skew, cx], [, fy, cy]] = info.K;
    for (let i = 0; i < vertexCount; i++) {
      const px = positions[3 * i]!, py = positions[3 * i + 1]!, pz = positions[3 * i + 2]!;
      const x = e[0]! * px + e[4]! * py + e[8]! * pz + e[12]!;
      const y = e[1]! * px + e[5]! * py + e[9]! * pz + e[13]!;
      const z = e[2]! * px + e[6]! * py + e[10]! * pz + e[14]!;
      camera[3 * i] = x;
      camera[3 * i + 1] = y;
      camera[3 * i + 2] = z;
      const code = this.outcode(x, y, z);
      codes[i] = code;
      if (code === 0) {
        snapped[2 * i] = Math.round(((fx * x + skew * y) / z + cx) * SUB);
        snapped[2 * i + 1] = Math.round(((fy * y) / z + cy) * SUB);
      }
    }
    const triangleCount = index ? Math.floor(index.length / 3) : Math.floor(vertexCount / 3);
    for (let t = 0; t < triangleCount; t++) {
      const i0 = index ? index[3 * t]! : 3 * t;
      const i1 = index ? index[3 * t + 1]! : 3 * t + 1;
      const i2 = index ? index[3 * t + 2]! : 3 * t + 2;
      if (!(i0 < vertexCount && i1 < vertexCount && i2 < vertexCount)) continue;
      const c0 = codes[i0]!, c1 = codes[i1]!, c2 = codes[i2]!;
      if ((c0 & c1 & c2) !== 0) continue; // wholly outside one plane
      if ((c0 | c1 | c2) === 0) {
        this.push(snapped[2 * i0]!, snapped[2 * i0 + 1]!, snapped[2 * i1]!, snapped[2 * i1 + 1]!, snapped[2 * i2]!, snapped[2 * i2 + 1]!, bounds);
        continue;
      }
      this.clipAndPush(info, [i0, i1, i2], c0 | c1 | c2, bounds);
    }
  }

  /** Sutherland–Hodgman against each plane the triangle crosses, then a fan of the polygon. */
  private clipAndPush(info: CameraInfo, corners: number[], crossed: number, bounds: number[]): void {
    let input = this.polygon;
    let output = this.clipped;
    let count = 0;
    for (const i of corners) {
      input[3 * count] = this.camera[3 * i]!;
      input[3 * count + 1] = this.camera[3 * i + 1]!;
      input[3 * count + 2] = this.camera[3 * i + 2]!;
      count++;
    }
    const p = this.planes;
    for (let k = 0; k < PLANES && count > 0; k++) {
      if ((crossed & (1 << k)) === 0) continue;
      const a = p[4 * k]!, b = p[4 * k + 1]!, c = p[4 * k + 2]!, d = p[4 * k + 3]!;
      let out = 0;
      for (let j = 0; j < count; j++) {
        const n = (j + 1) % count;
        const xj = input[3 * j]!, yj = input[3 * j + 1]!, zj = input[3 * j + 2]!;
        const xn = input[3 * n]!, yn = input[3 * n + 1]!, zn = input[3 * n + 2]!;
        const dj = a * xj + b * yj + c * zj + d;
        const dn = a * xn + b * yn + c * zn + d;
        if (dj >= 0) {
          output[3 * out] = xj;
          output[3 * out + 1] = yj;
          output[3 * out + 2] = zj;
          out++;
        }
        if ((dj >= 0) !== (dn >= 0)) {
          const s = dj / (dj - dn);
          output[3 * out] = xj + s * (xn - xj);
          output[3 * out + 1] = yj + s * (yn - yj);
          output[3 * out + 2] = zj + s * (zn - zj);
          out++;
        }
      }
      [input, output] = [output, input];
      count = out;
    }
    if (count < 3) return;
    const [[fx, skew, cx], [, fy, cy]] = info.K;
    const SUB = this.SUB;
    const X = (j: number) => Math.round(((fx * input[3 * j]! + skew * input[3 * j + 1]!) / input[3 * j + 2]! + cx) * SUB);
    const Y = (j: number) => Math.round(((fy * input[3 * j + 1]!) / input[3 * j + 2]! + cy) * SUB);
    const x0 = X(0), y0 = Y(0);
    for (let j = 1; j + 1 < count; j++) this.push(x0, y0, X(j), Y(j), X(j + 1), Y(j + 1), bounds);
  }

  /** Appends a snapped triangle, oriented so that its edge functions are positive inside. */
  private push(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, bounds: number[]): void {
    const area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
    if (area === 0 || !Number.isFinite(area)) return;
    if (this.triangles.length < 6 * (this.triangleCount + 1)) {
      const grown = new Float64Array(this.triangles.length * 2);
      grown.set(this.triangles);
      this.triangles = grown;
    }
    const o = 6 * this.triangleCount++;
    const tri = this.triangles;
    tri[o] = x0;
    tri[o + 1] = y0;
    if (area > 0) {
      tri[o + 2] = x1; tri[o + 3] = y1; tri[o + 4] = x2; tri[o + 5] = y2;
    } else {
      tri[o + 2] = x2; tri[o + 3] = y2; tri[o + 4] = x1; tri[o + 5] = y1;
    }
    bounds[0] = Math.min(bounds[0]!, x0, x1, x2);
    bounds[1] = Math.min(bounds[1]!, y0, y1, y2);
    bounds[2] = Math.max(bounds[2]!, x0, x1, x2);
    bounds[3] = Math.max(bounds[3]!, y0, y1, y2);
  }

  /**
   * Fills every triangle's covered pixel centres into the bitmap, row by row, then counts the set
   * bytes. For an edge a → b the edge function at pixel (x, y) is E = dx·(Py − ay) − dy·(Px − ax)
   * with the centre Px = SUB·x + HALF, Py = SUB·y + HALF: linear in x, so each edge bounds the row's
   * span by one division, and steps by a constant from row to row. All terms are integers below
   * 2^53 (snapped coordinates inside the guard band), and a non-integer quotient is at least 1/|A|
   * from the next integer, far above rounding, so ceil/floor are exact. A centre on an edge (E = 0)
   * counts only for left edges (dy < 0) and bottom edges (dy = 0, dx < 0): see the header.
   */
  private rasterize(): Footprint {
    const { triangles, bits, rectX, rectY, rectWidth, rectHeight, width, height, SUB, HALF } = this;
    const rectX1 = rectX + rectWidth - 1;
    const rectY1 = rectY + rectHeight - 1;
    for (let t = 0; t < this.triangleCount; t++) {
      const o = 6 * t;
      const ax = triangles[o]!, ay = triangles[o + 1]!;
      const bx = triangles[o + 2]!, by = triangles[o + 3]!;
      const qx = triangles[o + 4]!, qy = triangles[o + 5]!;
      // Edges 0: v0→v1, 1: v1→v2, 2: v2→v0; bias 1 turns E ≥ 0 into E > 0 off the edges that own
      // their centres. Clockwise on screen, a left edge runs up (dy < 0), a bottom edge leftwards.
      const d0x = bx - ax, d0y = by - ay, d1x = qx - bx, d1y = qy - by, d2x = ax - qx, d2y = ay - qy;
      const bias0 = d0y < 0 || (d0y === 0 && d0x < 0) ? 0 : 1;
      const bias1 = d1y < 0 || (d1y === 0 && d1x < 0) ? 0 : 1;
      const bias2 = d2y < 0 || (d2y === 0 && d2x < 0) ? 0 : 1;
      const minX = Math.max(rectX, Math.ceil((Math.min(ax, bx, qx) - HALF) / SUB));
      const maxX = Math.min(rectX1, Math.floor((Math.max(ax, bx, qx) - HALF) / SUB));
      const minY = Math.max(rectY, Math.ceil((Math.min(ay, by, qy) - HALF) / SUB));
      const maxY = Math.min(rectY1, Math.floor((Math.max(ay, by, qy) - HALF) / SUB));
      // E(x) − bias = A·x + B(y) with A = −dy·SUB and B(y) = dx·(Py − ay) + dy·(ax − HALF) − bias,
      // which grows by dx·SUB per row; a centre counts where A·x + B ≥ 0.
      const A0 = -d0y * SUB, A1 = -d1y * SUB, A2 = -d2y * SUB;
      const py0 = minY * SUB + HALF;
      let B0 = d0x * (py0 - ay) + d0y * (ax - HALF) - bias0;
      let B1 = d1x * (py0 - by) + d1y * (bx - HALF) - bias1;
      let B2 = d2x * (py0 - qy) + d2y * (qx - HALF) - bias2;
      const step0 = d0x * SUB, step1 = d1x * SUB, step2 = d2x * SUB;
      for (let y = minY; y <= maxY; y++, B0 += step0, B1 += step1, B2 += step2) {
        let lo = minX;
        let hi = maxX;
        if (A0 > 0) lo = Math.max(lo, Math.ceil(-B0 / A0));
        else if (A0 < 0) hi = Math.min(hi, Math.floor(B0 / -A0));
        else if (B0 < 0) continue;
        if (A1 > 0) lo = Math.max(lo, Math.ceil(-B1 / A1));
        else if (A1 < 0) hi = Math.min(hi, Math.floor(B1 / -A1));
        else if (B1 < 0) continue;
        if (A2 > 0) lo = Math.max(lo, Math.ceil(-B2 / A2));
        else if (A2 < 0) hi = Math.min(hi, Math.floor(B2 / -A2));
        else if (B2 < 0) continue;
        if (lo > hi) continue;
        const base = (y - rectY) * rectWidth - rectX;
        for (let i = base + lo, end = base + hi; i <= end; i++) bits[i] = 1;
      }
    }
    // Count once at the end: overlapping triangles set the same bytes.
    let unoccluded = 0;
    let inFrame = 0;
    const inX0 = Math.max(0, rectX) - rectX;
    const inX1 = Math.min(width, rectX + rectWidth) - rectX; // exclusive
    for (let row = 0; row < rectHeight; row++) {
      const base = row * rectWidth;
      let all = 0;
      for (let i = base, end = base + rectWidth; i < end; i++) all += bits[i]!;
      unoccluded += all;
      const y = rectY + row;
      if (y < 0 || y >= height || inX0 >= inX1) continue;
      if (inX0 === 0 && inX1 === rectWidth) inFrame += all;
      else for (let i = base + inX0, end = base + inX1; i < end; i++) inFrame += bits[i]!;
    }
    return { inFramePixels: inFrame, unoccludedPixels: unoccluded };
  }
}

const shared = new Map<number, FootprintRasterizer>();

/** This module's rasteriser for a sub-pixel precision (one per worker: buffers reused between objects and frames). */
export function sharedRasterizer(subPixelBits = HARDWARE_SUBPIXEL_BITS): FootprintRasterizer {
  let rasterizer = shared.get(subPixelBits);
  if (!rasterizer) shared.set(subPixelBits, (rasterizer = new FootprintRasterizer({ subPixelBits })));
  return rasterizer;
}

/** Footprint of one object made of `parts`, with the shared rasteriser for that precision. */
export function measureFootprint(info: CameraInfo, parts: readonly MeshPart[], subPixelBits = HARDWARE_SUBPIXEL_BITS): Footprint {
  return sharedRasterizer(subPixelBits).measure(info, parts);
}

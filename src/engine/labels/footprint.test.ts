import { describe, expect, it } from 'vitest';
import { BoxGeometry, CircleGeometry, Matrix4, SphereGeometry, Vector3 } from 'three';
import { cameraInfo, projectPoint } from './camera.ts';
import type { CameraInfo } from '../dataset/types.ts';
import { FootprintRasterizer, geometryTriangles, measureFootprint, subPixelBitsFor, type MeshPart } from './footprint.ts';

/**
 * Cameras at the origin looking down world -Z, so camera (x, y, z) = world (x, -y, -z):
 * `small` is 200×100 with f = 100, `large` 640×480 with f = 400.
 */
const small = cameraInfo({ path: '/C', worldMatrix: new Matrix4(), fovY: 2 * Math.atan(0.5), near: 0.1, far: 100, width: 200, height: 100 });
const large = cameraInfo({ path: '/C', worldMatrix: new Matrix4(), fovY: 2 * Math.atan(240 / 400), near: 0.1, far: 100, width: 640, height: 480 });

/** World point at depth z (camera frame) that projects to pixel coordinates (u, v). */
const behindPixel = (info: CameraInfo, u: number, v: number, z: number): [number, number, number] => {
  const f = info.K[0][0];
  return [((u - info.K[0][2]) * z) / f, -((v - info.K[1][2]) * z) / f, -z];
};

/** A quad at depth z covering pixel coordinates [u0, u1] × [v0, v1], as two triangles. */
function quad(info: CameraInfo, u0: number, v0: number, u1: number, v1: number, z = 2): MeshPart {
  const corners = [behindPixel(info, u0, v0, z), behindPixel(info, u1, v0, z), behindPixel(info, u1, v1, z), behindPixel(info, u0, v1, z)];
  return { positions: new Float32Array(corners.flat()), index: new Uint32Array([0, 1, 2, 0, 2, 3]), worldMatrix: new Matrix4() };
}

/** Area of the convex hull of 2D points (monotone chain + shoelace). */
function hullArea(points: Array<[number, number]>): number {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: number[], a: number[], b: number[]) => (a[0]! - o[0]!) * (b[1]! - o[1]!) - (a[1]! - o[1]!) * (b[0]! - o[0]!);
  const half = (list: Array<[number, number]>) => {
    const chain: Array<[number, number]> = [];
    for (const p of list) {
      while (chain.length >= 2 && cross(chain[chain.length - 2]!, chain[chain.length - 1]!, p) <= 0) chain.pop();
      chain.push(p);
    }
    return chain.slice(0, -1);
  };
  const hull = [...half(sorted), ...half([...sorted].reverse())];
  let area = 0;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!, b = hull[(i + 1) % hull.length]!;
    area += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(area) / 2;
}

/** A 40 × 20 segment sphere (the renderer's tessellation) of radius 1 at `centre` (world). */
function sphere(centre: Vector3): { part: MeshPart; projectedArea: (info: CameraInfo) => number } {
  const geometry = new SphereGeometry(1, 40, 20);
  const worldMatrix = new Matrix4().makeTranslation(centre.x, centre.y, centre.z);
  const part = { ...geometryTriangles(geometry), worldMatrix };
  const projectedArea = (info: CameraInfo) => {
    const position = geometry.getAttribute('position');
    const points: Array<[number, number]> = [];
    for (let i = 0; i < position.count; i++) {
      const p = projectPoint(info, new Vector3(position.getX(i), position.getY(i), position.getZ(i)).applyMatrix4(worldMatrix));
      points.push([p.u, p.v]);
    }
    return hullArea(points);
  };
  return { part, projectedArea };
}

describe('footprint rasteriser', () => {
  it('counts the N × M pixel centres a camera-facing square covers', () => {
    // u ∈ [80.2, 90.7] holds centres 80.5 … 90.5 (11 columns), v ∈ [30.3, 37.9] rows 30 … 37 (8).
    expect(measureFootprint(small, [quad(small, 80.2, 30.3, 90.7, 37.9)])).toEqual({ inFramePixels: 88, unoccludedPixels: 88 });
    // Either winding: the back face covers the same pixels.
    expect(measureFootprint(small, [quad(small, 90.7, 30.3, 80.2, 37.9)]).inFramePixels).toBe(88);
  });

  it('decides centres on an edge by a fill rule, so shared edges count once', () => {
    // Corners on pixel centres: the left and bottom edges' centres count (WebGL's top-left rule,
    // with GL's y up), the right and top ones not: columns 80 … 89, rows 31 … 40.
    const rasterizer = new FootprintRasterizer();
    expect(rasterizer.measure(small, [quad(small, 80.5, 30.5, 90.5, 40.5)]).inFramePixels).toBe(100);
    expect([rasterizer.covers(80, 31), rasterizer.covers(89, 40), rasterizer.covers(90, 35), rasterizer.covers(85, 30)]).toEqual([true, true, false, false]);
    const left = quad(small, 80.5, 30.5, 90.5, 40.5);
    const right = quad(small, 90.5, 30.5, 100.5, 40.5);
    expect(measureFootprint(small, [right]).inFramePixels).toBe(100);
    expect(measureFootprint(small, [left, right]).inFramePixels).toBe(200);
    // The two triangles of a square split along a diagonal through ten pixel centres share them.
    const square = quad(small, 80.5, 30.5, 90.5, 40.5);
    const triangle = (a: number, b: number, c: number): MeshPart => ({ ...square, index: new Uint32Array([a, b, c]) });
    const halves = [measureFootprint(small, [triangle(0, 1, 2)]).inFramePixels, measureFootprint(small, [triangle(0, 2, 3)]).inFramePixels];
    expect(halves[0]! + halves[1]!).toBe(100);
    expect(halves.sort()).toEqual([45, 55]); // the diagonal's centres go to one side
  });

  it("covers a tessellated sphere's projected polygon", () => {
    // About 100k pixels straight ahead: projected radius 400/√(d² − 1) ≈ 178 at d = 2.458; off
    // axis, perspective stretches it into an ellipse.
    for (const centre of [new Vector3(0, 0, -2.458), new Vector3(0.4, -0.3, -2.6)]) {
      const { part, projectedArea } = sphere(centre);
      const expected = projectedArea(large);
      const { inFramePixels, unoccludedPixels } = measureFootprint(large, [part]);
      expect(unoccludedPixels).toBe(inFramePixels);
      // Pixel centres in a convex polygon: its area, up to a small fraction of its ~1100 px perimeter.
      expect(Math.abs(inFramePixels - expected)).toBeLessThan(30);
      expect(expected).toBeGreaterThan(85_000);
    }
  });

  it('counts a closed box as its silhouette, overlapping faces once', () => {
    // Straight on, the silhouette of a unit cube 2.5 m away is its front face, 2 m away.
    const box = { ...geometryTriangles(new BoxGeometry(1, 1, 1)), worldMatrix: new Matrix4().makeTranslation(0, 0, -2.5) };
    const front = quad(small, 75, 25, 125, 75, 2);
    expect(measureFootprint(small, [box]).inFramePixels).toBe(measureFootprint(small, [front]).inFramePixels);
    expect(measureFootprint(small, [box]).inFramePixels).toBe(50 * 50);
  });

  it('counts the part beyond the image border on the unbounded plane', () => {
    // A camera-facing disc centred on the left border projects to a disc: half of it in the image.
    const disc = new CircleGeometry(1, 64);
    const { inFramePixels, unoccludedPixels } = measureFootprint(large, [{ ...geometryTriangles(disc), worldMatrix: new Matrix4().makeTranslation(...behindPixel(large, 0, 240, 2.5)) }]);
    const projectedArea = 32 * Math.sin((2 * Math.PI) / 64) * (400 / 2.5) ** 2; // a 64-gon of circumradius 160 px
    expect(Math.abs(unoccludedPixels - projectedArea)).toBeLessThan(40);
    expect(Math.abs(unoccludedPixels - 2 * inFramePixels)).toBeLessThan(4);
    // A sphere off to the side projects to an ellipse stretched outwards: counted whole all the same.
    const { part, projectedArea: sphereArea } = sphere(new Vector3(...behindPixel(large, 0, 240, 2.6)));
    const partly = measureFootprint(large, [part]);
    expect(partly.inFramePixels).toBeLessThan(partly.unoccludedPixels / 2);
    expect(Math.abs(partly.unoccludedPixels - sphereArea(large))).toBeLessThan(60);
  });

  it('clips at the near and far planes and counts the plane up to twice the image size', () => {
    // A 1 km floor 1 m below the camera, reaching behind it: below the horizon (v = 50) up to the
    // far plane at v = 50 + 100·1/100 = 51, so rows 51 … 99 of the image (49 × 200) and rows
    // 51 … 149 of the counted region (columns -100 … 299: 99 × 400).
    const floor: MeshPart = {
      positions: new Float32Array([-500, -1, -500, 500, -1, -500, 500, -1, 500, -500, -1, 500]),
      index: new Uint32Array([0, 1, 2, 0, 2, 3]),
      worldMatrix: new Matrix4(),
    };
    expect(measureFootprint(small, [floor])).toEqual({ inFramePixels: 49 * 200, unoccludedPixels: 99 * 400 });
  });

  it('gives nothing for an object behind the camera or empty geometry', () => {
    const { part } = sphere(new Vector3(0, 0, 3));
    expect(measureFootprint(large, [part])).toEqual({ inFramePixels: 0, unoccludedPixels: 0 });
    expect(measureFootprint(large, [])).toEqual({ inFramePixels: 0, unoccludedPixels: 0 });
  });

  it('counts indexed and unindexed copies of a mesh alike, and paints what it counts', () => {
    const centre = new Vector3(-1.2, 0.5, -3);
    const indexed = new SphereGeometry(1, 40, 20);
    const worldMatrix = new Matrix4().makeTranslation(centre.x, centre.y, centre.z);
    const rasterizer = new FootprintRasterizer();
    const a = rasterizer.measure(large, [{ ...geometryTriangles(indexed.toNonIndexed()), worldMatrix }]);
    const b = rasterizer.measure(large, [{ ...geometryTriangles(indexed), worldMatrix }]);
    expect(a).toEqual(b);
    const target = new Uint32Array(640 * 480);
    rasterizer.paint(target, 7);
    expect(target.reduce((n, id) => n + (id === 7 ? 1 : 0), 0)).toBe(b.inFramePixels);
    const centrePixel = projectPoint(large, centre);
    expect(rasterizer.covers(Math.floor(centrePixel.u), Math.floor(centrePixel.v))).toBe(true);
  });

  it('snaps vertices to the sub-pixel grid of the GPU that renders', () => {
    expect(subPixelBitsFor('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(4);
    expect(subPixelBitsFor('ANGLE (NVIDIA, NVIDIA GeForce RTX 4090 Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBe(8);
    // A square whose left edge lies 1/64 px right of the centres of column 50 (rows 30 … 40, 11 of
    // them): a 1/16 grid snaps the edge onto those centres, where a left edge owns them; a 1/256
    // grid keeps it right of them.
    const square = quad(small, 50.5 + 1 / 64, 30.2, 60.7, 40.7);
    expect(new FootprintRasterizer({ subPixelBits: 4 }).measure(small, [square]).inFramePixels).toBe(11 * 11);
    expect(new FootprintRasterizer({ subPixelBits: 8 }).measure(small, [square]).inFramePixels).toBe(10 * 11);
    expect(() => new FootprintRasterizer({ subPixelBits: 0 })).toThrow(RangeError);
  });
});

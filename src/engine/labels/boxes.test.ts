import { describe, expect, it } from 'vitest';
import { Box3, Matrix4, Quaternion, Vector3 } from 'three';
import { looseBox, pixelBox, scanInstances, tightBox } from './boxes.ts';
import { cameraInfo, projectPoint } from './camera.ts';

/**
 * A 200×100 camera at the origin looking down world -Z with fx = fy = 100 (fovY = 2·atan(0.5)):
 * a camera-frame point (x, y, z) lands on u = 100 + 100·x/z, v = 50 + 100·y/z, and world
 * (x, y, z) is camera (x, -y, -z).
 */
const camera = cameraInfo({ path: '/Camera', worldMatrix: new Matrix4(), fovY: 2 * Math.atan(0.5), near: 0.1, far: 100, width: 200, height: 100 });
const at = (x: number, y: number, z: number) => new Matrix4().makeTranslation(x, y, z);
const cube = (half: number) => new Box3(new Vector3(-half, -half, -half), new Vector3(half, half, half));

describe('loose 2D box', () => {
  it('counts the pixels whose centres lie in the projected extent', () => {
    expect(pixelBox(75, 25, 125, 75, 200, 100)).toEqual([75, 25, 124, 74]);
    expect(pixelBox(80.25, 10.5, 90.75, 10.5, 200, 100)).toEqual([80, 10, 90, 10]);
    expect(pixelBox(-30, -5, 10.2, 120, 200, 100)).toEqual([0, 0, 9, 99]);
    expect(pixelBox(10.6, 3, 11.4, 4, 200, 100)).toBeNull(); // between two centres
    expect(pixelBox(200.1, 3, 300, 4, 200, 100)).toBeNull();
  });

  it('of a cube straight ahead is the projection of its front face', () => {
    // Front face 2 m away, 1 m wide: u ∈ [75, 125], v ∈ [25, 75] → centres 75.5 … 124.5.
    expect(looseBox(camera, cube(0.5), at(0, 0, -2.5))).toEqual([75, 25, 124, 74]);
    // Moved so that the edges fall between pixel centres (u = 80.25, 130.25) and on pixel borders (v = 35, 85).
    const shifted = at(0.105, -0.2, -2.5); // camera x 0.105, y 0.2
    const u0 = 100 + 50 * (0.105 - 0.5), u1 = 100 + 50 * (0.105 + 0.5);
    const v0 = 50 + 50 * (0.2 - 0.5), v1 = 50 + 50 * (0.2 + 0.5);
    expect([u0, u1, v0, v1]).toEqual([80.25, 130.25, 35, 85]);
    expect(looseBox(camera, cube(0.5), shifted)).toEqual([80, 35, 129, 84]);
  });

  it('of a rotated, scaled box spans its projected corners', () => {
    const world = new Matrix4().compose(new Vector3(0.3, 0.1, -4), new Quaternion().setFromAxisAngle(new Vector3(1, 2, 0.5).normalize(), 0.7), new Vector3(1, 0.5, 2));
    const box = new Box3(new Vector3(-0.4, -0.3, -0.2), new Vector3(0.4, 0.5, 0.2));
    const us: number[] = [];
    const vs: number[] = [];
    for (let i = 0; i < 8; i++) {
      const corner = new Vector3(i & 1 ? 0.4 : -0.4, i & 2 ? 0.5 : -0.3, i & 4 ? 0.2 : -0.2).applyMatrix4(world);
      const p = projectPoint(camera, corner);
      us.push(p.u);
      vs.push(p.v);
    }
    const expected = [Math.ceil(Math.min(...us) - 0.5), Math.ceil(Math.min(...vs) - 0.5), Math.floor(Math.max(...us) - 0.5), Math.floor(Math.max(...vs) - 0.5)];
    expect(looseBox(camera, box, world)).toEqual(expected);
  });

  it('clips a box reaching behind the camera at the near plane, staying finite and inside the image', () => {
    // Camera frame x ∈ [0.5, 1.5], y ∈ [-0.2, 0.2], z ∈ [-1, 3]: its nearest visible points sit on
    // z = near (u up to 100 + 100·1.5/0.1, far off the right border, v to ±200); the far end's
    // inner edge is at u = 100 + 100·0.5/3.
    const box = new Box3(new Vector3(0.5, -0.2, -3), new Vector3(1.5, 0.2, 1));
    const result = looseBox(camera, box, new Matrix4());
    expect(result).toEqual([Math.ceil(100 + 100 * (0.5 / 3) - 0.5), 0, 199, 99]);
  });

  it('is null for a box behind the camera or beside the image', () => {
    expect(looseBox(camera, cube(0.5), at(0, 0, 3))).toBeNull();
    expect(looseBox(camera, cube(0.5), at(0, 0, -0.05))).not.toBeNull(); // straddles the near plane
    expect(looseBox(camera, cube(0.5), at(20, 0, -2.5))).toBeNull();
    expect(looseBox(camera, new Box3(), at(0, 0, -2))).toBeNull();
  });
});

describe('instance scan', () => {
  it('counts pixels and finds the tight box of each id in one pass', () => {
    const width = 7;
    const height = 5;
    const instance = new Uint32Array(width * height);
    const paint = (id: number, x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) instance[y * width + x] = id;
    };
    paint(1, 1, 1, 3, 2); // 3 × 2
    paint(3, 5, 0, 6, 4); // 2 × 5
    paint(1, 0, 4, 0, 4); // one more pixel of id 1, bottom-left
    paint(9, 4, 4, 4, 4); // above count: ignored
    const scan = scanInstances(instance, width, height, 3);
    expect(Array.from(scan.pixels)).toEqual([0, 7, 0, 10]);
    expect(tightBox(scan, 1)).toEqual([0, 1, 3, 4]);
    expect(tightBox(scan, 2)).toBeNull();
    expect(tightBox(scan, 3)).toEqual([5, 0, 6, 4]);
    expect(tightBox(scan, 9)).toBeNull();
    expect(() => scanInstances(new Uint32Array(3), width, height, 3)).toThrow(RangeError);
  });
});

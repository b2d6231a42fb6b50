import { describe, expect, it } from 'vitest';
import { Box3, CircleGeometry, Matrix4, Quaternion, SphereGeometry, Vector3 } from 'three';
import { looseBox } from './boxes.ts';
import { cameraInfo, projectPoint } from './camera.ts';
import { FootprintRasterizer, geometryTriangles, type MeshPart } from './footprint.ts';
import { labelObjects, type ObjectToLabel } from './objectLabels.ts';
import { box3d, poseInCamera, worldPose } from './pose.ts';

/** 640×480, f = 400, at the origin looking down world -Z (camera (x, y, z) = world (x, -y, -z)). */
const camera = cameraInfo({ path: '/Camera', worldMatrix: new Matrix4(), fovY: 2 * Math.atan(240 / 400), near: 0.1, far: 100, width: 640, height: 480 });
const { width, height } = camera;
const unitCube = new Box3(new Vector3(-1, -1, -1), new Vector3(1, 1, 1));
const ball = geometryTriangles(new SphereGeometry(1, 40, 20));

function sphereObject(instanceId: number, worldMatrix: Matrix4, path = `/World/Ball${instanceId}`): ObjectToLabel {
  return { path, label: 'ball', classId: 2, instanceId, worldMatrix, localBox: unitCube, triangles: ball };
}

/** An instance buffer as the renderer would draw it: each object's own coverage, later ones on top. */
function render(objects: ObjectToLabel[]): Uint32Array {
  const instance = new Uint32Array(width * height);
  const rasterizer = new FootprintRasterizer();
  for (const o of objects) {
    const parts: MeshPart[] = [...(o.triangles ? [{ ...o.triangles, worldMatrix: o.worldMatrix }] : []), ...(o.parts ?? [])];
    rasterizer.measure(camera, parts);
    rasterizer.paint(instance, o.instanceId);
  }
  return instance;
}

describe('object labels', () => {
  const ahead = new Matrix4().compose(new Vector3(0, 0, -2.5), new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), 0.3), new Vector3(1, 1, 1));

  it('labels an object seen whole: fully visible, boxes around its pixels, poses and 3D box', () => {
    const ball1 = sphereObject(1, ahead);
    const behind = sphereObject(2, new Matrix4().makeTranslation(0, 0, 5));
    const instance = render([ball1, behind]);
    const labels = labelObjects({ camera, objects: [behind, ball1], instance, width, height });
    expect(labels.map((l) => l.instanceId)).toEqual([1]); // nothing of the ball behind the camera shows

    const label = labels[0]!;
    expect(label).toMatchObject({ path: '/World/Ball1', label: 'ball', classId: 2, visible_fraction: 1 });
    expect(label.visible_pixels).toBe(label.in_frame_pixels);
    expect(label.unoccluded_pixels).toBe(label.in_frame_pixels);
    expect(label.visible_pixels).toBeGreaterThan(90_000);
    // The tight box holds the disc of radius 400/√(2.5² − 1) ≈ 174.6 px about the image centre.
    const radius = 400 / Math.sqrt(2.5 ** 2 - 1);
    const [x0, y0, x1, y1] = label.bbox2d_tight!;
    for (const [edge, expected] of [[x0, 320 - radius], [y0, 240 - radius], [x1, 320 + radius], [y1, 240 + radius]] as const) {
      expect(Math.abs(edge - expected)).toBeLessThan(2);
    }
    // The loose box is the projection of the 3D box: it holds the tight one.
    expect(label.bbox2d_loose).toEqual(looseBox(camera, unitCube, ahead));
    expect(label.bbox2d_loose[0]).toBeLessThanOrEqual(x0);
    expect(label.bbox2d_loose[2]).toBeGreaterThanOrEqual(x1);
    expect(label.bbox3d).toEqual(box3d(camera, unitCube, ahead));
    expect(label.pose_world).toEqual(worldPose(ahead));
    expect(label.pose_camera).toEqual(poseInCamera(camera, ahead));
    expect(label.bbox3d.center.map((v) => +v.toFixed(12))).toEqual([0, 0, 2.5]);
  });

  it('measures footprints on the sub-pixel grid of the GPU that drew the buffer', () => {
    // SwiftShader (headless Chromium) snaps to 1/16 px: the footprint then matches its mask exactly.
    const ball1 = sphereObject(1, new Matrix4().makeTranslation(0.31, -0.17, -2.7));
    const instance = new Uint32Array(width * height);
    const swiftShader = new FootprintRasterizer({ subPixelBits: 4 });
    swiftShader.measure(camera, [{ ...ball, worldMatrix: ball1.worldMatrix }]);
    swiftShader.paint(instance, 1);
    const [label] = labelObjects({ camera, objects: [ball1], instance, width, height, subPixelBits: 4 });
    expect(label!.unoccluded_pixels).toBe(label!.visible_pixels);
  });

  it('counts an object half hidden behind another as half visible', () => {
    const ball1 = sphereObject(1, ahead);
    const instance = render([ball1]);
    // Another object covers the left half of the image, hence of the ball's mask.
    for (let row = 0; row < height; row++) instance.fill(9, row * width, row * width + width / 2);
    const [label] = labelObjects({ camera, objects: [ball1], instance, width, height });
    expect(label!.visible_fraction).toBeGreaterThan(0.49);
    expect(label!.visible_fraction).toBeLessThan(0.51);
    expect(label!.in_frame_pixels).toBe(label!.unoccluded_pixels); // still wholly inside the image
    expect(label!.bbox2d_tight![0]).toBe(width / 2);
  });

  it('counts an object half out of the frame as half visible', () => {
    // A camera-facing disc centred on the left border.
    const centre = new Vector3((-320 * 2.5) / 400, 0, -2.5);
    const disc: ObjectToLabel = {
      path: '/World/Disc',
      label: 'disc',
      classId: 1,
      instanceId: 3,
      worldMatrix: new Matrix4().makeTranslation(centre.x, centre.y, centre.z),
      localBox: new Box3(new Vector3(-1, -1, 0), new Vector3(1, 1, 0)),
      triangles: geometryTriangles(new CircleGeometry(1, 64)),
    };
    const [label] = labelObjects({ camera, objects: [disc], instance: render([disc]), width, height });
    expect(label!.visible_pixels).toBe(label!.in_frame_pixels);
    expect(label!.visible_fraction).toBeGreaterThan(0.49);
    expect(label!.visible_fraction).toBeLessThan(0.51);
    expect(label!.bbox2d_tight![0]).toBe(0);
    expect(label!.bbox2d_loose[0]).toBe(0);
    expect(Math.abs(label!.bbox2d_loose[2] - 160)).toBeLessThanOrEqual(1); // radius 400·1/2.5 px
  });

  it('labels a composite object from its parts, overlaps counted once', () => {
    // An Xform at (0, 0, -3) labelled as one object, two overlapping spheres as its child meshes.
    const xform = new Matrix4().makeTranslation(0, 0, -3);
    const child = (x: number): MeshPart => ({ ...ball, worldMatrix: xform.clone().multiply(new Matrix4().makeTranslation(x, 0, 0)) });
    const robot: ObjectToLabel = {
      path: '/World/Robot',
      label: 'robot',
      classId: 3,
      instanceId: 4,
      worldMatrix: xform,
      localBox: new Box3(new Vector3(-1.6, -1, -1), new Vector3(1.6, 1, 1)),
      parts: [child(-0.6), child(0.6)],
    };
    const instance = render([robot]);
    const [label] = labelObjects({ camera, objects: [robot], instance, width, height });
    expect(label!.visible_fraction).toBe(1);
    const single = new FootprintRasterizer().measure(camera, [child(-0.6)]).inFramePixels;
    expect(label!.visible_pixels).toBeGreaterThan(single);
    expect(label!.visible_pixels).toBeLessThan(2 * single);
    // The loose box spans both spheres: the outer corners of the local box's front face.
    const right = projectPoint(camera, new Vector3(1.6, 0, -2));
    expect(Math.abs(label!.bbox2d_loose[2] - (right.u - 0.5))).toBeLessThanOrEqual(1);
  });

  it('refuses a buffer of another size and ambiguous instance ids', () => {
    const a = sphereObject(1, ahead);
    expect(() => labelObjects({ camera, objects: [a], instance: new Uint32Array(4), width: 2, height: 2 })).toThrow(/2×2/);
    expect(() => labelObjects({ camera, objects: [a, { ...a, path: '/Other' }], instance: new Uint32Array(width * height), width, height })).toThrow(/share/);
  });
});

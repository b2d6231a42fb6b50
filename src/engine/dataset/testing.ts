/**
 * Test support: LabelledFrames built by hand — small images with axis-aligned rectangles painted
 * into the instance buffer in list order (later rectangles in front), and every label computed
 * from what was painted, so tests can check the writers against numbers they can work out.
 *
 * The camera sits at world (0, 1, 5) looking down world −Z, Y up (OpenCV axes: x = world +X,
 * y = world −Y, z = world −Z), with focal length f pixels and the principal point at the image
 * centre. An object at depth d whose rectangle covers columns x0…x1 gets a 3D box centred on the
 * back-projection of the rectangle's centre, (x1 − x0 + 1)·d/f wide, (y1 − y0 + 1)·d/f high.
 */
import type { DatasetClass, DatasetInfo, LabelledFrame, Mat3, Mat4, ObjectLabel, Sink, Writer } from './types.ts';

export interface PaintedObject {
  path: string;
  label: string;
  /** Inclusive pixel rectangle [x0, y0, x1, y1]; may reach outside the image. */
  rect: [number, number, number, number];
  /** Camera-frame depth, metres (default: 5 − index · 0.5, so later objects are nearer). */
  depth?: number;
  /** Box depth along its own z, metres (default 0.4). */
  length?: number;
  /** The box's orientation in the camera frame (default identity). */
  rotation?: [number, number, number, number];
}

export interface SyntheticFrameOptions {
  frame?: number;
  cameraIndex?: number;
  cameraPath?: string;
  width?: number;
  height?: number;
  /** Focal length in pixels (default: width). */
  focal?: number;
  objects: PaintedObject[];
  /** Class table (default: classesOf the objects' labels). */
  classes?: DatasetClass[];
  randomized?: Record<string, unknown>;
}

/** Classes 1…n from sorted distinct label names, as the pipeline assigns them. */
export function classesOf(labels: readonly string[]): DatasetClass[] {
  return [...new Set(labels)].sort().map((name, i) => ({ id: i + 1, name }));
}

export function syntheticInfo(labels: readonly string[], options: { cameras?: string[]; width?: number; height?: number; frames?: number } = {}): DatasetInfo {
  return {
    classes: classesOf(labels),
    cameras: options.cameras ?? ['/World/Camera'],
    width: options.width ?? 16,
    height: options.height ?? 12,
    frames: options.frames ?? 1,
  };
}

/** The synthetic camera's world → camera (OpenCV) transform. */
export const SYNTHETIC_WORLD_TO_CAMERA: Mat4 = [
  [1, 0, 0, 0],
  [0, -1, 0, 1],
  [0, 0, -1, 5],
  [0, 0, 0, 1],
];

function flipYZ(m: Mat4): Mat4 {
  return [m[0], m[1].map((v) => -v), m[2].map((v) => -v), m[3]] as Mat4;
}

/** Rotates a vector by a quaternion [x, y, z, w]. */
function rotate(q: readonly number[], v: readonly number[]): [number, number, number] {
  const [x, y, z, w] = q as [number, number, number, number];
  const [vx, vy, vz] = v as [number, number, number];
  // t = 2 q×v; v' = v + w t + q×t
  const tx = 2 * (y * vz - z * vy);
  const ty = 2 * (z * vx - x * vz);
  const tz = 2 * (x * vy - y * vx);
  return [vx + w * tx + (y * tz - z * ty), vy + w * ty + (z * tx - x * tz), vz + w * tz + (x * ty - y * tx)];
}

export function syntheticFrame(options: SyntheticFrameOptions): LabelledFrame {
  const width = options.width ?? 16;
  const height = options.height ?? 12;
  const f = options.focal ?? width;
  const cx = width / 2;
  const cy = height / 2;
  const classes = options.classes ?? classesOf(options.objects.map((o) => o.label));
  const classId = new Map(classes.map((c) => [c.name, c.id]));
  const n = width * height;
  const instance = new Uint32Array(n);
  const semantic = new Uint32Array(n);
  const depth = new Float32Array(n).fill(Infinity);
  const normals = new Float32Array(n * 3);
  const rgb = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgb[i * 4] = (i * 7) % 256;
    rgb[i * 4 + 1] = 40;
    rgb[i * 4 + 2] = 200 - (i % 50);
    rgb[i * 4 + 3] = 255;
  }
  const depths = options.objects.map((o, i) => o.depth ?? 5 - i * 0.5);
  options.objects.forEach((o, index) => {
    const id = index + 1;
    const cls = classId.get(o.label);
    if (cls === undefined) throw new Error(`syntheticFrame: label ${o.label} is not in the class table`);
    const [x0, y0, x1, y1] = o.rect;
    for (let y = Math.max(0, y0); y <= Math.min(height - 1, y1); y++) {
      for (let x = Math.max(0, x0); x <= Math.min(width - 1, x1); x++) {
        const i = y * width + x;
        instance[i] = id;
        semantic[i] = cls;
        depth[i] = depths[index]!;
        normals.set([0, 0, -1], i * 3);
        rgb.set([(id * 60) % 256, (id * 100) % 256, (id * 30) % 256, 255], i * 4);
      }
    }
  });

  const worldToCamera = SYNTHETIC_WORLD_TO_CAMERA;
  const cameraToWorldRotation = [1, 0, 0, 0]; // 180° about x: camera axes → world axes
  const objects: ObjectLabel[] = options.objects.map((o, index) => {
    const id = index + 1;
    const [x0, y0, x1, y1] = o.rect;
    let visible = 0;
    let box: [number, number, number, number] | null = null;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (instance[y * width + x] !== id) continue;
        visible++;
        box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)] : [x, y, x, y];
      }
    }
    const cx0 = Math.max(0, x0);
    const cy0 = Math.max(0, y0);
    const cx1 = Math.min(width - 1, x1);
    const cy1 = Math.min(height - 1, y1);
    const unoccluded = (x1 - x0 + 1) * (y1 - y0 + 1);
    const inFrame = Math.max(0, cx1 - cx0 + 1) * Math.max(0, cy1 - cy0 + 1);
    const d = depths[index]!;
    const center: [number, number, number] = [(((x0 + x1 + 1) / 2 - cx) * d) / f, (((y0 + y1 + 1) / 2 - cy) * d) / f, d];
    const rotation = o.rotation ?? [0, 0, 0, 1];
    // world = R_c2w · (p − t) with t the camera's world → camera translation
    const worldPosition = rotate(cameraToWorldRotation, [center[0] - worldToCamera[0][3], center[1] - worldToCamera[1][3], center[2] - worldToCamera[2][3]]);
    const worldOrientation = multiplyQuaternions(cameraToWorldRotation, rotation);
    return {
      path: o.path,
      label: o.label,
      classId: classId.get(o.label)!,
      instanceId: id,
      bbox2d_tight: box,
      bbox2d_loose: [cx0, cy0, cx1, cy1],
      visible_fraction: visible / unoccluded,
      visible_pixels: visible,
      unoccluded_pixels: unoccluded,
      in_frame_pixels: inFrame,
      bbox3d: { center, size: [((x1 - x0 + 1) * d) / f, ((y1 - y0 + 1) * d) / f, o.length ?? 0.4], rotation },
      pose_world: { position: worldPosition, orientation: worldOrientation },
      pose_camera: { position: center, orientation: rotation },
    };
  });

  const K: Mat3 = [
    [f, 0, cx],
    [0, f, cy],
    [0, 0, 1],
  ];
  const near = 0.05;
  const far = 100;
  const fovY = 2 * Math.atan(height / 2 / f);
  const horizontalAperture = 20.955;
  const t = 1 / Math.tan(fovY / 2);
  const aspect = width / height;
  return {
    frame: options.frame ?? 0,
    cameraIndex: options.cameraIndex ?? 0,
    camera: {
      path: options.cameraPath ?? '/World/Camera',
      width,
      height,
      K,
      world_to_camera: worldToCamera,
      fovY,
      near,
      far,
      focalLength: (f * horizontalAperture) / width,
      horizontalAperture,
      verticalAperture: (horizontalAperture * height) / width,
      view_gl: flipYZ(worldToCamera),
      projection_gl: [
        [t / aspect, 0, 0, 0],
        [0, t, 0, 0],
        [0, 0, -(far + near) / (far - near), (-2 * far * near) / (far - near)],
        [0, 0, -1, 0],
      ],
    },
    objects,
    randomized: options.randomized ?? { '/World/Light.intensity': 1000 + (options.frame ?? 0), '/World/Cube.color': [0.25, 0.5, 1 / 3] },
    buffers: { rgb, depth, normals, instance, semantic },
  };
}

function multiplyQuaternions(a: readonly number[], b: readonly number[]): [number, number, number, number] {
  const [ax, ay, az, aw] = a as [number, number, number, number];
  const [bx, by, bz, bw] = b as [number, number, number, number];
  return [aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz];
}

/** A standard three-object frame on a 16×12 image: a cube partly hidden behind a sphere, and a cube cut by the right border. */
export function threeObjectFrame(frame = 0, cameraIndex = 0): LabelledFrame {
  return syntheticFrame({
    frame,
    cameraIndex,
    objects: [
      { path: '/World/CubeA', label: 'cube', rect: [1, 1, 6, 5] },
      { path: '/World/Ball', label: 'sphere', rect: [4, 3, 8, 9] },
      { path: '/World/CubeB', label: 'cube', rect: [12, 6, 18, 10] },
    ],
  });
}

export const THREE_OBJECT_LABELS = ['cube', 'sphere'];

/** Records of one writer as finalize receives them, from an in-memory list. */
export async function* recordsOf(records: readonly { frame: number; cameraIndex: number; record: unknown }[]): AsyncGenerator<{ frame: number; cameraIndex: number; record: unknown }> {
  for (const r of records) yield r;
}

/**
 * A whole export in memory, the way the pipeline does it: encode every frame (in the order given,
 * which should be frame then camera order), write its files, keep each writer's records (through
 * JSON, as the pipeline stores them), then finalize every writer over its records.
 */
export async function exportFrames(writers: readonly Writer[], info: DatasetInfo, frames: readonly LabelledFrame[], sink: Sink): Promise<void> {
  const records = new Map<string, { frame: number; cameraIndex: number; record: unknown }[]>(writers.map((w) => [w.name, []]));
  for (const frame of frames) {
    for (const writer of writers) {
      const out = await writer.encodeFrame(info, frame);
      for (const file of out.files) await sink.write(file.path, file.bytes);
      // Records are stored as JSON between encoding and finalize (jobs/finalize.ts): round-trip them.
      const record: unknown = out.record === undefined ? undefined : JSON.parse(JSON.stringify(out.record));
      records.get(writer.name)!.push({ frame: frame.frame, cameraIndex: frame.cameraIndex, record });
    }
  }
  for (const writer of writers) await writer.finalize(info, recordsOf(records.get(writer.name)!), sink);
}

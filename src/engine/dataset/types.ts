/**
 * The contract between the frame pipeline (physics → render → labels) and the dataset writers.
 * One `LabelledFrame` is one frame seen by one camera. Everything here is plain data that can be
 * posted between threads; the pixel buffers are transferable.
 *
 * Conventions:
 * - Pixels: row 0 is the top row of the image, column 0 the left column; a pixel's centre is at
 *   (col + 0.5, row + 0.5). Boxes are inclusive pixel indices [x_min, y_min, x_max, y_max].
 * - Camera frame ("camera"): OpenCV — x right, y down, z forward (into the scene), metres, so
 *   that [u, v, 1]ᵀ ∝ K · p_camera with u, v in pixels (centre of pixel (0,0) at (0.5, 0.5)).
 * - World frame: the scene document's (Y-up, metres).
 * - Quaternions [x, y, z, w].
 */

export type Mat3 = [[number, number, number], [number, number, number], [number, number, number]];
export type Mat4 = [
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
];

export interface Pose {
  position: [number, number, number];
  orientation: [number, number, number, number];
}

export interface CameraInfo {
  /** Prim path of the scene camera (or the spec's synthetic camera path). */
  path: string;
  width: number;
  height: number;
  /** Pinhole intrinsics in pixels, OpenCV convention. */
  K: Mat3;
  /** World → camera (OpenCV camera frame), row-major 4×4. */
  world_to_camera: Mat4;
  /** Vertical field of view, radians. */
  fovY: number;
  near: number;
  far: number;
  /** USD-style lens values (mm), for Replicator's camera_params. */
  focalLength: number;
  horizontalAperture: number;
  verticalAperture: number;
  /**
   * USD/OpenGL convention (camera looks down -Z, Y up) world → camera, row-major 4×4
   * (Replicator's `cameraViewTransform` is this matrix transposed, row-vector style).
   */
  view_gl: Mat4;
  /** OpenGL projection matrix (row-major 4×4) actually used to render. */
  projection_gl: Mat4;
}

export interface Box3D {
  /** Centre of the object's local bounding box, in the camera frame (metres). */
  center: [number, number, number];
  /** Full extents along the box's own axes (metres, scale applied). */
  size: [number, number, number];
  /** Box axes → camera frame. */
  rotation: [number, number, number, number];
}

export interface ObjectLabel {
  /** Prim path of the labelled prim (the instance's identity). */
  path: string;
  /** Class label (the `class` taxonomy of the scene's semantics). */
  label: string;
  /** 1-based id into `DatasetInfo.classes`. */
  classId: number;
  /** Value of this object's pixels in `FrameBuffers.instance` (1-based, 0 = background). */
  instanceId: number;
  /** Visible pixels, inclusive; null when no pixel is visible. */
  bbox2d_tight: [number, number, number, number] | null;
  /** Full projected extent of the 3D box, clipped to the image, inclusive pixels. */
  bbox2d_loose: [number, number, number, number];
  /** Visible pixels / pixels the object would cover alone on an unbounded image plane. */
  visible_fraction: number;
  /** Pixels of this object in the instance buffer. */
  visible_pixels: number;
  /** Pixels it would cover with nothing in front of it and no image border. */
  unoccluded_pixels: number;
  /** Pixels it would cover with nothing in front of it, inside the image. */
  in_frame_pixels: number;
  bbox3d: Box3D;
  pose_world: Pose;
  pose_camera: Pose;
}

export interface FrameBuffers {
  /** RGBA8, width × height × 4, top row first, sRGB-encoded colour, alpha 255. */
  rgb: Uint8Array;
  /** Distance to the image plane (camera-frame z), metres, float32; Infinity where nothing is hit. */
  depth: Float32Array;
  /** Surface normals in the camera frame (OpenCV axes), xyz per pixel; 0,0,0 on background. */
  normals: Float32Array;
  /** Instance ids (ObjectLabel.instanceId); 0 background or unlabelled geometry. */
  instance: Uint32Array;
  /** Class ids (DatasetInfo.classes ids); 0 background / unlabelled. */
  semantic: Uint32Array;
}

export interface LabelledFrame {
  /** Global frame index (shard-independent). */
  frame: number;
  /** Index into DatasetInfo.cameras. */
  cameraIndex: number;
  camera: CameraInfo;
  /** Labelled objects at least partly in view, ordered by instanceId. */
  objects: ObjectLabel[];
  /** Parameter path → drawn value, for this frame. */
  randomized: Record<string, unknown>;
  buffers: FrameBuffers;
}

export interface DatasetClass {
  /** 1-based, stable for the whole dataset (sorted label names). */
  id: number;
  name: string;
}

export interface DatasetInfo {
  /** Every class that can appear (scene labels + distractor labels), ids 1..n. */
  classes: DatasetClass[];
  /** Camera prim paths, in index order. Several cameras → per-camera sub-folders where a format needs them. */
  cameras: string[];
  width: number;
  height: number;
  /** Total frames of the whole (unsharded) dataset. */
  frames: number;
}

/** One file produced for one frame, relative to the dataset root (forward slashes). */
export interface OutputFile {
  path: string;
  bytes: Uint8Array;
}

/**
 * A dataset format. `encodeFrame` is a pure function of its inputs (same frame → same bytes), so
 * frames can be encoded on any worker in any order; `finalize` builds the aggregate files (COCO's
 * annotations.json, YOLO's data.yaml, …) from the per-frame records in frame order, streaming.
 */
export interface Writer {
  readonly name: string;
  encodeFrame(info: DatasetInfo, frame: LabelledFrame): Promise<{ files: OutputFile[]; record?: unknown }>;
  finalize(info: DatasetInfo, records: AsyncIterable<{ frame: number; cameraIndex: number; record: unknown }>, sink: Sink): Promise<void>;
}

export interface WriteFilesOptions {
  /**
   * A file that says the batch is complete (a frame's record): written last, once every file of
   * the batch is written, and not at all when one of them failed. Sent with the batch, so a frame
   * costs one round trip to a remote sink, not two.
   */
  commit?: OutputFile;
}

/** Where a dataset goes: Node's file system, a browser directory handle, OPFS, a zip, or HTTP to the CLI. */
export interface Sink {
  /** Writes (replacing) a whole file, creating folders. Must be atomic per file where the medium allows. */
  write(path: string, bytes: Uint8Array): Promise<void>;
  /**
   * Several whole files, each as `write` would (no order, no all-or-nothing): for sinks where one
   * call is much cheaper than many (HTTP: one request per frame, not one per file). Callers use
   * writeFiles() in sinks/writeFiles.ts, which falls back to `write` per file. `commit` is
   * written after the others and only when every one of them was (see WriteFilesOptions).
   */
  writeFiles?(files: readonly OutputFile[], options?: WriteFilesOptions): Promise<void>;
  /** A streamed file: chunks appended in order, visible under `path` only after close(). */
  create(path: string): Promise<{ write(chunk: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  /** Whole file, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /**
   * Several whole files, in the order asked, each null where it does not exist: for sinks where one
   * call is much cheaper than many (HTTP: one request for a batch of frame records when finalizing).
   * Callers use readFiles() in sinks/readFiles.ts, which falls back to `read` per file.
   */
  readFiles?(paths: readonly string[]): Promise<(Uint8Array | null)[]>;
  /**
   * True for a medium that writes one streamed file after another (a streamed zip: a second open
   * stream is held in memory until the first closes), so finalize builds its files one at a time.
   */
  readonly oneStreamAtATime?: boolean;
  /** File names directly in `dir` ("" for the root); [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  remove(path: string): Promise<void>;
}

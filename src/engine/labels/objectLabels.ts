/**
 * A frame's object labels from what the renderer drew: the instance-id buffer gives each object's
 * visible pixels and tight box; the object's own geometry and pose give everything else (loose box,
 * unoccluded footprint, 3D box, poses). The one entry point of this folder for the render worker.
 */
import type { Box3, Matrix4 } from 'three';
import type { CameraInfo, ObjectLabel } from '../dataset/types.ts';
import { looseBox, scanInstances, tightBox, unionBox } from './boxes.ts';
import { sharedRasterizer, type FootprintRasterizer, type MeshPart } from './footprint.ts';
import { box3d, poseInCamera, worldPose } from './pose.ts';
import { visibleFraction } from './visibility.ts';

export interface ObjectToLabel {
  /** Prim path of the labelled prim. */
  path: string;
  label: string;
  classId: number;
  /** Its value in the instance buffer (≥ 1, unique in the frame). */
  instanceId: number;
  /** World matrix of the labelled prim: its pose, and the frame of `localBox` and `triangles`. */
  worldMatrix: Matrix4;
  /** Bounding box of everything labelled by this prim, in the labelled prim's own frame. */
  localBox: Box3;
  /** The prim's own triangles, in its own frame (placed by `worldMatrix`). */
  triangles?: Pick<MeshPart, 'positions' | 'index'>;
  /**
   * A composite object (a labelled Xform over several meshes): each child mesh with its own world
   * matrix. Counted as one object (overlaps once); given together with `triangles`, both count.
   */
  parts?: readonly MeshPart[];
}

export interface LabelObjectsInput {
  camera: CameraInfo;
  objects: readonly ObjectToLabel[];
  /** Instance ids per pixel, width × height, row 0 on top, 0 = background. */
  instance: Uint32Array;
  width: number;
  height: number;
  /**
   * Sub-pixel precision of the GPU that drew `instance` (`subPixelBitsFor(renderer string)`): 4 for
   * SwiftShader (headless Chromium), 8 (the default) for hardware GPUs.
   */
  subPixelBits?: number;
  /** Rasteriser to measure footprints with (its own precision); by default one per precision, kept for the next frame. */
  rasterizer?: FootprintRasterizer;
}

/**
 * Labels of the objects with at least one visible pixel, ordered by instanceId. The loose box is
 * the projected 3D box joined with the tight box, so that it always holds every visible pixel
 * (even where the GPU's edge rounding or a too-small local box would leave one out). Counts are as
 * measured; `visible_fraction` is clamped to [0, 1].
 */
export function labelObjects(input: LabelObjectsInput): ObjectLabel[] {
  const { camera, instance, width, height } = input;
  if (width !== camera.width || height !== camera.height) {
    throw new RangeError(`instance buffer is ${width}×${height} but camera ${camera.path} renders ${camera.width}×${camera.height}`);
  }
  const objects = [...input.objects].sort((a, b) => a.instanceId - b.instanceId);
  objects.forEach((o, i) => {
    if (!(Number.isInteger(o.instanceId) && o.instanceId >= 1)) throw new RangeError(`${o.path}: instanceId must be an integer ≥ 1, got ${o.instanceId}`);
    if (i > 0 && objects[i - 1]!.instanceId === o.instanceId) throw new RangeError(`${o.path} and ${objects[i - 1]!.path} share instanceId ${o.instanceId}`);
  });
  const scan = scanInstances(instance, width, height, objects.at(-1)?.instanceId ?? 0);
  const rasterizer = input.rasterizer ?? sharedRasterizer(input.subPixelBits);

  const labels: ObjectLabel[] = [];
  for (const object of objects) {
    const visible = scan.pixels[object.instanceId]!;
    if (visible === 0) continue;
    const tight = tightBox(scan, object.instanceId);
    const parts: MeshPart[] = [...(object.triangles ? [{ ...object.triangles, worldMatrix: object.worldMatrix }] : []), ...(object.parts ?? [])];
    const footprint = rasterizer.measure(camera, parts);
    labels.push({
      path: object.path,
      label: object.label,
      classId: object.classId,
      instanceId: object.instanceId,
      bbox2d_tight: tight,
      bbox2d_loose: unionBox(looseBox(camera, object.localBox, object.worldMatrix), tight)!,
      visible_fraction: visibleFraction(visible, footprint.unoccludedPixels),
      visible_pixels: visible,
      unoccluded_pixels: footprint.unoccludedPixels,
      in_frame_pixels: footprint.inFramePixels,
      bbox3d: box3d(camera, object.localBox, object.worldMatrix),
      pose_world: worldPose(object.worldMatrix),
      pose_camera: poseInCamera(camera, object.worldMatrix),
    });
  }
  return labels;
}

/**
 * Isaac Sim Replicator's BasicWriter layout (omni.replicator.core BasicWriter, frame_padding 4),
 * so scripts written for Replicator output read Simloop output unchanged.
 *
 *   <out>/basic/{camera/}rgb_{frame:04d}.png                          RGB8 (Replicator: RGBA)
 *   <out>/basic/{camera/}distance_to_image_plane_{frame:04d}.npy      float32 (H, W), metres, inf = no hit
 *   <out>/basic/{camera/}normals_{frame:04d}.png                      RGBA8, colourised camera-frame normals
 *   <out>/basic/{camera/}semantic_segmentation_{frame:04d}.png        RGBA8, colour per class
 *   <out>/basic/{camera/}semantic_segmentation_labels_{frame:04d}.json        "(R, G, B, A)" → {"class"}
 *   <out>/basic/{camera/}instance_segmentation_{frame:04d}.png        RGBA8, colour per instance
 *   <out>/basic/{camera/}instance_segmentation_mapping_{frame:04d}.json       "(R, G, B, A)" → prim path
 *   <out>/basic/{camera/}instance_segmentation_semantics_mapping_{frame:04d}.json  "(R, G, B, A)" → {"class"}
 *   <out>/basic/{camera/}bounding_box_2d_tight_{frame:04d}.npy        + _labels_ / _prim_paths_ .json
 *   <out>/basic/{camera/}bounding_box_2d_loose_{frame:04d}.npy        + _labels_ / _prim_paths_ .json
 *   <out>/basic/{camera/}bounding_box_3d_{frame:04d}.npy              + _labels_ / _prim_paths_ .json
 *   <out>/basic/{camera/}camera_params_{frame:04d}.json
 *
 * With several cameras each gets its own folder, as Replicator does for several render products.
 * Box arrays are structured numpy arrays, one row per object in instance-id order:
 *   2D: semanticId <u4, x_min y_min x_max y_max <i4 (inclusive pixels), occlusionRatio <f4
 *   3D: semanticId <u4, x_min y_min z_min x_max y_max z_max <f4 (the box in its own frame, ±size/2),
 *       transform <f4 (4, 4) (box frame → world, row-vector convention: translation in the last
 *       row), occlusionRatio <f4
 * semanticId is the class id (DatasetInfo.classes); occlusionRatio = 1 − visible_fraction. Tight
 * boxes only for objects with visible pixels, loose and 3D boxes for every object in the frame.
 * Colours are labelColour(id): background (0, 0, 0, 0), ids never share a colour. No file is
 * aggregated, so finalize writes nothing.
 */
import { boxToWorld, rowVectorFlat } from './geometry.ts';
import { jsonBytes } from './json.ts';
import { encodeNpy, encodeStructuredNpy, type NpyField, type NpyRow } from './npy.ts';
import { cameraFolder, expandPath } from './pathTemplate.ts';
import { colourKey, encodeLabelPng, encodeNormalsPng, labelColour, rgbPngOf } from './png.ts';
import type { DatasetInfo, LabelledFrame, ObjectLabel, OutputFile, Writer } from './types.ts';

const DIR = 'basic/{camera/}';
export const BASIC_PATHS = {
  rgb: `${DIR}rgb_{frame:04d}.png`,
  distanceToImagePlane: `${DIR}distance_to_image_plane_{frame:04d}.npy`,
  normals: `${DIR}normals_{frame:04d}.png`,
  semanticSegmentation: `${DIR}semantic_segmentation_{frame:04d}.png`,
  semanticSegmentationLabels: `${DIR}semantic_segmentation_labels_{frame:04d}.json`,
  instanceSegmentation: `${DIR}instance_segmentation_{frame:04d}.png`,
  instanceSegmentationMapping: `${DIR}instance_segmentation_mapping_{frame:04d}.json`,
  instanceSegmentationSemanticsMapping: `${DIR}instance_segmentation_semantics_mapping_{frame:04d}.json`,
  boundingBox2dTight: `${DIR}bounding_box_2d_tight_{frame:04d}.npy`,
  boundingBox2dTightLabels: `${DIR}bounding_box_2d_tight_labels_{frame:04d}.json`,
  boundingBox2dTightPrimPaths: `${DIR}bounding_box_2d_tight_prim_paths_{frame:04d}.json`,
  boundingBox2dLoose: `${DIR}bounding_box_2d_loose_{frame:04d}.npy`,
  boundingBox2dLooseLabels: `${DIR}bounding_box_2d_loose_labels_{frame:04d}.json`,
  boundingBox2dLoosePrimPaths: `${DIR}bounding_box_2d_loose_prim_paths_{frame:04d}.json`,
  boundingBox3d: `${DIR}bounding_box_3d_{frame:04d}.npy`,
  boundingBox3dLabels: `${DIR}bounding_box_3d_labels_{frame:04d}.json`,
  boundingBox3dPrimPaths: `${DIR}bounding_box_3d_prim_paths_{frame:04d}.json`,
  cameraParams: `${DIR}camera_params_{frame:04d}.json`,
} as const;

export const BBOX_2D_FIELDS: readonly NpyField[] = [
  { name: 'semanticId', descr: '<u4' },
  { name: 'x_min', descr: '<i4' },
  { name: 'y_min', descr: '<i4' },
  { name: 'x_max', descr: '<i4' },
  { name: 'y_max', descr: '<i4' },
  { name: 'occlusionRatio', descr: '<f4' },
];

export const BBOX_3D_FIELDS: readonly NpyField[] = [
  { name: 'semanticId', descr: '<u4' },
  { name: 'x_min', descr: '<f4' },
  { name: 'y_min', descr: '<f4' },
  { name: 'z_min', descr: '<f4' },
  { name: 'x_max', descr: '<f4' },
  { name: 'y_max', descr: '<f4' },
  { name: 'z_max', descr: '<f4' },
  { name: 'transform', descr: '<f4', shape: [4, 4] },
  { name: 'occlusionRatio', descr: '<f4' },
];

export const BACKGROUND_LABEL = 'BACKGROUND';

/** Ids present in a label buffer, ascending. */
function presentIds(buffer: ArrayLike<number>): number[] {
  const ids = new Set<number>();
  let last = -1;
  for (let i = 0; i < buffer.length; i++) {
    const v = buffer[i]!;
    if (v !== last) {
      ids.add(v);
      last = v;
    }
  }
  return [...ids].sort((a, b) => a - b);
}

/** Replicator's camera_params annotator, for one frame and camera. */
export function cameraParams(frame: LabelledFrame) {
  const c = frame.camera;
  return {
    cameraAperture: [c.horizontalAperture, c.verticalAperture],
    cameraApertureOffset: [0, 0],
    cameraFocalLength: c.focalLength,
    cameraFocusDistance: 0,
    cameraFStop: 0,
    cameraModel: 'pinhole',
    cameraNearFar: [c.near, c.far],
    cameraProjection: rowVectorFlat(c.projection_gl),
    cameraViewTransform: rowVectorFlat(c.view_gl),
    metersPerSceneUnit: 1,
    renderProductResolution: [c.width, c.height],
  };
}

export class BasicWriter implements Writer {
  readonly name = 'basic';

  async encodeFrame(info: DatasetInfo, frame: LabelledFrame): Promise<{ files: OutputFile[] }> {
    const { width, height } = frame.camera;
    const { buffers } = frame;
    const camera = cameraFolder(info, frame.cameraIndex);
    const path = (template: string) => expandPath(template, { frame: frame.frame, camera });
    const className = new Map(info.classes.map((c) => [c.id, c.name]));
    const nameOf = (classId: number) => {
      const name = className.get(classId);
      if (name === undefined) throw new Error(`basic: frame ${frame.frame}: class id ${classId} is not one of the dataset's classes`);
      return name;
    };
    const files: OutputFile[] = [];
    const add = (template: string, bytes: Uint8Array) => files.push({ path: path(template), bytes });

    add(BASIC_PATHS.rgb, await rgbPngOf(frame));
    add(BASIC_PATHS.distanceToImagePlane, encodeNpy({ descr: '<f4', shape: [height, width], data: buffers.depth }));
    add(BASIC_PATHS.normals, await encodeNormalsPng(width, height, buffers.normals));

    // Semantic segmentation: colour per class id present.
    const semanticLabels: Record<string, { class: string }> = {};
    for (const id of presentIds(buffers.semantic)) semanticLabels[colourKey(labelColour(id))] = { class: id === 0 ? BACKGROUND_LABEL : nameOf(id) };
    add(BASIC_PATHS.semanticSegmentation, await encodeLabelPng(width, height, buffers.semantic));
    add(BASIC_PATHS.semanticSegmentationLabels, jsonBytes(semanticLabels));

    // Instance segmentation: colour per instance id present.
    const byInstance = new Map(frame.objects.map((o) => [o.instanceId, o]));
    const instanceMapping: Record<string, string> = {};
    const instanceSemantics: Record<string, { class: string }> = {};
    for (const id of presentIds(buffers.instance)) {
      const key = colourKey(labelColour(id));
      if (id === 0) {
        instanceMapping[key] = BACKGROUND_LABEL;
        instanceSemantics[key] = { class: BACKGROUND_LABEL };
        continue;
      }
      const object = byInstance.get(id);
      if (!object) throw new Error(`basic: frame ${frame.frame}: instance id ${id} is in the instance buffer but no object has it`);
      instanceMapping[key] = object.path;
      instanceSemantics[key] = { class: object.label };
    }
    add(BASIC_PATHS.instanceSegmentation, await encodeLabelPng(width, height, buffers.instance));
    add(BASIC_PATHS.instanceSegmentationMapping, jsonBytes(instanceMapping));
    add(BASIC_PATHS.instanceSegmentationSemanticsMapping, jsonBytes(instanceSemantics));

    // Boxes.
    const labelsOf = (objects: readonly ObjectLabel[]) => Object.fromEntries(objects.map((o) => [String(o.classId), { class: nameOf(o.classId) }]));
    const row2d = (o: ObjectLabel, box: readonly number[]): NpyRow => ({
      semanticId: o.classId,
      x_min: box[0]!,
      y_min: box[1]!,
      x_max: box[2]!,
      y_max: box[3]!,
      occlusionRatio: 1 - o.visible_fraction,
    });
    const tight = frame.objects.filter((o) => o.bbox2d_tight !== null);
    add(BASIC_PATHS.boundingBox2dTight, encodeStructuredNpy(BBOX_2D_FIELDS, tight.map((o) => row2d(o, o.bbox2d_tight!))));
    add(BASIC_PATHS.boundingBox2dTightLabels, jsonBytes(labelsOf(tight)));
    add(BASIC_PATHS.boundingBox2dTightPrimPaths, jsonBytes(tight.map((o) => o.path)));

    const all = frame.objects;
    add(BASIC_PATHS.boundingBox2dLoose, encodeStructuredNpy(BBOX_2D_FIELDS, all.map((o) => row2d(o, o.bbox2d_loose))));
    add(BASIC_PATHS.boundingBox2dLooseLabels, jsonBytes(labelsOf(all)));
    add(BASIC_PATHS.boundingBox2dLoosePrimPaths, jsonBytes(all.map((o) => o.path)));

    const rows3d = all.map((o): NpyRow => {
      const [sx, sy, sz] = o.bbox3d.size;
      return {
        semanticId: o.classId,
        x_min: -sx / 2,
        y_min: -sy / 2,
        z_min: -sz / 2,
        x_max: sx / 2,
        y_max: sy / 2,
        z_max: sz / 2,
        transform: rowVectorFlat(boxToWorld(o.bbox3d, frame.camera.world_to_camera)),
        occlusionRatio: 1 - o.visible_fraction,
      };
    });
    add(BASIC_PATHS.boundingBox3d, encodeStructuredNpy(BBOX_3D_FIELDS, rows3d));
    add(BASIC_PATHS.boundingBox3dLabels, jsonBytes(labelsOf(all)));
    add(BASIC_PATHS.boundingBox3dPrimPaths, jsonBytes(all.map((o) => o.path)));

    add(BASIC_PATHS.cameraParams, jsonBytes(cameraParams(frame)));
    return { files };
  }

  async finalize(): Promise<void> {
    // Every file of this layout is per frame.
  }
}

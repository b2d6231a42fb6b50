/**
 * KITTI object detection layout (the 2D/3D object benchmark's devkit readme), as mmdetection3d,
 * OpenPCDet and the KITTI devkit read it.
 *
 *   <out>/kitti/{camera/}image_2/{frame:06d}.png    RGB8
 *   <out>/kitti/{camera/}label_2/{frame:06d}.txt    one line per visible object; empty when none
 *   <out>/kitti/{camera/}calib/{frame:06d}.txt      P0–P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo
 *
 * Label line, 15 space-separated fields:
 *   type           the class label, whitespace replaced by '_'
 *   truncated      1 − in_frame_pixels / unoccluded_pixels (share of the object outside the image)
 *   occluded       from r = visible_pixels / in_frame_pixels (occlusion only, not truncation):
 *                  0 when r ≥ 0.95, 1 when r ≥ 0.5, else 2 (KITTI: fully visible / partly
 *                  occluded / largely occluded; the thresholds are Replicator's KittiWriter's)
 *   alpha          observation angle, rotation_y − atan2(x, z), in (−π, π]
 *   bbox           left top right bottom: the tight box in continuous pixels (x_min, y_min,
 *                  x_max + 1, y_max + 1)
 *   dimensions     h w l, metres
 *   location       x y z, camera frame (x right, y down, z forward): the centre of the box's
 *                  bottom face, as KITTI defines it (box centre + h/2 along camera y)
 *   rotation_y     yaw about the camera y axis, in (−π, π]
 *
 * KITTI boxes only turn about the camera's y axis; ours turn freely. The box axis closest to the
 * camera's y axis is taken as height; of the other two, the first in the object's own axis order
 * (x before y before z) is the length, the other the width; rotation_y is the direction of the
 * length axis projected on the camera's x–z plane (KITTI's object x axis is (cos ry, 0, −sin ry)).
 * For upright objects seen by a level camera this is exact; otherwise it is the nearest yaw-only box
 * with the same centre and size.
 *
 * calib: P0 = P1 = P2 = P3 = K · [I | 0] (one camera; K as in the frame contract, where pixel (0, 0)
 * spans [0, 1]², the same frame as the boxes — KITTI's own images put integer coordinates at pixel
 * centres, half a pixel away), R0_rect = I, Tr_velo_to_cam = world → camera (there is no lidar:
 * "velo" is the world frame), Tr_imu_to_velo = [I | 0].
 */
import { quaternionToMatrix } from './geometry.ts';
import { formatNumber, textBytes } from './json.ts';
import { framePath } from './pathTemplate.ts';
import { rgbPngOf } from './png.ts';
import type { Box3D, DatasetInfo, LabelledFrame, ObjectLabel, OutputFile, Writer } from './types.ts';

export const KITTI_IMAGE_PATH = 'kitti/{camera/}image_2/{frame:06d}.png';
export const KITTI_LABEL_PATH = 'kitti/{camera/}label_2/{frame:06d}.txt';
export const KITTI_CALIB_PATH = 'kitti/{camera/}calib/{frame:06d}.txt';

/** Occlusion states by visible share of the in-image pixels. */
export const KITTI_FULLY_VISIBLE = 0.95;
export const KITTI_PARTLY_OCCLUDED = 0.5;

/** Angle wrapped into (−π, π]. */
function wrapAngle(a: number): number {
  let x = a;
  while (x > Math.PI) x -= 2 * Math.PI;
  while (x <= -Math.PI) x += 2 * Math.PI;
  return x;
}

export interface KittiBox {
  /** h, w, l */
  dimensions: [number, number, number];
  /** Bottom-face centre, camera frame. */
  location: [number, number, number];
  rotationY: number;
}

/** The yaw-only KITTI box nearest to a labelled 3D box (see the header for the rule). */
export function kittiBox(box: Box3D): KittiBox {
  const r = quaternionToMatrix(box.rotation);
  const axis = (i: number): [number, number, number] => [r[0][i]!, r[1][i]!, r[2][i]!];
  let vertical = 0;
  for (let i = 1; i < 3; i++) if (Math.abs(r[1][i]!) > Math.abs(r[1][vertical]!)) vertical = i;
  const [lengthAxis, widthAxis] = [0, 1, 2].filter((i) => i !== vertical) as [number, number];
  const h = box.size[vertical]!;
  const heading = axis(lengthAxis);
  return {
    dimensions: [h, box.size[widthAxis]!, box.size[lengthAxis]!],
    location: [box.center[0], box.center[1] + h / 2, box.center[2]],
    rotationY: wrapAngle(Math.atan2(-heading[2], heading[0])),
  };
}

export function kittiOccluded(object: ObjectLabel): 0 | 1 | 2 {
  const r = object.in_frame_pixels > 0 ? object.visible_pixels / object.in_frame_pixels : object.visible_fraction;
  return r >= KITTI_FULLY_VISIBLE ? 0 : r >= KITTI_PARTLY_OCCLUDED ? 1 : 2;
}

export function kittiTruncated(object: ObjectLabel): number {
  if (object.unoccluded_pixels <= 0) return 0;
  return Math.min(1, Math.max(0, 1 - object.in_frame_pixels / object.unoccluded_pixels));
}

/** The label_2 text of one frame and camera. */
export function kittiLabels(frame: LabelledFrame): string {
  const lines: string[] = [];
  for (const object of frame.objects) {
    if (!object.bbox2d_tight) continue;
    const [x0, y0, x1, y1] = object.bbox2d_tight;
    const { dimensions, location, rotationY } = kittiBox(object.bbox3d);
    const alpha = wrapAngle(rotationY - Math.atan2(location[0], location[2]));
    const fields = [
      object.label.replace(/\s+/g, '_') || 'DontCare',
      formatNumber(kittiTruncated(object)),
      String(kittiOccluded(object)),
      formatNumber(alpha),
      ...[x0, y0, x1 + 1, y1 + 1].map(formatNumber),
      ...dimensions.map(formatNumber),
      ...location.map(formatNumber),
      formatNumber(rotationY),
    ];
    lines.push(`${fields.join(' ')}\n`);
  }
  return lines.join('');
}

/** The calib text of one frame and camera. */
export function kittiCalib(frame: LabelledFrame): string {
  const { K, world_to_camera: m } = frame.camera;
  const p = [K[0][0], K[0][1], K[0][2], 0, K[1][0], K[1][1], K[1][2], 0, K[2][0], K[2][1], K[2][2], 0];
  const line = (name: string, values: readonly number[]) => `${name}: ${values.map(formatNumber).join(' ')}\n`;
  return [
    line('P0', p),
    line('P1', p),
    line('P2', p),
    line('P3', p),
    line('R0_rect', [1, 0, 0, 0, 1, 0, 0, 0, 1]),
    line('Tr_velo_to_cam', [...m[0], ...m[1], ...m[2]]),
    line('Tr_imu_to_velo', [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]),
  ].join('');
}

export class KittiWriter implements Writer {
  readonly name = 'kitti';

  async encodeFrame(info: DatasetInfo, frame: LabelledFrame): Promise<{ files: OutputFile[] }> {
    const path = (template: string) => framePath(template, info, frame.frame, frame.cameraIndex);
    return {
      files: [
        { path: path(KITTI_IMAGE_PATH), bytes: await rgbPngOf(frame) },
        { path: path(KITTI_LABEL_PATH), bytes: textBytes(kittiLabels(frame)) },
        { path: path(KITTI_CALIB_PATH), bytes: textBytes(kittiCalib(frame)) },
      ],
    };
  }

  async finalize(): Promise<void> {
    // Every file of this layout is per frame.
  }
}

/**
 * Path templates of the dataset formats. Each format module declares its on-disk paths as named
 * constants in this small Python-format-like syntax (LeRobot style), so a layout reads the same in
 * the code, in its header comment and in docs/DATASETS.md:
 *
 *   {frame:06d}   the global frame index, zero-padded to at least 6 digits (wider numbers widen,
 *                 as Python's format does)
 *   {frame}       unpadded
 *   {camera/}     "<camera>/" when the dataset has several cameras, nothing with one camera
 *
 * The camera folder is the last element of the camera prim path ("/World/Cams/Left" → "Left"),
 * with characters other than letters, digits, '_', '-' and '.' replaced by '_'. When two cameras
 * would get the same folder, each of them gets "_<camera index>" appended.
 */
import type { DatasetInfo } from './types.ts';

export interface PathValues {
  frame: number;
  /** Folder of the camera, "" when the dataset has one camera. */
  camera: string;
}

const PLACEHOLDER = /\{([a-z]+)(\/)?(?::0(\d+)d)?\}/g;

export function expandPath(template: string, values: PathValues): string {
  const path = template.replace(PLACEHOLDER, (whole, name: string, slash: string | undefined, width: string | undefined) => {
    if (name === 'frame' && !slash) return width ? String(values.frame).padStart(Number(width), '0') : String(values.frame);
    if (name === 'camera' && slash && !width) return values.camera ? `${values.camera}/` : '';
    throw new Error(`path template ${JSON.stringify(template)}: unknown placeholder ${whole}`);
  });
  if (path.includes('{') || path.includes('}')) throw new Error(`path template ${JSON.stringify(template)}: unbalanced braces`);
  return path;
}

/** The camera folders of a dataset, by camera index; all "" with a single camera. */
export function cameraFolders(info: DatasetInfo): string[] {
  if (info.cameras.length <= 1) return info.cameras.map(() => '');
  const names = info.cameras.map((path, i) => {
    const last = path.split('/').filter(Boolean).pop() ?? '';
    const clean = last.replace(/[^A-Za-z0-9_.-]/g, '_');
    return clean === '' || /^\.+$/.test(clean) ? `camera_${i}` : clean;
  });
  return names.map((name, i) => (names.indexOf(name) !== names.lastIndexOf(name) ? `${name}_${i}` : name));
}

/** Folder of one camera ("" with a single camera). */
export function cameraFolder(info: DatasetInfo, cameraIndex: number): string {
  if (info.cameras.length <= 1) return '';
  const folder = cameraFolders(info)[cameraIndex];
  if (folder === undefined) throw new Error(`camera index ${cameraIndex} is not one of the dataset's ${info.cameras.length} cameras`);
  return folder;
}

/** The template expanded for one frame and camera of a dataset. */
export function framePath(template: string, info: DatasetInfo, frame: number, cameraIndex: number): string {
  return expandPath(template, { frame, camera: cameraFolder(info, cameraIndex) });
}

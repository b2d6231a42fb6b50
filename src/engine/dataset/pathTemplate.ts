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

const PLACEHOLDER = /\{([a-z_]+)(\/)?(?::0(\d+)d)?\}/g;

/**
 * The one path-template filler of every output format (Replicator-style frame paths, LeRobot's
 * `chunk-{chunk_index:03d}/file-{file_index:03d}`, …), as Python's str.format fills them:
 * `{name}` the value, `{name:0Nd}` zero-padded to at least N digits, `{name/}` the value and a
 * slash, or nothing when the value is "". A placeholder without a value is an error.
 */
export function fillPath(template: string, values: Readonly<Record<string, string | number>>): string {
  const path = template.replace(PLACEHOLDER, (whole, name: string, slash: string | undefined, width: string | undefined) => {
    const value = values[name];
    if (value === undefined) throw new Error(`path template ${JSON.stringify(template)}: no value for ${whole}`);
    if (slash) {
      if (width) throw new Error(`path template ${JSON.stringify(template)}: ${whole} cannot be both a folder and padded`);
      return value === '' ? '' : `${value}/`;
    }
    return width ? String(value).padStart(Number(width), '0') : String(value);
  });
  if (path.includes('{') || path.includes('}')) throw new Error(`path template ${JSON.stringify(template)}: unbalanced braces`);
  return path;
}

/** A frame path of the dataset formats: `{frame…}` and `{camera/}` filled. */
export function expandPath(template: string, values: PathValues): string {
  return fillPath(template, { frame: values.frame, camera: values.camera });
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

/**
 * Finding a URDF's mesh files on disk, as ROS tools would: "file://" is an absolute path; a plain
 * path is relative to the URDF; "package://<pkg>/<path>" is looked for in each folder of
 * ROS_PACKAGE_PATH (as <dir>/<pkg>/<path>, or <dir>/<path> when <dir> is the package), then up the
 * URDF's folders (a folder named <pkg>, a <pkg> folder inside one, or a folder holding <path> — a
 * package checked out under another name). The first file that exists is read.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { isXmlDescription, loadSceneFile, type SceneLoadOptions } from '../engine/load.ts';
import type { VariantSelection } from '../engine/usd/compose.ts';
import type { MeshResolver } from '../engine/urdf/meshFiles.ts';

/**
 * How the CLI opens a scene file: a URDF's meshes as above, a USD layer's references as files
 * relative to its folder, with the `--variant` choices.
 */
export function sceneOptionsForFile(path: string, variants: readonly VariantSelection[] = []): SceneLoadOptions {
  const folder = dirname(resolve(path));
  return {
    ...(variants.length ? { variants } : {}),
    resolveMesh: meshResolverForFile(path),
    resolveAsset: (key) => {
      const file = isAbsolute(key) ? key : join(folder, key);
      return existsSync(file) && statSync(file).isFile() ? new Uint8Array(readFileSync(file)) : undefined;
    },
  };
}

export function meshResolverForFile(urdfPath: string, rosPackagePath = process.env.ROS_PACKAGE_PATH ?? ''): MeshResolver {
  const urdfFolder = dirname(resolve(urdfPath));
  const ancestors: string[] = [];
  for (let dir = urdfFolder; ; dir = dirname(dir)) {
    ancestors.push(dir);
    if (dirname(dir) === dir) break;
  }
  const packageRoots = rosPackagePath.split(delimiter).filter((d) => d.length > 0);
  const read = (path: string): Uint8Array | null => (existsSync(path) && statSync(path).isFile() ? new Uint8Array(readFileSync(path)) : null);
  return (uri) => {
    const trimmed = uri.trim();
    const file = /^file:\/\/(.*)$/.exec(trimmed);
    if (file) return read(decodeURIComponent(file[1]!));
    const pkg = /^package:\/\/([^/]+)\/(.*)$/.exec(trimmed);
    if (!pkg) return read(isAbsolute(trimmed) ? trimmed : join(urdfFolder, trimmed));
    const [, name, rest] = pkg as unknown as [string, string, string];
    const candidates: string[] = [];
    for (const root of packageRoots) candidates.push(basename(root) === name ? join(root, rest) : join(root, name, rest));
    for (const dir of ancestors) candidates.push(basename(dir) === name ? join(dir, rest) : join(dir, name, rest), join(dir, rest));
    for (const candidate of candidates) {
      const bytes = read(candidate);
      if (bytes) return bytes;
    }
    return null;
  };
}

/**
 * A scene file's bytes as the headless page should get them. The page cannot read files beside
 * the scene, so a scene that needs them — a URDF's or MJCF's meshes, a USD layer's references or texture
 * images — or that is composed with `--variant` choices, is imported here and handed on as the
 * scene document it became (JSON, the files inside it), so the page's workers build the same
 * scene; any other scene file is passed on as it is.
 */
export async function sceneBytesForPage(bytes: Uint8Array, path: string, variants: readonly VariantSelection[] = []): Promise<Uint8Array> {
  if (!isXmlDescription(bytes) && !namesOtherFiles(bytes) && !variants.length) return bytes;
  // Always the document once imported: whether or not the files it read left anything in its
  // assets (referenced and payload layers are composed into its prims), the page could not read them.
  const { document } = await loadSceneFile(bytes, path, sceneOptionsForFile(path, variants));
  return new TextEncoder().encode(JSON.stringify(document));
}

/** Whether USD text may name other files (asset paths `@…@`); binary layers are assumed to. */
function namesOtherFiles(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 8));
  if (head.startsWith('PXR-USDC')) return true;
  return head.startsWith('#usda') && new TextDecoder().decode(bytes).includes('@');
}

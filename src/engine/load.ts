/**
 * Opens a file of any supported format: the one table of importers (importer.ts), scene
 * descriptions and model files alike. Adding a format means one entry here and one module beside
 * the others; the file name endings the UI offers come from this table. Importers other than USD's
 * and Simloop's own load their modules when a file of theirs is opened: URDF, MJCF and the model
 * readers bring an XML parser, an XML DOM and three.js's loaders, which every `simloop generate`
 * and every generate page loaded before its first frame.
 */
import { InputError } from './errors.ts';
import type { Importer, LoadedScene, SceneLoadOptions } from './importer.ts';
import { GLTF_ASSET_EXTENSIONS, MESH_FILE_EXTENSIONS } from './mesh/formats.ts';
import { parseSceneDocument } from './scene/document.ts';
import { parseProject, PROJECT_SCHEMA_ID } from './project.ts';
import { meshResolverFromFiles } from './urdf/meshFiles.ts';
import { resolveAssetKey } from './scene/assets.ts';
import type { VariantSelection } from './usd/compose.ts';
import { importUsd } from './usd/import.ts';
import { xmlRootName } from './xmlRoot.ts';

export type { Importer, LoadedScene, SceneLoadOptions } from './importer.ts';

/**
 * How a scene opens with files given beside it (a dropped folder, several picked files), keyed by
 * their paths ("/"-separated) relative to what was given: a URDF's meshes are looked for among
 * them (urdf/meshFiles.ts), and a USD layer's references and textures are the files at their
 * paths relative to the scene's folder (or, failing that, the one file with that name).
 */
export function sceneOptionsFromFiles(files: ReadonlyMap<string, Uint8Array>, scenePath: string): SceneLoadOptions {
  const folder = scenePath.includes('/') ? scenePath.slice(0, scenePath.lastIndexOf('/') + 1) : '';
  const byPath = new Map([...files].map(([path, bytes]) => [resolveAssetKey('', path), bytes] as const));
  const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  return {
    resolveMesh: meshResolverFromFiles(files, scenePath),
    // Files picked one by one come without their folders: then a file is found by its name, when only one has it.
    resolveAsset: (key) => {
      const exact = byPath.get(resolveAssetKey('', folder + key));
      if (exact) return exact;
      const named = [...byPath].filter(([path]) => baseName(path) === baseName(key));
      return named.length === 1 ? named[0]![1] : undefined;
    },
  };
}

const firstNonSpace = (bytes: Uint8Array) => bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
const named = (extensions: readonly string[]) => (_: Uint8Array, fileName: string) => extensions.some((e) => fileName.toLowerCase().endsWith(e));

export const USD_EXTENSIONS = ['.usda', '.usdc', '.usd', '.usdz'] as const;
export const URDF_EXTENSIONS = ['.urdf'] as const;
export const MJCF_EXTENSIONS = ['.xml', '.mjcf'] as const;

/**
 * Every importer, tried in order: model files by name first (STL and OBJ have no reliable
 * signature, and a glTF's JSON or a COLLADA's XML would otherwise pass for a scene document or a
 * URDF), then scene descriptions by their bytes (a file's name may lie), USD last.
 */
export const IMPORTERS: readonly Importer[] = [
  {
    name: 'glTF model (glb, gltf)',
    role: 'model',
    extensions: GLTF_ASSET_EXTENSIONS,
    sniff: named(GLTF_ASSET_EXTENSIONS),
    load: async (bytes, file) => (await import('./gltfAsset.ts')).gltfAsset(bytes, file),
  },
  {
    name: 'mesh (STL, OBJ, COLLADA)',
    role: 'model',
    extensions: MESH_FILE_EXTENSIONS,
    sniff: named(MESH_FILE_EXTENSIONS),
    load: async (bytes, file) => (await import('./meshAsset.ts')).meshAsset(bytes, file),
  },
  {
    name: 'Simloop scene document or project (JSON)',
    role: 'scene',
    extensions: ['.json'],
    sniff: (bytes) => firstNonSpace(bytes) === 0x7b /* { */,
    async load(bytes, file) {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch (e) {
        throw new InputError(file, `invalid JSON (${(e as Error).message})`);
      }
      // A Simloop project file holds its scene document (and a randomization spec, not read here).
      if (typeof json === 'object' && json !== null && (json as { schema?: unknown }).schema === PROJECT_SCHEMA_ID) {
        return { document: parseProject(bytes, file).scene, warnings: [] };
      }
      return { document: parseSceneDocument(json, file), warnings: [] };
    },
  },
  {
    // MuJoCo's XML: its root element is <mujoco> (MuJoCo itself tells MJCF from URDF the same way).
    name: 'MJCF model (MuJoCo XML)',
    role: 'scene',
    extensions: MJCF_EXTENSIONS,
    sniff: (bytes) => firstNonSpace(bytes) === 0x3c /* < */ && xmlRootName(bytes) === 'mujoco',
    load: async (bytes, file, options) => (await import('./mjcf/import.ts')).importMjcf(bytes, file, options.resolveAsset ? { resolveAsset: options.resolveAsset } : {}),
  },
  {
    // XML: USD layers start with "#usda", "PXR-USDC" or a zip header, never "<". Meshes the
    // caller cannot supply load as stand-ins (with warnings).
    name: 'URDF robot (XML)',
    role: 'scene',
    extensions: URDF_EXTENSIONS,
    sniff: (bytes) => firstNonSpace(bytes) === 0x3c /* < */,
    load: async (bytes, file, options) => (await import('./urdf/import.ts')).importUrdf(bytes, file, { resolveMesh: options.resolveMesh }),
  },
  {
    name: 'USD (usda, usdc, usdz)',
    role: 'scene',
    extensions: USD_EXTENSIONS,
    sniff: () => true,
    load: async (bytes, file, options) =>
      importUsd(bytes, file, { ...(options.resolveAsset ? { resolve: options.resolveAsset } : {}), ...(options.variants?.length ? { variants: options.variants } : {}) }),
  },
];

const endings = (role: Importer['role']) => IMPORTERS.filter((i) => i.role === role).flatMap((i) => i.extensions);

/** Every scene file name ending (USD's first: the usual kind). */
export const SCENE_FILE_EXTENSIONS: readonly string[] = [...USD_EXTENSIONS, ...endings('scene').filter((e) => !(USD_EXTENSIONS as readonly string[]).includes(e))];
/** Every model file name ending (glTF, meshes). */
export const MODEL_FILE_EXTENSIONS: readonly string[] = endings('model');
/** Every file name ending the designer's asset import (and `simloop convert`) reads. */
export const ASSET_FILE_EXTENSIONS: readonly string[] = [...SCENE_FILE_EXTENSIONS, ...MODEL_FILE_EXTENSIONS];

/** True when the bytes are a robot description in XML — URDF or MJCF — which names files beside it (meshes, includes). */
export function isXmlDescription(data: Uint8Array): boolean {
  return firstNonSpace(data) === 0x3c;
}

/**
 * A scene file opened with the files given beside it (by path relative to what was given, as
 * sceneOptionsFromFiles reads them) and USD variant choices: what the studio's worker does to
 * compose a scene again with another variant.
 */
export function loadSceneWithFiles(bytes: Uint8Array, file: string, companions: Readonly<Record<string, ArrayBuffer | Uint8Array>> = {}, variants: readonly VariantSelection[] = []): Promise<LoadedScene> {
  const files = new Map(Object.entries(companions).map(([path, data]) => [path, data instanceof Uint8Array ? data : new Uint8Array(data)] as const));
  return loadSceneFile(bytes, file, { ...(files.size > 0 ? sceneOptionsFromFiles(files, file) : {}), ...(variants.length ? { variants } : {}) });
}

function open(data: Uint8Array | ArrayBuffer, file: string, options: SceneLoadOptions, roles: readonly Importer['role'][]): Promise<LoadedScene> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length === 0) return Promise.reject(new InputError(file, 'file is empty'));
  const importer = IMPORTERS.find((i) => roles.includes(i.role) && i.sniff(bytes, file))!;
  return importer.load(bytes, file, options);
}

/** Opens a scene description (USD, URDF, a Simloop scene document or project). */
export function loadSceneFile(data: Uint8Array | ArrayBuffer, file: string, options: SceneLoadOptions = {}): Promise<LoadedScene> {
  return open(data, file, options, ['scene']);
}

/**
 * Opens any file the designer adds as an asset, and `simloop convert` reads, as a scene: a model
 * file (glTF/GLB, STL, OBJ, COLLADA) as one dynamic body, anything else as loadSceneFile does.
 */
export function loadAssetFile(data: Uint8Array | ArrayBuffer, file: string, options: SceneLoadOptions = {}): Promise<LoadedScene> {
  return open(data, file, options, ['model', 'scene']);
}

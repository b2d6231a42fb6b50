/**
 * Opens a scene file of any supported format: the one registry of scene importers. Adding a
 * format means one entry here and one module beside the others.
 */
import { InputError } from './errors.ts';
import { parseSceneDocument } from './scene/document.ts';
import { parseProject, PROJECT_SCHEMA_ID } from './project.ts';
import type { SceneDocument } from './scene/schema.ts';
import { importUrdf } from './urdf/import.ts';
import { meshResolverFromFiles, type MeshResolver } from './urdf/meshFiles.ts';
import { resolveAssetKey } from './scene/assets.ts';
import type { AssetResolver, VariantSelection } from './usd/compose.ts';
import { importUsd } from './usd/import.ts';

export interface LoadedScene {
  document: SceneDocument;
  warnings: string[];
}

export interface SceneLoadOptions {
  /** Reads the mesh files a URDF names (see urdf/meshFiles.ts, cli/meshes.ts); without it they load as stand-ins. */
  resolveMesh?: MeshResolver;
  /** Reads the layers a USD file references, by path relative to its folder (usd/compose.ts); a USDZ package reads its own. */
  resolveAsset?: AssetResolver;
  /** Variant choices for a USD scene (`--variant`, the inspector's picker), stronger than the authored ones. */
  variants?: readonly VariantSelection[];
}

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

interface SceneImporter {
  name: string;
  /** The file name endings this importer owns (the UI's file pickers and scene choice use them). */
  extensions: readonly string[];
  /** Decides from the bytes (not the file name, which may lie). */
  accepts(bytes: Uint8Array): boolean;
  load(bytes: Uint8Array, file: string, options: SceneLoadOptions): LoadedScene;
}

const firstNonSpace = (bytes: Uint8Array) => bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);

export const USD_EXTENSIONS = ['.usda', '.usdc', '.usd', '.usdz'] as const;
export const URDF_EXTENSIONS = ['.urdf'] as const;

const IMPORTERS: SceneImporter[] = [
  {
    name: 'Simloop scene document or project (JSON)',
    extensions: ['.json'],
    accepts: (bytes) => firstNonSpace(bytes) === 0x7b /* { */,
    load(bytes, file) {
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
    // XML: USD layers start with "#usda", "PXR-USDC" or a zip header, never "<". Meshes the
    // caller cannot supply load as stand-ins (with warnings).
    name: 'URDF robot (XML)',
    extensions: URDF_EXTENSIONS,
    accepts: (bytes) => firstNonSpace(bytes) === 0x3c /* < */,
    load: (bytes, file, options) => importUrdf(bytes, file, { resolveMesh: options.resolveMesh }),
  },
  {
    name: 'USD (usda, usdc, usdz)',
    extensions: USD_EXTENSIONS,
    accepts: () => true,
    load: (bytes, file, options) =>
      importUsd(bytes, file, { ...(options.resolveAsset ? { resolve: options.resolveAsset } : {}), ...(options.variants?.length ? { variants: options.variants } : {}) }),
  },
];

/** Every scene file name ending, from the importers' table (USD's first: the usual kind). */
export const SCENE_FILE_EXTENSIONS: readonly string[] = [...USD_EXTENSIONS, ...IMPORTERS.filter((i) => i.extensions !== USD_EXTENSIONS).flatMap((i) => i.extensions)];

/** True when the bytes are a URDF (the importer that would read them is the URDF one). */
export function isUrdf(data: Uint8Array): boolean {
  return firstNonSpace(data) === 0x3c;
}

/**
 * A scene file opened with the files given beside it (by path relative to what was given, as
 * sceneOptionsFromFiles reads them) and USD variant choices: what the studio's worker does to
 * compose a scene again with another variant.
 */
export function loadSceneWithFiles(bytes: Uint8Array, file: string, companions: Readonly<Record<string, ArrayBuffer | Uint8Array>> = {}, variants: readonly VariantSelection[] = []): LoadedScene {
  const files = new Map(Object.entries(companions).map(([path, data]) => [path, data instanceof Uint8Array ? data : new Uint8Array(data)] as const));
  return loadSceneFile(bytes, file, { ...(files.size > 0 ? sceneOptionsFromFiles(files, file) : {}), ...(variants.length ? { variants } : {}) });
}

export function loadSceneFile(data: Uint8Array | ArrayBuffer, file: string, options: SceneLoadOptions = {}): LoadedScene {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length === 0) throw new InputError(file, 'file is empty');
  const importer = IMPORTERS.find((i) => i.accepts(bytes))!;
  return importer.load(bytes, file, options);
}

/**
 * What every file importer is: the entry of load.ts's one table. An importer owns its file name
 * endings, recognises its files (by their bytes where the format allows, by name where it does not),
 * and loads them — asynchronously, all of them — into a scene document with warnings.
 */
import type { SceneDocument } from './scene/schema.ts';
import type { MeshResolver } from './urdf/meshFiles.ts';
import type { AssetResolver, VariantSelection } from './usd/compose.ts';

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

export interface Importer {
  /** For messages and the docs: "URDF robot (XML)". */
  name: string;
  /**
   * 'scene': a scene description (USD, URDF, Simloop JSON) that opens as the studio's scene;
   * 'model': a model file (glTF, STL, OBJ, COLLADA) made into a one-object scene, which the
   * designer adds as an asset and `simloop convert` converts.
   */
  role: 'scene' | 'model';
  /** The file name endings (lower case, with the dot) this importer owns; the UI's pickers use them. */
  extensions: readonly string[];
  /** True when this importer reads the file: by its bytes where the format has a signature, else by its name. */
  sniff(bytes: Uint8Array, fileName: string): boolean;
  load(bytes: Uint8Array, fileName: string, options: SceneLoadOptions): Promise<LoadedScene>;
}

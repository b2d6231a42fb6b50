/**
 * Any file the designer adds as an asset, and `simloop convert` reads, as a scene: a model file
 * (glTF/GLB, STL, OBJ, COLLADA) as one dynamic body, anything else through the scene importers
 * (USD, URDF, scene documents and projects).
 */
import { GLTF_ASSET_EXTENSIONS, gltfAsset, isGltfAsset } from './gltfAsset.ts';
import { type LoadedScene, loadSceneFile, SCENE_FILE_EXTENSIONS, type SceneLoadOptions } from './load.ts';
import { isMeshAsset, MESH_ASSET_EXTENSIONS, meshAsset } from './meshAsset.ts';

/** Every file name ending the designer's asset import (and `simloop convert`) reads. */
export const ASSET_FILE_EXTENSIONS: readonly string[] = [...SCENE_FILE_EXTENSIONS, ...GLTF_ASSET_EXTENSIONS, ...MESH_ASSET_EXTENSIONS];

export async function loadAssetFile(bytes: Uint8Array, fileName: string, options: SceneLoadOptions = {}): Promise<LoadedScene> {
  if (isGltfAsset(fileName)) return gltfAsset(bytes, fileName);
  if (isMeshAsset(fileName)) return meshAsset(bytes, fileName);
  return loadSceneFile(bytes, fileName, options);
}

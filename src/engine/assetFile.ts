/**
 * Any file the designer adds as an asset, and `simloop convert` reads, as a scene: a model file
 * (glTF/GLB, STL, OBJ, COLLADA) as one dynamic body, anything else through the scene importers
 * (USD, URDF, scene documents and projects).
 */
import { gltfAsset, isGltfAsset } from './gltfAsset.ts';
import { type LoadedScene, loadSceneFile, type SceneLoadOptions } from './load.ts';
import { isMeshAsset, meshAsset } from './meshAsset.ts';

export async function loadAssetFile(bytes: Uint8Array, fileName: string, options: SceneLoadOptions = {}): Promise<LoadedScene> {
  if (isGltfAsset(fileName)) return gltfAsset(bytes, fileName);
  if (isMeshAsset(fileName)) return meshAsset(bytes, fileName);
  return loadSceneFile(bytes, fileName, options);
}

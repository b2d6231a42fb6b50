/**
 * The model file formats Simloop reads, by file name ending: kept apart from their readers
 * (meshFile.ts, gltfAsset.ts), which load three.js's loaders and an XML DOM, so that load.ts's
 * table of importers names them without loading those until a model file is opened.
 */

/** The mesh formats read, by file name ending (lower case), with their names for messages. */
export const MESH_FORMATS = { stl: 'STL', obj: 'OBJ', dae: 'COLLADA' } as const;
export type MeshFormat = keyof typeof MESH_FORMATS;
export const MESH_FILE_EXTENSIONS: readonly string[] = Object.keys(MESH_FORMATS).map((e) => `.${e}`);

/** glTF models, binary and JSON (gltfAsset.ts). */
export const GLTF_ASSET_EXTENSIONS = ['.glb', '.gltf'] as const;

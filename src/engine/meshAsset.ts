/**
 * A mesh file (STL, OBJ or COLLADA) as a scene of its own, so the designer can add it as an asset
 * and `simloop convert` can write it as USD: one dynamic rigid body (as dense as wood, mass from
 * its convex hull) whose visual is the mesh and whose collider is the mesh's convex hull. The mesh
 * is read by mesh/meshFile.ts in metres and, as URDF meshes and CAD exports usually are, Z-up: the
 * body's parent turns it to the document's Y-up.
 */
import { Quaternion, Vector3 } from 'three';
import { InputError } from './errors.ts';
import type { LoadedScene } from './importer.ts';
import { MESH_FILE_EXTENSIONS } from './mesh/formats.ts';
import { meshFormat, readMeshFile } from './mesh/meshFile.ts';
import { emptyDocument } from './scene/document.ts';
import { newPrim } from './scene/prim.ts';
import { EARTH_GRAVITY, type SceneDocument } from './scene/schema.ts';
import { usdIdentifier } from './usd/typeNames.ts';

export { MESH_FILE_EXTENSIONS as MESH_ASSET_EXTENSIONS };

/** kg/m³: a new object weighs what wood of its size weighs (the designer's primitives do too). */
const DENSITY = 600;

/** A quarter turn about X: Z-up mesh coordinates → the document's Y-up (as the URDF importer turns a robot). */
const Z_UP_TO_Y_UP = new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), -Math.PI / 2);

export const isMeshAsset = (fileName: string): boolean => meshFormat(fileName) !== null;

export function meshAsset(bytes: Uint8Array, fileName: string): LoadedScene {
  const format = meshFormat(fileName);
  if (!format) throw new InputError(fileName, `is not a mesh file (${MESH_FILE_EXTENSIONS.join(', ')} are read)`);
  const read = readMeshFile(bytes, format);
  if ('problem' in read) throw new InputError(fileName, `could not be read as a mesh (the file ${read.problem})`);
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const name = usdIdentifier(base.replace(/\.[^.]*$/, '') || 'mesh');
  const root = `/${name}`;
  const body = `${root}/${name}`;
  const document: SceneDocument = {
    ...emptyDocument(fileName, [0, -EARTH_GRAVITY, 0]),
    prims: [
      newPrim(root, 'Xform', { transform: { position: [0, 0, 0], orientation: [Z_UP_TO_Y_UP.x, Z_UP_TO_Y_UP.y, Z_UP_TO_Y_UP.z, Z_UP_TO_Y_UP.w], scale: [1, 1, 1] } }),
      newPrim(body, 'Xform', {
        body: { type: 'dynamic', enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false },
        articulationRoot: true,
        mass: { density: DENSITY },
      }),
      newPrim(`${body}/visual_0`, 'Mesh', { geometry: read.geometry }),
      newPrim(`${body}/collision_0`, 'Mesh', { visible: false, geometry: read.geometry, collider: { enabled: true, approximation: 'convexHull', physicsMaterial: null } }),
    ],
  };
  document.source = { ...document.source, upAxis: 'Z' };
  return { document, warnings: [] };
}

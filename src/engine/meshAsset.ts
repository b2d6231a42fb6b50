/**
 * A mesh file (STL, OBJ or COLLADA) as a scene of its own, so the designer can add it as an asset:
 * one dynamic rigid body (as dense as wood, mass from its convex hull) whose visual is the mesh and
 * whose collider is the mesh's convex hull. The mesh goes through the URDF importer's mesh reading
 * (the same loaders, units in metres as URDF meshes are), wrapped in a one-link robot description.
 */
import { InputError } from './errors.ts';
import type { LoadedScene } from './load.ts';
import type { SceneDocument } from './scene/schema.ts';
import { importUrdf } from './urdf/import.ts';
import { usdIdentifier } from './usd/typeNames.ts';

export const MESH_ASSET_EXTENSIONS = ['.stl', '.obj', '.dae'] as const;

/** kg/m³: a new object weighs what wood of its size weighs (the designer's primitives do too). */
const DENSITY = 600;

export const isMeshAsset = (fileName: string): boolean => MESH_ASSET_EXTENSIONS.some((e) => fileName.toLowerCase().endsWith(e));

export function meshAsset(bytes: Uint8Array, fileName: string): LoadedScene {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const name = usdIdentifier(base.replace(/\.[^.]*$/, '') || 'mesh');
  const file = base.replace(/[&<>"]/g, '_');
  const urdf = `<robot name="${name}"><link name="${name}"><visual><geometry><mesh filename="${file}"/></geometry></visual><collision><geometry><mesh filename="${file}"/></geometry></collision></link></robot>`;
  const { document, warnings } = importUrdf(urdf, fileName, { resolveMesh: (uri) => (uri === file ? bytes : null) });
  if (warnings.length) throw new InputError(fileName, `could not be read as a mesh (${warnings[0]})`);
  // The link is the robot's base, fixed in the world (kinematic) as a URDF root is: an object moves.
  const link = `/${name}/${name}`;
  const prims = document.prims
    .filter((p) => p.type !== 'PhysicsCollisionGroup')
    .map((p) => (p.path === link ? { ...p, body: { ...p.body!, type: 'dynamic' as const }, mass: { density: DENSITY } } : p));
  const kept = new Set(prims.map((p) => p.path));
  const out: SceneDocument = { ...document, prims, collisionGroups: document.collisionGroups.filter((g) => kept.has(g.path)) };
  return { document: out, warnings: [] };
}

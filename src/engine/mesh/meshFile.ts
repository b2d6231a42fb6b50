/**
 * Mesh files (STL, OBJ, COLLADA) → one indexed mesh geometry of the scene document: the one place
 * Simloop reads them, for the URDF importer's `<mesh>` elements and for mesh files added as assets
 * (meshAsset.ts). Pure and DOM-free (COLLADA through collada.ts's stand-in DOM parser).
 */
import { type BufferGeometry, type Mesh, Vector3 } from 'three';
import { OBJLoader } from 'three/examples/jsm/loaders/OBJLoader.js';
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js';
import type { Geometry, Vec3 } from '../scene/schema.ts';
import { readColladaMeshes } from './collada.ts';
import { MESH_FORMATS, type MeshFormat } from './formats.ts';

/** The file name's extension, lower case, without the dot ('' when it has none). */
export const fileExtension = (fileName: string): string => /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';

/** The mesh format a file name says, or null when it names none of MESH_FORMATS. */
export function meshFormat(fileName: string): MeshFormat | null {
  const extension = fileExtension(fileName);
  return Object.hasOwn(MESH_FORMATS, extension) ? (extension as MeshFormat) : null;
}

/**
 * Reads a mesh file of `format`, scaled, as one indexed mesh; or says why it cannot (the phrase
 * completes "mesh <file> …": "is not a readable STL file (…)", "has no triangles (…)").
 */
export function readMeshFile(bytes: Uint8Array, format: MeshFormat, scale: Vec3 = [1, 1, 1]): { geometry: Extract<Geometry, { kind: 'mesh' }> } | { problem: string } {
  let parts: BufferGeometry[];
  try {
    if (format === 'stl') {
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      parts = [new STLLoader().parse(buffer)];
    } else if (format === 'dae') {
      parts = readColladaMeshes(bytes);
    } else {
      parts = [];
      new OBJLoader().parse(new TextDecoder().decode(bytes)).traverse((o) => {
        if ((o as Mesh).isMesh) parts.push((o as Mesh).geometry);
      });
    }
  } catch (e) {
    return { problem: `is not a readable ${MESH_FORMATS[format]} file (${(e as Error).message})` };
  }
  const geometry = meshGeometry(parts, scale);
  return geometry ? { geometry } : { problem: `has no triangles (not a readable ${MESH_FORMATS[format]} file?)` };
}

/**
 * Triangle soups or indexed geometries → one indexed mesh: identical (position, normal) vertices
 * merged, the scale applied to points (and, inverse-transposed, to normals), winding reversed
 * under a mirroring scale so triangles stay counter-clockwise from outside. Normals are kept only
 * when every vertex has a usable one; otherwise the renderer computes them.
 */
function meshGeometry(parts: readonly BufferGeometry[], scale: Vec3): Extract<Geometry, { kind: 'mesh' }> | null {
  const points: number[] = [];
  const normals: number[] = [];
  const indices: number[] = [];
  let normalsOk = true;
  const mirrored = scale[0] * scale[1] * scale[2] < 0;
  const seen = new Map<string, number>();
  const n = new Vector3();
  for (const part of parts) {
    const position = part.getAttribute('position');
    if (!position || position.itemSize !== 3) continue;
    const normal = part.getAttribute('normal');
    const corner = (i: number): number => {
      const x = position.getX(i);
      const y = position.getY(i);
      const z = position.getZ(i);
      const nx = normal ? normal.getX(i) : 0;
      const ny = normal ? normal.getY(i) : 0;
      const nz = normal ? normal.getZ(i) : 0;
      const key = `${x},${y},${z},${nx},${ny},${nz}`;
      const known = seen.get(key);
      if (known !== undefined) return known;
      const index = points.length / 3;
      seen.set(key, index);
      points.push(x * scale[0], y * scale[1], z * scale[2]);
      n.set(nx / scale[0], ny / scale[1], nz / scale[2]);
      const length = n.length();
      if (!normal || !(length > 0) || !Number.isFinite(length)) normalsOk = false;
      else normals.push(n.x / length, n.y / length, n.z / length);
      return index;
    };
    const index = part.getIndex();
    const count = index ? index.count : position.count;
    for (let t = 0; t + 2 < count; t += 3) {
      const [a, b, c] = [0, 1, 2].map((k) => corner(index ? index.getX(t + k) : t + k)) as [number, number, number];
      if (mirrored) indices.push(a, c, b);
      else indices.push(a, b, c);
    }
  }
  if (indices.length === 0 || !points.every(Number.isFinite)) return null;
  return normalsOk ? { kind: 'mesh', points, indices, normals } : { kind: 'mesh', points, indices };
}

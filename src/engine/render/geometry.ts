/**
 * Scene-document geometry → three.js BufferGeometry, in the prim's own frame (metres).
 * three builds cylinders, capsules and cones along +Y and planes in XY; this module turns them to
 * the authored axis, the same way the physics world does (src/engine/physics/world.ts).
 */
import {
  BoxGeometry,
  BufferGeometry,
  CapsuleGeometry,
  ConeGeometry,
  CylinderGeometry,
  Float32BufferAttribute,
  PlaneGeometry,
  SphereGeometry,
} from 'three';
import type { Axis, Geometry } from '../scene/schema.ts';

const ROUND_SEGMENTS = 40;

/** Turns a shape built along +Y so that it lies along `axis`. */
function alongAxis(geometry: BufferGeometry, axis: Axis): BufferGeometry {
  if (axis === 'X') geometry.rotateZ(-Math.PI / 2);
  if (axis === 'Z') geometry.rotateX(Math.PI / 2);
  return geometry;
}

/**
 * A finite quad with its normal along `axis`. UsdGeomPlane: width runs along X (along Z when the
 * axis is X), length along Y (along Z when the axis is Y).
 */
function plane(width: number, length: number, axis: Axis): BufferGeometry {
  const geometry = new PlaneGeometry(width, length);
  if (axis === 'Y') geometry.rotateX(-Math.PI / 2);
  if (axis === 'X') geometry.rotateY(Math.PI / 2);
  return geometry;
}

function mesh(points: number[], indices: number[], normals: number[] | undefined, uvs: number[] | undefined): BufferGeometry | null {
  const vertexCount = Math.floor(points.length / 3);
  if (vertexCount === 0 || indices.length < 3 || indices.some((i) => i >= vertexCount)) return null;
  const geometry = new BufferGeometry();
  geometry.setAttribute('position', new Float32BufferAttribute(points.slice(0, vertexCount * 3), 3));
  // USD's st and three's uv agree: v grows upwards in the image (sceneView.ts flips image rows to match).
  if (uvs && uvs.length === vertexCount * 2) geometry.setAttribute('uv', new Float32BufferAttribute(uvs, 2));
  geometry.setIndex(indices.slice(0, indices.length - (indices.length % 3)));
  if (normals && normals.length === vertexCount * 3) {
    geometry.setAttribute('normal', new Float32BufferAttribute(normals, 3));
    return geometry;
  }
  // Without authored normals, facet normals show the shape best (shared corners would smooth it).
  const flat = geometry.toNonIndexed();
  geometry.dispose();
  flat.computeVertexNormals();
  return flat;
}

/** The render geometry of a shape, or null when there is nothing to draw. */
export function buildGeometry(shape: Geometry): BufferGeometry | null {
  switch (shape.kind) {
    case 'box':
      return new BoxGeometry(...shape.size);
    case 'sphere':
      return new SphereGeometry(shape.radius, ROUND_SEGMENTS, ROUND_SEGMENTS / 2);
    case 'cylinder':
      return alongAxis(new CylinderGeometry(shape.radius, shape.radius, shape.height, ROUND_SEGMENTS), shape.axis);
    case 'capsule':
      // USD capsule height is the spine between the two hemispheres, as is three's.
      return alongAxis(new CapsuleGeometry(shape.radius, shape.height, 8, ROUND_SEGMENTS), shape.axis);
    case 'cone':
      return alongAxis(new ConeGeometry(shape.radius, shape.height, ROUND_SEGMENTS), shape.axis);
    case 'plane':
      return plane(shape.width, shape.length, shape.axis);
    case 'mesh':
      return mesh(shape.points, shape.indices, shape.normals, shape.uvs);
  }
}

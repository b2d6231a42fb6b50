/**
 * UsdGeomXformable: evaluates a prim's xformOp stack into a local matrix (in the file's units).
 * Supports translate, scale, orient, transform, rotateX/Y/Z, the six rotateABC orders, pivots and
 * inverse ops (`!invert!`), and reports `!resetXformStack!`.
 */
import { Euler, Matrix4, Quaternion, Vector3 } from 'three';
import { asNumbers, type UsdStage } from './stage.ts';

const DEG = Math.PI / 180;

/**
 * A box whose sides differ is written (export.ts) as a `Cube` of size 1 whose last xformOp is this
 * scale: other USD tools see the right box, and the importer reads the scale back as the box's
 * sides (`boxSides`) rather than as part of the prim's frame. Only for a Cube with no children,
 * which the scale would otherwise reach.
 */
export const BOX_SIDES_OP = 'xformOp:scale:simloopBoxSides';

/** Marks a scope Simloop's exporter added for looks or render products alone (export.ts); the importer reads what it needs from it and leaves it out of the scene. */
export const GENERATED_ATTRIBUTE = 'simloop:generatedLooks';

/**
 * Marks the Material Simloop's exporter binds to a gprim that has no look but sits under a bound
 * one (bindings inherit in USD): other tools show its plain grey surface, and Simloop's importer
 * reads the gprim as having no look.
 */
export const NO_LOOK_ATTRIBUTE = 'simloop:noLook';

/**
 * A gprim's bundled procedural texture (randomize/textures.ts) by name, a token Simloop writes and
 * reads; other USD tools ignore it and show the plain colour.
 */
export const TEXTURE_ATTRIBUTE = 'simloop:texture';

/** The sides factor of a Cube written with BOX_SIDES_OP (see there), or undefined. */
export function boxSides(stage: UsdStage, path: string): [number, number, number] | undefined {
  if (stage.typeName(path) !== 'Cube' || stage.xformOpOrder(path).at(-1) !== BOX_SIDES_OP || stage.children(path).length) return undefined;
  const v = asNumbers(stage.attr(path, BOX_SIDES_OP));
  return v && v.length === 3 && v.every((c) => Number.isFinite(c) && c >= 0) ? [v[0]!, v[1]!, v[2]!] : undefined;
}

export interface LocalXform {
  matrix: Matrix4;
  resetsXformStack: boolean;
  /** Ops present in xformOpOrder that this evaluator does not know. */
  unsupported: string[];
}

function opMatrix(kind: string, value: number[] | undefined): Matrix4 | null {
  if (!value) return null;
  const m = new Matrix4();
  switch (kind) {
    case 'translate':
      return value.length === 3 ? m.makeTranslation(value[0]!, value[1]!, value[2]!) : null;
    case 'scale':
      return value.length === 3 ? m.makeScale(value[0]!, value[1]!, value[2]!) : value.length === 1 ? m.makeScale(value[0]!, value[0]!, value[0]!) : null;
    case 'orient':
      // Both parsers hand quaternions over as [x, y, z, w].
      return value.length === 4 ? m.makeRotationFromQuaternion(new Quaternion(value[0], value[1], value[2], value[3]).normalize()) : null;
    case 'transform':
      // USD matrices are row-major with row vectors; read as column-major that is the same matrix for column vectors.
      return value.length === 16 ? m.fromArray(value) : null;
    case 'rotateX':
      return value.length === 1 ? m.makeRotationX(value[0]! * DEG) : null;
    case 'rotateY':
      return value.length === 1 ? m.makeRotationY(value[0]! * DEG) : null;
    case 'rotateZ':
      return value.length === 1 ? m.makeRotationZ(value[0]! * DEG) : null;
    default: {
      const order = /^rotate([XYZ]{3})$/.exec(kind)?.[1];
      if (!order || value.length !== 3 || new Set(order).size !== 3) return null;
      // rotateXYZ rotates about X first, then Y, then Z: M = Rz·Ry·Rx. three's Euler order names the
      // matrix product left to right, so the order reverses.
      const angles = { X: value[0]! * DEG, Y: value[1]! * DEG, Z: value[2]! * DEG };
      const euler = new Euler(angles.X, angles.Y, angles.Z, [...order].reverse().join('') as 'XYZ');
      return m.makeRotationFromEuler(euler);
    }
  }
}

export function readLocalXform(stage: UsdStage, path: string): LocalXform {
  const matrix = new Matrix4();
  const unsupported: string[] = [];
  let resetsXformStack = false;
  const order = stage.xformOpOrder(path);
  // The box's sides are shape, not frame (see BOX_SIDES_OP).
  if (boxSides(stage, path)) order.pop();
  for (const entry of order) {
    if (entry === '!resetXformStack!') {
      resetsXformStack = true;
      matrix.identity();
      continue;
    }
    const invert = entry.startsWith('!invert!');
    const name = invert ? entry.slice('!invert!'.length) : entry;
    const kind = /^xformOp:([A-Za-z]+)/.exec(name)?.[1] ?? '';
    const op = opMatrix(kind, asNumbers(stage.attr(path, name)));
    if (!op) {
      unsupported.push(name);
      continue;
    }
    matrix.multiply(invert ? op.invert() : op);
  }
  return { matrix, resetsXformStack, unsupported };
}

/** Splits a matrix into position, rotation and scale. */
export function decompose(m: Matrix4): { position: Vector3; rotation: Quaternion; scale: Vector3 } {
  const position = new Vector3();
  const rotation = new Quaternion();
  const scale = new Vector3();
  m.decompose(position, rotation, scale);
  return { position, rotation: rotation.normalize(), scale };
}

/**
 * UsdGeomXformable: evaluates a prim's xformOp stack into a local matrix (in the file's units).
 * Supports translate, scale, orient, transform, rotateX/Y/Z, the six rotateABC orders, pivots and
 * inverse ops (`!invert!`), and reports `!resetXformStack!`.
 */
import { Euler, Matrix4, Quaternion, Vector3 } from 'three';
import { asNumbers, type UsdStage } from './stage.ts';

const DEG = Math.PI / 180;

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
  for (const entry of stage.xformOpOrder(path)) {
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

/** Joint axes of any direction in a document whose joints turn about X, Y or Z only. */
import { Quaternion, Vector3 } from 'three';
import type { Axis } from './schema.ts';

const NAMED: readonly [Axis, Vector3][] = [
  ['X', new Vector3(1, 0, 0)],
  ['Y', new Vector3(0, 1, 0)],
  ['Z', new Vector3(0, 0, 1)],
];

/**
 * The scene axis for a unit joint axis, and the turn of the joint frame that carries the scene axis
 * onto it: +X, +Y or +Z as they are, any other direction as "Z" turned onto it (URDF, MJCF).
 */
export function jointAxisFrame(axis: Vector3): { axis: Axis; rotation: Quaternion } {
  for (const [name, direction] of NAMED) if (axis.distanceTo(direction) < 1e-12) return { axis: name, rotation: new Quaternion() };
  return { axis: 'Z', rotation: new Quaternion().setFromUnitVectors(new Vector3(0, 0, 1), axis) };
}

/**
 * Small scene documents and pieces of them for tests: an empty document, a joint with every field
 * at its default, and a deep freeze that makes any mutation of a document throw.
 */
import { emptyDocument as emptyScene } from '../scene/document.ts';
import { newJoint } from '../scene/prim.ts';
import type { Joint, SceneDocument } from '../scene/schema.ts';

/** An empty document (scene/document.ts). */
export const emptyDocument = (file = 'test.json', gravity: [number, number, number] = [0, -9.81, 0]): SceneDocument => emptyScene(file, gravity);

/** A revolute joint about Z at both bodies' origins, attached to the world on both sides, with `fields` over it. */
export function jointWith(path: string, fields: Partial<Joint> = {}): Joint {
  return newJoint(path, fields.type ?? 'revolute', { axis: 'Z', ...fields });
}

/** Recursively frozen, so that any mutation throws (test files are ES modules: strict mode). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

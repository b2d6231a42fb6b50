/** New prims, spelled out once: every module that makes a prim starts from `newPrim`. */
import type { Prim, Transform } from './schema.ts';

export function identityTransform(): Transform {
  return { position: [0, 0, 0], orientation: [0, 0, 0, 1], scale: [1, 1, 1] };
}

/** A prim with only a path and a type (identity transform, visible, no labels), plus `fields`. */
export function newPrim(path: string, type = 'Xform', fields: Partial<Omit<Prim, 'path' | 'type'>> = {}): Prim {
  return { path, type, transform: identityTransform(), visible: true, labels: {}, articulationRoot: false, ...fields };
}

/**
 * Prim hierarchy queries over a scene document: parents, world transforms, owning bodies.
 * Pure functions; three.js is used only for its matrix maths.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import type { Prim, SceneDocument, Transform } from './schema.ts';

export function parentPath(path: string): string | null {
  const i = path.lastIndexOf('/');
  return i <= 0 ? null : path.slice(0, i);
}

export function primName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function transformToMatrix(t: Transform, out = new Matrix4()): Matrix4 {
  return out.compose(
    new Vector3(...t.position),
    new Quaternion(...t.orientation),
    new Vector3(...t.scale),
  );
}

export function matrixToTransform(m: Matrix4): Transform {
  const p = new Vector3();
  const q = new Quaternion();
  const s = new Vector3();
  m.decompose(p, q, s);
  q.normalize();
  return { position: [p.x, p.y, p.z], orientation: [q.x, q.y, q.z, q.w], scale: [s.x, s.y, s.z] };
}

/** World matrices of every prim, keyed by path. Prims must be in parent-before-child order. */
export function worldMatrices(doc: Pick<SceneDocument, 'prims'>): Map<string, Matrix4> {
  const out = new Map<string, Matrix4>();
  for (const prim of doc.prims) {
    const local = transformToMatrix(prim.transform);
    const parent = parentPath(prim.path);
    const parentWorld = parent ? out.get(parent) : undefined;
    out.set(prim.path, parentWorld ? parentWorld.clone().multiply(local) : local);
  }
  return out;
}

export function primIndex(doc: Pick<SceneDocument, 'prims'>): Map<string, Prim> {
  return new Map(doc.prims.map((p) => [p.path, p]));
}

/** The nearest prim at or above `path` that is a rigid body, or null. */
export function owningBody(path: string, prims: Map<string, Prim>): Prim | null {
  for (let p: string | null = path; p; p = parentPath(p)) {
    const prim = prims.get(p);
    if (prim?.body) return prim;
  }
  return null;
}

/** The first "class" label at or above `path` (semantic labels apply to descendants), or null. */
export function classLabel(path: string, prims: Map<string, Prim>): string | null {
  for (let p: string | null = path; p; p = parentPath(p)) {
    const label = prims.get(p)?.labels['class']?.[0];
    if (label) return label;
  }
  return null;
}

/** The prim that owns the "class" label seen at `path` (itself or its nearest labelled ancestor), or null. */
export function labelledPrim(path: string, prims: Map<string, Prim>): Prim | null {
  for (let p: string | null = path; p; p = parentPath(p)) {
    const prim = prims.get(p);
    if (prim?.labels['class']?.[0]) return prim;
  }
  return null;
}

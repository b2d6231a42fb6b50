/**
 * Paths in scene edits (edit.ts): child paths, finding and freeing paths, moving a subtree to a new
 * path with every reference to it (repath), keeping a prim's world pose when it changes parent,
 * detaching joints from removed bodies; and the structural sharing every edit relies on (new arrays
 * only where something changed).
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { matrixToTransform, transformToMatrix, worldMatrices } from './hierarchy.ts';
import { EditError } from './editErrors.ts';
import { leaves } from './editRules.ts';
import type { Joint, Prim, SceneDocument, Transform } from './schema.ts';

/** The path a prim named `name` gets under `parent` (null: a root prim). */
export function childPath(parent: string | null, name: string): string {
  return `${parent ?? ''}/${name}`;
}

export const atOrUnder = (path: string, root: string) => path === root || path.startsWith(`${root}/`);

export function primAt(doc: SceneDocument, path: string): [number, Prim] {
  const index = doc.prims.findIndex((p) => p.path === path);
  if (index < 0) throw new EditError(path, null, 'no prim has this path');
  return [index, doc.prims[index]!];
}

/** Refuses a path at or under which anything already lives: a prim, joint, physics material or collision group. */
export function assertPathFree(doc: SceneDocument, path: string) {
  const lists: [string, readonly { path: string }[]][] = [
    ['prim', doc.prims],
    ['joint', doc.joints],
    ['physics material', doc.physicsMaterials],
    ['collision group', doc.collisionGroups],
  ];
  for (const [what, list] of lists) {
    const taken = list.find((item) => atOrUnder(item.path, path));
    if (taken) throw new EditError(path, null, taken.path === path ? `already in use by a ${what}` : `already in use: the ${what} ${taken.path} is under it`);
  }
}

/** Index of the last prim at or under `root`. */
export function lastIndexAtOrUnder(prims: readonly Prim[], root: string): number {
  for (let i = prims.length - 1; i >= 0; i--) if (atOrUnder(prims[i]!.path, root)) return i;
  return -1;
}

/** Every path at or under `from` rewritten to sit at or under `to`, everywhere the document names a path. Order is unchanged. */
export function movePaths(doc: SceneDocument, from: string, to: string): SceneDocument {
  return repath(doc, (p) => (atOrUnder(p, from) ? to + p.slice(from.length) : p));
}

/** Every path the document names (prims, bindings, joints and their bodies, materials, groups, pairs) through `move`; what it leaves alone is shared. */
export function repath(doc: SceneDocument, move: (path: string) => string): SceneDocument {
  const moveOrNull = (p: string | null) => (p === null ? null : move(p));
  const prims = mapShared(doc.prims, (prim) => {
    const path = move(prim.path);
    const material = prim.collider ? moveOrNull(prim.collider.physicsMaterial) : null;
    if (path === prim.path && (!prim.collider || material === prim.collider.physicsMaterial)) return prim;
    return { ...prim, path, ...(prim.collider ? { collider: { ...prim.collider, physicsMaterial: material } } : {}) };
  });
  const joints = mapShared(doc.joints, (j) => {
    const path = move(j.path);
    const body0 = moveOrNull(j.body0);
    const body1 = moveOrNull(j.body1);
    return path === j.path && body0 === j.body0 && body1 === j.body1 ? j : { ...j, path, body0, body1 };
  });
  const physicsMaterials = mapShared(doc.physicsMaterials, (m) => {
    const path = move(m.path);
    return path === m.path ? m : { ...m, path };
  });
  const collisionGroups = mapShared(doc.collisionGroups, (g) => {
    const path = move(g.path);
    const members = mapShared(g.members, move);
    const filteredGroups = mapShared(g.filteredGroups, move);
    return path === g.path && members === g.members && filteredGroups === g.filteredGroups ? g : { ...g, path, members, filteredGroups };
  });
  const filteredPairs = mapShared(doc.filteredPairs, (pair): [string, string] => {
    const [a, b] = [move(pair[0]), move(pair[1])];
    return a === pair[0] && b === pair[1] ? pair : [a, b];
  });
  const references = doc.references && mapShared(doc.references, (r) => {
    const prim = move(r.prim);
    return prim === r.prim ? r : { ...r, prim };
  });
  return { ...doc, prims, joints, physicsMaterials, collisionGroups, filteredPairs, ...(references ? { references } : {}) };
}

/** The local transform under `newParent` that keeps the prim's world matrix. */
export function localTransformKeepingWorld(doc: SceneDocument, path: string, newParent: string | null): Transform {
  const worlds = worldMatrices(doc);
  const world = worlds.get(path)!;
  let local = world.clone();
  if (newParent !== null) {
    const parentWorld = worlds.get(newParent)!;
    const det = parentWorld.determinant();
    if (det === 0 || !Number.isFinite(det)) throw new EditError(path, 'transform', `cannot keep its world transform under ${newParent}: that prim's world transform is singular (a zero scale)`);
    local = parentWorld.clone().invert().multiply(world);
  }
  const transform = matrixToTransform(local);
  const back = transformToMatrix(transform).elements;
  const size = Math.max(1, ...local.elements.map(Math.abs));
  if (local.elements.some((e, k) => Math.abs(e - back[k]!) > 1e-6 * size)) {
    throw new EditError(path, 'transform', `cannot keep its world transform under ${newParent ?? 'the root'}: it would need shear (a rotated prim under a non-uniform scale); move it without keeping the world transform`);
  }
  return transform;
}

/**
 * The joint with each side whose body is gone attached to the world instead. The joint frame on
 * that side becomes the world pose it had on the body (position and rotation: the frame is in the
 * body's unscaled frame).
 */
export function detachJoint(joint: Joint, gone: (body: string | null) => boolean, worlds: Map<string, Matrix4>): Joint {
  let next = joint;
  for (const [body, pos, rot] of [['body0', 'localPos0', 'localRot0'], ['body1', 'localPos1', 'localRot1']] as const) {
    const path = joint[body];
    if (!gone(path)) continue;
    const bodyPosition = new Vector3();
    const bodyRotation = new Quaternion();
    worlds.get(path!)!.decompose(bodyPosition, bodyRotation, new Vector3());
    bodyRotation.normalize();
    const p = new Vector3(...joint[pos]).applyQuaternion(bodyRotation).add(bodyPosition);
    const q = bodyRotation.clone().multiply(new Quaternion(...joint[rot])).normalize();
    next = { ...next, [body]: null, [pos]: [p.x, p.y, p.z], [rot]: [q.x, q.y, q.z, q.w] };
  }
  return next;
}

// ------------------------------------------------------------------ structural sharing

export function replaceAt<T>(list: readonly T[], index: number, item: T): T[] {
  const out = list.slice();
  out[index] = item;
  return out;
}

export function replacePrim(doc: SceneDocument, index: number, prim: Prim): SceneDocument {
  return { ...doc, prims: replaceAt(doc.prims, index, prim) };
}

/** `list.map(f)`, or `list` itself when f returned every item unchanged. */
export function mapShared<T>(list: T[], f: (item: T) => T): T[] {
  let out: T[] | null = null;
  list.forEach((item, i) => {
    const next = f(item);
    if (next !== item) (out ??= list.slice())[i] = next;
  });
  return out ?? list;
}

/** `list.filter(keep)`, or `list` itself when nothing was dropped. */
export function filterShared<T>(list: T[], keep: (item: T) => boolean): T[] {
  const out = list.filter(keep);
  return out.length === list.length ? list : out;
}

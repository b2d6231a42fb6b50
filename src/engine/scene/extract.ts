/**
 * One prim's subtree of a scene as a scene of its own: the robot of a robot-on-a-table scene, say,
 * so the designer can offer it as an asset. The subtree comes with what it needs from the rest of
 * the scene: the physics materials its colliders are bound to and the Scope/Material prims that
 * hold them, the collision groups its colliders belong to (members cut down to the subtree), its
 * own joints (a side attached to a body outside becomes attached to the world), and filtered pairs
 * within it. The subtree's root becomes `/<its name>` with its world transform; prims taken
 * from outside it keep their place relative to the root's parent (`/World/Looks/Wood` for
 * `/World/Panda` becomes `/Panda/Looks/Wood`).
 */
import { EditError, atOrUnder, repath } from './edit.ts';
import { matrixToTransform, parentPath, primName, worldMatrices } from './hierarchy.ts';
import type { Prim, SceneDocument } from './schema.ts';

export function extractSubtree(doc: SceneDocument, root: string): SceneDocument {
  const rootPrim = doc.prims.find((p) => p.path === root);
  if (!rootPrim) throw new EditError(root, null, 'no prim has this path');
  const inside = (p: string | null) => p !== null && atOrUnder(p, root);
  const base = parentPath(root);
  const name = primName(root);
  const rootWorld = worldMatrices(doc).get(root)!;

  // Physics materials the subtree's colliders use, and collision groups that hold its colliders.
  const materialPaths = new Set(doc.prims.filter((p) => inside(p.path) && p.collider?.physicsMaterial).map((p) => p.collider!.physicsMaterial!));
  const groups = doc.collisionGroups
    .map((g) => ({
      ...g,
      // A member that is the root's ancestor held the whole subtree: the root stands for it now.
      members: [...new Set(g.members.flatMap((m) => (inside(m) ? [m] : atOrUnder(root, m) ? [root] : [])))],
    }))
    .filter((g) => g.members.length > 0);
  const groupPaths = new Set(groups.map((g) => g.path));
  const outsideNeeded = new Set([...materialPaths, ...groupPaths].filter((p) => !inside(p)));
  // Outside prims must sit below the root's parent to keep a place relative to it.
  for (const p of outsideNeeded) {
    if (base !== null && !atOrUnder(p, base)) throw new EditError(root, null, `needs ${p}, which is not below ${base}`);
  }
  // Their ancestors below the root's parent come too (the Looks scope of a material).
  const keepOutside = new Set<string>();
  for (const p of outsideNeeded) {
    for (let a: string | null = p; a !== null && a !== base; a = parentPath(a)) keepOutside.add(a);
  }
  // The root's name heads every kept path, so an outside prim must not land on one inside.
  const relocate = (p: string) => `/${name}${base === null ? p : p.slice(base.length)}`;
  const moveInside = (p: string) => `/${name}${p.slice(root.length)}`;
  for (const p of keepOutside) {
    if (doc.prims.some((q) => inside(q.path) && moveInside(q.path) === relocate(p))) throw new EditError(root, null, `${p} would land on ${relocate(p)}, a prim of the subtree`);
  }
  const move = (p: string) => (inside(p) ? moveInside(p) : relocate(p));

  const prims: Prim[] = [];
  for (const p of doc.prims) {
    if (p.path === root) prims.push({ ...p, transform: matrixToTransform(rootWorld) });
    else if (inside(p.path)) prims.push(p);
  }
  // Outside prims after the root's subtree, parents first (doc order is parent-before-child).
  for (const p of doc.prims) if (keepOutside.has(p.path)) prims.push(p);

  const bodies = new Set(doc.prims.filter((p) => inside(p.path) && p.body).map((p) => p.path));
  // The subtree's own joints (joints are prims too); a side on a body outside goes to the world.
  const joints = doc.joints
    .filter((j) => inside(j.path))
    .map((j) => ({ ...j, body0: j.body0 && bodies.has(j.body0) ? j.body0 : null, body1: j.body1 && bodies.has(j.body1) ? j.body1 : null }));
  const kept = new Set(prims.map((p) => p.path));
  const extracted: SceneDocument = {
    ...doc,
    prims,
    physicsMaterials: doc.physicsMaterials.filter((m) => materialPaths.has(m.path)),
    joints,
    collisionGroups: groups.map((g) => ({ ...g, filteredGroups: g.filteredGroups.filter((f) => groupPaths.has(f)) })),
    filteredPairs: doc.filteredPairs.filter(([a, b]) => kept.has(a) && kept.has(b)),
  };
  return repath(extracted, move);
}

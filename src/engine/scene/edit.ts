/**
 * Edits of a scene document: the pure operations behind the scene designer. Add, remove, rename and
 * move prims; set a prim's fields; add, update and remove joints and physics materials.
 *
 * Every operation takes a document and returns a new one. It never changes its input, and it
 * shares whatever it leaves alone (other prims, untouched arrays) with that input, so keeping every
 * version for undo costs little (history.ts). An edit that changes nothing returns its input
 * (===).
 *
 * Every value an edit writes is checked, first against the zod schema (schema.ts) and then against
 * what a person editing a scene means: a positive mass, a unit quaternion, low ≤ high in a joint
 * limit, joint bodies that are rigid body prims. The stricter checks apply only to the values an
 * edit changes, so a prim that loaded can still be edited even when it has some other value those
 * checks would refuse. A refused edit throws an EditError. Its message names the prim, joint or
 * material path, the field, and what was expected.
 *
 * References follow the prims they name. Renaming or moving a prim renames its descendants and
 * updates everything at or under it: joints (their paths and bodies), collider material bindings,
 * physics materials, collision groups (their paths, members and filtered groups) and filtered
 * pairs. Removing a prim removes all of those things along with it. Joints outside the prim that
 * would lose a body need an explicit policy.
 *
 * The operations are here; what valid values are lives in editRules.ts, path handling and
 * structural sharing in editPaths.ts, the errors in editErrors.ts (all re-exported here where
 * callers need them).
 *
 * Must not know about the UI, USD files, Rapier or three.js scenes. three is used for matrix maths
 * only, as in hierarchy.ts.
 */
import { identityTransform, newPrim } from './prim.ts';
import { assetsInUse, freeAssetKey } from './assets.ts';
import { isAssetKey } from './document.ts';
import { isImageKey } from './image.ts';
import { parentPath, primName, worldMatrices } from './hierarchy.ts';
import { Joint, PhysicsMaterial, Prim, PrimPath, type SceneDocument, type Transform } from './schema.ts';
import { AttachedJointsError, EditError, type JointPolicy } from './editErrors.ts';
import {
  checkJoint,
  checkName,
  checkRecord,
  invalid,
  MATERIAL_RULES,
  sameValue,
  show,
  withPrimField,
  type JointEditOptions,
  type PrimField,
  type PrimFields,
} from './editRules.ts';
import {
  assertPathFree,
  atOrUnder,
  childPath,
  detachJoint,
  filterShared,
  lastIndexAtOrUnder,
  localTransformKeepingWorld,
  mapShared,
  movePaths,
  primAt,
  repath,
  replaceAt,
  replacePrim,
} from './editPaths.ts';

export { AttachedJointsError, EditError, type JointPolicy } from './editErrors.ts';
export { PRIM_FIELDS, type PrimField, type PrimFields, type JointEditOptions } from './editRules.ts';
export { atOrUnder, childPath, repath } from './editPaths.ts';
export { identityTransform } from './prim.ts';

// ------------------------------------------------------------------ public types

export interface RemovePrimOptions {
  /**
   * Required only when such joints exist. 'detach-joints' attaches that side of the joint to the
   * world (null). The joint's frame on that side is moved into world coordinates from the body's
   * authored pose, so the anchor stays where it was.
   */
  joints?: JointPolicy;
}

export interface ReparentOptions {
  /**
   * Keep the prim where it is in the world (default true). Its new local transform is computed
   * from world matrices. A move whose result would need shear (a rotated child under a parent
   * that is scaled non-uniformly) is refused, because a Transform cannot hold shear. With false,
   * the local transform is kept and the prim moves with its new parent.
   */
  keepWorldTransform?: boolean;
}

export type JointPatch = Partial<Omit<Joint, 'path'>>;

export type PhysicsMaterialPatch = Partial<Omit<PhysicsMaterial, 'path'>>;

// ------------------------------------------------------------------ prims

/**
 * Adds a prim named `name` under `parent` (null for a root prim), at parent + "/" + name. It goes
 * after the parent's last descendant, so `prims` stays in parent-before-child order and siblings
 * stay in the order they were created.
 */
export function addPrim(doc: SceneDocument, parent: string | null, name: string, fields: PrimFields = {}): SceneDocument {
  if (parent !== null && !doc.prims.some((p) => p.path === parent)) throw new EditError(parent, null, `no prim has this path (adding "${name}" under it)`);
  checkName(parent ?? '/', name);
  const path = childPath(parent, name);
  assertPathFree(doc, path);
  let prim: Prim = newPrim(path);
  for (const [field, value] of Object.entries(fields)) prim = withPrimField(doc, prim, field, value, undefined);
  const insertAt = parent === null ? doc.prims.length : lastIndexAtOrUnder(doc.prims, parent) + 1;
  return { ...doc, prims: [...doc.prims.slice(0, insertAt), prim, ...doc.prims.slice(insertAt)] };
}

/**
 * Inserts another scene (an imported asset: a USD file, a URDF robot, another project) under a new
 * Xform prim `name` below `parent`, placed by `transform`. The asset keeps its own prim paths
 * below that prim — `/Robot/link1` becomes `<parent>/<name>/Robot/link1` — and so do its joints,
 * physics materials, collision groups and filtered pairs, which are re-pathed with it. The asset's
 * gravity and source are not taken. The asset is a document an importer made (validated there).
 */
export function insertScene(doc: SceneDocument, parent: string | null, name: string, asset: SceneDocument, transform: Transform = identityTransform()): SceneDocument {
  const withRoot = addPrim(doc, parent, name, { transform });
  const root = childPath(parent, name);
  const moved = repath(asset, (p) => root + p);
  const insertAt = lastIndexAtOrUnder(withRoot.prims, root) + 1;
  // The asset's images come along, each under a key of its own in this document.
  const assets = { ...(withRoot.assets ?? {}) };
  const { prims } = withImagesIn(assets, moved, asset.assets);
  return {
    ...withRoot,
    ...(Object.keys(assets).length ? { assets } : {}),
    prims: [...withRoot.prims.slice(0, insertAt), ...prims, ...withRoot.prims.slice(insertAt)],
    joints: [...withRoot.joints, ...moved.joints],
    physicsMaterials: [...withRoot.physicsMaterials, ...moved.physicsMaterials],
    collisionGroups: [...withRoot.collisionGroups, ...moved.collisionGroups],
    filteredPairs: [...withRoot.filteredPairs, ...moved.filteredPairs],
  };
}

/**
 * Adds the images `scene`'s looks show (their data in `files`, keyed as the looks name them) to
 * `assets`, each under a key free there (freeAssetKey: the same file keeps its key, another file
 * with that name gets `name_1.png`, …), and returns `scene` with its looks naming those keys.
 */
export function withImagesIn(assets: Record<string, string>, scene: SceneDocument, files: Readonly<Record<string, string>> = scene.assets ?? {}): SceneDocument {
  const renamed = new Map<string, string>();
  for (const prim of scene.prims) {
    const image = prim.material?.image;
    if (!image || renamed.has(image)) continue;
    const data = files[image];
    if (data === undefined) throw new EditError(prim.path, 'material.image', `${image} is not among the files that came with the scene`);
    const key = freeAssetKey(assets, image, data);
    assets[key] = data;
    renamed.set(image, key);
  }
  if (![...renamed].some(([from, to]) => from !== to)) return scene;
  return { ...scene, prims: scene.prims.map((p) => (p.material?.image ? { ...p, material: { ...p.material, image: renamed.get(p.material.image)! } } : p)) };
}

/**
 * Removes a prim and its descendants, with everything that lives at or under them: joints,
 * physics materials and collision groups. It also drops the removed paths from collision group
 * members and filtered groups, and drops filtered pairs that name them. Colliders bound to a
 * removed physics material fall back to the default material (null). Joints outside the subtree
 * that attach to a body inside it need `options.joints`; without it an AttachedJointsError lists
 * them.
 */
export function removePrim(doc: SceneDocument, path: string, options: RemovePrimOptions = {}): SceneDocument {
  primAt(doc, path);
  const gone = (p: string) => atOrUnder(p, path);
  const goneBody = (b: string | null) => b !== null && gone(b);
  const kept = filterShared(doc.joints, (j) => !gone(j.path));
  const attached = kept.filter((j) => goneBody(j.body0) || goneBody(j.body1));
  if (attached.length && !options.joints) throw new AttachedJointsError(path, attached.map((j) => j.path));

  let joints = kept;
  if (attached.length && options.joints === 'remove-joints') {
    // Their prims go too (removeJoint); a joint prim's own subtree is left to that call.
    let next = { ...doc, joints: kept.filter((j) => !attached.includes(j)) };
    for (const j of attached) if (next.prims.some((p) => p.path === j.path)) next = removePrim(next, j.path);
    return removePrim(next, path, options);
  }
  if (attached.length && options.joints === 'detach-joints') {
    const worlds = worldMatrices(doc);
    joints = kept.map((j) => (attached.includes(j) ? detachJoint(j, goneBody, worlds) : j));
  }
  const materialGone = (m: string | null | undefined) => m != null && gone(m);
  const prims = mapShared(filterShared(doc.prims, (p) => !gone(p.path)), (p) =>
    p.collider && materialGone(p.collider.physicsMaterial) ? { ...p, collider: { ...p.collider, physicsMaterial: null } } : p,
  );
  const collisionGroups = mapShared(filterShared(doc.collisionGroups, (g) => !gone(g.path)), (g) => {
    const members = filterShared(g.members, (m) => !gone(m));
    const filteredGroups = filterShared(g.filteredGroups, (m) => !gone(m));
    return members === g.members && filteredGroups === g.filteredGroups ? g : { ...g, members, filteredGroups };
  });
  const { references: _references, assets: _assets, ...rest } = doc;
  return {
    ...rest,
    prims,
    joints,
    physicsMaterials: filterShared(doc.physicsMaterials, (m) => !gone(m.path)),
    collisionGroups,
    filteredPairs: filterShared(doc.filteredPairs, ([a, b]) => !gone(a) && !gone(b)),
    ...referencesWithout(doc, gone, prims),
  };
}

/** The references and assets left when the prims `gone` picks are removed, leaving `prims`. */
function referencesWithout(doc: SceneDocument, gone: (path: string) => boolean, prims: Prim[]): Pick<SceneDocument, 'references' | 'assets'> {
  const references = doc.references ? filterShared(doc.references, (r) => !gone(r.prim)) : [];
  const assets = doc.assets ? assetsInUse(references, prims, doc.assets) : {};
  return { ...(references.length ? { references } : {}), ...(Object.keys(assets).length ? { assets } : {}) };
}

/** `doc` without the assets nothing uses any more (after a look or a reference changed). */
function withAssetsInUse(doc: SceneDocument): SceneDocument {
  if (!doc.assets) return doc;
  const assets = assetsInUse(doc.references ?? [], doc.prims, doc.assets);
  if (assets === doc.assets) return doc;
  const { assets: _assets, ...rest } = doc;
  return Object.keys(assets).length ? { ...rest, assets } : rest;
}

/**
 * Shows an image file (PNG or JPEG, as assetText: "base64:…") on a prim's look, tinted by its
 * colour; the bundled texture, if any, gives way. The file is kept in the document's assets under
 * `key` (or `name_1.png`, … when another file has that key); the look's previous image goes when
 * nothing else shows it. A prim without a look gets a white one.
 */
export function setLookImage(doc: SceneDocument, path: string, key: string, data: string): SceneDocument {
  const [, prim] = primAt(doc, path);
  if (!isAssetKey(key) || !isImageKey(key)) throw new EditError(path, 'material.image', `must be a relative .png, .jpg or .jpeg path inside the scene's folder, got "${key}"`);
  if (!data.startsWith('base64:')) throw new EditError(path, 'material.image', 'must be the file\'s bytes as "base64:…"');
  const assets = doc.assets ?? {};
  const free = freeAssetKey(assets, key, data);
  const { texture: _texture, ...look } = prim.material ?? { color: [1, 1, 1] as [number, number, number], roughness: 0.5, metallic: 0, opacity: 1 };
  const withFile = { ...doc, assets: { ...assets, [free]: data } };
  return setPrimField(withFile, path, 'material', { ...look, image: free });
}

/** Renames a prim. Its descendants, and every reference to it or to them, follow. */
export function renamePrim(doc: SceneDocument, path: string, name: string): SceneDocument {
  primAt(doc, path);
  checkName(path, name);
  const to = childPath(parentPath(path), name);
  if (to === path) return doc;
  assertPathFree(doc, to);
  return movePaths(doc, path, to);
}

/**
 * Moves a prim and its subtree under `newParent` (null: to the root), keeping its name. References
 * follow as in renamePrim. The subtree goes after the new parent's last descendant. It is refused
 * when the new parent is the prim itself or one of its descendants, or when the destination path
 * is in use.
 */
export function reparentPrim(doc: SceneDocument, path: string, newParent: string | null, options: ReparentOptions = {}): SceneDocument {
  const [index, prim] = primAt(doc, path);
  if (newParent !== null) {
    if (!doc.prims.some((p) => p.path === newParent)) throw new EditError(path, null, `cannot move under ${newParent}: no prim has that path`);
    if (atOrUnder(newParent, path)) throw new EditError(path, null, `cannot move under ${newParent}: that is this prim or one of its descendants`);
  }
  if (parentPath(path) === newParent) return doc;
  const to = childPath(newParent, primName(path));
  assertPathFree(doc, to);

  let next = doc;
  if (options.keepWorldTransform ?? true) {
    const transform = localTransformKeepingWorld(doc, path, newParent);
    next = replacePrim(doc, index, { ...prim, transform });
  }
  next = movePaths(next, path, to);
  const moving = next.prims.filter((p) => atOrUnder(p.path, to));
  const rest = next.prims.filter((p) => !atOrUnder(p.path, to));
  const insertAt = newParent === null ? rest.length : lastIndexAtOrUnder(rest, newParent) + 1;
  return { ...next, prims: [...rest.slice(0, insertAt), ...moving, ...rest.slice(insertAt)] };
}

/**
 * Sets one field of a prim (undefined removes an optional one). The value is checked as described
 * in the header. Removing `body` from a prim that joints attach to is refused: change or remove
 * those joints first.
 */
export function setPrimField<K extends PrimField>(doc: SceneDocument, path: string, field: K, value: Prim[K]): SceneDocument {
  const [index, prim] = primAt(doc, path);
  if (sameValue(prim[field], value)) return doc;
  const next = replacePrim(doc, index, withPrimField(doc, prim, field, value, prim[field]));
  return field === 'material' ? withAssetsInUse(next) : next;
}

// One-line forms of setPrimField for the inspector's sections.
export const setTransform = (doc: SceneDocument, path: string, transform: Transform) => setPrimField(doc, path, 'transform', transform);
export const setGeometry = (doc: SceneDocument, path: string, geometry: Prim['geometry']) => setPrimField(doc, path, 'geometry', geometry);
export const setVisualMaterial = (doc: SceneDocument, path: string, material: Prim['material']) => setPrimField(doc, path, 'material', material);
export const setRigidBody = (doc: SceneDocument, path: string, body: Prim['body']) => setPrimField(doc, path, 'body', body);
export const setMassProperties = (doc: SceneDocument, path: string, mass: Prim['mass']) => setPrimField(doc, path, 'mass', mass);
export const setCollider = (doc: SceneDocument, path: string, collider: Prim['collider']) => setPrimField(doc, path, 'collider', collider);
export const setLabels = (doc: SceneDocument, path: string, labels: Prim['labels']) => setPrimField(doc, path, 'labels', labels);
export const setCamera = (doc: SceneDocument, path: string, camera: Prim['camera']) => setPrimField(doc, path, 'camera', camera);
export const setLight = (doc: SceneDocument, path: string, light: Prim['light']) => setPrimField(doc, path, 'light', light);
export const setVisibility = (doc: SceneDocument, path: string, visible: boolean) => setPrimField(doc, path, 'visible', visible);

// ------------------------------------------------------------------ joints

/** Adds a joint. Its path must not be used by another joint, and its bodies must be rigid body prims (or null: the world). */
export function addJoint(doc: SceneDocument, joint: Joint, options: JointEditOptions = {}): SceneDocument {
  const path: unknown = (joint as Partial<Joint> | null)?.path;
  if (!PrimPath.safeParse(path).success) throw invalid('(new joint)', 'path', 'a prim path like "/World/Joint"', path);
  if (doc.joints.some((j) => j.path === path)) throw new EditError(joint.path, null, 'a joint with this path already exists');
  return { ...doc, joints: [...doc.joints, checkJoint(doc, joint, undefined, options)] };
}

/** Changes some fields of a joint. Only the fields in `patch` get the stricter checks. */
export function updateJoint(doc: SceneDocument, path: string, patch: JointPatch, options: JointEditOptions = {}): SceneDocument {
  const index = doc.joints.findIndex((j) => j.path === path);
  const before = doc.joints[index];
  if (!before) throw new EditError(path, null, 'no joint has this path');
  const merged = { ...before, ...patch, path: before.path };
  if (sameValue(merged, before)) return doc;
  return { ...doc, joints: replaceAt(doc.joints, index, checkJoint(doc, merged, before, options)) };
}

/** Removes a joint, and its prim when the document has one (a joint prim is nothing without its joint). */
export function removeJoint(doc: SceneDocument, path: string): SceneDocument {
  if (!doc.joints.some((j) => j.path === path)) throw new EditError(path, null, 'no joint has this path');
  if (doc.prims.some((p) => p.path === path)) return removePrim(doc, path);
  return { ...doc, joints: doc.joints.filter((j) => j.path !== path) };
}

// ------------------------------------------------------------------ physics materials

/** Adds a physics material. Its path must not be used by another material. Colliders bind to it by setting collider.physicsMaterial. */
export function addPhysicsMaterial(doc: SceneDocument, material: PhysicsMaterial): SceneDocument {
  const path: unknown = (material as Partial<PhysicsMaterial> | null)?.path;
  if (!PrimPath.safeParse(path).success) throw invalid('(new physics material)', 'path', 'a prim path like "/World/Looks/Rubber"', path);
  if (doc.physicsMaterials.some((m) => m.path === path)) throw new EditError(material.path, null, 'a physics material with this path already exists');
  const checked = checkRecord(PhysicsMaterial, material, undefined, { path: material.path, prefix: [], rules: MATERIAL_RULES });
  return { ...doc, physicsMaterials: [...doc.physicsMaterials, checked] };
}

export function updatePhysicsMaterial(doc: SceneDocument, path: string, patch: PhysicsMaterialPatch): SceneDocument {
  const index = doc.physicsMaterials.findIndex((m) => m.path === path);
  const before = doc.physicsMaterials[index];
  if (!before) throw new EditError(path, null, 'no physics material has this path');
  const merged = { ...before, ...patch, path: before.path };
  if (sameValue(merged, before)) return doc;
  const checked = checkRecord(PhysicsMaterial, merged, before, { path, prefix: [], rules: MATERIAL_RULES });
  return { ...doc, physicsMaterials: replaceAt(doc.physicsMaterials, index, checked) };
}

/** Removes a physics material. Colliders bound to it fall back to the default material (null). */
export function removePhysicsMaterial(doc: SceneDocument, path: string): SceneDocument {
  if (!doc.physicsMaterials.some((m) => m.path === path)) throw new EditError(path, null, 'no physics material has this path');
  return {
    ...doc,
    physicsMaterials: doc.physicsMaterials.filter((m) => m.path !== path),
    prims: mapShared(doc.prims, (p) => (p.collider?.physicsMaterial === path ? { ...p, collider: { ...p.collider, physicsMaterial: null } } : p)),
  };
}

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
 * Must not know about the UI, USD files, Rapier or three.js scenes. three is used for matrix maths
 * only, as in hierarchy.ts.
 */
import { identityTransform, newPrim } from './prim.ts';
import { Matrix4, Quaternion, Vector3 } from 'three';
import type { z } from 'zod';
import { assetsInUse, freeAssetKey } from './assets.ts';
import { isAssetKey } from './document.ts';
import { isImageData, isImageKey } from './image.ts';
import { matrixToTransform, parentPath, primName, transformToMatrix, worldMatrices } from './hierarchy.ts';
import { Joint, PhysicsMaterial, Prim, PrimPath, type SceneDocument, type Transform } from './schema.ts';

// ------------------------------------------------------------------ errors

/**
 * An edit the document cannot take. `path` is the prim, joint or material the edit addressed.
 * `field` is the field that was refused ("mass.mass", "limits[0]"), or null when the edit as a
 * whole is refused (a missing prim, a path in use).
 */
export class EditError extends Error {
  override readonly name: string = 'EditError';
  constructor(
    readonly path: string,
    readonly field: string | null,
    /** What is wrong, e.g. "must be a positive number of kilograms, got -1". */
    readonly detail: string,
  ) {
    super(field ? `${path}: ${field} ${detail}` : `${path}: ${detail}`);
  }
}

/**
 * Removing a prim would leave joints outside it attached to a body that no longer exists. The
 * caller must choose a JointPolicy, for example by asking the person. `joints` lists the joints'
 * paths.
 */
export class AttachedJointsError extends EditError {
  override readonly name: string = 'AttachedJointsError';
  constructor(
    path: string,
    readonly joints: readonly string[],
  ) {
    super(path, null, `cannot be removed while joints outside it attach to it: ${joints.join(', ')} (choose 'remove-joints' or 'detach-joints')`);
  }
}

// ------------------------------------------------------------------ public types

/** The prim fields an edit can set. `path` changes only through renamePrim and reparentPrim. */
export const PRIM_FIELDS = ['type', 'transform', 'visible', 'geometry', 'material', 'body', 'mass', 'collider', 'labels', 'camera', 'light', 'articulationRoot'] as const;
export type PrimField = (typeof PRIM_FIELDS)[number];

/** The fields of a new prim. Anything left out gets its default: an identity "Xform" that is visible and has no labels. */
export type PrimFields = Partial<Pick<Prim, PrimField>>;

/** What happens to joints outside a removed subtree that attach to a body inside it. */
export type JointPolicy = 'remove-joints' | 'detach-joints';

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

export interface JointEditOptions {
  /**
   * Accept a limit with low > high, which locks that degree of freedom (UsdPhysics). Without this
   * option such a limit is refused: coming from an inspector it is almost always a typing mistake.
   */
  allowLockedLimits?: boolean;
}

export type JointPatch = Partial<Omit<Joint, 'path'>>;
export type PhysicsMaterialPatch = Partial<Omit<PhysicsMaterial, 'path'>>;

// ------------------------------------------------------------------ prims

/** The path a prim named `name` gets under `parent` (null: a root prim). */
export function childPath(parent: string | null, name: string): string {
  return `${parent ?? ''}/${name}`;
}

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

// ------------------------------------------------------------------ what valid values are

type Segment = string | number;

interface FieldRule {
  /** Completes "<field> must be …". */
  expected: string;
  /** A check beyond the schema. It runs on the values an edit changes, never on the undefined of an absent optional field. */
  holds?: (value: unknown) => boolean;
}

/** Rules keyed by field, with "[]" standing for any index of an array ("limits[].low"). */
type FieldRules = Readonly<Record<string, FieldRule>>;

const QUATERNION_TOLERANCE = 1e-6;
const numbers = (v: unknown) => v as readonly number[];
const isUnitQuaternion = (v: unknown) => Math.abs(Math.hypot(...numbers(v)) - 1) <= QUATERNION_TOLERANCE;
const allNonNegative = (v: unknown) => numbers(v).every((x) => x >= 0);
const allInUnitRange = (v: unknown) => numbers(v).every((x) => x >= 0 && x <= 1);
const isTriples = (v: unknown) => numbers(v).length % 3 === 0;

const UNIT_QUATERNION: FieldRule = { expected: 'a unit quaternion [x, y, z, w]', holds: isUnitQuaternion };
const BOOLEAN: FieldRule = { expected: 'true or false' };
const LENGTH: FieldRule = { expected: 'a non-negative number of metres' };
const AXIS: FieldRule = { expected: '"X", "Y" or "Z"' };
const UNIT_RANGE: FieldRule = { expected: 'a number between 0 and 1' };
const COLOR: FieldRule = { expected: 'three numbers between 0 and 1 (linear RGB)', holds: allInUnitRange };
const POSITIVE: FieldRule = { expected: 'a positive number' };
const DOFS = '"transX", "transY", "transZ", "rotX", "rotY", "rotZ", "distance", "linear" or "angular"';

const PRIM_RULES: FieldRules = {
  type: { expected: 'a USD type name ("Xform", "Cube", …) or ""' },
  transform: { expected: 'a transform { position, orientation, scale }' },
  'transform.position': { expected: 'three finite numbers (metres, relative to the parent)' },
  'transform.orientation': UNIT_QUATERNION,
  'transform.scale': { expected: 'three finite, non-zero numbers', holds: (v) => numbers(v).every((x) => x !== 0) },
  visible: BOOLEAN,
  articulationRoot: BOOLEAN,
  geometry: { expected: 'a geometry: box, sphere, cylinder, capsule, cone, plane or mesh' },
  'geometry.kind': { expected: '"box", "sphere", "cylinder", "capsule", "cone", "plane" or "mesh"' },
  'geometry.size': { expected: 'three non-negative numbers (metres)', holds: allNonNegative },
  'geometry.radius': LENGTH,
  'geometry.height': LENGTH,
  'geometry.width': LENGTH,
  'geometry.length': LENGTH,
  'geometry.axis': AXIS,
  'geometry.points': { expected: 'a flat list of xyz triples of finite numbers', holds: isTriples },
  'geometry.indices': { expected: 'a flat list of triangles (three non-negative integer vertex indices each)', holds: isTriples },
  'geometry.normals': { expected: 'a flat list of xyz triples of finite numbers', holds: isTriples },
  material: { expected: 'a visual material { color, roughness, metallic, opacity }' },
  'material.color': COLOR,
  'material.roughness': UNIT_RANGE,
  'material.metallic': UNIT_RANGE,
  'material.opacity': UNIT_RANGE,
  body: { expected: 'a rigid body { type, enabled, linearVelocity, angularVelocity, startsAsleep }' },
  'body.type': { expected: '"dynamic", "kinematic" or "static"' },
  'body.enabled': BOOLEAN,
  'body.startsAsleep': BOOLEAN,
  'body.linearVelocity': { expected: 'three finite numbers (m/s, world frame)' },
  'body.angularVelocity': { expected: 'three finite numbers (rad/s, world frame)' },
  mass: { expected: 'mass properties { mass?, density?, centerOfMass?, diagonalInertia?, principalAxes? }' },
  'mass.mass': { expected: 'a positive number of kilograms' },
  'mass.density': { expected: 'a positive density in kg/m³' },
  'mass.centerOfMass': { expected: "three finite numbers (metres, in the prim's frame)" },
  'mass.diagonalInertia': { expected: 'three non-negative numbers (kg·m²)', holds: allNonNegative },
  'mass.principalAxes': UNIT_QUATERNION,
  collider: { expected: 'a collider { enabled, approximation, physicsMaterial }' },
  'collider.enabled': BOOLEAN,
  'collider.approximation': { expected: '"none", "convexHull", "convexDecomposition", "boundingSphere", "boundingCube" or "meshSimplification"' },
  'collider.physicsMaterial': { expected: 'the path of a physics material in the scene, or null' },
  labels: {
    expected: 'a map from taxonomy ("class", …) to a list of labels, all non-empty strings',
    holds: (v) => Object.entries(v as Record<string, string[]>).every(([taxonomy, labels]) => taxonomy.length > 0 && labels.every((l) => l.length > 0)),
  },
  camera: { expected: 'a camera { projection, fovY, aspect, near, far, focalLength, horizontalAperture, verticalAperture }' },
  'camera.projection': { expected: '"perspective" or "orthographic"' },
  'camera.fovY': { expected: 'an angle in radians between 0 and π', holds: (v) => (v as number) < Math.PI },
  'camera.aspect': POSITIVE,
  'camera.near': { expected: 'a positive distance in metres' },
  'camera.far': { expected: 'a positive distance in metres' },
  'camera.focalLength': POSITIVE,
  'camera.horizontalAperture': POSITIVE,
  'camera.verticalAperture': POSITIVE,
  light: { expected: 'a light { kind, color, intensity, exposure }' },
  'light.kind': { expected: '"distant", "sphere", "rect", "disk", "dome" or "cylinder"' },
  'light.color': COLOR,
  'light.intensity': { expected: 'a non-negative number' },
  'light.exposure': { expected: 'a finite number (stops)' },
};

const JOINT_RULES: FieldRules = {
  type: { expected: '"revolute", "prismatic", "spherical", "fixed", "distance" or "d6"' },
  body0: { expected: 'the path of a rigid body prim in the scene, or null (the world)' },
  body1: { expected: 'the path of a rigid body prim in the scene, or null (the world)' },
  localPos0: { expected: "three finite numbers (metres, in body0's frame)" },
  localPos1: { expected: "three finite numbers (metres, in body1's frame)" },
  localRot0: UNIT_QUATERNION,
  localRot1: UNIT_QUATERNION,
  axis: AXIS,
  enabled: BOOLEAN,
  collisionEnabled: BOOLEAN,
  excludeFromArticulation: BOOLEAN,
  limits: { expected: 'a list of limits { dof, low, high }' },
  'limits[].dof': { expected: DOFS },
  'limits[].low': { expected: 'a finite number or null (unbounded)' },
  'limits[].high': { expected: 'a finite number or null (unbounded)' },
  drives: { expected: 'a list of drives { dof, type, stiffness, damping, targetPosition, targetVelocity, maxForce }' },
  'drives[].dof': { expected: DOFS },
  'drives[].type': { expected: '"force" or "acceleration"' },
  'drives[].stiffness': { expected: 'a non-negative number (N/m or N·m/rad)' },
  'drives[].damping': { expected: 'a non-negative number (N·s/m or N·m·s/rad)' },
  'drives[].targetPosition': { expected: 'a finite number (m or rad)' },
  'drives[].targetVelocity': { expected: 'a finite number (m/s or rad/s)' },
  'drives[].maxForce': { expected: 'a non-negative number or null (unlimited)' },
  coneAngle0: { expected: 'a non-negative angle in radians, or null', holds: (v) => v === null || (v as number) >= 0 },
  coneAngle1: { expected: 'a non-negative angle in radians, or null', holds: (v) => v === null || (v as number) >= 0 },
  minDistance: { expected: 'a non-negative number of metres, or null', holds: (v) => v === null || (v as number) >= 0 },
  maxDistance: { expected: 'a non-negative number of metres, or null', holds: (v) => v === null || (v as number) >= 0 },
};

const MATERIAL_RULES: FieldRules = {
  staticFriction: { expected: 'a non-negative friction coefficient' },
  dynamicFriction: { expected: 'a non-negative friction coefficient' },
  restitution: { expected: 'a non-negative restitution coefficient' },
  density: { expected: 'a positive density in kg/m³' },
  frictionCombine: { expected: '"average", "min", "multiply" or "max"' },
  restitutionCombine: { expected: '"average", "min", "multiply" or "max"' },
};

interface Where {
  /** The prim, joint or material path named in errors. */
  path: string;
  /** Where `value` sits in the rules' keys: ["mass"] for a prim's mass, [] for a whole joint. */
  prefix: readonly Segment[];
  rules: FieldRules;
}

/**
 * `value` checked against `schema` and then against the stricter rules. A rule skips a value that
 * equals one at the same place in `previous`, which is the value being replaced (undefined when
 * there is none). Returns the parsed value with undefined-valued keys dropped.
 */
function checkRecord<T>(schema: z.ZodType<T>, value: unknown, previous: unknown, at: Where): T {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodIssue(result.error.issues[0]!, value, at);
  for (const [key, rule] of Object.entries(at.rules)) {
    if (!rule.holds) continue;
    const segments = parseKey(key);
    if (!at.prefix.every((s, i) => segments[i] === s)) continue;
    const relative = segments.slice(at.prefix.length);
    const before = previous === undefined ? [] : leaves(previous, relative);
    for (const leaf of leaves(result.data, relative)) {
      if (before.some((b) => sameValue(b.value, leaf.value))) continue;
      if (!rule.holds(leaf.value)) throw invalid(at.path, fieldName([...at.prefix, ...leaf.at]), rule.expected, leaf.value);
    }
  }
  return withoutUndefined(result.data);
}

/** A zod issue as an EditError, reported at the deepest field that has a rule (so "transform.position", not "transform.position[1]"). */
function fromZodIssue(issue: z.core.$ZodIssue, value: unknown, at: Where): EditError {
  const relative = issue.path.filter((s): s is Segment => typeof s !== 'symbol');
  const full = [...at.prefix, ...relative];
  for (let n = full.length; n >= Math.max(at.prefix.length, 1); n--) {
    const rule = at.rules[ruleKey(full.slice(0, n))];
    if (rule) return invalid(at.path, fieldName(full.slice(0, n)), rule.expected, valueAt(value, full.slice(at.prefix.length, n)));
  }
  return new EditError(at.path, full.length ? fieldName(full) : null, issue.message);
}

function invalid(path: string, field: string, expected: string, got: unknown): EditError {
  return new EditError(path, field, `must be ${expected}, got ${show(got)}`);
}

/** Checks of a prim field that need the rest of the document or several fields together. */
function withPrimField(doc: SceneDocument, prim: Prim, field: string, value: unknown, previous: unknown): Prim {
  if (!(PRIM_FIELDS as readonly string[]).includes(field)) throw new EditError(prim.path, field, 'is not a prim field an edit can set');
  const key = field as PrimField;
  const schema: z.ZodType = Prim.shape[key];
  const checked = checkRecord(schema, value, previous, { path: prim.path, prefix: [key], rules: PRIM_RULES });
  if (key === 'collider' && checked) {
    const material = (checked as NonNullable<Prim['collider']>).physicsMaterial;
    if (material !== null && !doc.physicsMaterials.some((m) => m.path === material)) {
      throw invalid(prim.path, 'collider.physicsMaterial', PRIM_RULES['collider.physicsMaterial']!.expected, material);
    }
  }
  if (key === 'body' && checked === undefined && previous !== undefined) {
    const joints = doc.joints.filter((j) => j.body0 === prim.path || j.body1 === prim.path).map((j) => j.path);
    if (joints.length) throw new EditError(prim.path, 'body', `cannot be removed while joints attach to it: ${joints.join(', ')} (change or remove them first)`);
  }
  if (key === 'material' && checked) {
    const look = checked as NonNullable<Prim['material']>;
    if (look.image !== undefined && look.texture !== undefined) throw new EditError(prim.path, 'material.image', `a look shows an image or a bundled texture, not both (texture is "${look.texture}")`);
    if (look.image !== undefined && !isImageData(doc.assets?.[look.image] ?? '')) throw new EditError(prim.path, 'material.image', `must be an image among the scene's assets, got "${look.image}"`);
  }
  if (key === 'camera' && checked) {
    const camera = checked as NonNullable<Prim['camera']>;
    if (camera.far <= camera.near) throw new EditError(prim.path, 'camera.far', `must be greater than camera.near (${show(camera.near)}), got ${show(camera.far)}`);
  }
  if (key === 'geometry' && checked && (checked as NonNullable<Prim['geometry']>).kind === 'mesh') {
    const mesh = checked as Extract<NonNullable<Prim['geometry']>, { kind: 'mesh' }>;
    const vertices = mesh.points.length / 3;
    const bad = mesh.indices.findIndex((i) => i >= vertices);
    if (bad >= 0) throw new EditError(prim.path, `geometry.indices[${bad}]`, `must be a vertex index below ${vertices} (the number of points), got ${mesh.indices[bad]}`);
    if (mesh.normals && mesh.normals.length !== mesh.points.length) {
      throw new EditError(prim.path, 'geometry.normals', `must have one normal per point (${mesh.points.length} numbers), got ${mesh.normals.length} numbers`);
    }
    if (mesh.uvs && mesh.uvs.length * 3 !== mesh.points.length * 2) {
      throw new EditError(prim.path, 'geometry.uvs', `must have one uv pair per point (${(mesh.points.length / 3) * 2} numbers), got ${mesh.uvs.length} numbers`);
    }
  }
  const next: Record<string, unknown> = { ...prim, [key]: checked };
  if (checked === undefined) delete next[key];
  return next as Prim;
}

/** A whole joint checked. The stricter checks run on the fields that differ from `previous`. */
function checkJoint(doc: SceneDocument, joint: unknown, previous: Joint | undefined, options: JointEditOptions): Joint {
  const path = (joint as Joint).path;
  const checked = checkRecord(Joint, joint, previous, { path, prefix: [], rules: JOINT_RULES });
  const changed = (field: keyof Joint) => previous === undefined || !sameValue(checked[field], previous[field]);
  for (const side of ['body0', 'body1'] as const) {
    const body = checked[side];
    if (body === null || !changed(side)) continue;
    const prim = doc.prims.find((p) => p.path === body);
    if (!prim) throw new EditError(path, side, `must be the path of a rigid body prim in the scene, or null (the world), got ${show(body)} (no prim has that path)`);
    if (!prim.body) throw new EditError(path, side, `must be the path of a rigid body prim in the scene, or null (the world), got ${show(body)} (a prim without a rigid body)`);
  }
  if (checked.body0 !== null && checked.body0 === checked.body1 && (changed('body0') || changed('body1'))) {
    throw new EditError(path, 'body1', `must be a different body from body0 (a joint cannot connect a body to itself), got ${show(checked.body1)}`);
  }
  if (changed('limits')) {
    checked.limits.forEach((limit, i) => {
      if (previous?.limits.some((l) => sameValue(l, limit))) return;
      if (checked.limits.findIndex((l) => l.dof === limit.dof) !== i) throw new EditError(path, `limits[${i}].dof`, `must name a degree of freedom that has no other limit, got ${show(limit.dof)}`);
      if (limit.low !== null && limit.high !== null && limit.low > limit.high && !options.allowLockedLimits) {
        throw new EditError(path, `limits[${i}]`, `must have low ≤ high, got low ${show(limit.low)} > high ${show(limit.high)} (low > high locks the degree of freedom: ask for a lock explicitly)`);
      }
    });
  }
  if (changed('drives')) {
    checked.drives.forEach((drive, i) => {
      if (checked.drives.findIndex((d) => d.dof === drive.dof) !== i) throw new EditError(path, `drives[${i}].dof`, `must name a degree of freedom that has no other drive, got ${show(drive.dof)}`);
    });
  }
  const { minDistance, maxDistance } = checked;
  if ((changed('minDistance') || changed('maxDistance')) && minDistance !== null && maxDistance !== null && minDistance > maxDistance) {
    throw new EditError(path, 'maxDistance', `must be at least minDistance (${show(minDistance)}), got ${show(maxDistance)}`);
  }
  return checked;
}

function checkName(where: string, name: unknown): asserts name is string {
  // USD identifiers, as the URDF importer also produces: the path stays valid when written back to USD.
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw invalid(where, 'name', 'a USD identifier (letters, digits and _, not starting with a digit)', name);
  }
}

// ------------------------------------------------------------------ paths and references

export const atOrUnder = (path: string, root: string) => path === root || path.startsWith(`${root}/`);

function primAt(doc: SceneDocument, path: string): [number, Prim] {
  const index = doc.prims.findIndex((p) => p.path === path);
  if (index < 0) throw new EditError(path, null, 'no prim has this path');
  return [index, doc.prims[index]!];
}

/** Refuses a path at or under which anything already lives: a prim, joint, physics material or collision group. */
function assertPathFree(doc: SceneDocument, path: string) {
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
function lastIndexAtOrUnder(prims: readonly Prim[], root: string): number {
  for (let i = prims.length - 1; i >= 0; i--) if (atOrUnder(prims[i]!.path, root)) return i;
  return -1;
}

/** Every path at or under `from` rewritten to sit at or under `to`, everywhere the document names a path. Order is unchanged. */
function movePaths(doc: SceneDocument, from: string, to: string): SceneDocument {
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
function localTransformKeepingWorld(doc: SceneDocument, path: string, newParent: string | null): Transform {
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
function detachJoint(joint: Joint, gone: (body: string | null) => boolean, worlds: Map<string, Matrix4>): Joint {
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

function replaceAt<T>(list: readonly T[], index: number, item: T): T[] {
  const out = list.slice();
  out[index] = item;
  return out;
}

function replacePrim(doc: SceneDocument, index: number, prim: Prim): SceneDocument {
  return { ...doc, prims: replaceAt(doc.prims, index, prim) };
}

/** `list.map(f)`, or `list` itself when f returned every item unchanged. */
function mapShared<T>(list: T[], f: (item: T) => T): T[] {
  let out: T[] | null = null;
  list.forEach((item, i) => {
    const next = f(item);
    if (next !== item) (out ??= list.slice())[i] = next;
  });
  return out ?? list;
}

/** `list.filter(keep)`, or `list` itself when nothing was dropped. */
function filterShared<T>(list: T[], keep: (item: T) => boolean): T[] {
  const out = list.filter(keep);
  return out.length === list.length ? list : out;
}

// ------------------------------------------------------------------ small helpers

export { identityTransform } from './prim.ts';

/** Deep equality of JSON-like values; an undefined-valued key counts as absent. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue(ra[k], rb[k]));
}

/** zod keeps `key: undefined` for an optional field given as undefined; the document leaves such keys out. */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return (typeof value[0] === 'object' ? value.map(withoutUndefined) : value) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  ) as T;
}

function parseKey(key: string): string[] {
  return key.split('.').flatMap((part) => (part.endsWith('[]') ? [part.slice(0, -2), '[]'] : [part]));
}

/** The rule key for a concrete field path: indices become "[]". */
function ruleKey(segments: readonly Segment[]): string {
  return segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[]` : out ? `${out}.${s}` : s), '');
}

/** A field path as people read it: "limits[0].low". */
function fieldName(segments: readonly Segment[]): string {
  return segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${s}` : s), '');
}

/** The values at `segments` ("[]" expands over an array), with their concrete positions. */
function leaves(value: unknown, segments: readonly string[], at: Segment[] = []): { at: Segment[]; value: unknown }[] {
  if (segments.length === 0) return value === undefined ? [] : [{ at, value }];
  const [first, ...rest] = segments as [string, ...string[]];
  if (first === '[]') return Array.isArray(value) ? value.flatMap((item, i) => leaves(item, rest, [...at, i])) : [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return leaves((value as Record<string, unknown>)[first], rest, [...at, first]);
}

function valueAt(value: unknown, segments: readonly Segment[]): unknown {
  let v = value;
  for (const s of segments) v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[s] : undefined;
  return v;
}

/** A value as it reads in a message: numbers as typed (NaN, Infinity), strings quoted, long lists cut short. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.slice(0, 6).map(show).join(', ')}${value.length > 6 ? `, … (${value.length} items)` : ''}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{ ${entries.slice(0, 6).map(([k, v]) => `${k}: ${show(v)}`).join(', ')}${entries.length > 6 ? ', …' : ''} }`;
  }
  return String(value);
}

/**
 * Validation and migration of scene documents coming from outside (JSON files, worker messages,
 * importers). Turns zod failures into one message naming the file and field, and checks what a
 * schema cannot: that every path a document refers to exists.
 */
import { upgradeDocument, versionedFormat } from '../versioned.ts';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { isImageData, isImageKey } from './image.ts';
import { SCENE_SCHEMA_ID, SCENE_SCHEMA_VERSION, SceneDocument } from './schema.ts';

/**
 * Version and migrations (engine/versioned.ts; the versions are described at SCENE_SCHEMA_VERSION).
 * 1 → 2: the content is unchanged. Version-1 builds wrote only fields they defined, all of which
 * version 2 defines the same way; what changes is that version 2 is read strictly.
 * 2 → 3: the content is unchanged; version 3 adds a value ("mjcf") that version 2 could not hold.
 */
export const SCENE_FORMAT = versionedFormat({
  name: 'scene document',
  field: 'version',
  current: SCENE_SCHEMA_VERSION,
  migrations: { 1: (doc) => doc, 2: (doc) => doc },
});

export function formatZodIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)';
  return `${where}: ${issue.message}`;
}

/** Brings an older document up to the current version, then validates it. */
export function parseSceneDocument(json: unknown, file: string): SceneDocument {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(file, 'a scene document must be a JSON object');
  return validateSceneDocument(upgradeDocument(SCENE_FORMAT, json, file), file);
}

export function validateSceneDocument(doc: unknown, file: string): SceneDocument {
  const result = SceneDocument.safeParse(doc);
  if (!result.success) {
    const first = result.error.issues[0]!;
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problems)` : '';
    // Name the prim (or joint) by its path as well as its index, so the author can find it.
    const [list, index] = first.path;
    const item = (list === 'prims' || list === 'joints') && typeof index === 'number' ? (doc as Record<string, { path?: unknown }[]>)[list]?.[index] : undefined;
    const where = typeof item?.path === 'string' ? ` (${item.path})` : '';
    throw new InputError(file, `invalid scene document at ${formatZodIssue(first)}${where}${more}`);
  }
  const scene = result.data;
  const paths = new Set<string>();
  for (const [i, prim] of scene.prims.entries()) {
    if (paths.has(prim.path)) throw new InputError(file, `prims[${i}].path: duplicate prim path ${prim.path}`);
    const parent = prim.path.slice(0, prim.path.lastIndexOf('/'));
    if (parent && !paths.has(parent)) throw new InputError(file, `prims[${i}].path: parent of ${prim.path} must come before it`);
    paths.add(prim.path);
  }
  const materials = new Set(scene.physicsMaterials.map((m) => m.path));
  for (const [i, prim] of scene.prims.entries()) {
    const m = prim.collider?.physicsMaterial;
    if (m && !materials.has(m)) throw new InputError(file, `prims[${i}].collider.physicsMaterial: ${m} is not in physicsMaterials`);
    const look = prim.material;
    if (look?.image !== undefined) {
      const where = `prims[${i}].material.image (${prim.path})`;
      if (look.texture) throw new InputError(file, `${where}: a look has an image or a bundled texture, not both (texture is "${look.texture}")`);
      if (!isImageKey(look.image)) throw new InputError(file, `${where}: "${look.image}" must name a .png, .jpg or .jpeg file`);
      const data = scene.assets?.[look.image];
      if (data === undefined) throw new InputError(file, `${where}: ${look.image} is not among the document's assets`);
      if (!isImageData(data)) throw new InputError(file, `assets["${look.image}"]: expected PNG or JPEG bytes ("base64:…")`);
    }
    const g = prim.geometry;
    if (g?.kind === 'mesh' && g.uvs && g.uvs.length * 3 !== g.points.length * 2) {
      throw new InputError(file, `prims[${i}].geometry.uvs (${prim.path}): expected one uv pair per point (${(g.points.length / 3) * 2} numbers), got ${g.uvs.length}`);
    }
  }
  const bodies = new Set(scene.prims.filter((p) => p.body).map((p) => p.path));
  for (const [i, joint] of scene.joints.entries()) {
    for (const side of ['body0', 'body1'] as const) {
      const b = joint[side];
      if (b && !bodies.has(b)) throw new InputError(file, `joints[${i}].${side}: ${b} is not a rigid body prim`);
    }
  }
  for (const [i, pair] of scene.filteredPairs.entries()) {
    for (const p of pair) if (!paths.has(p)) throw new InputError(file, `filteredPairs[${i}]: ${p} is not a prim`);
  }
  for (const [i, ref] of (scene.references ?? []).entries()) {
    if (!paths.has(ref.prim)) throw new InputError(file, `references[${i}].prim: ${ref.prim} is not a prim`);
    if (!scene.assets || !(ref.asset in scene.assets)) throw new InputError(file, `references[${i}].asset: ${ref.asset} is not in assets`);
  }
  for (const key of Object.keys(scene.assets ?? {})) {
    if (!isAssetKey(key)) throw new InputError(file, `assets: "${key}" is not a relative path inside the scene's folder ("/"-separated, no "." or ".." parts)`);
  }
  return scene;
}

/** A path relative to the scene file that stays inside its folder (what a USDZ package can hold). */
export function isAssetKey(key: string): boolean {
  return key !== '' && !key.startsWith('/') && !key.includes('\\') && !/^[a-z][a-z0-9+.-]*:/i.test(key) && key.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** A document with nothing in it, Y-up in metres, under Earth's gravity (a new scene starts here). */
export function emptyDocument(file = 'untitled.json', gravity: [number, number, number] = [0, -9.81, 0]): SceneDocument {
  return {
    schema: SCENE_SCHEMA_ID,
    version: SCENE_SCHEMA_VERSION,
    source: { file, format: 'json', metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Y' },
    gravity,
    prims: [],
    physicsMaterials: [],
    joints: [],
    collisionGroups: [],
    filteredPairs: [],
  };
}

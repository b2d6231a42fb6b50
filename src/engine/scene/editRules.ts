/**
 * What valid values are for a scene edit (edit.ts): the zod schema (schema.ts) first, then what a
 * person editing a scene means — a positive mass, a unit quaternion, low ≤ high in a joint limit,
 * joint bodies that are rigid body prims — applied only to the values an edit changes. A refusal
 * is an EditError naming the path, the field and what was expected.
 */
import type { z } from 'zod';
import { isImageData } from './image.ts';
import { EditError } from './editErrors.ts';
import { Joint, Prim, type SceneDocument } from './schema.ts';

/** The prim fields an edit can set. `path` changes only through renamePrim and reparentPrim. */
export const PRIM_FIELDS = ['type', 'transform', 'visible', 'geometry', 'material', 'body', 'mass', 'collider', 'labels', 'camera', 'light', 'articulationRoot'] as const;
export type PrimField = (typeof PRIM_FIELDS)[number];

/** The fields of a new prim. Anything left out gets its default: an identity "Xform" that is visible and has no labels. */
export type PrimFields = Partial<Pick<Prim, PrimField>>;

export interface JointEditOptions {
  /**
   * Accept a limit with low > high, which locks that degree of freedom (UsdPhysics). Without this
   * option such a limit is refused: coming from an inspector it is almost always a typing mistake.
   */
  allowLockedLimits?: boolean;
}

export type Segment = string | number;

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

export const MATERIAL_RULES: FieldRules = {
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
export function checkRecord<T>(schema: z.ZodType<T>, value: unknown, previous: unknown, at: Where): T {
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

export function invalid(path: string, field: string, expected: string, got: unknown): EditError {
  return new EditError(path, field, `must be ${expected}, got ${show(got)}`);
}

/** Checks of a prim field that need the rest of the document or several fields together. */
export function withPrimField(doc: SceneDocument, prim: Prim, field: string, value: unknown, previous: unknown): Prim {
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
export function checkJoint(doc: SceneDocument, joint: unknown, previous: Joint | undefined, options: JointEditOptions): Joint {
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

export function checkName(where: string, name: unknown): asserts name is string {
  // USD identifiers, as the URDF importer also produces: the path stays valid when written back to USD.
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw invalid(where, 'name', 'a USD identifier (letters, digits and _, not starting with a digit)', name);
  }
}

// ------------------------------------------------------------------ small helpers

/** Deep equality of JSON-like values; an undefined-valued key counts as absent. */
export function sameValue(a: unknown, b: unknown): boolean {
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
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return (typeof value[0] === 'object' ? value.map(withoutUndefined) : value) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  ) as T;
}

export function parseKey(key: string): string[] {
  return key.split('.').flatMap((part) => (part.endsWith('[]') ? [part.slice(0, -2), '[]'] : [part]));
}

/** The rule key for a concrete field path: indices become "[]". */
export function ruleKey(segments: readonly Segment[]): string {
  return segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[]` : out ? `${out}.${s}` : s), '');
}

/** A field path as people read it: "limits[0].low". */
export function fieldName(segments: readonly Segment[]): string {
  return segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${s}` : s), '');
}

/** The values at `segments` ("[]" expands over an array), with their concrete positions. */
export function leaves(value: unknown, segments: readonly string[], at: Segment[] = []): { at: Segment[]; value: unknown }[] {
  if (segments.length === 0) return value === undefined ? [] : [{ at, value }];
  const [first, ...rest] = segments as [string, ...string[]];
  if (first === '[]') return Array.isArray(value) ? value.flatMap((item, i) => leaves(item, rest, [...at, i])) : [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return leaves((value as Record<string, unknown>)[first], rest, [...at, first]);
}

export function valueAt(value: unknown, segments: readonly Segment[]): unknown {
  let v = value;
  for (const s of segments) v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[s] : undefined;
  return v;
}

/** A value as it reads in a message: numbers as typed (NaN, Infinity), strings quoted, long lists cut short. */
export function show(value: unknown): string {
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

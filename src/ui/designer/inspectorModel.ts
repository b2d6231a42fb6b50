/**
 * The inspector's model: what its fields show and what a typed value turns into. Parsing numbers
 * typed in a field (with reasons a person can act on), orientation as Euler angles in degrees,
 * linear colours as '#rrggbb' for a colour picker, the camera's field of view against its focal
 * length and aperture, joint limits and drives in display units, and the new field values each
 * inspector edit writes.
 *
 * Pure and DOM-free: Inspector.tsx renders these values and hands the results to the designer,
 * whose edits (engine/scene/edit.ts) still check everything written. Must not know about React.
 */
import { Euler, Quaternion } from 'three';
import { DEFAULT_MATERIAL } from '../../engine/physics/world.ts';
import { EditError, addPhysicsMaterial, setCollider, setLookImage, updatePhysicsMaterial } from '../../engine/scene/edit.ts';
import { assetText } from '../../engine/scene/assets.ts';
import { decodeImage, imageDataFormat, imageFileName } from '../../engine/scene/image.ts';
import type {
  BodyType,
  Camera,
  Collider,
  Geometry,
  Joint,
  JointDof,
  JointDrive,
  JointLimit,
  MassProperties,
  PhysicsMaterial,
  Prim,
  RigidBody,
  SceneDocument,
  Transform,
  Vec3,
  VisualMaterial,
} from '../../engine/scene/schema.ts';
import { NO_TEXTURE } from '../../engine/randomize/spec.ts';
import { TEXTURE_NAMES, type TextureName } from '../../engine/scene/textures.ts';
import { isAngular } from '../../engine/usd/import.ts';

const DEG = Math.PI / 180;

// ------------------------------------------------------------------ selection

/** What the inspector shows: the active (last selected) path as a prim or a joint, and how many are selected. */
export type InspectorTarget =
  | { kind: 'none' }
  | { kind: 'prim'; prim: Prim; count: number }
  | { kind: 'joint'; joint: Joint; count: number };

/** A path that is both (USD joints are kept as prims too) is inspected as a joint: its prim fields do not move the joint. */
export function inspectorTarget(doc: SceneDocument | null, selection: readonly string[]): InspectorTarget {
  const path = selection[selection.length - 1];
  if (!doc || path === undefined) return { kind: 'none' };
  const joint = doc.joints.find((j) => j.path === path);
  if (joint) return { kind: 'joint', joint, count: selection.length };
  const prim = doc.prims.find((p) => p.path === path);
  if (prim) return { kind: 'prim', prim, count: selection.length };
  return { kind: 'none' };
}

/** The key the designer keeps a field's refusal under (designer.ts, `fieldErrors`). */
export const fieldErrorKey = (path: string, field: string): string => `${path}|${field}`;

// ------------------------------------------------------------------ numbers typed in a field

/** What a field accepts beyond a finite number. `unit` completes "a positive number of …". */
export interface NumberRule {
  min?: number;
  max?: number;
  exclusiveMin?: number;
  exclusiveMax?: number;
  nonZero?: boolean;
  unit?: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INFINITY_TEXT = /^[+-]?(inf|infinity|∞)$/i;

/** "a positive number of kilograms", "a number between 0 and 1": what a rule asks for. */
export function describeRule(rule: NumberRule): string {
  const of = rule.unit ? ` of ${rule.unit}` : '';
  const { min, max, exclusiveMin, exclusiveMax } = rule;
  const hasUpper = max !== undefined || exclusiveMax !== undefined;
  if (exclusiveMin === 0 && min === undefined && !hasUpper) return `a positive number${of}`;
  if (min === 0 && exclusiveMin === undefined && !hasUpper) return `a non-negative number${of}`;
  const n = (v: number) => formatNumber(v);
  if (min !== undefined && max !== undefined) return `a number${of} between ${n(min)} and ${n(max)}`;
  const lower = min !== undefined ? `at least ${n(min)}` : exclusiveMin !== undefined ? `greater than ${n(exclusiveMin)}` : null;
  const upper = max !== undefined ? `at most ${n(max)}` : exclusiveMax !== undefined ? `less than ${n(exclusiveMax)}` : null;
  const bounds = [lower, upper].filter((b): b is string => b !== null);
  if (bounds.length) return `a number${of} ${bounds.join(' and ')}`;
  return rule.nonZero ? `a non-zero number${of}` : `a number${of}`;
}

function breaks(rule: NumberRule, v: number): boolean {
  return (
    (rule.min !== undefined && v < rule.min) ||
    (rule.max !== undefined && v > rule.max) ||
    (rule.exclusiveMin !== undefined && v <= rule.exclusiveMin) ||
    (rule.exclusiveMax !== undefined && v >= rule.exclusiveMax) ||
    (rule.nonZero === true && v === 0)
  );
}

/** A number typed in a field: empty, "abc", "Infinity" and values outside `rule` are refused with a reason. */
export function parseNumber(text: string, rule: NumberRule = {}): ParseResult<number> {
  const t = text.trim();
  if (t === '') return { ok: false, reason: 'expected a number, got nothing' };
  if (INFINITY_TEXT.test(t)) return { ok: false, reason: `expected a finite number, got ${JSON.stringify(t)}` };
  if (!NUMBER_TEXT.test(t)) return { ok: false, reason: `expected a number, got ${JSON.stringify(t)}` };
  const value = Number(t);
  if (!Number.isFinite(value)) return { ok: false, reason: `expected a finite number, got ${JSON.stringify(t)}` };
  if (breaks(rule, value)) return { ok: false, reason: `must be ${describeRule(rule)}, got ${t}` };
  return { ok: true, value };
}

/** As parseNumber, but an empty field means "not set" (null): an unbounded limit, a mass left to density. */
export function parseOptionalNumber(text: string, rule: NumberRule = {}): ParseResult<number | null> {
  return text.trim() === '' ? { ok: true, value: null } : parseNumber(text, rule);
}

/**
 * A number as a field shows it: at most `decimals` decimals, no trailing zeros, no "-0"; tiny
 * values keep 4 significant digits instead of reading as 0. The exact value stays in the
 * document: a field whose text is left as shown commits nothing.
 */
export function formatNumber(value: number, decimals = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  if (Math.abs(value) < 10 ** -decimals) return String(Number(value.toPrecision(4)));
  const rounded = Number(value.toFixed(decimals));
  return String(rounded === 0 ? 0 : rounded);
}

// ------------------------------------------------------------------ vectors and the transform

export const VEC_AXES = ['x', 'y', 'z'] as const;
export type VecAxis = (typeof VEC_AXES)[number];
const axisIndex = (axis: VecAxis): 0 | 1 | 2 => (axis === 'x' ? 0 : axis === 'y' ? 1 : 2);

/** `v` with one component replaced; `v` itself when that changes nothing. */
export function withVecAxis(v: Vec3, axis: VecAxis, value: number): Vec3 {
  const i = axisIndex(axis);
  if (v[i] === value) return v;
  const out: Vec3 = [v[0], v[1], v[2]];
  out[i] = value;
  return out;
}

export function withPositionAxis(transform: Transform, axis: VecAxis, value: number): Transform {
  const position = withVecAxis(transform.position, axis, value);
  return position === transform.position ? transform : { ...transform, position };
}

export function withScaleAxis(transform: Transform, axis: VecAxis, value: number): Transform {
  const scale = withVecAxis(transform.scale, axis, value);
  return scale === transform.scale ? transform : { ...transform, scale };
}

/** Euler angles in degrees, three.js order 'XYZ' (the rotation matrix is Rx·Ry·Rz). */
export function orientationToEulerDegrees(q: readonly [number, number, number, number]): Vec3 {
  const e = new Euler().setFromQuaternion(new Quaternion(q[0], q[1], q[2], q[3]).normalize(), 'XYZ');
  return [e.x / DEG, e.y / DEG, e.z / DEG];
}

/** A unit quaternion [x, y, z, w] from Euler angles in degrees (order 'XYZ'). */
export function eulerDegreesToOrientation(degrees: Vec3): [number, number, number, number] {
  const q = new Quaternion().setFromEuler(new Euler(degrees[0] * DEG, degrees[1] * DEG, degrees[2] * DEG, 'XYZ')).normalize();
  return [q.x, q.y, q.z, q.w];
}

const sameRotation = (a: readonly number[], b: readonly number[]) => Math.abs(a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!) >= 1 - 1e-9;

/**
 * The Euler angles a rotation field shows. Many angle triples give one orientation (Y = 120° reads
 * back as X = 180°, Y = 60°, Z = 180°), so the angles last typed (`hint`) are shown while they
 * still describe the orientation; otherwise it is decomposed.
 */
export function eulerForDisplay(orientation: readonly [number, number, number, number], hint: Vec3 | null): Vec3 {
  if (hint && sameRotation(eulerDegreesToOrientation(hint), orientation)) return hint;
  return orientationToEulerDegrees(orientation);
}

/**
 * The transform with one Euler angle (degrees) replaced. The other two keep their exact values
 * from `current` (the angles shown, see eulerForDisplay), not their rounded text.
 */
export function withEulerAxis(transform: Transform, axis: VecAxis, degrees: number, current: Vec3 = orientationToEulerDegrees(transform.orientation)): Transform {
  const euler = withVecAxis(current, axis, degrees);
  if (euler === current) return transform;
  return { ...transform, orientation: eulerDegreesToOrientation(euler) };
}

// ------------------------------------------------------------------ colour

/** The sRGB transfer function (IEC 61966-2-1), one channel in 0..1. */
export const linearToSrgb = (c: number): number => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
export const srgbToLinear = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

const clamp01 = (c: number) => Math.min(1, Math.max(0, c));

/** A linear colour (the scene's) as the '#rrggbb' (sRGB) of an <input type="color">. */
export function linearToHex(color: Vec3): string {
  return `#${color.map((c) => Math.round(clamp01(linearToSrgb(clamp01(c))) * 255).toString(16).padStart(2, '0')).join('')}`;
}

/** '#rrggbb' (sRGB) as a linear colour; null for anything else. */
export function hexToLinear(hex: string): Vec3 | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (!m) return null;
  const channel = (h: string) => srgbToLinear(parseInt(h, 16) / 255);
  return [channel(m[1]!), channel(m[2]!), channel(m[3]!)];
}

/**
 * The colour a picker's '#rrggbb' sets: `current` itself when the picker shows the same hex, so a
 * linear value that 8 bits cannot hold is not rounded away by merely opening the picker.
 */
export function colourFromHex(current: Vec3, hex: string): Vec3 | null {
  if (linearToHex(current) === hex.toLowerCase()) return current;
  return hexToLinear(hex);
}

// ------------------------------------------------------------------ geometry

export type GeometryParam = 'size.x' | 'size.y' | 'size.z' | 'radius' | 'height' | 'width' | 'length';

export interface GeometryNumber {
  param: GeometryParam;
  label: string;
  /** Metres. */
  value: number;
}

/** The numbers a geometry's section shows, by kind; none for a mesh. */
export function geometryNumbers(geometry: Geometry): GeometryNumber[] {
  switch (geometry.kind) {
    case 'box':
      return VEC_AXES.map((a, i) => ({ param: `size.${a}` as GeometryParam, label: `Size ${a.toUpperCase()}`, value: geometry.size[i]! }));
    case 'sphere':
      return [{ param: 'radius', label: 'Radius', value: geometry.radius }];
    case 'cylinder':
    case 'capsule':
    case 'cone':
      return [
        { param: 'radius', label: 'Radius', value: geometry.radius },
        { param: 'height', label: 'Height', value: geometry.height },
      ];
    case 'plane':
      return [
        { param: 'width', label: 'Width', value: geometry.width },
        { param: 'length', label: 'Length', value: geometry.length },
      ];
    case 'mesh':
      return [];
  }
}

/** The geometry with one number (metres) replaced; the geometry itself when it has no such number or it is unchanged. */
export function withGeometryNumber(geometry: Geometry, param: GeometryParam, value: number): Geometry {
  if (param.startsWith('size.')) {
    if (geometry.kind !== 'box') return geometry;
    const size = withVecAxis(geometry.size, param.slice(5) as VecAxis, value);
    return size === geometry.size ? geometry : { ...geometry, size };
  }
  if (!(param in geometry)) return geometry;
  const current = (geometry as Record<string, unknown>)[param];
  return current === value ? geometry : ({ ...geometry, [param]: value } as Geometry);
}

export function hasGeometryAxis(geometry: Geometry): geometry is Extract<Geometry, { axis: unknown }> {
  return 'axis' in geometry;
}

// ------------------------------------------------------------------ visual material

/** The texture select's choices: none, then the bundled procedural textures (randomize/textures.ts). */
export const TEXTURE_CHOICES: readonly (TextureName | typeof NO_TEXTURE)[] = [NO_TEXTURE, ...TEXTURE_NAMES];

/** The texture select's value for an image look (its option is labelled with the file's name). */
export const IMAGE_CHOICE = 'image';

/** The look with `choice` as its texture (none drops the field, as a look without one reads back); an image gives way. */
export function withTexture(material: VisualMaterial, choice: TextureName | typeof NO_TEXTURE | typeof IMAGE_CHOICE): VisualMaterial {
  if (choice === IMAGE_CHOICE) return material;
  const { texture: _, image: _image, ...rest } = material;
  return choice === NO_TEXTURE ? rest : { ...rest, texture: choice };
}

/** The texture select's choices for a look: an image look's file first, then none and the bundled textures. */
export function textureChoices(material: VisualMaterial): { value: TextureName | typeof NO_TEXTURE | typeof IMAGE_CHOICE; label: string }[] {
  const bundled = TEXTURE_CHOICES.map((t) => ({ value: t, label: t }));
  return material.image ? [{ value: IMAGE_CHOICE, label: `${material.image.slice(material.image.lastIndexOf('/') + 1)} (image)` }, ...bundled] : bundled;
}

/**
 * The edit that shows an image file a person picked on a prim's look: the file must decode as PNG
 * or JPEG (the refusal names it), and is kept as `textures/<its name>`.
 */
export function imageLookEdit(path: string, fileName: string, bytes: Uint8Array): (doc: SceneDocument) => SceneDocument {
  return (doc) => {
    decodeImage(bytes, fileName);
    return setLookImage(doc, path, `textures/${imageFileName(fileName.slice(fileName.lastIndexOf('/') + 1), bytes)}`, assetText(bytes));
  };
}

/** A data: URL showing an image file kept in a document's assets ("base64:…"), for a thumbnail. */
export function imageDataUrl(data: string): string | null {
  const format = imageDataFormat(data);
  return format && `data:image/${format};base64,${data.slice('base64:'.length)}`;
}


// ------------------------------------------------------------------ physics

/** The body select's choices: a body type, or 'none' (no rigid body and no mass). */
export type BodyChoice = BodyType | 'none';

/** The body and mass a prim gets from the body select. Switching type keeps the rest of the body. */
export function withBodyChoice(prim: Pick<Prim, 'body' | 'mass'>, choice: BodyChoice): { body: RigidBody | undefined; mass: MassProperties | undefined } {
  if (choice === 'none') return { body: undefined, mass: undefined };
  if (prim.body?.type === choice) return { body: prim.body, mass: prim.mass };
  const body: RigidBody = prim.body ? { ...prim.body, type: choice } : { type: choice, enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false };
  return { body, mass: prim.mass };
}

/** Mass properties with `mass` (kg) or `density` (kg/m³) set, or removed (null); undefined when nothing is left. */
export function withMassValue(mass: MassProperties | undefined, key: 'mass' | 'density', value: number | null): MassProperties | undefined {
  const next: MassProperties = { ...mass };
  if (value === null) delete next[key];
  else next[key] = value;
  return Object.keys(next).length ? next : undefined;
}

/** Mass properties with one centre-of-mass coordinate set (metres, prim frame); an unset centre starts at the origin. */
export function withCenterOfMassAxis(mass: MassProperties | undefined, axis: VecAxis, value: number): MassProperties {
  const current = mass?.centerOfMass ?? [0, 0, 0];
  return { ...mass, centerOfMass: withVecAxis(current, axis, value) };
}

/** A collider switched on or off; turning on a prim without one adds a collider on its geometry. */
export function withColliderEnabled(collider: Collider | undefined, enabled: boolean): Collider {
  if (collider) return collider.enabled === enabled ? collider : { ...collider, enabled };
  return { enabled, approximation: 'none', physicsMaterial: null };
}

export type FrictionField = 'staticFriction' | 'dynamicFriction' | 'restitution';
export type FrictionPatch = Partial<Pick<PhysicsMaterial, FrictionField>>;

/** Where a collider without a physics material gets its own: under the prim, so it is renamed and removed with it. */
export const ownMaterialPath = (primPath: string): string => `${primPath}/PhysicsMaterial`;

/** The physics material a prim's collider is bound to, or null (the simulation then uses DEFAULT_MATERIAL). */
export function colliderMaterial(doc: SceneDocument, prim: Prim): PhysicsMaterial | null {
  const path = prim.collider?.physicsMaterial;
  return path ? (doc.physicsMaterials.find((m) => m.path === path) ?? null) : null;
}

/** Friction and restitution as the simulation applies them to the prim's collider. */
export function effectiveFriction(doc: SceneDocument, prim: Prim): Pick<PhysicsMaterial, FrictionField> {
  return colliderMaterial(doc, prim) ?? DEFAULT_MATERIAL;
}

/** How many colliders (the prim's included) are bound to `materialPath`: an edit of it changes them all. */
export const materialUsers = (doc: SceneDocument, materialPath: string): number => doc.prims.filter((p) => p.collider?.physicsMaterial === materialPath).length;

/**
 * Sets friction or restitution of a prim's collider. A collider bound to a physics material edits
 * that material. One without a material first gets its own at ownMaterialPath (PhysX's defaults,
 * 'average' combine rules; an existing material at that path is reused) and is bound to it.
 */
export function setColliderFriction(doc: SceneDocument, primPath: string, patch: FrictionPatch): SceneDocument {
  const prim = doc.prims.find((p) => p.path === primPath);
  if (!prim) throw new EditError(primPath, null, 'no prim has this path');
  if (!prim.collider) throw new EditError(primPath, 'collider', 'is needed before friction or restitution can be set (turn the collider on first)');
  const bound = prim.collider.physicsMaterial;
  if (bound !== null) return updatePhysicsMaterial(doc, bound, patch);
  const path = ownMaterialPath(primPath);
  const material: PhysicsMaterial = {
    path,
    staticFriction: DEFAULT_MATERIAL.staticFriction,
    dynamicFriction: DEFAULT_MATERIAL.dynamicFriction,
    restitution: DEFAULT_MATERIAL.restitution,
    frictionCombine: 'average',
    restitutionCombine: 'average',
  };
  const withMaterial = doc.physicsMaterials.some((m) => m.path === path) ? doc : addPhysicsMaterial(doc, material);
  const withBinding = setCollider(withMaterial, primPath, { ...prim.collider, physicsMaterial: path });
  return updatePhysicsMaterial(withBinding, path, patch);
}

// ------------------------------------------------------------------ semantic labels

export const CLASS_TAXONOMY = 'class';

/** The "class" labels used anywhere in the scene, unique and sorted: the label palette. */
export function labelPalette(doc: SceneDocument): string[] {
  const labels = new Set<string>();
  for (const prim of doc.prims) for (const label of prim.labels[CLASS_TAXONOMY] ?? []) labels.add(label);
  return [...labels].sort((a, b) => a.localeCompare(b, 'en'));
}

/** A prim's class labels as its text field shows them ("mug", or "mug, cup" for several). */
export const classLabelText = (labels: Prim['labels']): string => (labels[CLASS_TAXONOMY] ?? []).join(', ');

/**
 * The labels with the class labels set from the field's text: comma-separated, trimmed, without
 * empties or repeats. Empty text removes the class taxonomy. `labels` itself when unchanged.
 */
export function withClassLabels(labels: Prim['labels'], text: string): Prim['labels'] {
  const wanted = [...new Set(text.split(',').map((l) => l.trim()).filter((l) => l.length > 0))];
  const current = labels[CLASS_TAXONOMY];
  if (wanted.length === 0) {
    if (current === undefined) return labels;
    return Object.fromEntries(Object.entries(labels).filter(([taxonomy]) => taxonomy !== CLASS_TAXONOMY));
  }
  if (current && current.length === wanted.length && current.every((l, i) => l === wanted[i])) return labels;
  return { ...labels, [CLASS_TAXONOMY]: wanted };
}

// ------------------------------------------------------------------ camera

/** Vertical field of view (radians) of a focal length and vertical aperture (same unit). */
export const fovFromFocalLength = (focalLength: number, verticalAperture: number): number => 2 * Math.atan(verticalAperture / (2 * focalLength));

/** The focal length that gives a vertical field of view (radians) on a vertical aperture. */
export const focalLengthFromFov = (fovY: number, verticalAperture: number): number => verticalAperture / (2 * Math.tan(fovY / 2));

export const cameraFovDegrees = (camera: Camera): number => camera.fovY / DEG;

/** The camera with a new vertical field of view (degrees): the aperture stays, the focal length follows. */
export function withCameraFov(camera: Camera, degrees: number): Camera {
  const fovY = degrees * DEG;
  return { ...camera, fovY, focalLength: focalLengthFromFov(fovY, camera.verticalAperture) };
}

/** The camera with a new focal length: the field of view follows. */
export function withFocalLength(camera: Camera, focalLength: number): Camera {
  return { ...camera, focalLength, fovY: fovFromFocalLength(focalLength, camera.verticalAperture) };
}

/** The camera with a new vertical aperture: the horizontal one keeps the aspect, the field of view follows. */
export function withVerticalAperture(camera: Camera, verticalAperture: number): Camera {
  return { ...camera, verticalAperture, horizontalAperture: verticalAperture * camera.aspect, fovY: fovFromFocalLength(camera.focalLength, verticalAperture) };
}

/** The camera with a new horizontal aperture: the aspect follows (horizontal = vertical · aspect). */
export function withHorizontalAperture(camera: Camera, horizontalAperture: number): Camera {
  return { ...camera, horizontalAperture, aspect: horizontalAperture / camera.verticalAperture };
}

/**
 * The camera rendering images of `resolution` pixels (null: the job's own size). Pixels stay
 * square: the horizontal aperture stays, the vertical one becomes horizontal · height / width, and
 * the aspect and field of view follow, as Isaac Sim does when a render product's size changes.
 */
export function withResolution(camera: Camera, resolution: [number, number] | null): Camera {
  const { resolution: _, ...rest } = camera;
  if (!resolution) return rest;
  const [width, height] = resolution;
  const verticalAperture = (camera.horizontalAperture * height) / width;
  return { ...rest, resolution: [width, height], verticalAperture, aspect: width / height, fovY: fovFromFocalLength(camera.focalLength, verticalAperture) };
}

/** "640×480" (or 640x480, 640 480) → [640, 480]; empty → null (no resolution of its own). */
export function parseResolution(text: string): ParseResult<[number, number] | null> {
  const t = text.trim();
  if (t === '') return { ok: true, value: null };
  const m = /^(\d+)\s*(?:[x×,]|\s)\s*(\d+)$/i.exec(t);
  if (!m) return { ok: false, reason: `expected width×height in pixels, like 640×480, got ${JSON.stringify(t)}` };
  const [w, h] = [Number(m[1]), Number(m[2])];
  if (w < 1 || h < 1) return { ok: false, reason: `both sides must be at least 1 pixel, got ${w}×${h}` };
  if (w > 16384 || h > 16384) return { ok: false, reason: `at most 16384 pixels a side, got ${w}×${h}` };
  return { ok: true, value: [w, h] };
}

export const formatResolution = (resolution: [number, number] | undefined): string => (resolution ? `${resolution[0]}×${resolution[1]}` : '');

// ------------------------------------------------------------------ joints

/** The dof a revolute or prismatic joint's single limit and drive use (as the USD importer writes them). */
export function primaryDof(type: Joint['type']): JointDof | null {
  return type === 'revolute' ? 'angular' : type === 'prismatic' ? 'linear' : null;
}

/** Whether a dof's values show in degrees (true) or metres (false); the unit the USD exporter converts by. */
export const dofIsAngular = (dof: JointDof, type: Joint['type']): boolean => isAngular(dof, type);

/** A joint value (radians or metres) in display units (degrees or metres), and back. */
export const dofToDisplay = (dof: JointDof, type: Joint['type'], value: number): number => (dofIsAngular(dof, type) ? value / DEG : value);
export const dofFromDisplay = (dof: JointDof, type: Joint['type'], value: number): number => (dofIsAngular(dof, type) ? value * DEG : value);

export interface LimitRow {
  dof: JointDof;
  angular: boolean;
  /** Display units; null: unbounded. */
  low: number | null;
  high: number | null;
}

/** One row per limit, and for a revolute or prismatic joint without one, an empty row for its dof (typing adds it). */
export function limitRows(joint: Joint): LimitRow[] {
  const show = (dof: JointDof, v: number | null) => (v === null ? null : dofToDisplay(dof, joint.type, v));
  const rows = joint.limits.map((l) => ({ dof: l.dof, angular: dofIsAngular(l.dof, joint.type), low: show(l.dof, l.low), high: show(l.dof, l.high) }));
  const primary = primaryDof(joint.type);
  if (primary && rows.length === 0) rows.push({ dof: primary, angular: dofIsAngular(primary, joint.type), low: null, high: null });
  return rows;
}

/**
 * What a bound of a limit row accepts, in display units: low ≤ high. (low > high locks the dof in
 * UsdPhysics; the designer refuses that from a typed value, so the reason is given here in the
 * units typed rather than in radians.)
 */
export function limitBoundRule(row: LimitRow, side: 'low' | 'high'): NumberRule {
  const unit = row.angular ? 'degrees' : 'metres';
  if (side === 'low' && row.high !== null) return { unit, max: row.high };
  if (side === 'high' && row.low !== null) return { unit, min: row.low };
  return { unit };
}

/**
 * The limits with one bound of `dof` set from a display value (degrees or metres; null:
 * unbounded). A missing limit is added; one left unbounded on both sides is removed. `joint.limits`
 * itself when unchanged.
 */
export function withLimitBound(joint: Joint, dof: JointDof, side: 'low' | 'high', display: number | null): JointLimit[] {
  const value = display === null ? null : dofFromDisplay(dof, joint.type, display);
  const index = joint.limits.findIndex((l) => l.dof === dof);
  const before: JointLimit = joint.limits[index] ?? { dof, low: null, high: null };
  if (before[side] === value) return joint.limits;
  const next: JointLimit = { ...before, [side]: value };
  const limits = joint.limits.slice();
  if (next.low === null && next.high === null) {
    if (index >= 0) limits.splice(index, 1);
    return limits;
  }
  if (index >= 0) limits[index] = next;
  else limits.push(next);
  return limits;
}

export type DriveField = 'stiffness' | 'damping' | 'targetPosition' | 'targetVelocity' | 'maxForce';

/** A drive's value as its field shows it: targets in degrees (per second) for angular dofs; gains and force in SI. */
export function driveFieldDisplay(joint: Joint, drive: JointDrive, field: DriveField): number | null {
  const value = drive[field];
  if (value === null) return null;
  return field === 'targetPosition' || field === 'targetVelocity' ? dofToDisplay(drive.dof, joint.type, value) : value;
}

/** The drives with one field of `dof`'s drive set from a display value (null only for maxForce: unlimited). */
export function withDriveField(joint: Joint, dof: JointDof, field: DriveField, display: number | null): JointDrive[] {
  const index = joint.drives.findIndex((d) => d.dof === dof);
  const before = joint.drives[index];
  if (!before) return joint.drives;
  const value = display !== null && (field === 'targetPosition' || field === 'targetVelocity') ? dofFromDisplay(dof, joint.type, display) : display;
  if (before[field] === value) return joint.drives;
  const drives = joint.drives.slice();
  drives[index] = { ...before, [field]: value } as JointDrive;
  return drives;
}

/** The drive "Add drive" gives a revolute or prismatic joint: a force drive that does nothing until given gains. */
export function newDrive(joint: Joint): JointDrive | null {
  const dof = primaryDof(joint.type);
  if (!dof || joint.drives.some((d) => d.dof === dof)) return null;
  return { dof, type: 'force', stiffness: 0, damping: 0, targetPosition: 0, targetVelocity: 0, maxForce: null };
}

/** Prims a joint can attach to: those with a rigid body. */
export const rigidBodyPaths = (doc: SceneDocument): string[] => doc.prims.filter((p) => p.body).map((p) => p.path);

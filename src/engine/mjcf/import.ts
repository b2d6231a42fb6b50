/**
 * MJCF → scene document: the model read by model.ts (includes, defaults, frames resolved) becomes
 * the same document the URDF and USD importers produce, so robotFromScene, PhysicsWorld and the
 * renderer take a MuJoCo robot like any other.
 *
 * Layout (as for URDF, but for the joints): one root prim named after the model carries MuJoCo's
 * Z-up → the document's Y-up turn; every body is a prim directly under it at its pose for all
 * joints at zero, its geoms, sites, cameras and lights child prims; geoms of the world body sit
 * under "<root>/world". Joints are entries of `joints` and prims under "<root>/joints" (MJCF names
 * bodies and joints apart, and models often give a joint its body's name).
 *
 * How MuJoCo's model maps (what cannot map is a warning naming the element):
 * - Bodies: a child of the world body with no joint is welded to the world — kinematic and the
 *   articulation root when bodies are jointed below it, else static; a free joint makes a dynamic
 *   body with no joint; hinge, slide and ball joints become revolute, prismatic and spherical
 *   joints to the parent (or the world); a nested body with no joint is welded to its parent (a
 *   fixed joint). One joint per body is simulated; further joints in a body are warned.
 * - Mass: `<inertial>` (diaginertia, or fullinertia diagonalised) in its frame; without one
 *   (compiler inertiafromgeom auto/true) the sum of the body's geoms as solids of their density
 *   (default 1000 kg/m³) or given mass, as MuJoCo computes it. A moving body that weighs nothing
 *   gets a token FRAME_LINK_MASS, warned.
 * - Joints: range (radians or degrees per `<compiler angle>`) is a limit when `limited` (autolimits:
 *   when a range is given); damping adds to the drive's damping; a position actuator (`<position
 *   kp kv>`, or `<general>` with affine bias −kp, −kv) is a force drive with its gains, target 0
 *   clamped into the range, force limit its forcerange; a velocity actuator a pure damping drive;
 *   motors (torque inputs) have no drive. armature and frictionloss are not simulated (warned once).
 * - Geoms: plane, box, sphere, capsule, cylinder (fromto or size), ellipsoid (a 24×16 mesh), mesh
 *   (STL or OBJ through mesh/meshFile.ts, scaled). Geoms in groups 0–2 are drawn, 3–5 not (MuJoCo's
 *   viewer defaults); contype = conaffinity = 0 means no collider; other bit masks become collision
 *   groups that filter exactly the pairs MuJoCo would skip. Mesh colliders are convex hulls (as in
 *   MuJoCo). Friction: the sliding coefficient, combined by max (MuJoCo's rule).
 * - Contact: parent and child bodies never touch (joints have collision off); `<contact><exclude>`
 *   pairs are filtered pairs.
 * - Sites are Xform prims (tool frames); cameras are Camera prims (fovy in degrees, looking along
 *   −Z with +Y up, as MuJoCo's and USD's); directional lights are distant lights.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import { lensValues } from '../labels/camera.ts';
import { fileExtension, meshFormat, readMeshFile } from '../mesh/meshFile.ts';
import { diagonaliseInertia } from '../physics/inertia.ts';
import { combineMass, ellipsoidMoments, type MassPart, solidMoments } from '../physics/massProperties.ts';
import { validateSceneDocument } from '../scene/document.ts';
import { newJoint, newPrim, posedPrim } from '../scene/prim.ts';
import { jointAxisFrame } from '../scene/jointAxis.ts';
import {
  type CollisionGroup,
  type Geometry,
  type Joint,
  type JointDrive,
  type JointLimit,
  type MassProperties,
  type PhysicsMaterial,
  type Prim,
  SCENE_SCHEMA_ID,
  SCENE_SCHEMA_VERSION,
  type SceneDocument,
  type Vec3,
  type VisualMaterial,
} from '../scene/schema.ts';
import { GPRIM_TYPES, JOINT_TYPES, UniqueNames } from '../usd/typeNames.ts';
import {
  type Element,
  type Frame,
  type MjcfBody,
  type MjcfModel,
  parseFrame,
  parseNumbers,
  readMjcf,
  toRadians,
} from './model.ts';

export interface MjcfImportOptions {
  /** Reads a file the model names (includes, meshes) by its path relative to the model's folder. */
  resolveAsset?: (path: string) => Uint8Array | null | undefined;
}

export interface MjcfImportResult {
  document: SceneDocument;
  warnings: string[];
}

/** What a moving body that weighs nothing is given (kg), as the URDF importer does. */
export const MJCF_TOKEN_MASS = 0.01;
const DEFAULT_DENSITY = 1000;
const DEFAULT_RGBA: [number, number, number, number] = [0.5, 0.5, 0.5, 1];
const INFINITE_PLANE = 20;
const Z_UP_TO_Y_UP = new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), -Math.PI / 2);
const ONE = new Vector3(1, 1, 1);

const vec3 = (v: Vector3): Vec3 => [v.x, v.y, v.z];
const quat = (q: Quaternion): [number, number, number, number] => [q.x, q.y, q.z, q.w];
const matrix = (f: Frame) => new Matrix4().compose(f.position, f.rotation, ONE);

interface Ctx {
  file: string;
  model: MjcfModel;
  warnings: string[];
  resolve: MjcfImportOptions['resolveAsset'];
  /** Meshes read once each, by asset name (null: unreadable, warned). */
  meshes: Map<string, Extract<Geometry, { kind: 'mesh' }> | null>;
  /** Read but not simulated → where (one warning each). */
  ignored: Map<string, string[]>;
}

const fail = (ctx: Ctx, where: string, message: string): never => {
  throw new InputError(ctx.file, `${where}: ${message}`);
};
const warn = (ctx: Ctx, where: string, message: string) => ctx.warnings.push(`${where}: ${message}`);
const note = (ctx: Ctx, what: string, where: string) => {
  const list = ctx.ignored.get(what) ?? [];
  list.push(where);
  ctx.ignored.set(what, list);
};

const nums = (ctx: Ctx, e: Element, name: string, count: number | [number, number]) => parseNumbers(e.where, name, e.attrs[name], count, (w, m) => fail(ctx, w, m));
const num = (ctx: Ctx, e: Element, name: string, fallback: number) => nums(ctx, e, name, 1)?.[0] ?? fallback;
const angle = (ctx: Ctx, v: number) => toRadians(ctx.model.compiler, v);
/** An element's frame relative to its body. */
const elementFrame = (ctx: Ctx, e: Element): Frame => parseFrame(e.where, e.attrs, ctx.model.compiler, (w, m) => fail(ctx, w, m));

// ---------------------------------------------------------------- geoms

interface GeomShape {
  geometry: Geometry;
  /** The geom's frame in its body. */
  frame: Frame;
  /** For mass: the solid's moments (an ellipsoid's exactly, not its mesh's). */
  moments: ReturnType<typeof solidMoments>;
}

/** An ellipsoid (or any sphere scaled) as a closed UV-sphere mesh. */
function ellipsoidMesh([a, b, c]: Vec3, segments = 24, rings = 16): Extract<Geometry, { kind: 'mesh' }> {
  const points: number[] = [0, 0, c];
  for (let r = 1; r < rings; r++) {
    const theta = (Math.PI * r) / rings;
    for (let s = 0; s < segments; s++) {
      const phi = (2 * Math.PI * s) / segments;
      points.push(a * Math.sin(theta) * Math.cos(phi), b * Math.sin(theta) * Math.sin(phi), c * Math.cos(theta));
    }
  }
  points.push(0, 0, -c);
  const bottom = points.length / 3 - 1;
  const at = (r: number, s: number) => 1 + (r - 1) * segments + (s % segments);
  const indices: number[] = [];
  for (let s = 0; s < segments; s++) indices.push(0, at(1, s), at(1, s + 1));
  for (let r = 1; r < rings - 1; r++) {
    for (let s = 0; s < segments; s++) indices.push(at(r, s), at(r + 1, s), at(r + 1, s + 1), at(r, s), at(r + 1, s + 1), at(r, s + 1));
  }
  for (let s = 0; s < segments; s++) indices.push(bottom, at(rings - 1, s + 1), at(rings - 1, s));
  return { kind: 'mesh', points, indices };
}

function meshAsset(ctx: Ctx, name: string, where: string): Extract<Geometry, { kind: 'mesh' }> | null {
  if (ctx.meshes.has(name)) return ctx.meshes.get(name)!;
  const asset = ctx.model.meshes.get(name);
  if (!asset) return fail(ctx, where, `mesh "${name}" is not defined in <asset>`);
  let geometry: Extract<Geometry, { kind: 'mesh' }> | null = null;
  if (asset.file === null) {
    const v = asset.vertex ?? [];
    if (asset.face && asset.face.length >= 3 && v.length >= 9) {
      geometry = { kind: 'mesh', points: v.map((x, i) => x * asset.scale[i % 3]!), indices: asset.face };
    } else {
      warn(ctx, asset.where, 'inline vertex data without faces (MuJoCo takes their convex hull) is not supported; the geom is left out');
    }
  } else {
    const format = meshFormat(asset.file);
    let bytes: Uint8Array | null | undefined = null;
    let problem: string | null = null;
    if (!format) problem = `has an unsupported format ("${fileExtension(asset.file) || 'no extension'}"; STL and OBJ are read)`;
    else {
      try {
        bytes = ctx.resolve?.(asset.file);
      } catch (e) {
        problem = `could not be read (${(e as Error).message})`;
      }
      if (!problem && !bytes) problem = ctx.resolve ? 'was not found' : 'was not found (open the model with its folder to give its meshes)';
    }
    if (!problem && format && bytes) {
      const read = readMeshFile(bytes, format, asset.scale);
      if ('geometry' in read) geometry = read.geometry;
      else problem = read.problem;
    }
    if (problem) warn(ctx, asset.where, `mesh file "${asset.file}" ${problem}; geoms using it are left out`);
  }
  ctx.meshes.set(name, geometry);
  return geometry;
}

/** The geom's shape in its body, or null (warned) when it cannot be made. */
function geomShape(ctx: Ctx, e: Element): GeomShape | null {
  const type = e.attrs.type ?? (e.attrs.mesh !== undefined ? 'mesh' : 'sphere');
  const size = nums(ctx, e, 'size', [0, 3]) ?? [];
  const fromto = nums(ctx, e, 'fromto', 6);
  let frame = elementFrame(ctx, e);
  let half: number | null = null;
  if (fromto && ['capsule', 'cylinder', 'box', 'ellipsoid'].includes(type)) {
    const from = new Vector3(fromto[0], fromto[1], fromto[2]);
    const to = new Vector3(fromto[3], fromto[4], fromto[5]);
    const along = to.clone().sub(from);
    if (along.length() < 1e-12) fail(ctx, e.where, 'fromto needs two different points');
    frame = { position: from.clone().add(to).multiplyScalar(0.5), rotation: new Quaternion().setFromUnitVectors(new Vector3(0, 0, 1), along.clone().normalize()) };
    half = along.length() / 2;
  }
  const need = (count: number, what: string) => {
    if (size.length < count || size.slice(0, count).some((s) => !(s > 0))) fail(ctx, e.where, `a ${type} geom needs size with ${what}, got "${e.attrs.size ?? ''}"`);
  };
  let geometry: Geometry;
  let moments: GeomShape['moments'] | undefined;
  switch (type) {
    case 'sphere':
      need(1, 'a positive radius');
      geometry = { kind: 'sphere', radius: size[0]! };
      break;
    case 'box':
      if (half !== null) {
        need(2, 'the half-widths across the fromto segment');
        geometry = { kind: 'box', size: [2 * size[0]!, 2 * size[1]!, 2 * half] };
      } else {
        need(3, 'three positive half-sizes');
        geometry = { kind: 'box', size: [2 * size[0]!, 2 * size[1]!, 2 * size[2]!] };
      }
      break;
    case 'capsule':
    case 'cylinder': {
      need(1, 'a positive radius');
      const h = half ?? size[1];
      if (!(h !== undefined && h >= 0)) fail(ctx, e.where, `a ${type} geom needs a half-length (size's second number) or fromto`);
      geometry = { kind: type, radius: size[0]!, height: 2 * h!, axis: 'Z' };
      break;
    }
    case 'ellipsoid': {
      const radii: Vec3 = half !== null ? [size[0]!, size[1]!, half] : [size[0]!, size[1]!, size[2]!];
      if (!radii.every((r) => r > 0)) fail(ctx, e.where, `an ellipsoid geom needs three positive radii, got "${e.attrs.size ?? ''}"`);
      geometry = ellipsoidMesh(radii);
      moments = ellipsoidMoments(radii);
      break;
    }
    case 'plane': {
      const [x, y] = [size[0] ?? 0, size[1] ?? 0];
      // 0 means infinite in MuJoCo; drawn as a large square.
      geometry = { kind: 'plane', width: 2 * (x > 0 ? x : INFINITE_PLANE / 2), length: 2 * (y > 0 ? y : INFINITE_PLANE / 2), axis: 'Z' };
      break;
    }
    case 'mesh': {
      const name = e.attrs.mesh;
      if (!name) fail(ctx, e.where, 'a mesh geom needs a mesh');
      const mesh = meshAsset(ctx, name!, e.where);
      if (!mesh) return null;
      geometry = mesh;
      break;
    }
    case 'hfield':
    case 'sdf':
      warn(ctx, e.where, `${type} geoms are not supported; left out`);
      return null;
    default:
      return fail(ctx, e.where, `unknown geom type "${type}"`);
  }
  return { geometry, frame, moments: moments ?? solidMoments(geometry) };
}

function rgba(ctx: Ctx, e: Element): [number, number, number, number] {
  const own = nums(ctx, e, 'rgba', 4);
  if (own) return own as [number, number, number, number];
  const material = e.attrs.material ? ctx.model.materials.get(e.attrs.material) : undefined;
  if (e.attrs.material && !material) warn(ctx, e.where, `material "${e.attrs.material}" is not defined in <asset>; drawn grey`);
  if (material?.attrs.texture) note(ctx, 'material textures', material.where);
  return ((material && nums(ctx, material, 'rgba', 4)) as [number, number, number, number] | null) ?? DEFAULT_RGBA;
}

function look(ctx: Ctx, e: Element): VisualMaterial {
  const [r, g, b, a] = rgba(ctx, e);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return { color: [clamp(r), clamp(g), clamp(b)], roughness: 0.5, metallic: 0, opacity: clamp(a) };
}

// ---------------------------------------------------------------- the tree

interface BodyNode {
  body: MjcfBody;
  parent: BodyNode | null;
  /** Pose in the model's world (Z up) for all joints at zero. */
  world: Matrix4;
  path: string;
  joint: Element | null;
  jointed: boolean;
}

function flatten(model: MjcfModel): BodyNode[] {
  const out: BodyNode[] = [];
  const visit = (body: MjcfBody, parent: BodyNode | null, parentWorld: Matrix4) => {
    const node: BodyNode = { body, parent, world: parentWorld.clone().multiply(matrix(body.frame)), path: '', joint: body.joints[0] ?? null, jointed: false };
    out.push(node);
    for (const child of body.children) visit(child, node, node.world);
  };
  for (const top of model.world.children) visit(top, null, new Matrix4());
  // A body is "jointed" when it or a descendant moves relative to its parent by a joint other than free.
  for (const node of [...out].reverse()) {
    const own = node.joint !== null && node.joint.attrs.type !== 'free';
    if (own || node.jointed) for (let p = node.parent; p; p = p.parent) p.jointed = true;
    node.jointed ||= own;
  }
  return out;
}

function jointType(ctx: Ctx, e: Element): 'hinge' | 'slide' | 'ball' | 'free' {
  const type = e.attrs.type ?? 'hinge';
  if (type !== 'hinge' && type !== 'slide' && type !== 'ball' && type !== 'free') return fail(ctx, e.where, `unknown joint type "${type}" (hinge, slide, ball or free)`);
  return type;
}

interface Servo {
  stiffness: number;
  damping: number;
  maxForce: number | null;
}

/** The position-servo gains of each joint's actuator, by joint name. */
function actuatorGains(ctx: Ctx, jointNames: Set<string>): Map<string, Servo | 'motor'> {
  const out = new Map<string, Servo | 'motor'>();
  for (const a of ctx.model.actuators) {
    if (a.tag === 'plugin') {
      warn(ctx, a.where, 'plugin actuators are not supported; ignored');
      continue;
    }
    const joint = a.attrs.joint ?? a.attrs.jointinparent;
    if (!joint) {
      const kind = ['tendon', 'site', 'body', 'cranksite'].find((k) => a.attrs[k] !== undefined);
      warn(ctx, a.where, `${kind ? `${kind} transmissions are` : 'an actuator without a joint is'} not supported; ignored`);
      continue;
    }
    if (!jointNames.has(joint)) fail(ctx, a.where, `joint "${joint}" does not exist`);
    if (out.has(joint)) warn(ctx, a.where, `joint "${joint}" already has an actuator; this one is ignored`);
    const gear = nums(ctx, a, 'gear', [1, 6])?.[0] ?? 1;
    if (gear !== 1) warn(ctx, a.where, `gear ${gear} is not simulated (taken as 1)`);
    const range = nums(ctx, a, 'forcerange', 2);
    const limited = a.attrs.forcelimited === 'true' || (a.attrs.forcelimited !== 'false' && ctx.model.compiler.autolimits && range !== null);
    const maxForce = limited && range ? Math.max(Math.abs(range[0]!), Math.abs(range[1]!)) : null;
    if (a.tag === 'position') {
      const kp = num(ctx, a, 'kp', 1);
      const kv = num(ctx, a, 'kv', 0);
      out.set(joint, { stiffness: kp, damping: kv, maxForce });
    } else if (a.tag === 'velocity') {
      out.set(joint, { stiffness: 0, damping: num(ctx, a, 'kv', 1), maxForce });
    } else if (a.tag === 'general') {
      const gain = nums(ctx, a, 'gainprm', [1, 10]) ?? [1];
      const bias = nums(ctx, a, 'biasprm', [1, 10]) ?? [0, 0, 0];
      const biastype = a.attrs.biastype ?? 'none';
      const gaintype = a.attrs.gaintype ?? 'fixed';
      const kp = gain[0]!;
      if (gaintype === 'fixed' && biastype === 'affine' && Math.abs((bias[1] ?? 0) + kp) <= 1e-9 * Math.max(1, Math.abs(kp)) && (bias[0] ?? 0) === 0) {
        out.set(joint, { stiffness: kp, damping: -(bias[2] ?? 0), maxForce });
      } else {
        warn(ctx, a.where, 'a general actuator that is not a position servo (gain fixed, affine bias −kp·q − kv·q̇) is taken as a motor: no drive');
        out.set(joint, 'motor');
      }
    } else if (a.tag === 'motor') {
      out.set(joint, 'motor');
    } else {
      warn(ctx, a.where, `<${a.tag}> actuators are not supported; ignored`);
    }
  }
  return out;
}

function sceneJoint(ctx: Ctx, node: BodyNode, e: Element, path: string, body0: string | null, servo: Servo | 'motor' | undefined): Joint {
  const type = jointType(ctx, e);
  const axisVector = new Vector3(...(nums(ctx, e, 'axis', 3) ?? [0, 0, 1]));
  if (axisVector.length() < 1e-12) fail(ctx, e.where, 'axis must not be zero');
  axisVector.normalize();
  const { axis, rotation } = type === 'ball' ? { axis: 'X' as const, rotation: new Quaternion() } : jointAxisFrame(axisVector);
  const anchor = new Vector3(...(nums(ctx, e, 'pos', 3) ?? [0, 0, 0]));
  // The joint frame: at the anchor in the child; the same place seen from the parent (body frame at q = 0).
  const inParent = matrix(node.body.frame).multiply(new Matrix4().compose(anchor, rotation, ONE));
  const p0 = new Vector3();
  const r0 = new Quaternion();
  inParent.decompose(p0, r0, new Vector3());
  const range = nums(ctx, e, 'range', 2);
  const limited = e.attrs.limited === 'true' || (e.attrs.limited !== 'false' && ctx.model.compiler.autolimits && range !== null);
  if (e.attrs.limited === 'true' && !range) warn(ctx, e.where, 'limited without a range; left unlimited');
  const dof = type === 'slide' ? 'linear' : 'angular';
  const limits: JointLimit[] = [];
  const toUnits = (v: number) => (type === 'slide' ? v : angle(ctx, v));
  let low = -Infinity;
  let high = Infinity;
  if (limited && range && type !== 'ball') {
    [low, high] = [toUnits(range[0]!), toUnits(range[1]!)];
    if (low > high) fail(ctx, e.where, `range's lower end is above its upper end ("${e.attrs.range}")`);
    limits.push({ dof, low, high });
  }
  const cone = limited && range && type === 'ball' ? angle(ctx, range[1]!) : null;
  const damping = num(ctx, e, 'damping', 0);
  const drives: JointDrive[] = [];
  if (type !== 'ball') {
    const gains = servo && servo !== 'motor' ? servo : null;
    if (gains || damping > 0) {
      drives.push({ dof, type: 'force', stiffness: gains?.stiffness ?? 0, damping: (gains?.damping ?? 0) + damping, targetPosition: Math.min(high, Math.max(low, 0)), targetVelocity: 0, maxForce: gains?.maxForce ?? null });
    }
  } else if (damping > 0 || servo) {
    note(ctx, 'ball-joint damping and actuators', e.where);
  }
  if (num(ctx, e, 'armature', 0) > 0) note(ctx, 'joint armature', e.where);
  if (num(ctx, e, 'frictionloss', 0) > 0) note(ctx, 'joint frictionloss', e.where);
  if (num(ctx, e, 'stiffness', 0) > 0) note(ctx, 'joint springs (stiffness)', e.where);
  if (num(ctx, e, 'ref', 0) !== 0) warn(ctx, e.where, 'ref (a non-zero reference position) is not supported; the body is placed as authored');
  return newJoint(path, type === 'slide' ? 'prismatic' : type === 'ball' ? 'spherical' : 'revolute', {
    body0,
    body1: node.path,
    localPos0: vec3(p0),
    localRot0: quat(r0.normalize()),
    localPos1: vec3(anchor),
    localRot1: quat(rotation),
    axis,
    limits,
    drives,
    coneAngle0: cone,
    coneAngle1: cone,
  });
}


function fixedJoint(path: string, body0: string, node: BodyNode): Joint {
  return newJoint(path, 'fixed', { body0, body1: node.path, localPos0: vec3(node.body.frame.position), localRot0: quat(node.body.frame.rotation) });
}

const xform = (path: string, type: string, pose: Matrix4 | Frame, visible = true): Prim => posedPrim(path, type, pose instanceof Matrix4 ? pose : matrix(pose), visible);

/** The body's mass properties in its frame (see the module comment). */
function bodyMass(ctx: Ctx, node: BodyNode, shapes: { e: Element; shape: GeomShape }[], moving: boolean): MassProperties | undefined {
  const { inertial, where } = node.body;
  const fromGeoms = ctx.model.compiler.inertiafromgeom === 'true' || (ctx.model.compiler.inertiafromgeom === 'auto' && !inertial);
  if (!fromGeoms && inertial) {
    if (inertial.mass === 0) {
      if (moving) warn(ctx, where, `<inertial mass="0">; given a token mass of ${MJCF_TOKEN_MASS} kg`);
      return moving ? { mass: MJCF_TOKEN_MASS, diagonalInertia: token() } : undefined;
    }
    const out: MassProperties = { mass: inertial.mass, centerOfMass: vec3(inertial.frame.position) };
    if (!inertial.inertia) {
      warn(ctx, where, '<inertial> without diaginertia or fullinertia; that of a 5 cm sphere of its mass is used');
      out.diagonalInertia = token(inertial.mass);
      return out;
    }
    let moments: Vec3;
    let axes = new Quaternion();
    if ('diagonal' in inertial.inertia) moments = inertial.inertia.diagonal;
    else {
      const [xx, yy, zz, xy, xz, yz] = inertial.inertia.full;
      ({ moments, axes } = diagonaliseInertia([xx, xy, xz, yy, yz, zz]));
    }
    if (!moments.every((m) => m > 0)) fail(ctx, `${where} <inertial>`, `the inertia must be positive definite (principal moments ${moments.map((m) => m.toPrecision(3)).join(', ')})`);
    out.diagonalInertia = moments;
    out.principalAxes = quat(inertial.frame.rotation.clone().multiply(axes).normalize());
    return out;
  }
  const parts: MassPart[] = [];
  for (const { e, shape } of shapes) {
    if (!shape.moments) continue;
    const given = nums(ctx, e, 'mass', 1)?.[0];
    const density = num(ctx, e, 'density', DEFAULT_DENSITY);
    const mass = given ?? density * shape.moments.volume;
    if (mass > 0) parts.push({ mass, moments: shape.moments, pose: matrix(shape.frame) });
  }
  const combined = combineMass(parts);
  if (combined) return combined;
  if (moving) {
    warn(ctx, where, `has no <inertial> and its geoms weigh nothing; given a token mass of ${MJCF_TOKEN_MASS} kg`);
    return { mass: MJCF_TOKEN_MASS, diagonalInertia: token() };
  }
  return undefined;
}

/** The inertia of a 5 cm solid sphere of `mass`: a harmless stand-in. */
const token = (mass = MJCF_TOKEN_MASS): Vec3 => {
  const i = 0.4 * mass * 0.05 ** 2;
  return [i, i, i];
};

// ---------------------------------------------------------------- the import

function buildDocument(ctx: Ctx): SceneDocument {
  const { model } = ctx;
  const rootPath = `/${new UniqueNames().take(model.name)}`;
  const names = new UniqueNames();
  const nodes = flatten(model);
  const jointsPath = `${rootPath}/${names.take('joints')}`;
  const jointPrimNames = new UniqueNames();
  nodes.forEach((node, i) => {
    node.path = `${rootPath}/${names.take(node.body.name ?? `body_${i + 1}`)}`;
    if (node.body.name && !node.path.endsWith(`/${node.body.name}`)) warn(ctx, node.body.where, `imported as ${node.path} (prim names take letters, digits and _, and are unique)`);
  });
  const byName = new Map(nodes.filter((n) => n.body.name).map((n) => [n.body.name!, n]));
  const jointNames = new Set(nodes.flatMap((n) => n.body.joints.map((j) => j.attrs.name).filter((x): x is string => !!x)));
  const servos = actuatorGains(ctx, jointNames);

  const prims: Prim[] = [xform(rootPath, 'Xform', new Matrix4().makeRotationFromQuaternion(Z_UP_TO_Y_UP))];
  const joints: Joint[] = [];
  const jointPrims: Prim[] = [];
  const frictions = new Map<number, string>();
  const physicsMaterials: PhysicsMaterial[] = [];
  /** contype/conaffinity signature → the collider prims that have it. */
  const signatures = new Map<string, string[]>();

  const frictionMaterial = (e: Element): string | null => {
    const f = nums(ctx, e, 'friction', [1, 3])?.[0] ?? 1;
    if (!frictions.has(f)) {
      const path = `${rootPath}/${names.take(`Friction_${String(f).replace(/[^0-9]/g, '_')}`)}`;
      frictions.set(f, path);
      physicsMaterials.push({ path, staticFriction: f, dynamicFriction: f, restitution: 0, frictionCombine: 'max', restitutionCombine: 'max' });
    }
    return frictions.get(f)!;
  };

  /** The geoms of a body (or the world) as child prims of `owner`; returns their shapes for mass. */
  const addGeoms = (owner: string, geoms: Element[], childNames: UniqueNames) => {
    const shapes: { e: Element; shape: GeomShape }[] = [];
    geoms.forEach((e, i) => {
      const shape = geomShape(ctx, e);
      if (!shape) return;
      shapes.push({ e, shape });
      const group = num(ctx, e, 'group', 0);
      const contype = num(ctx, e, 'contype', 1);
      const conaffinity = num(ctx, e, 'conaffinity', 1);
      const path = `${owner}/${childNames.take(e.attrs.name ?? `geom_${i + 1}`)}`;
      const prim = xform(path, GPRIM_TYPES[shape.geometry.kind], shape.frame, group >= 0 && group <= 2);
      prim.geometry = shape.geometry;
      prim.material = look(ctx, e);
      if (contype !== 0 || conaffinity !== 0) {
        const hull = shape.geometry.kind === 'mesh';
        prim.collider = { enabled: true, approximation: hull ? 'convexHull' : 'none', physicsMaterial: frictionMaterial(e) };
        const key = `${contype}:${conaffinity}`;
        signatures.set(key, [...(signatures.get(key) ?? []), path]);
      }
      prims.push(prim);
    });
    return shapes;
  };

  const addExtras = (owner: string, body: MjcfBody, childNames: UniqueNames) => {
    body.sites.forEach((e, i) => prims.push(xform(`${owner}/${childNames.take(e.attrs.name ?? `site_${i + 1}`)}`, 'Xform', elementFrame(ctx, e), false)));
    body.cameras.forEach((e, i) => {
      const prim = xform(`${owner}/${childNames.take(e.attrs.name ?? `camera_${i + 1}`)}`, 'Camera', elementFrame(ctx, e));
      const mode = e.attrs.mode ?? 'fixed';
      if (mode !== 'fixed') warn(ctx, e.where, `camera mode "${mode}" is not supported; the camera is fixed to its body`);
      if (e.attrs.focal !== undefined || e.attrs.sensorsize !== undefined) note(ctx, 'camera focal/sensorsize (fovy is used)', e.where);
      const fovY = (num(ctx, e, 'fovy', 45) * Math.PI) / 180;
      if (!(fovY > 0 && fovY < Math.PI)) fail(ctx, e.where, `fovy must be between 0 and 180 degrees, got ${e.attrs.fovy}`);
      const resolution = nums(ctx, e, 'resolution', 2);
      const [w, h] = resolution && resolution.every((v) => v > 0 && Number.isInteger(v)) ? resolution : [4, 3];
      prim.camera = { projection: 'perspective', fovY, aspect: w! / h!, near: 0.01, far: 100, ...lensValues(fovY, w!, h!), ...(resolution ? { resolution: [resolution[0]!, resolution[1]!] } : {}) };
      prims.push(prim);
    });
    body.lights.forEach((e, i) => {
      if (e.attrs.directional !== 'true') {
        note(ctx, 'spot and point lights', e.where);
        return;
      }
      const dir = new Vector3(...(nums(ctx, e, 'dir', 3) ?? [0, 0, -1]));
      if (dir.length() < 1e-12) fail(ctx, e.where, 'dir must not be zero');
      const position = new Vector3(...(nums(ctx, e, 'pos', 3) ?? [0, 0, 0]));
      const prim = xform(`${owner}/${childNames.take(e.attrs.name ?? `light_${i + 1}`)}`, 'DistantLight', { position, rotation: new Quaternion().setFromUnitVectors(new Vector3(0, 0, -1), dir.normalize()) });
      const diffuse = nums(ctx, e, 'diffuse', 3) ?? [0.7, 0.7, 0.7];
      prim.light = { kind: 'distant', color: [1, 1, 1], intensity: 3 * Math.max(...diffuse), exposure: 0 };
      prims.push(prim);
    });
  };

  // The world body's own geoms, sites, cameras and lights.
  const w = model.world;
  if (w.geoms.length || w.sites.length || w.cameras.length || w.lights.length) {
    const worldPath = `${rootPath}/${names.take('world')}`;
    prims.push(xform(worldPath, 'Xform', new Matrix4()));
    const childNames = new UniqueNames();
    addGeoms(worldPath, w.geoms, childNames);
    addExtras(worldPath, w, childNames);
  }

  for (const node of nodes) {
    const { body } = node;
    const joint = node.joint;
    if (body.joints.length > 1) warn(ctx, body.where, `has ${body.joints.length} joints; only the first (${body.joints[0]!.where}) is simulated`);
    const type = joint ? jointType(ctx, joint) : null;
    const top = node.parent === null;
    const welded = top && type === null;
    const bodyType = body.mocap ? 'kinematic' : welded ? (node.jointed ? 'kinematic' : 'static') : 'dynamic';
    if (type === 'free' && !top) warn(ctx, joint!.where, 'a free joint below another body is simulated as a free body (it does not follow its parent)');
    const prim = xform(node.path, 'Xform', node.world);
    prim.body = { type: bodyType, enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false };
    prim.articulationRoot = top && node.jointed;
    prims.push(prim);
    const childNames = new UniqueNames();
    const shapes = addGeoms(node.path, body.geoms, childNames);
    const mass = bodyMass(ctx, node, shapes, bodyType === 'dynamic');
    if (mass) prim.mass = mass;
    addExtras(node.path, body, childNames);

    const parentPath = node.parent?.path ?? null;
    if (type && type !== 'free') {
      const name = joint!.attrs.name ?? `${body.name ?? 'body'}_joint`;
      const path = `${jointsPath}/${jointPrimNames.take(name)}`;
      if (joint!.attrs.name && !path.endsWith(`/${joint!.attrs.name}`)) warn(ctx, joint!.where, `imported as ${path} (prim names take letters, digits and _, and are unique)`);
      const scene = sceneJoint(ctx, node, joint!, path, parentPath, joint!.attrs.name ? servos.get(joint!.attrs.name) : undefined);
      joints.push(scene);
      const frame = (node.parent?.world.clone() ?? new Matrix4()).multiply(new Matrix4().compose(new Vector3(...scene.localPos0), new Quaternion(...scene.localRot0), ONE));
      jointPrims.push(xform(path, JOINT_TYPES[scene.type], frame));
    } else if (type === null && parentPath) {
      const path = `${jointsPath}/${jointPrimNames.take(`${body.name ?? 'body'}_weld`)}`;
      joints.push(fixedJoint(path, parentPath, node));
      jointPrims.push(xform(path, JOINT_TYPES.fixed, node.world));
    }
  }
  if (jointPrims.length) prims.push(newPrim(jointsPath, 'Scope'), ...jointPrims);
  // Physics materials are prims too (as UsdPhysics has them), so the document exports and reads back the same.
  for (const material of physicsMaterials) prims.push(newPrim(material.path, 'Material'));

  // Collision filtering: MuJoCo lets two geoms touch when (contype₁ & conaffinity₂) | (contype₂ & conaffinity₁).
  const collisionGroups: CollisionGroup[] = [];
  const keys = [...signatures.keys()];
  const parse = (k: string) => k.split(':').map(Number) as [number, number];
  const collide = (a: string, b: string) => {
    const [ta, aa] = parse(a);
    const [tb, ab] = parse(b);
    return (ta & ab) !== 0 || (tb & aa) !== 0;
  };
  if (keys.some((a) => keys.some((b) => !collide(a, b)))) {
    const groupPath = new Map(keys.map((k) => [k, `${rootPath}/${names.take(`Contype_${k.replace(':', '_')}`)}`]));
    for (const k of keys) {
      collisionGroups.push({ path: groupPath.get(k)!, members: signatures.get(k)!, filteredGroups: keys.filter((o) => !collide(k, o)).map((o) => groupPath.get(o)!), invertFilteredGroups: false });
      prims.push(xform(groupPath.get(k)!, 'PhysicsCollisionGroup', new Matrix4()));
    }
  }
  const filteredPairs: [string, string][] = model.excludes.map(([a, b], i) => {
    const [na, nb] = [byName.get(a), byName.get(b)];
    if (!na || !nb) fail(ctx, `<exclude> #${i + 1} in <contact>`, `body "${!na ? a : b}" does not exist`);
    return [na!.path, nb!.path];
  });

  for (const [kind, where] of model.unsupported) ctx.warnings.push(`${ctx.file}: ${kind}: not supported; ignored (${summary(where)})`);
  for (const [kind, where] of ctx.ignored) ctx.warnings.push(`${ctx.file}: ${kind}: not simulated; ignored on ${summary(where)}`);

  const [gx, gy, gz] = model.gravity;
  const gravity = new Vector3(gx, gy, gz).applyQuaternion(Z_UP_TO_Y_UP);
  return {
    schema: SCENE_SCHEMA_ID,
    version: SCENE_SCHEMA_VERSION,
    // upAxis "Z" records MuJoCo's convention (the root prim turns it into the document's Y-up).
    source: { file: ctx.file, format: 'mjcf', metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Z' },
    gravity: [gravity.x, gravity.y === 0 ? 0 : gravity.y, Math.abs(gravity.z) < 1e-12 ? 0 : gravity.z],
    prims,
    physicsMaterials,
    joints,
    collisionGroups,
    filteredPairs,
  };
}

const summary = (where: readonly string[]) => `${where.slice(0, 4).join(', ')}${where.length > 4 ? ` and ${where.length - 4} more` : ''}`;

/**
 * Reads an MJCF model (bytes or text) into a validated scene document. Throws InputError for files
 * that are not a usable model; what is imported approximately or not at all becomes a warning.
 */
export function importMjcf(data: Uint8Array | ArrayBuffer | string, file: string, options: MjcfImportOptions = {}): MjcfImportResult {
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  try {
    const model = readMjcf(text, file, options.resolveAsset);
    const ctx: Ctx = { file, model, warnings: [], resolve: options.resolveAsset, meshes: new Map(), ignored: new Map() };
    const document = buildDocument(ctx);
    return { document: validateSceneDocument(document, file), warnings: ctx.warnings };
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, `internal error while importing (${(e as Error).message}); please report this file`);
  }
}


/**
 * URDF → scene document. Reads a robot description (links with inertials, visuals and collisions;
 * joints with origins, axes, limits; materials) into the same document the USD importer produces,
 * so robotFromScene, PhysicsWorld and the renderer take a URDF robot like any other.
 *
 * Layout: one root prim named after the robot carries URDF's Z-up → the document's Y-up rotation
 * (as the USD importer does for upAxis "Z"); every link is a rigid-body prim directly under it,
 * placed at its pose for all joints at zero; a link's visuals and collisions are child prims
 * ("visual_0", "collision_0", ...). Joints are prims beside the links and entries of `joints`.
 * The root link (the one that is no joint's child) is the articulation root and is kinematic: the
 * robot is bolted to the world where the document puts it.
 *
 * Conventions chosen here (URDF does not say):
 * - Joint drives: URDF has no gains, so every revolute/continuous/prismatic joint gets a force
 *   position drive with URDF_DRIVE_GAINS, its force limit the joint's <limit effort>, its target 0
 *   clamped into the limits. <limit velocity> and <dynamics> are not simulated.
 * - The scene's joint axes are only X, Y or Z: a URDF axis that is not +X, +Y or +Z becomes "Z"
 *   with both joint frames turned so that their Z is the URDF axis. The child link's frame is the
 *   URDF joint frame, so localPos1 is zero and localRot1 is only that turn.
 * - Colours: <color rgba> is used as given, as linear RGB (URDF does not say which; most files
 *   mean sRGB-ish values, which then render slightly lighter than in RViz) and alpha as opacity.
 * - Mass: an inertial's tensor is diagonalised (principal moments and axes). Negative mass is an
 *   error (no physical reading); an inertia that is not positive definite is a warning and is
 *   replaced (the simulation needs one, and exporters often write zeros): by the collision
 *   shapes' inertia scaled to the mass, or without collisions by that of a 5 cm solid sphere.
 *   A link without <inertial> (or with mass 0) gets its mass from its collision shapes at the
 *   default density; one without collisions either (a pure frame such as a tool point) gets a
 *   token FRAME_LINK_MASS so it neither weighs the arm down nor destabilises it.
 * - Meshes: STL, OBJ and COLLADA (.dae) through three.js's loaders (COLLADA: its unit applied, its
 *   up axis not, as RViz and Gazebo read it; see collada.ts). A mesh that cannot be read
 *   is replaced by the link's other geometry (the collision shape for a visual, the visual for a
 *   collision) or, without one, a 5 cm box, with a warning, so the robot still simulates. Mesh
 *   collisions are convex hulls (as URDF consumers commonly do).
 * - Self-collision: joints do not let their two links collide, and one collision group filters
 *   the robot against itself (as the bundled Panda does).
 * - floating and planar joints are imported as fixed (warned); <mimic> is warned and the joint is
 *   simulated on its own; <gazebo>, <transmission> and other non-URDF elements are ignored, warned once.
 *
 * Errors (InputError naming the file and the link or joint): not XML, no <robot>, a xacro file,
 * malformed numbers, duplicate names, dangling joints, a link that is the child of two joints,
 * loops, no or several root links, lower > upper, negative mass, unknown joint types.
 */
import { Euler, Matrix4, Quaternion, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import { attribute, childTags, elements, firstElement, parseXml, type XmlNode } from '../xml.ts';
import { GPRIM_TYPES, JOINT_TYPES, UniqueNames } from '../usd/typeNames.ts';
import { fileExtension, meshFormat, readMeshFile } from '../mesh/meshFile.ts';
import { diagonaliseInertia, type InertiaTensor } from '../physics/inertia.ts';
import { validateSceneDocument } from '../scene/document.ts';
import { newJoint, posedPrim } from '../scene/prim.ts';
import { jointAxisFrame } from '../scene/jointAxis.ts';
import {
  EARTH_GRAVITY,
  SCENE_SCHEMA_ID,
  SCENE_SCHEMA_VERSION,
  type Geometry,
  type Joint,
  type JointDrive,
  type JointLimit,
  type MassProperties,
  type Prim,
  type Quat,
  type SceneDocument,
  type Vec3,
  type VisualMaterial,
} from '../scene/schema.ts';

export interface UrdfImportOptions {
  /**
   * The bytes of a mesh file, given its `<mesh filename>` exactly as written ("package://pkg/meshes/x.stl",
   * "meshes/x.obj", "file:///..."); null when it cannot be found. Without a resolver every mesh is
   * missing and replaced by a stand-in (with a warning).
   */
  resolveMesh?: (uri: string) => Uint8Array | null;
}

export interface UrdfImportResult {
  document: SceneDocument;
  warnings: string[];
}

/**
 * Position-drive gains given to URDF joints (force drives, SI): the bundled Panda's arm gains for
 * revolute joints (N·m/rad, N·m·s/rad); for prismatic ones (N/m, N·s/m) stiff enough to hold a
 * finger against contact, damped past critical for links of 0.05–1 kg.
 */
export const URDF_DRIVE_GAINS = {
  revolute: { stiffness: 4000, damping: 100 },
  prismatic: { stiffness: 2000, damping: 50 },
} as const;

/** kg: the mass of a link with neither inertial nor collisions (a frame such as a tool point). */
export const FRAME_LINK_MASS = 0.01;
/** m: edge of the box standing in for an unreadable mesh, and radius of the stand-in inertia's sphere. */
const STAND_IN_SIZE = 0.05;
const MAX_LINKS = 10_000;


type UrdfJointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed' | 'floating' | 'planar';
const URDF_JOINT_TYPES: readonly UrdfJointType[] = ['revolute', 'continuous', 'prismatic', 'fixed', 'floating', 'planar'];
const TOP_LEVEL = new Set(['link', 'joint', 'material']);

/** Rotation applied to the root prim to make URDF's Z-up the document's Y-up (as USD upAxis "Z"). */
const Z_UP_TO_Y_UP = new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), -Math.PI / 2);
const ONE = new Vector3(1, 1, 1);

interface Ctx {
  file: string;
  warnings: string[];
  /** Joint elements that are read but not simulated → the joints that have them (one warning each). */
  ignored: Map<string, string[]>;
  resolveMesh: ((uri: string) => Uint8Array | null) | undefined;
  /** Named materials: top-level ones, then those first defined inside a visual. */
  materials: Map<string, VisualMaterial>;
}

const fail = (ctx: Ctx, where: string, message: string): never => {
  throw new InputError(ctx.file, `${where}: ${message}`);
};
const warn = (ctx: Ctx, where: string, message: string) => ctx.warnings.push(`${where}: ${message}`);
const note = (ctx: Ctx, element: string, owner: string) => {
  const owners = ctx.ignored.get(element) ?? [];
  owners.push(owner);
  ctx.ignored.set(element, owners);
};

// ---------------------------------------------------------------- XML access

/** Parses the text into the <robot> element; errors name the line of malformed XML. */
function parseRobotElement(text: string, file: string): XmlNode {
  const root = parseXml(text, file);
  const robot = firstElement(root, 'robot');
  if (!robot) {
    const found = childTags(root).filter((t) => !t.startsWith('?'));
    throw new InputError(file, `no <robot> element${found.length ? ` (the document's root is <${found[0]}>)` : ''}; not a URDF file`);
  }
  if (childTags(robot).some((t) => t.startsWith('xacro:'))) {
    throw new InputError(file, 'this is a xacro file (it has <xacro:...> elements); expand it to URDF first (xacro robot.urdf.xacro > robot.urdf)');
  }
  return robot;
}

// ---------------------------------------------------------------- numbers and frames

/** `count` finite numbers from a whitespace-separated attribute; errors name the element and attribute. */
function numbers(ctx: Ctx, text: string | undefined, count: number, fallback: number[] | null, where: string, what: string): number[] {
  if (text === undefined) {
    if (fallback) return fallback;
    return fail(ctx, where, `${what} is missing`);
  }
  const parts = text.trim().split(/\s+/).filter(Boolean).map(Number);
  if (parts.length !== count || !parts.every(Number.isFinite)) {
    return fail(ctx, where, `${what} must be ${count === 1 ? 'a number' : `${count} numbers`}, got "${text}"`);
  }
  return parts;
}

const number = (ctx: Ctx, text: string | undefined, fallback: number | null, where: string, what: string): number =>
  numbers(ctx, text, 1, fallback === null ? null : [fallback], where, what)[0]!;

interface Frame {
  position: Vector3;
  rotation: Quaternion;
}

/** URDF rpy: roll about X, then pitch about Y, then yaw about Z, all about fixed axes (R = Rz·Ry·Rx). */
export function rpyToQuaternion(roll: number, pitch: number, yaw: number): Quaternion {
  return new Quaternion().setFromEuler(new Euler(roll, pitch, yaw, 'ZYX'));
}

/** The element's <origin xyz rpy> (identity when absent). */
function readOrigin(ctx: Ctx, node: XmlNode, where: string): Frame {
  const origin = firstElement(node, 'origin') ?? {};
  const xyz = numbers(ctx, attribute(origin, 'xyz'), 3, [0, 0, 0], where, '<origin xyz>');
  const rpy = numbers(ctx, attribute(origin, 'rpy'), 3, [0, 0, 0], where, '<origin rpy>');
  return { position: new Vector3(xyz[0], xyz[1], xyz[2]), rotation: rpyToQuaternion(rpy[0]!, rpy[1]!, rpy[2]!) };
}

const frameMatrix = (f: Frame) => new Matrix4().compose(f.position, f.rotation, ONE);
const vec3 = (v: Vector3): Vec3 => [v.x, v.y, v.z];
const quat = (q: Quaternion): Quat => [q.x, q.y, q.z, q.w];

// ---------------------------------------------------------------- links

type GeometrySpec = { kind: 'shape'; geometry: Geometry } | { kind: 'mesh'; filename: string; scale: Vec3 };

interface ShapeSpec {
  role: 'visual' | 'collision';
  origin: Frame;
  geometry: GeometrySpec;
  material: VisualMaterial | undefined;
}

interface InertialSpec {
  mass: number;
  origin: Frame;
  tensor: InertiaTensor | null;
}

interface LinkSpec {
  name: string;
  where: string;
  inertial: InertialSpec | null;
  shapes: ShapeSpec[];
}

const linkWhere = (name: string) => `link "${name}"`;
const jointWhere = (name: string) => `joint "${name}"`;

/** A size that must be finite and non-negative. */
function dimension(ctx: Ctx, node: XmlNode, name: string, where: string, element: string): number {
  const v = number(ctx, attribute(node, name), null, where, `<${element} ${name}>`);
  if (v < 0) fail(ctx, where, `<${element} ${name}> must not be negative, got ${v}`);
  return v;
}

/** The <geometry> of a visual or collision; null (warned) when it has none this importer knows. */
function readGeometry(ctx: Ctx, node: XmlNode, where: string, role: string): GeometrySpec | null {
  const geometry = firstElement(node, 'geometry');
  if (!geometry) {
    warn(ctx, where, `a <${role}> without <geometry>; skipped`);
    return null;
  }
  const box = firstElement(geometry, 'box');
  if (box) {
    const size = numbers(ctx, attribute(box, 'size'), 3, null, where, '<box size>');
    if (size.some((s) => s < 0)) fail(ctx, where, `<box size> must not be negative, got "${attribute(box, 'size')}"`);
    return { kind: 'shape', geometry: { kind: 'box', size: size as Vec3 } };
  }
  const cylinder = firstElement(geometry, 'cylinder');
  if (cylinder) {
    // URDF cylinders stand along the element frame's Z.
    return { kind: 'shape', geometry: { kind: 'cylinder', radius: dimension(ctx, cylinder, 'radius', where, 'cylinder'), height: dimension(ctx, cylinder, 'length', where, 'cylinder'), axis: 'Z' } };
  }
  const sphere = firstElement(geometry, 'sphere');
  if (sphere) return { kind: 'shape', geometry: { kind: 'sphere', radius: dimension(ctx, sphere, 'radius', where, 'sphere') } };
  // Not in the URDF spec, but urdfdom and several simulators read it; the length excludes the caps.
  const capsule = firstElement(geometry, 'capsule');
  if (capsule) {
    return { kind: 'shape', geometry: { kind: 'capsule', radius: dimension(ctx, capsule, 'radius', where, 'capsule'), height: dimension(ctx, capsule, 'length', where, 'capsule'), axis: 'Z' } };
  }
  const mesh = firstElement(geometry, 'mesh');
  if (mesh) {
    const filename = attribute(mesh, 'filename');
    if (!filename) return fail(ctx, where, '<mesh> needs a filename');
    const scale = numbers(ctx, attribute(mesh, 'scale'), 3, [1, 1, 1], where, '<mesh scale>') as Vec3;
    return { kind: 'mesh', filename, scale };
  }
  warn(ctx, where, `<${role}> geometry <${childTags(geometry)[0] ?? 'nothing'}> is not supported (box, cylinder, sphere, capsule, mesh); skipped`);
  return null;
}

/** A <color rgba> as a visual material (linear RGB as given; see the module comment). */
function readColor(ctx: Ctx, color: XmlNode, where: string): VisualMaterial {
  const rgba = numbers(ctx, attribute(color, 'rgba'), 4, null, where, '<color rgba>');
  if (rgba.some((c) => c < 0 || c > 1)) warn(ctx, where, `<color rgba="${attribute(color, 'rgba')}"> has values outside 0..1; clamped`);
  const c = rgba.map((v) => Math.min(1, Math.max(0, v)));
  return { color: [c[0]!, c[1]!, c[2]!], roughness: 0.5, metallic: 0, opacity: c[3]! };
}

/**
 * A <material>: its own colour, else the named material's. Named colours defined inside a visual
 * become available by name too (as urdfdom does).
 */
function readMaterial(ctx: Ctx, node: XmlNode, where: string): VisualMaterial | undefined {
  const name = attribute(node, 'name');
  const color = firstElement(node, 'color');
  if (firstElement(node, 'texture')) warn(ctx, where, `material${name ? ` "${name}"` : ''}: textures are not supported; using its colour`);
  if (color) {
    const look = readColor(ctx, color, where);
    if (name && !ctx.materials.has(name)) ctx.materials.set(name, look);
    return look;
  }
  if (name) {
    const named = ctx.materials.get(name);
    if (named) return { ...named, color: [...named.color] };
    warn(ctx, where, `material "${name}" is not defined; default look`);
  }
  return undefined;
}

function readInertial(ctx: Ctx, node: XmlNode, where: string): InertialSpec | null {
  const inertial = firstElement(node, 'inertial');
  if (!inertial) return null;
  const massNode = firstElement(inertial, 'mass');
  if (!massNode) {
    warn(ctx, where, '<inertial> without <mass>; treated as no inertial');
    return null;
  }
  const mass = number(ctx, attribute(massNode, 'value'), null, where, '<mass value>');
  if (mass < 0) fail(ctx, where, `<mass value> must not be negative, got ${mass}`);
  const inertia = firstElement(inertial, 'inertia');
  const tensor = inertia ? (['ixx', 'ixy', 'ixz', 'iyy', 'iyz', 'izz'].map((k) => number(ctx, attribute(inertia, k), 0, where, `<inertia ${k}>`)) as unknown as InertiaTensor) : null;
  return { mass, origin: readOrigin(ctx, inertial, where), tensor };
}

function readLink(ctx: Ctx, node: XmlNode): LinkSpec {
  const name = attribute(node, 'name');
  if (!name) return fail(ctx, '<link>', 'a link needs a name');
  const where = linkWhere(name);
  const shapes: ShapeSpec[] = [];
  for (const role of ['visual', 'collision'] as const) {
    for (const element of elements(node, role)) {
      const geometry = readGeometry(ctx, element, where, role);
      if (!geometry) continue;
      const materialNode = role === 'visual' ? firstElement(element, 'material') : undefined;
      shapes.push({ role, origin: readOrigin(ctx, element, where), geometry, material: materialNode ? readMaterial(ctx, materialNode, where) : undefined });
    }
  }
  return { name, where, inertial: readInertial(ctx, node, where), shapes };
}

// ---------------------------------------------------------------- meshes

/** Reads a mesh file into a mesh geometry (scaled), or says why it cannot. */
function loadMesh(ctx: Ctx, filename: string, scale: Vec3): { geometry: Geometry } | { problem: string } {
  const format = meshFormat(filename);
  if (!format) return { problem: `has an unsupported format ("${fileExtension(filename) || 'no extension'}"; STL, OBJ and COLLADA (.dae) are read)` };
  let bytes: Uint8Array | null;
  try {
    bytes = ctx.resolveMesh ? ctx.resolveMesh(filename) : null;
  } catch (e) {
    return { problem: `could not be read (${(e as Error).message})` };
  }
  if (!bytes) return { problem: ctx.resolveMesh ? 'was not found' : 'was not found (no mesh resolver was given)' };
  return readMeshFile(bytes, format, scale);
}

/** A shape ready to become a prim: its geometry in its own frame. */
interface BuiltShape {
  role: 'visual' | 'collision';
  origin: Frame;
  geometry: Geometry;
  material: VisualMaterial | undefined;
}

/**
 * The link's shapes with meshes loaded. An unreadable mesh is replaced by the link's first readable
 * shape of the other role (at that shape's origin), else by a 5 cm box at the mesh's origin.
 */
function buildShapes(ctx: Ctx, link: LinkSpec): BuiltShape[] {
  const loaded = link.shapes.map((shape) => {
    if (shape.geometry.kind === 'shape') return { shape, geometry: shape.geometry.geometry as Geometry | null, problem: '' };
    const result = loadMesh(ctx, shape.geometry.filename, shape.geometry.scale);
    return 'geometry' in result ? { shape, geometry: result.geometry as Geometry | null, problem: '' } : { shape, geometry: null, problem: result.problem };
  });
  return loaded.map(({ shape, geometry, problem }) => {
    if (geometry) return { role: shape.role, origin: shape.origin, geometry, material: shape.material };
    const other = loaded.find((l) => l.shape.role !== shape.role && l.geometry);
    const filename = shape.geometry.kind === 'mesh' ? shape.geometry.filename : '';
    warn(ctx, link.where, `${shape.role} mesh "${filename}" ${problem}; using a stand-in: ${other ? `the link's ${other.shape.role} geometry` : `a ${STAND_IN_SIZE * 100} cm box`}`);
    if (other) return { role: shape.role, origin: other.shape.origin, geometry: structuredClone(other.geometry!), material: shape.material };
    return { role: shape.role, origin: shape.origin, geometry: { kind: 'box', size: [STAND_IN_SIZE, STAND_IN_SIZE, STAND_IN_SIZE] }, material: shape.material };
  });
}

/** Inertia (kg·m²) of a solid sphere of the stand-in radius: a harmless fallback for tiny links. */
const sphereInertia = (mass: number): Vec3 => {
  const i = 0.4 * mass * STAND_IN_SIZE ** 2;
  return [i, i, i];
};

/** The link's mass properties in its frame (see the module comment for the fallbacks). */
function massProperties(ctx: Ctx, link: LinkSpec, isRoot: boolean, hasCollision: boolean): MassProperties | undefined {
  const inertial = link.inertial;
  if (inertial && inertial.mass === 0 && !isRoot) warn(ctx, link.where, '<mass value="0">: treated as no inertial');
  if (!inertial || inertial.mass === 0) {
    // The root is kinematic: its mass never enters the simulation.
    if (isRoot) return undefined;
    if (hasCollision) {
      warn(ctx, link.where, 'no <inertial>; mass from the collision shapes at the default density (1000 kg/m³)');
      return undefined;
    }
    warn(ctx, link.where, `no <inertial> and no collision shapes; given a token mass of ${FRAME_LINK_MASS} kg`);
    return { mass: FRAME_LINK_MASS, diagonalInertia: sphereInertia(FRAME_LINK_MASS) };
  }
  const out: MassProperties = { mass: inertial.mass, centerOfMass: vec3(inertial.origin.position) };
  const replaced = hasCollision ? 'the collision shapes\' inertia scaled to the mass is used' : `that of a ${STAND_IN_SIZE * 100} cm solid sphere of the same mass is used`;
  if (!inertial.tensor) {
    if (!isRoot) warn(ctx, link.where, `<inertial> without <inertia>; ${replaced}`);
  } else {
    const { moments, axes } = diagonaliseInertia(inertial.tensor);
    const largest = Math.max(...moments.map(Math.abs));
    if (Math.min(...moments) > 1e-12 * largest) {
      out.diagonalInertia = moments;
      // The tensor is written in the inertial frame (origin rpy); principal axes in the link frame.
      out.principalAxes = quat(inertial.origin.rotation.clone().multiply(axes).normalize());
      return out;
    }
    if (!isRoot) warn(ctx, link.where, `<inertia> is not positive definite (principal moments ${moments.map((m) => m.toPrecision(3)).join(', ')}); ${replaced}`);
  }
  if (!hasCollision) out.diagonalInertia = sphereInertia(inertial.mass);
  return out;
}

// ---------------------------------------------------------------- joints

interface JointSpec {
  name: string;
  where: string;
  type: UrdfJointType;
  parent: string;
  child: string;
  origin: Frame;
  /** Unit axis in the joint frame. */
  axis: Vector3;
  limit: { lower: number; upper: number; effort: number | null } | null;
}

function readJoint(ctx: Ctx, node: XmlNode, links: Map<string, LinkSpec>): JointSpec {
  const name = attribute(node, 'name');
  if (!name) return fail(ctx, '<joint>', 'a joint needs a name');
  const where = jointWhere(name);
  const rawType = attribute(node, 'type');
  if (!rawType || !URDF_JOINT_TYPES.includes(rawType as UrdfJointType)) {
    fail(ctx, where, `${rawType ? `unknown type "${rawType}"` : 'no type'} (URDF joint types: ${URDF_JOINT_TYPES.join(', ')})`);
  }
  let type = rawType as UrdfJointType;
  const side = (tag: 'parent' | 'child'): string => {
    const link = attribute(firstElement(node, tag) ?? {}, 'link');
    if (!link) return fail(ctx, where, `<${tag} link> is missing`);
    if (!links.has(link)) fail(ctx, where, `${tag} link "${link}" does not exist (dangling joint)`);
    return link;
  };
  const parent = side('parent');
  const child = side('child');
  if (parent === child) fail(ctx, where, `parent and child are the same link "${parent}" (a loop)`);

  if (type === 'floating' || type === 'planar') {
    warn(ctx, where, `${type} joints are not supported; imported as fixed`);
    type = 'fixed';
  }
  const axisNode = firstElement(node, 'axis');
  const a = numbers(ctx, axisNode ? attribute(axisNode, 'xyz') : undefined, 3, [1, 0, 0], where, '<axis xyz>');
  const axis = new Vector3(a[0], a[1], a[2]);
  const moving = type !== 'fixed';
  if (moving && axis.length() < 1e-9) fail(ctx, where, `<axis xyz="${attribute(axisNode!, 'xyz')}"> has no direction`);
  if (moving && Math.abs(axis.length() - 1) > 1e-6) warn(ctx, where, `<axis xyz="${attribute(axisNode!, 'xyz')}"> is not a unit vector; normalised`);
  if (moving) axis.normalize();

  let limit: JointSpec['limit'] = null;
  const limitNode = firstElement(node, 'limit');
  if (moving && limitNode) {
    const effortValue = attribute(limitNode, 'effort') === undefined ? null : number(ctx, attribute(limitNode, 'effort'), null, where, '<limit effort>');
    let effort = effortValue;
    if (effort !== null && !(effort > 0)) {
      warn(ctx, where, `<limit effort="${effort}">: read as unlimited`);
      effort = null;
    }
    // Continuous joints have no position limits; URDF lets them carry <limit> for effort only.
    const bounded = type !== 'continuous';
    const lower = bounded ? number(ctx, attribute(limitNode, 'lower'), 0, where, '<limit lower>') : -Infinity;
    const upper = bounded ? number(ctx, attribute(limitNode, 'upper'), 0, where, '<limit upper>') : Infinity;
    if (lower > upper) fail(ctx, where, `<limit> lower ${lower} is above upper ${upper}`);
    if (bounded && attribute(limitNode, 'lower') === undefined && attribute(limitNode, 'upper') === undefined) {
      warn(ctx, where, '<limit> has neither lower nor upper; URDF\'s defaults (0, 0) lock the joint');
    }
    limit = { lower, upper, effort };
  } else if (moving && type !== 'continuous') {
    warn(ctx, where, `a ${type} joint without <limit> (URDF requires one); imported without limits and with unlimited effort`);
  }
  if (firstElement(node, 'mimic')) {
    warn(ctx, where, `<mimic joint="${attribute(firstElement(node, 'mimic')!, 'joint') ?? ''}"> is not simulated; the joint is driven on its own`);
  }
  for (const ignored of ['dynamics', 'calibration', 'safety_controller']) if (firstElement(node, ignored)) note(ctx, `<${ignored}>`, where);
  return { name, where, type, parent, child, origin: readOrigin(ctx, node, where), axis, limit };
}

/** The document's joint: frames in both links, limits and the default position drive. */
function sceneJoint(joint: JointSpec, path: string, body0: string, body1: string): Joint {
  const { axis, rotation } = jointAxisFrame(joint.axis);
  const moving = joint.type !== 'fixed';
  const type: Joint['type'] = joint.type === 'prismatic' ? 'prismatic' : moving ? 'revolute' : 'fixed';
  const limits: JointLimit[] = [];
  const drives: JointDrive[] = [];
  if (moving) {
    const dof = type === 'revolute' ? 'angular' : 'linear';
    const lower = joint.limit?.lower ?? -Infinity;
    const upper = joint.limit?.upper ?? Infinity;
    if (Number.isFinite(lower) || Number.isFinite(upper)) limits.push({ dof, low: Number.isFinite(lower) ? lower : null, high: Number.isFinite(upper) ? upper : null });
    const gains = type === 'revolute' ? URDF_DRIVE_GAINS.revolute : URDF_DRIVE_GAINS.prismatic;
    drives.push({ dof, type: 'force', ...gains, targetPosition: Math.min(upper, Math.max(lower, 0)), targetVelocity: 0, maxForce: joint.limit?.effort ?? null });
  }
  // The joint frame in the parent is the origin; in the child (whose frame it is) the identity.
  // Both are turned so that the scene axis lies along the URDF axis.
  return newJoint(path, type, {
    body0,
    body1,
    localPos0: vec3(joint.origin.position),
    localRot0: quat(moving ? joint.origin.rotation.clone().multiply(rotation).normalize() : joint.origin.rotation),
    localRot1: quat(moving ? rotation : new Quaternion()),
    axis: moving ? axis : 'X',
    limits,
    drives,
  });
}


// ---------------------------------------------------------------- the tree

/** The joints around the loop that `start` (a link whose parents never reach a root) is on, parent to child. */
function loopJoints(start: string, parentJoint: Map<string, JointSpec>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  let link = start;
  while (!seen.has(link)) {
    seen.add(link);
    order.push(link);
    link = parentJoint.get(link)!.parent;
  }
  return order
    .slice(order.indexOf(link))
    .reverse()
    .map((l) => parentJoint.get(l)!.name);
}

function failLoop(ctx: Ctx, start: string, parentJoint: Map<string, JointSpec>, why: string): never {
  const loop = loopJoints(start, parentJoint);
  return fail(ctx, jointWhere(loop[0]!), `closes a loop (joints ${loop.map((j) => `"${j}"`).join(' → ')})${why}; a URDF robot must be a tree`);
}

/** Checks the links and joints form one tree; returns the root and the links in depth-first order. */
function buildTree(ctx: Ctx, links: LinkSpec[], joints: JointSpec[]): { root: string; order: string[]; parentJoint: Map<string, JointSpec> } {
  const parentJoint = new Map<string, JointSpec>();
  const childJoints = new Map<string, JointSpec[]>();
  for (const joint of joints) {
    const other = parentJoint.get(joint.child);
    if (other) fail(ctx, linkWhere(joint.child), `is the child of two joints ("${other.name}" and "${joint.name}"); a URDF robot must be a tree`);
    parentJoint.set(joint.child, joint);
    childJoints.set(joint.parent, [...(childJoints.get(joint.parent) ?? []), joint]);
  }
  const roots = links.filter((l) => !parentJoint.has(l.name)).map((l) => l.name);
  if (roots.length === 0) failLoop(ctx, links[0]!.name, parentJoint, ', so no link is the root');
  if (roots.length > 1) {
    const shown = roots.slice(0, 5).map((r) => `"${r}"`).join(', ');
    fail(ctx, `links ${shown}${roots.length > 5 ? ` and ${roots.length - 5} more` : ''}`, 'several root links (links that are no joint\'s child); a URDF robot has exactly one');
  }
  const root = roots[0]!;
  const order: string[] = [];
  const stack = [root];
  while (stack.length) {
    const link = stack.pop()!;
    order.push(link);
    const children = childJoints.get(link) ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!.child);
  }
  if (order.length < links.length) {
    const reached = new Set(order);
    failLoop(ctx, links.find((l) => !reached.has(l.name))!.name, parentJoint, '');
  }
  return { root, order, parentJoint };
}

// ---------------------------------------------------------------- prim names



/** One warning per joint element that is not simulated, naming the joints that have it. */
function reportIgnored(ctx: Ctx) {
  for (const [element, owners] of ctx.ignored) {
    const shown = owners.slice(0, 5).join(', ');
    ctx.warnings.push(`${ctx.file}: ${element} is not simulated; ignored on ${shown}${owners.length > 5 ? ` and ${owners.length - 5} more` : ''}`);
  }
}

/** One warning per kind of top-level element that is not part of the robot model (<gazebo>, <transmission>, ...). */
function reportForeignElements(ctx: Ctx, robot: XmlNode) {
  for (const tag of childTags(robot)) {
    if (TOP_LEVEL.has(tag)) continue;
    const count = elements(robot, tag).length;
    ctx.warnings.push(`${ctx.file}: <${tag}> ${count === 1 ? 'element is' : `elements (${count}) are`} not part of URDF's robot model; ignored`);
  }
}

// ---------------------------------------------------------------- the import

function importRobot(robot: XmlNode, ctx: Ctx): SceneDocument {
  reportForeignElements(ctx, robot);
  for (const material of elements(robot, 'material')) {
    const name = attribute(material, 'name');
    if (!name) {
      warn(ctx, '<material>', 'a top-level material needs a name; ignored');
      continue;
    }
    const color = firstElement(material, 'color');
    if (color) ctx.materials.set(name, readColor(ctx, color, `material "${name}"`));
    else if (!firstElement(material, 'texture')) warn(ctx, `material "${name}"`, 'has no <color>; ignored');
    if (firstElement(material, 'texture')) warn(ctx, `material "${name}"`, 'textures are not supported; ignored');
  }

  const linkNodes = elements(robot, 'link');
  if (linkNodes.length === 0) throw new InputError(ctx.file, '<robot> has no <link>');
  if (linkNodes.length > MAX_LINKS) throw new InputError(ctx.file, `more than ${MAX_LINKS} links; refusing to import`);
  const links = new Map<string, LinkSpec>();
  for (const node of linkNodes) {
    const link = readLink(ctx, node);
    if (links.has(link.name)) fail(ctx, link.where, 'is defined twice');
    links.set(link.name, link);
  }
  const joints: JointSpec[] = [];
  const jointNames = new Set<string>();
  for (const node of elements(robot, 'joint')) {
    const joint = readJoint(ctx, node, links);
    if (jointNames.has(joint.name)) fail(ctx, joint.where, 'is defined twice');
    jointNames.add(joint.name);
    joints.push(joint);
  }
  const { root, order, parentJoint } = buildTree(ctx, [...links.values()], joints);

  // Prim names: the robot, then links, then joints, then the collision group, all unique.
  const robotName = attribute(robot, 'name');
  if (!robotName) warn(ctx, '<robot>', 'has no name; the root prim is /robot');
  const robotPath = `/${new UniqueNames().take(robotName || 'robot')}`;
  const names = new UniqueNames();
  const linkPath = new Map<string, string>();
  for (const name of order) linkPath.set(name, `${robotPath}/${names.take(name)}`);
  const jointPath = new Map(joints.map((j) => [j.name, `${robotPath}/${names.take(j.name)}`]));
  const groupPath = `${robotPath}/${names.take('SelfCollisionGroup')}`;
  for (const [name, path] of linkPath) if (!path.endsWith(`/${name}`)) warn(ctx, linkWhere(name), `imported as ${path} (prim names take letters, digits and _)`);
  for (const [name, path] of jointPath) if (!path.endsWith(`/${name}`)) warn(ctx, jointWhere(name), `imported as ${path} (prim names take letters, digits and _)`);

  // Link poses (URDF frame, Z-up) for all joints at zero, parents before children.
  const pose = new Map<string, Matrix4>([[root, new Matrix4()]]);
  for (const name of order.slice(1)) {
    const joint = parentJoint.get(name)!;
    pose.set(name, pose.get(joint.parent)!.clone().multiply(frameMatrix(joint.origin)));
  }

  const prims: Prim[] = [posedPrim(robotPath, 'Xform', new Matrix4().makeRotationFromQuaternion(Z_UP_TO_Y_UP))];
  for (const name of order) {
    const link = links.get(name)!;
    const path = linkPath.get(name)!;
    const isRoot = name === root;
    const shapes = buildShapes(ctx, link);
    const prim = posedPrim(path, 'Xform', pose.get(name)!);
    prim.body = { type: isRoot ? 'kinematic' : 'dynamic', enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false };
    prim.articulationRoot = isRoot;
    const mass = massProperties(ctx, link, isRoot, shapes.some((s) => s.role === 'collision'));
    if (mass) prim.mass = mass;
    prims.push(prim);
    const counters = { visual: 0, collision: 0 };
    for (const shape of shapes) {
      // Collision shapes are not drawn: the visuals show the link.
      const child = posedPrim(`${path}/${shape.role}_${counters[shape.role]++}`, GPRIM_TYPES[shape.geometry.kind], frameMatrix(shape.origin), shape.role === 'visual');
      child.geometry = shape.geometry;
      if (shape.role === 'visual' && shape.material) child.material = shape.material;
      if (shape.role === 'collision') child.collider = { enabled: true, approximation: shape.geometry.kind === 'mesh' ? 'convexHull' : 'none', physicsMaterial: null };
      prims.push(child);
    }
  }
  const sceneJoints: Joint[] = [];
  for (const joint of joints) {
    const path = jointPath.get(joint.name)!;
    const scene = sceneJoint(joint, path, linkPath.get(joint.parent)!, linkPath.get(joint.child)!);
    // The joint prim sits at the joint frame (for q = 0), for display and selection.
    const frame = pose.get(joint.parent)!.clone().multiply(frameMatrix({ position: new Vector3(...scene.localPos0), rotation: new Quaternion(...scene.localRot0) }));
    prims.push(posedPrim(path, JOINT_TYPES[scene.type], frame));
    sceneJoints.push(scene);
  }
  prims.push(posedPrim(groupPath, 'PhysicsCollisionGroup', new Matrix4()));
  reportIgnored(ctx);

  return {
    schema: SCENE_SCHEMA_ID,
    version: SCENE_SCHEMA_VERSION,
    // upAxis "Z" records URDF's convention (the root prim turns it into the document's Y-up).
    source: { file: ctx.file, format: 'urdf', metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Z' },
    gravity: [0, -EARTH_GRAVITY, 0],
    prims,
    physicsMaterials: [],
    joints: sceneJoints,
    collisionGroups: [{ path: groupPath, members: [robotPath], filteredGroups: [groupPath], invertFilteredGroups: false }],
    filteredPairs: [],
  };
}

/**
 * Reads a URDF robot (bytes or text) into a validated scene document. Throws InputError for files
 * that are not a usable robot; everything else imported approximately becomes a warning.
 */
export function importUrdf(data: Uint8Array | ArrayBuffer | string, file: string, options: UrdfImportOptions = {}): UrdfImportResult {
  const text = (typeof data === 'string' ? data : new TextDecoder().decode(data)).replace(/^\uFEFF/, '');
  const ctx: Ctx = { file, warnings: [], ignored: new Map(), resolveMesh: options.resolveMesh, materials: new Map() };
  try {
    const document = importRobot(parseRobotElement(text, file), ctx);
    return { document: validateSceneDocument(document, file), warnings: ctx.warnings };
  } catch (e) {
    if (e instanceof InputError) throw e;
    // A bug, but the person still gets one line naming the file rather than a stack trace.
    throw new InputError(file, `internal error while importing (${(e as Error).message}); please report this file`);
  }
}

/**
 * Robot profiles: what a robot description (URDF, MJCF, USD) cannot say about how a robot is used —
 * which joints are the arm, what the gripper is (prismatic fingers or revolute jaws, with their open
 * and closed positions), where the tool frame is, and how the robot's state is named and scaled in
 * datasets and policies (LeRobot's feature names, degrees or normalised ranges, `robot_type`).
 * A profile is a small YAML file (`*.robot.yaml`, versioned, schema-checked); without one,
 * `inferProfile` infers it from the articulation and says what it inferred.
 *
 * Joints are named by their prim names (the last element of the joint's path: the name the URDF or
 * MJCF gave it). Units of a state feature: "radians", "degrees", "metres", or `{ range: [a, b] }` —
 * the joint's span (its limits) mapped linearly onto [a, b], as LeRobot
 * records normalised servo positions (−100 … 100, a gripper 0 … 100).
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { owningBody, primIndex } from '../scene/hierarchy.ts';
import type { Joint, SceneDocument } from '../scene/schema.ts';
import { upgradeDocument, versionedFormat } from '../versioned.ts';
import { parseYamlText, validateWithSchema } from '../yamlSpec.ts';

export const ROBOT_PROFILE_VERSION = 2;
/**
 * Version and migrations (engine/versioned.ts). Version 2 added `home` and `cameras`; a version-1
 * profile reads unchanged (the robot starts where its description puts it, with no cameras added).
 */
export const ROBOT_PROFILE_FORMAT = versionedFormat({ name: 'robot profile', field: 'simloop_robot', current: ROBOT_PROFILE_VERSION, migrations: { 1: (profile) => profile } });

const num = (what = 'a number') => z.number({ error: `expected ${what}` }).refine(Number.isFinite, `expected ${what}`);
const JointName = z.string({ error: 'expected a joint name' }).min(1, 'expected a joint name');
const Vec3 = z.tuple([num(), num(), num()], { error: 'expected [x, y, z]' });

/**
 * A camera carried by a link (a wrist camera): where it sits and what it looks at, in the link's
 * frame (m), and its vertical field of view (degrees). Datasets name its stream `name`.
 */
const MountedCamera = z.strictObject({
  name: z.string({ error: 'expected a camera name' }).regex(/^[a-z][a-z0-9_]*$/, 'expected a name in lower_case (datasets name the stream observation.images.<name>)'),
  link: z.string({ error: 'expected the link (body) the camera is fixed to' }).min(1),
  position: Vec3,
  look_at: Vec3,
  /** Which way is up in the image, in the link's frame (default: the link's +Z, else its +Y). */
  up: Vec3.optional(),
  fov: num('a vertical field of view in degrees').refine((v) => v > 1 && v < 179, 'expected a vertical field of view between 1 and 179 degrees').default(60),
});
export type MountedCamera = z.infer<typeof MountedCamera>;
const Units = z.union([z.enum(['radians', 'degrees', 'metres']), z.strictObject({ range: z.tuple([num(), num()], { error: 'expected [low, high]' }) })], {
  error: 'expected "radians", "degrees", "metres" or { range: [low, high] }',
});
export type FeatureUnits = z.infer<typeof Units>;
/** A signed axis of a frame. */
export type Axis = '+x' | '-x' | '+y' | '-y' | '+z' | '-z';

export const RobotProfile = z.strictObject({
  simloop_robot: z.literal(ROBOT_PROFILE_VERSION),
  /** A short id: tasks and the command line name the robot by it. */
  name: z.string({ error: 'expected a name' }).regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _, . or -'),
  /** What LeRobot datasets record as robot_type ("so101_follower", "panda"). */
  robot_type: z.string({ error: 'expected a robot type' }).min(1),
  /** The robot description (URDF, MJCF, USD), relative to the profile file. */
  description: z.string().min(1).optional(),
  /** The articulation root's prim path, where a scene has several robots. */
  root: z.string().regex(/^(\/[^/]+)+$/, 'expected a prim path').optional(),
  /** The arm's joints, base to tip. */
  arm: z.array(JointName, { error: 'expected a list of joint names' }).min(1, 'expected at least one joint'),
  gripper: z
    .strictObject({
      joints: z.array(JointName).min(1, 'expected at least one joint'),
      /** Joint positions (rad or m) when open and when closed: one for all joints, or one per joint. */
      open: z.union([num(), z.array(num())]),
      closed: z.union([num(), z.array(num())]),
      /** How fast the gripper's joints move (rad/s or m/s), as its motor allows; default: as fast as the drive pulls. */
      speed: num('a speed in rad/s or m/s').refine((v) => v > 0, 'expected a speed > 0').optional(),
    })
    .optional(),
  /** The tool centre point: a prim (a site, frame or link) and an offset in its frame (m). */
  tool_frame: z
    .strictObject({
      prim: z.string().min(1),
      offset: z.tuple([num(), num(), num()]).default([0, 0, 0]),
      /** The tool frame's axis pointing out of the gripper, towards what it grasps (default: inferred from where the tool point sits on its link). */
      approach: z.enum(['+x', '-x', '+y', '-y', '+z', '-z'], { error: 'expected one of +x, -x, +y, -y, +z, -z' }).optional(),
    })
    .optional(),
  /** Where the robot starts every episode: joint name → position (rad or m); joints not named keep the description's. */
  home: z.record(JointName, num('a joint position (rad or m)')).optional(),
  /** Cameras mounted on the robot's links (wrist cameras), added to the scene with the robot. */
  cameras: z.array(MountedCamera).optional(),
  /** The state (and joint-position action) features, in order, as datasets and policies name them. */
  features: z.array(z.strictObject({ joint: JointName, name: z.string().min(1), units: Units })).min(1).optional(),
});
export type RobotProfile = z.infer<typeof RobotProfile>;

/** Reads a profile file (YAML or JSON); errors name the file, the field and the line. */
export function parseRobotProfile(text: string, file: string): RobotProfile {
  const { value, lineOf } = parseYamlText(text, file);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(file, `a robot profile must be a mapping starting with "simloop_robot: ${ROBOT_PROFILE_VERSION}"`);
  const profile = validateWithSchema(RobotProfile, upgradeDocument(ROBOT_PROFILE_FORMAT, value, file, lineOf), file, lineOf);
  const arity = (field: 'open' | 'closed') => {
    const v = profile.gripper?.[field];
    if (Array.isArray(v) && v.length !== profile.gripper!.joints.length) throw new InputError(file, `gripper.${field}: expected one value, or one per gripper joint (${profile.gripper!.joints.length}), got ${v.length}`);
  };
  arity('open');
  arity('closed');
  return profile;
}

/** A profile resolved against one scene document: prim paths and joints in place of names. */
export interface ResolvedRobot {
  profile: RobotProfile;
  root: string;
  arm: Joint[];
  gripper: { type: 'prismatic' | 'revolute'; joints: Joint[]; open: number[]; closed: number[]; speed: number | null } | null;
  /** The tool frame's prim (null: the last arm link's origin) and the offset in its frame. */
  tool: { prim: string | null; body: string; offset: [number, number, number]; approach: Axis | null };
  features: { joint: Joint; name: string; units: FeatureUnits; span: [number, number] }[];
}

const jointName = (j: Joint) => j.path.slice(j.path.lastIndexOf('/') + 1);

/** The document's joint named `name` under `root`'s robot, or an error naming the profile field and the names there are. */
function findJoint(doc: SceneDocument, name: string, field: string, file: string, within: ReadonlySet<string>): Joint {
  const found = doc.joints.filter((j) => jointName(j) === name && (within.has(j.body1 ?? '') || within.has(j.body0 ?? '')));
  if (found.length === 1) return found[0]!;
  const known = doc.joints.filter((j) => j.type !== 'fixed' && within.has(j.body1 ?? '')).map(jointName);
  if (found.length === 0) throw new InputError(file, `${field}: no joint "${name}" in the robot (its joints: ${known.join(', ') || 'none'})`);
  throw new InputError(file, `${field}: ${found.length} joints are named "${name}" (${found.map((j) => j.path).join(', ')})`);
}

/** The bodies of the articulation rooted at `root` (through enabled joints). */
export function articulationBodies(doc: SceneDocument, root: string): Set<string> {
  const bodies = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const j of doc.joints) {
      if (!j.enabled || j.body0 === null || j.body1 === null) continue;
      if (bodies.has(j.body0) && !bodies.has(j.body1)) {
        bodies.add(j.body1);
        grew = true;
      }
    }
  }
  return bodies;
}

/**
 * The articulation root `given` (checked), or the document's only one. Errors are under `file`,
 * say `what` lacks it (default: the document's file), and name the `field` that gives a root.
 */
export function articulationRoot(doc: SceneDocument, given: string | undefined, file: string, what = doc.source.file, field = 'root'): string {
  const roots = doc.prims.filter((p) => p.articulationRoot && p.body).map((p) => p.path);
  if (given !== undefined) {
    if (!roots.includes(given)) throw new InputError(file, `${field}: ${given} is not an articulation root of ${what} (${roots.join(', ') || 'it has none'})`);
    return given;
  }
  if (roots.length === 0) throw new InputError(file, `${what} has no robot (no articulation root)`);
  if (roots.length > 1) throw new InputError(file, `${what} has several robots (${roots.join(', ')}); name one with ${field}`);
  return roots[0]!;
}

const spanOf = (j: Joint): [number, number] => [j.limits[0]?.low ?? -Math.PI, j.limits[0]?.high ?? Math.PI];

/** The profile applied to a document; errors name the profile's file and field. */
export function resolveProfile(profile: RobotProfile, doc: SceneDocument, file: string): ResolvedRobot {
  const root = articulationRoot(doc, profile.root, file);
  const bodies = articulationBodies(doc, root);
  const arm = profile.arm.map((name, i) => findJoint(doc, name, `arm[${i}]`, file, bodies));
  for (const [i, j] of arm.entries()) if (j.type !== 'revolute' && j.type !== 'prismatic') throw new InputError(file, `arm[${i}]: "${profile.arm[i]}" is a ${j.type} joint (arm joints are revolute or prismatic)`);
  let gripper: ResolvedRobot['gripper'] = null;
  if (profile.gripper) {
    const g = profile.gripper;
    const joints = g.joints.map((name, i) => findJoint(doc, name, `gripper.joints[${i}]`, file, bodies));
    const types = new Set(joints.map((j) => j.type));
    if (types.size !== 1 || !(types.has('revolute') || types.has('prismatic'))) throw new InputError(file, `gripper.joints: expected all prismatic (fingers) or all revolute (jaws), got ${[...types].join(' and ')}`);
    const each = (v: number | number[]) => (Array.isArray(v) ? v : joints.map(() => v));
    gripper = { type: joints[0]!.type as 'prismatic' | 'revolute', joints, open: each(g.open), closed: each(g.closed), speed: g.speed ?? null };
  }
  const prims = primIndex(doc);
  let tool: ResolvedRobot['tool'];
  if (profile.tool_frame) {
    const name = profile.tool_frame.prim;
    const found = doc.prims.filter((p) => (p.path === name || p.path.endsWith(`/${name}`)) && bodies.has(owningBody(p.path, prims)?.path ?? ''));
    if (found.length !== 1) throw new InputError(file, `tool_frame.prim: ${found.length === 0 ? `no prim "${name}" on the robot` : `several prims are "${name}" (${found.map((p) => p.path).join(', ')}); give its path`}`);
    tool = { prim: found[0]!.path, body: owningBody(found[0]!.path, prims)!.path, offset: profile.tool_frame.offset, approach: profile.tool_frame.approach ?? null };
  } else {
    // The hand: where the gripper hangs, else the last arm link.
    tool = { prim: null, body: gripper ? gripper.joints[0]!.body0! : arm.at(-1)!.body1!, offset: [0, 0, 0], approach: null };
  }
  const features = (profile.features ?? defaultFeatures(profile)).map((f, i) => {
    const joint = findJoint(doc, f.joint, `features[${i}].joint`, file, bodies);
    // A joint's span is its limits (a gripper's too: LeRobot's gripper 0 … 100 is the servo's
    // calibrated range, however far the gripper is opened to grasp).
    const span = spanOf(joint);
    return { joint, name: f.name, units: f.units, span };
  });
  return { profile, root, arm, gripper, tool, features };
}

/** Feature names when a profile gives none: `<joint>.pos` in radians (metres for prismatic joints), arm then gripper. */
function defaultFeatures(profile: RobotProfile): NonNullable<RobotProfile['features']> {
  const names = [...profile.arm, ...(profile.gripper?.joints ?? [])];
  return names.map((joint) => ({ joint, name: `${joint}.pos`, units: 'radians' as const }));
}

/** A joint position (rad or m) as the feature records it. */
export function toFeature(feature: Pick<ResolvedRobot['features'][number], 'units' | 'span' | 'joint'>, value: number): number {
  const { units } = feature;
  if (units === 'degrees') return (value * 180) / Math.PI;
  if (units === 'radians' || units === 'metres') return value;
  const [a, b] = feature.span;
  const [lo, hi] = units.range;
  return lo + ((value - a) / (b - a)) * (hi - lo);
}

/** A feature's value as the joint position (rad or m) it stands for. */
export function fromFeature(feature: Pick<ResolvedRobot['features'][number], 'units' | 'span' | 'joint'>, value: number): number {
  const { units } = feature;
  if (units === 'degrees') return (value * Math.PI) / 180;
  if (units === 'radians' || units === 'metres') return value;
  const [a, b] = feature.span;
  const [lo, hi] = units.range;
  return a + ((value - lo) / (hi - lo)) * (b - a);
}

// ---------------------------------------------------------------- inference

/** Names robots give their tool frames (URDF, MJCF and USD conventions). */
const TOOL_FRAME = /^(tcp|.*_tcp|tool0|tool_?frame|ee_?link|end_?effector|tool_?center_?point|gripper_?frame|grasp_?(site|frame)|pinch(_site)?)(_link)?$/i;
/** Joints and links named like a gripper's. */
const GRIPPER_NAME = /gripper|jaw|finger|claw|hand_joint|pinch/i;

/**
 * A profile for a robot that has none: the arm is the longest chain of moving joints from the
 * articulation root; the gripper is the prismatic joints (fingers) or the leaf revolute joints
 * named like a gripper (jaws) at its end, open at the end of their range farther from zero
 * (prismatic: the upper limit); the tool frame is a prim named like one (tcp, tool0, gripperframe,
 * …) on the robot. `notes` says what was inferred, for people to check.
 */
export function inferProfile(doc: SceneDocument, root?: string): { profile: RobotProfile; notes: string[] } {
  const file = doc.source.file;
  const rootPath = articulationRoot(doc, root, file);
  const children = new Map<string, Joint[]>();
  for (const j of doc.joints) {
    if (!j.enabled || j.body0 === null || j.body1 === null) continue;
    children.set(j.body0, [...(children.get(j.body0) ?? []), j]);
  }
  const moving = (j: Joint) => j.type === 'revolute' || j.type === 'prismatic';
  /** Moving joints below a body (leaves count 0). */
  const height = (body: string): number => Math.max(0, ...(children.get(body) ?? []).map((j) => (moving(j) ? 1 : 0) + height(j.body1!)));
  // The longest path, always descending into the tallest child (ties: the first).
  const path: Joint[] = [];
  for (let body = rootPath; ; ) {
    const next = (children.get(body) ?? []).reduce<Joint | null>((best, j) => {
      const h = (moving(j) ? 1 : 0) + height(j.body1!);
      return best === null || h > (moving(best) ? 1 : 0) + height(best.body1!) ? j : best;
    }, null);
    if (!next) break;
    path.push(next);
    body = next.body1!;
  }
  const chain = path.filter(moving);
  if (chain.length === 0) throw new InputError(file, `${rootPath}: the robot has no revolute or prismatic joints`);
  const notes: string[] = [];
  // The gripper: leaf joints at the end of the chain that are prismatic or named like a gripper.
  const isLeaf = (j: Joint) => height(j.body1!) === 0;
  const last = chain.at(-1)!;
  const hand = last.body0!;
  const rigidHand = new Set([hand]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const b of [...rigidHand]) for (const j of children.get(b) ?? []) if (j.type === 'fixed' && !rigidHand.has(j.body1!)) (rigidHand.add(j.body1!), (grew = true));
  }
  const candidates = [...rigidHand].flatMap((b) => (children.get(b) ?? []).filter((j) => moving(j) && isLeaf(j)));
  const fingers = candidates.filter((j) => j.type === 'prismatic');
  const jaws = candidates.filter((j) => j.type === 'revolute' && GRIPPER_NAME.test(`${jointName(j)} ${j.body1}`));
  const grip = fingers.length ? fingers : jaws;
  const gripSet = new Set(grip);
  const arm = grip.length ? chain.filter((j) => !gripSet.has(j)) : chain;
  if (arm.length === 0) throw new InputError(file, `${rootPath}: every moving joint looks like a gripper joint; give a profile`);
  notes.push(`arm: ${arm.length} joints from ${rootPath} (the longest chain): ${arm.map(jointName).join(', ')}`);
  let gripper: RobotProfile['gripper'];
  if (grip.length) {
    const ends = grip.map((j) => spanOf(j));
    const open = grip.map((j, i) => (j.type === 'prismatic' ? ends[i]![1] : Math.abs(ends[i]![1]) >= Math.abs(ends[i]![0]) ? ends[i]![1] : ends[i]![0]));
    const closed = grip.map((j, i) => (open[i] === ends[i]![1] ? ends[i]![0] : ends[i]![1]));
    gripper = { joints: grip.map(jointName), open, closed };
    notes.push(`gripper: ${grip[0]!.type === 'prismatic' ? 'prismatic fingers' : 'revolute jaw'} ${grip.map(jointName).join(', ')}, open at ${open.map((v) => +v.toFixed(4)).join(', ')}, closed at ${closed.map((v) => +v.toFixed(4)).join(', ')}`);
  } else {
    notes.push('gripper: none found (no prismatic or gripper-named joint at the end of the arm)');
  }
  const prims = primIndex(doc);
  const bodies = articulationBodies(doc, rootPath);
  const toolPrims = doc.prims.filter((p) => TOOL_FRAME.test(p.path.slice(p.path.lastIndexOf('/') + 1)) && bodies.has(owningBody(p.path, prims)?.path ?? ''));
  let tool_frame: RobotProfile['tool_frame'];
  if (toolPrims.length >= 1) {
    tool_frame = { prim: toolPrims[0]!.path, offset: [0, 0, 0] };
    notes.push(`tool frame: ${toolPrims[0]!.path}${toolPrims.length > 1 ? ` (of ${toolPrims.length} named like one)` : ''}`);
  } else {
    notes.push(`tool frame: none named like one; the origin of ${grip.length ? hand : arm.at(-1)!.body1}`);
  }
  // Named after the prim holding the articulation (the robot's own prim: /World/Panda/link0 → panda).
  const parts = rootPath.split('/').filter(Boolean);
  const name = (parts.length > 1 ? parts[parts.length - 2]! : parts[0] ?? 'robot').toLowerCase();
  const profile: RobotProfile = {
    simloop_robot: ROBOT_PROFILE_VERSION,
    name: name.replace(/[^A-Za-z0-9_.-]/g, '_'),
    robot_type: name,
    root: rootPath,
    arm: arm.map(jointName),
    ...(gripper ? { gripper } : {}),
    ...(tool_frame ? { tool_frame } : {}),
  };
  return { profile, notes };
}

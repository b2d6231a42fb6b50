/**
 * A robot as the scene document describes it: the articulation under a PhysicsArticulationRootAPI
 * body, walked through its joints into the arm's serial chain (root → end-effector link), the
 * gripper's finger joints, the tool centre point and the robot's cameras. Works for any USD robot
 * with revolute/prismatic/fixed joints (and for URDF once imported into a scene document).
 *
 * Which joints are the arm, what the gripper is and where the tool centre point is come from the
 * robot's profile (profile.ts): given, or inferred when there is none — the tool frame a prim named
 * like one ("tcp", "tool0", "gripperframe", …; a URDF frame link is a body of its own), the gripper
 * prismatic fingers or a revolute jaw at the end of the longest chain. The end-effector link is the
 * body holding the tool frame (without one, the hand the gripper hangs from, or the last link of
 * the arm); the arm joints are the revolute and prismatic joints on the path from the root to it.
 * Fixed joints fold into the chain.
 */
import { Matrix4, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import { owningBody, primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { Axis, Joint, SceneDocument } from '../scene/schema.ts';
import { jointFrame, withoutScale } from './articulation.ts';
import type { Chain, ChainJoint } from './kinematics.ts';
import { inferProfile, resolveProfile, type ResolvedRobot } from './profile.ts';

export interface RobotJoint {
  path: string;
  type: 'revolute' | 'prismatic';
  lower: number;
  upper: number;
  /** Drive target in the document (rad or m). */
  target: number;
  hasDrive: boolean;
  /** Drive force (N) or torque (N·m) limit; null when unlimited. */
  maxForce: number | null;
}

export interface RobotModel {
  /** The articulation root body. */
  root: string;
  /** Bodies of the articulation, root first. */
  links: string[];
  /** Revolute/prismatic joints from the root to the end-effector link, in order. */
  armJoints: RobotJoint[];
  /** The gripper's joints: prismatic fingers or revolute jaws hanging off the end-effector link. */
  gripperJoints: RobotJoint[];
  /** What the gripper is and its joints' positions when open and closed; null without a gripper. */
  gripper: { type: 'prismatic' | 'revolute'; open: number[]; closed: number[]; speed: number | null } | null;
  /** The body the tool centre point belongs to. */
  endEffector: string;
  /** Tool centre point in the end-effector body's frame. */
  tcp: Matrix4;
  /** Kinematic chain, base = the root body's world pose (document frame). */
  chain: Chain;
  /**
   * How the gripper meets what it grasps, as unit vectors in the tool frame: `approach` points out
   * of the gripper towards the object (a top-down grasp points it down), `closing` is the line the
   * fingers or jaw close along (across the object).
   */
  grasp: { approach: Vector3; closing: Vector3 };
  /** Camera prims that move with the robot (under one of its links). */
  cameras: string[];
  /** The robot profile's name ("panda", "so101"; an inferred profile's is the robot prim's name). */
  name: string;
  /** What datasets record as the robot's type (its profile's robot_type). */
  robotType: string;
  /**
   * The state features datasets record, in order, when a profile names them (LeRobot's
   * `shoulder_pan.pos` in degrees, …); null for an inferred profile (joint positions as they are).
   */
  features: ResolvedRobot['features'] | null;
}

const AXIS: Record<Axis, Vector3> = { X: new Vector3(1, 0, 0), Y: new Vector3(0, 1, 0), Z: new Vector3(0, 0, 1) };

function robotJoint(joint: Joint, file: string): RobotJoint {
  const type = joint.type as 'revolute' | 'prismatic';
  const limit = joint.limits[0];
  const lower = limit?.low ?? -Infinity;
  const upper = limit?.high ?? Infinity;
  if (lower > upper) throw new InputError(file, `${joint.path}: impossible limits: lower ${lower} is above upper ${upper}`);
  const drive = joint.drives[0];
  return { path: joint.path, type, lower, upper, target: drive?.targetPosition ?? 0, hasDrive: drive !== undefined, maxForce: drive?.maxForce ?? null };
}

/**
 * The robot whose articulation root is `root` (default: the only PhysicsArticulationRootAPI body
 * in the scene), as its profile `robot` describes it (default: the profile inferred from the
 * articulation). Errors name the file and the joint or link at fault.
 */
export function robotFromScene(doc: SceneDocument, root?: string, robot?: ResolvedRobot): RobotModel {
  root ??= robot?.root;
  const file = doc.source.file;
  const prims = primIndex(doc);
  const roots = doc.prims.filter((p) => p.articulationRoot).map((p) => p.path);
  if (root === undefined) {
    if (roots.length === 0) throw new InputError(file, 'no robot: no prim has PhysicsArticulationRootAPI');
    if (roots.length > 1) throw new InputError(file, `several articulation roots (${roots.join(', ')}); name the robot to use`);
    root = roots[0]!;
  }
  const rootPrim = prims.get(root);
  if (!rootPrim) throw new InputError(file, `${root}: no such prim`);
  if (!rootPrim.body) throw new InputError(file, `${root}: the articulation root is not a rigid body`);

  // Joints between bodies, as an undirected graph; every joint must join existing bodies.
  const isBody = (path: string | null) => path !== null && prims.get(path)?.body !== undefined;
  const edges = new Map<string, { joint: Joint; other: string }[]>();
  for (const joint of doc.joints) {
    if (!joint.enabled) continue;
    for (const side of [joint.body0, joint.body1]) {
      if (side !== null && !isBody(side)) throw new InputError(file, `${joint.path}: dangling joint: ${side} is not a rigid body`);
    }
    if (joint.body0 === null || joint.body1 === null) continue;
    for (const [a, b] of [
      [joint.body0, joint.body1],
      [joint.body1, joint.body0],
    ] as const) {
      if (!edges.has(a)) edges.set(a, []);
      edges.get(a)!.push({ joint, other: b });
    }
  }

  // Breadth-first from the root: each link's parent joint; a second way into a link is a loop.
  const parentJoint = new Map<string, Joint>();
  const links = [root];
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!;
    for (const { joint, other } of edges.get(link) ?? []) {
      if (parentJoint.get(link) === joint) continue;
      if (other === root || parentJoint.has(other)) {
        const also = parentJoint.get(other)?.path;
        throw new InputError(file, `${joint.path}: closes a kinematic loop at ${other}${also ? ` (already joined by ${also})` : ''}; robots must be trees`);
      }
      if (joint.type !== 'revolute' && joint.type !== 'prismatic' && joint.type !== 'fixed') {
        throw new InputError(file, `${joint.path}: ${joint.type} joints are not supported in a robot (use revolute, prismatic or fixed)`);
      }
      if (joint.body0 !== link) throw new InputError(file, `${joint.path}: body0 should be the link nearer the root (${link}), body1 the child (${other})`);
      parentJoint.set(other, joint);
      links.push(other);
    }
  }

  // The end effector: the body holding the tool frame (the profile's, given or inferred).
  const world = worldMatrices(doc);
  const linkSet = new Set(links);
  const resolved = robot ?? resolveProfile(inferProfile(doc, root).profile, doc, file);
  if (resolved.root !== root) throw new InputError(file, `the robot's profile is for ${resolved.root}, not ${root}`);
  const endEffector = resolved.tool.body;
  if (!linkSet.has(endEffector)) throw new InputError(file, `${endEffector}: the tool frame's body is not part of the robot at ${root}`);
  const eePose = withoutScale(world.get(endEffector)!);
  const toolFrame = resolved.tool.prim ? eePose.clone().invert().multiply(withoutScale(world.get(resolved.tool.prim)!)) : new Matrix4();
  const tcp = toolFrame.multiply(new Matrix4().makeTranslation(...resolved.tool.offset));

  // Path root → end effector.
  const path: Joint[] = [];
  for (let link = endEffector; link !== root; link = parentJoint.get(link)!.body0!) path.unshift(parentJoint.get(link)!);

  // The chain: each moving joint's frame in the previous moving joint's frame (after its motion);
  // fixed joints and body frames in between fold into the next origin or the tip.
  const joints: ChainJoint[] = [];
  const armJoints: RobotJoint[] = [];
  let carry = new Matrix4(); // current body's frame, in the frame of the last moving joint (or the base)
  for (const joint of path) {
    const frame0 = jointFrame(joint.localPos0, joint.localRot0);
    const frame1 = jointFrame(joint.localPos1, joint.localRot1);
    if (joint.type === 'fixed') {
      carry = carry.multiply(frame0).multiply(frame1.clone().invert());
      continue;
    }
    joints.push({ name: joint.path, type: joint.type as 'revolute' | 'prismatic', origin: carry.clone().multiply(frame0), axis: AXIS[joint.axis].clone(), ...limitsOf(joint, file) });
    armJoints.push(robotJoint(joint, file));
    carry = frame1.clone().invert();
  }
  const chain: Chain = { base: withoutScale(world.get(root)!), joints, tip: carry.multiply(tcp) };

  // The arm is the moving joints from the root to the end effector; a profile naming others is wrong.
  const armPaths = armJoints.map((j) => j.path);
  const named = resolved.arm.map((j) => j.path);
  if (armPaths.join() !== named.join()) {
    throw new InputError(file, `the profile's arm joints (${named.join(', ')}) are not the joints from ${root} to the tool frame's body ${endEffector} (${armPaths.join(', ') || 'none'})`);
  }
  const gripperJoints = (resolved.gripper?.joints ?? []).map((joint) => robotJoint(joint, file));
  const gripper = resolved.gripper ? { type: resolved.gripper.type, open: [...resolved.gripper.open], closed: [...resolved.gripper.closed], speed: resolved.gripper.speed } : null;

  const toolWorld = withoutScale(world.get(endEffector)!).multiply(tcp);
  const grasp = graspAxes(resolved, toolWorld, world, tcp);

  const cameras = doc.prims.filter((p) => p.camera && linkSet.has(owningBody(p.path, prims)?.path ?? '')).map((p) => p.path);
  return { root, links, armJoints, gripperJoints, gripper, endEffector, tcp, chain, grasp, cameras, name: resolved.profile.name, robotType: resolved.profile.robot_type, features: robot?.profile.features ? resolved.features : null };
}

function limitsOf(joint: Joint, file: string): { lower: number; upper: number } {
  const { lower, upper } = robotJoint(joint, file);
  return { lower, upper };
}

const AXIS_NAMES: Record<string, Vector3> = { '+x': new Vector3(1, 0, 0), '-x': new Vector3(-1, 0, 0), '+y': new Vector3(0, 1, 0), '-y': new Vector3(0, -1, 0), '+z': new Vector3(0, 0, 1), '-z': new Vector3(0, 0, -1) };

/** The frame axis (±x, ±y, ±z) nearest a direction. */
function nearestAxis(v: Vector3): Vector3 {
  const k = [Math.abs(v.x), Math.abs(v.y), Math.abs(v.z)];
  const i = k.indexOf(Math.max(...k));
  const axis = new Vector3();
  axis.setComponent(i, Math.sign(v.getComponent(i)) || 1);
  return axis;
}

/**
 * The grasp axes in the tool frame (RobotModel.grasp): the approach the profile names, else the
 * tool frame axis nearest the direction from its link's origin out to the tool point (a gripper's
 * tool point sits out along its fingers); the closing line along the fingers' slide, or across a
 * jaw's swing (approach × the jaw's hinge axis). Taken at the document's pose.
 */
function graspAxes(robot: ResolvedRobot, toolWorld: Matrix4, world: Map<string, Matrix4>, tcp: Matrix4): RobotModel['grasp'] {
  const toTool = new Matrix4().extractRotation(toolWorld).invert();
  let approach: Vector3;
  if (robot.tool.approach) approach = AXIS_NAMES[robot.tool.approach]!.clone();
  else {
    // The body origin as seen from the tool frame, reversed: from the link out to the tool point.
    const out = new Vector3().setFromMatrixPosition(tcp.clone().invert()).negate();
    approach = out.length() > 1e-6 ? nearestAxis(out) : new Vector3(0, 0, 1);
  }
  const joint = robot.gripper?.joints[0];
  let closing: Vector3 | null = null;
  if (joint && joint.body0) {
    const frame = withoutScale(world.get(joint.body0)!).multiply(jointFrame(joint.localPos0, joint.localRot0));
    const axis = AXIS[joint.axis].clone().transformDirection(frame).transformDirection(toTool);
    const line = robot.gripper!.type === 'prismatic' ? axis : approach.clone().cross(axis);
    if (line.length() > 1e-6) closing = nearestAxis(line);
  }
  if (!closing || Math.abs(closing.dot(approach)) > 0.5) closing = nearestAxis(new Vector3(approach.y, approach.z, approach.x));
  return { approach, closing };
}

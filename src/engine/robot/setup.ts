/**
 * A robot set up as its profile says before a task runs: the joints at the profile's home pose
 * (drive targets and body poses, so physics starts there at rest) and the profile's cameras
 * mounted on their links (a wrist camera is a Camera prim under the link's body, moving with it).
 * Pure: returns a new document.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import { lensValues } from '../labels/camera.ts';
import { matrixToTransform, parentPath, primIndex, transformToMatrix, worldMatrices } from '../scene/hierarchy.ts';
import { newPrim } from '../scene/prim.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { bodyPosesAt, withoutScale } from './articulation.ts';
import { articulationBodies, type MountedCamera, type ResolvedRobot } from './profile.ts';

/** Aspect ratio of mounted cameras (4:3, as the 640 × 480 cameras LeRobot users record with). */
const MOUNT_ASPECT: [number, number] = [640, 480];

/** `doc` with the robot at its profile's home pose and the profile's cameras mounted. `file` names the profile in errors. */
export function setUpRobot(doc: SceneDocument, robot: ResolvedRobot, file: string): SceneDocument {
  let out = doc;
  if (robot.profile.home && Object.keys(robot.profile.home).length) out = atHome(out, robot, file);
  if (robot.profile.cameras?.length) out = withCameras(out, robot, robot.profile.cameras, file);
  return out;
}

const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The robot's joints at the home pose: drive targets set and every body moved there. */
function atHome(doc: SceneDocument, robot: ResolvedRobot, file: string): SceneDocument {
  const home = robot.profile.home!;
  const robotJoints = [...robot.arm, ...(robot.gripper?.joints ?? [])];
  const positions = new Map<string, number>();
  for (const [name, value] of Object.entries(home)) {
    const joint = robotJoints.find((j) => nameOf(j.path) === name);
    if (!joint) throw new InputError(file, `home.${name}: not one of the robot's arm or gripper joints (${robotJoints.map((j) => nameOf(j.path)).join(', ')})`);
    const limit = joint.limits[0];
    const [low, high] = [limit?.low ?? -Infinity, limit?.high ?? Infinity];
    if (value < low - 1e-9 || value > high + 1e-9) throw new InputError(file, `home.${name}: ${value} is outside the joint's limits [${low}, ${high}]`);
    positions.set(joint.path, value);
  }
  // Joints not named stay at their drive targets (where the description's robot stands).
  for (const joint of doc.joints) if (!positions.has(joint.path) && joint.drives[0]?.targetPosition !== undefined) positions.set(joint.path, joint.drives[0].targetPosition);
  const poses = bodyPosesAt(doc, positions);
  const authored = worldMatrices(doc);
  // Parents before children: each moved body's local transform from its parent's new world pose.
  const world = new Map<string, Matrix4>();
  const prims = doc.prims.map((prim) => {
    const parent = parentPath(prim.path);
    const parentWorld = parent ? world.get(parent) : undefined;
    const pose = prim.body ? poses.get(prim.path) : undefined;
    if (pose && !pose.equals(authored.get(prim.path)!)) {
      world.set(prim.path, pose);
      const local = parentWorld ? parentWorld.clone().invert().multiply(pose) : pose;
      return { ...prim, transform: matrixToTransform(local) };
    }
    const local = transformToMatrix(prim.transform);
    world.set(prim.path, parentWorld ? parentWorld.clone().multiply(local) : local);
    return prim;
  });
  const joints = doc.joints.map((joint) => {
    const q = home[nameOf(joint.path)];
    if (q === undefined || !robotJoints.some((j) => j.path === joint.path)) return joint;
    const drives = joint.drives.map((d, i) => (i === 0 ? { ...d, targetPosition: q } : d));
    return { ...joint, drives };
  });
  return { ...doc, prims, joints };
}

/** Camera prims under the links the mounts name, looking at their look_at points. */
function withCameras(doc: SceneDocument, robot: ResolvedRobot, cameras: readonly MountedCamera[], file: string): SceneDocument {
  const index = primIndex(doc);
  const world = worldMatrices(doc);
  const bodies = articulationBodies(doc, robot.root);
  const added = [];
  for (const [i, mount] of cameras.entries()) {
    const field = `cameras[${i}]`;
    const link = [...bodies].filter((b) => index.get(b)?.body && (b === mount.link || nameOf(b) === mount.link));
    if (link.length !== 1) throw new InputError(file, `${field}.link: ${link.length === 0 ? `no link "${mount.link}" on the robot` : `several links are "${mount.link}" (${link.join(', ')}); give its path`}`);
    const body = link[0]!;
    const path = `${body}/${mount.name}`;
    if (index.has(path)) throw new InputError(file, `${field}.name: ${path} already exists`);
    const position = new Vector3(...mount.position);
    const forward = new Vector3(...mount.look_at).sub(position);
    if (forward.length() < 1e-9) throw new InputError(file, `${field}.look_at: the camera looks at the point it stands on`);
    forward.normalize();
    let up = mount.up ? new Vector3(...mount.up) : new Vector3(0, 0, 1);
    if (!mount.up && Math.abs(up.dot(forward)) > 0.99) up = new Vector3(0, 1, 0);
    const right = forward.clone().cross(up);
    if (right.length() < 1e-6) throw new InputError(file, `${field}.up: parallel to the viewing direction`);
    right.normalize();
    const trueUp = right.clone().cross(forward);
    // A camera looks along its −Z with +Y up.
    const basis = new Matrix4().makeBasis(right, trueUp, forward.clone().negate());
    const mountPose = new Matrix4().compose(position, new Quaternion().setFromRotationMatrix(basis), new Vector3(1, 1, 1));
    // In the link's frame without its scale: through the body prim's own (possibly scaled) matrix.
    const bodyWorld = world.get(body)!;
    const local = bodyWorld.clone().invert().multiply(withoutScale(bodyWorld)).multiply(mountPose);
    const fovY = (mount.fov * Math.PI) / 180;
    const [w, h] = MOUNT_ASPECT;
    added.push({
      after: body,
      prim: newPrim(path, 'Camera', {
        transform: matrixToTransform(local),
        camera: { projection: 'perspective', fovY, aspect: w / h, near: 0.01, far: 100, ...lensValues(fovY, w, h), resolution: [w, h] },
      }),
    });
  }
  // Each camera right after its body (children after parents).
  const prims = [...doc.prims];
  for (const { after, prim } of added) prims.splice(prims.findIndex((p) => p.path === after) + 1, 0, prim);
  return { ...doc, prims };
}

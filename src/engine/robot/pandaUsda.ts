/**
 * The bundled robot scene, as USDA text: a Panda-like 7-DoF arm (the published kinematics and
 * joint limits of pandaDh.ts; links, hand and fingers from primitive shapes with the published
 * link masses), a parallel gripper whose grasps are friction contacts, a wrist camera and a scene
 * camera, on a table with three 5 cm cubes. scripts/panda-usda.ts writes it to
 * scenes/panda_tabletop.usda; a test keeps the two equal.
 *
 * Frames: link i's frame is DH frame i (its joint turns about the link's +Z), so joint i's frame
 * in link i−1 is that link's DH step with θ = 0 and is the identity in link i. Everything sits
 * under /World/Panda, whose origin is the robot's base on the table top.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { PANDA_HOME, PANDA_LIMITS, pandaDhFrames } from './pandaDh.ts';

/** Where the robot's base sits in the world (on the table top, at its back edge). */
export const PANDA_BASE_POSITION: [number, number, number] = [-0.45, 0, 0.75];
/** Finger travel (m): each finger moves 0 … 0.04 from the centre. */
export const PANDA_FINGER_TRAVEL = 0.04;
/** The fingers' base along the hand's +Z (m). */
export const PANDA_FINGER_BASE = 0.0584;

/** Link masses (kg), from Franka's published URDF inertials; link 0 is fixed to the table. */
const LINK_MASS = [4.97, 0.646, 3.228, 3.588, 1.226, 1.667, 0.736];
const HAND_MASS = 0.73;
/**
 * The real fingers weigh ~15 g; at that mass Rapier's solver lets a squeezing finger sink into
 * what it holds. 0.1 kg keeps pads within ~3 mm of the surface at the grasp force below.
 */
const FINGER_MASS = 0.1;
/** Joint torque limits (N·m), from the Panda datasheet. */
const TORQUE_LIMIT = [87, 87, 87, 87, 12, 12, 12];

/**
 * Joint drives: force drives (N·m/rad, N·m·s/rad), torque-limited as the real joints are. Chosen by
 * measurement (bench/robot.bench.ts): on Rapier's impulse-joint motors these gains track a
 * 0.3 rad, 0.25 Hz sinusoid on every joint at once to 0.25° mean / ~1° worst error, where
 * acceleration drives of any stiffness tried left the light middle joints several degrees behind.
 */
const ARM_STIFFNESS = 4000;
const ARM_DAMPING = 100;
/**
 * Finger drive: a force drive whose force limit is the grasp force. 5 N a finger holds a 0.5 kg
 * object with friction 0.9 with margin; more mainly pushes the pads into what they hold.
 */
const FINGER_STIFFNESS = 500; // N/m
const FINGER_DAMPING = 50; // N·s/m
const FINGER_MAX_FORCE = 5; // N per finger

const DEG = 180 / Math.PI;
const f = (x: number) => {
  const v = Math.abs(x) < 1e-12 ? 0 : x;
  return Number(v.toPrecision(9)).toString();
};
const vec = (v: ArrayLike<number>) => `(${Array.from(v, f).join(', ')})`;
const quat = (q: Quaternion) => `(${f(q.w)}, ${f(q.x)}, ${f(q.y)}, ${f(q.z)})`;

function decompose(m: Matrix4): { p: Vector3; q: Quaternion } {
  const p = new Vector3();
  const q = new Quaternion();
  m.decompose(p, q, new Vector3());
  return { p, q };
}

/** xformOps for a pose: translate, then orient. */
function pose(m: Matrix4, indent: string): string {
  const { p, q } = decompose(m);
  return [
    `${indent}double3 xformOp:translate = ${vec([p.x, p.y, p.z])}`,
    `${indent}quatd xformOp:orient = ${quat(q)}`,
    `${indent}uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:orient"]`,
  ].join('\n');
}

interface Shape {
  name: string;
  kind: 'Capsule' | 'Cylinder' | 'Cube';
  /** Centre in the link frame. */
  at: [number, number, number];
  /** Capsules and cylinders: along this direction (normalised here); cubes: size per axis. */
  dir?: [number, number, number];
  size?: [number, number, number];
  radius?: number;
  /** Capsule spine / cylinder height. */
  length?: number;
  color: [number, number, number];
  material?: string;
  /** Visual only (no PhysicsCollisionAPI). */
  visualOnly?: boolean;
}

const WHITE: [number, number, number] = [0.9, 0.9, 0.92];
const DARK: [number, number, number] = [0.15, 0.15, 0.17];

/** A segment shape from `a` to `b` (link frame). */
function segment(name: string, a: [number, number, number], b: [number, number, number], radius: number, color = WHITE): Shape {
  const d = new Vector3(...b).sub(new Vector3(...a));
  const mid = new Vector3(...a).add(new Vector3(...b)).multiplyScalar(0.5);
  return { name, kind: 'Capsule', at: [mid.x, mid.y, mid.z], dir: [d.x, d.y, d.z], radius, length: d.length(), color };
}

/** A joint housing: a cylinder about the link's Z axis. */
const housing = (name: string, radius: number, length: number, z = 0, color = WHITE): Shape => ({ name, kind: 'Cylinder', at: [0, 0, z], dir: [0, 0, 1], radius, length, color });

/**
 * Link shapes in each link's frame. The segments join a link's joint to the next joint's origin
 * (read off the DH frames at q = 0), so the arm looks like the real one's silhouette.
 */
function linkShapes(next: Vector3[]): Shape[][] {
  const p = (i: number): [number, number, number] => [next[i]!.x, next[i]!.y, next[i]!.z];
  return [
    // 0: the base, from the table to joint 1.
    [housing('Base', 0.07, 0.06, 0.03, DARK), segment('Column', [0, 0, 0.06], [0, 0, 0.24], 0.06)],
    // 1: shoulder housing reaching down to the column.
    [housing('Housing', 0.06, 0.2, -0.06)],
    // 2: joint 2 housing and the upper arm to joint 3.
    [housing('Housing', 0.06, 0.12), segment('UpperArm', [0, -0.06, 0], p(2), 0.055)],
    // 3: joint 3 housing and the elbow offset.
    [housing('Housing', 0.055, 0.12, -0.05), segment('Elbow', [0, 0, 0], p(3), 0.05)],
    // 4: joint 4 housing and the forearm to joint 5.
    [housing('Housing', 0.055, 0.12), segment('Forearm', [0, 0.06, 0], p(4), 0.05)],
    // 5: wrist housing, reaching down the forearm.
    [housing('Housing', 0.05, 0.16, -0.1)],
    // 6: joint 6 housing and the offset to joint 7.
    [housing('Housing', 0.045, 0.1), segment('Wrist', [0, 0, 0], p(6), 0.04)],
    // 7: the flange.
    [housing('Flange', 0.045, 0.1, 0.05, DARK)],
  ];
}

const shapeText = (s: Shape, indent: string): string => {
  const lines: string[] = [];
  const apis = [...(s.visualOnly ? [] : ['PhysicsCollisionAPI']), ...(s.material ? ['MaterialBindingAPI'] : [])];
  if (apis.length) lines.push(`${indent}def ${s.kind} "${s.name}" (`, `${indent}    prepend apiSchemas = [${apis.map((a) => `"${a}"`).join(', ')}]`, `${indent})`, `${indent}{`);
  else lines.push(`${indent}def ${s.kind} "${s.name}"`, `${indent}{`);
  const inner = `${indent}    `;
  let rotation = new Quaternion();
  if (s.kind === 'Cube') {
    lines.push(`${inner}double size = 1`);
  } else {
    lines.push(`${inner}double radius = ${f(s.radius!)}`, `${inner}double height = ${f(s.length!)}`, `${inner}uniform token axis = "Z"`);
    rotation = new Quaternion().setFromUnitVectors(new Vector3(0, 0, 1), new Vector3(...s.dir!).normalize());
  }
  lines.push(`${inner}color3f[] primvars:displayColor = [${vec(s.color)}]`);
  if (s.material) lines.push(`${inner}rel material:binding:physics = <${s.material}>`);
  lines.push(`${inner}double3 xformOp:translate = ${vec(s.at)}`, `${inner}quatd xformOp:orient = ${quat(rotation)}`);
  if (s.kind === 'Cube') {
    lines.push(`${inner}float3 xformOp:scale = ${vec(s.size!)}`, `${inner}uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:orient", "xformOp:scale"]`);
  } else {
    lines.push(`${inner}uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:orient"]`);
  }
  lines.push(`${indent}}`);
  return lines.join('\n');
};

interface Body {
  name: string;
  /** Pose in /World/Panda. */
  pose: Matrix4;
  mass: number | null;
  kinematic?: boolean;
  shapes: Shape[];
  extra?: string;
}

function bodyText(b: Body, indent: string): string {
  const apis = ['PhysicsRigidBodyAPI', ...(b.mass !== null ? ['PhysicsMassAPI'] : []), ...(b.name === 'link0' ? ['PhysicsArticulationRootAPI'] : [])];
  const inner = `${indent}    `;
  const lines = [`${indent}def Xform "${b.name}" (`, `${inner}prepend apiSchemas = [${apis.map((a) => `"${a}"`).join(', ')}]`, `${indent})`, `${indent}{`];
  if (b.kinematic) lines.push(`${inner}bool physics:kinematicEnabled = 1`);
  if (b.mass !== null) lines.push(`${inner}float physics:mass = ${f(b.mass)}`);
  lines.push(pose(b.pose, inner));
  for (const s of b.shapes) lines.push('', shapeText(s, inner));
  if (b.extra) lines.push('', b.extra);
  lines.push(`${indent}}`);
  return lines.join('\n');
}

interface JointSpec {
  name: string;
  kind: 'revolute' | 'prismatic' | 'fixed';
  body0: string;
  body1: string;
  frame0: Matrix4;
  frame1: Matrix4;
  axis?: 'X' | 'Y' | 'Z';
  limits?: [number, number];
  drive?: { type: 'force' | 'acceleration'; stiffness: number; damping: number; maxForce: number; target: number };
}

function jointText(j: JointSpec, indent: string): string {
  const type = { revolute: 'PhysicsRevoluteJoint', prismatic: 'PhysicsPrismaticJoint', fixed: 'PhysicsFixedJoint' }[j.kind];
  const angular = j.kind === 'revolute';
  const dof = angular ? 'angular' : 'linear';
  const unit = (v: number) => (angular ? v * DEG : v);
  const inner = `${indent}    `;
  const lines = [`${indent}def ${type} "${j.name}"${j.drive ? ` (\n${inner}prepend apiSchemas = ["PhysicsDriveAPI:${dof}"]\n${indent})` : ''}`, `${indent}{`];
  const a = decompose(j.frame0);
  const b = decompose(j.frame1);
  lines.push(
    `${inner}rel physics:body0 = <${j.body0}>`,
    `${inner}rel physics:body1 = <${j.body1}>`,
    `${inner}point3f physics:localPos0 = ${vec([a.p.x, a.p.y, a.p.z])}`,
    `${inner}quatf physics:localRot0 = ${quat(a.q)}`,
    `${inner}point3f physics:localPos1 = ${vec([b.p.x, b.p.y, b.p.z])}`,
    `${inner}quatf physics:localRot1 = ${quat(b.q)}`,
  );
  if (j.axis) lines.push(`${inner}uniform token physics:axis = "${j.axis}"`);
  if (j.limits) lines.push(`${inner}float physics:lowerLimit = ${f(unit(j.limits[0]))}`, `${inner}float physics:upperLimit = ${f(unit(j.limits[1]))}`);
  if (j.drive) {
    // UsdPhysics angular force-drive gains are per degree (these are per radian); acceleration
    // drives have the angle unit on both sides of the gain, so theirs are the same in either.
    const gain = (v: number) => (angular && j.drive!.type === 'force' ? v / DEG : v);
    lines.push(
      `${inner}uniform token drive:${dof}:physics:type = "${j.drive.type}"`,
      `${inner}float drive:${dof}:physics:stiffness = ${f(gain(j.drive.stiffness))}`,
      `${inner}float drive:${dof}:physics:damping = ${f(gain(j.drive.damping))}`,
      `${inner}float drive:${dof}:physics:maxForce = ${f(j.drive.maxForce)}`,
      `${inner}float drive:${dof}:physics:targetPosition = ${f(unit(j.drive.target))}`,
    );
  }
  lines.push(`${indent}}`);
  return lines.join('\n');
}

/** The robot: bodies and joints under /World/Panda, in the home configuration. */
function pandaText(indent: string): string {
  const home = pandaDhFrames(PANDA_HOME);
  const zero = pandaDhFrames(new Array(7).fill(0));
  // Frames 1..7, flange, hand, tcp (pandaDh.ts). Joint i's frame in link i−1 at θ = 0:
  const linkZero = [new Matrix4(), ...zero.slice(0, 7)];
  const origin = (i: number) => linkZero[i - 1]!.clone().invert().multiply(linkZero[i]!);
  // Next joint's origin in each link's frame, for the link shapes.
  const next = linkZero.map((frame, i) => (i < 7 ? new Vector3().setFromMatrixPosition(frame.clone().invert().multiply(linkZero[i + 1]!)) : new Vector3()));
  const shapes = linkShapes(next);
  const linkPose = [new Matrix4(), ...home.slice(0, 7)];
  const hand = home[8]!;
  const flangeToHand = home[6]!.clone().invert().multiply(hand);
  const tcpInHand = hand.clone().invert().multiply(home[9]!);
  const root = '/World/Panda';

  const bodies: Body[] = linkPose.map((pose, i) => ({ name: `link${i}`, pose, mass: i === 0 ? null : LINK_MASS[i - 1]!, kinematic: i === 0, shapes: shapes[i]! }));
  const camera = new Matrix4().compose(new Vector3(0.065, 0, 0.035), new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), Math.PI), new Vector3(1, 1, 1));
  const tcp = decompose(tcpInHand);
  bodies.push({
    name: 'hand',
    pose: hand,
    mass: HAND_MASS,
    shapes: [
      { name: 'Palm', kind: 'Cube', at: [0, 0, 0.03], size: [0.06, 0.2, 0.055], color: WHITE },
      { name: 'Mount', kind: 'Cylinder', at: [0, 0, 0.005], dir: [0, 0, 1], radius: 0.04, length: 0.01, color: DARK },
    ],
    extra: [
      `${indent}        def Xform "tcp"`,
      `${indent}        {`,
      `${indent}            double3 xformOp:translate = ${vec([tcp.p.x, tcp.p.y, tcp.p.z])}`,
      `${indent}            uniform token[] xformOpOrder = ["xformOp:translate"]`,
      `${indent}        }`,
      '',
      `${indent}        def Camera "wrist_camera"`,
      `${indent}        {`,
      `${indent}            float focalLength = 12`,
      `${indent}            float horizontalAperture = 20.955`,
      `${indent}            float verticalAperture = 15.7163`,
      `${indent}            float2 clippingRange = (0.01, 10)`,
      pose(camera, `${indent}            `),
      `${indent}        }`,
    ].join('\n'),
  });
  // Fingers: each finger's frame is on its pad's inner face, at the fingers' base; the right one
  // is turned half a turn about Z so both open along their own +Y.
  const half = new Matrix4().makeRotationZ(Math.PI);
  const fingerAt = (side: 1 | -1, opening: number) => {
    const m = new Matrix4().makeTranslation(0, side * opening, PANDA_FINGER_BASE);
    return side === 1 ? m : m.multiply(half);
  };
  const pad = 'FingerPad';
  // Only the pads collide: they stand 3 mm proud of the finger, which is drawn but does not
  // collide. (A colliding finger box beside the pad made Rapier report box-edge contacts that held
  // a closing finger a centimetre off the object's face in a few grasps out of a hundred.)
  const fingerShapes = (): Shape[] => [
    { name: 'Finger', kind: 'Cube', at: [0, 0.014, 0.0225], size: [0.02, 0.022, 0.045], color: DARK, visualOnly: true },
    { name: 'Pad', kind: 'Cube', at: [0, 0.004, 0.045], size: [0.018, 0.008, 0.02], color: [0.25, 0.25, 0.27], material: `/World/Looks/${pad}` },
  ];
  for (const [name, side] of [['leftfinger', 1], ['rightfinger', -1]] as const) {
    bodies.push({ name, pose: hand.clone().multiply(fingerAt(side, PANDA_FINGER_TRAVEL)), mass: FINGER_MASS, shapes: fingerShapes() });
  }

  const joints: JointSpec[] = [];
  for (let i = 1; i <= 7; i++) {
    joints.push({
      name: `joint${i}`,
      kind: 'revolute',
      body0: `${root}/link${i - 1}`,
      body1: `${root}/link${i}`,
      frame0: origin(i),
      frame1: new Matrix4(),
      axis: 'Z',
      limits: PANDA_LIMITS[i - 1]!,
      drive: { type: 'force', stiffness: ARM_STIFFNESS, damping: ARM_DAMPING, maxForce: TORQUE_LIMIT[i - 1]!, target: PANDA_HOME[i - 1]! },
    });
  }
  joints.push({ name: 'hand_joint', kind: 'fixed', body0: `${root}/link7`, body1: `${root}/hand`, frame0: flangeToHand, frame1: new Matrix4() });
  for (const [name, side] of [['finger_joint1', 1], ['finger_joint2', -1]] as const) {
    const frame = fingerAt(side, 0);
    joints.push({
      name,
      kind: 'prismatic',
      body0: `${root}/hand`,
      body1: `${root}/${side === 1 ? 'leftfinger' : 'rightfinger'}`,
      frame0: frame,
      frame1: new Matrix4(),
      axis: 'Y',
      limits: [0, PANDA_FINGER_TRAVEL],
      drive: { type: 'force', stiffness: FINGER_STIFFNESS, damping: FINGER_DAMPING, maxForce: FINGER_MAX_FORCE, target: PANDA_FINGER_TRAVEL },
    });
  }

  const inner = `${indent}    `;
  return [
    `${indent}def Xform "Panda" (`,
    `${indent}    doc = "7-DoF arm with the Franka Emika Panda's published kinematics and limits, built from primitives."`,
    `${indent})`,
    `${indent}{`,
    `${inner}double3 xformOp:translate = ${vec(PANDA_BASE_POSITION)}`,
    `${inner}uniform token[] xformOpOrder = ["xformOp:translate"]`,
    ...bodies.map((b) => `\n${bodyText(b, inner)}`),
    ...joints.map((j) => `\n${jointText(j, inner)}`),
    `${indent}}`,
  ].join('\n');
}

const cube = (name: string, label: string, color: [number, number, number], at: [number, number, number]) => `    def Cube "${name}" (
        prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI", "MaterialBindingAPI", "SemanticsLabelsAPI:class", "SemanticsLabelsAPI:color"]
    )
    {
        double size = 0.05
        float physics:mass = 0.1
        color3f[] primvars:displayColor = [${vec(color)}]
        rel material:binding:physics = </World/Looks/Plastic>
        token[] semantics:labels:class = ["cube"]
        token[] semantics:labels:color = ["${label}"]
        double3 xformOp:translate = ${vec(at)}
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }`;

export function buildPandaTabletopUsda(): string {
  const top = 0.75;
  const cubeZ = top + 0.025;
  return `#usda 1.0
(
    doc = """Simloop example: a Panda-like arm on a table with three cubes. Generated by
    scripts/panda-usda.ts (edit that, not this file). Z-up, metres, kilograms, as Isaac Sim writes."""
    defaultPrim = "World"
    metersPerUnit = 1
    kilogramsPerUnit = 1
    upAxis = "Z"
)

def Xform "World"
{
    def PhysicsScene "physicsScene"
    {
        vector3f physics:gravityDirection = (0, 0, -1)
        float physics:gravityMagnitude = 9.81
    }

    def Scope "Looks"
    {
        def Material "FingerPad" (
            prepend apiSchemas = ["PhysicsMaterialAPI"]
        )
        {
            float physics:staticFriction = 1.2
            float physics:dynamicFriction = 1.1
            float physics:restitution = 0
        }

        def Material "Plastic" (
            prepend apiSchemas = ["PhysicsMaterialAPI"]
        )
        {
            float physics:staticFriction = 0.8
            float physics:dynamicFriction = 0.7
            float physics:restitution = 0
        }

        def Material "Wood" (
            prepend apiSchemas = ["PhysicsMaterialAPI"]
        )
        {
            float physics:staticFriction = 0.6
            float physics:dynamicFriction = 0.5
            float physics:restitution = 0
        }
    }

    def PhysicsCollisionGroup "RobotSelfCollision" (
        doc = "The robot's links do not collide with each other (their shapes overlap at the joints); they do collide with everything else."
    )
    {
        rel collection:colliders:includes = </World/Panda>
        rel physics:filteredGroups = </World/RobotSelfCollision>
    }

    def Xform "Table"
    {
        def Cube "Top" (
            prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]
        )
        {
            double size = 1
            color3f[] primvars:displayColor = [(0.55, 0.4, 0.28)]
            rel material:binding:physics = </World/Looks/Wood>
            double3 xformOp:translate = (0, 0, ${f(top - 0.02)})
            float3 xformOp:scale = (1.2, 0.8, 0.04)
            uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
        }
${[
  [-0.55, -0.35],
  [0.55, -0.35],
  [-0.55, 0.35],
  [0.55, 0.35],
]
  .map(
    ([x, y], i) => `
        def Cube "Leg${i + 1}" (
            prepend apiSchemas = ["PhysicsCollisionAPI"]
        )
        {
            double size = 1
            color3f[] primvars:displayColor = [(0.35, 0.25, 0.18)]
            double3 xformOp:translate = (${f(x!)}, ${f(y!)}, ${f((top - 0.04) / 2)})
            float3 xformOp:scale = (0.05, 0.05, ${f(top - 0.04)})
            uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
        }`,
  )
  .join('\n')}
    }

    def Plane "Floor" (
        prepend apiSchemas = ["PhysicsCollisionAPI"]
    )
    {
        uniform token axis = "Z"
        double width = 6
        double length = 6
        color3f[] primvars:displayColor = [(0.3, 0.32, 0.34)]
    }

${pandaText('    ')}

    def Xform "Objects"
    {
${[cube('RedCube', 'red', [0.8, 0.1, 0.1], [0.05, -0.12, cubeZ]), cube('GreenCube', 'green', [0.1, 0.7, 0.15], [0.1, 0.08, cubeZ]), cube('BlueCube', 'blue', [0.1, 0.2, 0.85], [-0.05, 0.2, cubeZ])].map((c) => c.replace(/^/gm, '    ')).join('\n\n')}
    }

    def Camera "SceneCamera"
    {
        float focalLength = 18
        float horizontalAperture = 20.955
        float verticalAperture = 15.7163
        float2 clippingRange = (0.05, 20)
${pose(new Matrix4().lookAt(new Vector3(1.1, -0.9, 1.45), new Vector3(-0.05, 0, 0.8), new Vector3(0, 0, 1)).setPosition(1.1, -0.9, 1.45), '        ')}
    }

    def DistantLight "Sun"
    {
        float inputs:intensity = 2.5
        float3 xformOp:rotateXYZ = (35, 20, 0)
        uniform token[] xformOpOrder = ["xformOp:rotateXYZ"]
    }

    def DomeLight "Sky"
    {
        float inputs:intensity = 0.6
    }
}
`;
}

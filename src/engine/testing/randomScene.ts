/**
 * Test support: random scene documents for round-trip tests of the USD exporter. Every draw is
 * `unit(seed, index, path)` (randomize/draw.ts), so scene `index` of a seed is always the same.
 * The scenes use everything the document can say — each geometry kind, bodies of each type with
 * velocities, masses, colliders with approximations and physics materials, visual looks, joints of
 * each type with limits and drives, labels (including ones only the legacy semantics form can
 * carry), cameras, lights, collision groups and filtered pairs, image looks and mesh uvs — in the form the importer produces:
 * depth-first prim order, joints and materials in prim order, cameras consistent with their lens.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { unit } from '../randomize/draw.ts';
import { assetText } from '../scene/assets.ts';
import { TEXTURE_NAMES } from '../scene/textures.ts';
import { matrixToTransform } from '../scene/hierarchy.ts';
import {
  EARTH_GRAVITY,
  SCENE_SCHEMA_ID,
  SCENE_SCHEMA_VERSION,
  type Axis,
  type Geometry,
  type Joint,
  type JointDof,
  type JointDrive,
  type JointLimit,
  type PhysicsMaterial,
  type Prim,
  type SceneDocument,
  type Transform,
  type Vec3,
  type VisualMaterial,
} from '../scene/schema.ts';

/** Labels that exercise quoting; the ones with parentheses go through the legacy form. */
const LABELS = ['cube', 'red ball', 'mug', 'quote"d', 'back\\slash', 'ünïcode', 'comma,sep', 'hash#tag', 'eq=ual', 'a(b)', 'tab\there'];
const TAXONOMIES = ['class', 'color', 'odd-taxonomy'];
const AXES: Axis[] = ['X', 'Y', 'Z'];

class Draw {
  constructor(
    private readonly seed: number,
    private readonly index: number,
  ) {}

  unit(path: string): number {
    return unit(this.seed, this.index, path);
  }
  range(path: string, min: number, max: number): number {
    return min + (max - min) * this.unit(path);
  }
  int(path: string, min: number, max: number): number {
    return Math.min(max, min + Math.floor(this.unit(path) * (max - min + 1)));
  }
  chance(path: string, p: number): boolean {
    return this.unit(path) < p;
  }
  pick<T>(path: string, items: readonly T[]): T {
    return items[this.int(path, 0, items.length - 1)]!;
  }
  vec(path: string, min: number, max: number): Vec3 {
    return [this.range(`${path}.x`, min, max), this.range(`${path}.y`, min, max), this.range(`${path}.z`, min, max)];
  }
  quat(path: string): [number, number, number, number] {
    const q = new Quaternion(this.range(`${path}.x`, -1, 1), this.range(`${path}.y`, -1, 1), this.range(`${path}.z`, -1, 1), this.range(`${path}.w`, 0.2, 1)).normalize();
    return [q.x, q.y, q.z, q.w];
  }
  /** Distinct items, each kept with probability p, in their given order. */
  subset<T>(path: string, items: readonly T[], p: number): T[] {
    return items.filter((_, i) => this.chance(`${path}[${i}]`, p));
  }
}

/** A transform as the importer returns one (through a matrix), so the quaternion's sign is three's. */
function transform(d: Draw, path: string, scaled: boolean): Transform {
  const t: Transform = {
    position: d.chance(`${path}.moved`, 0.8) ? d.vec(`${path}.position`, -2, 2) : [0, 0, 0],
    orientation: d.chance(`${path}.turned`, 0.7) ? d.quat(`${path}.orientation`) : [0, 0, 0, 1],
    scale: scaled && d.chance(`${path}.scaled`, 0.4) ? d.vec(`${path}.scale`, 0.5, 2) : [1, 1, 1],
  };
  const m = new Matrix4().compose(new Vector3(...t.position), new Quaternion(...t.orientation), new Vector3(...t.scale));
  return matrixToTransform(m);
}

function geometry(d: Draw, path: string): Geometry {
  const kind = d.pick(`${path}.kind`, ['box', 'box', 'sphere', 'cylinder', 'capsule', 'cone', 'plane', 'mesh'] as const);
  const size = (k: string) => d.range(`${path}.${k}`, 0.05, 1.5);
  switch (kind) {
    case 'box':
      if (!d.chance(`${path}.cubical`, 0.5)) return { kind, size: [size('sx'), size('sy'), size('sz')] };
      return { kind, size: [size('side'), size('side'), size('side')] };
    case 'sphere':
      return { kind, radius: size('radius') };
    case 'cylinder':
    case 'capsule':
    case 'cone':
      return { kind, radius: size('radius'), height: size('height'), axis: d.pick(`${path}.axis`, AXES) };
    case 'plane':
      return { kind, width: size('width'), length: size('length'), axis: d.pick(`${path}.axis`, AXES) };
    case 'mesh': {
      // A jittered cube: 8 points, 12 triangles.
      const points: number[] = [];
      for (let i = 0; i < 8; i++) points.push(...[i & 1, (i >> 1) & 1, (i >> 2) & 1].map((b, k) => (b ? 0.5 : -0.5) + d.range(`${path}.p${i}.${k}`, -0.1, 0.1)));
      const indices = [0, 2, 1, 1, 2, 3, 4, 5, 6, 5, 7, 6, 0, 1, 4, 1, 5, 4, 2, 6, 3, 3, 6, 7, 0, 4, 2, 2, 4, 6, 1, 3, 5, 3, 7, 5];
      const mesh: Geometry = { kind, points, indices };
      if (d.chance(`${path}.normals`, 0.5)) mesh.normals = points.map((p, i) => p / Math.hypot(points[i - (i % 3)]!, points[i - (i % 3) + 1]!, points[i - (i % 3) + 2]!));
      if (d.chance(`${path}.uvs`, 0.5)) mesh.uvs = Array.from({ length: 16 }, (_, i) => d.range(`${path}.uv${i}`, -1, 2));
      return mesh;
    }
  }
}

function labels(d: Draw, path: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const taxonomy of TAXONOMIES) {
    if (!d.chance(`${path}.labels.${taxonomy}`, taxonomy === 'class' ? 0.5 : 0.2)) continue;
    out[taxonomy] = d.subset(`${path}.labels.${taxonomy}.values`, LABELS, 0.2);
    if (!out[taxonomy]!.length && taxonomy === 'odd-taxonomy') delete out[taxonomy];
  }
  return out;
}

const basePrim = (d: Draw, path: string, type: string, scaled = false): Prim => ({
  path,
  type,
  transform: transform(d, path, scaled),
  visible: !d.chance(`${path}.hidden`, 0.1),
  labels: labels(d, path),
  articulationRoot: d.chance(`${path}.articulationRoot`, 0.1),
});

function limit(d: Draw, path: string, dof: JointDof, angular: boolean): JointLimit {
  const bound = (side: string, sign: number) => (d.chance(`${path}.${side}.open`, 0.2) ? null : sign * d.range(`${path}.${side}`, 0, angular ? 3 : 1));
  return { dof, low: bound('low', -1), high: bound('high', 1) };
}

function drive(d: Draw, path: string, dof: JointDof, angular: boolean): JointDrive {
  return {
    dof,
    type: d.chance(`${path}.acceleration`, 0.3) ? 'acceleration' : 'force',
    stiffness: d.range(`${path}.stiffness`, 0, 5000),
    damping: d.range(`${path}.damping`, 0, 200),
    targetPosition: d.range(`${path}.targetPosition`, -1, 1) * (angular ? Math.PI : 0.5),
    targetVelocity: d.range(`${path}.targetVelocity`, -2, 2),
    maxForce: d.chance(`${path}.unlimited`, 0.3) ? null : d.range(`${path}.maxForce`, 0, 1000),
  };
}

const D6_DOFS: JointDof[] = ['transX', 'transY', 'transZ', 'rotX', 'rotY', 'rotZ', 'distance'];

function joint(d: Draw, path: string, bodies: string[]): Joint {
  const type = d.pick(`${path}.type`, ['revolute', 'prismatic', 'spherical', 'fixed', 'distance', 'd6'] as const);
  const body0 = d.chance(`${path}.world0`, 0.2) ? null : d.pick(`${path}.body0`, bodies);
  const others = bodies.filter((b) => b !== body0);
  const body1 = !others.length || d.chance(`${path}.world1`, 0.15) ? null : d.pick(`${path}.body1`, others);
  const limits: JointLimit[] = [];
  const drives: JointDrive[] = [];
  const angularDof = (dof: JointDof) => dof.startsWith('rot') || dof === 'angular' || (type === 'revolute' && dof !== 'linear');
  if (type === 'revolute' || type === 'prismatic') {
    const natural: JointDof = type === 'revolute' ? 'angular' : 'linear';
    if (d.chance(`${path}.limited`, 0.7)) limits.push(limit(d, `${path}.limit`, natural, type === 'revolute'));
    if (d.chance(`${path}.extraLimit`, 0.2)) limits.push(limit(d, `${path}.limit2`, 'rotX', true));
    if (d.chance(`${path}.driven`, 0.7)) drives.push(drive(d, `${path}.drive`, natural, type === 'revolute'));
  } else if (type === 'd6') {
    for (const dof of d.subset(`${path}.limitDofs`, D6_DOFS, 0.3)) limits.push(limit(d, `${path}.limit.${dof}`, dof, angularDof(dof)));
    for (const dof of d.subset(`${path}.driveDofs`, D6_DOFS.slice(0, 6), 0.25)) drives.push(drive(d, `${path}.drive.${dof}`, dof, angularDof(dof)));
  }
  const maybe = (name: string, max: number) => (type !== 'spherical' && type !== 'distance') || d.chance(`${path}.${name}.none`, 0.3) ? null : d.range(`${path}.${name}`, 0, max);
  return {
    path,
    type,
    body0,
    body1,
    localPos0: d.vec(`${path}.localPos0`, -0.5, 0.5),
    localRot0: d.chance(`${path}.turned0`, 0.6) ? d.quat(`${path}.localRot0`) : [0, 0, 0, 1],
    localPos1: d.vec(`${path}.localPos1`, -0.5, 0.5),
    localRot1: d.chance(`${path}.turned1`, 0.6) ? d.quat(`${path}.localRot1`) : [0, 0, 0, 1],
    axis: type === 'revolute' || type === 'prismatic' || type === 'spherical' ? d.pick(`${path}.axis`, AXES) : 'X',
    enabled: !d.chance(`${path}.disabled`, 0.1),
    collisionEnabled: d.chance(`${path}.collides`, 0.2),
    excludeFromArticulation: d.chance(`${path}.excluded`, 0.1),
    limits,
    drives,
    coneAngle0: type === 'spherical' ? maybe('cone0', 1.5) : null,
    coneAngle1: type === 'spherical' ? maybe('cone1', 1.5) : null,
    minDistance: type === 'distance' ? maybe('min', 0.5) : null,
    maxDistance: type === 'distance' ? maybe('max', 2) : null,
  };
}

/** Random scene `index` of `seed`. */
export function randomScene(seed: number, index: number): SceneDocument {
  const d = new Draw(seed, index);
  const prims: Prim[] = [];
  const add = (prim: Prim) => (prims.push(prim), prim);

  add(basePrim(d, '/World', 'Xform'));
  const hasScene = d.chance('physicsScene', 0.8);
  if (hasScene) add(basePrim(d, '/World/PhysicsScene', 'PhysicsScene'));

  // Looks: Materials with a Shader, at least one more than there are distinct shaded looks, and
  // physics materials (one of them with a Shader too, as scenes/tabletop.usda's Wood).
  add(basePrim(d, '/World/Looks', 'Scope'));
  const shadedLooks: VisualMaterial[] = Array.from({ length: d.int('looks', 1, 3) }, (_, k) => ({
    color: d.vec(`look${k}.color`, 0, 1),
    roughness: d.range(`look${k}.roughness`, 0, 1),
    metallic: d.range(`look${k}.metallic`, 0, 1),
    opacity: d.chance(`look${k}.opaque`, 0.7) ? 1 : d.range(`look${k}.opacity`, 0, 1),
  }));
  const materialWithShader = (path: string) => {
    add(basePrim(d, path, 'Material'));
    add(basePrim(d, `${path}/Surface`, 'Shader'));
  };
  const physicsMaterials: PhysicsMaterial[] = [];
  const physicsMaterial = (path: string) =>
    physicsMaterials.push({
      path,
      staticFriction: d.range(`${path}.static`, 0, 1.2),
      dynamicFriction: d.range(`${path}.dynamic`, 0, 1),
      restitution: d.range(`${path}.restitution`, 0, 1),
      ...(d.chance(`${path}.dense`, 0.4) ? { density: d.range(`${path}.density`, 100, 8000) } : {}),
      frictionCombine: d.pick(`${path}.frictionCombine`, ['average', 'average', 'min', 'multiply', 'max'] as const),
      restitutionCombine: d.pick(`${path}.restitutionCombine`, ['average', 'average', 'min', 'multiply', 'max'] as const),
    });
  if (d.chance('shadedPhysicsMaterial', 0.5)) {
    materialWithShader('/World/Looks/Wood');
    physicsMaterial('/World/Looks/Wood');
  }
  for (let k = 0; k <= shadedLooks.length; k++) materialWithShader(`/World/Looks/Look_${k}`);
  for (let m = 0, n = d.int('physicsMaterials', 0, 3); m < n; m++) {
    add(basePrim(d, `/World/Looks/Physics_${m}`, 'Material'));
    physicsMaterial(`/World/Looks/Physics_${m}`);
  }

  const look = (path: string): VisualMaterial | undefined => {
    const r = d.unit(`${path}.look`);
    if (r < 0.3) return undefined;
    if (r < 0.6) return { color: d.vec(`${path}.color`, 0, 1), roughness: 0.5, metallic: 0, opacity: d.chance(`${path}.opaque`, 0.7) ? 1 : d.range(`${path}.opacity`, 0, 1) };
    return d.pick(`${path}.shaded`, shadedLooks);
  };
  const shape = (path: string, inBody: boolean): Prim => {
    const prim = basePrim(d, path, '', true);
    prim.geometry = geometry(d, path);
    prim.type = { box: 'Cube', sphere: 'Sphere', cylinder: 'Cylinder', capsule: 'Capsule', cone: 'Cone', plane: 'Plane', mesh: 'Mesh' }[prim.geometry.kind];
    const material = look(path);
    // A quarter of the looks carry a bundled texture, and some an image file.
    const r = d.unit(`${path}.textured`);
    if (material) prim.material = r < 0.25 ? { ...material, texture: d.pick(`${path}.texture`, TEXTURE_NAMES) } : r < 0.4 ? { ...material, image: d.pick(`${path}.image`, IMAGE_KEYS) } : material;
    if (!inBody || d.chance(`${path}.collides`, 0.8)) {
      const approximations = ['none', 'convexHull', 'convexDecomposition', 'boundingSphere', 'boundingCube', 'meshSimplification'] as const;
      prim.collider = {
        enabled: !d.chance(`${path}.collisionOff`, 0.1),
        approximation: prim.geometry.kind === 'mesh' ? d.pick(`${path}.approximation`, approximations) : d.chance(`${path}.approximated`, 0.1) ? d.pick(`${path}.approximation`, approximations) : 'none',
        physicsMaterial: physicsMaterials.length && d.chance(`${path}.physicsMaterial`, 0.6) ? d.pick(`${path}.physicsMaterialPath`, physicsMaterials).path : null,
      };
      if (d.chance(`${path}.density`, 0.2)) prim.mass = { density: d.range(`${path}.densityValue`, 100, 5000) };
    }
    return add(prim);
  };

  const bodies: string[] = [];
  const colliders: string[] = [];
  for (let b = 0, n = d.int('bodies', 1, 5); b < n; b++) {
    const path = `/World/Body_${b}`;
    const prim = add(basePrim(d, path, 'Xform', true));
    const kind = d.pick(`${path}.bodyType`, ['dynamic', 'dynamic', 'kinematic', 'static'] as const);
    prim.body = {
      type: kind,
      enabled: kind !== 'static',
      linearVelocity: d.chance(`${path}.moving`, 0.5) ? d.vec(`${path}.velocity`, -3, 3) : [0, 0, 0],
      angularVelocity: d.chance(`${path}.spinning`, 0.5) ? d.vec(`${path}.angularVelocity`, -6, 6) : [0, 0, 0],
      startsAsleep: d.chance(`${path}.asleep`, 0.1),
    };
    if (d.chance(`${path}.massive`, 0.7)) {
      prim.mass = {};
      if (d.chance(`${path}.mass`, 0.7)) prim.mass.mass = d.range(`${path}.massValue`, 0.01, 50);
      if (d.chance(`${path}.density`, 0.3)) prim.mass.density = d.range(`${path}.densityValue`, 100, 5000);
      if (d.chance(`${path}.com`, 0.5)) prim.mass.centerOfMass = d.vec(`${path}.comValue`, -0.2, 0.2);
      if (d.chance(`${path}.inertia`, 0.5)) {
        prim.mass.diagonalInertia = d.vec(`${path}.inertiaValue`, 0.001, 2);
        prim.mass.principalAxes = d.quat(`${path}.axes`);
      }
      if (!Object.keys(prim.mass).length) prim.mass.mass = 1;
    }
    bodies.push(path);
    for (let s = 0, m = d.int(`${path}.shapes`, 1, 3); s < m; s++) colliders.push(shape(`${path}/Shape_${s}`, true).path);
  }
  colliders.push(shape('/World/Ground', false).path);
  if (d.chance('typeless', 0.3)) add(basePrim(d, '/World/Empty', ''));

  const joints: Joint[] = [];
  const jointCount = d.int('joints', 0, 4);
  if (jointCount) add(basePrim(d, '/World/Joints', 'Scope'));
  for (let j = 0; j < jointCount; j++) {
    const spec = joint(d, `/World/Joints/Joint_${j}`, bodies);
    joints.push(spec);
    add({ ...basePrim(d, spec.path, ''), type: { revolute: 'PhysicsRevoluteJoint', prismatic: 'PhysicsPrismaticJoint', spherical: 'PhysicsSphericalJoint', fixed: 'PhysicsFixedJoint', distance: 'PhysicsDistanceJoint', d6: 'PhysicsJoint' }[spec.type] });
  }

  for (let c = 0, n = d.int('cameras', 0, 2); c < n; c++) {
    const path = `/World/Camera_${c}`;
    const focalLength = d.range(`${path}.focal`, 10, 50);
    const horizontalAperture = d.range(`${path}.h`, 10, 40);
    const verticalAperture = d.range(`${path}.v`, 10, 30);
    const near = d.range(`${path}.near`, 0.01, 0.5);
    add({
      ...basePrim(d, path, 'Camera'),
      camera: {
        projection: d.chance(`${path}.ortho`, 0.2) ? 'orthographic' : 'perspective',
        fovY: 2 * Math.atan(verticalAperture / (2 * focalLength)),
        aspect: horizontalAperture / verticalAperture,
        near,
        far: near * d.range(`${path}.depth`, 10, 1000),
        focalLength,
        horizontalAperture,
        verticalAperture,
        // Half of them with the size of the images rendered from them (a UsdRender RenderProduct).
        ...(d.chance(`${path}.sized`, 0.5) ? { resolution: [d.int(`${path}.width`, 16, 1920), d.int(`${path}.height`, 16, 1080)] as [number, number] } : {}),
      },
    });
  }
  const lightTypes = { distant: 'DistantLight', sphere: 'SphereLight', rect: 'RectLight', disk: 'DiskLight', dome: 'DomeLight', cylinder: 'CylinderLight' } as const;
  for (let l = 0, n = d.int('lights', 0, 2); l < n; l++) {
    const path = `/World/Light_${l}`;
    const kind = d.pick(`${path}.kind`, Object.keys(lightTypes) as (keyof typeof lightTypes)[]);
    add({ ...basePrim(d, path, lightTypes[kind]), light: { kind, color: d.vec(`${path}.color`, 0, 1), intensity: d.range(`${path}.intensity`, 0, 5000), exposure: d.range(`${path}.exposure`, -2, 2) } });
  }

  const groupCount = d.int('groups', 0, 2);
  const groupPaths = Array.from({ length: groupCount }, (_, g) => `/World/Groups/Group_${g}`);
  if (groupCount) add(basePrim(d, '/World/Groups', 'Scope'));
  for (const path of groupPaths) add(basePrim(d, path, 'PhysicsCollisionGroup'));
  const collisionGroups = groupPaths.map((path) => ({
    path,
    members: d.subset(`${path}.members`, [...bodies, ...colliders], 0.3),
    filteredGroups: d.subset(`${path}.filtered`, groupPaths, 0.5),
    invertFilteredGroups: d.chance(`${path}.invert`, 0.2),
  }));

  // Filtered pairs come back in the prim order of their first element (the prim that holds them).
  const candidates = [...bodies, ...colliders];
  const order = new Map(prims.map((p, i) => [p.path, i]));
  const filteredPairs: [string, string][] = [];
  for (let k = 0, n = d.int('pairs', 0, 3); k < n; k++) filteredPairs.push([d.pick(`pair${k}.a`, candidates), d.pick(`pair${k}.b`, candidates)]);
  filteredPairs.sort((a, b) => order.get(a[0])! - order.get(b[0])!);
  // A pair named twice is one pair (USD keeps a relationship's targets once).
  for (let k = filteredPairs.length - 1; k > 0; k--) {
    const [a, b] = filteredPairs[k]!;
    if (filteredPairs.slice(0, k).some(([x, y]) => x === a && y === b)) filteredPairs.splice(k, 1);
  }

  const gravity: Vec3 = !hasScene ? [0, -EARTH_GRAVITY, 0] : d.chance('zeroGravity', 0.1) ? [0, 0, 0] : d.chance('earth', 0.4) ? [0, -EARTH_GRAVITY, 0] : d.vec('gravity', -12, 12);
  return {
    schema: SCENE_SCHEMA_ID,
    version: SCENE_SCHEMA_VERSION,
    source: { file: `random-${seed}-${index}.json`, format: 'json', metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Y' },
    gravity,
    prims,
    physicsMaterials,
    joints,
    collisionGroups,
    filteredPairs,
    ...(prims.some((p) => p.material?.image) ? { assets: Object.fromEntries(IMAGE_KEYS.filter((k) => prims.some((p) => p.material?.image === k)).map((k) => [k, IMAGES[k]!])) } : {}),
  };
}

/** Image files the random looks show: a PNG checker and a JPEG, as a document keeps them. */
const IMAGE_KEYS = ['textures/checker.png', 'textures/photos/grain.jpg'] as const;
const IMAGES: Record<string, string> = {
  'textures/checker.png': assetText(encodePng({ width: 4, height: 4, channels: 3, depth: 8, data: Uint8Array.from({ length: 48 }, (_, i) => ((((i / 3) | 0) + (((i / 12) | 0) % 2)) % 2 ? 230 : 20)) })),
  'textures/photos/grain.jpg': assetText(encodeJpeg({ width: 8, height: 8, data: Uint8Array.from({ length: 256 }, (_, i) => (i * 37) % 256) }, 90).data),
};

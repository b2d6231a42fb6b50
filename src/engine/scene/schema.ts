/**
 * The scene document: Simloop's one description of a scene, shared by the importer, physics,
 * the renderer and the studio. Owns the versioned zod schema and the inferred types.
 * Must not know about USD, Rapier or three.js.
 *
 * Conventions: metres, kilograms, seconds, radians; Y-up, right-handed; quaternions [x, y, z, w].
 * Prim paths (from the source file) are the stable identities of objects.
 */
import { z } from 'zod';
import { TEXTURE_NAMES } from './textures.ts';

export const SCENE_SCHEMA_ID = 'simloop.scene';
/**
 * The scene document version this build writes (engine/versioned.ts; migrations in document.ts).
 *   1  the first; read leniently (fields this build did not know were dropped, unnoticed)
 *   2  strict: every object refuses fields it does not define, so a document from a newer build
 *      is refused by version rather than read with its new fields lost. Adds nothing else: every
 *      version-1 field means the same (asset files, looks with images and textures, camera
 *      resolution, references and variant sets were added within version 1, all optional).
 *   3  source.format may be "mjcf" (MuJoCo models, mjcf/import.ts). Nothing else changed.
 */
export const SCENE_SCHEMA_VERSION = 3;

/**
 * Every number in a scene must be finite and representable by the single-precision physics and
 * rendering (|x| ≤ 1e30); a file with larger values is rejected, not silently turned into NaN.
 */
const finite = z.number().min(-1e30).max(1e30);
export const Vec3 = z.tuple([finite, finite, finite]);
export const Quat = z.tuple([finite, finite, finite, finite]);
export type Vec3 = z.infer<typeof Vec3>;
export type Quat = z.infer<typeof Quat>;

export const PrimPath = z
  .string()
  .regex(/^(\/[^/]+)+$/, 'a prim path like "/World/Box"');

export const Transform = z.strictObject({
  position: Vec3,
  orientation: Quat,
  scale: Vec3,
});
export type Transform = z.infer<typeof Transform>;

export const Axis = z.enum(['X', 'Y', 'Z']);
export type Axis = z.infer<typeof Axis>;

/**
 * Bulk number arrays (mesh data, up to millions of values) checked in one loop: zod's per-element
 * schemas take seconds on a real asset. The message names the first bad element.
 */
const numberArray = (ok: (x: unknown) => boolean, what: string) =>
  z.custom<number[]>((v) => Array.isArray(v) && v.every(ok), {
    error: (issue) => {
      const v = issue.input;
      if (!Array.isArray(v)) return `expected an array of ${what}`;
      const i = v.findIndex((x) => !ok(x));
      return `expected an array of ${what}; element ${i} is ${JSON.stringify(v[i])}`;
    },
  });
const finiteNumbers = numberArray((x) => typeof x === 'number' && x >= -1e30 && x <= 1e30, 'finite numbers (at most 1e30 in size)');
const vertexIndices = numberArray((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0, 'non-negative integers');

/** Geometry in the prim's own frame, already in metres. */
export const Geometry = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('box'), size: Vec3 }),
  z.strictObject({ kind: z.literal('sphere'), radius: finite.nonnegative() }),
  z.strictObject({ kind: z.literal('cylinder'), radius: finite.nonnegative(), height: finite.nonnegative(), axis: Axis }),
  z.strictObject({ kind: z.literal('capsule'), radius: finite.nonnegative(), height: finite.nonnegative(), axis: Axis }),
  z.strictObject({ kind: z.literal('cone'), radius: finite.nonnegative(), height: finite.nonnegative(), axis: Axis }),
  z.strictObject({ kind: z.literal('plane'), width: finite.nonnegative(), length: finite.nonnegative(), axis: Axis }),
  z.strictObject({
    kind: z.literal('mesh'),
    /** Flat xyz triples. */
    points: finiteNumbers,
    /** Triangles, counter-clockwise seen from outside. */
    indices: vertexIndices,
    /** Optional per-vertex normals (flat xyz triples), same length as points. */
    normals: finiteNumbers.optional(),
    /** Optional per-vertex texture coordinates (flat uv pairs, v up as USD's st), one pair per point. */
    uvs: finiteNumbers.optional(),
  }),
]);
export type Geometry = z.infer<typeof Geometry>;

export const VisualMaterial = z.strictObject({
  color: Vec3,
  roughness: finite.min(0).max(1),
  metallic: finite.min(0).max(1),
  opacity: finite.min(0).max(1),
  /** A bundled procedural texture (randomize/textures.ts), a neutral pattern the colour tints; none when absent. */
  texture: z.enum(TEXTURE_NAMES).optional(),
  /**
   * An image file (PNG or JPEG) the colour tints, by its key in the document's `assets`; the
   * surface's texture coordinates map it (USD: a UsdUVTexture read through primvars:st). Stands
   * instead of `texture`: a look has one or the other.
   */
  image: z.string().min(1).optional(),
});
export type VisualMaterial = z.infer<typeof VisualMaterial>;

/** The colour a gprim without a look is drawn in (linear RGB). */
export const DEFAULT_LOOK_COLOR: [number, number, number] = [0.6, 0.6, 0.62];

/**
 * The one default look: what a gprim without one is drawn with, what a new primitive or an added
 * material starts from, and the base of looks read or drawn with some inputs unauthored.
 */
export const DEFAULT_LOOK: Readonly<VisualMaterial> = Object.freeze({ color: DEFAULT_LOOK_COLOR, roughness: 0.5, metallic: 0, opacity: 1 });

/** A copy of the default look, to change. */
export const defaultLook = (): VisualMaterial => ({ ...DEFAULT_LOOK, color: [...DEFAULT_LOOK_COLOR] });

export const BodyType = z.enum(['dynamic', 'kinematic', 'static']);
export type BodyType = z.infer<typeof BodyType>;

export const RigidBody = z.strictObject({
  type: BodyType,
  enabled: z.boolean(),
  /** World frame, m/s. */
  linearVelocity: Vec3,
  /** World frame, rad/s. */
  angularVelocity: Vec3,
  startsAsleep: z.boolean(),
});
export type RigidBody = z.infer<typeof RigidBody>;

export const MassProperties = z.strictObject({
  mass: finite.positive().optional(),
  /** kg/m³ */
  density: finite.positive().optional(),
  /** In the prim's frame, metres. */
  centerOfMass: Vec3.optional(),
  /** kg·m², about the principal axes. */
  diagonalInertia: Vec3.optional(),
  principalAxes: Quat.optional(),
});
export type MassProperties = z.infer<typeof MassProperties>;

export const ColliderApproximation = z.enum([
  'none',
  'convexHull',
  'convexDecomposition',
  'boundingSphere',
  'boundingCube',
  'meshSimplification',
]);
export type ColliderApproximation = z.infer<typeof ColliderApproximation>;

export const Collider = z.strictObject({
  enabled: z.boolean(),
  approximation: ColliderApproximation,
  /** Path of a PhysicsMaterial in `physicsMaterials`, resolved through bindings at import. */
  physicsMaterial: PrimPath.nullable(),
});
export type Collider = z.infer<typeof Collider>;

export const CombineRule = z.enum(['average', 'min', 'multiply', 'max']);
export const PhysicsMaterial = z.strictObject({
  path: PrimPath,
  staticFriction: finite.nonnegative(),
  dynamicFriction: finite.nonnegative(),
  restitution: finite.nonnegative(),
  density: finite.positive().optional(),
  frictionCombine: CombineRule,
  restitutionCombine: CombineRule,
});
export type PhysicsMaterial = z.infer<typeof PhysicsMaterial>;

export const Camera = z.strictObject({
  projection: z.enum(['perspective', 'orthographic']),
  /** Vertical field of view, radians. */
  fovY: finite.positive(),
  /** Width / height of the authored aperture. */
  aspect: finite.positive(),
  near: finite.positive(),
  far: finite.positive(),
  /** As authored (tenths of a scene unit, conventionally millimetres). */
  focalLength: finite.positive(),
  horizontalAperture: finite.positive(),
  verticalAperture: finite.positive(),
  /**
   * Pixels [width, height] of the images rendered from this camera (USD keeps it on a UsdRender
   * RenderProduct that names the camera); absent means the job's or tool's own size.
   */
  resolution: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
});
export type Camera = z.infer<typeof Camera>;

export const Light = z.strictObject({
  kind: z.enum(['distant', 'sphere', 'rect', 'disk', 'dome', 'cylinder']),
  color: Vec3,
  intensity: finite.nonnegative(),
  exposure: finite,
});
export type Light = z.infer<typeof Light>;

export const Prim = z.strictObject({
  path: PrimPath,
  /** USD type name as authored ("Xform", "Cube", "Mesh", ...); "" for typeless prims. */
  type: z.string(),
  /** Transform relative to the parent prim. Root prims include the stage's unit and up-axis conversion. */
  transform: Transform,
  visible: z.boolean(),
  geometry: Geometry.optional(),
  material: VisualMaterial.optional(),
  body: RigidBody.optional(),
  mass: MassProperties.optional(),
  collider: Collider.optional(),
  /** taxonomy ("class", ...) → labels */
  labels: z.record(z.string(), z.array(z.string())),
  camera: Camera.optional(),
  light: Light.optional(),
  articulationRoot: z.boolean(),
});
export type Prim = z.infer<typeof Prim>;

export const JointType = z.enum(['revolute', 'prismatic', 'spherical', 'fixed', 'distance', 'd6']);
export type JointType = z.infer<typeof JointType>;

/** Degrees of freedom as UsdPhysics names them; rotational values in radians, linear in metres. */
export const JointDof = z.enum(['transX', 'transY', 'transZ', 'rotX', 'rotY', 'rotZ', 'distance', 'linear', 'angular']);
export type JointDof = z.infer<typeof JointDof>;

/** low > high locks the degree of freedom (UsdPhysics); null means unbounded on that side. */
export const JointLimit = z.strictObject({ dof: JointDof, low: finite.nullable(), high: finite.nullable() });
export type JointLimit = z.infer<typeof JointLimit>;

export const JointDrive = z.strictObject({
  dof: JointDof,
  type: z.enum(['force', 'acceleration']),
  /** SI: N/m or N·m/rad */
  stiffness: finite.nonnegative(),
  /** SI: N·s/m or N·m·s/rad */
  damping: finite.nonnegative(),
  /** m or rad */
  targetPosition: finite,
  /** m/s or rad/s */
  targetVelocity: finite,
  /** N or N·m; Infinity means unlimited and is stored as null. */
  maxForce: finite.nonnegative().nullable(),
});
export type JointDrive = z.infer<typeof JointDrive>;

export const Joint = z.strictObject({
  path: PrimPath,
  type: JointType,
  /** null attaches that side to the world. */
  body0: PrimPath.nullable(),
  body1: PrimPath.nullable(),
  /** Joint frame relative to body0 / body1 (metres, in the body's unscaled frame). */
  localPos0: Vec3,
  localRot0: Quat,
  localPos1: Vec3,
  localRot1: Quat,
  /** Axis of revolute / prismatic / spherical joints, in the joint frame. */
  axis: Axis,
  enabled: z.boolean(),
  collisionEnabled: z.boolean(),
  excludeFromArticulation: z.boolean(),
  limits: z.array(JointLimit),
  drives: z.array(JointDrive),
  /** Spherical cone limits (radians), distance limits (metres). */
  coneAngle0: finite.nullable(),
  coneAngle1: finite.nullable(),
  minDistance: finite.nullable(),
  maxDistance: finite.nullable(),
});
export type Joint = z.infer<typeof Joint>;

export const CollisionGroup = z.strictObject({
  path: PrimPath,
  /** Prim paths whose colliders (and their descendants' colliders) belong to this group. */
  members: z.array(PrimPath),
  /** Groups this group does not collide with. */
  filteredGroups: z.array(PrimPath),
  invertFilteredGroups: z.boolean(),
});
export type CollisionGroup = z.infer<typeof CollisionGroup>;

export const SourceInfo = z.strictObject({
  file: z.string(),
  format: z.enum(['usda', 'usdc', 'usdz', 'json', 'urdf', 'mjcf']),
  metersPerUnit: finite.positive(),
  kilogramsPerUnit: finite.positive(),
  upAxis: z.enum(['Y', 'Z']),
});
export type SourceInfo = z.infer<typeof SourceInfo>;

/**
 * A USD reference the scene authors: `prim`'s content comes from the asset layer `asset` (its prim
 * `target`, or its default prim when null), with the scene's edits over it. The document also
 * holds that content expanded under `prim`, so everything else reads it like any other prims; the
 * reference is what USD export writes instead of copying the asset (export.ts).
 */
export const AssetReference = z.strictObject({
  prim: PrimPath,
  /** A key of the document's `assets`: the layer's path relative to the scene file, "/"-separated. */
  asset: z.string().min(1),
  target: PrimPath.nullable(),
});
export type AssetReference = z.infer<typeof AssetReference>;

/**
 * A variant set of a composed USD prim: the variants it offers and the one the scene shows. The
 * studio's inspector switches it by composing the scene's files again (usd/compose.ts).
 */
export const VariantSetChoice = z.strictObject({
  prim: PrimPath,
  set: z.string().min(1),
  options: z.array(z.string()),
  /** The variant in effect; "" when none is selected. */
  selection: z.string(),
});
export type VariantSetChoice = z.infer<typeof VariantSetChoice>;

export const SceneDocument = z.strictObject({
  schema: z.literal(SCENE_SCHEMA_ID),
  version: z.literal(SCENE_SCHEMA_VERSION),
  source: SourceInfo,
  /** m/s², world frame */
  gravity: Vec3,
  /** In parent-before-child order. */
  prims: z.array(Prim),
  physicsMaterials: z.array(PhysicsMaterial),
  joints: z.array(Joint),
  collisionGroups: z.array(CollisionGroup),
  /** Pairs of prim paths (bodies or colliders) that never collide. */
  filteredPairs: z.array(z.tuple([PrimPath, PrimPath])),
  /** References to asset layers, in prim order; absent when the scene has none. */
  references: z.array(AssetReference).optional(),
  /**
   * The layers references reach (theirs included), by path relative to the scene file: USDA as
   * text, binary USD as "base64:…" (usd/compose.ts).
   */
  assets: z.record(z.string(), z.string()).optional(),
  /** The variant sets of the USD prims the scene was composed from, in prim order; absent when none. */
  variantSets: z.array(VariantSetChoice).optional(),
});
export type SceneDocument = z.infer<typeof SceneDocument>;

export const EARTH_GRAVITY = 9.80665;

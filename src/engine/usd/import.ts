/**
 * USD → scene document. Walks one layer's prims and reads UsdGeom (transforms, implicit shapes,
 * meshes, display colour, UsdPreviewSurface), UsdPhysics (scene, bodies, colliders, mass,
 * materials, joints, filtering, articulation roots), semantics (legacy Isaac and
 * SemanticsLabelsAPI), cameras and lights. Converts to metres, kilograms, radians and Y-up.
 * Anything not understood becomes a warning naming the prim path; nothing is dropped silently.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import {
  EARTH_GRAVITY,
  SCENE_SCHEMA_ID,
  SCENE_SCHEMA_VERSION,
  type Axis,
  type Camera,
  type Collider,
  type CollisionGroup,
  type Geometry,
  type Joint,
  type JointDof,
  type JointDrive,
  type JointLimit,
  type Light,
  type MassProperties,
  type PhysicsMaterial,
  type Prim,
  type RigidBody,
  type SceneDocument,
  type VisualMaterial,
  defaultLook,
} from '../scene/schema.ts';
import { parentPath } from '../scene/hierarchy.ts';
import { isAssetKey, validateSceneDocument } from '../scene/document.ts';
import { readUsdLayer } from './layer.ts';
import { composeUsd, type AssetResolver, type FlatLayer, type VariantSelection } from './compose.ts';
import { assetText, freeAssetKey, resolveAssetKey } from '../scene/assets.ts';
import { decodeImage, imageFileName, isImageKey } from '../scene/image.ts';
import { asBool, asNumber, asNumbers, asString, asVec, UsdStage } from './stage.ts';
import { boxSides, decompose, GENERATED_ATTRIBUTE, NO_LOOK_ATTRIBUTE, readLocalXform, TEXTURE_ATTRIBUTE } from './xform.ts';
import { isTextureName, TEXTURE_NAMES } from '../scene/textures.ts';

export interface UsdImportResult {
  document: SceneDocument;
  warnings: string[];
}

const DEG = Math.PI / 180;
const MAX_PRIMS = 200_000;
const MAX_DEPTH = 256;

const GPRIMS = new Set(['Mesh', 'Cube', 'Sphere', 'Cylinder', 'Capsule', 'Cone', 'Plane']);
const LIGHTS: Record<string, Light['kind']> = {
  DistantLight: 'distant',
  SphereLight: 'sphere',
  RectLight: 'rect',
  DiskLight: 'disk',
  DomeLight: 'dome',
  CylinderLight: 'cylinder',
};
const JOINT_TYPES: Record<string, Joint['type']> = {
  PhysicsJoint: 'd6',
  PhysicsRevoluteJoint: 'revolute',
  PhysicsPrismaticJoint: 'prismatic',
  PhysicsSphericalJoint: 'spherical',
  PhysicsFixedJoint: 'fixed',
  PhysicsDistanceJoint: 'distance',
};
/** Types that carry no simulated or rendered content of their own but are understood. */
const STRUCTURAL = new Set(['', 'Xform', 'Scope', 'Material', 'Shader', 'NodeGraph', 'GeomSubset', 'PhysicsScene', 'PhysicsCollisionGroup', 'Camera', 'PointInstancer']);
const KNOWN_APIS = new Set([
  'PhysicsRigidBodyAPI',
  'PhysicsCollisionAPI',
  'PhysicsMeshCollisionAPI',
  'PhysicsMassAPI',
  'PhysicsMaterialAPI',
  'PhysicsArticulationRootAPI',
  'PhysicsFilteredPairsAPI',
  'PhysicsLimitAPI',
  'PhysicsDriveAPI',
  'MaterialBindingAPI',
  'SemanticsAPI',
  'SemanticsLabelsAPI',
  'CollectionAPI',
  'PhysxMaterialAPI',
  // Draw-mode cards and extents for viewers far away: nothing to simulate or label.
  'GeomModelAPI',
]);

interface Ctx {
  stage: UsdStage;
  mpu: number;
  kpu: number;
  upAxis: 'Y' | 'Z';
  /** Rotation applied to root prims to make the stage Y-up. */
  upRotation: Quaternion;
  warnings: string[];
  /** World matrices in Simloop space (metres, Y-up), filled during the walk. */
  world: Map<string, Matrix4>;
  /** Camera path → [width, height] from the UsdRender RenderProducts that name it. */
  resolutions: Map<string, [number, number]>;
  /** Files named by asset paths (texture images), by key relative to the root layer's folder. */
  resolve: AssetResolver;
  /** The images read so far, by their key in the document (what becomes its assets). */
  images: Record<string, string>;
  /** Asset path as written → its key in `images`, or null when it could not be read. */
  imageKeys: Map<string, string | null>;
}

function warn(ctx: Ctx, path: string, message: string) {
  ctx.warnings.push(`${path}: ${message}`);
}

const num = (ctx: Ctx, path: string, name: string, fallback: number): number => {
  const v = asNumber(ctx.stage.attr(path, name));
  return v === undefined || Number.isNaN(v) ? fallback : v;
};

// ---------------------------------------------------------------- transforms

/**
 * A prim's transform relative to its parent in Simloop space. The stage is converted by
 * C = R_up · s (rotation to Y-up, scale to metres); a local matrix L becomes s·L·s⁻¹ (translation
 * scaled), and root prims are additionally rotated by R_up.
 */
function convertedLocal(ctx: Ctx, path: string): Matrix4 {
  const { matrix, resetsXformStack, unsupported } = readLocalXform(ctx.stage, path);
  if (unsupported.length) warn(ctx, path, `unsupported or malformed xformOps ignored: ${unsupported.join(', ')}`);
  const m = matrix.clone();
  m.elements[12] *= ctx.mpu;
  m.elements[13] *= ctx.mpu;
  m.elements[14] *= ctx.mpu;
  const parent = parentPath(path);
  const parentWorld = parent ? ctx.world.get(parent) : undefined;
  if (!parent || resetsXformStack) {
    const rooted = new Matrix4().makeRotationFromQuaternion(ctx.upRotation).multiply(m);
    return parentWorld ? parentWorld.clone().invert().multiply(rooted) : rooted;
  }
  return m;
}

// ---------------------------------------------------------------- geometry and looks

/** The schemas' fallbacks differ: UsdGeom gprims default to "Z", UsdPhysics joints to "X". */
function readAxis(ctx: Ctx, path: string, name = 'axis', fallback: Axis = 'Z'): Axis {
  const a = asString(ctx.stage.attr(path, name));
  if (a === undefined) return fallback;
  if (a === 'X' || a === 'Y' || a === 'Z') return a;
  warn(ctx, path, `${name} must be "X", "Y" or "Z", got "${a}"; using "${fallback}"`);
  return fallback;
}

function readGeometry(ctx: Ctx, path: string, type: string): Geometry | undefined {
  const s = ctx.mpu;
  const positive = (name: string, fallback: number) => {
    const v = num(ctx, path, name, fallback);
    if (!(v >= 0) || !Number.isFinite(v)) {
      warn(ctx, path, `${name} must be a finite non-negative number, got ${v}; using ${fallback}`);
      return fallback * s;
    }
    return v * s;
  };
  switch (type) {
    case 'Cube': {
      const size = positive('size', 2);
      const sides = boxSides(ctx.stage, path) ?? [1, 1, 1];
      return { kind: 'box', size: [size * sides[0], size * sides[1], size * sides[2]] };
    }
    case 'Sphere':
      return { kind: 'sphere', radius: positive('radius', 1) };
    case 'Cylinder':
      return { kind: 'cylinder', radius: positive('radius', 1), height: positive('height', 2), axis: readAxis(ctx, path) };
    case 'Capsule':
      return { kind: 'capsule', radius: positive('radius', 0.5), height: positive('height', 1), axis: readAxis(ctx, path) };
    case 'Cone':
      return { kind: 'cone', radius: positive('radius', 1), height: positive('height', 2), axis: readAxis(ctx, path) };
    case 'Plane':
      return { kind: 'plane', width: positive('width', 2), length: positive('length', 2), axis: readAxis(ctx, path) };
    case 'Mesh':
      return readMesh(ctx, path);
  }
  return undefined;
}

function readMesh(ctx: Ctx, path: string): Geometry | undefined {
  const points = asNumbers(ctx.stage.attr(path, 'points'));
  const counts = asNumbers(ctx.stage.attr(path, 'faceVertexCounts'));
  const indices = asNumbers(ctx.stage.attr(path, 'faceVertexIndices'));
  if (!points || points.length === 0) {
    warn(ctx, path, 'Mesh has no points; no geometry');
    return undefined;
  }
  if (points.length % 3 !== 0 || !points.every(Number.isFinite)) {
    warn(ctx, path, 'Mesh points must be finite xyz triples; no geometry');
    return undefined;
  }
  if (!counts || !indices) {
    warn(ctx, path, 'Mesh needs faceVertexCounts and faceVertexIndices; no geometry');
    return undefined;
  }
  const vertexCount = points.length / 3;
  const leftHanded = asString(ctx.stage.attr(path, 'orientation')) === 'leftHanded';
  // Triangle corners as positions in faceVertexIndices (face-varying data is indexed by them).
  // Real assets have hundreds of thousands of faces: one pass, typed arrays, no per-corner objects.
  // Faces named in holeIndices are not drawn (UsdGeomMesh: holes apply to the base mesh too).
  const holes = new Uint8Array(counts.length);
  for (const face of asNumbers(ctx.stage.attr(path, 'holeIndices')) ?? []) if (Number.isInteger(face) && face >= 0 && face < counts.length) holes[face] = 1;
  let triangleCount = 0;
  for (let f = 0; f < counts.length; f++) if (counts[f]! >= 3 && !holes[f]) triangleCount += counts[f]! - 2;
  if (!Number.isSafeInteger(triangleCount)) {
    warn(ctx, path, 'faceVertexCounts do not match faceVertexIndices; no geometry');
    return undefined;
  }
  const corners = new Uint32Array(triangleCount * 3);
  let cursor = 0;
  let t = 0;
  for (let f = 0; f < counts.length; f++) {
    const count = counts[f]!;
    if (!Number.isInteger(count) || count < 0 || cursor + count > indices.length) {
      warn(ctx, path, 'faceVertexCounts do not match faceVertexIndices; no geometry');
      return undefined;
    }
    for (let k = cursor; k < cursor + count; k++) {
      const i = indices[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= vertexCount) {
        warn(ctx, path, `faceVertexIndices refer to points outside 0..${vertexCount - 1}; no geometry`);
        return undefined;
      }
    }
    for (let k = 1; k + 1 < count && !holes[f]; k++) {
      corners[t++] = cursor;
      corners[t++] = leftHanded ? cursor + k + 1 : cursor + k;
      corners[t++] = leftHanded ? cursor + k : cursor + k + 1;
    }
    cursor += count;
  }
  const scaled = new Array<number>(points.length);
  for (let i = 0; i < points.length; i++) scaled[i] = points[i]! * ctx.mpu;
  const normals = asNumbers(ctx.stage.attr(path, 'normals'));
  // Only per-vertex normals map directly onto an indexed mesh; face-varying ones (the usual export)
  // are left to the renderer to recompute.
  const interpolation = asString(ctx.stage.attrField(path, 'normals', 'interpolation')) ?? 'vertex';
  const perVertex = interpolation === 'vertex' || interpolation === 'varying';
  const useNormals = normals && perVertex && normals.length === points.length ? normals : undefined;
  const st = readTextureCoordinates(ctx, path, vertexCount, indices.length);
  const cornerPoints = () => {
    const out = new Array<number>(corners.length);
    for (let i = 0; i < corners.length; i++) out[i] = indices[corners[i]!]!;
    return out;
  };
  if (!st) return useNormals ? { kind: 'mesh', points: scaled, indices: cornerPoints(), normals: useNormals } : { kind: 'mesh', points: scaled, indices: cornerPoints() };
  if (st.perPoint) {
    const uvs = new Array<number>(vertexCount * 2);
    for (let p = 0; p < vertexCount; p++) {
      uvs[2 * p] = st.u(0, p);
      uvs[2 * p + 1] = st.v(0, p);
    }
    return { kind: 'mesh', points: scaled, indices: cornerPoints(), ...(useNormals ? { normals: useNormals } : {}), uvs };
  }
  // Face-varying: a point keeps its place with the uv of its first corner; a corner with another uv
  // (a seam) gets a copy of the point, appended, one per distinct uv.
  const outPoints = scaled.slice();
  const outNormals = useNormals?.slice();
  const uvs = new Array<number>(vertexCount * 2).fill(0);
  const seen = new Uint8Array(vertexCount);
  /** Point → its copies at seams: [u, v, copy index] triples. */
  const copies = new Map<number, number[]>();
  const triangles = new Array<number>(corners.length);
  for (let i = 0; i < corners.length; i++) {
    const c = corners[i]!;
    const point = indices[c]!;
    const u = st.u(c, point);
    const v = st.v(c, point);
    if (!seen[point]) {
      seen[point] = 1;
      uvs[point * 2] = u;
      uvs[point * 2 + 1] = v;
      triangles[i] = point;
      continue;
    }
    if (uvs[point * 2] === u && uvs[point * 2 + 1] === v) {
      triangles[i] = point;
      continue;
    }
    let list = copies.get(point);
    if (!list) copies.set(point, (list = []));
    let copy = -1;
    for (let k = 0; k < list.length; k += 3) {
      if (list[k] === u && list[k + 1] === v) {
        copy = list[k + 2]!;
        break;
      }
    }
    if (copy < 0) {
      copy = outPoints.length / 3;
      list.push(u, v, copy);
      outPoints.push(scaled[point * 3]!, scaled[point * 3 + 1]!, scaled[point * 3 + 2]!);
      outNormals?.push(useNormals![point * 3]!, useNormals![point * 3 + 1]!, useNormals![point * 3 + 2]!);
      uvs.push(u, v);
    }
    triangles[i] = copy;
  }
  return { kind: 'mesh', points: outPoints, indices: triangles, ...(outNormals ? { normals: outNormals } : {}), uvs };
}

/**
 * The mesh's texture coordinates (`primvars:st`, or its one texCoord2f[] primvar under another
 * name) as a lookup by face-vertex position and point index, and whether they are one per point;
 * undefined when it has none usable.
 * Honours `:indices` (indexed primvars) and vertex, varying and faceVarying interpolation; where
 * the interpolation is not authored, the count decides.
 */
function readTextureCoordinates(
  ctx: Ctx,
  path: string,
  vertexCount: number,
  faceVertexCount: number,
): { perPoint: boolean; u: (corner: number, point: number) => number; v: (corner: number, point: number) => number } | undefined {
  const names = ctx.stage.propertyNames(path);
  const name = names.includes('primvars:st') ? 'primvars:st' : names.find((n) => /^primvars:[^:]+$/.test(n) && /^texCoord2[fdh]\[\]$/.test(String(ctx.stage.attrField(path, n, 'typeName'))));
  if (!name) return undefined;
  const values = asNumbers(ctx.stage.attr(path, name));
  if (!values || values.length % 2 !== 0 || !values.every(Number.isFinite)) {
    warn(ctx, path, `${name} must be finite uv pairs; the mesh is left without texture coordinates`);
    return undefined;
  }
  const index = asNumbers(ctx.stage.attr(path, `${name}:indices`));
  const pairs = values.length / 2;
  if (index && index.some((i) => !Number.isInteger(i) || i < 0 || i >= pairs)) {
    warn(ctx, path, `${name}:indices refer to values outside 0..${pairs - 1}; the mesh is left without texture coordinates`);
    return undefined;
  }
  const count = index ? index.length : pairs;
  const authored = asString(ctx.stage.attrField(path, name, 'interpolation'));
  const interpolation = authored ?? (count === faceVertexCount ? 'faceVarying' : count === vertexCount ? 'vertex' : undefined);
  const at = (k: number) => (index ? index[k]! : k);
  if ((interpolation === 'faceVarying' && count === faceVertexCount) || ((interpolation === 'vertex' || interpolation === 'varying') && count === vertexCount)) {
    return interpolation === 'faceVarying'
      ? { perPoint: false, u: (corner) => values[at(corner) * 2]!, v: (corner) => values[at(corner) * 2 + 1]! }
      : { perPoint: true, u: (_corner, point) => values[at(point) * 2]!, v: (_corner, point) => values[at(point) * 2 + 1]! };
  }
  warn(ctx, path, `${name} has ${count} values with ${interpolation ?? 'no'} interpolation (expected ${vertexCount} per vertex or ${faceVertexCount} per face-vertex); the mesh is left without texture coordinates`);
  return undefined;
}

/** Nearest binding at or above `path` for the given relationship name. */
function boundMaterial(ctx: Ctx, path: string, relName: string): string | null {
  for (let p: string | null = path; p; p = parentPath(p)) {
    const targets = ctx.stage.rel(p, relName);
    if (targets.length) return targets[0]!;
  }
  return null;
}

function readVisualMaterial(ctx: Ctx, path: string): VisualMaterial | undefined {
  const look: VisualMaterial = defaultLook();
  let found = false;
  const display = asNumbers(ctx.stage.attr(path, 'primvars:displayColor'));
  if (display && display.length >= 3) {
    look.color = [display[0]!, display[1]!, display[2]!];
    found = true;
  }
  const opacity = asNumbers(ctx.stage.attr(path, 'primvars:displayOpacity'));
  if (opacity && opacity.length >= 1) look.opacity = clamp01(opacity[0]!);
  const texture = asString(ctx.stage.attr(path, TEXTURE_ATTRIBUTE));
  if (texture !== undefined) {
    if (isTextureName(texture)) {
      look.texture = texture;
      found = true;
    } else {
      warn(ctx, path, `${TEXTURE_ATTRIBUTE} "${texture}" is not a bundled texture (${TEXTURE_NAMES.join(', ')}); left untextured`);
    }
  }

  const materialPath = boundMaterial(ctx, path, 'material:binding');
  if (materialPath && asBool(ctx.stage.attr(materialPath, NO_LOOK_ATTRIBUTE)) === true) return undefined;
  if (materialPath) {
    if (!ctx.stage.isPrim(materialPath)) {
      warn(ctx, path, `material:binding targets ${materialPath}, which does not exist`);
    } else {
      const shader = surfaceShader(ctx, materialPath);
      if (shader) {
        const id = asString(ctx.stage.attr(shader, 'info:id'));
        if (id !== 'UsdPreviewSurface') {
          warn(ctx, shader, `shader "${id ?? 'unknown'}" is not supported (only UsdPreviewSurface); using display colour`);
        } else {
          const color = asVec(ctx.stage.attr(shader, 'inputs:diffuseColor'), 3);
          if (color) look.color = color as [number, number, number];
          const source = ctx.stage.rel(shader, 'inputs:diffuseColor')[0] ?? ctx.stage.rel(shader, 'inputs:diffuseColor.connect')[0];
          const texture = source ? readUvTexture(ctx, source.split('.')[0]!) : undefined;
          if (texture) {
            delete look.texture;
            look.image = texture.image;
            look.color = texture.tint;
          }
          look.roughness = clamp01(num(ctx, shader, 'inputs:roughness', look.roughness));
          look.metallic = clamp01(num(ctx, shader, 'inputs:metallic', look.metallic));
          look.opacity = clamp01(num(ctx, shader, 'inputs:opacity', look.opacity));
          found = true;
        }
      }
    }
  }
  return found ? look : undefined;
}

/**
 * The image a UsdUVTexture shader reads (`inputs:file`), kept among the document's images, and the
 * tint its `inputs:scale` gives; undefined, with a warning, when the file cannot be read (the look
 * keeps its constant colour).
 */
function readUvTexture(ctx: Ctx, shader: string): { image: string; tint: [number, number, number] } | undefined {
  const id = asString(ctx.stage.attr(shader, 'info:id'));
  if (id !== 'UsdUVTexture') {
    warn(ctx, shader, `diffuseColor is connected to a "${id ?? 'unknown'}" shader; only UsdUVTexture is read, so the constant colour is used`);
    return undefined;
  }
  const file = asString(ctx.stage.attr(shader, 'inputs:file'));
  if (!file) {
    warn(ctx, shader, 'UsdUVTexture has no inputs:file; using the constant colour');
    return undefined;
  }
  let image = ctx.imageKeys.get(file);
  if (image === undefined) {
    image = readImageAsset(ctx, shader, file);
    ctx.imageKeys.set(file, image);
  }
  if (image === null) return undefined;
  for (const wrap of ['inputs:wrapS', 'inputs:wrapT']) {
    const mode = asString(ctx.stage.attr(shader, wrap));
    if (mode && mode !== 'repeat' && mode !== 'useMetadata') warn(ctx, shader, `${wrap} "${mode}" is drawn as "repeat"`);
  }
  const bias = asNumbers(ctx.stage.attr(shader, 'inputs:bias'));
  if (bias?.slice(0, 3).some((b) => b !== 0)) warn(ctx, shader, 'inputs:bias is not applied');
  const scale = asNumbers(ctx.stage.attr(shader, 'inputs:scale'));
  const tint: [number, number, number] = scale && scale.length >= 3 && scale.slice(0, 3).every(Number.isFinite) ? [scale[0]!, scale[1]!, scale[2]!] : [1, 1, 1];
  return { image, tint };
}

/** The document key of the image at `file` (relative to the root layer), read and checked once. */
function readImageAsset(ctx: Ctx, shader: string, file: string): string | null {
  const key = resolveAssetKey('', file);
  const bytes = ctx.resolve(key);
  if (!bytes) {
    warn(ctx, shader, `texture file ${file} was not found (choose it together with the scene, or open a .usdz package that holds it); using the constant colour`);
    return null;
  }
  try {
    decodeImage(bytes, key);
  } catch (e) {
    warn(ctx, shader, `${(e as Error).message}; using the constant colour`);
    return null;
  }
  // Files outside the scene's folder (or without an image extension) are kept under textures/.
  const data = assetText(bytes);
  const wanted = isAssetKey(key) && isImageKey(key) ? key : `textures/${imageFileName(key.slice(key.lastIndexOf('/') + 1), bytes)}`;
  const docKey = freeAssetKey(ctx.images, wanted, data);
  ctx.images[docKey] = data;
  return docKey;
}

function surfaceShader(ctx: Ctx, material: string): string | null {
  for (const output of ['outputs:surface', 'outputs:surface.connect']) {
    const target = ctx.stage.rel(material, output)[0];
    if (target) return target.split('.')[0]!;
  }
  const child = ctx.stage.children(material).find((c) => ctx.stage.typeName(c) === 'Shader');
  return child ?? null;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));

// ---------------------------------------------------------------- semantics, cameras, lights

function readLabels(ctx: Ctx, path: string): Record<string, string[]> {
  const labels: Record<string, string[]> = {};
  const add = (taxonomy: string, values: string[]) => {
    const list = (labels[taxonomy] ??= []);
    for (const v of values) if (v && !list.includes(v)) list.push(v);
  };
  for (const name of ctx.stage.propertyNames(path)) {
    const modern = /^semantics:labels:(.+)$/.exec(name);
    if (modern) {
      // A blocked (`= None`) or valueless attribute labels nothing.
      const value = ctx.stage.attr(path, name);
      if (value === undefined) continue;
      add(modern[1]!, Array.isArray(value) ? value.map(String) : asString(value) ? [asString(value)!] : []);
      continue;
    }
    const legacy = /^semantic:(.+):params:semanticType$/.exec(name);
    if (legacy) {
      const taxonomy = asString(ctx.stage.attr(path, name)) ?? 'class';
      const data = asString(ctx.stage.attr(path, `semantic:${legacy[1]}:params:semanticData`));
      if (data) add(taxonomy, [data]);
      else warn(ctx, path, `semantic:${legacy[1]} has a semanticType but no semanticData`);
    }
  }
  return labels;
}

function readCamera(ctx: Ctx, path: string): Camera {
  const focalLength = num(ctx, path, 'focalLength', 50);
  const horizontalAperture = num(ctx, path, 'horizontalAperture', 20.955);
  const verticalAperture = num(ctx, path, 'verticalAperture', 15.2908);
  const clipping = asVec(ctx.stage.attr(path, 'clippingRange'), 2) ?? [1, 1_000_000];
  const projection = asString(ctx.stage.attr(path, 'projection')) === 'orthographic' ? 'orthographic' : 'perspective';
  const safe = (v: number, fallback: number, name: string) => {
    if (v > 0 && Number.isFinite(v)) return v;
    warn(ctx, path, `${name} must be positive, got ${v}; using ${fallback}`);
    return fallback;
  };
  const f = safe(focalLength, 50, 'focalLength');
  const h = safe(horizontalAperture, 20.955, 'horizontalAperture');
  const v = safe(verticalAperture, 15.2908, 'verticalAperture');
  const near = safe(clipping[0]! * ctx.mpu, 0.01, 'clippingRange near');
  const far = Math.max(near * 1.001, safe(clipping[1]! * ctx.mpu, 1000, 'clippingRange far'));
  return {
    projection,
    fovY: 2 * Math.atan(v / (2 * f)),
    aspect: h / v,
    near,
    far,
    focalLength: f,
    horizontalAperture: h,
    verticalAperture: v,
  };
}

/**
 * The image size of each camera a UsdRender RenderProduct names (`rel camera`, `uniform int2
 * resolution`), as Replicator and the exporter write them. A product without a usable size or
 * camera is skipped with a warning; the first product naming a camera wins.
 */
function readRenderProducts(ctx: Ctx, order: readonly string[]) {
  for (const path of order) {
    if (ctx.stage.typeName(path) !== 'RenderProduct') continue;
    const camera = ctx.stage.rel(path, 'camera')[0];
    const resolution = asNumbers(ctx.stage.attr(path, 'resolution'));
    if (!camera) {
      warn(ctx, path, 'a RenderProduct without a camera relationship; its resolution is not used');
      continue;
    }
    if (!resolution || resolution.length !== 2 || !resolution.every((v) => Number.isInteger(v) && v > 0)) {
      warn(ctx, path, `resolution must be two whole numbers of pixels > 0, got ${JSON.stringify(ctx.stage.attr(path, 'resolution') ?? null)}; ${camera} keeps no resolution`);
      continue;
    }
    if (!ctx.resolutions.has(camera)) ctx.resolutions.set(camera, [resolution[0]!, resolution[1]!]);
  }
}

function readLight(ctx: Ctx, path: string, kind: Light['kind']): Light {
  const pick = (name: string) => ctx.stage.attr(path, `inputs:${name}`) ?? ctx.stage.attr(path, name);
  const color = asVec(pick('color'), 3) ?? [1, 1, 1];
  return {
    kind,
    color: color as [number, number, number],
    intensity: Math.max(0, asNumber(pick('intensity')) ?? 1),
    exposure: asNumber(pick('exposure')) ?? 0,
  };
}

// ---------------------------------------------------------------- physics

function readRigidBody(ctx: Ctx, path: string): RigidBody {
  const enabled = asBool(ctx.stage.attr(path, 'physics:rigidBodyEnabled')) ?? true;
  const kinematic = asBool(ctx.stage.attr(path, 'physics:kinematicEnabled')) ?? false;
  // Velocities are authored in the space of the prim's parent; bring them to world space.
  const parent = parentPath(path);
  const parentWorld = parent ? ctx.world.get(parent) : undefined;
  const frame = parentWorld ? decompose(parentWorld).rotation : ctx.upRotation.clone();
  const v = asVec(ctx.stage.attr(path, 'physics:velocity'), 3) ?? [0, 0, 0];
  const w = asVec(ctx.stage.attr(path, 'physics:angularVelocity'), 3) ?? [0, 0, 0];
  const lin = new Vector3(v[0]! * ctx.mpu, v[1]! * ctx.mpu, v[2]! * ctx.mpu).applyQuaternion(frame);
  const ang = new Vector3(w[0]! * DEG, w[1]! * DEG, w[2]! * DEG).applyQuaternion(frame);
  return {
    type: !enabled ? 'static' : kinematic ? 'kinematic' : 'dynamic',
    enabled,
    linearVelocity: [lin.x, lin.y, lin.z],
    angularVelocity: [ang.x, ang.y, ang.z],
    startsAsleep: asBool(ctx.stage.attr(path, 'physics:startsAsleep')) ?? false,
  };
}

function readMass(ctx: Ctx, path: string): MassProperties | undefined {
  const out: MassProperties = {};
  const mass = num(ctx, path, 'physics:mass', 0);
  if (mass > 0 && Number.isFinite(mass)) out.mass = mass * ctx.kpu;
  else if (mass < 0) warn(ctx, path, `physics:mass must be positive, got ${mass}; ignored`);
  const density = num(ctx, path, 'physics:density', 0);
  if (density > 0 && Number.isFinite(density)) out.density = (density * ctx.kpu) / ctx.mpu ** 3;
  const com = asVec(ctx.stage.attr(path, 'physics:centerOfMass'), 3);
  if (com && com.every(Number.isFinite)) out.centerOfMass = [com[0]! * ctx.mpu, com[1]! * ctx.mpu, com[2]! * ctx.mpu];
  const inertia = asVec(ctx.stage.attr(path, 'physics:diagonalInertia'), 3);
  if (inertia && inertia.some((i) => i > 0)) {
    const k = ctx.kpu * ctx.mpu ** 2;
    out.diagonalInertia = [inertia[0]! * k, inertia[1]! * k, inertia[2]! * k];
  }
  const axes = asVec(ctx.stage.attr(path, 'physics:principalAxes'), 4);
  if (axes && axes.some((a) => a !== 0)) out.principalAxes = axes as [number, number, number, number];
  return Object.keys(out).length ? out : undefined;
}

const APPROXIMATIONS = new Set(['none', 'convexHull', 'convexDecomposition', 'boundingSphere', 'boundingCube', 'meshSimplification']);

function readCollider(ctx: Ctx, path: string, materials: Map<string, PhysicsMaterial>): Collider {
  let approximation = asString(ctx.stage.attr(path, 'physics:approximation')) ?? 'none';
  if (!APPROXIMATIONS.has(approximation)) {
    warn(ctx, path, `physics:approximation "${approximation}" is not a UsdPhysics value; using "convexHull"`);
    approximation = 'convexHull';
  }
  return {
    enabled: asBool(ctx.stage.attr(path, 'physics:collisionEnabled')) ?? true,
    approximation: approximation as Collider['approximation'],
    physicsMaterial: resolvePhysicsMaterial(ctx, path, materials),
  };
}

function resolvePhysicsMaterial(ctx: Ctx, path: string, materials: Map<string, PhysicsMaterial>): string | null {
  const physics = boundMaterial(ctx, path, 'material:binding:physics');
  if (physics) {
    const found = materials.get(physics);
    if (found) return found.path;
    warn(ctx, path, ctx.stage.isPrim(physics)
      ? `material:binding:physics targets ${physics}, which has no PhysicsMaterialAPI; default material used`
      : `material:binding:physics targets ${physics}, which does not exist; default material used`);
    return null;
  }
  const general = boundMaterial(ctx, path, 'material:binding');
  return general && materials.has(general) ? general : null;
}

const COMBINE = new Set(['average', 'min', 'multiply', 'max']);

function readPhysicsMaterial(ctx: Ctx, path: string): PhysicsMaterial {
  const nonNeg = (name: string) => {
    const v = num(ctx, path, name, 0);
    if (v < 0 || !Number.isFinite(v)) {
      warn(ctx, path, `${name} must be a finite non-negative number, got ${v}; using 0`);
      return 0;
    }
    return v;
  };
  const combine = (name: string): PhysicsMaterial['frictionCombine'] => {
    const v = asString(ctx.stage.attr(path, name));
    return v && COMBINE.has(v) ? (v as PhysicsMaterial['frictionCombine']) : 'average';
  };
  const density = num(ctx, path, 'physics:density', 0);
  const material: PhysicsMaterial = {
    path,
    staticFriction: nonNeg('physics:staticFriction'),
    dynamicFriction: nonNeg('physics:dynamicFriction'),
    restitution: nonNeg('physics:restitution'),
    frictionCombine: combine('physxMaterial:frictionCombineMode'),
    restitutionCombine: combine('physxMaterial:restitutionCombineMode'),
  };
  if (density > 0) material.density = (density * ctx.kpu) / ctx.mpu ** 3;
  return material;
}

/** Unit conversion for one drive or limit value, by degree of freedom (the exporter inverts it). */
export function isAngular(dof: JointDof, jointType: Joint['type']): boolean {
  return dof.startsWith('rot') || dof === 'angular' || (jointType === 'revolute' && dof !== 'linear');
}

function readJoint(ctx: Ctx, path: string, type: Joint['type'], bodies: Set<string>): Joint | null {
  const resolveBody = (rel: string): { body: string | null; ok: boolean } => {
    const targets = ctx.stage.rel(path, rel);
    if (targets.length === 0) return { body: null, ok: true };
    const target = targets[0]!;
    if (!ctx.stage.isPrim(target)) {
      warn(ctx, path, `${rel} targets ${target}, which does not exist; joint skipped`);
      return { body: null, ok: false };
    }
    for (let p: string | null = target; p; p = parentPath(p)) if (bodies.has(p)) return { body: p, ok: true };
    // A joint to a prim that is not (inside) a rigid body attaches to a static frame: treat as world.
    return { body: target, ok: true };
  };
  const b0 = resolveBody('physics:body0');
  const b1 = resolveBody('physics:body1');
  if (!b0.ok || !b1.ok) return null;
  if (b0.body && b0.body === b1.body) {
    warn(ctx, path, `physics:body0 and physics:body1 are the same body (${b0.body}); joint skipped`);
    return null;
  }

  // Joint frames are authored relative to the targeted prim: localPos in its (possibly scaled) frame,
  // localRot relative to its orientation (scale does not rotate the frame). Express both relative to
  // the owning body's unscaled frame, in metres; with no body, relative to the world.
  const frameIn = (rel: string, body: string | null, posName: string, rotName: string) => {
    const pos = asVec(ctx.stage.attr(path, posName), 3) ?? [0, 0, 0];
    const rot = asVec(ctx.stage.attr(path, rotName), 4) ?? [0, 0, 0, 1];
    const target = ctx.stage.rel(path, rel)[0];
    const targetWorld = target ? ctx.world.get(target) : undefined;
    const point = new Vector3(pos[0]! * ctx.mpu, pos[1]! * ctx.mpu, pos[2]! * ctx.mpu);
    const rotation = new Quaternion(rot[0], rot[1], rot[2], rot[3]).normalize();
    // The joint frame in the world.
    const worldPos = targetWorld ? point.applyMatrix4(targetWorld) : point.applyQuaternion(ctx.upRotation);
    const worldRot = (targetWorld ? decompose(targetWorld).rotation : ctx.upRotation.clone()).multiply(rotation);
    if (!body || !bodies.has(body)) return { pos: vec3(worldPos), rot: quat(worldRot) };
    const bodyWorld = decompose(ctx.world.get(body)!);
    const inverse = bodyWorld.rotation.clone().invert();
    return { pos: vec3(worldPos.sub(bodyWorld.position).applyQuaternion(inverse)), rot: quat(inverse.multiply(worldRot)) };
  };
  const f0 = frameIn('physics:body0', b0.body, 'physics:localPos0', 'physics:localRot0');
  const f1 = frameIn('physics:body1', b1.body, 'physics:localPos1', 'physics:localRot1');

  const limits: JointLimit[] = [];
  const drives: JointDrive[] = [];
  const linearScale = ctx.mpu;
  const toSI = (dof: JointDof, v: number) => (isAngular(dof, type) ? v * DEG : v * linearScale);
  /** Limits: ±inf (the schema's "no limit") becomes null. */
  const bound = (dof: JointDof, v: number) => (Number.isFinite(v) ? toSI(dof, v) : null);

  if (type === 'revolute' || type === 'prismatic') {
    const low = num(ctx, path, 'physics:lowerLimit', -Infinity);
    const high = num(ctx, path, 'physics:upperLimit', Infinity);
    const dof: JointDof = type === 'revolute' ? 'angular' : 'linear';
    if (Number.isFinite(low) || Number.isFinite(high)) limits.push({ dof, low: bound(dof, low), high: bound(dof, high) });
  }
  const limitDofs = new Set(ctx.stage.propertyNames(path).map((n) => /^limit:([A-Za-z]+):physics:(low|high)$/.exec(n)?.[1]).filter((d) => d !== undefined));
  for (const d of limitDofs) {
    const dof = d as JointDof;
    if (!['transX', 'transY', 'transZ', 'rotX', 'rotY', 'rotZ', 'distance', 'linear', 'angular'].includes(dof)) {
      warn(ctx, path, `PhysicsLimitAPI:${dof} is not a UsdPhysics degree of freedom; ignored`);
      continue;
    }
    const low = num(ctx, path, `limit:${dof}:physics:low`, -Infinity);
    const high = num(ctx, path, `limit:${dof}:physics:high`, Infinity);
    limits.push({ dof, low: bound(dof, low), high: bound(dof, high) });
  }
  const driveDofs = new Set<string>();
  for (const name of ctx.stage.propertyNames(path)) {
    const m = /^drive:([A-Za-z]+):physics:/.exec(name);
    if (m) driveDofs.add(m[1]!);
  }
  for (const d of driveDofs) {
    const dof = d as JointDof;
    const driveType = asString(ctx.stage.attr(path, `drive:${d}:physics:type`)) === 'acceleration' ? 'acceleration' : 'force';
    const angular = isAngular(dof, type);
    // Force drives: torque (kg·unit²/s²) per degree → N·m per radian, force per unit → N per metre.
    // Acceleration drives: acceleration per displacement has the same angle or length unit on both
    // sides, so their gains need no conversion.
    const gainScale = driveType === 'force' ? ctx.kpu * (angular ? ctx.mpu ** 2 * (180 / Math.PI) : 1) : 1;
    const maxForce = num(ctx, path, `drive:${d}:physics:maxForce`, Infinity);
    // maxForce is a force (or torque) for both drive types.
    const forceUnits = ctx.kpu * (angular ? ctx.mpu ** 2 : ctx.mpu);
    drives.push({
      dof,
      type: driveType,
      stiffness: Math.max(0, num(ctx, path, `drive:${d}:physics:stiffness`, 0) * gainScale),
      damping: Math.max(0, num(ctx, path, `drive:${d}:physics:damping`, 0) * gainScale),
      targetPosition: toSI(dof, num(ctx, path, `drive:${d}:physics:targetPosition`, 0)),
      targetVelocity: toSI(dof, num(ctx, path, `drive:${d}:physics:targetVelocity`, 0)),
      maxForce: Number.isFinite(maxForce) && maxForce >= 0 ? maxForce * forceUnits : null,
    });
  }
  const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
  const cone0 = num(ctx, path, 'physics:coneAngle0Limit', -1);
  const cone1 = num(ctx, path, 'physics:coneAngle1Limit', -1);
  const minD = num(ctx, path, 'physics:minDistance', -1);
  const maxD = num(ctx, path, 'physics:maxDistance', -1);
  return {
    path,
    type,
    body0: b0.body && bodies.has(b0.body) ? b0.body : null,
    body1: b1.body && bodies.has(b1.body) ? b1.body : null,
    localPos0: f0.pos,
    localRot0: f0.rot,
    localPos1: f1.pos,
    localRot1: f1.rot,
    axis: type === 'revolute' || type === 'prismatic' || type === 'spherical' ? readAxis(ctx, path, 'physics:axis', 'X') : 'X',
    enabled: asBool(ctx.stage.attr(path, 'physics:jointEnabled')) ?? true,
    collisionEnabled: asBool(ctx.stage.attr(path, 'physics:collisionEnabled')) ?? false,
    excludeFromArticulation: asBool(ctx.stage.attr(path, 'physics:excludeFromArticulation')) ?? false,
    limits,
    drives,
    coneAngle0: cone0 >= 0 ? finiteOrNull(cone0 * DEG) : null,
    coneAngle1: cone1 >= 0 ? finiteOrNull(cone1 * DEG) : null,
    minDistance: minD >= 0 ? finiteOrNull(minD * ctx.mpu) : null,
    maxDistance: maxD >= 0 ? finiteOrNull(maxD * ctx.mpu) : null,
  };
}

const quat = (q: Quaternion): [number, number, number, number] => [q.x, q.y, q.z, q.w];
const vec3 = (v: Vector3): [number, number, number] => [v.x, v.y, v.z];

function readGravity(ctx: Ctx, scenePath: string | null): [number, number, number] {
  const up = ctx.upAxis === 'Z' ? new Vector3(0, 0, 1) : new Vector3(0, 1, 0);
  let dir = up.clone().negate();
  let magnitude = EARTH_GRAVITY;
  if (scenePath) {
    const authoredDir = asVec(ctx.stage.attr(scenePath, 'physics:gravityDirection'), 3);
    if (authoredDir && authoredDir.some((c) => c !== 0)) dir = new Vector3(...(authoredDir as [number, number, number])).normalize();
    const m = asNumber(ctx.stage.attr(scenePath, 'physics:gravityMagnitude'));
    // −inf (the schema default) means Earth gravity; an authored value is in stage units per s².
    if (m !== undefined && Number.isFinite(m) && m >= 0) magnitude = m * ctx.mpu;
  }
  const g = dir.multiplyScalar(magnitude).applyQuaternion(ctx.upRotation);
  const clean = (v: number) => (Math.abs(v) < 1e-12 ? 0 : v);
  return [clean(g.x), clean(g.y), clean(g.z)];
}

// ---------------------------------------------------------------- the walk

function checkSchemas(ctx: Ctx, path: string, type: string) {
  const unknown = ctx.stage.apiSchemas(path).filter((s) => !KNOWN_APIS.has(s.split(':')[0]!));
  if (unknown.length) warn(ctx, path, `API schemas not supported, ignored: ${unknown.join(', ')}`);
  const known = STRUCTURAL.has(type) || GPRIMS.has(type) || type in LIGHTS || type in JOINT_TYPES;
  if (!known) warn(ctx, path, `prim type "${type}" is not supported; imported as a transform only`);
  const animated = ctx.stage.animatedAttributes(path);
  if (animated.length) warn(ctx, path, `animated attributes are read at their first time sample: ${animated.join(', ')}`);
}

/**
 * A (composed) layer as a scene document. Throws InputError for unreadable files; everything else
 * becomes warnings. `resolve` reads the files its asset paths name (texture
 * images), by key relative to the root layer's folder; the images read come back in `assets`.
 */
export function importUsdLayer(layer: FlatLayer, resolve: AssetResolver = () => undefined): UsdImportResult {
  const stage = new UsdStage(layer);
  const warnings: string[] = [];
  const meta = layer.metadata;
  const rawMpu = meta.metersPerUnit ?? 0.01;
  const rawKpu = meta.kilogramsPerUnit ?? 1;
  const upAxis = meta.upAxis ?? 'Y';
  const ctx: Ctx = {
    resolutions: new Map(),
    stage,
    mpu: rawMpu > 0 && Number.isFinite(rawMpu) ? rawMpu : 0.01,
    kpu: rawKpu > 0 && Number.isFinite(rawKpu) ? rawKpu : 1,
    upAxis: upAxis === 'Z' ? 'Z' : 'Y',
    upRotation: upAxis === 'Z' ? new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), -Math.PI / 2) : new Quaternion(),
    warnings,
    world: new Map(),
    resolve,
    images: {},
    imageKeys: new Map(),
  };
  if (!(rawMpu > 0 && Number.isFinite(rawMpu))) warnings.push(`${layer.file}: metersPerUnit must be positive, got ${rawMpu}; using 0.01`);
  if (meta.metersPerUnit === undefined) warnings.push(`${layer.file}: no metersPerUnit authored; using the USD fallback 0.01 (centimetres)`);
  if (!(rawKpu > 0 && Number.isFinite(rawKpu))) warnings.push(`${layer.file}: kilogramsPerUnit must be positive, got ${rawKpu}; using 1`);
  if (upAxis !== 'Y' && upAxis !== 'Z') warnings.push(`${layer.file}: upAxis must be "Y" or "Z", got "${upAxis}"; using "Y"`);

  // Pass 1: the prim list in parent-before-child order, with world matrices.
  const order: string[] = [];
  const visit = (path: string, depth: number) => {
    if (depth > MAX_DEPTH) throw new InputError(layer.file, `prim hierarchy deeper than ${MAX_DEPTH} levels at ${path}`);
    for (const child of stage.children(path)) {
      if (order.length >= MAX_PRIMS) throw new InputError(layer.file, `more than ${MAX_PRIMS} prims; refusing to import`);
      if (asBool(stage.primField(child, 'active')) === false) continue;
      order.push(child);
      const local = convertedLocal(ctx, child);
      const parent = parentPath(child);
      const parentWorld = parent ? ctx.world.get(parent) : undefined;
      ctx.world.set(child, parentWorld ? parentWorld.clone().multiply(local) : local);
      visit(child, depth + 1);
    }
  };
  visit('/', 0);

  // Physics materials first: colliders resolve their bindings against them.
  const physicsMaterials = new Map<string, PhysicsMaterial>();
  for (const path of order) if (stage.hasApi(path, 'PhysicsMaterialAPI')) physicsMaterials.set(path, readPhysicsMaterial(ctx, path));

  const bodies = new Set(order.filter((p) => stage.hasApi(p, 'PhysicsRigidBodyAPI')));
  const prims: Prim[] = [];
  const joints: Joint[] = [];
  const collisionGroups: CollisionGroup[] = [];
  const filteredPairs: [string, string][] = [];
  let physicsScene: string | null = null;

  // A scope Simloop's exporter added for looks or render products alone (export.ts) is not part
  // of the scene: the looks it holds are read through the gprims' bindings, the render products
  // as the cameras' resolutions.
  const generated = order.filter((p) => asBool(stage.attr(p, GENERATED_ATTRIBUTE)) === true);
  readRenderProducts(ctx, order);
  const isGenerated = (path: string) => generated.some((g) => path === g || path.startsWith(`${g}/`));

  for (const path of order) {
    if (generated.length && isGenerated(path)) continue;
    const type = stage.typeName(path);
    checkSchemas(ctx, path, type);
    const parent = parentPath(path);
    const parentWorld = parent ? ctx.world.get(parent) : undefined;
    const world = ctx.world.get(path)!;
    const local = parentWorld ? parentWorld.clone().invert().multiply(world) : world.clone();
    const d = decompose(local);
    const visibility = asString(stage.attr(path, 'visibility'));
    const purpose = asString(stage.attr(path, 'purpose'));
    const prim: Prim = {
      path,
      type,
      transform: {
        position: [d.position.x, d.position.y, d.position.z],
        orientation: quat(d.rotation),
        scale: [d.scale.x, d.scale.y, d.scale.z],
      },
      visible: visibility !== 'invisible' && purpose !== 'guide' && purpose !== 'proxy',
      labels: readLabels(ctx, path),
      articulationRoot: stage.hasApi(path, 'PhysicsArticulationRootAPI'),
    };
    if (GPRIMS.has(type)) {
      const geometry = readGeometry(ctx, path, type);
      if (geometry) prim.geometry = geometry;
      const look = readVisualMaterial(ctx, path);
      if (look) prim.material = look;
    }
    if (bodies.has(path)) prim.body = readRigidBody(ctx, path);
    if (stage.hasApi(path, 'PhysicsMassAPI')) {
      const mass = readMass(ctx, path);
      if (mass) prim.mass = mass;
    }
    if (stage.hasApi(path, 'PhysicsCollisionAPI')) {
      if (!GPRIMS.has(type)) warn(ctx, path, `PhysicsCollisionAPI on a "${type || 'typeless'}" prim has no shape; ignored`);
      else if (prim.geometry) prim.collider = readCollider(ctx, path, physicsMaterials);
    }
    if (type === 'Camera') {
      prim.camera = readCamera(ctx, path);
      const resolution = ctx.resolutions.get(path);
      if (resolution) prim.camera.resolution = resolution;
    }
    if (type in LIGHTS) prim.light = readLight(ctx, path, LIGHTS[type]!);
    if (type === 'PhysicsScene') {
      if (physicsScene) warn(ctx, path, `a second PhysicsScene; using ${physicsScene}`);
      else physicsScene = path;
    }
    if (type in JOINT_TYPES) {
      const joint = readJoint(ctx, path, JOINT_TYPES[type]!, bodies);
      if (joint) joints.push(joint);
    }
    if (type === 'PhysicsCollisionGroup') {
      collisionGroups.push({
        path,
        members: stage.rel(path, 'collection:colliders:includes').filter((m) => {
          if (stage.isPrim(m)) return true;
          warn(ctx, path, `collection:colliders:includes names ${m}, which does not exist; ignored`);
          return false;
        }),
        filteredGroups: stage.rel(path, 'physics:filteredGroups'),
        invertFilteredGroups: asBool(stage.attr(path, 'physics:invertFilteredGroups')) ?? false,
      });
    }
    if (stage.hasApi(path, 'PhysicsFilteredPairsAPI') || stage.rel(path, 'physics:filteredPairs').length) {
      for (const other of stage.rel(path, 'physics:filteredPairs')) {
        if (!stage.isPrim(other)) warn(ctx, path, `physics:filteredPairs names ${other}, which does not exist; ignored`);
        else filteredPairs.push([path, other]);
      }
    }
    prims.push(prim);
  }
  for (const group of collisionGroups) {
    group.filteredGroups = group.filteredGroups.filter((g) => {
      if (collisionGroups.some((other) => other.path === g)) return true;
      warn(ctx, group.path, `physics:filteredGroups names ${g}, which is not a PhysicsCollisionGroup; ignored`);
      return false;
    });
  }

  const document: SceneDocument = {
    schema: SCENE_SCHEMA_ID,
    version: SCENE_SCHEMA_VERSION,
    source: { file: layer.file, format: layer.format, metersPerUnit: ctx.mpu, kilogramsPerUnit: ctx.kpu, upAxis: ctx.upAxis },
    gravity: readGravity(ctx, physicsScene),
    prims,
    physicsMaterials: [...physicsMaterials.values()],
    joints,
    collisionGroups,
    filteredPairs,
    ...(Object.keys(ctx.images).length ? { assets: ctx.images } : {}),
  };
  return { document: validateSceneDocument(document, layer.file), warnings };
}

export interface UsdImportOptions {
  /**
   * The files the layer names (sublayers, references, payloads, textures), by path relative to its
   * folder (compose.ts). A USDZ package resolves against its own files.
   */
  resolve?: AssetResolver;
  /** Variant choices, stronger than any the layers author. */
  variants?: readonly VariantSelection[];
}

/**
 * Reads and imports a USD file (USDA, USDC or USDZ) from bytes or text, composed with every layer
 * it reaches (compose.ts). The document lists the prims' variant sets; it keeps the references
 * the file authors, and the layers they reach, when references alone compose it, so that export
 * can write them as references again (otherwise export writes the composed scene flattened).
 */
export function importUsd(data: Uint8Array | ArrayBuffer | string, file: string, options: UsdImportOptions = {}): UsdImportResult {
  const layer = readUsdLayer(data, file);
  try {
    const resolve = options.resolve ?? layer.packaged;
    const composed = composeUsd(layer, { ...(resolve ? { resolve } : {}), ...(options.variants ? { variants: options.variants } : {}) });
    const result = importUsdLayer(composed.layer, resolve);
    const warnings = [...composed.warnings, ...result.warnings];
    const prims = new Set(result.document.prims.map((p) => p.path));
    const variantSets = composed.variantSets.filter((v) => prims.has(v.prim) && v.options.length);
    let document: SceneDocument = variantSets.length ? { ...result.document, variantSets } : result.document;
    if (composed.references.length && composed.referencesOnly) {
      const outside = Object.keys(composed.assets).filter((key) => !isAssetKey(key));
      if (outside.length) {
        warnings.push(`${file}: ${outside.join(', ')} lie outside the scene's folder; the referenced content is kept, but not as references`);
      } else {
        const references = composed.references.filter((r) => prims.has(r.prim) && r.asset in composed.assets);
        if (references.length) document = { ...document, references, assets: { ...composed.assets, ...(result.document.assets ?? {}) } };
      }
    }
    return { document: document === result.document ? document : validateSceneDocument(document, file), warnings };
  } catch (e) {
    if (e instanceof InputError) throw e;
    // A bug, but the person still gets one line naming the file rather than a stack trace.
    throw new InputError(file, `internal error while importing (${(e as Error).message}); please report this file`);
  }
}

/**
 * Scene document → USDA text. Writes standard UsdGeom, UsdShade, UsdPhysics, UsdLux and
 * UsdSemantics that other USD tools read, in metres, kilograms and Y-up, and inverts exactly what
 * import.ts reads, so that importing the text gives the document back (apart from `source`).
 * Must not read files or know about any other format.
 *
 * What the round trip relies on, and where the USD has to carry more than the document says:
 * - Prims are written nested by path, so a document comes back in depth-first order (the order the
 *   importer produces); joints, physics materials, collision groups and filtered pairs follow prim
 *   order for the same reason.
 * - Angles are degrees in USD (velocities, limits, drive targets and gains, cone limits). Each is
 *   written as the double whose product with the importer's factor is the document's value when
 *   there is one, so most values come back bit for bit.
 * - Transforms, joint frames and velocities pass through matrices on import and come back to about
 *   1e-15 relative.
 * - A box with unequal sides is a Cube of size 1 with a trailing `xformOp:scale:simloopBoxSides`
 *   (xform.ts, BOX_SIDES_OP), which the importer folds back into the box.
 * - A look with the UsdPreviewSurface defaults (roughness 0.5, metallic 0) is `displayColor` and
 *   `displayOpacity`. Any other look needs a Material with a Shader: the document's own
 *   Material prims that hold a Shader (as an imported scene has them) are reused, one per distinct
 *   look; only when none is free is a Material added under a root `Looks` scope, marked
 *   `simloop:generatedLooks` so that Simloop's importer leaves it out of the scene (other USD
 *   tools see an ordinary Scope of Materials).
 * - Gravity goes on the document's first PhysicsScene prim; a scene without one gets a root
 *   `PhysicsScene` only when its gravity is not Earth's along −Y (the importer's default).
 * Floats are written with all the digits of the double (`float physics:mass = 0.30000000000000004`):
 * the types are the schemas' own, so OpenUSD reads the nearest float, and Simloop the exact value.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import { parentPath, primIndex, primName, worldMatrices } from '../scene/hierarchy.ts';
import {
  type AssetReference,
  DEFAULT_LOOK_COLOR,
  EARTH_GRAVITY,
  type Geometry,
  type Joint,
  type JointDof,
  type Light,
  type Prim,
  type SceneDocument,
  type VisualMaterial,
} from '../scene/schema.ts';
import { importUsdLayer, isAngular } from './import.ts';
import { repath } from '../scene/edit.ts';
import { newPrim } from '../scene/prim.ts';
import { assetBytes, assetsInUse, relativeAssetPath } from '../scene/assets.ts';
import { composeUsd, resolverFromAssets } from './compose.ts';
import { readUsdLayer } from './layer.ts';
import { GPRIM_TYPES, IDENTIFIER, JOINT_TYPES } from './typeNames.ts';
import { BOX_SIDES_OP, decompose, GENERATED_ATTRIBUTE, NO_LOOK_ATTRIBUTE, TEXTURE_ATTRIBUTE } from './xform.ts';

/** The importer's factors (import.ts): degrees to radians, and per-degree gains to per-radian. */
const DEG = Math.PI / 180;
const PER_DEGREE = 180 / Math.PI;

const GPRIMS = new Set(Object.values(GPRIM_TYPES));
const LIGHT_TYPES: Record<Light['kind'], string> = {
  distant: 'DistantLight',
  sphere: 'SphereLight',
  rect: 'RectLight',
  disk: 'DiskLight',
  dome: 'DomeLight',
  cylinder: 'CylinderLight',
};

/** A taxonomy that can be part of a property name (`semantics:labels:<taxonomy>`). */
const TAXONOMY = /^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)*$/;

// ---------------------------------------------------------------- values as USDA text

/** Shortest text that parses back to the same double; USD's spellings of the infinities. */
export function usdNumber(v: number): string {
  if (Object.is(v, -0)) return '-0';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

const tuple = (values: readonly number[]) => `(${values.map(usdNumber).join(', ')})`;
/** USD writes quaternions real part first. */
const quatText = (q: readonly number[]) => tuple([q[3]!, q[0]!, q[1]!, q[2]!]);
const boolText = (b: boolean) => (b ? '1' : '0');

/** A double-quoted USD string with the escapes OpenUSD's text format reads. */
export function usdString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const pathList = (paths: readonly string[]) => (paths.length === 1 ? `<${paths[0]}>` : `[${paths.map((p) => `<${p}>`).join(', ')}]`);

// ---------------------------------------------------------------- exact inverses of the importer's factors

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The next double above `x`. */
function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  i64[0] = i64[0]! + (x > 0 ? 1n : -1n);
  return f64[0]!;
}
const nextDown = (x: number) => -nextUp(-x);

/**
 * The value to author so that the importer's `authored * factor` is `target`: target / factor,
 * or a double a few ulps away whose product is exactly `target` when there is one (the shortest
 * to write, so 45° stays `45`); otherwise the nearest.
 */
function preimage(target: number, factor: number): number {
  const guess = target / factor;
  if (!Number.isFinite(guess)) return guess;
  const candidates = [guess];
  for (const step of [nextUp, nextDown]) {
    let x = guess;
    for (let k = 0; k < 4; k++) candidates.push((x = step(x)));
  }
  const exact = candidates.filter((x) => x * factor === target);
  if (exact.length) return exact.reduce((a, b) => (String(b).length < String(a).length ? b : a));
  return candidates.reduce((a, b) => (Math.abs(b * factor - target) < Math.abs(a * factor - target) ? b : a));
}

const degrees = (radians: number) => preimage(radians, DEG);

// ---------------------------------------------------------------- the prim tree

interface Node {
  path: string;
  type: string;
  apiSchemas: string[];
  /** Property lines, without indentation. */
  properties: string[];
  children: Node[];
}

class PrimTree {
  readonly roots: Node[] = [];
  private readonly nodes = new Map<string, Node>();

  constructor(private readonly file: string) {}

  get(path: string): Node | undefined {
    return this.nodes.get(path);
  }

  /** The node at `path`, created (with Scope ancestors) when the document has no prim there. */
  ensure(path: string, type: string): Node {
    const found = this.nodes.get(path);
    if (found) return found;
    const parent = parentPath(path);
    const name = primName(path);
    if (!IDENTIFIER.test(name)) throw new InputError(this.file, `${path}: "${name}" is not a USD prim name (letters, digits and _, not starting with a digit); cannot write USD`);
    const node: Node = { path, type, apiSchemas: [], properties: [], children: [] };
    (parent ? this.ensure(parent, 'Scope').children : this.roots).push(node);
    this.nodes.set(path, node);
    return node;
  }

  /** A path under `parent` ("" for the root) not yet taken: `base`, else `base_1`, `base_2`, … */
  freeChild(parent: string, base: string): string {
    for (let k = 0; ; k++) {
      const path = `${parent}/${k ? `${base}_${k}` : base}`;
      if (!this.nodes.has(path)) return path;
    }
  }
}

function api(node: Node, schema: string) {
  if (!node.apiSchemas.includes(schema)) node.apiSchemas.push(schema);
}

/** A node written whole; its children through `write` (exportUsdLayers keeps references below it). */
function emit(node: Node, indent: string, out: string[], write: (node: Node, indent: string, out: string[]) => void = emit) {
  const head = `${indent}def ${node.type ? `${node.type} ` : ''}"${primName(node.path)}"`;
  if (node.apiSchemas.length) {
    out.push(`${head} (`, `${indent}    prepend apiSchemas = [${node.apiSchemas.map(usdString).join(', ')}]`, `${indent})`);
  } else {
    out.push(head);
  }
  out.push(`${indent}{`);
  for (const line of node.properties) out.push(`${indent}    ${line}`);
  node.children.forEach((child, i) => {
    if (i > 0 || node.properties.length) out.push('');
    write(child, `${indent}    `, out);
  });
  out.push(`${indent}}`);
}

// ---------------------------------------------------------------- per-prim content

/** The USD type a prim is written as: what its content needs the importer to see. */
function usdType(prim: Prim, joint: Joint | undefined, isGroup: boolean): string {
  if (prim.geometry) return GPRIM_TYPES[prim.geometry.kind];
  if (joint) return JOINT_TYPES[joint.type];
  if (prim.light) return LIGHT_TYPES[prim.light.kind];
  if (prim.camera) return 'Camera';
  if (isGroup) return 'PhysicsCollisionGroup';
  return prim.type;
}

function writeTransform(node: Node, prim: Prim, sides: readonly number[] | null) {
  const { position, orientation, scale } = prim.transform;
  const ops: string[] = [];
  if (position.some((v) => v !== 0)) {
    node.properties.push(`double3 xformOp:translate = ${tuple(position)}`);
    ops.push('xformOp:translate');
  }
  if (orientation[0] !== 0 || orientation[1] !== 0 || orientation[2] !== 0 || orientation[3] !== 1) {
    node.properties.push(`quatd xformOp:orient = ${quatText(orientation)}`);
    ops.push('xformOp:orient');
  }
  if (scale.some((v) => v !== 1)) {
    node.properties.push(`double3 xformOp:scale = ${tuple(scale)}`);
    ops.push('xformOp:scale');
  }
  if (sides) {
    node.properties.push(`double3 ${BOX_SIDES_OP} = ${tuple(sides)}`);
    ops.push(BOX_SIDES_OP);
  }
  if (ops.length) node.properties.push(`uniform token[] xformOpOrder = [${ops.map(usdString).join(', ')}]`);
}

function writeGeometry(node: Node, g: Geometry) {
  const p = node.properties;
  switch (g.kind) {
    case 'box':
      // Equal sides are the Cube's size; others are size 1 and BOX_SIDES_OP (writeTransform).
      p.push(`double size = ${usdNumber(g.size[0] === g.size[1] && g.size[1] === g.size[2] ? g.size[0] : 1)}`);
      return;
    case 'sphere':
      p.push(`double radius = ${usdNumber(g.radius)}`);
      return;
    case 'cylinder':
    case 'capsule':
    case 'cone':
      p.push(`uniform token axis = ${usdString(g.axis)}`, `double height = ${usdNumber(g.height)}`, `double radius = ${usdNumber(g.radius)}`);
      return;
    case 'plane':
      p.push(`uniform token axis = ${usdString(g.axis)}`, `double length = ${usdNumber(g.length)}`, `double width = ${usdNumber(g.width)}`);
      return;
    case 'mesh': {
      const points: string[] = [];
      const lo = [Infinity, Infinity, Infinity];
      const hi = [-Infinity, -Infinity, -Infinity];
      for (let i = 0; i + 2 < g.points.length; i += 3) {
        const xyz = g.points.slice(i, i + 3);
        points.push(tuple(xyz));
        xyz.forEach((v, k) => ((lo[k] = Math.min(lo[k]!, v)), (hi[k] = Math.max(hi[k]!, v))));
      }
      if (points.length) p.push(`float3[] extent = [${tuple(lo)}, ${tuple(hi)}]`);
      const triangles = Math.floor(g.indices.length / 3);
      p.push(`int[] faceVertexCounts = [${new Array<string>(triangles).fill('3').join(', ')}]`);
      p.push(`int[] faceVertexIndices = [${g.indices.slice(0, 3 * triangles).join(', ')}]`);
      if (g.normals) {
        const normals: string[] = [];
        for (let i = 0; i + 2 < g.normals.length; i += 3) normals.push(tuple(g.normals.slice(i, i + 3)));
        p.push(`normal3f[] normals = [${normals.join(', ')}] (`, '    interpolation = "vertex"', ')');
      }
      if (g.uvs) {
        const uvs: string[] = [];
        for (let i = 0; i + 1 < g.uvs.length; i += 2) uvs.push(tuple(g.uvs.slice(i, i + 2)));
        p.push(`texCoord2f[] primvars:st = [${uvs.join(', ')}] (`, '    interpolation = "vertex"', ')');
      }
      p.push(`point3f[] points = [${points.join(', ')}]`, 'uniform token subdivisionScheme = "none"');
      return;
    }
  }
}

/** Looks that displayColor / displayOpacity carry alone (the importer's defaults for the rest). */
const needsShader = (m: VisualMaterial) => m.roughness !== 0.5 || m.metallic !== 0 || m.image !== undefined;
const sameLook = (a: VisualMaterial, b: VisualMaterial) =>
  a.color.every((c, i) => c === b.color[i]) && a.roughness === b.roughness && a.metallic === b.metallic && a.opacity === b.opacity && a.image === b.image;

/**
 * A UsdPreviewSurface for `look`. An image look reads its file through a UsdUVTexture (tinted by
 * `inputs:scale`, the look's colour) at the `st` primvar (UsdPrimvarReader_float2), both beside the
 * surface shader; the file's path is written relative to the layer (`layerKey`) it is written in.
 */
function writeShader(tree: PrimTree, materialPath: string, shaderPath: string, look: VisualMaterial, layerKey: string) {
  const material = tree.get(materialPath)!;
  const shader = tree.get(shaderPath)!;
  material.properties.push(`token outputs:surface.connect = <${shader.path}.outputs:surface>`);
  shader.properties.push('uniform token info:id = "UsdPreviewSurface"');
  if (look.image) {
    const texture = tree.ensure(`${materialPath}/DiffuseTexture`, 'Shader');
    const reader = tree.ensure(`${materialPath}/TexCoords`, 'Shader');
    shader.properties.push(`color3f inputs:diffuseColor.connect = <${texture.path}.outputs:rgb>`);
    texture.properties.push(
      'uniform token info:id = "UsdUVTexture"',
      `asset inputs:file = @${relativeAssetPath(layerKey, look.image)}@`,
      `float4 inputs:scale = ${tuple([...look.color, 1])}`,
      'token inputs:sourceColorSpace = "sRGB"',
      `float2 inputs:st.connect = <${reader.path}.outputs:result>`,
      'token inputs:wrapS = "repeat"',
      'token inputs:wrapT = "repeat"',
      'float3 outputs:rgb',
    );
    reader.properties.push('uniform token info:id = "UsdPrimvarReader_float2"', 'string inputs:varname = "st"', 'float2 outputs:result');
  } else {
    shader.properties.push(`color3f inputs:diffuseColor = ${tuple(look.color)}`);
  }
  shader.properties.push(
    `float inputs:metallic = ${usdNumber(look.metallic)}`,
    `float inputs:opacity = ${usdNumber(look.opacity)}`,
    `float inputs:roughness = ${usdNumber(look.roughness)}`,
    'token outputs:surface',
  );
}

/**
 * Gives every look that needs a shader a Material to bind (see the module comment), and returns
 * gprim path → material path. Bindings are inherited, so a gprim under a bound one is bound too,
 * and a physics material's Material is only used where no collider below would inherit it as its
 * physics material.
 */
function assignLooks(doc: SceneDocument, tree: PrimTree, scopeOf: (path: string) => string, layerKey: string): Map<string, string> {
  const physicsMaterials = new Set(doc.physicsMaterials.map((m) => m.path));
  const prims = primIndex(doc);
  const shaderOf = new Map<string, string>();
  for (const prim of doc.prims) {
    const parent = parentPath(prim.path);
    if (prim.type === 'Shader' && parent && prims.get(parent)?.type === 'Material' && !shaderOf.has(parent)) shaderOf.set(parent, prim.path);
  }
  // Prims at or above a collider with no physics material: a general binding to a physics
  // material there would become that collider's physics material.
  const aboveUnboundCollider = new Set<string>();
  for (const prim of doc.prims) {
    if (prim.collider?.physicsMaterial !== null || !prim.geometry) continue;
    for (let p: string | null = prim.path; p && !aboveUnboundCollider.has(p); p = parentPath(p)) aboveUnboundCollider.add(p);
  }
  const slots = [...shaderOf.keys()];
  /** The Materials this writer adds (under Looks scopes), which may hold shaders of its own. */
  const generated = new Set<string>();
  const claimed = new Map<string, VisualMaterial>();
  const bindings = new Map<string, string>();
  const boundAbove = (path: string) => {
    for (let p = parentPath(path); p; p = parentPath(p)) if (bindings.has(p)) return true;
    return false;
  };
  /** Scope → its Looks scope and the looks added there. */
  const looksRoots = new Map<string, { path: string; added: number }>();
  const looksRoot = (scope: string) => {
    let looks = looksRoots.get(scope);
    if (!looks) {
      looks = { path: tree.freeChild(scope, 'Looks'), added: 0 };
      looksRoots.set(scope, looks);
      // Marked as written for the looks alone: Simloop's importer reads the looks through the
      // bindings and leaves this scope out of the scene, so the round trip adds no prims.
      tree.ensure(looks.path, 'Scope').properties.push(`bool ${GENERATED_ATTRIBUTE} = true`);
    }
    return looks;
  };
  /** Scope → its Material for gprims without a look under bound ones (bindings inherit in USD). */
  const noLooks = new Map<string, string>();
  const noLook = (scope: string) => {
    let path = noLooks.get(scope);
    if (!path) {
      path = tree.freeChild(looksRoot(scope).path, 'NoLook');
      noLooks.set(scope, path);
      tree.ensure(path, 'Material').properties.push(`bool ${NO_LOOK_ATTRIBUTE} = true`);
      tree.ensure(`${path}/Surface`, 'Shader');
      writeShader(tree, path, `${path}/Surface`, { color: DEFAULT_LOOK_COLOR, roughness: 0.5, metallic: 0, opacity: 1 }, layerKey);
    }
    return path;
  };
  for (const prim of doc.prims) {
    const look = prim.material;
    if (!prim.geometry) continue;
    if (!look) {
      // Without this, it would show the material bound above it (and read back with that look).
      if (boundAbove(prim.path)) bindings.set(prim.path, noLook(scopeOf(prim.path)));
      continue;
    }
    if (!needsShader(look) && !boundAbove(prim.path)) continue;
    const scope = scopeOf(prim.path);
    // An image look's shaders are written beside its surface: only in a Material of the writer's own.
    const slot = slots.find((s) => {
      if (scopeOf(s) !== scope) return false;
      if (look.image !== undefined && !generated.has(s)) return false;
      const owner = claimed.get(s);
      if (owner && !sameLook(owner, look)) return false;
      return !physicsMaterials.has(s) || !aboveUnboundCollider.has(prim.path);
    });
    if (slot) {
      if (!claimed.has(slot)) {
        claimed.set(slot, look);
        writeShader(tree, slot, shaderOf.get(slot)!, look, layerKey);
      }
      bindings.set(prim.path, slot);
      continue;
    }
    const looks = looksRoot(scope);
    const path = `${looks.path}/Look_${looks.added++}`;
    tree.ensure(path, 'Material');
    tree.ensure(`${path}/Surface`, 'Shader');
    generated.add(path);
    writeShader(tree, path, `${path}/Surface`, look, layerKey);
    slots.push(path);
    shaderOf.set(path, `${path}/Surface`);
    claimed.set(path, look);
    bindings.set(prim.path, path);
  }
  return bindings;
}

function writeBinding(node: Node, binding: string) {
  api(node, 'MaterialBindingAPI');
  node.properties.push(`rel material:binding = <${binding}>`);
}

function writeLook(node: Node, look: VisualMaterial, binding: string | undefined) {
  node.properties.push(`color3f[] primvars:displayColor = [${tuple(look.color)}]`);
  if (look.opacity !== 1) node.properties.push(`float[] primvars:displayOpacity = [${usdNumber(look.opacity)}]`);
  if (look.texture) node.properties.push(`token ${TEXTURE_ATTRIBUTE} = ${usdString(look.texture)}`);
  if (binding) {
    api(node, 'MaterialBindingAPI');
    node.properties.push(`rel material:binding = <${binding}>`);
  }
}

/**
 * Labels as Isaac Sim 4.5+ writes them (`SemanticsLabelsAPI:<taxonomy>`, `token[]
 * semantics:labels:<taxonomy>`). A taxonomy that cannot be part of a property name, or a label
 * holding brackets or parentheses (which three's array parser takes for nesting), is written in
 * the legacy Isaac form instead, one `SemanticsAPI` instance per label.
 */
function writeLabels(node: Node, labels: Record<string, string[]>) {
  let legacy = 0;
  for (const [taxonomy, values] of Object.entries(labels)) {
    if (TAXONOMY.test(taxonomy) && values.every((v) => !/[()[\]]/.test(v))) {
      api(node, `SemanticsLabelsAPI:${taxonomy}`);
      node.properties.push(`token[] semantics:labels:${taxonomy} = [${values.map(usdString).join(', ')}]`);
      continue;
    }
    for (const value of values) {
      const instance = legacy ? `Semantics_${legacy}` : 'Semantics';
      legacy++;
      api(node, `SemanticsAPI:${instance}`);
      node.properties.push(`string semantic:${instance}:params:semanticData = ${usdString(value)}`, `string semantic:${instance}:params:semanticType = ${usdString(taxonomy)}`);
    }
  }
}

function writeCamera(node: Node, camera: NonNullable<Prim['camera']>) {
  // The importer derives fovY and aspect from the lens; a document whose fovY was changed without
  // its focal length is written with the focal length and aperture that give its fovY and aspect.
  let { focalLength, horizontalAperture } = camera;
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.abs(b);
  if (!close(2 * Math.atan(camera.verticalAperture / (2 * focalLength)), camera.fovY) || !close(horizontalAperture / camera.verticalAperture, camera.aspect)) {
    focalLength = camera.verticalAperture / (2 * Math.tan(camera.fovY / 2));
    horizontalAperture = camera.aspect * camera.verticalAperture;
  }
  node.properties.push(
    `float2 clippingRange = ${tuple([camera.near, camera.far])}`,
    `float focalLength = ${usdNumber(focalLength)}`,
    `float horizontalAperture = ${usdNumber(horizontalAperture)}`,
    `token projection = ${usdString(camera.projection)}`,
    `float verticalAperture = ${usdNumber(camera.verticalAperture)}`,
  );
}

function writeLight(node: Node, light: Light) {
  node.properties.push(`color3f inputs:color = ${tuple(light.color)}`, `float inputs:exposure = ${usdNumber(light.exposure)}`, `float inputs:intensity = ${usdNumber(light.intensity)}`);
}

// ---------------------------------------------------------------- physics

/** A world-frame vector in the frame of the prim's parent (where UsdPhysics authors velocities). */
function inParentFrame(v: readonly number[], parentRotation: Quaternion | null): number[] {
  if (!parentRotation) return [...v];
  const local = new Vector3(v[0], v[1], v[2]).applyQuaternion(parentRotation.clone().invert());
  return [local.x, local.y, local.z];
}

function writeBody(node: Node, prim: Prim, parentRotation: Quaternion | null) {
  const body = prim.body!;
  api(node, 'PhysicsRigidBodyAPI');
  const p = node.properties;
  // The importer makes a disabled body static and an enabled kinematic one kinematic.
  if (body.type === 'static' || !body.enabled) p.push('bool physics:rigidBodyEnabled = 0');
  if (body.type === 'kinematic') p.push('bool physics:kinematicEnabled = 1');
  if (body.startsAsleep) p.push('uniform bool physics:startsAsleep = 1');
  if (body.linearVelocity.some((v) => v !== 0)) p.push(`vector3f physics:velocity = ${tuple(inParentFrame(body.linearVelocity, parentRotation))}`);
  if (body.angularVelocity.some((v) => v !== 0)) p.push(`vector3f physics:angularVelocity = ${tuple(inParentFrame(body.angularVelocity, parentRotation).map(degrees))}`);
}

function writeMass(node: Node, mass: NonNullable<Prim['mass']>) {
  api(node, 'PhysicsMassAPI');
  const p = node.properties;
  if (mass.centerOfMass) p.push(`point3f physics:centerOfMass = ${tuple(mass.centerOfMass)}`);
  if (mass.density !== undefined) p.push(`float physics:density = ${usdNumber(mass.density)}`);
  if (mass.diagonalInertia) p.push(`float3 physics:diagonalInertia = ${tuple(mass.diagonalInertia)}`);
  if (mass.mass !== undefined) p.push(`float physics:mass = ${usdNumber(mass.mass)}`);
  if (mass.principalAxes) p.push(`quatf physics:principalAxes = ${quatText(mass.principalAxes)}`);
}

function writeCollider(node: Node, prim: Prim) {
  const collider = prim.collider!;
  api(node, 'PhysicsCollisionAPI');
  if (!collider.enabled) node.properties.push('bool physics:collisionEnabled = 0');
  if (prim.geometry?.kind === 'mesh' || collider.approximation !== 'none') {
    api(node, 'PhysicsMeshCollisionAPI');
    node.properties.push(`uniform token physics:approximation = ${usdString(collider.approximation)}`);
  }
  if (collider.physicsMaterial) {
    api(node, 'MaterialBindingAPI');
    node.properties.push(`rel material:binding:physics = <${collider.physicsMaterial}>`);
  }
}

function writePhysicsMaterial(node: Node, m: SceneDocument['physicsMaterials'][number]) {
  api(node, 'PhysicsMaterialAPI');
  const p = node.properties;
  if (m.density !== undefined) p.push(`float physics:density = ${usdNumber(m.density)}`);
  p.push(`float physics:dynamicFriction = ${usdNumber(m.dynamicFriction)}`, `float physics:restitution = ${usdNumber(m.restitution)}`, `float physics:staticFriction = ${usdNumber(m.staticFriction)}`);
  // Combine modes are PhysX's (PhysxMaterialAPI); "average" is its default and the importer's.
  if (m.frictionCombine !== 'average' || m.restitutionCombine !== 'average') {
    api(node, 'PhysxMaterialAPI');
    p.push(`uniform token physxMaterial:frictionCombineMode = ${usdString(m.frictionCombine)}`, `uniform token physxMaterial:restitutionCombineMode = ${usdString(m.restitutionCombine)}`);
  }
}

/**
 * A joint frame relative to its body's unscaled frame (the document's) as UsdPhysics authors it:
 * relative to the targeted prim's full frame, scale included.
 */
function authoredFrame(pos: readonly number[], bodyWorld: Matrix4 | undefined): number[] {
  if (!bodyWorld) return [...pos];
  const { position, rotation } = decompose(bodyWorld);
  const world = new Vector3(pos[0], pos[1], pos[2]).applyQuaternion(rotation).add(position);
  const local = world.applyMatrix4(bodyWorld.clone().invert());
  return [local.x, local.y, local.z];
}

function writeJoint(node: Node, joint: Joint, world: Map<string, Matrix4>) {
  const p = node.properties;
  const toUsd = (dof: JointDof, v: number) => (isAngular(dof, joint.type) ? degrees(v) : v);
  for (const side of [0, 1] as const) {
    const body = side === 0 ? joint.body0 : joint.body1;
    if (body) p.push(`rel physics:body${side} = <${body}>`);
    const pos = side === 0 ? joint.localPos0 : joint.localPos1;
    const rot = side === 0 ? joint.localRot0 : joint.localRot1;
    p.push(`point3f physics:localPos${side} = ${tuple(authoredFrame(pos, body ? world.get(body) : undefined))}`);
    p.push(`quatf physics:localRot${side} = ${quatText(rot)}`);
  }
  if (joint.type === 'revolute' || joint.type === 'prismatic' || joint.type === 'spherical') p.push(`uniform token physics:axis = ${usdString(joint.axis)}`);
  if (!joint.enabled) p.push('bool physics:jointEnabled = 0');
  if (joint.collisionEnabled) p.push('bool physics:collisionEnabled = 1');
  if (joint.excludeFromArticulation) p.push('uniform bool physics:excludeFromArticulation = 1');

  // A revolute or prismatic joint's own limit is lowerLimit / upperLimit, which the importer reads
  // first; every other limit is a PhysicsLimitAPI instance, read in authored order.
  const natural: JointDof | null = joint.type === 'revolute' ? 'angular' : joint.type === 'prismatic' ? 'linear' : null;
  joint.limits.forEach((limit, i) => {
    if (i === 0 && limit.dof === natural && (limit.low !== null || limit.high !== null)) {
      if (limit.low !== null) p.push(`float physics:lowerLimit = ${usdNumber(toUsd(limit.dof, limit.low))}`);
      if (limit.high !== null) p.push(`float physics:upperLimit = ${usdNumber(toUsd(limit.dof, limit.high))}`);
      return;
    }
    api(node, `PhysicsLimitAPI:${limit.dof}`);
    // An unbounded side is ±inf, USD's "no limit"; at least one side is written so the instance is seen.
    if (limit.low !== null || limit.high === null) p.push(`float limit:${limit.dof}:physics:low = ${usdNumber(limit.low === null ? -Infinity : toUsd(limit.dof, limit.low))}`);
    if (limit.high !== null) p.push(`float limit:${limit.dof}:physics:high = ${usdNumber(toUsd(limit.dof, limit.high))}`);
  });
  for (const drive of joint.drives) {
    const d = `drive:${drive.dof}:physics`;
    api(node, `PhysicsDriveAPI:${drive.dof}`);
    // Force drives on an angular dof have gains per degree in USD; acceleration drives need none.
    const gain = (v: number) => (drive.type === 'force' && isAngular(drive.dof, joint.type) ? preimage(v, PER_DEGREE) : v);
    p.push(
      `float ${d}:damping = ${usdNumber(gain(drive.damping))}`,
      ...(drive.maxForce === null ? [] : [`float ${d}:maxForce = ${usdNumber(drive.maxForce)}`]),
      `float ${d}:stiffness = ${usdNumber(gain(drive.stiffness))}`,
      `float ${d}:targetPosition = ${usdNumber(toUsd(drive.dof, drive.targetPosition))}`,
      `float ${d}:targetVelocity = ${usdNumber(toUsd(drive.dof, drive.targetVelocity))}`,
      `uniform token ${d}:type = ${usdString(drive.type)}`,
    );
  }
  if (joint.coneAngle0 !== null) p.push(`float physics:coneAngle0Limit = ${usdNumber(degrees(joint.coneAngle0))}`);
  if (joint.coneAngle1 !== null) p.push(`float physics:coneAngle1Limit = ${usdNumber(degrees(joint.coneAngle1))}`);
  if (joint.minDistance !== null) p.push(`float physics:minDistance = ${usdNumber(joint.minDistance)}`);
  if (joint.maxDistance !== null) p.push(`float physics:maxDistance = ${usdNumber(joint.maxDistance)}`);
}

function writeGravity(node: Node, g: readonly number[]) {
  const magnitude = Math.sqrt(g[0]! * g[0]! + g[1]! * g[1]! + g[2]! * g[2]!);
  const direction = magnitude > 0 ? g.map((c) => c / magnitude) : [0, -1, 0];
  node.properties.push(`vector3f physics:gravityDirection = ${tuple(direction)}`, `float physics:gravityMagnitude = ${usdNumber(magnitude)}`);
}

// ---------------------------------------------------------------- the layer

/**
 * Writes a scene document as a USDA layer (metersPerUnit 1, kilogramsPerUnit 1, upAxis Y), with
 * any referenced assets copied in (`exportUsdLayers` keeps them as references). `scopes`: see
 * buildTree. `layerKey`: where the layer will be kept relative to the scene's folder (the images
 * looks show are named relative to it).
 * Throws an InputError naming the document's source file and the prim when a path cannot be a
 * USD prim path, or a box with unequal sides has child prims (its sides scale would reach them).
 */
export function exportUsda(doc: SceneDocument, scopes: readonly string[] = [], layerKey = ''): string {
  return layerText(buildTree(doc, scopes, layerKey).roots);
}

/**
 * The prim tree of a document. `scopes` are prims (the referenced ones) whose subtrees keep what
 * the writer adds for them (Looks, render products) under themselves, in a scope of their own, so
 * that a layer referencing them brings it along; everything else goes under root scopes.
 */
function buildTree(doc: SceneDocument, scopes: readonly string[], layerKey = ''): PrimTree {
  const file = doc.source.file;
  const tree = new PrimTree(file);
  const scopeOf = (path: string) => scopes.filter((s) => path === s || path.startsWith(`${s}/`)).reduce((a, b) => (b.length > a.length ? b : a), '');
  const world = worldMatrices(doc);
  const joints = new Map(doc.joints.map((j) => [j.path, j]));
  const groups = new Map(doc.collisionGroups.map((g) => [g.path, g]));
  const hasChildren = new Set(doc.prims.map((p) => parentPath(p.path)).filter((p) => p !== null));

  for (const prim of doc.prims) {
    const type = usdType(prim, joints.get(prim.path), groups.has(prim.path));
    if (type && !IDENTIFIER.test(type)) throw new InputError(file, `${prim.path}: prim type "${type}" is not a USD type name; cannot write USD`);
    tree.ensure(prim.path, type);
  }
  const bindings = assignLooks(doc, tree, scopeOf, layerKey);

  for (const prim of doc.prims) {
    const node = tree.get(prim.path)!;
    const g = prim.geometry;
    const sides = g?.kind === 'box' && !(g.size[0] === g.size[1] && g.size[1] === g.size[2]) ? g.size : null;
    if (sides && hasChildren.has(prim.path)) {
      throw new InputError(file, `${prim.path}: a box with unequal sides is written as a scaled Cube, and this one has child prims the scale would reach; cannot write USD`);
    }
    writeTransform(node, prim, sides);
    if (!prim.visible) node.properties.push('token visibility = "invisible"');
    if (g) writeGeometry(node, g);
    if (prim.body) {
      const parent = parentPath(prim.path);
      const rotation = parent ? decompose(world.get(parent)!).rotation : null;
      const identity = rotation && rotation.x === 0 && rotation.y === 0 && rotation.z === 0 && rotation.w === 1;
      writeBody(node, prim, identity ? null : rotation);
    }
    if (prim.mass) writeMass(node, prim.mass);
    if (prim.collider && g && GPRIMS.has(node.type)) writeCollider(node, prim);
    if (g && prim.material) writeLook(node, prim.material, bindings.get(prim.path));
    else if (g && bindings.has(prim.path)) writeBinding(node, bindings.get(prim.path)!);
    if (prim.articulationRoot) api(node, 'PhysicsArticulationRootAPI');
    writeLabels(node, prim.labels);
    if (prim.camera) writeCamera(node, prim.camera);
    if (prim.light) writeLight(node, prim.light);
  }

  for (const m of doc.physicsMaterials) writePhysicsMaterial(tree.ensure(m.path, 'Material'), m);
  for (const joint of doc.joints) writeJoint(tree.ensure(joint.path, JOINT_TYPES[joint.type]), joint, world);
  for (const group of doc.collisionGroups) {
    const node = tree.ensure(group.path, 'PhysicsCollisionGroup');
    api(node, 'CollectionAPI:colliders');
    if (group.members.length) node.properties.push(`rel collection:colliders:includes = ${pathList(group.members)}`);
    if (group.filteredGroups.length) node.properties.push(`rel physics:filteredGroups = ${pathList(group.filteredGroups)}`);
    if (group.invertFilteredGroups) node.properties.push('bool physics:invertFilteredGroups = 1');
  }
  const pairs = new Map<string, string[]>();
  for (const [a, b] of doc.filteredPairs) if (!pairs.get(a)?.includes(b)) pairs.set(a, [...(pairs.get(a) ?? []), b]);
  for (const [path, others] of pairs) {
    const node = tree.ensure(path, '');
    api(node, 'PhysicsFilteredPairsAPI');
    node.properties.push(`rel physics:filteredPairs = ${pathList(others)}`);
  }

  // Camera resolutions as UsdRender RenderProducts (as Replicator's render products), in a scope
  // marked generated so that Simloop's importer reads them and leaves the scope out of the scene.
  const renderScopes = new Map<string, { path: string; added: number }>();
  for (const prim of doc.prims) {
    if (!prim.camera?.resolution) continue;
    const scope = scopeOf(prim.path);
    let render = renderScopes.get(scope);
    if (!render) {
      render = { path: tree.freeChild(scope, 'Render'), added: 0 };
      renderScopes.set(scope, render);
      tree.ensure(render.path, 'Scope').properties.push(`bool ${GENERATED_ATTRIBUTE} = true`);
    }
    const [w, h] = prim.camera.resolution;
    tree.ensure(`${render.path}/Product_${render.added++}`, 'RenderProduct').properties.push(`rel camera = <${prim.path}>`, `uniform int2 resolution = (${w}, ${h})`);
  }

  const scene = doc.prims.find((p) => p.type === 'PhysicsScene');
  const earth = doc.gravity[0] === 0 && doc.gravity[1] === -EARTH_GRAVITY && doc.gravity[2] === 0;
  if (scene || !earth) writeGravity(scene ? tree.get(scene.path)! : tree.ensure(tree.freeChild('', 'PhysicsScene'), 'PhysicsScene'), doc.gravity);
  return tree;
}

/** A layer's text: the header, then its root prims, written whole (`emit`) or by `write`. */
function layerText(roots: readonly Node[], write: (node: Node, indent: string, out: string[]) => void = emit): string {
  const out = ['#usda 1.0', '('];
  if (roots[0]) out.push(`    defaultPrim = ${usdString(primName(roots[0].path))}`);
  out.push('    doc = "Written by Simloop"', '    kilogramsPerUnit = 1', '    metersPerUnit = 1', '    upAxis = "Y"', ')');
  for (const root of roots) {
    out.push('');
    write(root, '', out);
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------- references kept

/** A USD scene as files: the root layer and the asset layers its references reach. */
export interface UsdLayers {
  root: string;
  /** Paths relative to the root layer's folder, as the references name them. */
  assets: { name: string; bytes: Uint8Array }[];
}

/**
 * Writes a scene document as USD layers, keeping its references (SceneDocument.references): each
 * referenced prim is written with `prepend references = @./<asset>@` and, over what the asset
 * brings, only what the scene changed: properties that differ, blocks (`= None`) for those it
 * removed, `active = false` for prims it deleted, new prims in full. Importing the root layer
 * with the assets beside it gives the document back, as `exportUsda` does for one layer. A
 * document without references (or `flatten`) gives `exportUsda`'s layer, with the image files its
 * looks show.
 */
export function exportUsdLayers(doc: SceneDocument, options: { flatten?: boolean } = {}): UsdLayers {
  const references = options.flatten ? [] : (doc.references ?? []);
  const assets = doc.assets ?? {};
  const files = () => Object.keys(assetsInUse(references, doc.prims, assets)).sort().map((name) => ({ name, bytes: assetBytes(assets[name]!) }));
  if (!references.length) return { root: exportUsda(doc), assets: files() };
  const byPrim = new Map<string, AssetReference[]>();
  for (const ref of references) byPrim.set(ref.prim, [...(byPrim.get(ref.prim) ?? []), ref]);
  const scopes = [...byPrim.keys()];

  // What the references alone provide, written as the asset layers stand on their own (their
  // authored values, such as joint frames, depend on where their bodies are), and the layers they reach.
  // The same asset referenced by several prims is composed once.
  const contents = new Map<string, SceneDocument>();
  const baseTrees = new Map<string, PrimTree>();
  for (const [prim, refs] of byPrim) {
    const key = JSON.stringify(refs.map((r) => [r.asset, r.target]));
    let content = contents.get(key);
    if (!content) contents.set(key, (content = referencedContent(doc.source.file, refs, assets)));
    const placed = repath(content, (p) => (p === REFERENCING || p.startsWith(`${REFERENCING}/`) ? prim + p.slice(REFERENCING.length) : p));
    // The referencing prim's ancestors, as the asset layer sees its root: untransformed.
    const ancestors: Prim[] = [];
    for (let p = parentPath(prim); p; p = parentPath(p)) ancestors.unshift(newPrim(p, ''));
    baseTrees.set(prim, buildTree({ ...placed, prims: [...ancestors, ...placed.prims] }, [prim]));
  }
  const tree = buildTree(doc, scopes);
  const innermost = (path: string) => scopes.filter((s) => path === s || path.startsWith(`${s}/`)).reduce((a, b) => (b.length > a.length ? b : a), '');

  const write = (node: Node, indent: string, out: string[]) => {
    const refs = byPrim.get(node.path);
    const scope = innermost(node.path);
    // A prim the references do not bring (a referencing prim always is brought) is written whole.
    const was = scope ? baseTrees.get(scope)!.get(node.path) : undefined;
    if (!was) return emit(node, indent, out, write);
    const metadata: string[] = [];
    if (refs) metadata.push(`prepend references = ${refs.length === 1 ? referenceText(refs[0]!) : `[${refs.map(referenceText).join(', ')}]`}`);
    if (!sameList(node.apiSchemas, was.apiSchemas)) metadata.push(`apiSchemas = [${node.apiSchemas.map(usdString).join(', ')}]`);
    // Children come in the referenced order with new ones after; say so where the scene's differs.
    const names = node.children.map((c) => primName(c.path));
    const composedOrder = [...was.children.map((c) => primName(c.path)), ...names.filter((n) => !was.children.some((c) => primName(c.path) === n))].filter((n) => names.includes(n));
    const reorder = sameList(names, composedOrder) ? [] : [`reorder nameChildren = [${names.map(usdString).join(', ')}]`];
    let properties = propertyDiff(node.properties, was.properties);
    // A transform is its ops and their order together: the asset may spell the same transform
    // with other ops than this writer would, so a changed transform is written whole.
    if (properties.some(isTransformLine)) properties = [...node.properties.filter(isTransformLine), ...properties.filter((line) => !isTransformLine(line) || line.endsWith('= None'))];
    const gone = was.children.filter((c) => !node.children.some((n) => n.path === c.path) && !isGenerated(c));
    const body: string[] = [];
    for (const child of node.children) write(child, `${indent}    `, body);
    for (const child of gone) body.push(`${indent}    over "${primName(child.path)}" (`, `${indent}        active = false`, `${indent}    )`, `${indent}    {`, `${indent}    }`);
    properties = [...reorder, ...properties];
    if (!refs && !metadata.length && !properties.length && !body.length && node.type === was.type) return;
    const head = `${indent}${refs ? 'def' : 'over'} ${node.type && (refs || node.type !== was.type) ? `${node.type} ` : ''}"${primName(node.path)}"`;
    if (metadata.length) out.push(`${head} (`, ...metadata.map((m) => `${indent}    ${m}`), `${indent})`);
    else out.push(head);
    out.push(`${indent}{`);
    for (const line of properties) out.push(`${indent}    ${line}`);
    if (properties.length && body.length) out.push('');
    out.push(...body, `${indent}}`);
  };
  return { root: layerText(tree.roots, write), assets: files() };
}

const referenceText = (ref: AssetReference) => `@./${ref.asset}@${ref.target ? `<${ref.target}>` : ''}`;
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const isTransformLine = (line: string) => /\bxformOp(:|Order\b)/.test(line.split('=')[0]!);
const isGenerated = (node: Node) => node.properties.includes(`bool ${GENERATED_ATTRIBUTE} = true`);

/** Property lines grouped with their continuation lines (`(`, metadata, `)`), by property name. */
function propertyEntries(lines: readonly string[]): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of lines) {
    if (current && (line.startsWith(' ') || line === ')')) {
      current.push(line);
      continue;
    }
    const words = line.split('=')[0]!.trim().split(/\s+/).filter((w) => !['uniform', 'custom', 'varying'].includes(w));
    const name = words[0] === 'rel' ? `rel ${words[1]}` : (words[1] ?? words[0]!);
    current = [line];
    entries.set(name, current);
  }
  return entries;
}

/** The lines to write over `was` to get `now`: changed and new properties, and blocks for removed ones. */
function propertyDiff(now: readonly string[], was: readonly string[]): string[] {
  const before = propertyEntries(was);
  const after = propertyEntries(now);
  const out: string[] = [];
  for (const [name, lines] of after) {
    const old = before.get(name);
    if (!old || old.join('\n') !== lines.join('\n')) out.push(...lines);
  }
  for (const [name, lines] of before) {
    if (after.has(name)) continue;
    const declaration = lines[0]!.split('=')[0]!.trim();
    if (name.startsWith('rel ')) out.push(`${declaration} = []`);
    else if (!name.endsWith('.connect') && lines[0]!.includes('=')) out.push(`${declaration} = None`);
  }
  return out;
}

/** Where referencedContent puts the referencing prim. */
export const REFERENCING = '/Referencing';

/**
 * What `refs` bring when nothing is said over them: the references composed and imported alone,
 * on a root prim (REFERENCING) of a layer otherwise empty.
 */
export function referencedContent(file: string, refs: readonly AssetReference[], assets: Record<string, string>): SceneDocument {
  const text = [
    '#usda 1.0',
    '(',
    '    kilogramsPerUnit = 1',
    '    metersPerUnit = 1',
    '    upAxis = "Y"',
    ')',
    `def "${REFERENCING.slice(1)}" (`,
    `    prepend references = [${refs.map(referenceText).join(', ')}]`,
    ')',
    '{',
    '}',
  ].join('\n');
  const resolve = resolverFromAssets(assets);
  const composed = composeUsd(readUsdLayer(text, file), { resolve });
  return importUsdLayer(composed.layer, resolve).document;
}

/**
 * Reading an MJCF file (MuJoCo's XML, as MuJoCo Menagerie and robot vendors write it) into a model
 * with everything MuJoCo resolves at compile time already resolved: `<include>`d files spliced in,
 * `<default>` classes applied (`class`, `childclass`, nested classes inheriting), angles in
 * radians (`<compiler angle>`), frames from any of pos/quat/axisangle/euler (`eulerseq`)/xyaxes/
 * zaxis/fromto, limits from `range` (`autolimits`), mesh files located (`meshdir`/`assetdir`).
 * import.ts turns the model into a scene document. Frames here are MuJoCo's: Z up, metres.
 *
 * Errors are InputErrors naming the file and the element ("<joint name="elbow">: range must be 2
 * numbers, got …"); what is read but not simulated is left to import.ts to warn about.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import { InputError } from '../errors.ts';
import { attribute, attributes, childTags, elements, parseXml, type XmlNode } from '../xml.ts';

/** Reads a file the model names (an `<include>`, a mesh), by path relative to the main file's folder. */
export type MjcfFileReader = (path: string) => Uint8Array | null | undefined;

export interface Frame {
  position: Vector3;
  rotation: Quaternion;
}

export interface MjcfCompiler {
  /** Whether angles in the file are degrees (MuJoCo's default) or radians. */
  degrees: boolean;
  eulerseq: string;
  autolimits: boolean;
  meshdir: string;
  /** 'auto': from geoms where a body has no <inertial>; 'true': always from geoms; 'false': never. */
  inertiafromgeom: 'auto' | 'true' | 'false';
}

/** An element with its default class applied: the effective attributes, and where it is for messages. */
export interface Element {
  tag: string;
  attrs: Record<string, string>;
  where: string;
}

export interface MjcfBody {
  name: string | null;
  where: string;
  /** Relative to the parent body (the world for worldbody's children). */
  frame: Frame;
  mocap: boolean;
  inertial: { frame: Frame; mass: number; inertia: { diagonal: [number, number, number] } | { full: [number, number, number, number, number, number] } | null } | null;
  joints: Element[];
  geoms: Element[];
  sites: Element[];
  cameras: Element[];
  lights: Element[];
  children: MjcfBody[];
}

export interface MjcfMeshAsset {
  name: string;
  where: string;
  /** The file's path relative to the model's folder ("assets/base.stl"), or null for inline vertex data. */
  file: string | null;
  scale: [number, number, number];
  /** Inline `vertex` (and `face`) data, when the mesh has no file. */
  vertex: number[] | null;
  face: number[] | null;
}

export interface MjcfModel {
  name: string;
  file: string;
  compiler: MjcfCompiler;
  /** m/s², MuJoCo's frame (Z up). */
  gravity: [number, number, number];
  /** The world body: its geoms are static, its children bodies are the trees. */
  world: MjcfBody;
  meshes: Map<string, MjcfMeshAsset>;
  materials: Map<string, Element>;
  actuators: Element[];
  /** `<contact><exclude body1 body2>` pairs, by body name. */
  excludes: [string, string][];
  /** Elements read but not simulated, by kind → where (import.ts warns once per kind). */
  unsupported: Map<string, string[]>;
}

const MAX_INCLUDE_DEPTH = 16;
const MAX_BODIES = 10_000;
/** Elements a default class can hold (MuJoCo's defaultable elements). */
const DEFAULTABLE = new Set(['mesh', 'material', 'joint', 'geom', 'site', 'camera', 'light', 'pair', 'equality', 'tendon', 'general', 'motor', 'position', 'velocity', 'intvelocity', 'damper', 'cylinder', 'muscle', 'adhesion']);
export const ACTUATOR_TAGS = ['general', 'motor', 'position', 'velocity', 'intvelocity', 'damper', 'cylinder', 'muscle', 'adhesion'] as const;

/** Throws the error for `where` (an InputError naming the file). */
export type Fail = (where: string, message: string) => never;

/** `count` finite numbers (or a range of counts) from a whitespace-separated attribute; null when absent. */
export function parseNumbers(where: string, name: string, text: string | undefined, count: number | [number, number], fail: Fail): number[] | null {
  if (text === undefined) return null;
  const parts = text.trim().split(/\s+/).filter(Boolean).map(Number);
  const [min, max] = typeof count === 'number' ? [count, count] : count;
  if (parts.length < min || parts.length > max || !parts.every(Number.isFinite)) {
    const want = min === max ? (min === 1 ? 'a number' : `${min} numbers`) : `${min} to ${max} numbers`;
    fail(where, `${name} must be ${want}, got "${text}"`);
  }
  return parts;
}

/** An angle attribute value in radians. */
export const toRadians = (compiler: MjcfCompiler, value: number) => (compiler.degrees ? (value * Math.PI) / 180 : value);

/** pos plus one orientation attribute (quat, axisangle, euler, xyaxes or zaxis; MuJoCo refuses several), in the parent's frame. */
export function parseFrame(where: string, attrs: Record<string, string>, compiler: MjcfCompiler, fail: Fail): Frame {
  const numbers = (name: string, count: number) => parseNumbers(where, name, attrs[name], count, fail)!;
  const position = new Vector3(...(parseNumbers(where, 'pos', attrs.pos, 3, fail) ?? [0, 0, 0]));
  const given = ['quat', 'axisangle', 'euler', 'xyaxes', 'zaxis'].filter((k) => attrs[k] !== undefined);
  if (given.length > 1) fail(where, `has several orientations (${given.join(', ')}); give one`);
  const rotation = new Quaternion();
  switch (given[0]) {
    case 'quat': {
      const [w, x, y, z] = numbers('quat', 4);
      rotation.set(x!, y!, z!, w!);
      if (rotation.length() < 1e-12) fail(where, `quat must not be zero, got "${attrs.quat}"`);
      break;
    }
    case 'axisangle': {
      const [x, y, z, a] = numbers('axisangle', 4);
      const axis = new Vector3(x, y, z);
      if (axis.length() < 1e-12) fail(where, `axisangle needs a non-zero axis, got "${attrs.axisangle}"`);
      rotation.setFromAxisAngle(axis.normalize(), toRadians(compiler, a!));
      break;
    }
    case 'euler': {
      const angles = numbers('euler', 3);
      // Lower case: about the axes of the frame as it turns (intrinsic); upper case: about the parent's (extrinsic).
      [...compiler.eulerseq].forEach((c, i) => {
        const l = c.toLowerCase();
        const turn = new Quaternion().setFromAxisAngle(new Vector3(l === 'x' ? 1 : 0, l === 'y' ? 1 : 0, l === 'z' ? 1 : 0), toRadians(compiler, angles[i]!));
        if (c === l) rotation.multiply(turn);
        else rotation.premultiply(turn);
      });
      break;
    }
    case 'xyaxes': {
      const v = numbers('xyaxes', 6);
      const x = new Vector3(v[0], v[1], v[2]);
      const y = new Vector3(v[3], v[4], v[5]);
      if (x.length() < 1e-12) fail(where, `xyaxes needs a non-zero x axis, got "${attrs.xyaxes}"`);
      x.normalize();
      y.addScaledVector(x, -y.dot(x));
      if (y.length() < 1e-12) fail(where, `xyaxes: the y axis must not be parallel to the x axis, got "${attrs.xyaxes}"`);
      y.normalize();
      rotation.setFromRotationMatrix(new Matrix4().makeBasis(x, y, new Vector3().crossVectors(x, y)));
      break;
    }
    case 'zaxis': {
      const z = new Vector3(...numbers('zaxis', 3));
      if (z.length() < 1e-12) fail(where, `zaxis must not be zero, got "${attrs.zaxis}"`);
      rotation.setFromUnitVectors(new Vector3(0, 0, 1), z.normalize());
      break;
    }
  }
  return { position, rotation: rotation.normalize() };
}

class Reader {
  readonly unsupported = new Map<string, string[]>();
  /** class name → tag → attributes (inherited ones included). */
  readonly defaults = new Map<string, Map<string, Record<string, string>>>();
  compiler: MjcfCompiler = { degrees: true, eulerseq: 'xyz', autolimits: true, meshdir: '', inertiafromgeom: 'auto' };
  bodies = 0;

  constructor(
    readonly file: string,
    readonly read: MjcfFileReader | undefined,
  ) {}

  fail(where: string, message: string): never {
    throw new InputError(this.file, `${where}: ${message}`);
  }

  note(kind: string, where: string): void {
    const list = this.unsupported.get(kind) ?? [];
    list.push(where);
    this.unsupported.set(kind, list);
  }

  // ------------------------------------------------------------------ includes

  /** The <mujoco> element of `text`, with every <include> replaced by the included file's sections. */
  root(text: string, file: string, depth = 0): XmlNode {
    const doc = parseXml(text.replace(/^\uFEFF/, ''), file);
    const root = elements(doc, 'mujoco')[0];
    if (!root) {
      const found = childTags(doc);
      throw new InputError(file, `no <mujoco> element${found.length ? ` (the document's root is <${found[0]}>)` : ''}; not an MJCF file`);
    }
    this.splice(root, file, depth);
    return root;
  }

  /** Replaces <include file> children of `node` (at any depth) by the included <mujoco>'s children. */
  private splice(node: XmlNode, file: string, depth: number): void {
    for (const tag of childTags(node)) {
      if (tag === 'include') continue;
      for (const child of elements(node, tag)) this.splice(child, file, depth);
    }
    for (const include of elements(node, 'include')) {
      const name = attribute(include, 'file');
      const where = `<include file="${name ?? ''}">`;
      if (!name) this.fail(where, 'needs a file');
      if (depth >= MAX_INCLUDE_DEPTH) this.fail(where, `includes nest deeper than ${MAX_INCLUDE_DEPTH} files (an include cycle?)`);
      const bytes = this.read?.(name);
      if (!bytes) this.fail(where, this.read ? `the file "${name}" was not found beside ${this.file}` : `the file "${name}" cannot be read here (open the model's folder to give its files)`);
      const included = this.root(new TextDecoder().decode(bytes), name, depth + 1);
      for (const tag of childTags(included)) {
        const list = (node[tag] as unknown[] | undefined) ?? [];
        node[tag] = [...list, ...elements(included, tag)];
      }
    }
    delete node.include;
  }

  numbers(where: string, name: string, text: string | undefined, count: number | [number, number]): number[] | null {
    return parseNumbers(where, name, text, count, (w, m) => this.fail(w, m));
  }

  number(where: string, attrs: Record<string, string>, name: string, fallback: number): number {
    return this.numbers(where, name, attrs[name], 1)?.[0] ?? fallback;
  }

  frame(where: string, attrs: Record<string, string>): Frame {
    return parseFrame(where, attrs, this.compiler, (w, m) => this.fail(w, m));
  }

  // ------------------------------------------------------------------ defaults

  /** Reads the <default> tree under `node` into class → tag → attributes; `parent` is the class it inherits from. */
  readDefaults(node: XmlNode, name: string, parent: string | null): void {
    const own = new Map<string, Record<string, string>>();
    const inherited = parent ? this.defaults.get(parent)! : new Map<string, Record<string, string>>();
    const existing = this.defaults.get(name);
    for (const [tag, attrs] of existing ?? inherited) own.set(tag, { ...attrs });
    for (const tag of childTags(node)) {
      if (tag === 'default') continue;
      if (!DEFAULTABLE.has(tag)) this.fail(`<default class="${name}">`, `<${tag}> cannot have defaults`);
      for (const element of elements(node, tag)) own.set(tag, { ...(own.get(tag) ?? {}), ...attributes(element) });
    }
    this.defaults.set(name, own);
    for (const child of elements(node, 'default')) {
      const childName = attribute(child, 'class');
      if (!childName) this.fail(`<default> inside class "${name}"`, 'a nested <default> needs a class name');
      if (this.defaults.has(childName) && childName !== name) this.fail(`<default class="${childName}">`, 'is defined twice');
      this.readDefaults(child, childName, name);
    }
  }

  /** The element's attributes over its class's defaults (its own class, else the body's childclass, else "main"). */
  element(node: XmlNode, tag: string, childclass: string | null, where: string): Element {
    const own = attributes(node);
    const className = own.class ?? childclass ?? 'main';
    const classDefaults = this.defaults.get(className);
    if (!classDefaults) this.fail(where, `class "${className}" is not defined in <default>`);
    return { tag, attrs: { ...(classDefaults.get(tag) ?? {}), ...own }, where };
  }

  // ------------------------------------------------------------------ bodies

  body(node: XmlNode, childclass: string | null, where: string, isWorld: boolean): MjcfBody {
    if (++this.bodies > MAX_BODIES) this.fail(where, `more than ${MAX_BODIES} bodies; refusing to import`);
    const own = attributes(node);
    const cls = own.childclass ?? childclass;
    if (own.childclass && !this.defaults.has(own.childclass)) this.fail(where, `childclass "${own.childclass}" is not defined in <default>`);
    const named = (tag: string, e: XmlNode, i: number) => {
      const name = attribute(e, 'name');
      return name ? `${where} <${tag} name="${name}">` : `${where} <${tag}> #${i + 1}`;
    };
    const list = (tag: string, as = tag) => elements(node, tag).map((e, i) => this.element(e, as, cls, named(tag, e, i)));
    const joints = [...list('joint'), ...elements(node, 'freejoint').map((e, i) => ({ ...this.element(e, 'joint', cls, named('freejoint', e, i)), attrs: { ...attributes(e), type: 'free' } }))];
    const inertialNode = elements(node, 'inertial')[0];
    let inertial: MjcfBody['inertial'] = null;
    if (inertialNode) {
      const attrs = attributes(inertialNode);
      const at = `${where} <inertial>`;
      const mass = this.number(at, attrs, 'mass', NaN);
      if (!Number.isFinite(mass)) this.fail(at, 'needs a mass');
      if (mass < 0) this.fail(at, `mass must not be negative, got ${mass}`);
      const diagonal = this.numbers(at, 'diaginertia', attrs.diaginertia, 3);
      const full = this.numbers(at, 'fullinertia', attrs.fullinertia, 6);
      if (diagonal && full) this.fail(at, 'has both diaginertia and fullinertia; give one');
      const inertia = diagonal ? { diagonal: diagonal as [number, number, number] } : full ? { full: full as [number, number, number, number, number, number] } : null;
      inertial = { frame: this.frame(at, attrs), mass, inertia };
    }
    const children = elements(node, 'body').map((child) => {
      const name = attribute(child, 'name');
      return this.body(child, cls, name ? `<body name="${name}">` : `<body> in ${where}`, false);
    });
    for (const tag of childTags(node)) {
      if (!['joint', 'freejoint', 'geom', 'site', 'camera', 'light', 'inertial', 'body', 'frame'].includes(tag)) this.note(`<${tag}> in a body`, where);
      if (tag === 'frame') this.note('<frame> (MuJoCo 3 frames)', where);
    }
    return {
      name: isWorld ? null : (own.name ?? null),
      where,
      frame: isWorld ? { position: new Vector3(), rotation: new Quaternion() } : this.frame(where, own),
      mocap: own.mocap === 'true',
      inertial,
      joints,
      geoms: list('geom'),
      sites: list('site'),
      cameras: list('camera'),
      lights: list('light'),
      children,
    };
  }
}

const bool = (value: string | undefined, fallback: boolean) => (value === undefined ? fallback : value === 'true');

/**
 * Reads MJCF text into a model. `read` gives the files it names by path relative to its folder
 * (includes; mesh files are only located here, import.ts reads them).
 */
export function readMjcf(text: string, file: string, read?: MjcfFileReader): MjcfModel {
  const reader: Reader = new Reader(file, read);
  const root = reader.root(text, file);
  const name = attribute(root, 'model') || 'mjcf_model';

  for (const compiler of elements(root, 'compiler')) {
    const attrs = attributes(compiler);
    const where = '<compiler>';
    if (attrs.angle !== undefined && attrs.angle !== 'degree' && attrs.angle !== 'radian') reader.fail(where, `angle must be "degree" or "radian", got "${attrs.angle}"`);
    if (attrs.eulerseq !== undefined && !/^[xyzXYZ]{3}$/.test(attrs.eulerseq)) reader.fail(where, `eulerseq must be 3 of x, y, z, X, Y, Z, got "${attrs.eulerseq}"`);
    if (attrs.coordinate !== undefined && attrs.coordinate !== 'local') reader.fail(where, `coordinate="${attrs.coordinate}" is not supported (MuJoCo removed global coordinates; use local)`);
    const inertia = attrs.inertiafromgeom;
    if (inertia !== undefined && !['auto', 'true', 'false'].includes(inertia)) reader.fail(where, `inertiafromgeom must be auto, true or false, got "${inertia}"`);
    reader.compiler = {
      degrees: attrs.angle ? attrs.angle === 'degree' : reader.compiler.degrees,
      eulerseq: attrs.eulerseq ?? reader.compiler.eulerseq,
      autolimits: bool(attrs.autolimits, reader.compiler.autolimits),
      meshdir: attrs.meshdir ?? attrs.assetdir ?? reader.compiler.meshdir,
      inertiafromgeom: (inertia as MjcfCompiler['inertiafromgeom'] | undefined) ?? reader.compiler.inertiafromgeom,
    };
  }

  reader.defaults.set('main', new Map());
  for (const defaults of elements(root, 'default')) {
    const cls = attribute(defaults, 'class');
    if (cls && cls !== 'main') reader.fail(`<default class="${cls}">`, 'a top-level <default> is the class "main"; nest other classes inside it');
    reader.readDefaults(defaults, 'main', null);
  }

  let gravity: [number, number, number] = [0, 0, -9.81];
  for (const option of elements(root, 'option')) {
    const g = reader.numbers('<option>', 'gravity', attribute(option, 'gravity'), 3);
    if (g) gravity = g as [number, number, number];
  }

  const meshes = new Map<string, MjcfMeshAsset>();
  const materials = new Map<string, Element>();
  for (const asset of elements(root, 'asset')) {
    elements(asset, 'mesh').forEach((node, i) => {
      const own = attributes(node);
      const where = own.name ? `<mesh name="${own.name}">` : own.file ? `<mesh file="${own.file}">` : `<mesh> #${i + 1}`;
      const e = reader.element(node, 'mesh', null, where);
      const fileName = e.attrs.file ?? null;
      const meshName = e.attrs.name ?? (fileName ? fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '') : null);
      if (!meshName) reader.fail(where, 'needs a name or a file');
      if (meshes.has(meshName)) reader.fail(where, `a mesh named "${meshName}" is defined twice`);
      const vertex = reader.numbers(where, 'vertex', e.attrs.vertex, [0, Number.MAX_SAFE_INTEGER]);
      if (!fileName && !vertex) reader.fail(where, 'needs a file or vertex data');
      if (e.attrs.refpos !== undefined || e.attrs.refquat !== undefined) reader.note('mesh refpos/refquat', where);
      const dir = reader.compiler.meshdir;
      meshes.set(meshName, {
        name: meshName,
        where,
        file: fileName ? (dir && !/^([a-z]+:)?\//i.test(fileName) ? `${dir.replace(/[\\/]+$/, '')}/${fileName}` : fileName) : null,
        scale: (reader.numbers(where, 'scale', e.attrs.scale, 3) ?? [1, 1, 1]) as [number, number, number],
        vertex,
        face: reader.numbers(where, 'face', e.attrs.face, [0, Number.MAX_SAFE_INTEGER]),
      });
    });
    elements(asset, 'material').forEach((node, i) => {
      const own = attributes(node);
      const where = own.name ? `<material name="${own.name}">` : `<material> #${i + 1}`;
      if (!own.name) reader.fail(where, 'needs a name');
      materials.set(own.name, reader.element(node, 'material', null, where));
    });
    for (const tag of childTags(asset)) if (tag !== 'mesh' && tag !== 'material') reader.note(`<${tag}> assets`, '<asset>');
  }

  const worlds = elements(root, 'worldbody');
  const world: MjcfBody = { name: null, where: '<worldbody>', frame: { position: new Vector3(), rotation: new Quaternion() }, mocap: false, inertial: null, joints: [], geoms: [], sites: [], cameras: [], lights: [], children: [] };
  for (const node of worlds) {
    const part = reader.body(node, null, '<worldbody>', true);
    if (part.joints.length) reader.fail('<worldbody>', 'the world body cannot have joints');
    world.geoms.push(...part.geoms);
    world.sites.push(...part.sites);
    world.cameras.push(...part.cameras);
    world.lights.push(...part.lights);
    world.children.push(...part.children);
  }

  const actuators: Element[] = [];
  for (const section of elements(root, 'actuator')) {
    for (const tag of childTags(section)) {
      elements(section, tag).forEach((node, i) => {
        const own = attributes(node);
        const where = own.name ? `<${tag} name="${own.name}">` : `<${tag}> #${i + 1} in <actuator>`;
        if (!(ACTUATOR_TAGS as readonly string[]).includes(tag) && tag !== 'plugin') reader.fail(where, `not an actuator element`);
        actuators.push(reader.element(node, tag, null, where));
      });
    }
  }

  const excludes: [string, string][] = [];
  for (const contact of elements(root, 'contact')) {
    elements(contact, 'exclude').forEach((node, i) => {
      const [a, b] = [attribute(node, 'body1'), attribute(node, 'body2')];
      if (!a || !b) reader.fail(`<exclude> #${i + 1} in <contact>`, 'needs body1 and body2');
      excludes.push([a, b]);
    });
    for (const node of elements(contact, 'pair')) reader.note('<contact><pair> (explicit contact pairs)', attribute(node, 'name') ? `<pair name="${attribute(node, 'name')}">` : '<pair>');
  }
  for (const tag of ['equality', 'tendon', 'sensor', 'keyframe', 'extension', 'custom', 'deformable', 'skin']) {
    for (const section of elements(root, tag)) {
      for (const inner of childTags(section)) for (const node of elements(section, inner)) reader.note(`<${tag}> <${inner}>`, attribute(node, 'name') ? `<${inner} name="${attribute(node, 'name')}">` : `<${inner}>`);
    }
  }
  return { name, file, compiler: reader.compiler, gravity, world, meshes, materials, actuators, excludes, unsupported: reader.unsupported };
}

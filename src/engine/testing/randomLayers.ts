/**
 * Test support: random multi-layer USD inputs for fuzzing composition (usd/compose.ts through
 * usd/import.ts). From a seed, a root layer and one to five more — USDA, leaf layers as USDC
 * (the crate writer cannot store arcs, so those hold plain prims), sometimes all packed in a USDZ
 * — joined by random arcs: sublayers with offsets (cycles included), references and payloads (to
 * default prims, explicit and subroot prims, missing prims and layers, internal, self and mutual
 * references, every list-op prefix), inherits and specializes (to classes, missing prims,
 * ancestors, descendants, the prim itself), variant sets (nested, with arcs inside, selections
 * authored at random sites and chosen by the user), instanceable prims and their twins,
 * PointInstancers (valid and broken), and relationships that target paths inside and outside the
 * content arcs bring. The prims carry Cube/Sphere/Capsule/Mesh geometry, transforms, physics APIs,
 * joints, collision groups and materials, so the importer has something to read. A fraction of
 * cases is mutated afterwards (text: truncations, deletions, inserted tokens; crate bytes: flips,
 * truncations). Every draw comes from `seededRandom(seed)`: a seed is always the same case.
 */
import type { AssetResolver, VariantSelection } from '../usd/compose.ts';
import { usdaToUsdc } from './usdcWriter.ts';
import { packUsdz } from '../usd/usdz.ts';
import { seededRandom } from './usda.ts';

export interface LayerCase {
  seed: number;
  /** The file imported: the root layer, or the USDZ package holding every layer. */
  file: string;
  bytes: Uint8Array;
  /** The other files, by key relative to the root layer's folder (empty for a USDZ: it resolves inside itself). */
  files: Record<string, Uint8Array>;
  /** The USDA text of every generated layer as written (mutations included), by key: the reproduction. */
  texts: Record<string, string>;
  /** Layers stored as USDC crates, by key. */
  binary: string[];
  /** The user's variant choices passed to the importer (may name no such prim, set or variant). */
  variants: VariantSelection[];
  /** What the case exercises ("reference:missing-layer", "pointInstancer:range", ...). */
  features: Set<string>;
  /** How the case was damaged, or null for well-formed layers. */
  mutation: string | null;
}

export function resolverOf(c: LayerCase): AssetResolver | undefined {
  if (c.file.endsWith('.usdz')) return undefined;
  return (key) => c.files[key];
}

/** The case as text a person can read and rerun: every layer, the options, the mutation. */
export function describeCase(c: LayerCase): string {
  const lines = [`seed ${c.seed}: import ${c.file}${c.variants.length ? ` with variants ${JSON.stringify(c.variants)}` : ''}${c.mutation ? ` (mutated: ${c.mutation})` : ''}`];
  for (const [key, text] of Object.entries(c.texts)) lines.push(`---- ${key}${c.binary.includes(key) ? ' (written as USDC)' : ''}`, text);
  return lines.join('\n');
}

// ---------------------------------------------------------------- drawing

class Draw {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  some<T>(items: readonly T[], min: number, max: number): T[] {
    const n = this.int(min, max);
    return Array.from({ length: n }, () => this.pick(items));
  }
}

// ---------------------------------------------------------------- the model

const ROOT_KEY = 'scene.usda';
const LAYER_KEYS = ['a.usda', 'b.usdc', 'parts/c.usda', 'parts/d.usd', 'lib/e.usda', 'f.usdc'];
const OUTSIDE_KEY = '../outside.usda';
const MISSING_KEYS = ['missing.usda', 'parts/gone.usdc', 'looks.mtlx', 'anim.abc'];
const ROOT_NAMES = ['World', 'Robot', 'Cart', 'Table', 'Prop'];
const CHILD_NAMES = ['Base', 'Arm', 'Wheel', 'Geo', 'Hinge', 'Lamp', 'Looks', 'Pins'];
const CLASS_NAMES = ['_class_Robot', '_class_Part'];
const SET_NAMES = ['shape', 'color', 'lod'];
const VARIANT_NAMES = ['a', 'b', 'cube', 'sphere'];
const TYPES = ['Xform', 'Xform', 'Xform', 'Cube', 'Cube', 'Sphere', 'Mesh', 'Capsule', '', 'Scope', 'PointInstancer', 'PhysicsRevoluteJoint', 'PhysicsFixedJoint', 'PhysicsCollisionGroup', 'Material'];
const GPRIMS = new Set(['Cube', 'Sphere', 'Mesh', 'Capsule']);
const MAX_PRIMS_PER_LAYER = 12;

interface Variant {
  name: string;
  meta: string[];
  props: string[];
  children: Prim[];
  sets: VariantSet[];
}
interface VariantSet {
  name: string;
  variants: Variant[];
}
interface Prim {
  name: string;
  /** The prim's path in its layer's namespace (variant selections left out). */
  path: string;
  specifier: 'def' | 'over' | 'class';
  type: string;
  meta: string[];
  props: string[];
  children: Prim[];
  sets: VariantSet[];
}
interface Layer {
  key: string;
  binary: boolean;
  roots: Prim[];
  meta: string[];
  /** Paths where arcs bring other content: the referencing prim's path joined with the target's descendants. */
  mapped: string[];
}

const prim = (name: string, parent: string, specifier: Prim['specifier'], type: string): Prim => ({
  name,
  path: parent === '/' ? `/${name}` : `${parent}/${name}`,
  specifier,
  type,
  meta: [],
  props: [],
  children: [],
  sets: [],
});

function allPrims(roots: readonly Prim[]): Prim[] {
  const out: Prim[] = [];
  const walk = (p: Prim) => {
    out.push(p);
    p.children.forEach(walk);
  };
  roots.forEach(walk);
  return out;
}

/** The path of `to` written relative to the folder of `from`, as an author would. */
function assetPath(d: Draw, from: string, to: string): string {
  const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/')).split('/') : [];
  const parts = to.split('/');
  let i = 0;
  while (i < dir.length && i < parts.length - 1 && dir[i] === parts[i]) i++;
  const rel = [...dir.slice(i).map(() => '..'), ...parts.slice(i)].join('/');
  return !rel.startsWith('..') && d.chance(0.4) ? `./${rel}` : rel;
}

const num = (d: Draw, values: readonly number[]) => String(d.pick(values));
const vec3 = (d: Draw, values: readonly number[]) => `(${num(d, values)}, ${num(d, values)}, ${num(d, values)})`;

// ---------------------------------------------------------------- generation

class Generator {
  readonly layers: Layer[] = [];
  readonly features = new Set<string>();
  constructor(readonly d: Draw) {}

  feature(name: string): void {
    this.features.add(name);
  }

  skeleton(layer: Layer): void {
    const d = this.d;
    let count = 0;
    const grow = (p: Prim, depth: number) => {
      if (p.type === 'PointInstancer') {
        const protos = prim('Protos', p.path, 'def', 'Scope');
        const n = d.int(1, 2);
        for (let i = 0; i < n; i++) protos.children.push(prim(`P${i}`, protos.path, 'def', d.pick(['Cube', 'Sphere', 'Xform'])));
        p.children.push(protos);
        count += 1 + n;
      }
      const kids = depth >= 3 ? 0 : d.int(0, 3 - depth);
      const used = new Set(p.children.map((c) => c.name));
      for (let i = 0; i < kids && count < MAX_PRIMS_PER_LAYER; i++) {
        let name = d.pick(CHILD_NAMES);
        // Rarely, two siblings of the same name (the parser merges or rejects them).
        if (used.has(name)) {
          if (d.chance(0.03)) this.feature('duplicate-sibling');
          else name = `${name}${i}`;
        }
        used.add(name);
        const child = prim(name, p.path, d.chance(0.08) ? 'over' : 'def', d.pick(TYPES));
        p.children.push(child);
        count++;
        grow(child, depth + 1);
      }
    };
    const roots = d.int(1, 3);
    const used = new Set<string>();
    for (let i = 0; i < roots; i++) {
      const isClass = d.chance(0.25);
      let name = d.pick(isClass ? CLASS_NAMES : ROOT_NAMES);
      if (used.has(name)) name = `${name}${i}`;
      used.add(name);
      const root = prim(name, '/', isClass ? 'class' : d.chance(0.1) ? 'over' : 'def', isClass ? d.pick(['', 'Xform']) : d.pick(['Xform', 'Xform', 'Cube', 'PointInstancer', '']));
      layer.roots.push(root);
      count++;
      grow(root, 1);
    }
  }

  /** A path a relationship may target: in this layer, inside referenced content, elsewhere, nowhere. */
  relTarget(layer: Layer, from: Prim): string {
    const d = this.d;
    const own = allPrims(layer.roots).map((p) => p.path);
    const r = d.next();
    if (r < 0.45) return d.pick(own);
    if (r < 0.65 && layer.mapped.length) {
      this.feature('rel:inside-referenced-content');
      return d.pick(layer.mapped);
    }
    if (r < 0.75) {
      this.feature('rel:other-layer');
      return d.pick(allPrims(d.pick(this.layers).roots)).path;
    }
    if (r < 0.85) {
      this.feature('rel:missing');
      return d.pick(['/Missing', '/World/Nope', `${from.path}/Nope`]);
    }
    if (r < 0.92) {
      this.feature('rel:property-path');
      return `${d.pick(own)}.${d.pick(['size', 'radius', 'physics:mass'])}`;
    }
    this.feature('rel:self');
    return from.path;
  }

  listOp(field: string, item: () => string): string[] {
    const d = this.d;
    const lines: string[] = [];
    const made: string[] = [];
    const statements = d.chance(0.25) ? 2 : 1;
    for (let s = 0; s < statements; s++) {
      if (d.chance(0.03)) {
        lines.push(`${field} = None`);
        continue;
      }
      const prefix = d.pick(['', 'prepend ', 'prepend ', 'append ', 'add ', 'delete ']);
      this.feature(`listop:${prefix.trim() || 'explicit'}`);
      const items = prefix === 'delete ' && made.length && d.chance(0.6) ? [d.pick(made)] : Array.from({ length: d.int(1, 2) }, item);
      made.push(...items);
      lines.push(`${prefix}${field} = ${items.length === 1 && d.chance(0.5) ? items[0] : `[${items.join(', ')}]`}`);
    }
    return lines;
  }

  /** One reference or payload item written from `layer`'s prim `p`. */
  arcItem(layer: Layer, p: Prim, kind: string): string {
    const d = this.d;
    const others = this.layers.filter((l) => l !== layer);
    const offset = d.chance(0.2) ? ` (offset = ${num(d, [0, 5, -3.5, 1e6])}; scale = ${num(d, [1, 2, 0.5, 0, -1])})` : '';
    if (offset) this.feature(`${kind}:offset`);
    const r = d.next();
    let target: Layer | null = null;
    let asset = '';
    if (r < 0.45 && others.length) {
      target = d.pick(others);
      asset = assetPath(d, layer.key, target.key);
      this.feature(`${kind}:${target.binary ? 'usdc-layer' : 'layer'}`);
      if (target.key === ROOT_KEY) this.feature(`${kind}:to-root-layer`);
    } else if (r < 0.65) {
      target = layer;
      this.feature(`${kind}:internal`);
    } else if (r < 0.77) {
      asset = assetPath(d, layer.key, d.pick(MISSING_KEYS));
      this.feature(`${kind}:missing-layer`);
    } else {
      target = layer;
      asset = assetPath(d, layer.key, layer.key);
      this.feature(`${kind}:self-layer`);
    }
    let primPath: string | null = null;
    const r2 = d.next();
    if (asset && r2 < 0.35) {
      this.feature(`${kind}:default-prim`);
    } else if (target) {
      const prims = allPrims(target.roots);
      if (r2 < 0.65) primPath = d.pick(target.roots).path;
      else if (r2 < 0.8) {
        primPath = d.pick(prims).path;
        if (primPath.split('/').length > 2) this.feature(`${kind}:subroot`);
      } else if (r2 < 0.9) {
        primPath = d.pick(['/Nope', '/World/Nope']);
        this.feature(`${kind}:missing-prim`);
      } else {
        // The prim itself or an ancestor: a cycle when the target is this layer.
        const parts = p.path.split('/');
        primPath = parts.slice(0, d.int(2, parts.length)).join('/');
        this.feature(`${kind}:ancestor-or-self`);
      }
      if (primPath && !prims.some((q) => q.path === primPath)) this.feature(`${kind}:missing-prim`);
      else if (primPath) {
        // What the arc brings, seen from the referencing prim: targets "inside referenced content".
        const base = primPath;
        for (const q of prims) if (q.path.startsWith(`${base}/`)) layer.mapped.push(`${p.path}${q.path.slice(base.length)}`);
      }
    } else {
      primPath = d.chance(0.5) ? d.pick(['/Robot', '/World']) : null;
    }
    if (!asset && !primPath) primPath = d.pick(allPrims(layer.roots)).path;
    return `${asset ? `@${asset}@` : ''}${primPath ? `<${primPath}>` : ''}${offset}`;
  }

  classTarget(layer: Layer, p: Prim, kind: string): string {
    const d = this.d;
    const own = allPrims(layer.roots);
    const classes = own.filter((q) => q.path.startsWith('/_class'));
    const r = d.next();
    if (r < 0.4 && classes.length) {
      this.feature(`${kind}:class`);
      return d.pick(classes).path;
    }
    if (r < 0.5) {
      this.feature(`${kind}:other-layer-class`);
      return d.pick(CLASS_NAMES.map((n) => `/${n}`));
    }
    if (r < 0.6) {
      this.feature(`${kind}:missing`);
      return '/_class_Missing';
    }
    const parts = p.path.split('/');
    if (r < 0.72 && parts.length > 2) {
      this.feature(`${kind}:ancestor`);
      return parts.slice(0, d.int(2, parts.length - 1)).join('/');
    }
    const below = own.filter((q) => q.path.startsWith(`${p.path}/`));
    if (r < 0.82 && below.length) {
      this.feature(`${kind}:descendant`);
      return d.pick(below).path;
    }
    if (r < 0.87) {
      this.feature(`${kind}:self`);
      return p.path;
    }
    this.feature(`${kind}:sibling-or-any`);
    return d.pick(own).path;
  }

  /** Geometry, transforms, physics, joints, instancers: what the importer reads. */
  typeProps(layer: Layer, p: Prim, props: string[], meta: string[]): void {
    const d = this.d;
    const apis: string[] = [];
    switch (p.type) {
      case 'Cube':
        props.push(`double size = ${num(d, [1, 0.5, 2, 0, -1])}`);
        break;
      case 'Sphere':
        props.push(`double radius = ${num(d, [0.5, 1, 0.1, -2])}`);
        break;
      case 'Capsule':
        props.push(`double radius = ${num(d, [0.2, 0.5])}`, `double height = ${num(d, [1, 0, 2])}`, `uniform token axis = "${d.pick(['X', 'Y', 'Z', 'W'])}"`);
        break;
      case 'Mesh': {
        const broken = d.pick(['none', 'none', 'none', 'index', 'counts', 'points']);
        if (broken !== 'none') this.feature(`mesh:broken-${broken}`);
        if (broken !== 'points') props.push('point3f[] points = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]');
        props.push(`int[] faceVertexCounts = [3, 3, 3${broken === 'counts' ? ', 4' : ', 3'}]`);
        props.push(`int[] faceVertexIndices = [0, 1, 2, 0, 1, 3, 0, 2, 3, 1, 2, ${broken === 'index' ? 9 : 3}]`);
        break;
      }
      case 'PhysicsRevoluteJoint':
      case 'PhysicsFixedJoint':
        this.feature('joint');
        if (d.chance(0.9)) props.push(`rel physics:body0 = <${this.relTarget(layer, p)}>`);
        if (d.chance(0.9)) props.push(`rel physics:body1 = <${this.relTarget(layer, p)}>`);
        if (p.type === 'PhysicsRevoluteJoint') props.push(`uniform token physics:axis = "${d.pick(['X', 'Y', 'Z'])}"`);
        if (d.chance(0.3)) props.push(`point3f physics:localPos0 = ${vec3(d, [0, 0.5, -1])}`);
        break;
      case 'PhysicsCollisionGroup':
        this.feature('collision-group');
        props.push(`rel collection:colliders:includes = [<${this.relTarget(layer, p)}>, <${this.relTarget(layer, p)}>]`);
        if (d.chance(0.5)) props.push(`rel physics:filteredGroups = <${this.relTarget(layer, p)}>`);
        break;
      case 'Material':
        if (d.chance(0.6)) {
          apis.push('PhysicsMaterialAPI');
          props.push(`float physics:staticFriction = ${num(d, [0.5, 1, -1])}`, `float physics:restitution = ${num(d, [0, 0.3])}`);
        }
        break;
      case 'PointInstancer':
        this.instancer(layer, p, props);
        break;
      default:
        break;
    }
    if (GPRIMS.has(p.type)) {
      for (const api of ['PhysicsRigidBodyAPI', 'PhysicsCollisionAPI', 'PhysicsMassAPI', 'MaterialBindingAPI', 'PhysicsFilteredPairsAPI']) if (d.chance(0.35)) apis.push(api);
      if (apis.includes('PhysicsMassAPI')) props.push(`float physics:mass = ${num(d, [1, 2.5, 0, -1])}`);
      if (apis.includes('PhysicsRigidBodyAPI') && d.chance(0.3)) props.push(`vector3f physics:velocity = ${vec3(d, [0, 1, -2])}`);
      if (apis.includes('MaterialBindingAPI')) props.push(`rel material:binding = <${this.relTarget(layer, p)}>`);
      if (apis.includes('PhysicsFilteredPairsAPI')) props.push(`rel physics:filteredPairs = <${this.relTarget(layer, p)}>`);
      if (apis.length) this.feature('physics-api');
    } else if (d.chance(0.1)) {
      apis.push(d.pick(['PhysicsRigidBodyAPI', 'PhysicsArticulationRootAPI', 'PhysicsCollisionAPI']));
    }
    if (d.chance(0.04)) apis.push('FooAPI');
    if (apis.length) meta.push(`${d.pick(['prepend ', ''])}apiSchemas = [${apis.map((a) => `"${a}"`).join(', ')}]`);
    if (!p.type.startsWith('Physics') && p.type !== 'Material' && d.chance(0.5)) {
      const ops: string[] = [];
      if (d.chance(0.8)) {
        ops.push('xformOp:translate');
        if (!layer.binary && d.chance(0.1)) {
          this.feature('time-samples');
          props.push(`double3 xformOp:translate.timeSamples = { 0: ${vec3(d, [0, 1])}, 24: ${vec3(d, [0, 2])} }`);
        } else props.push(`double3 xformOp:translate = ${vec3(d, [0, 1, -0.5, 2])}`);
      }
      if (d.chance(0.3)) {
        ops.push('xformOp:orient');
        props.push(`quatf xformOp:orient = (${num(d, [1, 0.7071])}, 0, ${num(d, [0, 0.7071])}, 0)`);
      }
      if (d.chance(0.3)) {
        ops.push('xformOp:scale');
        props.push(`float3 xformOp:scale = ${vec3(d, [1, 2, 0.5])}`);
      }
      if (d.chance(0.05)) ops.push('xformOp:rotateXYZ');
      props.push(`uniform token[] xformOpOrder = [${ops.map((o) => `"${o}"`).join(', ')}]`);
    }
  }

  instancer(layer: Layer, p: Prim, props: string[]): void {
    const d = this.d;
    const protos = (p.children.find((c) => c.name === 'Protos')?.children ?? []).map((c) => c.path);
    let targets = [...protos];
    const mode = d.pick(['valid', 'valid', 'valid', 'lengths', 'range', 'missing-prototype', 'ancestor-prototype', 'self-prototype', 'external-prototype', 'no-prototypes']);
    this.feature(`pointInstancer:${mode}`);
    const parts = p.path.split('/');
    if (mode === 'missing-prototype') targets.push(`${p.path}/Protos/Gone`);
    if (mode === 'ancestor-prototype' && parts.length > 2) targets = [parts.slice(0, d.int(2, parts.length - 1)).join('/')];
    if (mode === 'self-prototype') targets = [p.path];
    if (mode === 'external-prototype') targets = [this.relTarget(layer, p)];
    if (mode === 'no-prototypes') targets = [];
    const n = d.int(1, 4);
    const indices = Array.from({ length: n }, () => d.int(0, Math.max(0, targets.length - 1)));
    if (mode === 'range') indices[d.int(0, n - 1)] = d.pick([targets.length + 2, -1, 99]);
    const positions = mode === 'lengths' ? n + d.pick([1, -1]) : n;
    if (targets.length) props.push(`rel prototypes = [${targets.map((t) => `<${t}>`).join(', ')}]`);
    props.push(`int[] protoIndices = [${indices.join(', ')}]`);
    props.push(`point3f[] positions = [${Array.from({ length: positions }, (_, i) => `(${i}, 0, 0)`).join(', ')}]`);
    if (d.chance(0.4)) props.push(`${layer.binary ? 'quatf[]' : d.pick(['quath[]', 'quatf[]'])} orientations = [${Array.from({ length: n }, () => '(1, 0, 0, 0)').join(', ')}]`);
    if (d.chance(0.3)) props.push(`float3[] scales = [${Array.from({ length: n }, () => '(1, 1, 1)').join(', ')}]`);
    if (d.chance(0.3)) props.push(`int64[] ids = [${Array.from({ length: n }, (_, i) => (d.chance(0.2) ? 0 : i * 10)).join(', ')}]`);
    if (d.chance(0.2)) props.push('int64[] invisibleIds = [0]');
  }

  /** Arcs on a prim (or in a variant's metadata). */
  arcs(layer: Layer, p: Prim, meta: string[], rate: number): boolean {
    const d = this.d;
    let any = false;
    if (d.chance(0.35 * rate)) {
      meta.push(...this.listOp('references', () => this.arcItem(layer, p, 'reference')));
      any = true;
    }
    if (d.chance(0.15 * rate)) {
      meta.push(...this.listOp('payload', () => this.arcItem(layer, p, 'payload')));
      any = true;
    }
    if (d.chance(0.25 * rate)) {
      meta.push(...this.listOp('inherits', () => `<${this.classTarget(layer, p, 'inherits')}>`));
      any = true;
    }
    if (d.chance(0.12 * rate)) {
      meta.push(...this.listOp('specializes', () => `<${this.classTarget(layer, p, 'specializes')}>`));
      any = true;
    }
    return any;
  }

  variantSets(layer: Layer, p: Prim, meta: string[], depth: number): VariantSet[] {
    const d = this.d;
    const sets: VariantSet[] = [];
    const names = [...new Set(d.some(SET_NAMES, 1, 2))];
    for (const name of names) {
      const variants: Variant[] = [];
      for (const v of new Set(d.some(VARIANT_NAMES, 1, 3))) {
        const variant: Variant = { name: v, meta: [], props: [], children: [], sets: [] };
        if (d.chance(0.5)) variant.props.push(d.pick([`double size = ${num(d, [2, 3])}`, `double radius = ${num(d, [0.25, 2])}`, `double3 xformOp:translate = ${vec3(d, [0, 1])}`]));
        if (d.chance(0.35)) {
          this.feature('variant:arcs');
          this.arcs(layer, p, variant.meta, 1.5);
        }
        if (d.chance(0.3)) {
          this.feature('variant:child');
          const child = prim(d.pick(['VGeo', 'VBody', ...CHILD_NAMES]), p.path, d.chance(0.8) ? 'def' : 'over', d.pick(TYPES));
          this.decorate(layer, child, depth + 1);
          variant.children.push(child);
        }
        if (depth < 1 && d.chance(0.25)) {
          this.feature('variant:nested');
          variant.sets = this.variantSets(layer, p, variant.meta, depth + 1);
        }
        variants.push(variant);
      }
      sets.push({ name, variants });
    }
    if (d.chance(0.9)) meta.push(`${d.pick(['prepend ', 'append ', ''])}variantSets = [${names.map((n) => `"${n}"`).join(', ')}]`);
    else this.feature('variant:undeclared');
    if (d.chance(0.6)) meta.push(this.selection(names));
    return sets;
  }

  selection(sets: readonly string[]): string {
    const d = this.d;
    const set = d.pick(sets);
    const choice = d.chance(0.1) ? 'zzz' : d.pick(VARIANT_NAMES);
    this.feature('variant:selection');
    return `variants = {\n    string ${set} = "${choice}"\n}`;
  }

  decorate(layer: Layer, p: Prim, depth = 0): void {
    const d = this.d;
    this.typeProps(layer, p, p.props, p.meta);
    if (!layer.binary) {
      const arcs = this.arcs(layer, p, p.meta, depth > 0 ? 0.5 : 1);
      if (depth < 2 && d.chance(0.2)) {
        this.feature('variant:set');
        p.sets = this.variantSets(layer, p, p.meta, depth);
      } else if (d.chance(0.08)) {
        this.feature('variant:selection-elsewhere');
        p.meta.push(this.selection(SET_NAMES));
      }
      if (d.chance(arcs ? 0.25 : 0.05)) {
        this.feature('instanceable');
        p.meta.push(`instanceable = ${d.pick(['true', 'true', 'false'])}`);
      }
    }
    if (d.chance(0.05)) {
      this.feature('inactive');
      p.meta.push('active = false');
    }
    if (d.chance(0.05)) p.meta.push('kind = "component"');
    for (const c of p.children) this.decorate(layer, c, depth);
  }

  layerMeta(layer: Layer): void {
    const d = this.d;
    const meta = layer.meta;
    const defs = layer.roots.filter((r) => r.specifier !== 'class');
    const r = d.next();
    if (r < 0.7 && defs.length) meta.push(`defaultPrim = "${d.pick(defs).name}"`);
    else if (r < 0.8) {
      this.feature('defaultPrim:missing');
      meta.push(`defaultPrim = "${d.pick(['Nope', '_class_Robot'])}"`);
    } else this.feature('defaultPrim:none');
    if (d.chance(0.9)) meta.push(`metersPerUnit = ${num(d, [1, 1, 0.01, 0.01, 0])}`);
    if (d.chance(0.8)) meta.push(`upAxis = "${d.pick(['Y', 'Y', 'Z', 'Z', 'X'])}"`);
    if (!layer.binary && d.chance(0.15)) meta.push(`timeCodesPerSecond = ${num(d, [24, 30, 0])}`);
    if (!layer.binary && d.chance(layer.key === ROOT_KEY ? 0.5 : 0.25)) {
      const subs: string[] = [];
      for (let i = d.int(1, 2); i > 0; i--) {
        const r2 = d.next();
        let key: string;
        if (r2 < 0.6) key = d.pick(this.layers.filter((l) => l !== layer)).key;
        else if (r2 < 0.75) key = d.pick(MISSING_KEYS);
        else if (r2 < 0.85) key = layer.key;
        else key = ROOT_KEY;
        this.feature(key === layer.key || key === ROOT_KEY ? 'sublayer:cycle' : MISSING_KEYS.includes(key) ? 'sublayer:missing' : 'sublayer');
        const offset = d.chance(0.3) ? ` (offset = ${num(d, [10, -5])}; scale = ${num(d, [2, 0.5, 0])})` : '';
        if (offset) this.feature('sublayer:offset');
        subs.push(`@${assetPath(d, layer.key, key)}@${offset}`);
      }
      meta.push(`subLayers = [\n    ${subs.join(',\n    ')}\n]`);
    }
  }

  /** Root prims that copy an instanceable root prim's arcs under another name: instances share a prototype. */
  twins(layer: Layer): void {
    const d = this.d;
    for (const root of [...layer.roots]) {
      if (!root.meta.some((m) => m.startsWith('instanceable = true')) || !d.chance(0.6)) continue;
      this.feature('instanceable:twins');
      const twin = prim(`${root.name}_twin`, '/', root.specifier, root.type);
      twin.meta = root.meta.filter((m) => !m.startsWith('variants') || d.chance(0.5));
      if (d.chance(0.5)) twin.children.push(prim('LocalOpinion', twin.path, 'def', 'Cube'));
      layer.roots.push(twin);
    }
  }
}

// ---------------------------------------------------------------- writing USDA

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n');

function metaBlock(meta: readonly string[]): string {
  return meta.length ? ` (\n${indent(meta.join('\n'), '    ')}\n)` : '';
}

function writeVariantSet(set: VariantSet): string {
  const variants = set.variants.map((v) => `"${v.name}"${metaBlock(v.meta)} {\n${indent(body(v.props, v.children, v.sets), '    ')}}`);
  return `variantSet "${set.name}" = {\n${indent(variants.join('\n'), '    ')}\n}\n`;
}

function body(props: readonly string[], children: readonly Prim[], sets: readonly VariantSet[]): string {
  let out = '';
  for (const p of props) out += `${p}\n`;
  for (const s of sets) out += writeVariantSet(s);
  for (const c of children) out += writePrim(c);
  return out;
}

function writePrim(p: Prim): string {
  return `${p.specifier}${p.type ? ` ${p.type}` : ''} "${p.name}"${metaBlock(p.meta)}\n{\n${indent(body(p.props, p.children, p.sets), '    ')}}\n`;
}

function writeLayer(layer: Layer): string {
  return `#usda 1.0\n${layer.meta.length ? `(\n${indent(layer.meta.join('\n'), '    ')}\n)\n` : ''}\n${layer.roots.map(writePrim).join('\n')}`;
}

// ---------------------------------------------------------------- mutation

const TOKENS = ['{', '}', '(', ')', '[', ']', '"', '=', '<', '>', '@', '\n', '</World>', '<../..>', '@scene.usda@', '@a.usda@</Robot>', 'prepend references = </World>', 'inherits = </World>',
  'subLayers = [@scene.usda@]', 'variantSet "shape" = {', 'variants = { string shape = "b" }', '(offset = 1e309; scale = nan)', 'instanceable = true', 'def PointInstancer "PI"', '-inf', 'nan', '1e309', ',', ';', '#'];

function mutateText(d: Draw, text: string): [string, string] {
  const at = d.int(0, text.length);
  const span = d.int(1, 40);
  switch (d.int(0, 4)) {
    case 0:
      return [text.slice(0, at) + text.slice(at + span), `deleted ${span} chars at ${at}`];
    case 1: {
      const token = d.pick(TOKENS);
      return [text.slice(0, at) + token + text.slice(at), `inserted ${JSON.stringify(token)} at ${at}`];
    }
    case 2:
      return [text.slice(0, at) + text.slice(at, at + span) + text.slice(at), `duplicated ${span} chars at ${at}`];
    case 3:
      return [text.slice(0, at), `truncated at ${at}`];
    default: {
      const from = d.pick(['<', '@', 'def ', 'over ', 'class ', 'prepend ', 'delete ', '"']);
      const to = d.pick(['', '<../', '@@', 'over ', 'class ', 'append ', 'def Cube ', '\'']);
      let n = 0;
      const out = text.replace(new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), (m) => (d.chance(0.2) ? (n++, to) : m));
      return [out, `replaced ${n} of ${JSON.stringify(from)} by ${JSON.stringify(to)}`];
    }
  }
}

function mutateBytes(d: Draw, bytes: Uint8Array): [Uint8Array, string] {
  const out = bytes.slice();
  if (d.chance(0.3)) {
    const at = d.int(8, out.length);
    return [out.slice(0, at), `truncated crate at byte ${at}`];
  }
  const flips: number[] = [];
  for (let i = d.int(1, 8); i > 0; i--) {
    const at = d.int(0, out.length - 1);
    out[at] = d.int(0, 255);
    flips.push(at);
  }
  return [out, `overwrote crate bytes ${flips.join(', ')}`];
}

// ---------------------------------------------------------------- the case

const encode = (s: string) => new TextEncoder().encode(s);

export function randomLayerCase(seed: number, options: { mutationRate?: number } = {}): LayerCase {
  const d = new Draw(seededRandom(seed));
  const g = new Generator(d);
  const count = d.int(2, 6);
  const keys = [ROOT_KEY];
  for (const key of LAYER_KEYS) if (keys.length < count && d.chance(0.6)) keys.push(key);
  while (keys.length < count) keys.push(LAYER_KEYS.find((k) => !keys.includes(k))!);
  const packaged = d.chance(0.15);
  if (!packaged && d.chance(0.1)) keys.push(OUTSIDE_KEY);
  for (const key of keys) {
    const binary = key.endsWith('.usdc') || (key.endsWith('.usd') && d.chance(0.5));
    g.layers.push({ key, binary, roots: [], meta: [], mapped: [] });
  }
  for (const layer of g.layers) g.skeleton(layer);
  for (const layer of g.layers) for (const root of layer.roots) g.decorate(layer, root);
  for (const layer of g.layers) {
    g.twins(layer);
    g.layerMeta(layer);
  }

  const texts: Record<string, string> = {};
  for (const layer of g.layers) texts[layer.key] = writeLayer(layer);
  let mutation: string | null = null;
  const mutated = d.chance(options.mutationRate ?? 0.2) ? d.pick(g.layers) : null;
  let mutateCrate = false;
  if (mutated) {
    if (mutated.binary && d.chance(0.5)) mutateCrate = true;
    else {
      const rounds = d.int(1, 3);
      const what: string[] = [];
      for (let i = 0; i < rounds; i++) {
        const [text, how] = mutateText(d, texts[mutated.key]!);
        texts[mutated.key] = text;
        what.push(how);
      }
      mutation = `${mutated.key}: ${what.join('; ')}`;
    }
  }

  const files: Record<string, Uint8Array> = {};
  const binary: string[] = [];
  for (const layer of g.layers) {
    let bytes: Uint8Array = encode(texts[layer.key]!);
    if (layer.binary) {
      try {
        bytes = usdaToUsdc(texts[layer.key]!, layer.key);
        binary.push(layer.key);
        g.feature('usdc');
      } catch {
        // Text the writer cannot read (a mutation) stays text under its .usdc name: readers go by the bytes.
        g.feature('usdc:kept-as-text');
      }
      if (mutateCrate && layer === mutated && binary.includes(layer.key)) {
        const [damaged, how] = mutateBytes(d, bytes);
        bytes = damaged;
        mutation = `${layer.key}: ${how}`;
      }
    }
    files[layer.key] = bytes;
  }

  const variants: VariantSelection[] = [];
  if (d.chance(0.15)) {
    g.feature('variant:user-choice');
    const root = g.layers[0]!;
    variants.push({ prim: d.pick(allPrims(root.roots)).path, set: d.pick(SET_NAMES), selection: d.pick(VARIANT_NAMES) });
  }

  const rootBytes = files[ROOT_KEY]!;
  delete files[ROOT_KEY];
  if (packaged) {
    g.feature('usdz');
    const bytes = packUsdz([{ name: ROOT_KEY, bytes: rootBytes }, ...Object.entries(files).map(([name, b]) => ({ name, bytes: b }))]);
    return { seed, file: 'scene.usdz', bytes, files: {}, texts, binary, variants, features: g.features, mutation };
  }
  return { seed, file: ROOT_KEY, bytes: rootBytes, files, texts, binary, variants, features: g.features, mutation };
}

/**
 * The composed stage as one flat spec table, the way `usdcat --flatten` writes it and what the
 * importer reads: every defined, active, non-abstract prim with its resolved type, metadata and
 * properties (strongest opinions, relationship targets and connections mapped into the stage's
 * namespace, asset paths made relative to the root layer's folder, time samples moved by the
 * offsets of the arcs that bring them). Instanceable prims share one prototype: the first instance
 * is composed, the others copy it. UsdGeomPointInstancer prims are expanded: each instance becomes
 * an Xform prim `<instancer>/instance_<id>` holding a copy of its prototype (with the prototype's
 * semantic labels), and prototypes under the instancer are no longer drawn on their own.
 * Also reports the variant sets of every prim (for pickers) and what it could not honour.
 */
import { resolveAssetKey } from '../../scene/assets.ts';
import { childPath, hasPrefix, isValueBlock, nameOf, replacePrefix, stripVariantSelections, SPEC_TYPE, variantSelectionOf, type TimeSamples } from '../sdf.ts';
import { ARC, instanceKey, type PcpNode, type PrimIndex } from './primIndex.ts';
import type { ComposedStage, StackEntry } from './stage.ts';

export interface FlatSpec {
  specType: number;
  fields: Record<string, unknown>;
}

/** A variant set of a composed prim: what can be chosen and what is. */
export interface VariantSetInfo {
  prim: string;
  set: string;
  options: string[];
  /** The selection in effect ("" when none). */
  selection: string;
}

export interface FlattenResult {
  specs: Record<string, FlatSpec>;
  variantSets: VariantSetInfo[];
  warnings: string[];
  /** Prims made from PointInstancer instances. */
  instancedPrims: number;
}

const MAX_PRIMS = 200_000;
const MAX_DEPTH = 256;
/** Metadata of attributes carried into the flat table. */
const ATTRIBUTE_METADATA = ['interpolation', 'elementSize', 'variability', 'custom', 'colorSpace'];
const PRIM_METADATA = ['kind', 'active', 'instanceable', 'hidden', 'documentation'];

export function flattenStage(stage: ComposedStage, options: { maxPrims?: number } = {}): FlattenResult {
  const specs: Record<string, FlatSpec> = {};
  const warnings: string[] = [];
  const variantSets: VariantSetInfo[] = [];
  const prototypes = new Map<string, string>();
  /** Property spec paths by prim, kept as specs are written (subtrees are copied without scanning the table). */
  const properties = new Map<string, string[]>();
  const maxPrims = options.maxPrims ?? MAX_PRIMS;
  let count = 0;
  const rootChildren: string[] = [];
  specs['/'] = { specType: SPEC_TYPE.pseudoRoot, fields: { primChildren: rootChildren } };

  const visit = (path: string, parentChildren: string[], depth = 1) => {
    if (depth > MAX_DEPTH) throw new RangeError(`prims nest deeper than ${MAX_DEPTH} levels at ${path}`);
    const index = stage.index(path);
    const primStack = stage.primStack(index);
    if (!primStack.length) return;
    const specifier = composedSpecifier(primStack);
    if (specifier === 'class') return;
    if (specifier === 'over') {
      lone.push(path);
      return;
    }
    if (stage.primField(index, 'active')?.value === false) return;
    if (++count > maxPrims) throw new RangeError(`more than ${maxPrims} prims`);
    parentChildren.push(nameOf(path));
    const fields: Record<string, unknown> = { specifier: 'def' };
    const typeName = strongestString(primStack, 'typeName');
    if (typeName) fields['typeName'] = typeName;
    for (const name of PRIM_METADATA) {
      const v = stage.primField(index, name);
      if (v !== undefined) fields[name] = v.value;
    }
    const apis = stage.primListField(index, 'apiSchemas');
    if (apis.length) fields['apiSchemas'] = apis;
    if (typeName === 'PointInstancer') {
      const inactive = stage.primListField<number>(index, 'inactiveIds');
      if (inactive.length) fields['inactiveIds'] = inactive;
    }
    const children: string[] = [];
    fields['primChildren'] = children;
    specs[path] = { specType: SPEC_TYPE.prim, fields };
    reportUnsupported(index, primStack, warnings);
    variantSets.push(...variantSetsOf(stage, index, primStack));
    const own: string[] = [];
    for (const name of stage.propertyNames(index)) {
      const flat = flattenProperty(stage, index, name);
      if (flat) {
        specs[`${path}.${name}`] = flat;
        own.push(`${path}.${name}`);
      }
    }
    properties.set(path, own);
    if (index.instanceable) {
      const key = instanceKey(index);
      const prototype = prototypes.get(key);
      // An instance inside its own prototype (arcs that bring the prim back under itself) is composed, not copied into itself.
      if (prototype && !hasPrefix(path, prototype)) {
        count += copyEntries(specs, subtree(specs, prototype, properties), prototype, path, { includeRoot: false }, properties);
        children.push(...((specs[prototype]!.fields['primChildren'] as string[]) ?? []));
        if (count > maxPrims) throw new RangeError(`more than ${maxPrims} prims`);
        return;
      }
      if (!prototype) prototypes.set(key, path);
    }
    for (const child of stage.childNames(index)) visit(childPath(path, child), children, depth + 1);
  };
  /** Prims with only overs: a mistake, unless they edit a class other prims inherit or specialize. */
  const lone: string[] = [];
  for (const name of stage.childNames(stage.index('/'))) visit(childPath('/', name), rootChildren);
  const classes = stage.cache.classSites();
  for (const path of lone) {
    if (!classes.has(path)) warnings.push(`${path}: only "over" opinions, nothing defines it (no def in this layer or one it reaches); skipped`);
  }
  for (const e of stage.cache.errors) warnings.push(e.message);
  const instancedPrims = expandPointInstancers(specs, properties, warnings, maxPrims - count);
  return { specs, variantSets, warnings: [...new Set(warnings)], instancedPrims };
}

/**
 * The prim's specifier as USD composes it: a def anywhere in the stack wins over overs; a class
 * wins too, unless it comes through a direct inherit — inheriting a class does not make the
 * instance a class, so such a class is weaker than any def (UsdStage's rule).
 */
function composedSpecifier(stack: readonly StackEntry[]): string {
  let result = 'over';
  for (const entry of stack) {
    const s = entry.spec.fields['specifier'];
    if (s === 'def') return 'def';
    if (s !== 'class') continue;
    let inherited = false;
    for (let n: PcpNode | null = entry.node; n; n = n.parent) if (n.arc === ARC.inherit && !n.dueToAncestor) inherited = true;
    if (!inherited) return 'class';
    result = 'class';
  }
  return result;
}

function strongestString(stack: readonly StackEntry[], field: string): string {
  for (const entry of stack) {
    const v = entry.spec.fields[field];
    if (typeof v === 'string' && v) return v;
  }
  return '';
}

function reportUnsupported(index: PrimIndex, stack: readonly StackEntry[], warnings: string[]) {
  for (const entry of stack) {
    const where = `${entry.layer.key}: ${stripVariantSelections(entry.path)}`;
    const f = entry.spec.fields;
    if (f['relocates'] !== undefined) warnings.push(`${where}: relocates are not composed; the prims stay where they are authored`);
    if (f['clips'] !== undefined || f['clipSets'] !== undefined) warnings.push(`${where}: value clips are not read; the attributes keep their own values`);
  }
  for (const layer of index.root.layerStack.layers) {
    if (layer.specs.get('/')?.fields['layerRelocates'] !== undefined) warnings.push(`${layer.key}: layer relocates are not composed; the prims stay where they are authored`);
  }
}

function variantSetsOf(stage: ComposedStage, index: PrimIndex, stack: readonly StackEntry[]): VariantSetInfo[] {
  const sets = stage.primListField(index, 'variantSetNames');
  if (!sets.length) return [];
  const nodes = index.nodes();
  return sets.map((set) => {
    const options: string[] = [];
    for (const node of nodes) {
      for (const layer of node.layerStack.layers) {
        const children = layer.specs.get(`${node.path}{${set}=}`)?.fields['variantChildren'];
        if (Array.isArray(children)) for (const c of children) if (typeof c === 'string' && !options.includes(c)) options.push(c);
      }
    }
    let selection = '';
    for (const node of nodes) {
      if (node.arc !== ARC.variant) continue;
      const s = variantSelectionOf(node.pathAtIntroduction);
      if (s && s[0] === set && stripVariantSelections(node.pathAtIntroduction) === stripVariantSelections(node.path)) {
        selection = s[1];
        break;
      }
    }
    void stack;
    return { prim: index.path, set, options, selection };
  });
}

function flattenProperty(stage: ComposedStage, index: PrimIndex, name: string): FlatSpec | null {
  const stack = stage.propertyStack(index, name);
  if (!stack.length) return null;
  const specType = stack[0]!.spec.specType;
  if (specType === SPEC_TYPE.relationship) {
    const fields: Record<string, unknown> = {};
    const { paths } = stage.targets(index, stack, 'targetPaths');
    if (stack.some((e) => e.spec.fields['targetPaths'] !== undefined)) fields['targetPaths'] = paths;
    return { specType, fields };
  }
  const fields: Record<string, unknown> = {};
  const typeName = strongestString(stack, 'typeName');
  if (typeName) fields['typeName'] = typeName;
  for (const entry of stack) {
    const f = entry.spec.fields;
    if (f['default'] === undefined && f['timeSamples'] === undefined) continue;
    const isAsset = typeName === 'asset' || typeName === 'asset[]';
    const resolve = (v: unknown): unknown => (isAsset ? resolveAsset(entry.layer.key, v) : v);
    if (f['timeSamples'] !== undefined) {
      const samples = f['timeSamples'] as TimeSamples;
      const offset = entry.node.mapToRoot.offset;
      const layerOffset = entry.node.layerStack.offsets[entry.layerIndex] ?? { offset: 0, scale: 1 };
      const scale = offset.scale * layerOffset.scale;
      const shift = offset.offset + offset.scale * layerOffset.offset;
      const times: number[] = [];
      const values: unknown[] = [];
      samples.times.forEach((t, i) => {
        if (isValueBlock(samples.values[i])) return;
        times.push(shift + scale * t);
        values.push(resolve(samples.values[i]));
      });
      if (times.length) fields['timeSamples'] = { times, values };
    }
    if (f['default'] !== undefined && !isValueBlock(f['default'])) fields['default'] = resolve(f['default']);
    break;
  }
  for (const meta of ATTRIBUTE_METADATA) {
    for (const entry of stack) {
      const v = entry.spec.fields[meta];
      if (v !== undefined) {
        fields[meta] = v;
        break;
      }
    }
  }
  if (stack.some((e) => e.spec.fields['connectionPaths'] !== undefined)) fields['connectionPaths'] = stage.targets(index, stack, 'connectionPaths').paths;
  return { specType: SPEC_TYPE.attribute, fields };
}

function resolveAsset(layerKey: string, value: unknown): unknown {
  if (typeof value === 'string') return value ? resolveAssetKey(layerKey, value) : value;
  if (Array.isArray(value)) return value.map((v) => resolveAsset(layerKey, v));
  return value;
}

// ---------------------------------------------------------------- copying subtrees

function rebaseValue(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.startsWith('/') ? (replacePrefix(value, from, to) ?? value) : value;
  if (Array.isArray(value)) return value.map((v) => rebaseValue(v, from, to));
  return value;
}

/** The specs at and under `root` (walked through primChildren, properties by prefix), in a list. */
function subtree(specs: Record<string, FlatSpec>, root: string, properties: ReadonlyMap<string, string[]>): [string, FlatSpec][] {
  const out: [string, FlatSpec][] = [];
  const stack = [root];
  while (stack.length) {
    const prim = stack.pop()!;
    const spec = specs[prim];
    if (!spec) continue;
    out.push([prim, spec]);
    for (const property of properties.get(prim) ?? []) out.push([property, specs[property]!]);
    const children = spec.fields['primChildren'];
    if (Array.isArray(children)) for (const name of children as string[]) stack.push(childPath(prim, name));
  }
  return out;
}

/** Writes `entries` (a subtree at `from`) again at `to`; targets inside the subtree follow it. Returns the prims written. */
function copyEntries(specs: Record<string, FlatSpec>, entries: readonly [string, FlatSpec][], from: string, to: string, opts: { includeRoot: boolean }, properties?: Map<string, string[]>): number {
  let prims = 0;
  for (const [path, spec] of entries) {
    if (!opts.includeRoot && (path === from || path.startsWith(`${from}.`))) continue;
    const target = replacePrefix(path, from, to)!;
    const fields = { ...spec.fields };
    for (const field of ['targetPaths', 'connectionPaths']) if (fields[field] !== undefined) fields[field] = rebaseValue(fields[field], from, to);
    if (Array.isArray(fields['primChildren'])) fields['primChildren'] = [...(fields['primChildren'] as string[])];
    specs[target] = { specType: spec.specType, fields };
    if (spec.specType === SPEC_TYPE.prim) prims++;
    else if (properties) {
      const prim = target.slice(0, target.indexOf('.', target.lastIndexOf('/')));
      let list = properties.get(prim);
      if (!list) properties.set(prim, (list = []));
      list.push(target);
    }
  }
  return prims;
}

// ---------------------------------------------------------------- point instancers

function numbers(v: unknown): number[] {
  if (Array.isArray(v)) return v.flat(2).map(Number);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, Number);
  return [];
}

function attr(specs: Record<string, FlatSpec>, prim: string, name: string): unknown {
  const f = specs[`${prim}.${name}`]?.fields;
  if (!f) return undefined;
  if (f['default'] !== undefined) return f['default'];
  const samples = f['timeSamples'] as TimeSamples | undefined;
  return samples?.values[0];
}

function expandPointInstancers(specs: Record<string, FlatSpec>, properties: Map<string, string[]>, warnings: string[], budget: number): number {
  let made = 0;
  const isInstancer = (path: string) => specs[path]?.specType === SPEC_TYPE.prim && specs[path]!.fields['typeName'] === 'PointInstancer';
  const queue = Object.keys(specs).filter(isInstancer);
  const labelsOf = (prim: string) => (properties.get(prim) ?? []).filter((p) => p.startsWith(`${prim}.semantic`));
  while (queue.length) {
    const instancer = queue.shift()!;
    if (!specs[instancer]) continue;
    const prototypes = (specs[`${instancer}.prototypes`]?.fields['targetPaths'] as string[] | undefined) ?? [];
    const protoIndices = numbers(attr(specs, instancer, 'protoIndices'));
    const positions = numbers(attr(specs, instancer, 'positions'));
    const orientations = numbers(attr(specs, instancer, 'orientations'));
    const scales = numbers(attr(specs, instancer, 'scales'));
    const ids = numbers(attr(specs, instancer, 'ids'));
    const invisible = new Set(numbers(attr(specs, instancer, 'invisibleIds')));
    /** Instances deactivated (prim metadata): they are not made at all. */
    const inactive = new Set(numbers(specs[instancer]!.fields['inactiveIds']));
    const n = protoIndices.length;
    if (positions.length !== 3 * n) {
      warnings.push(`${instancer}: PointInstancer has ${n} protoIndices but ${positions.length / 3} positions; its instances are not made`);
      continue;
    }
    if (n > budget - made) {
      warnings.push(`${instancer}: PointInstancer has ${n} instances, more than the ${budget - made} prims left; its instances are not made`);
      continue;
    }
    // A prototype that holds the instancer would hold its own instances (USD forbids it).
    const usable = prototypes.map((proto) => {
      if (!specs[proto]) return null;
      if (hasPrefix(instancer, proto)) {
        warnings.push(`${instancer}: prototype ${proto} is the instancer or one of its ancestors; its instances are not made`);
        return null;
      }
      return subtree(specs, proto, properties);
    });
    const children = (specs[instancer]!.fields['primChildren'] as string[]) ?? [];
    const instancerLabels = labelsOf(instancer);
    for (let i = 0; i < n; i++) {
      const proto = prototypes[protoIndices[i]!];
      const entries = usable[protoIndices[i]!];
      if (!proto || !entries) {
        if (!proto || !specs[proto]) warnings.push(`${instancer}: instance ${i} names prototype ${protoIndices[i]}, which ${proto ? `(${proto}) is not a defined prim` : 'does not exist'}; skipped`);
        continue;
      }
      const id = ids.length === n ? ids[i]! : i;
      if (inactive.has(id)) continue;
      let name = `instance_${id}`;
      while (children.includes(name)) name = `${name}_`;
      children.push(name);
      const path = childPath(instancer, name);
      const order = ['xformOp:translate'];
      specs[path] = { specType: SPEC_TYPE.prim, fields: { specifier: 'def', typeName: 'Xform', primChildren: [nameOf(proto)] } };
      const own: [string, FlatSpec][] = [[`${path}.xformOp:translate`, { specType: SPEC_TYPE.attribute, fields: { typeName: 'double3', default: positions.slice(3 * i, 3 * i + 3) } }]];
      if (orientations.length === 4 * n) {
        order.push('xformOp:orient');
        own.push([`${path}.xformOp:orient`, { specType: SPEC_TYPE.attribute, fields: { typeName: 'quatf', default: orientations.slice(4 * i, 4 * i + 4) } }]);
      }
      if (scales.length === 3 * n) {
        order.push('xformOp:scale');
        own.push([`${path}.xformOp:scale`, { specType: SPEC_TYPE.attribute, fields: { typeName: 'float3', default: scales.slice(3 * i, 3 * i + 3) } }]);
      }
      own.push([`${path}.xformOpOrder`, { specType: SPEC_TYPE.attribute, fields: { typeName: 'token[]', default: order, variability: 'uniform' } }]);
      if (invisible.has(id)) own.push([`${path}.visibility`, { specType: SPEC_TYPE.attribute, fields: { typeName: 'token', default: 'invisible' } }]);
      if (!labelsOf(proto).length) for (const label of instancerLabels) own.push([`${path}${label.slice(instancer.length)}`, { specType: specs[label]!.specType, fields: { ...specs[label]!.fields } }]);
      for (const [p, spec] of own) specs[p] = spec;
      properties.set(path, own.map(([p]) => p));
      const root = childPath(path, nameOf(proto));
      made += 1 + copyEntries(specs, entries, proto, root, { includeRoot: true }, properties);
      // Instancers inside the prototype are expanded in their copies too.
      for (const [p] of entries) if (isInstancer(p)) queue.push(replacePrefix(p, proto, root)!);
    }
    // Prototypes below the instancer are drawn only through it; the instancer's labels moved to its instances.
    for (const proto of new Set(prototypes)) {
      if (!hasPrefix(proto, instancer) || proto === instancer || !specs[proto]) continue;
      const parent = proto.slice(0, proto.lastIndexOf('/')) || '/';
      const siblings = specs[parent]?.fields['primChildren'];
      if (Array.isArray(siblings)) specs[parent]!.fields['primChildren'] = siblings.filter((c) => c !== nameOf(proto));
      for (const [p] of subtree(specs, proto, properties)) delete specs[p];
    }
    for (const label of instancerLabels) delete specs[label];
    specs[instancer]!.fields['primChildren'] = children;
  }
  return made;
}

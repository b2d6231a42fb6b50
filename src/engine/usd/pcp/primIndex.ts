/**
 * Prim indexes: for one prim of the composed stage, the graph of every site (layer stack + path)
 * that contributes opinions to it, ordered by strength — OpenUSD's PcpPrimIndex, built the way
 * Pcp builds it. A prim's index starts from its parent's (ancestral arcs carry down to children),
 * then the arcs authored at each site are evaluated in a fixed order: references, payloads,
 * inherits, implied classes, specializes, then variant sets (whose selections may come from any
 * site, strongest first). Sibling arcs sort LIVRPS (local, inherits, variants, references,
 * payloads, specializes), then by the namespace depth that introduced them, the strength of their
 * origin and their order in the authored list. Class-based arcs (inherits, specializes) found
 * across a reference are implied back into the referencing layer stack, so local overrides of a
 * class reach referenced instances. Specializes subtrees are weaker than everything else in the
 * index; `strengthOrder` places them last.
 *
 * Not composed: relocates (reported), permissions and symmetry (Csd-era features), value clips,
 * dynamic file formats and expression variables. Errors (missing layers, cycles, bad targets) are
 * collected, never thrown: the index keeps what could be composed.
 */
import { resolveAssetKey } from '../../scene/assets.ts';
import {
  childPath,
  hasPrefix,
  isVariantSelectionPath,
  namespaceDepth,
  nameOf,
  parentPath,
  replacePrefix,
  stripVariantSelections,
  variantPath,
  variantSelectionOf,
  SPEC_TYPE,
  type LayerOffset,
  type SdfReference,
} from '../sdf.ts';
import { composeListField, composeOffsets, timeCodesPerSecond, type LayerStack } from './layerStack.ts';
import { MapFunction } from './mapFunction.ts';

export const ARC = { root: 0, inherit: 1, variant: 2, relocate: 3, reference: 4, payload: 5, specialize: 6 } as const;
export type ArcType = (typeof ARC)[keyof typeof ARC];
export const ARC_NAMES = ['root', 'inherit', 'variant', 'relocate', 'reference', 'payload', 'specialize'] as const;

const isClassBased = (arc: ArcType) => arc === ARC.inherit || arc === ARC.specialize;

export class PcpNode {
  children: PcpNode[] = [];
  inert = false;
  culled = false;
  hasSpecs = false;
  /** True for nodes carried down from the parent prim's index. */
  dueToAncestor = false;
  private rootMap: MapFunction | null = null;

  constructor(
    readonly graph: PcpGraph,
    public seq: number,
    readonly arc: ArcType,
    readonly layerStack: LayerStack,
    public path: string,
    public parent: PcpNode | null,
    public origin: PcpNode | null,
    readonly mapToParent: MapFunction,
    readonly siblingNum: number,
    /** Namespace depth of the site that introduced the arc. */
    readonly namespaceDepth: number,
  ) {}

  get canContributeSpecs(): boolean {
    return !this.inert && !this.culled;
  }

  get depthBelowIntroduction(): number {
    return this.parent ? this.parent.pathDepth - this.namespaceDepth : 0;
  }

  private depthOf: [string, number] | null = null;
  /** namespaceDepth(path), kept while the path stays the same. */
  get pathDepth(): number {
    if (!this.depthOf || this.depthOf[0] !== this.path) this.depthOf = [this.path, namespaceDepth(this.path)];
    return this.depthOf[1];
  }

  get pathAtIntroduction(): string {
    let path = this.path;
    const depth = this.depthBelowIntroduction;
    if (depth <= 0) return path;
    if (!path.includes('{')) {
      // A plain prim path: cut at the depth-th "/" from the end.
      let cut = path.length;
      for (let d = depth; d > 0 && cut > 0; d--) cut = path.lastIndexOf('/', cut - 1);
      return cut <= 0 ? '/' : path.slice(0, cut);
    }
    for (let d = depth; d > 0; d--) {
      while (isVariantSelectionPath(path)) path = parentPath(path);
      path = parentPath(path);
    }
    return path;
  }

  get mapToRoot(): MapFunction {
    if (!this.rootMap) this.rootMap = this.parent ? this.parent.mapToRoot.compose(this.mapToParent) : MapFunction.identity;
    return this.rootMap;
  }

  get root(): PcpNode {
    let n: PcpNode = this;
    while (n.parent) n = n.parent;
    return n;
  }

  get site(): string {
    return `${this.layerStack.id}@${this.path}`;
  }
}

export class PcpGraph {
  root!: PcpNode;
  /** Nodes made in this graph (culled ones included). */
  size = 0;
  private nextSeq = 0;
  constructor(private readonly budget: { left: number } | null = null) {}
  takeSeq(): number {
    this.size++;
    if (this.budget && --this.budget.left < 0) throw new CompositionLimitError();
    return this.nextSeq++;
  }
}

/** A scene whose composition would need more sites than any real one (arcs multiplying without end). */
export class CompositionLimitError extends Error {
  constructor() {
    super(`composing needs more than ${MAX_TOTAL_NODES} sites in all`);
  }
}

/** A site whose layer stack has a prim (or variant) spec at its path. */
function siteHasPrimSpecs(stack: LayerStack, path: string): boolean {
  for (const layer of stack.layers) {
    const spec = layer.specs.get(path);
    if (spec && (spec.specType === SPEC_TYPE.prim || spec.specType === SPEC_TYPE.variant)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- strength order

/**
 * The nodes of a graph, strongest first: a pre-order walk, except that every specializes subtree
 * comes after everything else. Pcp gets there by copying each specializes subtree under the root
 * (its origin left in place, inert); here the subtrees stay where they are and are ordered as those
 * copies would be (compareSpecializes).
 */
export function strengthOrder(root: PcpNode, includeCulled = false): PcpNode[] {
  const out: PcpNode[] = [];
  const specializes: PcpNode[] = [];
  const collect = (node: PcpNode) => {
    for (const child of node.children) {
      if (child.culled && !includeCulled) continue;
      if (child.arc === ARC.specialize) specializes.push(child);
      collect(child);
    }
  };
  collect(root);
  const walk = (node: PcpNode) => {
    if (node.culled && !includeCulled) return;
    out.push(node);
    for (const child of node.children) if (child.arc !== ARC.specialize) walk(child);
  };
  walk(root);
  if (specializes.length > 1) {
    const pre = preOrder(root);
    const views = new Map(specializes.map((n) => [n, specializesView(n)] as const));
    specializes.sort((a, b) => compareSpecializes(a, b, pre, views));
  }
  for (const node of specializes) walk(node);
  return out;
}

function preOrder(root: PcpNode): Map<PcpNode, number> {
  const order = new Map<PcpNode, number>();
  const walk = (n: PcpNode) => {
    order.set(n, order.size);
    n.children.forEach(walk);
  };
  walk(root);
  return order;
}

/** How a specializes node would sit as Pcp's copy under the root: its origin, origin root and distance to it. */
function specializesView(node: PcpNode): { origin: PcpNode; authored: boolean; implied: boolean; originRoot: PcpNode; distance: number; depth: number } {
  const root = node.root;
  const underRoot = node.parent === root;
  const origin = underRoot ? (node.origin ?? root) : node;
  const authored = underRoot && node.origin === node.parent;
  let originRoot = node;
  let distance = 0;
  if (!authored) {
    originRoot = origin;
    distance = 1;
    while (originRoot.origin && originRoot.origin !== originRoot.parent) {
      originRoot = originRoot.origin;
      distance++;
    }
  }
  const implied = underRoot && !authored && (node.layerStack !== origin.layerStack || node.path !== origin.path);
  const depth = underRoot ? node.namespaceDepth : namespaceDepth(root.path) - node.depthBelowIntroduction;
  return { origin, authored, implied, originRoot, distance, depth };
}

function classHierarchyDepth(node: PcpNode): number {
  if (!isClassBased(node.arc)) return node.namespaceDepth;
  let [instance] = startingNodeOfClassHierarchy(node);
  while (instance.arc === ARC.relocate && instance.parent) instance = instance.parent;
  return instance.namespaceDepth;
}

/** Pcp's ordering of specializes arcs once all are weaker than everything else (strengthOrdering.cpp). */
function compareSpecializes(a: PcpNode, b: PcpNode, pre: ReadonlyMap<PcpNode, number>, views: ReadonlyMap<PcpNode, ReturnType<typeof specializesView>>): number {
  const va = views.get(a)!;
  const vb = views.get(b)!;
  const nested = isAncestorOrSelf(va.originRoot, vb.originRoot) || isAncestorOrSelf(vb.originRoot, va.originRoot);
  if (!nested && va.depth !== vb.depth) return vb.depth - va.depth;
  if (va.origin === vb.origin) {
    if (!va.authored && !vb.authored && va.implied !== vb.implied) return va.implied ? -1 : 1;
  } else if (va.originRoot !== vb.originRoot) {
    return (pre.get(va.originRoot) ?? 0) - (pre.get(vb.originRoot) ?? 0);
  } else {
    const da = va.authored ? 0 : classHierarchyDepth(va.origin);
    const db = vb.authored ? 0 : classHierarchyDepth(vb.origin);
    if (da !== db) return da - db;
    if (va.distance !== vb.distance) return vb.distance - va.distance;
    const rootStack = a.root.layerStack;
    if (a.layerStack === rootStack && b.layerStack === rootStack && !va.authored && !vb.authored && va.implied !== vb.implied) return va.implied ? -1 : 1;
    const r = (pre.get(va.origin) ?? 0) - (pre.get(vb.origin) ?? 0);
    if (r !== 0) return r;
  }
  return a.siblingNum - b.siblingNum;
}

function originRootOf(node: PcpNode): [PcpNode, number] {
  let n = node;
  let distance = 0;
  while (n.origin && n.origin !== n.parent) {
    n = n.origin;
    distance++;
  }
  return [n, distance];
}

function isAncestorOrSelf(a: PcpNode, b: PcpNode): boolean {
  for (let n: PcpNode | null = b; n; n = n.parent) if (n === a) return true;
  return false;
}

/** Which of two origins comes first in a strong-to-weak walk of the graph. */
function originIsStronger(root: PcpNode, a: PcpNode, b: PcpNode): number {
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === a) return -1;
    if (n === b) return 1;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return 0;
}

function compareSiblings(a: PcpNode, b: PcpNode): number {
  if (a.arc !== b.arc) return a.arc - b.arc;
  if (a.namespaceDepth !== b.namespaceDepth) return b.namespaceDepth - a.namespaceDepth;
  if (a.origin !== b.origin && a.origin && b.origin) {
    const r = originIsStronger(a.root, a.origin, b.origin);
    if (r !== 0) return r;
  }
  return a.siblingNum - b.siblingNum;
}

function insertChild(parent: PcpNode, child: PcpNode): void {
  let i = 0;
  while (i < parent.children.length && compareSiblings(parent.children[i]!, child) <= 0) i++;
  parent.children.splice(i, 0, child);
}

// ---------------------------------------------------------------- cloning and grafting

/** A copy of `root`'s subtree in `graph` under `parent` (null: as the graph's root), origins kept inside the copy. */
function copySubtree(graph: PcpGraph, root: PcpNode, parent: PcpNode | null, arc?: { arc: ArcType; origin: PcpNode | null; map: MapFunction; siblingNum: number; namespaceDepth: number }): PcpNode {
  const copies = new Map<PcpNode, PcpNode>();
  const copy = (node: PcpNode, newParent: PcpNode | null): PcpNode => {
    const top = node === root && arc;
    const n = new PcpNode(
      graph,
      graph.takeSeq(),
      top ? arc.arc : node.arc,
      node.layerStack,
      node.path,
      newParent,
      null,
      top ? arc.map : node.mapToParent,
      top ? arc.siblingNum : node.siblingNum,
      top ? arc.namespaceDepth : node.namespaceDepth,
    );
    n.inert = node.inert;
    n.culled = node.culled;
    n.hasSpecs = node.hasSpecs;
    n.dueToAncestor = node.dueToAncestor;
    copies.set(node, n);
    for (const child of node.children) n.children.push(copy(child, n));
    return n;
  };
  const top = copy(root, parent);
  for (const [from, to] of copies) {
    if (from === root && arc) to.origin = arc.origin;
    else to.origin = from.origin ? (copies.get(from.origin) ?? null) : null;
  }
  return top;
}

// ---------------------------------------------------------------- inputs and the cache

export interface PcpInputs {
  /** A layer stack by root layer key; null when the layer was not given (an error is recorded). */
  layerStack(key: string): LayerStack | null;
  /** Why a layer could not be opened, for the error naming the arc (a default is used otherwise). */
  missingLayer?: (key: string) => string | undefined;
  /** Variant set → selections to use when none is authored, first available wins. */
  variantFallbacks?: Readonly<Record<string, readonly string[]>>;
  /** Whether the payloads of the prim at this (composed) path are loaded; all by default. */
  includePayload?: (primPath: string) => boolean;
  /** Instanceable prims compose as instances (their descendants ignore local opinions). */
  instancing?: boolean;
  /** Scale reference offsets by the ratio of timeCodesPerSecond (default; off is OpenUSD's legacy mode). */
  timeScaling?: boolean;
}

export interface PcpError {
  /** The composed prim whose index found it. */
  prim: string;
  message: string;
}

/** One level of recursive indexing (an arc to a subroot prim builds that prim's index first). */
interface Frame {
  parentNode: PcpNode;
  arc: ArcType;
  requestedPath: string;
  requestedStack: LayerStack;
  previous: Frame | null;
  skipDuplicateNodes: boolean;
}

export class PrimIndex {
  constructor(
    readonly path: string,
    readonly root: PcpNode,
    readonly errors: PcpError[],
    readonly instanceable: boolean,
  ) {}

  /** Contributing nodes, strongest first. */
  nodes(): PcpNode[] {
    return strengthOrder(this.root);
  }
}

/** Sites in one prim's index (real assets have tens) and in the whole composition. */
const MAX_NODES = 512;
export const MAX_TOTAL_NODES = 250_000;
const MAX_RECURSION = 64;

export class PcpCache {
  private readonly indexes = new Map<string, PrimIndex>();
  readonly errors: PcpError[] = [];
  /** What is left of MAX_TOTAL_NODES. */
  readonly budget = { left: MAX_TOTAL_NODES };

  constructor(
    readonly rootStack: LayerStack,
    readonly inputs: PcpInputs,
  ) {}

  /** The paths, in the stage's namespace, that some prim inherits or specializes from the root layer stack. */
  classSites(): Set<string> {
    const out = new Set<string>();
    for (const index of this.indexes.values()) {
      for (const node of strengthOrder(index.root, true)) {
        if ((node.arc === ARC.inherit || node.arc === ARC.specialize) && node.layerStack === this.rootStack) out.add(stripVariantSelections(node.path));
      }
    }
    return out;
  }

  /** The index of a prim (or variant-selection path) in the root layer stack, cached. */
  primIndex(path: string): PrimIndex {
    const cached = this.indexes.get(path);
    if (cached) return cached;
    const errors: PcpError[] = [];
    const graph = buildIndex(this, this.rootStack, path, null, true, errors, path, 0);
    cull(graph.root, this.rootStack);
    const index = new PrimIndex(path, graph.root, errors, this.inputs.instancing !== false && isInstanceable(graph.root));
    this.indexes.set(path, index);
    this.errors.push(...errors);
    return index;
  }
}

// ---------------------------------------------------------------- building

interface Task {
  type: number;
  node: PcpNode;
  vset?: string;
  vsetNum?: number;
  /** Where the variant set is authored (the node's own path, or an ancestor's for ancestral variants). */
  vsetPath?: string;
}

/** Task types in the order they run (Pcp's priority order, without relocates and dynamic payloads). */
const TASK = {
  references: 0,
  payloads: 1,
  inherits: 2,
  impliedClasses: 3,
  specializes: 4,
  ancestralVariantSets: 5,
  ancestralVariantAuthored: 6,
  ancestralVariantFallback: 7,
  ancestralVariantNoneFound: 8,
  variantSets: 9,
  variantAuthored: 10,
  variantFallback: 11,
  variantNoneFound: 12,
} as const;

const VARIANT_SELECTION_TASKS: ReadonlySet<number> = new Set([
  TASK.ancestralVariantAuthored,
  TASK.ancestralVariantFallback,
  TASK.ancestralVariantNoneFound,
  TASK.variantAuthored,
  TASK.variantFallback,
  TASK.variantNoneFound,
]);

class Indexer {
  private tasks: Task[] = [];
  constructor(
    readonly cache: PcpCache,
    readonly graph: PcpGraph,
    readonly frame: Frame | null,
    readonly errors: PcpError[],
    readonly primPath: string,
    readonly depth: number,
    /** Recursive builds leave variants to the index they are grafted into, which knows stronger selections. */
    readonly evaluateVariants: boolean,
  ) {}

  error(message: string): void {
    this.errors.push({ prim: this.primPath, message });
  }

  add(task: Task): void {
    if ((task.type === TASK.impliedClasses || task.type === TASK.ancestralVariantSets || task.type === TASK.variantSets) && this.tasks.some((t) => t.type === task.type && t.node === task.node)) return;
    if (VARIANT_SELECTION_TASKS.has(task.type) && this.tasks.some((t) => VARIANT_SELECTION_TASKS.has(t.type) && t.node === task.node && t.vset === task.vset && t.vsetPath === task.vsetPath)) return;
    this.tasks.push(task);
  }

  pop(): Task | undefined {
    if (!this.tasks.length) return undefined;
    let best = 0;
    /** The graph's strength order, computed once per pop when variant tasks need comparing. */
    let order: Map<PcpNode, number> | null = null;
    const rank = (node: PcpNode) => {
      order ??= new Map(strengthOrder(node.root, true).map((n, i) => [n, i]));
      return order.get(node) ?? Infinity;
    };
    for (let i = 1; i < this.tasks.length; i++) if (this.higher(this.tasks[i]!, this.tasks[best]!, rank)) best = i;
    return this.tasks.splice(best, 1)[0];
  }

  /** True when `a` runs before `b`. */
  private higher(a: Task, b: Task, rank: (node: PcpNode) => number): boolean {
    if (a.type !== b.type) return a.type < b.type;
    if (a.type === TASK.impliedClasses) return a.node.seq > b.node.seq;
    if (a.type === TASK.variantAuthored || a.type === TASK.variantFallback || a.type === TASK.ancestralVariantAuthored || a.type === TASK.ancestralVariantFallback) {
      if (a.node !== b.node) return rank(a.node) < rank(b.node);
      if (a.vsetPath !== b.vsetPath) return (a.vsetPath ?? '') > (b.vsetPath ?? '');
      return (a.vsetNum ?? 0) < (b.vsetNum ?? 0);
    }
    return a.node.seq < b.node.seq;
  }

  /** Variant sets that found no selection become authored tasks again (a new variant may select them). */
  retryVariants(): void {
    for (const t of this.tasks) {
      if (t.type === TASK.variantFallback || t.type === TASK.variantNoneFound) t.type = TASK.variantAuthored;
      else if (t.type === TASK.ancestralVariantFallback || t.type === TASK.ancestralVariantNoneFound) t.type = TASK.ancestralVariantAuthored;
    }
  }

  addTasksForNode(node: PcpNode, skipExpressedArcs: boolean, ancestralVariants: boolean): void {
    if (isClassBased(node.arc)) {
      const start = startingNodeForImpliedClasses(node);
      if (start) this.add({ type: TASK.impliedClasses, node: start });
    } else if (node.children.some((c) => isClassBased(c.arc))) {
      this.add({ type: TASK.impliedClasses, node });
    }
    this.addTasksRecursively(node, skipExpressedArcs, ancestralVariants);
  }

  addTasksRecursively(node: PcpNode, skipExpressedArcs: boolean, ancestralVariants: boolean): void {
    for (const child of node.children) this.addTasksRecursively(child, skipExpressedArcs, ancestralVariants);
    if (!node.canContributeSpecs) return;
    if (ancestralVariants && hasAncestralVariantSets(node)) this.add({ type: TASK.ancestralVariantSets, node });
    if (!node.hasSpecs) return;
    const arcs = scanArcs(node);
    if (this.evaluateVariants && arcs.has('variantSetNames')) this.add({ type: TASK.variantSets, node });
    if (skipExpressedArcs) return;
    if (arcs.has('specializes')) this.add({ type: TASK.specializes, node });
    if (arcs.has('inheritPaths')) this.add({ type: TASK.inherits, node });
    if (arcs.has('payload')) this.add({ type: TASK.payloads, node });
    if (arcs.has('references')) this.add({ type: TASK.references, node });
  }

  run(): void {
    for (let task = this.pop(); task; task = this.pop()) {
      if (this.graph.size > MAX_NODES) {
        this.error(`${stripVariantSelections(this.primPath)}: composing it needs more than ${MAX_NODES} sites (arcs that keep bringing each other in); the rest is skipped`);
        return;
      }
      switch (task.type) {
        case TASK.references:
          this.evalRefsOrPayloads(task.node, ARC.reference);
          break;
        case TASK.payloads:
          this.evalRefsOrPayloads(task.node, ARC.payload);
          break;
        case TASK.inherits:
          this.evalClassArcs(task.node, ARC.inherit);
          break;
        case TASK.specializes:
          this.evalClassArcs(task.node, ARC.specialize);
          break;
        case TASK.impliedClasses:
          this.evalImpliedClasses(task.node);
          break;
        case TASK.ancestralVariantSets:
          this.evalAncestralVariantSets(task.node);
          break;
        case TASK.variantSets:
          this.evalVariantSets(task.node);
          break;
        case TASK.ancestralVariantAuthored:
        case TASK.variantAuthored:
          this.evalVariant(task, false);
          break;
        case TASK.ancestralVariantFallback:
        case TASK.variantFallback:
          this.evalVariant(task, true);
          break;
        default:
          break;
      }
    }
  }

  // ---- references and payloads

  private evalRefsOrPayloads(node: PcpNode, arc: ArcType): void {
    if (!node.canContributeSpecs) return;
    const field = arc === ARC.reference ? 'references' : 'payload';
    const kind = arc === ARC.reference ? 'reference' : 'payload';
    if (arc === ARC.payload && this.cache.inputs.includePayload && !this.cache.inputs.includePayload(this.primPath)) return;
    const items = composeListField<SdfReference>(node.layerStack, node.path, field, referenceKey);
    items.forEach(({ item, layer }, arcNum) => {
      const source = node.layerStack.layers[layer]!;
      const where = `${source.key}: ${stripVariantSelections(node.path)} ${kind}s ${item.assetPath ? `@${item.assetPath}@` : ''}${item.primPath ? `<${item.primPath}>` : ''}`;
      if (item.primPath && (!item.primPath.startsWith('/') || item.primPath.includes('.') || item.primPath.includes('{'))) {
        this.error(`${where}: the target must be an absolute prim path`);
        return;
      }
      let stack: LayerStack;
      if (!item.assetPath) stack = node.layerStack;
      else {
        const key = resolveAssetKey(source.key, item.assetPath);
        const found = this.cache.inputs.layerStack(key);
        if (!found) {
          const why = this.cache.inputs.missingLayer?.(key) ?? 'could not be opened (not among the files given, or not a USD layer)';
          this.error(`${where}: ${key} ${why}; its opinions are missing`);
          return;
        }
        stack = found;
      }
      let primPath = item.primPath;
      if (!primPath) {
        const defaultPrim = stack.root.specs.get('/')?.fields['defaultPrim'];
        if (typeof defaultPrim !== 'string' || !defaultPrim) {
          this.error(`${where}: ${stack.root.key} names no defaultPrim, so the ${kind} must name a prim`);
          return;
        }
        primPath = defaultPrim.startsWith('/') ? defaultPrim : `/${defaultPrim}`;
      }
      let offset = composeOffsets(node.layerStack.offsets[layer] ?? { offset: 0, scale: 1 }, item.layerOffset ?? { offset: 0, scale: 1 });
      // A layer authored at another timeCodesPerSecond is scaled into the referencing layer's time.
      if (item.assetPath && this.cache.inputs.timeScaling !== false) {
        const from = timeCodesPerSecond(source);
        const to = timeCodesPerSecond(stack.root);
        if (from !== to) offset = { offset: offset.offset, scale: (offset.scale * from) / to };
      }
      let map = MapFunction.create([[primPath, stripVariantSelections(node.path)]], offset);
      if (!item.assetPath) map = map.withRootIdentity();
      this.addArc(arc, node, node, stack, primPath, map, arcNum, namespaceDepth(node.path), {
        contributes: true,
        ancestral: namespaceDepth(primPath) > 1,
        skipDuplicates: false,
      });
    });
  }

  // ---- inherits and specializes

  private evalClassArcs(node: PcpNode, arc: ArcType): void {
    if (!node.canContributeSpecs) return;
    const field = arc === ARC.inherit ? 'inheritPaths' : 'specializes';
    const items = composeListField<string>(node.layerStack, node.path, field, (p) => p);
    items.forEach(({ item: path }, arcNum) => {
      if (!path.startsWith('/') || path.includes('.') || path.includes('{') || path === '/') {
        this.error(`${stripVariantSelections(node.path)}: ${ARC_NAMES[arc]} target <${path}> must be an absolute prim path without variant selections`);
        return;
      }
      const map = MapFunction.create([[path, stripVariantSelections(node.path)]]).withRootIdentity();
      this.addClassBasedArc(arc, node, node, map, arcNum, null);
    });
  }

  private addClassBasedArc(arc: ArcType, parent: PcpNode, origin: PcpNode, map: MapFunction, arcNum: number, ignoreIfSameAs: { stack: LayerStack; path: string } | null): PcpNode | null {
    const inheritPath = determineInheritPath(parent.path, map);
    if (inheritPath === null) return null;
    const existing = parent.children.find((c) => c.layerStack === parent.layerStack && c.path === inheritPath);
    if (existing) return existing;
    const contributes = inheritPath !== parent.path && !(ignoreIfSameAs && ignoreIfSameAs.stack === parent.layerStack && ignoreIfSameAs.path === inheritPath);
    return this.addArc(arc, parent, origin, parent.layerStack, inheritPath, map, arcNum, namespaceDepth(parent.path), {
      contributes,
      skipDuplicates: contributes,
      ancestral: contributes && namespaceDepth(inheritPath) > 1,
    });
  }

  private evalImpliedClasses(node: PcpNode): void {
    if (!node.parent) return;
    if (!node.children.some((c) => isClassBased(c.arc))) return;
    const transfer = node.mapToParent.withRootIdentity();
    this.evalImpliedClassTree(node.parent, node, transfer, true);
  }

  private evalImpliedClassTree(dest: PcpNode, src: PcpNode, transfer: MapFunction, srcIsStart: boolean): void {
    for (const srcChild of [...src.children]) {
      if (!isClassBased(srcChild.arc)) continue;
      // The continuation of a class chain (src inherits srcChild at the same level) is not implied separately.
      if (srcIsStart && isClassBased(src.arc) && src.depthBelowIntroduction === srcChild.depthBelowIntroduction) continue;
      const destClassMap = impliedClass(transfer, srcChild.mapToParent);
      let destChild = dest.children.find((c) => c.origin === srcChild && c.mapToParent.equals(destClassMap)) ?? null;
      if (!destChild) destChild = this.addClassBasedArc(srcChild.arc, dest, srcChild, destClassMap, srcChild.siblingNum, { stack: srcChild.layerStack, path: srcChild.path });
      if (destChild && srcChild.children.some((c) => isClassBased(c.arc))) {
        const childTransfer = destClassMap.inverse().compose(transfer.compose(srcChild.mapToParent));
        this.evalImpliedClassTree(destChild, srcChild, childTransfer, false);
      }
    }
  }

  // ---- variants

  private evalVariantSets(node: PcpNode): void {
    if (!node.canContributeSpecs) return;
    const sets = composeListField<string>(node.layerStack, node.path, 'variantSetNames', (s) => s);
    sets.forEach(({ item }, vsetNum) => this.add({ type: TASK.variantAuthored, node, vset: item, vsetNum, vsetPath: node.path }));
  }

  /** Variant sets authored on the namespace ancestors of a site brought in with its ancestral opinions. */
  private evalAncestralVariantSets(node: PcpNode): void {
    for (let path = parentPath(node.path); path && path !== '/'; path = parentPath(path)) {
      const sets = composeListField<string>(node.layerStack, path, 'variantSetNames', (s) => s);
      sets.forEach(({ item }, vsetNum) => this.add({ type: TASK.ancestralVariantAuthored, node, vset: item, vsetNum, vsetPath: path }));
      if (isVariantSelectionPath(path)) break;
    }
  }

  private evalVariant(task: Task, fallbackOnly: boolean): void {
    const { node, vset, vsetNum, vsetPath } = task as Required<Task>;
    if (!node.canContributeSpecs) return;
    const ancestral = vsetPath !== node.path;
    const options = variantOptions(node.layerStack, vsetPath, vset);
    const fallbacks = this.cache.inputs.variantFallbacks?.[vset] ?? [];
    const fallback = fallbacks.find((f) => options.has(f)) ?? '';
    let selection: string | null = null;
    if (!fallbackOnly) selection = composeVariantSelection(node, vsetPath, vset);
    if (selection === null || (selection === '' && fallback)) {
      if (!fallbackOnly && fallback) {
        this.add({ ...task, type: ancestral ? TASK.ancestralVariantFallback : TASK.variantFallback });
        return;
      }
      selection = fallback;
    }
    if (!selection) {
      this.add({ ...task, type: ancestral ? TASK.ancestralVariantNoneFound : TASK.variantNoneFound });
      return;
    }
    let added: PcpNode | null;
    if (!ancestral) {
      added = this.addArc(ARC.variant, node, node, node.layerStack, variantPath(node.path, vset, selection), MapFunction.identity, vsetNum, namespaceDepth(node.path), {
        contributes: true,
        ancestral: false,
        skipDuplicates: false,
      });
    } else {
      const site = replacePrefix(node.path, vsetPath, variantPath(vsetPath, vset, selection));
      if (site === null) return;
      // Within a class arc introduced at this level, the same site may already be there.
      let skipDuplicates = false;
      for (let n: PcpNode | null = node; n && n.parent; n = n.parent) {
        if (isClassBased(n.arc) && n.depthBelowIntroduction === 0 && !n.inert) skipDuplicates = true;
      }
      added = this.addArc(ARC.variant, node, node, node.layerStack, site, MapFunction.identity, vsetNum, namespaceDepth(vsetPath), {
        contributes: true,
        ancestral: true,
        skipDuplicates,
      });
    }
    if (added) this.retryVariants();
  }

  // ---- adding arcs

  addArc(
    arc: ArcType,
    parent: PcpNode,
    origin: PcpNode,
    stack: LayerStack,
    path: string,
    map: MapFunction,
    siblingNum: number,
    depth: number,
    opts: { contributes: boolean; ancestral: boolean; skipDuplicates: boolean },
  ): PcpNode | null {
    if (arc !== ARC.variant && this.findCycle(parent, stack, path, arc, origin)) return null;
    const skipDuplicates = opts.skipDuplicates || (this.frame?.skipDuplicateNodes ?? false);
    if (skipDuplicates && this.hasNodeForSite(parent, stack, path)) return null;

    let node: PcpNode;
    if (!opts.ancestral) {
      node = new PcpNode(this.graph, this.graph.takeSeq(), arc, stack, path, parent, origin, map, siblingNum, depth);
      node.hasSpecs = siteHasPrimSpecs(stack, path);
      if (!opts.contributes) node.inert = true;
      insertChild(parent, node);
    } else {
      if (this.depth >= MAX_RECURSION) {
        this.error(`${stripVariantSelections(parent.path)}: arcs nest deeper than ${MAX_RECURSION} levels; <${path}> is skipped`);
        return null;
      }
      const frame: Frame = {
        parentNode: parent,
        arc,
        requestedPath: path,
        requestedStack: stack,
        previous: this.frame,
        skipDuplicateNodes: skipDuplicates,
      };
      const sub = buildIndex(this.cache, stack, path, frame, opts.contributes, this.errors, this.primPath, this.depth + 1, false);
      node = copySubtree(this.graph, sub.root, parent, { arc, origin, map, siblingNum, namespaceDepth: depth });
      insertChild(parent, node);
    }
    this.addTasksForNode(node, opts.ancestral, this.evaluateVariants && opts.ancestral);
    if (node.path === '/') inertSubtree(node);
    return node;
  }

  private findCycle(parent: PcpNode, stack: LayerStack, path: string, arc: ArcType, origin: PcpNode): boolean {
    // An implied class arc under another implied class arc is not a cycle by itself.
    let childPathInFrame = path;
    let frame: Frame | null = this.frame;
    let node: PcpNode | null = parent;
    while (node) {
      for (let n: PcpNode | null = node; n; n = n.parent) {
        // Stacks compared by root layer: the session layer of the user's variant choices does not make another stack here.
        if (n.layerStack.root.key === stack.root.key && (hasPrefix(n.path, childPathInFrame) || hasPrefix(childPathInFrame, n.path))) {
          if (isClassBased(arc) && parent !== origin) return false;
          this.error(
            `${stripVariantSelections(this.primPath)}: a ${ARC_NAMES[arc]} to <${path}> in ${stack.root.key} makes a composition cycle; it is skipped`,
          );
          return true;
        }
      }
      if (!frame) break;
      childPathInFrame = pathInRequestedGraph(frame.requestedPath, node.root.path, childPathInFrame);
      node = frame.parentNode;
      frame = frame.previous;
    }
    return false;
  }

  private hasNodeForSite(parent: PcpNode, stack: LayerStack, path: string): boolean {
    let sitePath = path;
    let frame: Frame | null = this.frame;
    let node: PcpNode | null = parent;
    while (node) {
      const graphRoot = node.root;
      if (anyNode(graphRoot, (n) => n.layerStack === stack && n.path === sitePath)) return true;
      if (!frame) break;
      sitePath = pathInRequestedGraph(frame.requestedPath, graphRoot.path, sitePath);
      node = frame.parentNode;
      frame = frame.previous;
    }
    return false;
  }
}

/**
 * Where a site of a graph being built for an ancestor (`graphRootPath`) of the requested path ends
 * up once the requested prim's index is done: the requested path's remaining names appended.
 */
function pathInRequestedGraph(requestedPath: string, graphRootPath: string, sitePath: string): string {
  if (requestedPath === graphRootPath) return sitePath;
  const suffix = replacePrefix(requestedPath, graphRootPath, '/');
  if (suffix === null || suffix === '/') return sitePath;
  return suffix.slice(1).split('/').reduce((p, name) => childPath(p, name), sitePath);
}

/** References compare by the file they resolve to (anchored at the layer that wrote them), prim and offset. */
function referenceKey(r: SdfReference, layer: { key: string }): string {
  return `${r.assetPath ? resolveAssetKey(layer.key, r.assetPath) : ''}<${r.primPath}>${r.layerOffset ? `${r.layerOffset.offset},${r.layerOffset.scale}` : ''}`;
}

function anyNode(root: PcpNode, test: (node: PcpNode) => boolean): boolean {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (test(node)) return true;
    for (const child of node.children) stack.push(child);
  }
  return false;
}

function inertSubtree(node: PcpNode): void {
  node.inert = true;
  for (const child of node.children) inertSubtree(child);
}

function hasAncestralVariantSets(node: PcpNode): boolean {
  for (let path = parentPath(node.path); path && path !== '/'; path = parentPath(path)) {
    for (const layer of node.layerStack.layers) if (layer.specs.get(path)?.fields['variantSetNames'] !== undefined) return true;
    if (isVariantSelectionPath(path)) break;
  }
  return false;
}

function scanArcs(node: PcpNode): Set<string> {
  const found = new Set<string>();
  for (const layer of node.layerStack.layers) {
    const fields = layer.specs.get(node.path)?.fields;
    if (!fields) continue;
    for (const name of ['variantSetNames', 'specializes', 'inheritPaths', 'payload', 'references']) if (fields[name] !== undefined) found.add(name);
  }
  return found;
}

function startingNodeForImpliedClasses(n: PcpNode): PcpNode | null {
  let start = n;
  while (isClassBased(start.arc)) {
    const [instance, classNode] = startingNodeOfClassHierarchy(start);
    start = instance;
    if (isClassBased(instance.arc) && classNode && hasPrefix(classNode.path, instance.pathAtIntroduction)) break;
  }
  return start;
}

function startingNodeOfClassHierarchy(n: PcpNode): [PcpNode, PcpNode | null] {
  const depth = n.depthBelowIntroduction;
  let instance = n;
  let classNode: PcpNode | null = null;
  while (isClassBased(instance.arc) && instance.depthBelowIntroduction === depth && instance.parent) {
    classNode = instance;
    instance = instance.parent;
  }
  return [instance, classNode];
}

/** The site path a class arc reaches from `parentPath`, variant selections kept. */
function determineInheritPath(parentPath: string, map: MapFunction): string | null {
  if (!parentPath.includes('{')) return map.mapTargetToSource(parentPath);
  let variant = parentPath;
  while (variant && !isVariantSelectionPath(variant)) variant = parentPath === '/' ? '' : parentPathOf(variant);
  const mapped = map.mapTargetToSource(stripVariantSelections(parentPath));
  if (mapped === null || !variant) return mapped;
  return replacePrefix(mapped, stripVariantSelections(variant), variant) ?? mapped;
}

const parentPathOf = (path: string) => (path === '/' ? '' : parentPath(path));

function impliedClass(transfer: MapFunction, classArc: MapFunction): MapFunction {
  if (transfer.isIdentity) return classArc;
  return transfer.compose(classArc.compose(transfer.inverse())).withRootIdentity();
}

// ---------------------------------------------------------------- variant selection

function variantOptions(stack: LayerStack, path: string, vset: string): Set<string> {
  const options = new Set<string>();
  for (const layer of stack.layers) {
    const children = layer.specs.get(`${path}{${vset}=}`)?.fields['variantChildren'];
    if (Array.isArray(children)) for (const c of children) if (typeof c === 'string') options.add(c);
  }
  return options;
}

/** Translates a namespace path at `node` up to the root, or as far up as it maps. */
function translateToRootOrClosest(node: PcpNode, path: string): [string, PcpNode] {
  const stripped = stripVariantSelections(path);
  const atRoot = node.mapToRoot.mapSourceToTarget(stripped);
  if (atRoot !== null) return [atRoot, node.root];
  let current = node;
  let currentPath = stripped;
  while (current.parent) {
    const up = current.mapToParent.mapSourceToTarget(currentPath);
    if (up === null) break;
    currentPath = up;
    current = current.parent;
  }
  return [currentPath, current];
}

/** A strong-to-weak walk below `start` with `path` translated into each node; untranslatable subtrees pruned. */
function* walkWithPath(start: PcpNode, path: string): Generator<[PcpNode, string]> {
  const visit = function* (node: PcpNode, p: string): Generator<[PcpNode, string]> {
    yield [node, p];
    const children = node.children.filter((c) => c.arc !== ARC.specialize);
    const specializes = node.children.filter((c) => c.arc === ARC.specialize);
    for (const child of [...children, ...specializes]) {
      if (child.culled) continue;
      const inChild = child.mapToParent.mapTargetToSource(p);
      if (inChild === null) continue;
      yield* visit(child, inChild);
    }
  };
  yield* visit(start, path);
}

/**
 * The selection for `vset` on the prim at `vsetPath` (the node's own path, or an ancestor's) as
 * the whole index sees it: a variant arc already chosen for it, else the strongest authored
 * selection at any site, null when none.
 */
function composeVariantSelection(node: PcpNode, vsetPath: string, vset: string): string | null {
  const [pathInStart, start] = translateToRootOrClosest(node, vsetPath);
  // A selection this index already made for the same prim and set wins.
  for (const [n, pathInNode] of walkWithPath(start, pathInStart)) {
    if (n.arc !== ARC.variant) continue;
    const intro = n.pathAtIntroduction;
    const selection = variantSelectionOf(intro);
    if (selection && selection[0] === vset && stripVariantSelections(parentPath(intro)) === pathInNode) return selection[1];
  }
  for (const [n, pathInNode] of walkWithPath(start, pathInStart)) {
    if (!n.canContributeSpecs) continue;
    let sitePath = pathInNode;
    if (n.arc === ARC.variant) {
      const intro = n.pathAtIntroduction;
      sitePath = replacePrefix(pathInNode, stripVariantSelections(intro), intro) ?? pathInNode;
    } else if (n.path.includes('{')) {
      // A node inside a variant: address its storage through the variant selections of its own path.
      const own = n.path;
      const strippedOwn = stripVariantSelections(own);
      sitePath = replacePrefix(pathInNode, strippedOwn, own) ?? pathInNode;
    }
    for (const layer of n.layerStack.layers) {
      const selections = layer.specs.get(sitePath)?.fields['variantSelection'];
      if (selections && typeof selections === 'object' && vset in (selections as Record<string, unknown>)) {
        const value = (selections as Record<string, unknown>)[vset];
        return typeof value === 'string' ? value : '';
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------- building one index

function buildIndex(
  cache: PcpCache,
  stack: LayerStack,
  path: string,
  frame: Frame | null,
  rootContributes: boolean,
  errors: PcpError[],
  primPath: string,
  depth: number,
  evaluateVariants = true,
): PcpGraph {
  const graph = new PcpGraph(cache.budget);
  if (path === '/' || isVariantSelectionPath(path)) {
    graph.root = new PcpNode(graph, graph.takeSeq(), ARC.root, stack, path, null, null, MapFunction.identity, 0, 0);
    graph.root.hasSpecs = siteHasPrimSpecs(stack, path);
    graph.root.inert = !rootContributes;
    if (path === '/') return graph;
  } else {
    const parent = parentPath(path);
    let parentRoot: PcpNode;
    let ancestorInstanceable: boolean;
    if (!frame && stack === cache.rootStack) {
      const parentIndex = cache.primIndex(parent);
      parentRoot = parentIndex.root;
      ancestorInstanceable = parentIndex.instanceable;
    } else {
      const parentGraph = buildIndex(cache, stack, parent, frame, true, errors, primPath, depth, evaluateVariants);
      parentRoot = parentGraph.root;
      ancestorInstanceable = cache.inputs.instancing !== false && isInstanceable(parentRoot);
    }
    graph.root = copySubtree(graph, parentRoot, null);
    if (ancestorInstanceable) disableNonInstanceableNodes(graph.root);
    const name = nameOf(path);
    const convert = (node: PcpNode, isRoot: boolean) => {
      node.path = childPath(node.path, name);
      node.hasSpecs = node.hasSpecs || node.path !== '' ? siteHasPrimSpecs(node.layerStack, node.path) : false;
      if (!isRoot) node.dueToAncestor = true;
      for (const child of node.children) convert(child, false);
    };
    convert(graph.root, true);
    if (!rootContributes) graph.root.inert = true;
  }
  const indexer = new Indexer(cache, graph, frame, errors, primPath, depth, evaluateVariants);
  indexer.addTasksRecursively(graph.root, false, false);
  indexer.run();
  return graph;
}

/** Culls subtrees that contribute no specs (Pcp removes them from finished indexes). */
function cull(root: PcpNode, rootStack: LayerStack): void {
  const visit = (node: PcpNode): boolean => {
    let allCulled = true;
    for (const child of node.children) if (!visit(child)) allCulled = false;
    if (node === root) return false;
    if (node.depthBelowIntroduction === 0) return false;
    if (node.arc === ARC.inherit && node.layerStack === rootStack) {
      const originNode = node.origin === node.parent ? node : originRootOf(node)[0];
      if (namespaceDepth(originNode.pathAtIntroduction) > 1) return false;
    }
    if (!allCulled) return false;
    if (node.hasSpecs && node.canContributeSpecs) return false;
    node.culled = true;
    return true;
  };
  visit(root);
  const prune = (node: PcpNode) => {
    node.children = node.children.filter((c) => !c.culled);
    node.children.forEach(prune);
  };
  prune(root);
}

// ---------------------------------------------------------------- instancing

/** A node that brings shareable content: a direct arc (or one within a direct arc's subtree) with specs. */
function instanceableWalk(root: PcpNode, visit: (node: PcpNode, instanceable: boolean) => boolean): void {
  if (!visit(root, false)) return;
  const helper = (node: PcpNode, direct: boolean) => {
    if (node.culled) return;
    const hasDirect = direct || !node.dueToAncestor;
    if (!visit(node, hasDirect && node.hasSpecs)) return;
    for (const child of node.children) helper(child, hasDirect);
  };
  for (const child of root.children) helper(child, false);
}

function isInstanceable(root: PcpNode): boolean {
  let hasData = false;
  instanceableWalk(root, (_node, instanceable) => {
    if (instanceable) hasData = true;
    return !hasData;
  });
  if (!hasData) return false;
  for (const node of strengthOrder(root)) {
    if (!node.canContributeSpecs) continue;
    for (const layer of node.layerStack.layers) {
      const value = layer.specs.get(node.path)?.fields['instanceable'];
      if (value !== undefined) return value === true;
    }
  }
  return false;
}

function disableNonInstanceableNodes(root: PcpNode): void {
  instanceableWalk(root, (node, instanceable) => {
    if (!instanceable) {
      node.inert = true;
      return true;
    }
    return false;
  });
}

/** The nodes of an instance that bring shared content, weakest first (they alone name its children). */
export function instanceableNodesWeakToStrong(root: PcpNode): PcpNode[] {
  const out: PcpNode[] = [];
  instanceableWalk(root, (node, instanceable) => {
    if (instanceable) out.push(node);
    return true;
  });
  return out.reverse();
}

/** The arcs that make an instance: equal keys share one prototype. */
export function instanceKey(index: PrimIndex): string {
  const parts: string[] = [];
  instanceableWalk(index.root, (node, instanceable) => {
    if (instanceable) parts.push(`${node.arc}:${node.layerStack.id}@${node.path}:${node.mapToRoot.offset.offset},${node.mapToRoot.offset.scale}`);
    return true;
  });
  const selections: string[] = [];
  for (const node of index.nodes()) {
    const s = variantSelectionOf(node.path);
    if (s) selections.push(`${s[0]}=${s[1]}`);
  }
  return `${parts.join('|')}#${selections.join(',')}`;
}

export type { LayerOffset };

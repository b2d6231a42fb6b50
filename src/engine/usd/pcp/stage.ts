/**
 * The composed stage over a prim-index cache: child and property names, prim and property stacks
 * (every spec that holds an opinion, strongest first), resolved metadata and values, and
 * relationship targets and connections mapped into the stage's namespace. What OpenUSD's UsdStage
 * answers, read straight from the indexes; flatten.ts turns it into one spec table for import.
 */
import { applyListOp, isListOp, propertyPath, SPEC_TYPE, stripVariantSelections, type SdfListOp, type SdfSpec } from '../sdf.ts';
import { composeNames, type PcpLayer } from './layerStack.ts';
import { instanceableNodesWeakToStrong, PcpCache, type PcpNode, type PrimIndex } from './primIndex.ts';

export interface StackEntry {
  node: PcpNode;
  layer: PcpLayer;
  /** Index of the layer in the node's layer stack. */
  layerIndex: number;
  path: string;
  spec: SdfSpec;
}

export class ComposedStage {
  constructor(readonly cache: PcpCache) {}

  index(path: string): PrimIndex {
    return this.cache.primIndex(path);
  }

  /** Nodes that may contribute to the names of children (instances: only their shared content). */
  private nameNodes(index: PrimIndex): PcpNode[] {
    return index.nodes().filter((n) => n.canContributeSpecs);
  }

  childNames(index: PrimIndex): string[] {
    const names: string[] = [];
    const seen = new Set<string>();
    const nodes = index.instanceable ? instanceableNodesWeakToStrong(index.root).filter((n) => n.canContributeSpecs) : this.nameNodes(index).reverse();
    for (const node of nodes) composeNames(node.layerStack, node.path, 'primChildren', 'primOrder', names, seen);
    return names;
  }

  /** Property names, weakest site first (in USD, `reorder properties` is not applied). */
  propertyNames(index: PrimIndex): string[] {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const node of this.nameNodes(index).reverse()) composeNames(node.layerStack, node.path, 'properties', null, names, seen);
    return names;
  }

  primStack(index: PrimIndex): StackEntry[] {
    const out: StackEntry[] = [];
    for (const node of index.nodes()) {
      if (!node.canContributeSpecs) continue;
      node.layerStack.layers.forEach((layer, layerIndex) => {
        const spec = layer.specs.get(node.path);
        if (spec && (spec.specType === SPEC_TYPE.prim || spec.specType === SPEC_TYPE.variant)) out.push({ node, layer, layerIndex, path: node.path, spec });
      });
    }
    return out;
  }

  /** The property's specs, strongest first; weaker specs of another kind (attribute vs relationship) are left out. */
  propertyStack(index: PrimIndex, name: string): StackEntry[] {
    const out: StackEntry[] = [];
    let kind: number | null = null;
    for (const node of index.nodes()) {
      if (!node.canContributeSpecs) continue;
      const path = propertyPath(node.path, name);
      node.layerStack.layers.forEach((layer, layerIndex) => {
        const spec = layer.specs.get(path);
        if (!spec) return;
        if (kind === null) kind = spec.specType;
        else if (spec.specType !== kind) {
          this.cache.errors.push({ prim: index.path, message: `${layer.key}: ${stripVariantSelections(path)} is a ${kindName(spec.specType)} here but a ${kindName(kind)} in a stronger layer; this opinion is ignored` });
          return;
        }
        out.push({ node, layer, layerIndex, path, spec });
      });
    }
    return out;
  }

  /** The strongest opinion for a prim metadata field. */
  primField(index: PrimIndex, field: string): { value: unknown; entry: StackEntry } | undefined {
    for (const entry of this.primStack(index)) {
      const value = entry.spec.fields[field];
      if (value !== undefined) return { value, entry };
    }
    return undefined;
  }

  /** A list-op metadata field (apiSchemas) composed weakest to strongest. */
  primListField<T = string>(index: PrimIndex, field: string): T[] {
    let items: T[] = [];
    const stack = this.primStack(index);
    for (let i = stack.length - 1; i >= 0; i--) {
      const value = stack[i]!.spec.fields[field];
      if (value === undefined) continue;
      const op: SdfListOp<T> = isListOp<T>(value) ? value : { listOp: true, explicit: Array.isArray(value) ? (value as T[]) : [] };
      items = applyListOp(op, items, (s) => String(s));
    }
    return items;
  }

  /**
   * Relationship targets or attribute connections, composed weakest to strongest with every path
   * mapped into the stage's namespace; paths that do not map are dropped and reported.
   */
  targets(index: PrimIndex, stack: readonly StackEntry[], field: 'targetPaths' | 'connectionPaths'): { paths: string[]; deleted: string[] } {
    let items: string[] = [];
    const deleted: string[] = [];
    for (let i = stack.length - 1; i >= 0; i--) {
      const entry = stack[i]!;
      const value = entry.spec.fields[field];
      if (value === undefined) continue;
      const op: SdfListOp<string> = isListOp<string>(value) ? value : { listOp: true, explicit: Array.isArray(value) ? (value as string[]) : [] };
      const map = (list: string[] | undefined) => {
        if (!list) return undefined;
        const out: string[] = [];
        for (const p of list) {
          const mapped = entry.node.mapToRoot.mapSourceToTarget(stripVariantSelections(p));
          if (mapped === null) {
            this.cache.errors.push({ prim: index.path, message: `${entry.layer.key}: ${stripVariantSelections(entry.path)} targets <${p}>, which lies outside what its arc brings in; the target is ignored` });
            continue;
          }
          out.push(mapped);
        }
        return out;
      };
      const mapped: SdfListOp<string> = { listOp: true };
      for (const key of ['explicit', 'added', 'prepended', 'appended', 'deleted', 'ordered'] as const) {
        const list = map(op[key]);
        if (list) mapped[key] = list;
      }
      if (mapped.deleted) for (const d of mapped.deleted) if (!deleted.includes(d)) deleted.push(d);
      items = applyListOp(mapped, items, (s) => s);
    }
    return { paths: items, deleted: deleted.filter((d) => !items.includes(d)) };
  }
}

function kindName(specType: number): string {
  return specType === SPEC_TYPE.relationship ? 'relationship' : 'attribute';
}

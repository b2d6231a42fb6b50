/**
 * Layer stacks: a root layer and, recursively, the sublayers it names, strongest first, each with
 * the time offset it is seen through (OpenUSD's PcpLayerStack). Also the per-site composition of
 * fields across a layer stack (list-ops applied weakest to strongest, scalar fields strongest
 * first). Layers are opened by key (their path relative to the root layer's folder) through the
 * loader the caller gives; asset paths written in a layer resolve against that layer's key.
 */
import { resolveAssetKey } from '../../scene/assets.ts';
import { applyListOp, isListOp, type LayerOffset, type SdfListOp, type SdfSpecs } from '../sdf.ts';

export interface PcpLayer {
  /** The layer's key: its path relative to the root layer's folder, "/"-separated. */
  key: string;
  specs: SdfSpecs;
}

export interface LayerStack {
  /** The root layer's key (and the session layer's, when there is one). */
  id: string;
  layers: PcpLayer[];
  /** Per layer: the offset from its time to the root layer's. */
  offsets: LayerOffset[];
  /** The root layer (the session layer, when there is one, comes before it). */
  root: PcpLayer;
}

/** Opens a layer by key: its specs, or null when no such file was given. May throw InputError. */
export type LayerLoader = (key: string) => SdfSpecs | null;

export const composeOffsets = (outer: LayerOffset, inner: LayerOffset): LayerOffset => ({
  offset: outer.offset + outer.scale * inner.offset,
  scale: outer.scale * inner.scale,
});

const IDENTITY: LayerOffset = { offset: 0, scale: 1 };

/** The layer stack of `rootKey` (with the session layer's stack on top when given). */
export function buildLayerStack(
  rootKey: string,
  load: (key: string) => PcpLayer | null,
  errors: string[],
  sessionKey?: string,
  /** Scale sublayer offsets by the ratio of timeCodesPerSecond (OpenUSD's default; off is its legacy mode). */
  timeScaling = true,
  /** Why a layer could not be opened (for the warning). */
  describeMissing?: (key: string) => string | undefined,
): LayerStack | null {
  const layers: PcpLayer[] = [];
  const offsets: LayerOffset[] = [];
  const visit = (layer: PcpLayer, offset: LayerOffset, chain: string[]) => {
    layers.push(layer);
    offsets.push(offset);
    const root = layer.specs.get('/')?.fields ?? {};
    const subLayers = Array.isArray(root['subLayers']) ? (root['subLayers'] as unknown[]) : [];
    const subOffsets = Array.isArray(root['subLayerOffsets']) ? (root['subLayerOffsets'] as LayerOffset[]) : [];
    const tcps = timeCodesPerSecond(layer);
    subLayers.forEach((path, i) => {
      if (typeof path !== 'string' || !path) return;
      const key = resolveAssetKey(layer.key, path);
      if (chain.includes(key) || key === layer.key) {
        errors.push(`${layer.key}: sublayer @${path}@ makes a cycle (${[...chain, layer.key, key].join(' → ')}); it is skipped`);
        return;
      }
      const sub = load(key);
      if (!sub) {
        errors.push(`${layer.key}: sublayer @${path}@ (${key}) ${describeMissing?.(key) ?? 'could not be opened'}; its opinions are missing`);
        return;
      }
      let own = subOffsets[i] ?? IDENTITY;
      // A sublayer authored at another timeCodesPerSecond is scaled into its parent's time.
      const subTcps = timeCodesPerSecond(sub);
      if (timeScaling && subTcps !== tcps) own = { offset: own.offset, scale: own.scale * (tcps / subTcps) };
      visit(sub, composeOffsets(offset, own), [...chain, layer.key]);
    });
  };
  const session = sessionKey ? load(sessionKey) : null;
  const root = load(rootKey);
  if (!root) return null;
  // The stack's time is the session layer's when it authors one (OpenUSD's rule), else the root's.
  const authored = (layer: PcpLayer, name: string) => typeof layer.specs.get('/')?.fields[name] === 'number';
  const useSession = session && (authored(session, 'timeCodesPerSecond') || (!authored(root, 'timeCodesPerSecond') && authored(session, 'framesPerSecond')));
  const stackTcps = useSession ? timeCodesPerSecond(session) : timeCodesPerSecond(root);
  const scaled = (layer: PcpLayer): LayerOffset => (timeScaling ? { offset: 0, scale: stackTcps / timeCodesPerSecond(layer) } : IDENTITY);
  if (session) visit(session, scaled(session), []);
  visit(root, scaled(root), sessionKey ? [sessionKey] : []);
  return { id: sessionKey ? `${sessionKey}+${rootKey}` : rootKey, layers, offsets, root };
}

/** A layer's timeCodesPerSecond (framesPerSecond when not authored, else 24). */
export function timeCodesPerSecond(layer: PcpLayer): number {
  const root = layer.specs.get('/')?.fields ?? {};
  const tcps = root['timeCodesPerSecond'];
  if (typeof tcps === 'number' && tcps > 0) return tcps;
  const fps = root['framesPerSecond'];
  if (typeof fps === 'number' && fps > 0) return fps;
  return 24;
}

export interface SourcedItem<T> {
  item: T;
  /** Index of the layer in the stack that authored it. */
  layer: number;
}

/**
 * A list-op field composed across the stack, weakest layer first, each item with the layer that
 * authored it (asset paths resolve against that layer).
 */
export function composeListField<T>(stack: LayerStack, path: string, field: string, key: (item: T, layer: PcpLayer) => string = (item) => JSON.stringify(item)): SourcedItem<T>[] {
  let items: SourcedItem<T>[] = [];
  for (let i = stack.layers.length - 1; i >= 0; i--) {
    const value = stack.layers[i]!.specs.get(path)?.fields[field];
    if (value === undefined) continue;
    const op: SdfListOp<T> = isListOp<T>(value) ? value : { listOp: true, explicit: Array.isArray(value) ? (value as T[]) : [value as T] };
    const keyed = applyListOp<SourcedItem<T>>(
      {
        listOp: true,
        ...(op.explicit ? { explicit: op.explicit.map((item) => ({ item, layer: i })) } : {}),
        ...(op.added ? { added: op.added.map((item) => ({ item, layer: i })) } : {}),
        ...(op.prepended ? { prepended: op.prepended.map((item) => ({ item, layer: i })) } : {}),
        ...(op.appended ? { appended: op.appended.map((item) => ({ item, layer: i })) } : {}),
        ...(op.deleted ? { deleted: op.deleted.map((item) => ({ item, layer: i })) } : {}),
        ...(op.ordered ? { ordered: op.ordered.map((item) => ({ item, layer: i })) } : {}),
      },
      items,
      (s) => key(s.item, stack.layers[s.layer]!),
    );
    items = keyed;
  }
  return items;
}

/** Names listed in a field (primChildren, properties) across the stack, weakest first, with a reorder field applied per layer. */
export function composeNames(stack: LayerStack, path: string, field: string, orderField: string | null, names: string[], seen: Set<string>): void {
  for (let i = stack.layers.length - 1; i >= 0; i--) {
    const fields = stack.layers[i]!.specs.get(path)?.fields;
    if (!fields) continue;
    const list = fields[field];
    if (Array.isArray(list)) {
      for (const name of list) {
        if (typeof name === 'string' && !seen.has(name)) {
          seen.add(name);
          names.push(name);
        }
      }
    }
    const order = orderField ? fields[orderField] : undefined;
    if (Array.isArray(order) && order.length) {
      const reordered = reorderNames(names, order.filter((n): n is string => typeof n === 'string'));
      names.splice(0, names.length, ...reordered);
    }
  }
}

function reorderNames(names: readonly string[], order: readonly string[]): string[] {
  const present = new Set(names);
  const listed = order.filter((n, i) => present.has(n) && order.indexOf(n) === i);
  if (!listed.length) return [...names];
  const listedSet = new Set(listed);
  const leading: string[] = [];
  const after = new Map<string, string[]>();
  let last: string | null = null;
  for (const name of names) {
    if (listedSet.has(name)) {
      last = name;
      after.set(name, []);
    } else if (last === null) leading.push(name);
    else after.get(last)!.push(name);
  }
  return [...leading, ...listed.flatMap((n) => [n, ...after.get(n)!])];
}

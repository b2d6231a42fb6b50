/**
 * USD composition of references (and payloads, which compose the same way once loaded): turns a
 * root layer whose prims reference other layers, or other prims of the same layer, into one
 * flattened layer that import.ts reads as if it had been written whole.
 *
 * What it follows (AOUSD Core Spec, composition; the LIVRPS strength order reduced to the arcs
 * supported here): a prim's own opinions (`def` or `over`, in the layer that authors the arc) are
 * stronger than what its references bring, and an earlier reference in the list is stronger than a
 * later one. A reference `@asset@</Target>` brings the target prim's subtree (the asset's default
 * prim when no target is named) under the referencing prim, with every path inside it (joint
 * bodies, material bindings, shader connections) moved along. Over the referenced content, the
 * stronger side's attributes and relationships replace the weaker's, a block (`= None`, or a
 * relationship set to `[]`) removes them, `active = false` removes a prim, `apiSchemas` compose as
 * list-ops, and children keep the referenced order with new ones after. Asset paths resolve
 * against the layer that authors them, and asset-valued attributes (texture files) come out as
 * paths relative to the root layer's folder. Referenced layers are composed first, so references
 * nest.
 *
 * Not followed: inherits, specializes, variant sets, sublayers, layer offsets, and the unit
 * conversion USD does not do either (a referenced layer with other units gets a warning).
 */
import { InputError } from '../errors.ts';
import { assetBytes, assetText, resolveAssetKey } from '../scene/assets.ts';
import { readUsdLayer, resolveTokenOps, type RawSpec, type UsdLayer } from './layer.ts';
import { parseTokenList, type ReferenceItem } from './primMeta.ts';

const SPEC_PRIM = 6;
const MAX_DEPTH = 32;

/** The bytes of an asset, by its path relative to the root layer's folder; undefined when absent. */
export type AssetResolver = (key: string) => Uint8Array | undefined;

/** One reference a prim of the root layer authors to another layer. */
export interface ComposedReference {
  prim: string;
  /** The asset's key: its path relative to the root layer's folder, "/"-separated. */
  asset: string;
  /** The referenced prim; null: the asset's default prim. */
  target: string | null;
}

export interface CompositionResult {
  layer: UsdLayer;
  /** The external references the root layer authors, in prim order. */
  references: ComposedReference[];
  /** Every layer reached through a reference, by key: USDA as text, binary layers as "base64:…". */
  assets: Record<string, string>;
  warnings: string[];
}

/** A resolver over a scene document's assets (or any key → text table). */
export function resolverFromAssets(assets: Readonly<Record<string, string>>): AssetResolver {
  return (key) => (key in assets ? assetBytes(assets[key]!) : undefined);
}

type Specs = Record<string, RawSpec>;

const isPrimKey = (key: string) => !key.slice(key.lastIndexOf('/')).includes('.');
const primOfKey = (key: string) => {
  const dot = key.indexOf('.', key.lastIndexOf('/'));
  return dot < 0 ? key : key.slice(0, dot) || '/';
};
const atOrUnder = (path: string, root: string) => path === root || path.startsWith(`${root}/`) || path.startsWith(`${root}.`);
const depthOf = (path: string) => path.split('/').length;

function cloneSpecs(specs: Specs): Specs {
  const out: Specs = {};
  for (const [key, spec] of Object.entries(specs)) out[key] = { specType: spec.specType, fields: { ...spec.fields } };
  return out;
}

/** Moves a path at or under `from` to sit at or under `to`; others unchanged. */
function movePath(path: string, from: string, to: string): string {
  return atOrUnder(path, from) ? to + path.slice(from.length) : path;
}

/** Moves the paths inside a property value (targets, connections, the text parser's "[</a>, </b>]"). */
function moveValue(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.replace(/(?<=^|[<[,\s])\/[^\s,<>[\]]*/g, (p) => movePath(p, from, to));
  if (Array.isArray(value)) return value.map((v) => moveValue(v, from, to));
  return value;
}

/** The subtree of `specs` at `from`, moved to `to`, with the paths inside its properties moved too. */
function rebase(specs: Specs, from: string, to: string): Specs {
  const out: Specs = {};
  for (const [key, spec] of Object.entries(specs)) {
    if (!atOrUnder(key, from)) continue;
    const fields = { ...spec.fields };
    for (const name of ['targetPaths', 'connectionPaths']) if (fields[name] !== undefined) fields[name] = moveValue(fields[name], from, to);
    if (key.includes('.rel ') && fields['default'] !== undefined) fields['default'] = moveValue(fields['default'], from, to);
    out[movePath(key, from, to)] = { specType: spec.specType, fields };
  }
  return out;
}

interface Strong {
  specs: Specs;
  /** Prim path → its own apiSchemas statements (from the text layer that authors them). */
  apiStatements: (path: string) => { op: string; value: string }[] | undefined;
  blocked: (prim: string, property: string) => boolean;
}

/** `strong` over `weak`, for every spec of `weak`; returns the merged specs of the union. */
function overlay(strong: Strong, weak: Specs): Specs {
  const out = strong.specs;
  for (const [key, weakSpec] of Object.entries(weak)) {
    const own = out[key];
    if (!isPrimKey(key)) {
      const prim = primOfKey(key);
      if (!own && !strong.blocked(prim, key.slice(prim.length + 1))) out[key] = { specType: weakSpec.specType, fields: { ...weakSpec.fields } };
      continue;
    }
    if (!own) {
      out[key] = { specType: weakSpec.specType, fields: { ...weakSpec.fields } };
      continue;
    }
    const f = own.fields;
    const w = weakSpec.fields;
    if (!f['typeName'] && w['typeName']) f['typeName'] = w['typeName'];
    if (f['specifier'] === 'over' && w['specifier'] !== 'over' && w['specifier'] !== 1) delete f['specifier'];
    if (f['active'] === undefined && w['active'] !== undefined) f['active'] = w['active'];
    if (f['xformOpOrder'] === undefined && w['xformOpOrder'] !== undefined && !strong.blocked(key, 'xformOpOrder')) f['xformOpOrder'] = w['xformOpOrder'];
    if (f['kind'] === undefined && w['kind'] !== undefined) f['kind'] = w['kind'];
    // With the statements of a text layer, its list-ops; otherwise (composed or crate layers) the union, stronger first.
    const weakApis = apiList(w['apiSchemas']);
    const ownApis = apiList(f['apiSchemas']);
    const statements = strong.apiStatements(key);
    const apis = statements ? resolveTokenOps(statements, weakApis) : [...ownApis, ...weakApis.filter((a) => !ownApis.includes(a))];
    if (apis.length) f['apiSchemas'] = { listOp: true, items: apis };
    const names = Array.isArray(w['primChildren']) ? (w['primChildren'] as string[]) : [];
    const mine = Array.isArray(f['primChildren']) ? (f['primChildren'] as string[]) : [];
    if (names.length) f['primChildren'] = [...names, ...mine.filter((n) => !names.includes(n))];
  }
  return out;
}

function apiList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (value && typeof value === 'object' && Array.isArray((value as { items?: unknown }).items)) return apiList((value as { items: unknown[] }).items);
  return [];
}

function arcItems(spec: RawSpec): ReferenceItem[] {
  const items: ReferenceItem[] = [];
  for (const name of ['references', 'payload']) {
    const value = spec.fields[name] as { items?: ReferenceItem[] } | undefined;
    if (value && Array.isArray(value.items)) items.push(...value.items);
  }
  return items;
}

/**
 * Composes `root` with the layers its prims reference. Throws InputError naming the root file and
 * the prim for a reference that cannot be followed (a missing asset, a missing target prim, a
 * cycle); everything else it cannot honour becomes a warning.
 */
export function composeUsd(root: UsdLayer, resolve: AssetResolver = () => undefined): CompositionResult {
  const warnings: string[] = [];
  const assets: Record<string, string> = {};
  const references: ComposedReference[] = [];
  const flattened = new Map<string, { layer: UsdLayer; specs: Specs }>();

  const flatten = (layer: UsdLayer, key: string, chain: string[]): Specs => {
    const done = flattened.get(key);
    if (done) return done.specs;
    let specs = cloneSpecs(layer.specs);
    const meta = layer.primMeta;
    // Asset-valued attributes (a texture's inputs:file) name files relative to this layer; the
    // flattened layer names them relative to the root's folder, as the document's asset keys are.
    for (const spec of Object.values(specs)) {
      const type = spec.fields['typeName'];
      if (type !== 'asset' && type !== 'asset[]') continue;
      const value = spec.fields['default'];
      if (typeof value === 'string') spec.fields['default'] = resolveAssetKey(key, value);
      else if (Array.isArray(value)) spec.fields['default'] = value.map((v) => (typeof v === 'string' ? resolveAssetKey(key, v) : v));
    }
    for (const [k, spec] of Object.entries(specs)) {
      for (const name of ['references', 'payload']) {
        const value = spec.fields[name];
        if (value !== undefined && !Array.isArray((value as { items?: unknown }).items)) {
          warnings.push(`${key || root.file}: ${k}: the ${name} of a ${layer.format.toUpperCase()} layer cannot be read yet; its content is not loaded`);
          delete spec.fields[name];
        }
      }
    }
    const arcPrims = Object.keys(specs)
      .filter((k) => isPrimKey(k) && specs[k]!.specType === SPEC_PRIM && arcItems(specs[k]!).length)
      .sort((a, b) => depthOf(a) - depthOf(b));
    for (const prim of arcPrims) {
      const items = arcItems(specs[prim]!);
      for (const name of ['references', 'payload']) delete specs[prim]!.fields[name];
      // References weakest first, each under the ones before it; the layer's own opinions on top.
      let weak: Specs = {};
      for (const item of [...items].reverse()) {
        const brought = follow(layer, key, chain, prim, item, specs);
        if (!brought) continue;
        weak = overlay({ specs: brought, apiStatements: () => undefined, blocked: () => false }, weak);
      }
      const strong: Specs = {};
      for (const k of Object.keys(specs)) if (atOrUnder(k, prim)) strong[k] = specs[k]!;
      const merged = overlay(
        {
          specs: strong,
          apiStatements: (path) => meta?.get(path)?.metadata.get('apiSchemas'),
          blocked: (p, property) => meta?.get(p)?.blocked.has(property) ?? false,
        },
        weak,
      );
      specs = { ...specs, ...merged };
      if (key === '') {
        for (const item of items) if (item.asset !== null) references.push({ prim, asset: resolveAssetKey('', item.asset), target: item.target });
      }
    }
    // `reorder nameChildren` puts the children it names in its order, the others after them.
    for (const [path, m] of meta ?? []) {
      const order = m.metadata.get('nameChildren')?.filter((st) => st.op === 'reorder').at(-1);
      const spec = specs[path];
      if (!order || !spec || !Array.isArray(spec.fields['primChildren'])) continue;
      const names = spec.fields['primChildren'] as string[];
      const listed = parseTokenList(order.value).filter((n) => names.includes(n));
      spec.fields['primChildren'] = [...listed, ...names.filter((n) => !listed.includes(n))];
    }
    flattened.set(key, { layer, specs });
    return specs;
  };

  /** The specs a reference brings, rebased under `prim`; null when it brings nothing. */
  const follow = (layer: UsdLayer, key: string, chain: string[], prim: string, item: ReferenceItem, ownSpecs: Specs): Specs | null => {
    const where = `${key ? `${key}: ` : ''}${prim} references ${item.asset === null ? '' : `@${item.asset}@`}${item.target ? `<${item.target}>` : ''}`;
    let source: Specs;
    let defaultPrim: string | undefined;
    if (item.asset === null) {
      source = ownSpecs;
      defaultPrim = layer.metadata.defaultPrim;
    } else {
      const assetKey = resolveAssetKey(key, item.asset);
      if (chain.includes(assetKey) || assetKey === key) throw new InputError(root.file, `${where}: a reference cycle (${[...chain, key, assetKey].filter(Boolean).join(' → ')})`);
      if (chain.length >= MAX_DEPTH) throw new InputError(root.file, `${where}: references nest deeper than ${MAX_DEPTH} layers`);
      let assetLayer = flattened.get(assetKey)?.layer;
      if (!assetLayer) {
        const bytes = resolve(assetKey);
        if (!bytes) throw new InputError(root.file, `${where}, but ${assetKey} was not given (choose it together with the scene, or open a .usdz package that holds it)`);
        assetLayer = readUsdLayer(bytes, assetKey);
        assets[assetKey] = assetText(bytes);
        const m = assetLayer.metadata;
        if ((m.metersPerUnit ?? 0.01) !== (root.metadata.metersPerUnit ?? 0.01) || (m.upAxis ?? 'Y') !== (root.metadata.upAxis ?? 'Y')) {
          warnings.push(`${assetKey}: its units or up axis differ from ${root.file}'s; USD does not convert across references, so its content is read in ${root.file}'s`);
        }
        for (const c of assetLayer.unappliedPrims) warnings.push(`${assetKey}: ${c} is not applied (inherits and specializes are not supported); skipped`);
      }
      source = flatten(assetLayer, assetKey, [...chain, key]);
      defaultPrim = assetLayer.metadata.defaultPrim;
    }
    const target = item.target ?? (defaultPrim ? `/${defaultPrim}` : null);
    if (!target) throw new InputError(root.file, `${where}: the referenced layer names no defaultPrim, so the reference must name a prim`);
    const spec = source[target];
    if (!spec || spec.specType !== SPEC_PRIM) throw new InputError(root.file, `${where}: ${target} is not a prim of ${item.asset ?? 'this layer'}`);
    if (item.asset === null && atOrUnder(prim, target)) {
      warnings.push(`${where}: a prim cannot reference itself or an ancestor; ignored`);
      return null;
    }
    const brought = rebase(source, target, prim);
    // The target's own name and place do not come along: the referencing prim keeps its own.
    delete brought[prim]!.fields['specifier'];
    return brought;
  };

  const specs = flatten(root, '', []);
  return { layer: { ...root, specs }, references, assets, warnings };
}

/**
 * USD composition for import: a root layer plus the files it reaches (sublayers, references,
 * payloads — USDA, USDC or inside a USDZ) composed as OpenUSD composes them (pcp/), with the
 * user's variant choices, and flattened into the one spec table the importer reads. Owns how
 * layers are found (keys relative to the root layer's folder, resolved against the layer that
 * names them), which files other tools need but Simloop cannot read (MaterialX, Alembic: a
 * warning), and what the scene document keeps of the composition (the references its root layer
 * authors, the layers they reach, the variant sets it could switch).
 */
import { InputError } from '../errors.ts';
import { assetBytes, assetText, resolveAssetKey } from '../scene/assets.ts';
import { contentHash, readUsdLayer, layerMetadata, type LayerMetadata, type UsdFormat, type UsdLayer } from './layer.ts';
import { flattenStage, type FlatSpec, type VariantSetInfo } from './pcp/flatten.ts';
import { buildLayerStack, type LayerStack, type PcpLayer } from './pcp/layerStack.ts';
import { CompositionLimitError, PcpCache } from './pcp/primIndex.ts';
import { ComposedStage } from './pcp/stage.ts';
import type { VariantSelection } from './variantChoice.ts';
import { childPath, isListOp, SPEC_TYPE, type SdfReference, type SdfSpec, type SdfSpecs } from './sdf.ts';

/** The bytes of an asset, by its path relative to the root layer's folder; undefined when absent. */
export type AssetResolver = (key: string) => Uint8Array | undefined;

export { parseVariantChoice, type VariantSelection } from './variantChoice.ts';

/** One reference (or payload) a prim of the root layer authors to another layer. */
export interface ComposedReference {
  prim: string;
  /** The asset's key: its path relative to the root layer's folder, "/"-separated. */
  asset: string;
  /** The referenced prim; null: the asset's default prim. */
  target: string | null;
}

/** The composed stage as one layer: what import.ts reads. */
export interface FlatLayer {
  file: string;
  format: UsdFormat;
  metadata: LayerMetadata;
  specs: Record<string, FlatSpec>;
}

export interface CompositionResult {
  layer: FlatLayer;
  /** The external references and payloads the root layer authors, in prim order. */
  references: ComposedReference[];
  /** True when the root layer composes with references and payloads alone (export can write them back as such). */
  referencesOnly: boolean;
  /** When the references are kept (referencesOnly), every layer reached, by key: USDA as text, binary layers as "base64:…". */
  assets: Record<string, string>;
  variantSets: VariantSetInfo[];
  warnings: string[];
}

export interface ComposeOptions {
  resolve?: AssetResolver;
  /** The user's variant choices, stronger than any authored selection (as a session layer would hold them). */
  variants?: readonly VariantSelection[];
}

/** A resolver over a scene document's assets (or any key → text table). */
export function resolverFromAssets(assets: Readonly<Record<string, string>>): AssetResolver {
  return (key) => (key in assets ? assetBytes(assets[key]!) : undefined);
}

/** Formats other USD tools open through plugins; Simloop names them instead of failing to parse them. */
const PLUGIN_FORMATS: Record<string, string> = {
  '.mtlx': 'MaterialX document',
  '.abc': 'Alembic archive',
  '.obj': 'OBJ mesh',
  '.gltf': 'glTF file',
  '.glb': 'glTF binary',
  '.fbx': 'FBX file',
  '.vdb': 'OpenVDB volume',
};

const SESSION_KEY = '<variant selections>';

// ---------------------------------------------------------------- caches
//
// Composing is done once per (files, variant choices): a scene opened again, or composed again
// with another variant (the studio's picker), reuses what did not change. Parsed layers are kept
// by content (a changed file is read anew); whole compositions by the root layer's content and
// the choices, checked against the content of every layer they read before they are reused.

interface ParsedLayer {
  specs: SdfSpecs;
  warnings: string[];
}
const MAX_CACHED_LAYER_BYTES = 128 * 2 ** 20;
const parsedLayers = new Map<string, ParsedLayer & { size: number }>();
let parsedBytes = 0;

function parseCached(bytes: Uint8Array, key: string): ParsedLayer {
  const id = `${key}\u0000${contentHash(bytes)}`;
  const hit = parsedLayers.get(id);
  if (hit) {
    parsedLayers.delete(id);
    parsedLayers.set(id, hit);
    return hit;
  }
  const read = readUsdLayer(bytes, key);
  const entry = { specs: read.specs, warnings: read.warnings, size: bytes.length };
  parsedLayers.set(id, entry);
  parsedBytes += bytes.length;
  for (const [oldest, layer] of parsedLayers) {
    if (parsedBytes <= MAX_CACHED_LAYER_BYTES || oldest === id) break;
    parsedLayers.delete(oldest);
    parsedBytes -= layer.size;
  }
  return entry;
}

interface CachedComposition {
  /** Every layer key the composition asked for, with the content hash it got (null: absent). */
  layers: [string, string | null][];
  result: CompositionResult;
}
const MAX_CACHED_COMPOSITIONS = 4;
const compositions = new Map<string, CachedComposition>();

/** A composition made before from the same files and choices, or undefined. */
function cachedComposition(id: string, resolve: AssetResolver): CompositionResult | undefined {
  const hit = compositions.get(id);
  if (!hit) return undefined;
  for (const [key, hash] of hit.layers) {
    const bytes = resolve(key);
    if ((bytes ? contentHash(bytes) : null) !== hash) {
      compositions.delete(id);
      return undefined;
    }
  }
  compositions.delete(id);
  compositions.set(id, hit);
  return hit.result;
}

/** Forgets cached compositions (and, with `layers`, parsed layers too): for benchmarks and tests. */
export function clearCompositionCaches(options: { layers?: boolean } = {}): void {
  compositions.clear();
  if (options.layers) {
    parsedLayers.clear();
    parsedBytes = 0;
  }
}

function keepComposition(id: string, entry: CachedComposition): void {
  compositions.set(id, entry);
  while (compositions.size > MAX_CACHED_COMPOSITIONS) compositions.delete(compositions.keys().next().value!);
}

/**
 * Composes `root` with everything it reaches. Throws InputError only when the root layer itself
 * cannot be read; a layer it names that is missing or unreadable, a cycle, an unsupported arc
 * become warnings naming the layer, the prim and the arc, and composition goes on without it.
 */
export function composeUsd(root: UsdLayer, options: ComposeOptions = {}): CompositionResult {
  const resolve = options.resolve ?? root.packaged ?? (() => undefined);
  const id = `${root.file}\u0000${root.hash}\u0000${JSON.stringify(options.variants ?? [])}`;
  const cached = cachedComposition(id, resolve);
  if (cached) return cached;
  /** What each layer key resolved to, for the cache's check. */
  const asked = new Map<string, string | null>();
  const rootKey = baseName(root.file.replace(/\[.*\]$/, '')) || 'scene.usda';
  const warnings: string[] = [...root.warnings];
  /** Every layer read, by key; turned into the document's assets only when the document keeps references. */
  const read = new Map<string, Uint8Array>();
  const layers = new Map<string, PcpLayer | null>();
  layers.set(rootKey, { key: rootKey, specs: root.specs });
  const variants = options.variants ?? [];
  if (variants.length) layers.set(SESSION_KEY, { key: SESSION_KEY, specs: sessionLayer(variants) });

  /** Why a layer is missing, for the warning that names the arc reaching it. */
  const missing = new Map<string, string>();
  const load = (key: string): PcpLayer | null => {
    if (layers.has(key)) return layers.get(key)!;
    let layer: PcpLayer | null = null;
    const plugin = PLUGIN_FORMATS[extension(key)];
    const bytes = resolve(key);
    asked.set(key, bytes ? contentHash(bytes) : null);
    if (plugin) {
      missing.set(key, `is a ${plugin}, which OpenUSD reads through a plugin Simloop does not have`);
    } else if (!bytes) {
      missing.set(key, 'was not given (choose it together with the scene, or open a folder or .usdz package that holds it)');
    } else {
      try {
        const parsed = parseCached(bytes, key);
        warnings.push(...parsed.warnings);
        layer = { key, specs: parsed.specs };
        read.set(key, bytes);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        missing.set(key, `could not be read (${e.detail})`);
      }
    }
    layers.set(key, layer);
    return layer;
  };
  const errors: string[] = [];
  const stacks = new Map<string, LayerStack | null>();
  const layerStack = (key: string): LayerStack | null => {
    if (!stacks.has(key)) stacks.set(key, load(key) ? buildLayerStack(key, load, errors, undefined, true, (k) => missing.get(k)) : null);
    return stacks.get(key)!;
  };
  const rootStack = buildLayerStack(rootKey, load, errors, variants.length ? SESSION_KEY : undefined, true, (k) => missing.get(k))!;
  if (!variants.length) stacks.set(rootKey, rootStack);
  const cache = new PcpCache(rootStack, { layerStack, missingLayer: (key) => missing.get(key), instancing: true });
  const stage = new ComposedStage(cache);
  let flat;
  try {
    flat = flattenStage(stage);
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(root.file, `${e.message}; refusing to import`);
    if (e instanceof CompositionLimitError) throw new InputError(root.file, `${e.message} (arcs that keep bringing each other in); refusing to import`);
    throw e;
  }
  warnings.push(...errors, ...flat.warnings);
  for (const choice of variants) checkChoice(root.file, choice, flat.variantSets);

  const references = authoredReferences(root.specs, rootKey);
  const referencesOnly =
    rootStack.layers.length === (variants.length ? 2 : 1) && flat.instancedPrims === 0 && !usesOtherArcs(root.specs) && !variants.length;
  const assets: Record<string, string> = {};
  if (referencesOnly && references.length) for (const [key, bytes] of read) assets[key] = assetText(bytes);
  const result: CompositionResult = {
    layer: { file: root.file, format: root.format, metadata: layerMetadata(root.specs), specs: flat.specs },
    references,
    referencesOnly,
    assets,
    variantSets: flat.variantSets,
    warnings: [...new Set(warnings)],
  };
  keepComposition(id, { layers: [...asked], result });
  return result;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function extension(key: string): string {
  const name = baseName(key);
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

/** The user's choices as the opinions of a session layer: an over per prim with its selections. */
function sessionLayer(variants: readonly VariantSelection[]): SdfSpecs {
  const specs: SdfSpecs = new Map();
  const rootChildren: string[] = [];
  specs.set('/', { specType: SPEC_TYPE.pseudoRoot, fields: { primChildren: rootChildren } });
  for (const { prim, set, selection } of variants) {
    let parent = '/';
    let children = rootChildren;
    for (const name of prim.split('/').filter(Boolean)) {
      const path = childPath(parent, name);
      let spec = specs.get(path);
      if (!spec) {
        spec = { specType: SPEC_TYPE.prim, fields: { specifier: 'over', primChildren: [] } };
        specs.set(path, spec);
        children.push(name);
      }
      parent = path;
      children = spec.fields['primChildren'] as string[];
    }
    const spec = specs.get(parent)!;
    spec.fields['variantSelection'] = { ...(spec.fields['variantSelection'] as Record<string, string> | undefined), [set]: selection };
  }
  return specs;
}

/** A choice must name a composed prim, one of its variant sets and one of that set's variants. */
function checkChoice(file: string, choice: VariantSelection, sets: readonly VariantSetInfo[]): void {
  const on = sets.filter((s) => s.prim === choice.prim);
  const text = `${choice.prim}:${choice.set}=${choice.selection}`;
  if (!on.length) {
    const prims = [...new Set(sets.map((s) => s.prim))];
    throw new InputError(file, `variant ${text}: ${choice.prim} has no variant sets${prims.length ? ` (prims with variant sets: ${prims.slice(0, 8).join(', ')}${prims.length > 8 ? ', …' : ''})` : ' (the scene has none)'}`);
  }
  const set = on.find((s) => s.set === choice.set);
  if (!set) throw new InputError(file, `variant ${text}: ${choice.prim} has no variant set "${choice.set}" (it has ${on.map((s) => `"${s.set}"`).join(', ')})`);
  if (!set.options.includes(choice.selection)) {
    throw new InputError(file, `variant ${text}: "${choice.set}" has no variant "${choice.selection}" (choose one of ${set.options.map((o) => `"${o}"`).join(', ')})`);
  }
}

function listItems<T>(value: unknown): T[] {
  if (!isListOp<T>(value)) return Array.isArray(value) ? (value as T[]) : [];
  return [...(value.explicit ?? []), ...(value.prepended ?? []), ...(value.added ?? []), ...(value.appended ?? [])];
}

/** The external references and payloads authored on the root layer's prims (outside variants). */
function authoredReferences(specs: SdfSpecs, rootKey: string): ComposedReference[] {
  const out: ComposedReference[] = [];
  for (const [path, spec] of specs) {
    if (spec.specType !== SPEC_TYPE.prim || path.includes('{')) continue;
    for (const field of ['references', 'payload']) {
      for (const item of listItems<SdfReference>(spec.fields[field])) {
        if (!item.assetPath) continue;
        out.push({ prim: path, asset: resolveAssetKey(rootKey, item.assetPath), target: item.primPath || null });
      }
    }
  }
  return out;
}

/** Arcs other than references and payloads in the root layer: its composition cannot be written back as references alone. */
function usesOtherArcs(specs: SdfSpecs): boolean {
  const root: SdfSpec | undefined = specs.get('/');
  if (Array.isArray(root?.fields['subLayers']) && (root!.fields['subLayers'] as unknown[]).length) return true;
  for (const [path, spec] of specs) {
    if (path.includes('{')) return true;
    const f = spec.fields;
    if (f['inheritPaths'] !== undefined || f['specializes'] !== undefined || f['variantSetNames'] !== undefined || f['variantSelection'] !== undefined) return true;
    if (f['specifier'] === 'class') return true;
  }
  return false;
}

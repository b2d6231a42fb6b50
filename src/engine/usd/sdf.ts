/**
 * The scene-description data model every USD layer is read into, whatever its format: a table of
 * specs keyed by Sdf path, each with a spec type and named fields, as OpenUSD's Sdf keeps them
 * (and as a USDC crate file stores them). The USDA parser (usdaParser.ts) and the crate reader
 * (crate.ts) both produce it; composition (pcp/) reads it. Owns the field names, the value
 * conventions, list-ops and the path grammar (including variant selections), and nothing else:
 * no composition, no schema knowledge.
 *
 * Paths: the pseudo-root is "/"; prims "/A/B"; a variant set "/A{set=}"; a variant "/A{set=sel}";
 * a prim inside a variant "/A{set=sel}B"; nested variants "/A{set=sel}{inner=x}"; properties
 * "/A/B.name" and "/A{set=sel}B.name" (names may hold namespaces: "xformOp:translate").
 *
 * Values (what a field holds):
 * - bool → boolean; int, uint, int64, uint64, uchar, half, float, double, timecode → number
 *   (inf, -inf and nan as Infinity, -Infinity and NaN);
 * - string, token, asset → string (an asset value is the path as written, without the @s);
 * - tuples (float3, color3f, matrix4d, …) → a flat number[] in the order written, except that
 *   quaternions (quatf, quatd, quath), written (w, x, y, z) in USDA, are held as [x, y, z, w];
 * - arrays of scalars → a flat array; arrays of tuples → one flat number[] (points of a mesh:
 *   [x0, y0, z0, x1, …]);
 * - dictionary → a plain object of values;
 * - a value block (`= None` on an attribute) → VALUE_BLOCK;
 * - time samples → TimeSamples.
 */

export const SPEC_TYPE = {
  attribute: 1,
  connection: 2,
  prim: 6,
  pseudoRoot: 7,
  relationship: 8,
  relationshipTarget: 9,
  variant: 10,
  variantSet: 11,
} as const;
export type SpecTypeNumber = (typeof SPEC_TYPE)[keyof typeof SPEC_TYPE];

export interface SdfSpec {
  specType: number;
  fields: Record<string, unknown>;
}

/** A layer: its specs by path. Layer metadata lives in the fields of the "/" spec. */
export type SdfSpecs = Map<string, SdfSpec>;

/**
 * Field names (as OpenUSD's SdfFieldKeys spell them). Any other metadata authored on a spec is
 * kept under the name written (`doc` is kept as `documentation`).
 *
 * Pseudo-root "/": primChildren, defaultPrim, subLayers (string[]), subLayerOffsets
 * (LayerOffset[], one per sublayer), upAxis, metersPerUnit, kilogramsPerUnit, documentation,
 * comment, customLayerData, startTimeCode, endTimeCode, timeCodesPerSecond, framesPerSecond,
 * layerRelocates (`relocates = { </a>: </b> }` in the layer header: [source, target][]).
 *
 * Prim ("/A"), and variant ("/A{set=sel}", which carries the same fields but no specifier/typeName
 * unless written): specifier, typeName, primChildren, properties, variantSetNames
 * (SdfListOp<string>), variantSelection (Record<set, selection>), variantSetChildren (string[]),
 * references (SdfListOp<SdfReference>), payload (SdfListOp<SdfReference>), inheritPaths
 * (SdfListOp<path>), specializes (SdfListOp<path>), apiSchemas (SdfListOp<string>), kind, active,
 * instanceable, hidden, permission, primOrder (string[], from `reorder nameChildren`),
 * propertyOrder (string[], from `reorder properties`), relocates ([source, target][], paths as
 * written, made absolute), assetInfo, customData, documentation, comment, clips, clipSets.
 *
 * Variant set ("/A{set=}"): variantChildren (string[]).
 *
 * Attribute: typeName ("float3", "token[]", …), default, timeSamples, variability ("varying" or
 * "uniform"), custom (true when declared `custom`), connectionPaths (SdfListOp<path>),
 * interpolation, elementSize, and any other metadata written in its parentheses.
 *
 * Relationship: targetPaths (SdfListOp<path>), variability, custom, and other metadata.
 */
export const FIELD = {
  specifier: 'specifier',
  typeName: 'typeName',
  primChildren: 'primChildren',
  properties: 'properties',
  variantSetNames: 'variantSetNames',
  variantSelection: 'variantSelection',
  variantSetChildren: 'variantSetChildren',
  variantChildren: 'variantChildren',
  references: 'references',
  payload: 'payload',
  inheritPaths: 'inheritPaths',
  specializes: 'specializes',
  apiSchemas: 'apiSchemas',
  kind: 'kind',
  active: 'active',
  instanceable: 'instanceable',
  primOrder: 'primOrder',
  propertyOrder: 'propertyOrder',
  relocates: 'relocates',
  layerRelocates: 'layerRelocates',
  default: 'default',
  timeSamples: 'timeSamples',
  targetPaths: 'targetPaths',
  connectionPaths: 'connectionPaths',
  variability: 'variability',
  custom: 'custom',
  subLayers: 'subLayers',
  subLayerOffsets: 'subLayerOffsets',
  defaultPrim: 'defaultPrim',
} as const;

export type Specifier = 'def' | 'over' | 'class';

/**
 * A list-op as Sdf keeps it. `explicit` present means the list was set outright (`x = [...]`);
 * otherwise the other lists edit what weaker opinions say. `ordered` is `reorder`.
 */
export interface SdfListOp<T> {
  listOp: true;
  explicit?: T[];
  added?: T[];
  prepended?: T[];
  appended?: T[];
  deleted?: T[];
  ordered?: T[];
}

export interface LayerOffset {
  offset: number;
  scale: number;
}

export const IDENTITY_OFFSET: Readonly<LayerOffset> = Object.freeze({ offset: 0, scale: 1 });

/** A reference or payload: `@assetPath@<primPath> (offset = o; scale = s)`. */
export interface SdfReference {
  /** The asset path as written; "" for an internal reference (`</Prim>`). */
  assetPath: string;
  /** The target prim path; "" for the target layer's defaultPrim. */
  primPath: string;
  layerOffset?: LayerOffset;
  customData?: Record<string, unknown>;
}

export interface TimeSamples {
  times: number[];
  values: unknown[];
}

/** What `= None` on an attribute leaves: a block of every weaker opinion. */
export const VALUE_BLOCK: Readonly<{ valueBlock: true }> = Object.freeze({ valueBlock: true as const });

export function isValueBlock(value: unknown): boolean {
  return value === VALUE_BLOCK || (typeof value === 'object' && value !== null && (value as { valueBlock?: unknown }).valueBlock === true);
}

export function isListOp<T = unknown>(value: unknown): value is SdfListOp<T> {
  return typeof value === 'object' && value !== null && (value as { listOp?: unknown }).listOp === true;
}

/**
 * Applies `op` over the list a weaker opinion gives (Sdf's ApplyOperations): explicit replaces;
 * otherwise delete, add (kept where present, else appended), prepend, append, then reorder.
 * `key` identifies items (references compare by asset, path and offset).
 */
export function applyListOp<T>(op: SdfListOp<T> | undefined, weaker: readonly T[], key: (item: T) => string = (item) => JSON.stringify(item)): T[] {
  if (!op) return [...weaker];
  if (op.explicit) return dedupe(op.explicit, key);
  let items = [...weaker];
  if (op.deleted?.length) {
    const gone = new Set(op.deleted.map(key));
    items = items.filter((item) => !gone.has(key(item)));
  }
  if (op.added?.length) {
    const present = new Set(items.map(key));
    for (const item of op.added) if (!present.has(key(item))) (present.add(key(item)), items.push(item));
  }
  if (op.prepended?.length) {
    const front = dedupe(op.prepended, key);
    const moved = new Set(front.map(key));
    items = [...front, ...items.filter((item) => !moved.has(key(item)))];
  }
  if (op.appended?.length) {
    const back = dedupe(op.appended, key);
    const moved = new Set(back.map(key));
    items = [...items.filter((item) => !moved.has(key(item))), ...back];
  }
  if (op.ordered?.length) items = reorder(items, op.ordered, key);
  return items;
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (!seen.has(k)) (seen.add(k), out.push(item));
  }
  return out;
}

/**
 * Sdf's reorder: the items named in `order` that are present take the order given, each run of
 * unnamed items staying after the named item it followed.
 */
export function reorder<T>(items: readonly T[], order: readonly T[], key: (item: T) => string = (item) => JSON.stringify(item)): T[] {
  const present = new Map(items.map((item) => [key(item), item]));
  const named = dedupe(order, key).filter((item) => present.has(key(item)));
  if (!named.length) return [...items];
  const namedKeys = new Set(named.map(key));
  // Unnamed items before the first named item stay at the front; the rest travel with the named item before them.
  const leading: T[] = [];
  const following = new Map<string, T[]>();
  let last: string | null = null;
  for (const item of items) {
    const k = key(item);
    if (namedKeys.has(k)) {
      last = k;
      following.set(k, []);
    } else if (last === null) leading.push(item);
    else following.get(last)!.push(item);
  }
  return [...leading, ...named.flatMap((item) => [present.get(key(item))!, ...following.get(key(item))!])];
}

// ---------------------------------------------------------------- paths

export const ROOT_PATH = '/';

/** The path of a property's prim ("/A/B.x" → "/A/B"); a prim path unchanged. */
export function primPathOf(path: string): string {
  const dot = propertyDot(path);
  return dot < 0 ? path : path.slice(0, dot) || '/';
}

/** The property name of a property path, or null for a prim path. */
export function propertyNameOf(path: string): string | null {
  const dot = propertyDot(path);
  return dot < 0 ? null : path.slice(dot + 1);
}

/** Index of the dot that starts a property name (after the last "/" or "}"), or -1. */
function propertyDot(path: string): number {
  const start = Math.max(path.lastIndexOf('/'), path.lastIndexOf('}'));
  return path.indexOf('.', start + 1);
}

/** A child prim of `parent` ("/" → "/A"; "/A" → "/A/B"; "/A{v=x}" → "/A{v=x}B"). */
export function childPath(parent: string, name: string): string {
  if (parent === '/') return `/${name}`;
  return parent.endsWith('}') ? `${parent}${name}` : `${parent}/${name}`;
}

export function propertyPath(prim: string, name: string): string {
  return `${prim}.${name}`;
}

/** "/A{set=}" */
export function variantSetPath(prim: string, set: string): string {
  return `${prim}{${set}=}`;
}

/** "/A{set=sel}" */
export function variantPath(prim: string, set: string, selection: string): string {
  return `${prim}{${set}=${selection}}`;
}

/** The namespace parent: "/A/B" → "/A", "/A{v=x}B" → "/A{v=x}", "/A{v=x}" → "/A", "/A" → "/". */
export function parentPath(path: string): string {
  if (path === '/') return '';
  const prim = primPathOf(path);
  if (prim !== path) return prim;
  if (path.endsWith('}')) return path.slice(0, path.lastIndexOf('{'));
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('}'));
  if (cut <= 0) return '/';
  return path.slice(0, path[cut] === '}' ? cut + 1 : cut);
}

/** The last element's name: "/A/B" → "B", "/A{v=x}B" → "B", "/A.x" → "x". */
export function nameOf(path: string): string {
  const property = propertyNameOf(path);
  if (property !== null) return property;
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('}'));
  return path.slice(cut + 1);
}

/** "/A{v=x}B{w=y}C.p" → "/A/B/C.p": the namespace path without the storage locations. */
export function stripVariantSelections(path: string): string {
  if (!path.includes('{')) return path;
  return path.replace(/\{[^{}]*\}(?=[^./{]|$)/g, '/').replace(/\{[^{}]*\}/g, '').replace(/\/+$/, '') || '/';
}

/** True for "/A{set=sel}" (ending in a selection). */
export function isVariantSelectionPath(path: string): boolean {
  return /\{[^{}=]+=[^{}]*\}$/.test(path);
}

/** The variant selection a path ends in: "/A{set=sel}" → ["set", "sel"]. */
export function variantSelectionOf(path: string): [string, string] | null {
  const m = /\{([^{}=]+)=([^{}]*)\}$/.exec(path);
  return m ? [m[1]!, m[2]!] : null;
}

/** Number of namespace elements, variant selections not counted: "/" 0, "/A" 1, "/A{v=x}B" 2. */
export function namespaceDepth(path: string): number {
  const prim = primPathOf(path);
  if (prim.includes('{')) {
    const stripped = stripVariantSelections(prim);
    return stripped === '/' ? 0 : stripped.split('/').length - 1;
  }
  if (prim === '/') return 0;
  let n = 0;
  for (let i = 0; i < prim.length; i++) if (prim.charCodeAt(i) === 47) n++;
  return n;
}

/** True when `path` is `prefix` or lies under it in namespace (variant selections compared as written). */
export function hasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return path.startsWith('/');
  if (path === prefix) return true;
  if (!path.startsWith(prefix)) return false;
  const next = path[prefix.length];
  return next === '/' || next === '.' || next === '{' || (prefix.endsWith('}') && next !== undefined);
}

/** `path` with `from` (a prefix of it) replaced by `to`; null when `from` is not a prefix. */
export function replacePrefix(path: string, from: string, to: string): string | null {
  if (!hasPrefix(path, from)) return null;
  let rest = from === '/' ? path.slice(1) : path.slice(from.length);
  if (!rest) return to;
  // `rest` is either a suffix that attaches as written (".x", "{v=s}") or child elements ("B/C").
  if (rest.startsWith('.') || rest.startsWith('{')) return `${to}${rest}`;
  if (rest.startsWith('/')) rest = rest.slice(1);
  return childPath(to, rest);
}

/** A path written relative (`../B`, `C.x`, `.x`) made absolute against `anchor` (a prim path). */
export function makeAbsolutePath(path: string, anchor: string): string {
  if (path.startsWith('/')) return path;
  const base = stripVariantSelections(anchor);
  const parts = base === '/' ? [] : base.slice(1).split('/');
  let rest = path;
  let property = '';
  const dot = propertyDot(`/${rest}`) - 1;
  if (dot >= 0) {
    property = rest.slice(dot);
    rest = rest.slice(0, dot);
  }
  for (const seg of rest.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}${property}`;
}

/** A layer's metadata, read from the "/" spec. */
export function layerField<T = unknown>(specs: SdfSpecs, name: string): T | undefined {
  return specs.get('/')?.fields[name] as T | undefined;
}

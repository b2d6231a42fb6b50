/**
 * A typed, read-only view of a composed, flattened stage (compose.ts): prims, their children,
 * applied API schemas, attribute values and relationship targets, with lenient coercion of values
 * (numbers written as strings, booleans as 0/1). Values come back in the file's own units;
 * conversion is the importer's job.
 */
import type { FlatLayer } from './compose.ts';
import { LEGACY_TYPE_NAMES } from './typeNames.ts';
import type { FlatSpec as RawSpec } from './pcp/flatten.ts';

const SPEC_ATTRIBUTE = 1;
const SPEC_PRIM = 6;
const SPEC_RELATIONSHIP = 8;

export class UsdStage {
  readonly file: string;
  private readonly specs: Record<string, RawSpec>;
  /** prim path → property name → spec */
  private readonly properties = new Map<string, Map<string, RawSpec>>();

  constructor(readonly layer: FlatLayer) {
    this.file = layer.file;
    this.specs = layer.specs;
    for (const [key, spec] of Object.entries(layer.specs)) {
      const slash = key.lastIndexOf('/');
      const dot = key.indexOf('.', slash);
      if (dot < 0) continue;
      const prim = key.slice(0, dot) || '/';
      let props = this.properties.get(prim);
      if (!props) this.properties.set(prim, (props = new Map()));
      const normalized = normalizeProperty(key.slice(dot + 1), spec);
      if (normalized) props.set(normalized.name, normalized.spec);
    }
  }

  isPrim(path: string): boolean {
    const spec = this.specs[path];
    return spec !== undefined && spec.specType === SPEC_PRIM;
  }

  /** Child prim paths in authored order. */
  children(path: string): string[] {
    const names = this.specs[path]?.fields['primChildren'];
    if (!Array.isArray(names)) return [];
    const base = path === '/' ? '' : path;
    return names.filter((n): n is string => typeof n === 'string').map((n) => `${base}/${n}`).filter((p) => this.isPrim(p));
  }

  /** The prim's type, legacy UsdPhysics names read as today's (typeNames.ts). */
  typeName(path: string): string {
    const t = this.specs[path]?.fields['typeName'];
    if (typeof t !== 'string') return '';
    return LEGACY_TYPE_NAMES[t] ?? t;
  }

  /** Prim-level metadata field (specifier, kind, active, references, ...). */
  primField(path: string, name: string): unknown {
    return this.specs[path]?.fields[name];
  }

  apiSchemas(path: string): string[] {
    const fromPrim = this.specs[path]?.fields['apiSchemas'];
    const fromProp = this.properties.get(path)?.get('apiSchemas')?.fields['default'];
    return [...tokenList(fromPrim), ...tokenList(fromProp)];
  }

  hasApi(path: string, api: string): boolean {
    return this.apiSchemas(path).some((s) => s === api || s.startsWith(`${api}:`));
  }

  propertyNames(path: string): string[] {
    return [...(this.properties.get(path)?.keys() ?? [])];
  }

  hasAttr(path: string, name: string): boolean {
    const spec = this.properties.get(path)?.get(name);
    return spec !== undefined && spec.specType === SPEC_ATTRIBUTE && spec.fields['default'] !== undefined;
  }

  /** The authored default value of an attribute, or undefined. */
  attr(path: string, name: string): unknown {
    const spec = this.properties.get(path)?.get(name);
    if (!spec || spec.specType !== SPEC_ATTRIBUTE) return undefined;
    const value = spec.fields['default'];
    if (value !== undefined) return value;
    // Animated values: take the earliest time sample as the initial state.
    const samples = spec.fields['timeSamples'];
    if (samples && typeof samples === 'object') {
      const s = samples as { times?: ArrayLike<number>; values?: unknown[] } & Record<string, unknown>;
      // The text parser turns the trailing comma after a sample into an extra empty (NaN) element.
      const clean = (v: unknown) => {
        if (!Array.isArray(v)) return v;
        const out = [...v];
        while (out.length && (out.at(-1) === null || out.at(-1) === undefined || Number.isNaN(out.at(-1)))) out.pop();
        return out;
      };
      if (Array.isArray(s.values) && s.values.length) return clean(s.values[0]);
      const keys = Object.keys(s).filter((k) => /^-?[\d.]+$/.test(k)).sort((a, b) => Number(a) - Number(b));
      if (keys.length) return clean(s[keys[0]!]);
    }
    return undefined;
  }

  /** A metadata field of an attribute spec (e.g. `interpolation`), where the parser kept it. */
  attrField(path: string, name: string, field: string): unknown {
    return this.properties.get(path)?.get(name)?.fields[field];
  }

  /** Attributes of the prim that carry time samples (animation). */
  animatedAttributes(path: string): string[] {
    return [...(this.properties.get(path)?.entries() ?? [])].filter(([, spec]) => spec.fields['timeSamples'] !== undefined).map(([name]) => name);
  }

  /** Relationship targets (or attribute connections), as absolute paths. */
  rel(path: string, name: string): string[] {
    const spec = this.properties.get(path)?.get(name);
    if (!spec) return [];
    const targets = spec.fields['targetPaths'] ?? spec.fields['connectionPaths'] ?? (spec.specType === SPEC_RELATIONSHIP ? spec.fields['default'] : undefined);
    return pathList(targets).map((t) => absolutePath(t, path));
  }

  /** xformOpOrder wherever the parser put it (prim field in text files, attribute in crate files). */
  xformOpOrder(path: string): string[] {
    return tokenList(this.specs[path]?.fields['xformOpOrder'] ?? this.attr(path, 'xformOpOrder'));
  }
}

/**
 * The text parser stores list-edited relationships (`prepend rel x = [</a>, </b>]`) as an attribute
 * named "rel x" whose value is the unparsed list. Turn those back into relationships; drop
 * deletions and parser artefacts (names that are not identifiers).
 */
function normalizeProperty(name: string, spec: RawSpec): { name: string; spec: RawSpec } | null {
  const rel = /^rel\s+(\S+)$/.exec(name);
  if (rel) {
    const op = spec.fields['typeName'];
    if (op === 'delete') return null;
    return { name: rel[1]!, spec: { specType: SPEC_RELATIONSHIP, fields: { targetPaths: pathList(spec.fields['default']) } } };
  }
  if (!/^[A-Za-z_][\w:]*(\.connect)?$/.test(name)) return null;
  return { name, spec };
}

function absolutePath(target: string, from: string): string {
  const t = target.replace(/^<|>$/g, '');
  if (t.startsWith('/')) return t;
  // Relative target: resolve against the owning prim.
  const parts = from.split('/').filter(Boolean);
  for (const seg of t.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg && seg !== '.') parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** Token lists arrive as arrays, list-op objects, or (text parser) a quoted list in a string. */
export function tokenList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'object' && 'items' in value && Array.isArray((value as { items: unknown }).items)) {
    return tokenList((value as { items: unknown[] }).items);
  }
  if (typeof value === 'string') {
    const quoted = [...value.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    return quoted.length ? quoted : value.trim() ? [value.trim()] : [];
  }
  return [];
}

/**
 * Relationship targets arrive as arrays of paths, or (text parser, several targets) as one string
 * such as "[</A>, </B>]" or "[/A, /B, ]".
 */
function pathList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => pathList(v));
  if (typeof value === 'string') {
    const bracketed = [...value.matchAll(/<([^>]*)>/g)].map((m) => m[1]!);
    if (bracketed.length) return bracketed;
    const list = value.trim();
    if (list.startsWith('[')) return list.replace(/^\[|\]$/g, '').split(',').map((p) => p.trim()).filter(Boolean);
    return list ? [list] : [];
  }
  return [];
}

// ---- value coercion: the parsers return numbers, strings or typed arrays depending on format ----

export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const t = v.trim();
    if (t === 'inf' || t === '+inf') return Infinity;
    if (t === '-inf') return -Infinity;
    const n = Number(t);
    return Number.isNaN(n) ? undefined : n;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

export function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === '1' || t === 'true') return true;
    if (t === '0' || t === 'false') return false;
  }
  return undefined;
}

export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.replace(/^"(.*)"$/s, '$1');
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

export function asNumbers(v: unknown): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, Number);
  if (Array.isArray(v)) {
    // The readers give flat number arrays (mesh points: millions of them); copy those as they are.
    let plain = true;
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] !== 'number') {
        plain = false;
        break;
      }
    }
    if (plain) return (v as number[]).slice();
    const flat = (v as unknown[]).flat(3).map(asNumber);
    return flat.every((n) => n !== undefined) ? (flat as number[]) : undefined;
  }
  if (typeof v === 'string') {
    const nums = v.match(/[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?inf/g);
    return nums ? nums.map((n) => asNumber(n)!) : undefined;
  }
  const n = asNumber(v);
  return n === undefined ? undefined : [n];
}

export function asVec(v: unknown, length: number): number[] | undefined {
  const nums = asNumbers(v);
  return nums && nums.length === length && nums.every(Number.isFinite) ? nums : undefined;
}

/**
 * Reads the bytes of a USD file (USDA text, USDC crate, or USDZ package) into a raw layer: the
 * spec table that three.js's USD parsers produce, which keeps every authored attribute, plus the
 * layer metadata. Owns format detection and the few places where those parsers drop data we need
 * (token list-ops such as `apiSchemas` in crate files, `kilogramsPerUnit` in text files).
 * Must not interpret prims: that is `stage.ts` and `import.ts`.
 */
import { unzipSync } from 'fflate';
import { USDAParser } from 'three/examples/jsm/loaders/usd/USDAParser.js';
import { USDCParser } from 'three/examples/jsm/loaders/usd/USDCParser.js';
import { InputError } from '../errors.ts';
import { normalizeUsdaLayout, UsdaSyntaxError } from './usda-layout.ts';
import { parseReferenceList, parseTokenList, scanPrimMetadata, type PrimMeta } from './primMeta.ts';

export interface RawSpec {
  specType: number;
  fields: Record<string, unknown>;
}

export type UsdFormat = 'usda' | 'usdc' | 'usdz';

export interface UsdLayer {
  file: string;
  format: UsdFormat;
  metadata: {
    metersPerUnit?: number;
    kilogramsPerUnit?: number;
    upAxis?: string;
    defaultPrim?: string;
  };
  specs: Record<string, RawSpec>;
  /** `class` prims of a text layer, which the text parser drops (names as written). */
  unappliedPrims: string[];
  /**
   * What a text layer says that the specs cannot: each prim's metadata statements with their
   * list-ops, and the properties it blocks (primMeta.ts). Composition (compose.ts) reads it.
   */
  primMeta?: Map<string, PrimMeta>;
  /** For a layer read from a USDZ package: the package's other files, by path relative to this layer's folder. */
  packaged?: (key: string) => Uint8Array | undefined;
}

const CRATE_MAGIC = [0x50, 0x58, 0x52, 0x2d, 0x55, 0x53, 0x44, 0x43]; // "PXR-USDC"

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** Crate value type numbers (OpenUSD crateDataTypes.h) that the overrides below need. */
const CRATE_TYPE = { Int: 3, Int64: 5, Vec2d: 19, Vec3d: 23, Vec3h: 25, Vec4d: 27, Vec4h: 29, TokenListOp: 32 } as const;
/** Upper bound on any element count a crate file may claim (protects against absurd allocations). */
const MAX_CRATE_ELEMENTS = 20_000_000;

interface CrateReader {
  readUint8(): number;
  readUint32(): number;
  readUint64(): number;
  seek(offset: number): void;
  tell(): number;
}
interface ValueRep {
  typeEnum: number;
  getInlinedValue(): number;
}
type CrateBase = new () => {
  parseData(buffer: ArrayBuffer): { specsByPath: Record<string, RawSpec> };
};
const base = USDCParser.prototype as unknown as {
  _readScalarValue(type: number): unknown;
  _readInlinedValue(rep: ValueRep): unknown;
  _readTOC(): void;
  _readArrayValue(rep: ValueRep): unknown;
};

/**
 * three's crate reader with the gaps that matter to us closed:
 * - token list-ops (where `apiSchemas` live) are decoded instead of skipped;
 * - inlined values are read the way OpenUSD writes them: signed ints, and double/half vectors
 *   stored as signed 8-bit components (three returned e.g. 65793 for an inlined double3 (1, 1, 1));
 * - every count and section bound the file claims is checked against the file's size before
 *   anything is allocated, and the path table is walked once per entry, so a corrupt file fails
 *   with an error instead of exhausting memory or recursing exponentially.
 */
class CrateParser extends (USDCParser as unknown as CrateBase) {
  declare reader: CrateReader;
  declare tokens: string[];
  declare paths: string[];
  declare buffer: ArrayBuffer;
  declare version: { major: number; minor: number };
  declare sections: Record<string, { start: number; size: number }>;
  declare _conversionView: DataView;

  _readTOC(): void {
    base._readTOC.call(this);
    const length = this.buffer.byteLength;
    for (const [name, { start, size }] of Object.entries(this.sections)) {
      if (!(start >= 0 && size >= 0 && start + size <= length)) throw new Error(`section ${name} lies outside the file`);
    }
    if (Object.keys(this.sections).length > 64) throw new Error('implausible table of contents');
    // Each section starts with the number of its elements; no section can hold more elements than
    // LZ4 (at most 255:1) could have packed into its bytes.
    for (const name of ['TOKENS', 'STRINGS', 'FIELDS', 'FIELDSETS', 'PATHS', 'SPECS']) {
      const section = this.sections[name];
      if (!section || section.size < 8) continue;
      this.reader.seek(section.start);
      const count = Number(this.reader.readUint64());
      if (!(count <= Math.min(MAX_CRATE_ELEMENTS, 256 * section.size))) throw new Error(`section ${name} claims ${count} elements`);
      if (name === 'TOKENS' && !(this.version.major === 0 && this.version.minor < 4)) {
        const uncompressed = Number(this.reader.readUint64());
        const compressed = Number(this.reader.readUint64());
        if (!(compressed <= section.size && uncompressed <= 256 * compressed + 64)) throw new Error('token section sizes are inconsistent');
      }
    }
  }

  _readArrayValue(rep: ValueRep): unknown {
    const at = this.reader.tell();
    const wide = this.version.major > 0 || this.version.minor >= 7;
    const count = Number(wide ? this.reader.readUint64() : this.reader.readUint32());
    this.reader.seek(at);
    if (!(count <= Math.min(MAX_CRATE_ELEMENTS, 256 * (this.buffer.byteLength - at)))) throw new Error(`array of ${count} elements`);
    return base._readArrayValue.call(this, rep);
  }

  _readInlinedValue(rep: ValueRep): unknown {
    const payload = rep.getInlinedValue();
    const view = this._conversionView;
    const int8s = (n: number) => {
      view.setUint32(0, payload, true);
      return Array.from({ length: n }, (_, i) => view.getInt8(i));
    };
    switch (rep.typeEnum) {
      case CRATE_TYPE.Int:
      case CRATE_TYPE.Int64:
        return payload | 0;
      case CRATE_TYPE.Vec2d:
        return int8s(2);
      case CRATE_TYPE.Vec3d:
      case CRATE_TYPE.Vec3h:
        return int8s(3);
      case CRATE_TYPE.Vec4d:
      case CRATE_TYPE.Vec4h:
        return int8s(4);
      default:
        return base._readInlinedValue.call(this, rep);
    }
  }

  /** Iterative walk of the compressed path tree: each entry is visited at most once. */
  _buildPathsFromCompressed(pathIndices: ArrayLike<number>, elementTokenIndices: ArrayLike<number>, jumps: ArrayLike<number>): void {
    const n = pathIndices.length;
    const visited = new Uint8Array(n);
    const pending: [number, string][] = [[0, '']];
    while (pending.length) {
      let [current, parent] = pending.pop()!;
      while (current >= 0 && current < n && !visited[current]) {
        visited[current] = 1;
        const index = current++;
        let path: string;
        if (parent === '') {
          path = '/';
        } else {
          const element = elementTokenIndices[index]!;
          const token = this.tokens[Math.abs(element)] ?? '';
          path = element < 0 ? `${parent}.${token}` : parent === '/' ? `/${token}` : `${parent}/${token}`;
        }
        const slot = pathIndices[index]!;
        if (slot < 0 || slot >= this.paths.length) throw new Error(`path index ${slot} out of range`);
        this.paths[slot] = path;
        const jump = jumps[index]!;
        const hasChild = jump > 0 || jump === -1;
        const hasSibling = jump >= 0;
        if (hasChild) {
          if (hasSibling) pending.push([index + jump, parent === '' ? '/' : parent]);
          parent = path;
        } else if (!hasSibling) {
          break;
        } else if (parent === '') {
          parent = '/';
        }
      }
    }
  }

  _readScalarValue(type: number): unknown {
    if (type !== CRATE_TYPE.TokenListOp) return base._readScalarValue.call(this, type);
    // A flag byte, then count-prefixed token-index lists in the order explicit, added,
    // prepended, appended, deleted, ordered.
    const flags = this.reader.readUint8();
    const read = (): string[] => {
      const count = Number(this.reader.readUint64());
      if (!Number.isSafeInteger(count) || count > 1_000_000) throw new Error(`token list of ${count} items`);
      const out: string[] = [];
      for (let i = 0; i < count; i++) out.push(this.tokens[this.reader.readUint32()] ?? '');
      return out;
    };
    const has = (bit: number) => (flags & bit) !== 0;
    const explicit = has(0x02) ? read() : [];
    const added = has(0x04) ? read() : [];
    const prepended = has(0x20) ? read() : [];
    const appended = has(0x40) ? read() : [];
    const deleted = has(0x08) ? read() : [];
    if (has(0x10)) read();
    const items = [...prepended, ...explicit, ...added, ...appended];
    return { listOp: true, items: items.filter((t) => !deleted.includes(t)) };
  }
}

/** An ArrayBuffer holding exactly these bytes. (A Node Buffer's .slice() is a view into a shared pool.) */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (new Uint8Array(bytes).buffer as ArrayBuffer);
}

function readText(text: string, file: string): UsdLayer {
  if (!/^#usda\s+1\.\d/.test(text)) {
    throw new InputError(file, "not a USD file: expected a '#usda 1.0' header, 'PXR-USDC' crate bytes or a USDZ (zip) package");
  }
  if (text.includes('\u0000')) throw new InputError(file, 'USDA text contains NUL bytes (corrupt or binary data)');
  let canonical: string;
  try {
    canonical = normalizeUsdaLayout(text);
  } catch (e) {
    if (e instanceof UsdaSyntaxError) throw new InputError(file, `malformed USDA: ${e.message}`);
    throw e;
  }
  const scanned = scanPrimMetadata(canonical);
  const { specsByPath } = new USDAParser().parseData(scanned.text) as { specsByPath: Record<string, RawSpec> };
  applyPrimMeta(specsByPath, scanned.prims, file);
  const root = specsByPath['/']?.fields ?? {};
  // The text parser keeps only some layer metadata; read the rest from the header block.
  const header = /^#usda[^\n]*\n\s*\(([\s\S]*?)\n\s*\)/.exec(text)?.[1] ?? '';
  const headerNumber = (name: string): number | undefined => {
    const m = new RegExp(`\\b${name}\\s*=\\s*([-+0-9.eE]+)`).exec(header);
    return m ? Number(m[1]) : undefined;
  };
  return {
    file,
    format: 'usda',
    metadata: {
      metersPerUnit: typeof root['metersPerUnit'] === 'number' ? root['metersPerUnit'] : headerNumber('metersPerUnit'),
      kilogramsPerUnit: headerNumber('kilogramsPerUnit'),
      upAxis: typeof root['upAxis'] === 'string' ? root['upAxis'] : undefined,
      defaultPrim: typeof root['defaultPrim'] === 'string' ? root['defaultPrim'] : undefined,
    },
    specs: specsByPath,
    unappliedPrims: [...text.matchAll(/^[ \t]*(class)\s+(?:\w+\s+)?"([^"]+)"/gm)].map((m) => `${m[1]} "${m[2]}"`),
    primMeta: scanned.prims,
  };
}

/** Fields of a prim spec from the metadata three's parser does not keep (see primMeta.ts). */
function applyPrimMeta(specs: Record<string, RawSpec>, prims: Map<string, PrimMeta>, file: string) {
  for (const [path, meta] of prims) {
    const spec = specs[path];
    if (!spec) continue;
    if (meta.specifier === 'over') spec.fields['specifier'] = 'over';
    for (const [property, interpolation] of meta.interpolation) {
      const propertySpec = specs[`${path}.${property}`];
      if (propertySpec) propertySpec.fields['interpolation'] = interpolation;
    }
    for (const [name, statements] of meta.metadata) {
      const last = statements.at(-1)!;
      if (name === 'active' || name === 'instanceable') {
        spec.fields[name] = /^(1|true)$/i.test(last.value);
      } else if (name === 'apiSchemas') {
        spec.fields['apiSchemas'] = { listOp: true, items: resolveTokenOps(statements) };
      } else if (name === 'references' || name === 'payload') {
        const items: { asset: string | null; target: string | null }[] = [];
        for (const s of statements) {
          const list = parseReferenceList(s.value);
          if (list === null) throw new InputError(file, `${path}: cannot read ${name} = ${s.value}`);
          if (s.op !== 'delete') items.push(...list);
        }
        spec.fields[name] = { items };
      } else if (name === 'kind') {
        spec.fields['kind'] = last.value.replace(/^"|"$/g, '');
      } else if (['inherits', 'specializes', 'variantSets'].includes(name)) {
        spec.fields[name] = last.value;
      }
    }
  }
}

/** Token list-op statements of one layer (explicit, prepend, append, add, delete) as one list. */
export function resolveTokenOps(statements: readonly { op: string; value: string }[], weaker: readonly string[] = []): string[] {
  let items = [...weaker];
  for (const { op, value } of statements) {
    const tokens = parseTokenList(value);
    if (op === 'explicit') items = tokens;
    else if (op === 'delete') items = items.filter((t) => !tokens.includes(t));
    else if (op === 'prepend') items = [...tokens, ...items.filter((t) => !tokens.includes(t))];
    else if (op === 'append' || op === 'add') items = [...items.filter((t) => !tokens.includes(t)), ...tokens];
  }
  return items;
}

function readCrate(bytes: Uint8Array, file: string): UsdLayer {
  let specs: Record<string, RawSpec>;
  try {
    specs = new CrateParser().parseData(toArrayBuffer(bytes)).specsByPath;
  } catch (e) {
    throw new InputError(file, `corrupt or truncated USDC crate file (${(e as Error).message})`);
  }
  const root = specs['/']?.fields ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return {
    file,
    format: 'usdc',
    metadata: {
      metersPerUnit: num(root['metersPerUnit']),
      kilogramsPerUnit: num(root['kilogramsPerUnit']),
      upAxis: typeof root['upAxis'] === 'string' ? root['upAxis'] : undefined,
      defaultPrim: typeof root['defaultPrim'] === 'string' ? root['defaultPrim'] : undefined,
    },
    specs,
    unappliedPrims: [],
  };
}

function readPackage(bytes: Uint8Array, file: string): UsdLayer {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new InputError(file, `corrupt or truncated USDZ package (${(e as Error).message})`);
  }
  const names = Object.keys(entries);
  const first = names[0];
  // AOUSD core spec 16.4.1.2: the first entry of the package is the root layer.
  if (!first || !/\.usd[ac]?$/i.test(first)) {
    throw new InputError(file, `USDZ package must start with a .usd/.usda/.usdc layer, found ${first ? `"${first}"` : 'no entries'}`);
  }
  const inner = readLayerBytes(entries[first]!, `${file}[${first}]`);
  const folder = first.includes('/') ? first.slice(0, first.lastIndexOf('/') + 1) : '';
  return { ...inner, file, format: 'usdz', packaged: (key) => entries[folder + key] };
}

function readLayerBytes(bytes: Uint8Array, file: string): UsdLayer {
  if (bytes.length === 0) throw new InputError(file, 'file is empty');
  if (startsWith(bytes, CRATE_MAGIC)) return readCrate(bytes, file);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return readPackage(bytes, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(file, "not a USD file: neither USDA text (invalid UTF-8), a 'PXR-USDC' crate nor a USDZ package");
  }
  return readText(text, file);
}

/** Reads one USD layer from bytes or text. Throws InputError naming `file` on bad input. */
export function readUsdLayer(data: Uint8Array | ArrayBuffer | string, file: string): UsdLayer {
  if (typeof data === 'string') return readText(data, file);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  try {
    return readLayerBytes(bytes, file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, `could not parse USD (${(e as Error).message})`);
  }
}

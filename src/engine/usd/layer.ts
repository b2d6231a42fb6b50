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
}

const CRATE_MAGIC = [0x50, 0x58, 0x52, 0x2d, 0x55, 0x53, 0x44, 0x43]; // "PXR-USDC"
const TOKEN_LIST_OP = 32;

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/**
 * three's crate parser skips token list-ops ("not needed for geometry"). Applied API schemas live
 * in one, so decode them here: a flag byte, then count-prefixed token-index lists in the order
 * explicit, added, prepended, appended, deleted, ordered.
 */
class CrateParser extends (USDCParser as unknown as new () => {
  parseData(buffer: ArrayBuffer): { specsByPath: Record<string, RawSpec> };
}) {
  declare reader: { readUint8(): number; readUint32(): number; readUint64(): number };
  declare tokens: string[];

  _readScalarValue(type: number): unknown {
    if (type !== TOKEN_LIST_OP) {
      return (USDCParser.prototype as unknown as { _readScalarValue(t: number): unknown })._readScalarValue.call(this, type);
    }
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

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
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
  const { specsByPath } = new USDAParser().parseData(canonical) as { specsByPath: Record<string, RawSpec> };
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
  };
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
  return { ...inner, file, format: 'usdz' };
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

/**
 * Reads the bytes of one USD file — USDA text, a USDC crate or a USDZ package — into its
 * scene description: the spec table of sdf.ts, the same for every format. Owns format detection
 * and the package rules (the first entry of a .usdz is its root layer; the others are the files
 * it may name). Must not compose (pcp/) or interpret prims (import.ts).
 */
import { unzipSync } from 'fflate';
import { InputError } from '../errors.ts';
import { readCrateWithWarnings } from './crate.ts';
import { layerField, type SdfSpecs } from './sdf.ts';
import { parseUsda } from './usdaParser.ts';

export type UsdFormat = 'usda' | 'usdc' | 'usdz';

export interface UsdLayer {
  file: string;
  format: UsdFormat;
  specs: SdfSpecs;
  /** What the reader could not decode (fields dropped), naming the spec and field. */
  warnings: string[];
  /** For a layer read from a USDZ package: the package's other files, by path relative to this layer's folder. */
  packaged?: (key: string) => Uint8Array | undefined;
  /** A hash of the bytes it was read from (contentHash), for caches. */
  hash: string;
}

/**
 * A 64-bit content hash (two 32-bit FNV-1a variants) of bytes, as hex: cheap enough to run over a
 * scene's layers (tens of MB/s) to know whether they changed.
 */
export function contentHash(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const x = bytes[i]!;
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b ^ x, 0x5bd1e995) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}:${bytes.length}`;
}

/** The layer metadata the importer needs, from the root spec. */
export interface LayerMetadata {
  metersPerUnit?: number;
  kilogramsPerUnit?: number;
  upAxis?: string;
  defaultPrim?: string;
}

export function layerMetadata(specs: SdfSpecs): LayerMetadata {
  const num = (name: string) => {
    const v = layerField(specs, name);
    return typeof v === 'number' ? v : undefined;
  };
  const str = (name: string) => {
    const v = layerField(specs, name);
    return typeof v === 'string' ? v : undefined;
  };
  return { metersPerUnit: num('metersPerUnit'), kilogramsPerUnit: num('kilogramsPerUnit'), upAxis: str('upAxis'), defaultPrim: str('defaultPrim') };
}

const CRATE_MAGIC = [0x50, 0x58, 0x52, 0x2d, 0x55, 0x53, 0x44, 0x43]; // "PXR-USDC"

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

function readText(text: string, file: string, hash?: string): UsdLayer {
  if (!/^#(usda|sdf)\s/.test(text)) {
    throw new InputError(file, "not a USD file: expected a '#usda 1.0' header, 'PXR-USDC' crate bytes or a USDZ (zip) package");
  }
  if (text.includes('\u0000')) throw new InputError(file, 'USDA text contains NUL bytes (corrupt or binary data)');
  return { file, format: 'usda', specs: parseUsda(text, file), warnings: [], hash: hash ?? contentHash(new TextEncoder().encode(text)) };
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
  return { ...inner, file, format: 'usdz', packaged: (key) => entries[folder + key], hash: contentHash(bytes) };
}

function readLayerBytes(bytes: Uint8Array, file: string): UsdLayer {
  if (bytes.length === 0) throw new InputError(file, 'file is empty');
  if (startsWith(bytes, CRATE_MAGIC)) {
    const { specs, warnings } = readCrateWithWarnings(bytes, file);
    return { file, format: 'usdc', specs, warnings, hash: contentHash(bytes) };
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return readPackage(bytes, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(file, "not a USD file: neither USDA text (invalid UTF-8), a 'PXR-USDC' crate nor a USDZ package");
  }
  return readText(text, file, contentHash(bytes));
}

/** Reads one USD layer from bytes or text. Throws InputError naming `file` on bad input. */
export function readUsdLayer(data: Uint8Array | ArrayBuffer | string, file: string): UsdLayer {
  try {
    if (typeof data === 'string') return readText(data, file);
    return readLayerBytes(data instanceof Uint8Array ? data : new Uint8Array(data), file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, `could not parse USD (${(e as Error).message})`);
  }
}

import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { approxDiff } from '../testing/approx.ts';
import { HINGE_CM_ZUP } from '../testing/usd-fixtures.ts';
import { importUsd, type UsdImportResult } from './import.ts';
import { usdaToUsdc, writeUsdc } from '../testing/usdcWriter.ts';
import { packUsdz, USDZ_ALIGNMENT } from './usdz.ts';

const repo = (p: string) => new URL(`../../../${p}`, import.meta.url);
/** A copy: small files come back from readFileSync as views into Node's Buffer pool. */
const readBytes = (p: string) => new Uint8Array(readFileSync(repo(p)));
const TABLETOP = readFileSync(repo('scenes/tabletop.usda'), 'utf8');
const utf8 = (s: string) => new TextEncoder().encode(s);

interface LocalEntry {
  name: string;
  method: number;
  dataOffset: number;
  data: Uint8Array;
}

/** Walks the zip's local file headers (APPNOTE 4.3.7) from the start of the file. */
function localEntries(zip: Uint8Array): LocalEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const entries: LocalEntry[] = [];
  let at = 0;
  while (view.getUint32(at, true) === 0x04034b50) {
    const flags = view.getUint16(at + 6, true);
    expect(flags & 0x08, 'no data descriptors').toBe(0);
    const method = view.getUint16(at + 8, true);
    const compressedSize = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extraLength = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(zip.subarray(at + 30, at + 30 + nameLength));
    const dataOffset = at + 30 + nameLength + extraLength;
    entries.push({ name, method, dataOffset, data: zip.subarray(dataOffset, dataOffset + compressedSize) });
    at = dataOffset + compressedSize;
  }
  expect(view.getUint32(at, true), 'central directory follows the last entry').toBe(0x02014b50);
  return entries;
}

const sceneOf = ({ document: d }: UsdImportResult) => ({
  prims: d.prims,
  physicsMaterials: d.physicsMaterials,
  joints: d.joints,
  gravity: d.gravity,
  collisionGroups: d.collisionGroups,
  filteredPairs: d.filteredPairs,
});

describe('packUsdz', () => {
  it('stores every file uncompressed at a 64-byte aligned offset, root layer first', () => {
    const files = [
      { name: 'scene.usdc', bytes: writeUsdc(HINGE_CM_ZUP) },
      { name: 'textures/a.png', bytes: Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff) },
      { name: 'b.usda', bytes: utf8('#usda 1.0\n') },
      { name: 'textures/long-name-to-shift-the-header-by-some-bytes.jpg', bytes: new Uint8Array(63) },
      { name: 'empty.usda', bytes: new Uint8Array(0) },
      { name: 'ünïcode.usda', bytes: utf8('#usda 1.0\n') },
    ];
    const zip = packUsdz(files);
    const entries = localEntries(zip);
    expect(entries.map((e) => e.name)).toEqual(files.map((f) => f.name));
    for (const [i, e] of entries.entries()) {
      expect(e.method, e.name).toBe(0);
      expect(e.dataOffset % USDZ_ALIGNMENT, `${e.name} at ${e.dataOffset}`).toBe(0);
      expect(e.data, e.name).toEqual(files[i]!.bytes);
    }
  });

  it('is deterministic (fixed timestamps)', () => {
    const files = [{ name: 'a.usda', bytes: utf8(TABLETOP) }];
    expect(packUsdz(files)).toEqual(packUsdz(files));
  });

  it('refuses packages the format does not allow', () => {
    const layer = { name: 'a.usda', bytes: utf8('#usda 1.0\n') };
    expect(() => packUsdz([])).toThrow(/root layer/);
    expect(() => packUsdz([{ name: 'tex.png', bytes: new Uint8Array(1) }, layer])).toThrow(/first file is the root layer.*"tex\.png"/);
    expect(() => packUsdz([layer, layer])).toThrow(/listed twice/);
    expect(() => packUsdz([{ name: '/abs.usda', bytes: new Uint8Array(1) }])).toThrow(/not a relative path/);
    expect(() => packUsdz([layer, { name: '../up.png', bytes: new Uint8Array(1) }])).toThrow(/not a relative path/);
  });
});

describe('importing USDZ packages', () => {
  it('a USDZ of tabletop.usda imports to the same document as the bare layer', () => {
    const bare = importUsd(TABLETOP, 'tabletop.usda');
    const packed = importUsd(packUsdz([{ name: 'tabletop.usda', bytes: utf8(TABLETOP) }]), 'tabletop.usdz');
    expect(packed.document.source).toEqual({ ...bare.document.source, file: 'tabletop.usdz', format: 'usdz' });
    expect(packed.warnings).toEqual(bare.warnings);
    expect(sceneOf(packed)).toEqual(sceneOf(bare));
  });

  it('a USDZ of a USDC imports to the same document as the bare crate file', () => {
    const crate = writeUsdc(HINGE_CM_ZUP);
    const bare = importUsd(crate, 'hinge.usdc');
    const packed = importUsd(packUsdz([{ name: 'hinge.usdc', bytes: crate }, { name: 'textures/unused.png', bytes: new Uint8Array(10) }]), 'hinge.usdz');
    expect(packed.document.source).toEqual({ ...bare.document.source, file: 'hinge.usdz', format: 'usdz' });
    expect(packed.warnings).toEqual(bare.warnings);
    expect(sceneOf(packed)).toEqual(sceneOf(bare));
    expect(packed.document.joints).toHaveLength(1);
  });

  it('a USDZ of the tabletop as USDC imports like tabletop.usda (up to float32 rounding)', () => {
    const bare = importUsd(TABLETOP, 'tabletop.usda');
    const packed = importUsd(packUsdz([{ name: 'tabletop.usdc', bytes: usdaToUsdc(TABLETOP, 'tabletop.usda') }]), 'tabletop.usdz');
    expect(approxDiff(sceneOf(packed), sceneOf(bare))).toEqual([]);
  });

  it('the committed scenes/fixtures/tabletop.usdz is aligned and imports like tabletop.usda', () => {
    const zip = readBytes('scenes/fixtures/tabletop.usdz');
    const entries = localEntries(zip);
    expect(entries.map((e) => [e.name, e.method, e.dataOffset % USDZ_ALIGNMENT])).toEqual([['tabletop.usda', 0, 0]]);
    expect(sceneOf(importUsd(zip, 'tabletop.usdz'))).toEqual(sceneOf(importUsd(TABLETOP, 'tabletop.usda')));
  });

  it('a package whose first entry is not a USD layer gives an InputError naming the file and the entry', () => {
    // packUsdz refuses to build one, so zip it directly.
    const zip = zipSync({ 'texture.png': [new Uint8Array(8), { level: 0 }], 'scene.usda': [utf8(TABLETOP), { level: 0 }] });
    let error: unknown;
    try {
      importUsd(zip, 'bad-order.usdz');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe('bad-order.usdz');
    expect((error as InputError).message).toMatch(/^bad-order\.usdz: .*"texture\.png"/);
  });

  it('a corrupt root layer inside a package names the package and the entry', () => {
    const crate = writeUsdc(HINGE_CM_ZUP).slice(0, 200);
    expect(() => importUsd(packUsdz([{ name: 'cut.usdc', bytes: crate }]), 'cut.usdz')).toThrow(/^cut\.usdz\[cut\.usdc\]: corrupt or truncated USDC/);
  });
});

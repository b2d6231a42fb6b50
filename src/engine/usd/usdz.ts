/**
 * Packs USDZ packages (AOUSD Core Spec, USDZ file format): an uncompressed zip whose first entry
 * is the root layer and whose every file's data starts at a multiple of 64 bytes, so readers can
 * map layers and textures in place. Alignment is reached by padding the local file header's
 * extra field. Uses fflate for the zip structure; output is deterministic (fixed timestamps).
 */
import { zipSync, type Zippable } from 'fflate';

export interface UsdzFile {
  /** Path inside the package, relative, "/"-separated ("scene.usdc", "textures/wood.png"). */
  name: string;
  bytes: Uint8Array;
}

/** Data alignment the USDZ format requires. */
export const USDZ_ALIGNMENT = 64;
/** Extra-field header id used for the padding (the value OpenUSD's zip writer uses). */
const PADDING_FIELD_ID = 0x1986;
const LOCAL_HEADER_SIZE = 30;
const EXTRA_FIELD_HEADER_SIZE = 4;
/** DOS timestamps cannot go earlier; built from local time so every time zone writes the same bytes. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

const LAYER_NAME = /\.usd[ac]?$/i;

/**
 * Builds a USDZ package. The first file must be a USD layer (.usd, .usda, .usdc): it is the root
 * layer. Throws Error for a package the format does not allow.
 */
export function packUsdz(files: readonly UsdzFile[]): Uint8Array {
  const first = files[0];
  if (!first) throw new Error('packUsdz: a USDZ package needs at least its root layer');
  if (!LAYER_NAME.test(first.name)) throw new Error(`packUsdz: the first file is the root layer and must be .usd, .usda or .usdc, got "${first.name}"`);
  const seen = new Set<string>();
  for (const { name } of files) {
    if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new Error(`packUsdz: "${name}" is not a relative path inside the package`);
    }
    // fflate keeps entries in object-key order, which puts integer-like keys first.
    if (/^\d+$/.test(name)) throw new Error(`packUsdz: a file named "${name}" (digits only) cannot be packed in order`);
    if (seen.has(name)) throw new Error(`packUsdz: "${name}" is listed twice`);
    seen.add(name);
  }

  const entries: Zippable = {};
  let offset = 0;
  for (const { name, bytes } of files) {
    const nameLength = new TextEncoder().encode(name).length;
    // The data starts after the local header, the name and the extra field (4-byte header + padding).
    const unpadded = offset + LOCAL_HEADER_SIZE + nameLength + EXTRA_FIELD_HEADER_SIZE;
    const padding = (USDZ_ALIGNMENT - (unpadded % USDZ_ALIGNMENT)) % USDZ_ALIGNMENT;
    entries[name] = [bytes, { level: 0, mtime: FIXED_MTIME, extra: { [PADDING_FIELD_ID]: new Uint8Array(padding) } }];
    offset = unpadded + padding + bytes.length;
  }
  return zipSync(entries);
}

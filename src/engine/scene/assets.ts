/**
 * The files a scene carries (SceneDocument.assets): the asset layers its references reach and the
 * images its looks use. How an asset path written in a layer resolves to a key of that table,
 * which keys are still in use once references or looks change, and the free key for a new file.
 */
import { isImageKey } from './image.ts';
import type { AssetReference, Prim } from './schema.ts';

/** The key of `assetPath` written in the layer with key `fromKey` ("" is the scene file itself). */
export function resolveAssetKey(fromKey: string, assetPath: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(assetPath) || assetPath.startsWith('/')) return assetPath;
  const parts = fromKey.includes('/') ? fromKey.slice(0, fromKey.lastIndexOf('/')).split('/') : [];
  for (const seg of assetPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && parts.length && parts.at(-1) !== '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}

/**
 * The assets in use: the layers `references` name and, through the asset paths written in those
 * layers' text (`@./parts/hand.usda@`, `@../textures/wood.png@`), the files those name; and the
 * images the prims' looks show. A binary layer's own asset paths cannot be seen here, so every
 * binary layer that is reached keeps all others. Returns `assets` itself when all are in use.
 */
export function assetsInUse(references: readonly AssetReference[], prims: readonly Prim[], assets: Readonly<Record<string, string>>): Record<string, string> {
  const keep = new Set<string>();
  const pending = references.map((r) => r.asset);
  for (const prim of prims) if (prim.material?.image) pending.push(prim.material.image);
  while (pending.length) {
    const key = pending.pop()!;
    if (keep.has(key) || !(key in assets)) continue;
    keep.add(key);
    const text = assets[key]!;
    if (isImageKey(key)) continue;
    if (text.startsWith('base64:')) return assets as Record<string, string>;
    for (const m of text.matchAll(/@([^@\s]+)@/g)) pending.push(resolveAssetKey(key, m[1]!));
  }
  if (keep.size === Object.keys(assets).length) return assets as Record<string, string>;
  return Object.fromEntries(Object.entries(assets).filter(([key]) => keep.has(key)));
}

/** The path of `key` written in the layer with key `fromKey`: "./x" beside it, "../x" above. */
export function relativeAssetPath(fromKey: string, key: string): string {
  const from = fromKey.includes('/') ? fromKey.slice(0, fromKey.lastIndexOf('/')).split('/') : [];
  const to = key.split('/');
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  const up = from.length - common;
  return (up ? '../'.repeat(up) : './') + to.slice(common).join('/');
}

/**
 * The key `data` can be kept under: `wanted` when it is free or already holds the same data,
 * otherwise `name_1.ext`, `name_2.ext`, … beside it.
 */
export function freeAssetKey(assets: Readonly<Record<string, string>>, wanted: string, data: string): string {
  const dot = wanted.lastIndexOf('.');
  const [stem, ext] = dot > wanted.lastIndexOf('/') ? [wanted.slice(0, dot), wanted.slice(dot)] : [wanted, ''];
  for (let k = 0; ; k++) {
    const key = k ? `${stem}_${k}${ext}` : wanted;
    if (!(key in assets) || assets[key] === data) return key;
  }
}

/** The text form of an asset's bytes kept in a scene document (see CompositionResult.assets). */
export function assetText(bytes: Uint8Array): string {
  const usda = bytes.length >= 5 && String.fromCharCode(...bytes.subarray(0, 5)) === '#usda';
  if (usda) return new TextDecoder().decode(bytes);
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (native) return `base64:${native.call(bytes)}`;
  // The binary string btoa takes: one code unit per byte (apply on chunks; spreading is ~10× slower).
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 0x2000) parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000) as unknown as number[]));
  return `base64:${btoa(parts.join(''))}`;
}

/** The bytes of an asset kept as assetText. */
export function assetBytes(text: string): Uint8Array {
  if (!text.startsWith('base64:')) return new TextEncoder().encode(text);
  const data = text.slice('base64:'.length);
  const native = (Uint8Array as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return native(data);
  const binary = atob(data);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

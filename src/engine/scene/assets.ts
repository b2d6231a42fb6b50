/**
 * The asset layers a scene's references reach (SceneDocument.assets): how a reference's asset path
 * resolves to a key of that table, and which keys are still reached once references change.
 */
import type { AssetReference } from './schema.ts';

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
 * The assets `references` reach: the layers they name and, through the asset paths written in
 * those layers' text (`@./parts/hand.usda@`), the layers those name. A binary layer's own
 * references cannot be seen here, so every binary layer that is reached keeps all others.
 */
export function reachableAssets(references: readonly AssetReference[], assets: Readonly<Record<string, string>>): Record<string, string> {
  const keep = new Set<string>();
  const pending = references.map((r) => r.asset);
  while (pending.length) {
    const key = pending.pop()!;
    if (keep.has(key) || !(key in assets)) continue;
    keep.add(key);
    const text = assets[key]!;
    if (text.startsWith('base64:')) return { ...assets };
    for (const m of text.matchAll(/@([^@\s]+)@/g)) pending.push(resolveAssetKey(key, m[1]!));
  }
  return Object.fromEntries(Object.entries(assets).filter(([key]) => keep.has(key)));
}

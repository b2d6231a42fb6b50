/**
 * Dropping an asset into a scene as a USD reference, as Isaac Sim's stage does: the asset becomes
 * a layer of its own (`assets/<name>.usda`, its prims under one root prim, the layer's default
 * prim), and a new prim `<parent>/<name>` references it. The document gets the asset's content
 * expanded under that prim (what the reference brings, so simulation, views and edits see it like
 * any prims) and records the reference and the layer; USD export writes the reference and only
 * the edits made over it (export.ts, exportUsdLayers).
 */
import { InputError } from '../errors.ts';
import { identityTransform, insertScene, repath } from '../scene/edit.ts';
import type { SceneDocument, Transform } from '../scene/schema.ts';
import { EARTH_GRAVITY } from '../scene/schema.ts';
import { composeUsd, resolverFromAssets } from './compose.ts';
import { exportUsda } from './export.ts';
import { importUsdLayer } from './import.ts';
import { readUsdLayer } from './layer.ts';
import { IDENTIFIER } from './typeNames.ts';

/** The folder referenced asset layers are kept in, relative to the scene file. */
export const ASSET_FOLDER = 'assets';

/** An asset document as a USD layer of its own: every prim under one root prim named `name`. */
export function assetLayer(asset: SceneDocument, name: string): string {
  if (!IDENTIFIER.test(name)) throw new InputError(asset.source.file, `"${name}" is not a USD prim name; cannot write the asset layer`);
  const root = `/${name}`;
  const moved = repath(asset, (p) => root + p);
  const wrapped: SceneDocument = {
    ...moved,
    gravity: [0, -EARTH_GRAVITY, 0],
    prims: [{ path: root, type: 'Xform', transform: identityTransform(), visible: true, labels: {}, articulationRoot: false }, ...moved.prims],
  };
  delete wrapped.references;
  delete wrapped.assets;
  return exportUsda(wrapped, [root]);
}

/**
 * Adds `asset` under `parent` (null: the root) as a prim `name` that references it, placed by
 * `transform`. The asset's layer is `assets/<assetName>.usda` (or `<assetName>_1.usda`, … when
 * another layer already has that name), its root prim `/<assetName>`; the same asset dropped twice
 * shares one layer.
 */
export function insertReference(doc: SceneDocument, parent: string | null, name: string, asset: SceneDocument, transform?: Transform, assetName = name): SceneDocument {
  const text = assetLayer(asset, assetName);
  const assets = { ...(doc.assets ?? {}) };
  let key = '';
  for (let k = 0; ; k++) {
    key = `${ASSET_FOLDER}/${k ? `${assetName}_${k}` : assetName}.usda`;
    if (!(key in assets) || assets[key] === text) break;
  }
  assets[key] = text;
  // The content is what the reference brings: the layer read back, not the document given.
  const composed = composeUsd(readUsdLayer(text, key), resolverFromAssets(assets));
  const brought = importUsdLayer(composed.layer).document;
  const expanded = repath(brought, (p) => p.slice(`/${assetName}`.length) || '/');
  const inner: SceneDocument = { ...expanded, prims: expanded.prims.filter((p) => p.path !== '/') };
  const next = insertScene(doc, parent, name, inner, transform);
  const prim = `${parent ?? ''}/${name}`;
  return { ...next, references: [...(doc.references ?? []), { prim, asset: key, target: null }], assets };
}

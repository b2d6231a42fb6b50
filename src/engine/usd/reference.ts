/**
 * Dropping an asset into a scene as a USD reference, as Isaac Sim's stage does: the asset becomes
 * a layer of its own (`assets/<name>.usda`, its prims under one root prim, the layer's default
 * prim), and a new prim `<parent>/<name>` references it. The document gets the asset's content
 * expanded under that prim (what the reference brings, so simulation, views and edits see it like
 * any prims) and records the reference and the layer; USD export writes the reference and only
 * the edits made over it (export.ts, exportUsdLayers).
 */
import { InputError } from '../errors.ts';
import { insertScene, repath, withImagesIn } from '../scene/edit.ts';
import { newPrim } from '../scene/prim.ts';
import type { SceneDocument, Transform } from '../scene/schema.ts';
import { EARTH_GRAVITY } from '../scene/schema.ts';
import { exportUsda, REFERENCING, referencedContent } from './export.ts';
import { IDENTIFIER } from './typeNames.ts';

/** The folder referenced asset layers are kept in, relative to the scene file. */
export const ASSET_FOLDER = 'assets';

/**
 * An asset document as a USD layer of its own, to be kept at `layerKey`: every prim under one root
 * prim named `name`, the images its looks show named relative to that layer.
 */
export function assetLayer(asset: SceneDocument, name: string, layerKey = `${ASSET_FOLDER}/${name}.usda`): string {
  if (!IDENTIFIER.test(name)) throw new InputError(asset.source.file, `"${name}" is not a USD prim name; cannot write the asset layer`);
  const root = `/${name}`;
  const moved = repath(asset, (p) => root + p);
  const wrapped: SceneDocument = {
    ...moved,
    gravity: [0, -EARTH_GRAVITY, 0],
    prims: [newPrim(root), ...moved.prims],
  };
  delete wrapped.references;
  delete wrapped.assets;
  return exportUsda(wrapped, [root], layerKey);
}

/**
 * Adds `asset` under `parent` (null: the root) as a prim `name` that references it, placed by
 * `transform`. The asset's layer is `assets/<assetName>.usda` (or `<assetName>_1.usda`, … when
 * another layer already has that name), its root prim `/<assetName>`; the same asset dropped twice
 * shares one layer. The images its looks show are kept beside the scene's own (under the keys the
 * asset gives them, renamed when the scene has another file there) and the layer names them.
 */
export function insertReference(doc: SceneDocument, parent: string | null, name: string, asset: SceneDocument, transform?: Transform, assetName = name): SceneDocument {
  const assets = { ...(doc.assets ?? {}) };
  const placedAsset = withImagesIn(assets, asset);
  // Every candidate key lies in ASSET_FOLDER, so the text (its image paths included) is the same for each.
  const text = assetLayer(placedAsset, assetName);
  let key = '';
  for (let k = 0; ; k++) {
    key = `${ASSET_FOLDER}/${k ? `${assetName}_${k}` : assetName}.usda`;
    if (!(key in assets) || assets[key] === text) break;
  }
  assets[key] = text;
  // The content is what the reference brings: the layer read back, not the document given.
  const brought = referencedContent(doc.source.file, [{ prim: REFERENCING, asset: key, target: null }], assets);
  const expanded = repath(brought, (p) => p.slice(REFERENCING.length) || '/');
  const inner: SceneDocument = { ...expanded, prims: expanded.prims.filter((p) => p.path !== '/') };
  const next = insertScene(doc, parent, name, inner, transform);
  const prim = `${parent ?? ''}/${name}`;
  return { ...next, references: [...(doc.references ?? []), { prim, asset: key, target: null }], assets };
}

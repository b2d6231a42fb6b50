/**
 * Randomization authored where the property lives: the inspector marks a prim's colour, roughness,
 * mass, … as randomized, and that becomes an entry of the randomization spec (docs/RANDOMIZATION.md)
 * naming the prim by its exact path — `objects: [{ prims: /World/Cube, color: { uniform: … } }]`,
 * a light's intensity under `lights`, a camera's field of view under `cameras`. The spec stays the
 * one the Randomize panel edits and generation runs: this module reads and rewrites its YAML text,
 * keeping everything else in it (comments included), so the panel lists every randomized property.
 * Pure.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, YAMLMap, YAMLSeq } from 'yaml';
import { Vector3 } from 'three';
import { worldMatrices } from '../../engine/scene/hierarchy.ts';
import type { Prim, SceneDocument } from '../../engine/scene/schema.ts';
import { NO_TEXTURE } from '../../engine/randomize/spec.ts';
import { TEXTURE_CHOICES } from './inspectorModel.ts';

export type SpecGroup = 'objects' | 'lights' | 'cameras';

/** One property the inspector can randomize. */
export interface Randomizable {
  /** The spec entry's key ("color", "mass", "intensity", "fov"). */
  key: string;
  group: SpecGroup;
  /** As the inspector names the property. */
  label: string;
  /** Whether this prim has the property. */
  applies(prim: Prim): boolean;
  /** What a new mark starts with, around the prim's current value (a spec value for `key`). */
  initial(prim: Prim, doc: SceneDocument): SpecValue;
}

/** The distributions the inspector writes: uniform between two values (numbers or colours). */
export interface Distribution {
  uniform: [number, number] | [[number, number, number], [number, number, number]];
}

/** A value for an entry's key: a distribution, or a structure such as `scatter` or `rotation`. */
export type SpecValue = Distribution | Record<string, unknown>;

/** Written as people write these specs: `{ uniform: [1, 3] }`, no padding inside brackets. */
const FORMAT = { flowCollectionPadding: false } as const;

const round = (x: number) => Math.round(x * 1e4) / 1e4;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const around = (v: number, lo: number, hi: number): Distribution => ({ uniform: [round(v * lo), round(v * hi)] });
const fraction = (v: number): Distribution => ({ uniform: [round(clamp01(v - 0.2)), round(clamp01(v + 0.2))] });
const solid = (p: Prim) => p.geometry !== undefined && p.geometry.kind !== 'plane';

export const RANDOMIZABLE: readonly Randomizable[] = [
  {
    key: 'color',
    group: 'objects',
    label: 'Colour',
    applies: (p) => p.material !== undefined,
    initial: (p) => {
      const c = p.material!.color;
      return { uniform: [c.map((x) => round(clamp01(x - 0.15))) as [number, number, number], c.map((x) => round(clamp01(x + 0.15))) as [number, number, number]] };
    },
  },
  { key: 'roughness', group: 'objects', label: 'Roughness', applies: (p) => p.material !== undefined, initial: (p) => fraction(p.material!.roughness) },
  {
    // Any bundled texture, or none, starting with the one it has.
    key: 'texture',
    group: 'objects',
    label: 'Texture',
    applies: (p) => p.material !== undefined && p.geometry !== undefined,
    initial: (p) => {
      const now = p.material!.texture ?? NO_TEXTURE;
      return { choice: [now, ...TEXTURE_CHOICES.filter((t) => t !== now)] };
    },
  },
  { key: 'metallic', group: 'objects', label: 'Metallic', applies: (p) => p.material !== undefined, initial: (p) => fraction(p.material!.metallic) },
  { key: 'mass', group: 'objects', label: 'Mass (kg)', applies: (p) => p.body?.type === 'dynamic' && p.mass?.mass !== undefined, initial: (p) => around(p.mass!.mass!, 0.5, 1.5) },
  { key: 'friction', group: 'objects', label: 'Friction', applies: (p) => p.collider !== undefined, initial: () => ({ uniform: [0.3, 1] }) },
  { key: 'restitution', group: 'objects', label: 'Restitution', applies: (p) => p.collider !== undefined, initial: () => ({ uniform: [0, 0.5] }) },
  { key: 'scale', group: 'objects', label: 'Scale', applies: solid, initial: () => ({ uniform: [0.8, 1.2] }) },
  {
    // Placed anywhere in a box 10 cm across (and as high as it is) around where it stands now.
    key: 'scatter',
    group: 'objects',
    label: 'Position',
    applies: solid,
    initial: (p, doc) => {
      const at = new Vector3().setFromMatrixPosition(worldMatrices(doc).get(p.path)!);
      return { volume: { min: [round(at.x - 0.05), round(at.y), round(at.z - 0.05)], max: [round(at.x + 0.05), round(at.y), round(at.z + 0.05)] }, spacing: 0 };
    },
  },
  { key: 'rotation', group: 'objects', label: 'Rotation (yaw)', applies: solid, initial: () => ({ yaw: { uniform: [-180, 180] } }) },
  { key: 'intensity', group: 'lights', label: 'Intensity', applies: (p) => p.light !== undefined, initial: (p) => around(p.light!.intensity || 1, 0.5, 1.5) },
  {
    key: 'fov',
    group: 'cameras',
    label: 'Vertical FOV (°)',
    applies: (p) => p.camera !== undefined,
    initial: (p) => {
      const deg = (p.camera!.fovY * 180) / Math.PI;
      return { uniform: [round(Math.max(1, deg - 5)), round(Math.min(170, deg + 5))] };
    },
  },
];

/** The field naming the prim in an entry of each group. */
const PRIM_FIELD: Record<SpecGroup, 'prims' | 'prim'> = { objects: 'prims', lights: 'prims', cameras: 'prim' };

export interface RandomizedProperty {
  group: SpecGroup;
  path: string;
  key: string;
  /** The distribution as written in the spec (plain data). */
  distribution: unknown;
}

function parse(text: string): Document {
  const doc = parseDocument(text.trim() ? text : 'version: 1\n');
  if (doc.errors.length) throw new Error(`the randomization spec is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it in the Randomize panel first`);
  if (!isMap(doc.contents)) {
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return parseDocument('version: 1\n');
    throw new Error('the randomization spec is not a YAML mapping; fix it in the Randomize panel first');
  }
  if (!doc.has('version')) doc.set('version', 1);
  return doc;
}

/** The spec parsed, or null when it is not a YAML mapping (the Randomize tab reports why). */
function tryParse(text: string): Document | null {
  try {
    return parse(text);
  } catch {
    return null;
  }
}

/** The entry of `group` that names exactly `path` (its own, as the inspector writes), or null. */
function entryFor(doc: Document, group: SpecGroup, path: string): YAMLMap | null {
  for (const entry of primEntries(doc)) if (entry.group === group && entry.path === path) return entry.item;
  return null;
}

/** Every entry of the spec that names a prim (by path or pattern), with that name. */
function* primEntries(doc: Document): Generator<{ group: SpecGroup; item: YAMLMap; path: string }> {
  for (const group of ['objects', 'lights', 'cameras'] as const) {
    const list = doc.get(group);
    if (!isSeq(list)) continue;
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const path = item.get(PRIM_FIELD[group]);
      if (typeof path === 'string') yield { group, item, path };
    }
  }
}

/** Every property randomized by an entry of its own (one prim by its exact path), in spec order. */
export function listRandomized(text: string): RandomizedProperty[] {
  const doc = tryParse(text);
  if (!doc) return [];
  const out: RandomizedProperty[] = [];
  for (const { group, item, path } of primEntries(doc)) {
    if (path.includes('*')) continue;
    for (const r of RANDOMIZABLE) {
      if (r.group !== group || !item.has(r.key)) continue;
      const value = item.get(r.key, true);
      out.push({ group, path, key: r.key, distribution: isMap(value) || isSeq(value) ? value.toJSON() : isScalar(value) ? value.value : value });
    }
  }
  return out;
}

/** The distribution `path`'s own entry gives `key`, or null when it is not randomized there. */
export function randomizedValue(text: string, group: SpecGroup, path: string, key: string): unknown {
  return listRandomized(text).find((r) => r.group === group && r.path === path && r.key === key)?.distribution ?? null;
}

/**
 * The spec text with `path`'s `key` randomized by `distribution` (null: not randomized; an entry
 * left with nothing to randomize is removed). Other entries, keys and comments stay as written.
 */
export function withRandomized(text: string, group: SpecGroup, path: string, key: string, distribution: SpecValue | null): string {
  const doc = parse(text);
  let entry = entryFor(doc, group, path);
  if (distribution === null) {
    if (!entry) return text;
    entry.delete(key);
    if (entry.items.length === 1) {
      const list = doc.get(group) as YAMLSeq;
      list.items.splice(list.items.indexOf(entry), 1);
      if (list.items.length === 0) doc.delete(group);
    }
    return doc.toString(FORMAT);
  }
  if (!entry) {
    let list = doc.get(group);
    if (!isSeq(list)) {
      list = new YAMLSeq();
      doc.set(group, list);
    }
    entry = new YAMLMap();
    entry.set(PRIM_FIELD[group], path);
    (list as YAMLSeq).items.push(entry);
  }
  const node = doc.createNode(distribution);
  // Short values on one line, as people write them ({uniform: [1, 3]}); nested ones in blocks.
  if (isMap(node) && !node.items.some((pair) => isMap(pair.value))) node.flow = true;
  entry.set(key, node);
  return doc.toString(FORMAT);
}

/** The spec text with every entry that names `from` or a prim under it (paths and patterns) naming `to` instead. */
export function withRenamedPrim(text: string, from: string, to: string): string {
  const doc = tryParse(text);
  if (!doc) return text;
  let changed = false;
  for (const { group, item, path } of primEntries(doc)) {
    if (path !== from && !path.startsWith(`${from}/`)) continue;
    item.set(PRIM_FIELD[group], to + path.slice(from.length));
    changed = true;
  }
  return changed ? doc.toString(FORMAT) : text;
}

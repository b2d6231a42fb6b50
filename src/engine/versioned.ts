/**
 * Versions and migrations of every format Simloop persists (scene documents, project files,
 * randomization specs, task specs, robot profiles, policy manifests, dataset manifests, generation
 * state, job files, demonstration manifests, workflows, lineage), the tldraw way: each format names its current version, keeps one migration per change (version N →
 * N + 1), and reads a document in three steps — its version checked (a newer one than this build
 * knows is refused, saying so, rather than read with fields silently lost), the migrations from
 * its version up applied in order, then the current schema (strict: unknown fields are errors).
 *
 * A schema change without a new version is caught by src/engine/formats.test.ts, which records a
 * fingerprint of each format's schema at its current version.
 */
import { InputError } from './errors.ts';

/** Turns a version-N document into a version-(N + 1) one (plain JSON in, plain JSON out). */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

export interface VersionedFormat {
  /** What the format is called in messages: "scene document", "task spec", … */
  name: string;
  /** The field holding the version ("version"; policy manifests: "simloop_policy"). */
  field: string;
  /** The version this build writes and reads natively. */
  current: number;
  /** migrations[N] brings version N to N + 1; one for each N from 1 to current − 1. */
  migrations: Readonly<Record<number, Migration>>;
}

/** A format's description, checked: a migration for every older version. */
export function versionedFormat(format: VersionedFormat): VersionedFormat {
  if (!Number.isInteger(format.current) || format.current < 1) throw new Error(`${format.name}: current version must be a whole number ≥ 1`);
  for (let v = 1; v < format.current; v++) if (!format.migrations[v]) throw new Error(`${format.name}: no migration from version ${v} to ${v + 1}`);
  for (const key of Object.keys(format.migrations)) {
    const v = Number(key);
    if (!(v >= 1 && v < format.current)) throw new Error(`${format.name}: a migration from version ${key}, outside 1..${format.current - 1}`);
  }
  return format;
}

/**
 * The document brought to the format's current version. `value` is the parsed JSON/YAML; errors
 * name `file` and the version field. The result still has to pass the format's schema.
 */
export function upgradeDocument(format: VersionedFormat, value: unknown, file: string, lineOf: (path: PropertyKey[]) => number | null = () => null): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(file, `a ${format.name} must be an object with "${format.field}: ${format.current}"`);
  let doc = value as Record<string, unknown>;
  const version = doc[format.field];
  const line = lineOf(version === undefined ? [] : [format.field]);
  const at = line ? ` (line ${line})` : '';
  if (version === undefined) throw new InputError(file, `${format.field}: missing (expected ${format.current}, the ${format.name} version this Simloop writes)${at}`);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new InputError(file, `${format.field}: expected a ${format.name} version, a whole number from 1 to ${format.current}, got ${JSON.stringify(version)}${at}`);
  }
  if (version > format.current) {
    throw new InputError(file, `${format.field}: ${version}: this ${format.name} was written by a newer Simloop (this one reads versions up to ${format.current}); update Simloop to open it${at}`);
  }
  for (let v = version; v < format.current; v++) doc = { ...format.migrations[v]!(doc), [format.field]: v + 1 };
  return doc;
}

/**
 * The dataset manifest (`<out>/manifest.json`): lineage (Simloop version, sha256 of the scene and
 * of the randomization spec, seed, resolution, annotators, formats) and completeness (which frame
 * range each shard covers, how many of its frames are complete, when it finished). Versioned; the
 * one place that builds, reads and merges manifests.
 */
import { upgradeDocument, type VersionedFormat, versionedFormat } from '../versioned.ts';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { describeZodIssues } from './job.ts';

export const MANIFEST_SCHEMA_ID = 'simloop.dataset-manifest';
export const MANIFEST_VERSION = 1;
/** Version and migrations (engine/versioned.ts); version 1 is the first. */
export const MANIFEST_FORMAT = versionedFormat({ name: 'dataset manifest', field: 'version', current: MANIFEST_VERSION, migrations: {} });

const Lineage = z.strictObject({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const ShardStatus = z.strictObject({
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  /** Frames [start, end) of the whole dataset this shard produces. */
  range: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  complete_frames: z.number().int().nonnegative(),
  complete: z.boolean(),
  /** ISO 8601, when the shard's last frame and aggregate files were written; null while running. */
  finished_at: z.string().nullable(),
});
export type ShardStatus = z.infer<typeof ShardStatus>;

export const DatasetManifest = z.strictObject({
  schema: z.literal(MANIFEST_SCHEMA_ID),
  version: z.literal(MANIFEST_VERSION),
  simloop_version: z.string(),
  scene: Lineage,
  randomization: Lineage.nullable(),
  seed: z.number().int().nonnegative(),
  /** Frames of the whole dataset, and the range present in this directory. */
  frames: z.strictObject({ total: z.number().int().positive(), range: z.tuple([z.number().int(), z.number().int()]) }),
  resolution: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  cameras: z.array(z.string()),
  classes: z.array(z.strictObject({ id: z.number().int().positive(), name: z.string() })),
  annotators: z.array(z.string()),
  formats: z.array(z.string()),
  shards: z.array(ShardStatus),
  /** True when every frame of `frames.range` and every aggregate file is written. */
  complete: z.boolean(),
});
export type DatasetManifest = z.infer<typeof DatasetManifest>;

/**
 * A versioned JSON file a generation run keeps (the dataset manifest, the generation state): its
 * JSON, its schema id, its version brought up (engine/versioned.ts), then its strict schema. Errors
 * name the file and the field.
 */
export function parseRunFile<T>(bytes: Uint8Array, file: string, schemaId: string, format: VersionedFormat, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InputError(file, `invalid JSON (${(e as Error).message})`);
  }
  if (json && typeof json === 'object' && (json as { schema?: unknown }).schema !== schemaId) {
    throw new InputError(file, `schema: expected "${schemaId}", got ${JSON.stringify((json as { schema?: unknown }).schema) ?? 'nothing'}`);
  }
  const result = schema.safeParse(upgradeDocument(format, json, file));
  if (!result.success) throw new InputError(file, describeZodIssues(result.error));
  return result.data;
}

export const parseManifest = (bytes: Uint8Array, file: string): DatasetManifest => parseRunFile(bytes, file, MANIFEST_SCHEMA_ID, MANIFEST_FORMAT, DatasetManifest);

export function encodeManifest(manifest: DatasetManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Hex sha256 of bytes (WebCrypto: present in browsers, workers and Node ≥ 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

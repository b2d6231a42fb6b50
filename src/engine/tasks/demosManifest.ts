/**
 * The demonstration manifest (`<out>/manifest.json` of `simloop demos`): what made the datasets —
 * Simloop's version, the task, scene and robot files with their sha256, seed, episode count,
 * formats, rate, cameras, action noise, USD variants — and, for a shard, which block of the job's
 * episodes it holds. Written last, so its presence says the run finished. `simloop merge` reads it
 * to refuse shards of different jobs (naming the field that differs) and to find missing or
 * repeated shards. Versioned; the one place that builds and reads it.
 */
import { z } from 'zod';
import { parseRunFile } from '../jobs/manifest.ts';
import { versionedFormat } from '../versioned.ts';

export const DEMOS_MANIFEST_SCHEMA_ID = 'simloop.demos-manifest';
export const DEMOS_MANIFEST_VERSION = 1;
/** Version and migrations (engine/versioned.ts); version 1 is the first. */
export const DEMOS_MANIFEST_FORMAT = versionedFormat({ name: 'demonstration manifest', field: 'version', current: DEMOS_MANIFEST_VERSION, migrations: {} });

const FileHash = z.strictObject({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const DemosManifest = z.strictObject({
  schema: z.literal(DEMOS_MANIFEST_SCHEMA_ID),
  version: z.literal(DEMOS_MANIFEST_VERSION),
  simloop_version: z.string(),
  task: FileHash.extend({ id: z.string() }),
  scene: FileHash,
  robot: FileHash.nullable(),
  seed: z.number().int().nonnegative(),
  /** Episodes of the whole job, and the block [start, end) in this directory (its episodes 0 … end − start − 1). */
  episodes: z.strictObject({ total: z.number().int().positive(), range: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]) }),
  formats: z.array(z.string()),
  fps: z.number().positive(),
  /** The recorded cameras in order (empty with --no-cameras). */
  cameras: z.array(z.strictObject({ key: z.string(), path: z.string(), width: z.number().int().positive(), height: z.number().int().positive() })),
  noise: z.strictObject({ position: z.number(), rotation: z.number(), tau: z.number().optional() }).nullable(),
  variants: z.array(z.string()),
  /** Shard i of N (`--shard i/N`), or null for a whole run (or a merge). */
  shard: z.strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).nullable(),
  /** Episodes recorded and how many succeeded. */
  recorded: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
});
export type DemosManifest = z.infer<typeof DemosManifest>;

/** The fields two shards of one job share (everything but the shard, its block and its results). */
export const DEMOS_JOB_FIELDS = ['simloop_version', 'task', 'scene', 'robot', 'seed', 'formats', 'fps', 'cameras', 'noise', 'variants'] as const;

export const parseDemosManifest = (bytes: Uint8Array, file: string): DemosManifest => parseRunFile(bytes, file, DEMOS_MANIFEST_SCHEMA_ID, DEMOS_MANIFEST_FORMAT, DemosManifest);

export function encodeDemosManifest(manifest: DemosManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** The first job field in which `b` differs from `a`, described ("seed: 7, not 8"), or null. */
export function demosJobDifference(a: DemosManifest, b: DemosManifest): string | null {
  for (const key of DEMOS_JOB_FIELDS) {
    const x = JSON.stringify(a[key]);
    const y = JSON.stringify(b[key]);
    if (x !== y) return `${key} is ${y}, not ${x}`;
  }
  if (a.episodes.total !== b.episodes.total) return `episodes.total is ${b.episodes.total}, not ${a.episodes.total}`;
  return null;
}

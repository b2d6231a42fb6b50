/**
 * The generation state (`<out>/.simloop/dataset.json`, jobs/layout.ts): the job as it ran — what
 * a resume, another shard or `simloop merge` must match. Versioned (engine/versioned.ts) and read
 * with a strict schema, like every persisted format.
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { upgradeDocument, versionedFormat } from '../versioned.ts';
import { describeZodIssues } from './job.ts';

export const DATASET_STATE_SCHEMA_ID = 'simloop.dataset-state';
export const DATASET_STATE_VERSION = 1;

export const DATASET_STATE_FORMAT = versionedFormat({ name: 'generation state', field: 'version', current: DATASET_STATE_VERSION, migrations: {} });

const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex sha256');

export const DatasetState = z.strictObject({
  schema: z.literal(DATASET_STATE_SCHEMA_ID),
  version: z.literal(DATASET_STATE_VERSION),
  scene_sha256: sha256,
  randomization_sha256: sha256.nullable(),
  seed: count,
  frames: z.number().int().positive(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  formats: z.array(z.string()),
  shadows: z.boolean(),
  shard: z.strictObject({ index: count, count: z.number().int().positive() }),
  info: z.strictObject({
    classes: z.array(z.strictObject({ id: z.number().int().positive(), name: z.string() })),
    cameras: z.array(z.string()),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    frames: z.number().int().positive(),
  }),
});
export type DatasetState = z.infer<typeof DatasetState>;

/** Reads a generation state; errors name the file and the field. */
export function parseDatasetState(bytes: Uint8Array, file: string): DatasetState {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InputError(file, `invalid JSON (${(e as Error).message})`);
  }
  if (json && typeof json === 'object' && (json as { schema?: unknown }).schema !== DATASET_STATE_SCHEMA_ID) {
    throw new InputError(file, `schema: expected "${DATASET_STATE_SCHEMA_ID}", got ${JSON.stringify((json as { schema?: unknown }).schema) ?? 'nothing'}`);
  }
  const result = DatasetState.safeParse(upgradeDocument(DATASET_STATE_FORMAT, json, file));
  if (!result.success) throw new InputError(file, describeZodIssues(result.error));
  return result.data;
}

export const encodeDatasetState = (state: DatasetState): Uint8Array => new TextEncoder().encode(`${JSON.stringify(state)}\n`);

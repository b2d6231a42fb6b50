/**
 * The generation state (`<out>/.simloop/dataset.json`, jobs/layout.ts): the job as it ran — what
 * a resume, another shard or `simloop merge` must match. Versioned (engine/versioned.ts) and read
 * with a strict schema, like every persisted format.
 */
import { z } from 'zod';
import { versionedFormat } from '../versioned.ts';
import { parseRunFile } from './manifest.ts';

export const DATASET_STATE_SCHEMA_ID = 'simloop.dataset-state';
export const DATASET_STATE_VERSION = 2;

export const DATASET_STATE_FORMAT = versionedFormat({
  name: 'generation state',
  field: 'version',
  current: DATASET_STATE_VERSION,
  // 2: the quality preset (`--quality`); every dataset before it was drawn with the default one.
  migrations: { 1: (state) => ({ ...state, quality: 'default' }) },
});

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
  quality: z.enum(['default', 'fast']),
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
export const parseDatasetState = (bytes: Uint8Array, file: string): DatasetState => parseRunFile(bytes, file, DATASET_STATE_SCHEMA_ID, DATASET_STATE_FORMAT, DatasetState);

export const encodeDatasetState = (state: DatasetState): Uint8Array => new TextEncoder().encode(`${JSON.stringify(state)}\n`);

/**
 * A synthetic-data generation job: what `simloop generate` takes as flags or as a job file, and
 * what the studio's generate panel builds. Owns the schema, defaults and the frame range of a
 * shard. Paths are kept as given; hosts resolve them.
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import type { Shading } from '../render/sceneView.ts';

export const FORMATS = ['coco', 'basic', 'yolo', 'kitti'] as const;
export type DatasetFormat = (typeof FORMATS)[number];

/** Every annotation the pipeline computes for each frame and camera (recorded in the manifest). */
export const ANNOTATORS = [
  'rgb',
  'distance_to_image_plane',
  'normals',
  'semantic_segmentation',
  'instance_segmentation',
  'bounding_box_2d_tight',
  'bounding_box_2d_loose',
  'bounding_box_3d',
  'visible_fraction',
  'pose',
  'camera_params',
] as const;

export const MAX_IMAGE_SIDE = 8192;

const side = z.number().int().min(1, 'at least 1 pixel').max(MAX_IMAGE_SIDE, `at most ${MAX_IMAGE_SIDE} pixels`);

export const Shard = z
  .object({ index: z.number().int().nonnegative(), count: z.number().int().positive() })
  .refine((s) => s.index < s.count, { message: 'shard index must be below the shard count (i/N with 0 ≤ i < N)' });
export type Shard = z.infer<typeof Shard>;

export const GenerateJob = z.object({
  scene: z.string().min(1, 'a scene file'),
  frames: z.number().int().min(1, 'at least 1 frame').max(100_000_000),
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  out: z.string().min(1, 'an output directory'),
  randomize: z.string().min(1).nullable().default(null),
  width: side.default(640),
  height: side.default(480),
  formats: z.array(z.enum(FORMATS)).default([...FORMATS]),
  workers: z.number().int().min(1).max(64).default(2),
  shard: Shard.default({ index: 0, count: 1 }),
  resume: z.boolean().default(false),
  /** Shadows in the colour pass (labels never depend on them). */
  shadows: z.boolean().default(true),
  /**
   * The colour pass's preset (labels never depend on it): `default` draws physically based
   * materials with shadows; `fast` draws diffuse (Lambert) materials without shadows. See QUALITY.
   */
  quality: z.enum(['default', 'fast']).default('default'),
  /** USD variant choices, each `<primPath>:<set>=<name>` (usd/compose.ts parseVariantChoice). */
  variants: z.array(z.string().regex(/^\/[^:{}]*:[^=:]+=.*$/, 'a variant choice <primPath>:<set>=<name>')).default([]),
});
export type GenerateJob = z.infer<typeof GenerateJob>;

/**
 * What each quality preset changes in the colour image; labels (depth, normals, masks, boxes,
 * poses) are the same for both. `fast` turns shadows off whatever `shadows` says.
 */
export const QUALITY: Readonly<Record<GenerateJob['quality'], { shading: Shading; shadows: boolean }>> = {
  default: { shading: 'standard', shadows: true },
  fast: { shading: 'lambert', shadows: false },
};
export type GenerateJobInput = z.input<typeof GenerateJob>;

/** "a.b[2]: message" for the first problems of a zod error. */
export function describeZodIssues(error: z.ZodError, max = 3): string {
  return error.issues
    .slice(0, max)
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
      return `${path || '(top level)'}: ${issue.message}`;
    })
    .join('; ');
}

export function parseGenerateJob(value: unknown, file = '<job>'): GenerateJob {
  const result = GenerateJob.safeParse(value);
  if (!result.success) throw new InputError(file, describeZodIssues(result.error));
  const job = result.data;
  if (new Set(job.formats).size !== job.formats.length) throw new InputError(file, 'formats: a format is listed twice');
  if (!QUALITY[job.quality].shadows) job.shadows = false;
  return job;
}

/** "i/N" → shard, or an InputError naming the flag. */
export function parseShard(text: string, where = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new InputError(where, `expected i/N (for example 0/4), got "${text}"`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  const result = Shard.safeParse(shard);
  if (!result.success) throw new InputError(where, describeZodIssues(result.error));
  return shard;
}

/** Frames [start, end) of shard i of N: contiguous blocks, sizes differing by at most one. */
export function shardRange(frames: number, shard: Shard): { start: number; end: number } {
  const start = Math.floor((shard.index * frames) / shard.count);
  const end = Math.floor(((shard.index + 1) * frames) / shard.count);
  return { start, end };
}

/** The generate job the synthetic-data benchmarks run: the bundled tabletop with its randomization spec, seed 1. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GenerateJob, type GenerateJobInput, parseGenerateJob } from '../src/engine/jobs/job.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export function tabletopJob(fields: Omit<GenerateJobInput, 'scene' | 'randomize' | 'seed'>): GenerateJob {
  return parseGenerateJob({ scene: join(root, 'scenes/tabletop.usda'), randomize: join(root, 'scenes/tabletop.randomize.yaml'), seed: 1, ...fields });
}

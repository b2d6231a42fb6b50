/** The stage ladder's stages (bench:sdg): shared by Node's side (runStages.ts), the page and the worker. */

/**
 * Where a frame stops: `labelled` (sampled and settled, drawn, read back and labelled: every
 * label in memory, nothing encoded), `encoded` (and every format's files made, then dropped in
 * the worker), `posted` (and the files moved to the page, which drops them).
 */
export type PipelineStage = 'labelled' | 'encoded' | 'posted';
export const PIPELINE_STAGES: readonly PipelineStage[] = ['labelled', 'encoded', 'posted'];

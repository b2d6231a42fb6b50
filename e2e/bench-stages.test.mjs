/**
 * bench:sdg's stage ladder (bench/stages/) in headless Chromium: the tabletop job's frames made by
 * the frame pipeline and stopped after labelling, after encoding, and after reaching the page.
 * Rates are not checked here (benchmarks print them); what is: each rung does its stage's work (no
 * files when labelled; the same files per frame once encoded and once on the page), and the CPU
 * of the timed frames is read by process part.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureStage } from '../bench/stages/runStages.ts';
import { PIPELINE_STAGES } from '../bench/stages/stages.ts';
import { tabletopJob } from '../bench/tabletopJob.ts';
import { BASIC_PATHS } from '../src/engine/dataset/basic.ts';

test('the stage ladder stops the frame pipeline after each stage', { timeout: 600_000 }, async () => {
  const job = tabletopJob({ frames: 4, out: '/nonexistent-bench-output', width: 64, height: 48, workers: 2, formats: ['coco', 'basic'] });
  const rungs = {};
  for (const stage of PIPELINE_STAGES) rungs[stage] = await measureStage(job, { stage, workers: 2, frames: 2, warmup: 1 });
  assert.equal(rungs.labelled.files_per_frame, 0);
  // A frame's files: the Basic writer's (one per BASIC_PATHS entry) and COCO's image.
  assert.equal(rungs.encoded.files_per_frame, Object.keys(BASIC_PATHS).length + 1);
  assert.equal(rungs.posted.files_per_frame, rungs.encoded.files_per_frame);
  for (const [stage, r] of Object.entries(rungs)) {
    assert.ok(r.frames_per_second > 0 && Number.isFinite(r.frames_per_second), `${stage}: ${r.frames_per_second} frames/s`);
    if (process.platform === 'linux') assert.ok(r.cpu_ms_per_frame && r.cpu_ms_per_frame.renderer_workers > 0, `${stage}: no frame-worker CPU in ${JSON.stringify(r.cpu_ms_per_frame)}`);
  }
});

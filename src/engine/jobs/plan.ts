/**
 * What a generation job will produce before any frame is made: the dataset's classes (every label
 * that can appear: the scene's and the randomization's distractors') and cameras, and the lineage
 * (hashes of the inputs). Computed identically by the studio, the CLI and `merge`.
 */
import type { DatasetInfo } from '../dataset/types.ts';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { type RandomizationSpec, checkSpecAgainstScene, parseRandomizationSpec, specCameraPaths, specLabels } from '../randomize/spec.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { ANNOTATORS, type GenerateJob } from './job.ts';
import type { Lineage } from './generate.ts';
import { sha256Hex } from './manifest.ts';

export const SIMLOOP_VERSION = '0.1.0';

export interface GenerationInputs {
  sceneBytes: Uint8Array;
  sceneFile: string;
  specText: string | null;
  specFile: string | null;
}

export interface GenerationPlan {
  doc: SceneDocument;
  spec: RandomizationSpec | null;
  info: DatasetInfo;
  lineage: Lineage;
  warnings: string[];
}

/** Loads and checks the inputs; every problem is an InputError naming the file and field. */
export async function planGeneration(inputs: GenerationInputs, job: GenerateJob): Promise<GenerationPlan> {
  const { document: doc, warnings } = await loadSceneFile(inputs.sceneBytes, inputs.sceneFile);
  const specFile = inputs.specFile ?? '<randomization spec>';
  const spec = inputs.specText !== null ? parseRandomizationSpec(inputs.specText, specFile) : null;
  if (spec) checkSpecAgainstScene(spec, doc, specFile);
  const cameras = specCameraPaths(doc, spec);
  if (cameras.length === 0) throw new InputError(inputs.sceneFile, 'the scene has no camera and the randomization spec adds none; add a UsdGeomCamera or a cameras: entry');
  const labels = new Set<string>();
  for (const prim of doc.prims) for (const label of prim.labels['class'] ?? []) labels.add(label);
  for (const label of specLabels(spec)) labels.add(label);
  const classes = [...labels].sort().map((name, i) => ({ id: i + 1, name }));
  const info: DatasetInfo = { classes, cameras, width: job.width, height: job.height, frames: job.frames };
  const lineage: Lineage = {
    simloopVersion: SIMLOOP_VERSION,
    scene: { file: inputs.sceneFile, sha256: await sha256Hex(inputs.sceneBytes) },
    randomization: inputs.specText !== null ? { file: specFile, sha256: await sha256Hex(new TextEncoder().encode(inputs.specText)) } : null,
    annotators: ANNOTATORS,
  };
  return { doc, spec, info, lineage, warnings };
}

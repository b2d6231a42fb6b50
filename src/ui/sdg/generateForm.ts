/**
 * The generate panel's form: what the fields hold (text, as typed), which destinations this
 * browser offers, and the form turned into a `GenerateJob` — checked by the engine's own schema
 * (jobs/job.ts), so the studio and `simloop generate` accept and reject the same jobs. Pure.
 */
import { PROJECT_FILE_EXTENSION } from '../../engine/project.ts';
import { describeError } from '../../engine/errors.ts';
import { FORMATS, type DatasetFormat, type GenerateJob, parseGenerateJob } from '../../engine/jobs/job.ts';

/** Where a dataset goes: the origin-private file system, a folder the user picked, or a zip download. */
export type DestinationKind = 'opfs' | 'directory' | 'zip';

export const DESTINATION_LABEL: Record<DestinationKind, string> = {
  opfs: 'Browser storage (OPFS)',
  directory: 'A folder on this computer',
  zip: 'Zip download',
};

/** OPFS folder that holds the studio's datasets, one sub-folder per dataset name. */
export const OPFS_DATASETS_DIR = 'datasets';

export interface GenerateForm {
  frames: string;
  seed: string;
  width: string;
  height: string;
  workers: string;
  formats: DatasetFormat[];
  /** The colour pass's preset (jobs/job.ts QUALITY): labels are the same for both. */
  quality: GenerateJob['quality'];
  destination: DestinationKind;
  /** OPFS dataset name (a folder under `datasets/`), also the zip's file name. */
  datasetName: string;
}

export const defaultGenerateForm = (destination: DestinationKind = 'opfs', workers = 2): GenerateForm => ({
  frames: '10',
  seed: '0',
  width: '640',
  height: '480',
  workers: String(workers),
  formats: ['coco', 'basic'],
  quality: 'default',
  destination,
  datasetName: 'dataset-001',
});

/** What the studio says each quality preset does to the picture (docs/CLI.md has the whole table). */
export const QUALITY_LABEL: Record<GenerateJob['quality'], string> = {
  default: 'Default: physically based materials, shadows',
  fast: 'Fast: diffuse materials, no shadows (same labels)',
};

export interface BrowserCapabilities {
  /** navigator.storage.getDirectory */
  opfs: boolean;
  /** window.showDirectoryPicker (File System Access) */
  directoryPicker: boolean;
}

/** Destinations this browser offers, the default first. A zip download works everywhere. */
export function availableDestinations(caps: BrowserCapabilities): DestinationKind[] {
  const out: DestinationKind[] = [];
  if (caps.opfs) out.push('opfs');
  if (caps.directoryPicker) out.push('directory');
  out.push('zip');
  return out;
}

/** Whether a destination can continue an interrupted dataset (a zip stream can't reopen). */
export const canResume = (kind: DestinationKind): boolean => kind !== 'zip';

/** Why a dataset name is not usable as a folder name, or null. */
export function datasetNameProblem(name: string): string | null {
  if (name.trim() === '') return 'dataset name: enter a name';
  if (name.length > 100) return 'dataset name: at most 100 characters';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return 'dataset name: letters, digits, ".", "_" and "-" only, starting with a letter or digit';
  return null;
}

/** "tabletop-001", or the next number not in `existing`. */
export function nextDatasetName(stem: string, existing: readonly string[]): string {
  const base = stem.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '') || 'dataset';
  const taken = new Set(existing);
  for (let i = 1; ; i++) {
    const name = `${base}-${String(i).padStart(3, '0')}`;
    if (!taken.has(name)) return name;
  }
}

/** A scene file name without its extension ("tabletop.usda" → "tabletop"). */
/** "scenes/tabletop.usda" → "tabletop", "robot.simloop.json" → "robot": what files made from a scene are named after. */
export function sceneStem(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  if (base.endsWith(PROJECT_FILE_EXTENSION)) return base.slice(0, -PROJECT_FILE_EXTENSION.length) || 'scene';
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base) || 'scene';
}

/** A form field as an integer, or an error naming the field. */
function integer(field: string, text: string): number | string {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return `${field}: enter a whole number`;
  return Number(trimmed);
}

export type JobFromForm = { ok: true; job: GenerateJob } | { ok: false; error: string };

/**
 * The job the form describes, for scene `sceneFile` with spec `specFile` (null: no randomization).
 * `out` names the destination for the manifest and messages; the sink decides where bytes go.
 */
export function jobFromForm(form: GenerateForm, sceneFile: string, specFile: string | null, out: string, resume = false): JobFromForm {
  const numbers: Record<string, number> = {};
  for (const field of ['frames', 'seed', 'width', 'height', 'workers'] as const) {
    const value = integer(field, form[field]);
    if (typeof value === 'string') return { ok: false, error: value };
    numbers[field] = value;
  }
  if (form.formats.length === 0) return { ok: false, error: 'formats: choose at least one format' };
  if (form.destination !== 'directory') {
    const problem = datasetNameProblem(form.datasetName);
    if (problem) return { ok: false, error: problem };
  }
  try {
    const job = parseGenerateJob(
      {
        scene: sceneFile,
        randomize: specFile,
        out,
        frames: numbers.frames,
        seed: numbers.seed,
        width: numbers.width,
        height: numbers.height,
        workers: numbers.workers,
        formats: FORMATS.filter((f) => form.formats.includes(f)),
        quality: form.quality,
        resume,
      },
      'generate',
    );
    return { ok: true, job };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

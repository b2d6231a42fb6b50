/**
 * The synthetic-data panels' state: the randomization spec being edited and whether it checks
 * out, the preview sample, the generate form and the run in progress, and the dataset viewer.
 * Plain data and pure functions; the zustand store (store.ts) holds it and the controller
 * (sdgStudio.ts) drives it.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { LabelledFrame } from '../../engine/dataset/types.ts';
import { describeError } from '../../engine/errors.ts';
import type { GenerationProgress, GenerationResult } from '../../engine/jobs/generate.ts';
import { checkSpecAgainstScene, parseRandomizationSpec } from '../../engine/randomize/spec.ts';
import type { SceneDocument } from '../../engine/scene/schema.ts';
import { type BrowserCapabilities, type DestinationKind, type GenerateForm, availableDestinations, defaultGenerateForm } from './generateForm.ts';
import type { InstanceMask, RgbaImage } from './datasetFrame.ts';
import type { FrameLine } from './jsonl.ts';

export type SdgTab = 'randomize' | 'generate' | 'dataset' | 'robot' | 'policy';

export interface SpecState {
  /** The spec's file name, for messages and the job's lineage. */
  file: string;
  /** Whether `file` is a bundled example (scenes/*.randomize.yaml) rather than a new, empty spec. */
  bundled: boolean;
  text: string;
  /** Why `text` is not a usable spec for the open scene (file, field, line and what is wrong), or null. */
  error: string | null;
}

export interface PreviewState {
  /** The frame index field. */
  frame: number;
  /** Which of the frame's cameras is shown. */
  camera: number;
  busy: boolean;
  error: string | null;
  /** The last sample drawn; stays while the spec has errors or a new sample is being made. */
  shown: { frame: number; frames: LabelledFrame[] } | null;
}

export type RunStatus = 'idle' | 'running' | 'cancelling' | 'complete' | 'cancelled' | 'failed';

export interface RunState {
  status: RunStatus;
  /** Where the run writes, in words ("browser storage: tabletop-001"). */
  destination: string | null;
  kind: DestinationKind | null;
  /** The OPFS dataset name of the run, for "Open in viewer". */
  datasetName: string | null;
  progress: GenerationProgress | null;
  result: GenerationResult | null;
  error: string | null;
  /** A finished zip, ready to download. */
  download: { url: string; fileName: string; bytes: number } | null;
}

export interface GenerateState {
  form: GenerateForm;
  destinations: DestinationKind[];
  /** Name of the folder picked for the "directory" destination. */
  folderName: string | null;
  run: RunState;
}

export interface ViewerDataset {
  name: string;
  kind: 'opfs' | 'directory';
  /** Lines of frames.jsonl (one per frame and camera). */
  lines: number;
  frames: number;
  complete: boolean;
  formats: string[];
  resolution: [number, number];
  cameras: string[];
  /** Objects per class over the dataset, largest first; `id` is the dataset's class id. */
  classCounts: { label: string; count: number; id?: number }[];
}

export interface ViewerFrame {
  /** Index into frames.jsonl's lines. */
  position: number;
  line: FrameLine;
  image: RgbaImage | null;
  imagePath: string | null;
  mask: InstanceMask | null;
}

export interface ViewerState {
  /** Dataset names in browser storage. */
  datasets: string[];
  selected: string | null;
  status: 'idle' | 'loading' | 'ready' | 'failed';
  error: string | null;
  dataset: ViewerDataset | null;
  current: ViewerFrame | null;
}

export interface OverlayToggles {
  tight: boolean;
  loose: boolean;
  mask: boolean;
}

export interface SdgState {
  tab: SdgTab;
  /** The open scene's load generation the spec and preview belong to (null: no scene). */
  sceneGeneration: number | null;
  spec: SpecState;
  preview: PreviewState;
  generate: GenerateState;
  viewer: ViewerState;
  overlay: OverlayToggles;
}

export const idleRun = (): RunState => ({ status: 'idle', destination: null, kind: null, datasetName: null, progress: null, result: null, error: null, download: null });

export const initialSdgState = (caps: BrowserCapabilities = { opfs: false, directoryPicker: false }): SdgState => {
  const destinations = availableDestinations(caps);
  return {
    tab: 'randomize',
    sceneGeneration: null,
    spec: { file: 'randomize.yaml', bundled: false, text: '', error: null },
    preview: { frame: 0, camera: 0, busy: false, error: null, shown: null },
    generate: { form: defaultGenerateForm(destinations[0]), destinations, folderName: null, run: idleRun() },
    viewer: { datasets: [], selected: null, status: 'idle', error: null, dataset: null, current: null },
    overlay: { tight: true, loose: true, mask: true },
  };
};

/** A spec with nothing but comments and blank lines: the scene as authored, no randomization. */
export const isEmptySpec = (text: string): boolean => text.split('\n').every((line) => /^\s*(#.*)?$/.test(line));

export type SpecCheck = { ok: true; specText: string | null } | { ok: false; error: string };

/**
 * Whether `text` is a spec the open scene can use: it parses (YAML, schema) and everything it
 * names exists in the scene. An empty spec means "no randomization".
 */
export function checkSpec(text: string, file: string, doc: SceneDocument | null): SpecCheck {
  if (isEmptySpec(text)) return { ok: true, specText: null };
  try {
    const spec = parseRandomizationSpec(text, file);
    if (doc) checkSpecAgainstScene(spec, doc, file);
    return { ok: true, specText: text };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
}

/**
 * One line for a person. InputError and SinkError messages already name the file and field;
 * other errors keep their message without a class-name prefix, and never a stack.
 */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const text = error.name === 'InputError' || error.name === 'SinkError' || error.name === 'FrameFailure' || error.name === 'Error' ? error.message : describeError(error);
    return text.split('\n')[0]!.trim() || error.name;
  }
  return String(error);
}

/** The spec a newly opened scene starts with: its bundled spec, or an empty one named after it. */
export function specForScene(sceneFile: string, bundled: { fileName: string; text: string } | null, doc: SceneDocument | null): SpecState {
  const stem = sceneFile.replace(/\.[^.]*$/, '');
  const file = bundled?.fileName ?? `${stem}.randomize.yaml`;
  const text = bundled?.text ?? `# No randomization spec is bundled for ${sceneFile}: frames show the scene as authored.\n# See docs/RANDOMIZATION.md, or scenes/tabletop.randomize.yaml for an example.\n`;
  const check = checkSpec(text, file, doc);
  return { file, bundled: bundled !== null, text, error: check.ok ? null : check.error };
}

/** The synthetic-data panel's store (vanilla zustand); store.ts makes it and its React hooks. */
export type SdgStore = StoreApi<SdgState>;

/**
 * What the CLI asks of the headless pages it drives (src/pages/*Page.ts, through
 * cli/headlessJob.ts and pages/pageJob.ts) and what they answer: types only, shared by both sides.
 */
import type { EvalClock, InstructionMode } from '../engine/policy/closedLoop.ts';
import type { PortableRun } from '../engine/eval/compare.ts';
import type { StopRule } from '../engine/eval/sequential.ts';
import type { EvalEpisode, EvalResults } from '../engine/policy/evalOutput.ts';
import type { ActionNoise } from '../engine/tasks/experts.ts';
import type { DemoCamera, DemoFormat } from '../engine/tasks/demos.ts';
import type { ExecutionProvider, OpenResult } from './policyWorker.ts';
import type { WorkerFaults } from './sdgWorker.ts';

/** generate.html: a synthetic-data job (inputs "scene" and "spec"). */
export interface GeneratePageRequest {
  job: unknown;
  sceneFile: string;
  specFile: string | null;
  faults?: WorkerFaults;
  /** When set, the page measures its memory this often and adds the latest to each progress report (npm run soak:sdg). */
  memorySampleSeconds?: number;
}

/** demos.html: scripted demonstrations with the robot's cameras (inputs "task" and "scene"). */
export interface DemosPageRequest {
  taskFile: string;
  sceneFile: string;
  /** Episodes firstEpisode … firstEpisode + episodes − 1 of the seed (a shard's block of the job's). */
  firstEpisode: number;
  episodes: number;
  seed: number;
  formats: DemoFormat[];
  fps: number | null;
  cameras: DemoCamera[];
  noise: ActionNoise | null;
  /** The robot profile's file name, when one is given (its text is the input "robot"). */
  robotFile: string | null;
}

/** eval.html: a policy evaluated in closed loop (inputs "task", "scene" and "policy/<path>"). */
export interface EvalPageRequest {
  taskId: string;
  taskFile: string;
  sceneFile: string;
  manifestFile: string;
  /** The policy package's files, fetched as inputs named "policy/<path>". */
  policyFiles: string[];
  /** Episodes firstEpisode … firstEpisode + episodes − 1 (a shard's block of the job's episodes). */
  firstEpisode: number;
  episodes: number;
  /** `--shard i/N`: which block of how many, and the job's episode count (recorded in results.json). */
  shard: { index: number; count: number; episodes: number } | null;
  seed: number;
  providers: ExecutionProvider[];
  clock: EvalClock;
  instructions: InstructionMode;
  /** The size the robot's cameras render at (the policy's inputs are fitted from it; videos use it). */
  imageSize: [number, number];
  videos: boolean;
  /** Write traces/episode_<k>.jsonl: one line per control step (see stepTrace). */
  traces: boolean;
  warmup: number;
  /** The robot profile's file name, when the task has one or `--robot` gives one (its text is the input "robot"). */
  robotFile: string | null;
  /**
   * A served policy (the manifest names `remote`): the URL the page connects to (the server's, or
   * the CLI's local relay that adds the API key) and the metadata the server sent the CLI.
   */
  remote: { url: string; metadata: Record<string, unknown> } | null;
  /** `--until`: after each episode the page asks the rule whether to stop (with the baseline's episodes, for a comparison). */
  until: { rule: StopRule; baseline: PortableRun | null } | null;
}

export interface EvalProgress {
  done: number;
  total: number;
  successes: number;
  provider: string | null;
}

/** What the eval page wrote (results.json, episodes.jsonl: engine/policy/evalOutput.ts) and opened the policy on. */
export interface EvalPageResult {
  results: EvalResults;
  episodes: EvalEpisode[];
  /** Where the ONNX policy ran (null for a served policy). */
  opened: OpenResult | null;
}

/** policy.html: a policy package opened on each execution provider and run on given tensors. */
export interface PolicyPageRequest {
  manifestFile: string;
  /** Package files to fetch as inputs (the manifest, graphs, stats, vocabulary). */
  files: string[];
  /** One run per entry: the providers to try, in order. */
  runs: ExecutionProvider[][];
  /** The input tensors, fetched as this input (JSON: name → RawTensor). */
  tensorsInput: string;
  warmup: number;
  repeats: number;
  /** Fault test: after the runs, destroy the WebGPU device, then run twice more. */
  loseDevice?: boolean;
}

export interface PolicyPageRun extends OpenResult {
  requested: ExecutionProvider[];
  raw: number[];
  /** Milliseconds per inference after warm-up. */
  ms: number[];
  /** With loseDevice: the run right after the loss (its error) and the one after that. */
  afterLoss?: { error: string | null; provider: string | null; fallbacks: string[]; raw: number[] };
}

export interface PolicyPageResult {
  runs: PolicyPageRun[];
  userAgent: string;
}

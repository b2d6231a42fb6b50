/**
 * `simloop generate`: validates the job in Node (so bad input fails in a second, with one line),
 * then renders in headless Chromium through the same page code and workers as the studio
 * (headlessJob.ts: Node serves the app and the inputs and owns the output directory; the page
 * writes through the HTTP sink). Prints a progress line (frames, frames/s, ETA) to stderr.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve, basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../engine/errors.ts';
import { faultySink } from '../engine/dataset/sinks/faulty.ts';
import type { GenerationProgress, GenerationResult } from '../engine/jobs/generate.ts';
import { type GenerateJob, type GenerateJobInput, parseGenerateJob, parseShard } from '../engine/jobs/job.ts';
import { generateJobFields, parseJobFile } from '../engine/jobs/jobFile.ts';
import { planGeneration } from '../engine/jobs/plan.ts';
import type { GeneratePageRequest } from '../protocol/pages.ts';
import { ROOT, runHeadlessJob, type StartupTimes } from './headlessJob.ts';
import type { EarlyPage } from './earlyPage.ts';
import { checkWritable, fsSink } from './sinks/fsSink.ts';
import { sceneBytesForPage } from './meshes.ts';
import { parseVariantChoice } from '../engine/usd/compose.ts';

export { ROOT };

async function readInput(file: string, what: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new InputError(file, `no such ${what} file`);
  }
  if (!info.isFile()) throw new InputError(file, `not a regular file (expected a ${what} file)`);
  return new Uint8Array(await readFile(file));
}

/** Reads a job file (YAML or JSON); relative paths in it are resolved against its folder. */
export async function readJobFile(file: string): Promise<GenerateJobInput> {
  const text = new TextDecoder().decode(await readInput(file, 'job'));
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new InputError(file, `not valid YAML or JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(file, 'expected a mapping of job fields (scene, frames, seed, out, …)');
  const base = dirname(resolve(file));
  // A versioned job file (simloop_job: 1, engine/jobs/jobFile.ts) whose command is generate: the whole job, into its output.
  if ('simloop_job' in value) return generateJobFields(parseJobFile(text, file, { resolvePath: (p) => resolve(base, p) })) as GenerateJobInput;
  const job = { ...(value as Record<string, unknown>) };
  for (const key of ['scene', 'out', 'randomize'] as const) if (typeof job[key] === 'string') job[key] = resolve(base, job[key] as string);
  if (typeof job.shard === 'string') job.shard = parseShard(job.shard, `${file}: shard`);
  return job as GenerateJobInput;
}

/**
 * Test hooks, from $SIMLOOP_FAULT: "crash-worker@F" kills the worker the first time it renders
 * frame F; "no-space@N" / "read-only@N" make the destination fail after N bytes.
 */
export function parseFaults(text: string | undefined): { crashAtFrame?: number; sink?: { error: 'no-space' | 'read-only'; failAfterBytes: number } } {
  if (!text) return {};
  const m = /^(crash-worker|no-space|read-only)@(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`SIMLOOP_FAULT="${text}": expected crash-worker@FRAME, no-space@BYTES or read-only@BYTES`);
  if (m[1] === 'crash-worker') return { crashAtFrame: Number(m[2]) };
  return { sink: { error: m[1] as 'no-space' | 'read-only', failAfterBytes: Number(m[2]) } };
}

export function formatProgress(p: GenerationProgress): string {
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 100;
  const eta = p.etaSeconds === null ? '–' : p.etaSeconds < 90 ? `${Math.ceil(p.etaSeconds)} s` : `${Math.ceil(p.etaSeconds / 60)} min`;
  const aggregated = p.aggregated !== undefined ? ` ${p.aggregated}/${p.total}` : '';
  const phase = p.phase === 'frames' ? '' : ` · ${p.phase === 'finalize' ? `writing aggregate files${aggregated}` : 'done'}`;
  const retried = p.retried ? ` · ${p.retried} redone after a worker crash` : '';
  return `frames ${p.done}/${p.total} (${pct}%) · ${p.framesPerSecond.toFixed(1)} frames/s · ETA ${eta}${retried}${phase}`;
}

/**
 * Where a run's start-up went, as milestones in milliseconds since the command started: the
 * server listening (after loading the CLI, checking the inputs and, once after a change of the
 * sources, building the pages), Chromium showing the page, the first frame worker ready (scene
 * imported on the page, worker modules, physics and scene built), the first frame written; and
 * that first frame's own milliseconds per stage (`first_frame_stages`: its physics, shader
 * compiles, readbacks, labels, encoding, writing).
 */
export function startupReport(startup: StartupTimes, result: GenerationResult, firstFrameWritten: number) {
  const ms = (v: number) => Math.round(v);
  return {
    served: startup.served,
    pages_build: ms(startup.pagesBuildMs),
    server_ready: ms(startup.serverReady),
    page_ready: ms(startup.pageReady),
    ...(result.startupMs ? { scene_imported: ms(startup.pageReady + (result.startupMs.scene_import ?? 0)), worker_ready: ms(startup.pageReady + result.startupMs.workers) } : {}),
    first_frame_written: ms(firstFrameWritten),
    ...(result.startupMs ? { first_frame_stages: Object.fromEntries(Object.entries(result.startupMs.stages).map(([stage, t]) => [stage, ms(t)])) } : {}),
  };
}

export interface GenerateRun {
  job: GenerateJob;
  onProgress?: (progress: GenerationProgress) => void;
  onStartup?: (startup: StartupTimes) => void;
  /** Measure the page's memory this often and add it to progress reports (npm run soak:sdg). */
  memorySampleSeconds?: number;
  /** generate.html already launched as the command started (earlyPage.ts); closed here whatever happens. */
  early?: EarlyPage;
}

/** Runs the job; throws InputError for bad input and Error for failures while generating. */
export async function runGenerateJob(run: GenerateRun): Promise<GenerationResult> {
  try {
    return await generateInPage(run);
  } finally {
    // Taken and closed by the job's runner, or never reached it (bad input): closed either way.
    await run.early?.close();
  }
}

async function generateInPage({ job, onProgress, onStartup, memorySampleSeconds, early }: GenerateRun): Promise<GenerationResult> {
  const sceneBytes = await sceneBytesForPage(await readInput(job.scene, 'scene'), job.scene, job.variants.map(parseVariantChoice));
  const specBytes = job.randomize ? await readInput(job.randomize, 'randomization spec') : null;
  const sceneFile = basename(job.scene);
  const specFile = job.randomize ? basename(job.randomize) : null;
  // Fail fast in Node: the same checks the page will make.
  await planGeneration({ sceneBytes, sceneFile, specText: specBytes ? new TextDecoder().decode(specBytes) : null, specFile }, job);
  const out = resolve(job.out);
  await checkWritable(out);
  const faults = parseFaults(process.env.SIMLOOP_FAULT);
  let sink = fsSink(out);
  if (faults.sink) sink = faultySink(sink, faults.sink);

  const request: GeneratePageRequest = { job: { ...job, scene: sceneFile, out: '.', randomize: specFile }, sceneFile, specFile, faults: faults.crashAtFrame !== undefined ? { crashAtFrame: faults.crashAtFrame } : {}, ...(memorySampleSeconds ? { memorySampleSeconds } : {}) };
  return runHeadlessJob<GeneratePageRequest, GenerationProgress, GenerationResult>({
    page: 'generate.html',
    request,
    inputs: { scene: sceneBytes, spec: specBytes },
    sink,
    ...(onProgress ? { onProgress } : {}),
    ...(onStartup ? { onStartup } : {}),
    ...(early ? { early } : {}),
  });
}

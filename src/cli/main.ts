/**
 * The `simloop` command line. Parses arguments, reads files, calls the engine, prints. Bad input
 * prints one line to stderr and exits with status 2; nothing here knows about physics or USD.
 */
import type { StopRule } from '../engine/eval/sequential.ts';
import { parseArgs } from 'node:util';
import { describeError, InputError } from '../engine/errors.ts';
import type { InspectReport, SimulateReport } from '../engine/report/contract.ts';
import type { GenerateJobInput, GenerateJob } from '../engine/jobs/job.ts';
import type { GenerationResult } from '../engine/jobs/generate.ts';
import type { StartupTimes } from './headlessJob.ts';
import { parseVariantChoice, type VariantSelection } from '../engine/usd/variantChoice.ts';
import { readInputFile } from './inputFile.ts';

// Each command's module is loaded when that command runs, with the packages only it needs (a
// browser, video, HDF5, parquet), so `simloop inspect` or `--help` start at once.
const generateCommand = () => import('./generate.ts');
const demosCommand = () => import('./demos.ts');
const evalCommand = () => import('./eval.ts');
const convertCommand = () => import('./convert.ts');
const mergeCommand = () => import('./merge.ts');
const submitCommand = () => import('./submit.ts');

export const USAGE = `usage:
  simloop inspect <file> [--variant <prim>:<set>=<name>]… [--json]
  simloop simulate <file> --seconds T [--dt S] [--variant …] [--json]
  simloop generate --scene <file> --frames N --seed S --out <dir> [--randomize <spec>]
                   [--width W --height H] [--format coco,basic,yolo,kitti] [--workers K]
                   [--shard i/N] [--resume] [--no-shadows] [--quality default|fast] [--variant …] [--json]
  simloop generate --job <job.yaml> [any flag above overrides the job file]
  simloop merge <shard dirs…> --out <dir> [--json]   (generate, demos or eval shards)
  simloop demos --task <id|file> --episodes N --seed S --out <dir> [--format lerobot,hdf5]
                [--fps F] [--image-size WxH] [--action-noise M[,RAD]] [--no-cameras] [--variant …]
                [--robot <profile.robot.yaml | URDF | MJCF | USD>] [--shard i/N] [--json]
  simloop eval --policy <manifest.json> --task <id|file> --episodes N --seed S --out <dir>
               [--ep webgpu|wasm] [--clock sim|real] [--instructions given|swapped]
               [--image-size WxH] [--no-videos] [--traces] [--variant …]
               [--robot <profile.robot.yaml | URDF | MJCF | USD>] [--json]
  simloop eval … [--shard i/N] [--until ci-width=W | --until decided --baseline <results.json> [--margin M]]
  simloop eval --plan --difference D --power P [--rate p] [--discordance ψ] [--json]
  simloop compare --baseline <a/results.json> --candidate <b/results.json> [--margin M] [--json]
  simloop workflow run <workflow.yaml> [--out <dir>] [--parallel K] [--step NAME] [--force] [--engine local|slurm|k8s [--dry-run]] [--json]
  simloop lineage <output> [--verify] [--json]
  simloop convert <in> <out.usda | out.usdz | out.simloop.json> [--flatten] [--variant …] [--json]
  simloop submit --engine slurm|k8s <job.yaml> [--dry-run] [--json]   (a sharded job on a cluster)
  simloop shard <job.yaml> [--index i]   (shard i of the job; default $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX)
  simloop merge --job <job.yaml> [--json]   (every shard of the job into its output)

--variant <primPath>:<set>=<name> (repeatable; inspect, simulate, convert, generate, demos,
eval) selects a USD variant, stronger than the scene's own selections.
--robot (demos, eval) runs the task with another robot: a profile (*.robot.yaml), or a robot
description put where the scene's robot stands (its profile inferred). Default: the task's profile.
Scene files: USD (.usda, .usdc, .usdz), URDF (.urdf; meshes found as ROS tools find them),
MJCF (MuJoCo .xml; includes and meshes beside it) or a Simloop scene document (.json); convert
also reads and writes projects (.simloop.json).
Output units: metres, kilograms, seconds; Y-up; quaternions [x, y, z, w]. See docs/CLI.md.`;

class UsageError extends Error {}

async function readScene(file: string, variants: readonly VariantSelection[] = []) {
  const [{ loadSceneFile }, { sceneOptionsForFile }] = await Promise.all([import('../engine/load.ts'), import('./meshes.ts')]);
  return await loadSceneFile(await readInputFile(file), file, sceneOptionsForFile(file, variants));
}

/** The `--variant <primPath>:<set>=<name>` choices (repeatable). */
function variantChoices(values: Values): VariantSelection[] {
  const given = values['variant'];
  const list = Array.isArray(given) ? given : typeof given === 'string' ? [given] : [];
  return list.map(parseVariantChoice);
}

/** A number strictly between 0 and 1 given as --name. */
function fraction(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new UsageError(`--${name} must be a number between 0 and 1, got "${value}"`);
  return n;
}

function positiveNumber(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${name} is required`);
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of seconds, got "${value}"`);
  return n;
}

function printInspect(r: InspectReport, robots: readonly string[] = []): string {
  const lines = [
    `${r.source}: ${r.bodies.length} bodies, ${r.joints.length} joints, ${r.cameras.length} cameras (authored metersPerUnit ${r.authored.metersPerUnit}, kilogramsPerUnit ${r.authored.kilogramsPerUnit}, upAxis ${r.authored.upAxis})`,
    `gravity ${r.gravity.join(' ')} m/s²`,
    ...r.bodies.map((b) => `  ${b.type.padEnd(9)} ${b.path}  at ${b.position.map((v) => v.toFixed(3)).join(' ')}  mass ${b.mass ?? '-'}  label ${b.label ?? '-'}  [${b.colliders.map((c) => c.shape).join(', ')}]`),
    ...r.joints.map((j) => `  joint ${j.type} ${j.path}: ${j.body0 ?? 'world'} — ${j.body1 ?? 'world'}`),
    ...r.cameras.map((c) => `  camera ${c.path} fovY ${c.fovY.toFixed(1)}°`),
    ...robots,
    ...r.warnings.map((w) => `  warning: ${w}`),
  ];
  return lines.join('\n');
}

function printSimulate(r: SimulateReport): string {
  return [`t = ${r.time} s`, ...r.bodies.map((b) => `  ${b.path}  at ${b.position.map((v) => v.toFixed(4)).join(' ')}  v ${b.linearVelocity.map((v) => v.toFixed(3)).join(' ')}`)].join('\n');
}

/**
 * Every flag of every command, as parseArgs reads them. Job files (engine/jobs/jobFile.ts) check
 * their `args` against it: `simloop submit` and `simloop shard` pass it in.
 */
export const OPTIONS = {
  json: { type: 'boolean' },
  seconds: { type: 'string' },
  dt: { type: 'string' },
  scene: { type: 'string' },
  frames: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  randomize: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  format: { type: 'string' },
  workers: { type: 'string' },
  shard: { type: 'string' },
  resume: { type: 'boolean' },
  'no-shadows': { type: 'boolean' },
  quality: { type: 'string' },
  job: { type: 'string' },
  task: { type: 'string' },
  episodes: { type: 'string' },
  fps: { type: 'string' },
  'image-size': { type: 'string' },
  'action-noise': { type: 'string' },
  'no-cameras': { type: 'boolean' },
  robot: { type: 'string' },
  policy: { type: 'string' },
  ep: { type: 'string' },
  clock: { type: 'string' },
  instructions: { type: 'string' },
  'no-videos': { type: 'boolean' },
  traces: { type: 'boolean' },
  flatten: { type: 'boolean' },
  variant: { type: 'string', multiple: true },
  baseline: { type: 'string' },
  candidate: { type: 'string' },
  margin: { type: 'string' },
  until: { type: 'string' },
  plan: { type: 'boolean' },
  difference: { type: 'string' },
  power: { type: 'string' },
  rate: { type: 'string' },
  discordance: { type: 'string' },
  engine: { type: 'string' },
  'dry-run': { type: 'boolean' },
  index: { type: 'string' },
  step: { type: 'string' },
  parallel: { type: 'string' },
  force: { type: 'boolean' },
  verify: { type: 'boolean' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** Runs the command; returns the exit status. */
export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      out.write(`${USAGE}\n`);
      return command ? 0 : 2;
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        options: OPTIONS,
      });
    } catch (e) {
      // node's messages span lines; the first says what is wrong.
      throw new UsageError((e as Error).message.split('\n')[0]!);
    }
    const { values, positionals } = parsed;
    if (command === 'generate') return await generate(values, positionals, out, err);
    if (command === 'demos') return await demos(values, positionals, out, err);
    if (command === 'eval') return await evaluate(values, positionals, out, err);
    if (command === 'compare') {
      // `compare --baseline a --candidate b`, or `compare a b` (a the baseline, b the candidate).
      const named = typeof values.baseline === 'string' || typeof values.candidate === 'string';
      if (named ? positionals.length > 0 || typeof values.baseline !== 'string' || typeof values.candidate !== 'string' : positionals.length !== 2) {
        throw new UsageError('compare takes two results.json files: --baseline <a/results.json> --candidate <b/results.json> (or the two, baseline first)');
      }
      const [baseline, candidate] = named ? [values.baseline as string, values.candidate as string] : [positionals[0]!, positionals[1]!];
      const margin = typeof values.margin === 'string' ? fraction('margin', values.margin) : undefined;
      const { compareResults } = await evalCommand();
      const { describeComparison } = await import('../engine/eval/compare.ts');
      const result = await compareResults(baseline, candidate, margin !== undefined ? { margin } : {});
      out.write(values.json ? `${JSON.stringify(result)}\n` : `${describeComparison(result)}\n`);
      // A release gate: a regression fails the step.
      return result.verdict === 'regressed' ? 1 : 0;
    }
    if (command === 'convert') {
      if (positionals.length !== 2) throw new UsageError('convert takes an input file and an output file (.usda, .usdz or .simloop.json)');
      const { summary, warnings } = await (await convertCommand()).runConvert(positionals[0]!, positionals[1]!, { flatten: values.flatten === true, variants: variantChoices(values) });
      const assets = summary.assets.length ? ` (and ${summary.assets.length} referenced asset layer${summary.assets.length === 1 ? '' : 's'}: ${summary.assets.join(', ')})` : '';
      const lines = [`wrote ${summary.out}${assets}: ${summary.prims} prims, ${summary.bodies} bodies, ${summary.joints} joints from ${summary.in}`, ...warnings.map((w) => `  warning: ${w}`)];
      out.write(values.json ? `${JSON.stringify(summary)}\n` : `${lines.join('\n')}\n`);
      return 0;
    }
    if (command === 'submit' || command === 'shard' || (command === 'merge' && typeof values.job === 'string')) {
      const jobs = await submitCommand();
      if (positionals.length !== (command === 'merge' ? 0 : 1)) throw new UsageError(command === 'merge' ? 'merge --job takes the shards and the output from the job file (no shard directories)' : `${command} takes one job file (simloop ${command} ${command === 'submit' ? '--engine slurm|k8s ' : ''}<job.yaml>)`);
      if (command === 'submit') return await jobs.submit({ file: positionals[0]!, engine: values.engine, dryRun: values['dry-run'] === true, json: values.json === true, flags: OPTIONS, out });
      if (command === 'shard') return await jobs.runShard({ file: positionals[0]!, ...(typeof values.index === 'string' ? { index: values.index } : {}), flags: OPTIONS, run: (args) => main(args, out, err), err });
      if (values.out) throw new UsageError('merge --job writes the job file\'s output (no --out)');
      const result = await jobs.mergeJob(values.job as string, OPTIONS);
      out.write(values.json ? `${JSON.stringify(result)}\n` : `merged ${result.shards} shards, ${'episodes' in result ? `${result.episodes} episodes` : `${result.frames} frames`} into ${result.out}\n`);
      return 0;
    }
    if (command === 'workflow') return await workflow(values, positionals, out, err);
    if (command === 'lineage') {
      if (positionals.length !== 1) throw new UsageError('lineage takes one output (a folder with lineage.json, or a file in one)');
      const report = await (await import('./lineage.ts')).lineageCommand(positionals[0]!, values.verify === true);
      out.write(values.json ? `${JSON.stringify({ chain: report.chain, problems: report.problems })}\n` : `${report.text}\n`);
      return report.problems?.length ? 1 : 0;
    }
    if (command === 'merge') {
      if (!values.out) throw new UsageError('merge needs --out <dir>');
      const result = await (await mergeCommand()).mergeShards(positionals, values.out);
      out.write(values.json ? `${JSON.stringify(result)}\n` : `merged ${result.shards} shards, ${'episodes' in result ? `${result.episodes} episodes` : `${result.frames} frames`} into ${result.out}\n`);
      return 0;
    }
    if (command !== 'inspect' && command !== 'simulate') throw new UsageError(`unknown command "${command}"`);
    if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one scene file`);
    const file = positionals[0]!;
    if (command === 'inspect') {
      if (values.seconds !== undefined || values.dt !== undefined) throw new UsageError('inspect takes no --seconds or --dt');
      const { document, warnings } = await readScene(file, variantChoices(values));
      const { inspectScene } = await import('../engine/report/contract.ts');
      const report = await inspectScene(document, file, warnings);
      if (values.json) {
        out.write(`${JSON.stringify(report, null, 2)}\n`);
        return 0;
      }
      // Each robot as Simloop reads it without a profile: what it infers, for people to check.
      const { inferProfile } = await import('../engine/robot/profile.ts');
      const robots = document.prims
        .filter((p) => p.articulationRoot && p.body)
        .flatMap((p) => {
          try {
            return [`  robot ${p.path} (inferred; a *.robot.yaml profile overrides):`, ...inferProfile(document, p.path).notes.map((n) => `    ${n}`)];
          } catch (e) {
            return [`  robot ${p.path}: no profile can be inferred (${(e as Error).message})`];
          }
        });
      out.write(`${printInspect(report, robots)}\n`);
      return 0;
    }
    const seconds = positiveNumber('seconds', values.seconds);
    const dt = values.dt === undefined ? undefined : positiveNumber('dt', values.dt);
    if (dt !== undefined && dt > 1) throw new UsageError(`--dt must be at most 1 second, got ${dt}`);
    if (seconds / (dt ?? 1 / 240) > 10_000_000) throw new UsageError('--seconds / --dt asks for more than 10 million steps');
    const { document } = await readScene(file, variantChoices(values));
    const { simulateScene } = await import('../engine/report/contract.ts');
    const report = await simulateScene(document, seconds, dt);
    out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${printSimulate(report)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`simloop: ${e.message} (see simloop --help)\n`);
      return 2;
    }
    if (e instanceof InputError) {
      err.write(`simloop: ${describeError(e)}\n`);
      return 2;
    }
    err.write(`simloop: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return 1;
  }
}

function integer(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  return n;
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** The job from --job (if any) with flags on top, validated. */
async function jobFromArgs(values: Values): Promise<GenerateJob> {
  const { parseGenerateJob, parseShard } = await import('../engine/jobs/job.ts');
  const base: Partial<GenerateJobInput> = typeof values.job === 'string' ? await (await generateCommand()).readJobFile(values.job) : {};
  const job: Record<string, unknown> = { ...base };
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (str('scene')) job.scene = str('scene');
  if (str('out')) job.out = str('out');
  if (str('randomize')) job.randomize = str('randomize');
  for (const k of ['frames', 'seed', 'width', 'height', 'workers']) if (str(k) !== undefined) job[k] = integer(k, str(k)!);
  if (str('format')) job.formats = str('format')!.split(',').map((f) => f.trim()).filter(Boolean);
  if (str('shard')) job.shard = parseShard(str('shard')!);
  if (values.resume) job.resume = true;
  if (values['no-shadows']) job.shadows = false;
  if (str('quality')) job.quality = str('quality');
  const variants = variantChoices(values);
  if (variants.length) job.variants = [...((base as { variants?: string[] }).variants ?? []), ...variants.map((v) => `${v.prim}:${v.set}=${v.selection}`)];
  for (const k of ['scene', 'frames', 'out'] as const) if (job[k] === undefined) throw new UsageError(`generate needs --${k}${typeof values.job === 'string' ? ` (or ${k}: in the job file)` : ''}`);
  return parseGenerateJob(job, typeof values.job === 'string' ? values.job : 'simloop generate');
}

async function generate(values: Values, positionals: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream & { isTTY?: boolean }): Promise<number> {
  if (positionals.length) throw new UsageError(`generate takes no positional arguments (got "${positionals[0]}")`);
  // Chromium starts now and its launch overlaps the loading and checks below; bad input closes it.
  // (Not for pages from the sources, SIMLOOP_PAGES=dev, which vite's own server serves.)
  const early = process.env.SIMLOOP_PAGES === 'dev' ? undefined : await (await import('./earlyPage.ts')).launchEarlyPage('generate.html').catch(() => undefined);
  let job: GenerateJob;
  try {
    job = await jobFromArgs(values);
  } catch (error) {
    await early?.close();
    throw error;
  }
  let lastLine = 0;
  const tty = err.isTTY === true;
  const { formatProgress, runGenerateJob, startupReport } = await generateCommand().catch(async (error: unknown) => {
    await early?.close();
    throw error;
  });
  let startup: StartupTimes | undefined;
  let doneAtStart: number | undefined;
  let firstFrameWritten: number | undefined;
  const result: GenerationResult = await runGenerateJob({
    job,
    ...(early ? { early } : {}),
    onStartup: (s) => (startup = s),
    onProgress: (p) => {
      doneAtStart ??= p.done;
      if (p.done > doneAtStart) firstFrameWritten ??= performance.now();
      const now = Date.now();
      const final = p.phase !== 'frames' || p.done === p.total;
      if (!tty && !final && now - lastLine < 2000) return;
      lastLine = now;
      err.write(tty ? `\r${formatProgress(p)}\x1b[K` : `${formatProgress(p)}\n`);
    },
  });
  if (tty) err.write('\n');
  const summary = {
    out: job.out,
    status: result.status,
    frames: result.frames,
    produced: result.produced,
    resumed_from: result.resumedFrom,
    retried: result.retried,
    seconds: Number(result.seconds.toFixed(3)),
    frames_per_second: Number((result.produced / Math.max(result.seconds, 1e-9)).toFixed(2)),
    stage_ms: Object.fromEntries(Object.entries(result.stageMs).map(([k, v]) => [k, Number(v.toFixed(2))])),
    shard: `${job.shard.index}/${job.shard.count}`,
    formats: job.formats,
    ...(startup && firstFrameWritten !== undefined ? { startup_ms: startupReport(startup, result, firstFrameWritten) } : {}),
  };
  out.write(values.json ? `${JSON.stringify(summary)}\n` : `wrote ${result.frames} frames to ${job.out} (${summary.frames_per_second} frames/s)\n`);
  return 0;
}

async function evaluate(values: Values, positionals: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream & { isTTY?: boolean }): Promise<number> {
  if (positionals.length) throw new UsageError(`eval takes no positional arguments (got "${positionals[0]}")`);
  if (values.plan === true) return plan(values, out);
  let until: StopRule | undefined;
  if (typeof values.until === 'string') {
    const { parseStopRule } = await import('../engine/eval/compare.ts');
    try {
      until = parseStopRule(values.until, typeof values.margin === 'string' ? fraction('margin', values.margin) : 0.1);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  for (const k of ['policy', 'task', 'episodes', 'seed', 'out'] as const) if (typeof values[k] !== 'string') throw new UsageError(`eval needs --${k}`);
  const episodes = integer('episodes', values.episodes as string);
  if (episodes < 1) throw new UsageError(`--episodes must be at least 1, got ${episodes}`);
  const seed = integer('seed', values.seed as string);
  const ep = values.ep ?? 'webgpu';
  if (ep !== 'webgpu' && ep !== 'wasm') throw new UsageError(`--ep must be webgpu or wasm, got "${ep}"`);
  const clock = values.clock ?? 'sim';
  if (clock !== 'sim' && clock !== 'real') throw new UsageError(`--clock must be sim or real, got "${clock}"`);
  const instructions = values.instructions ?? 'given';
  if (instructions !== 'given' && instructions !== 'swapped') throw new UsageError(`--instructions must be given or swapped, got "${instructions}"`);
  let imageSize: [number, number] | undefined;
  if (typeof values['image-size'] === 'string') {
    const m = /^(\d+)x(\d+)$/.exec(values['image-size']);
    if (!m) throw new UsageError(`--image-size must be WxH, e.g. 128x128, got "${values['image-size']}"`);
    imageSize = [Number(m[1]), Number(m[2])];
  }
  const tty = err.isTTY === true;
  let last = 0;
  const { formatEvalProgress, runEvalCommand } = await evalCommand();
  const results = await runEvalCommand(
    { policy: values.policy as string, task: values.task as string, episodes, seed, out: values.out as string, ep, clock, instructions, videos: values['no-videos'] !== true, traces: values.traces === true, variants: variantChoices(values), ...(imageSize ? { imageSize } : {}), ...(typeof values.robot === 'string' ? { robot: values.robot } : {}), ...(until ? { until } : {}), ...(typeof values.baseline === 'string' ? { baseline: values.baseline } : {}), ...(typeof values.shard === 'string' ? { shard: await parseEvalShard(values.shard) } : {}) },
    (p) => {
      const now = Date.now();
      if (!tty && p.done !== p.total && now - last < 2000) return;
      last = now;
      err.write(tty ? `\r${formatEvalProgress(p)}\x1b[K` : `${formatEvalProgress(p)}\n`);
    },
  );
  if (tty) err.write('\n');
  const [lo, hi] = results.ci95.map((v) => (100 * v).toFixed(1));
  const { describeFailures } = await import('../engine/tasks/outcome.ts');
  const failures = describeFailures(results.outcomes);
  const stopped = results.until ? `; stopped after ${results.episodes} of ${episodes} episodes: ${results.until.reason}` : '';
  out.write(
    values.json
      ? `${JSON.stringify(results)}\n`
      : `${results.successes}/${results.episodes} succeeded (${(100 * results.success_rate).toFixed(1)}%, 95% CI ${lo}–${hi}%) on ${results.ep}, ${results.clock} time; inference p50 ${results.inference_ms.p50} ms${failures.length ? `; failures: ${failures.join(', ')}` : ''}${results.until && !results.until.stopped_early ? `; --until not met within ${episodes} episodes: ${results.until.reason}` : stopped}; results in ${values.out}\n`,
  );
  return 0;
}

async function parseEvalShard(text: string) {
  const { parseShard } = await import('../engine/jobs/job.ts');
  return parseShard(text);
}

/** `simloop eval --plan --difference D --power P [--rate p] [--discordance ψ]`: how many episodes to run. */
async function plan(values: Values, out: NodeJS.WritableStream): Promise<number> {
  for (const k of ['difference', 'power'] as const) if (typeof values[k] !== 'string') throw new UsageError(`eval --plan needs --${k}`);
  const number = (k: string) => (typeof values[k] === 'string' ? Number(values[k]) : undefined);
  const { planSampleSize } = await import('../engine/eval/plan.ts');
  let result;
  try {
    const rate = number('rate');
    const discordance = number('discordance');
    result = planSampleSize({ difference: number('difference')!, power: number('power')!, ...(rate !== undefined ? { rate } : {}), ...(discordance !== undefined ? { discordance } : {}) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const a = result.assumptions;
  out.write(
    values.json
      ? `${JSON.stringify(result)}\n`
      : `to detect a change of ${a.difference} from a success rate of ${a.baseline_rate} (to ${Number(a.candidate_rate.toFixed(4))}) with power ${a.power} at α = ${a.alpha}: ${result.paired} seeds run by both policies (paired, McNemar; ${a.discordance_source === 'given' ? '' : 'assuming independent outcomes, '}discordance ${Number(a.discordance.toFixed(4))}), or ${result.unpaired_per_policy} episodes per policy on separate seeds (unpaired)\n`,
  );
  return 0;
}

async function workflow(values: Values, positionals: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (positionals[0] !== 'run' || positionals.length !== 2) throw new UsageError('workflow takes: run <workflow.yaml> [--out <dir>] [--engine local|slurm|k8s] [--parallel K] [--step NAME] [--force] [--dry-run]');
  const flows = await import('./workflow.ts');
  const loaded = await flows.readWorkflowFile(positionals[1]!, typeof values.out === 'string' ? values.out : undefined);
  const engine = typeof values.engine === 'string' ? values.engine : 'local';
  if (engine === 'slurm') {
    const ids = await flows.submitWorkflowToSlurm(loaded, values['dry-run'] === true, (line) => out.write(`${line}\n`));
    if (values.json) out.write(`${JSON.stringify({ engine, jobs: ids })}\n`);
    return 0;
  }
  if (engine === 'k8s') {
    const r = await flows.submitWorkflowToK8s(loaded, { dryRun: values['dry-run'] === true }, (line) => (values.json ? undefined : out.write(`${line}\n`)));
    if (values.json) out.write(`${JSON.stringify({ engine, ...r })}\n`);
    return 0;
  }
  if (engine !== 'local') throw new UsageError(`--engine must be local, slurm or k8s for a workflow, got "${engine}"`);
  const parallel = typeof values.parallel === 'string' ? integer('parallel', values.parallel) : undefined;
  const steps = Object.keys(loaded.workflow.steps).length;
  let finished = 0;
  const result = await flows.runWorkflow(loaded, {
    ...(parallel !== undefined ? { parallel } : {}),
    ...(typeof values.step === 'string' ? { step: values.step } : {}),
    force: values.force === true,
    onEvent: (e) => {
      if (e.type === 'start') err.write(`▶ ${e.step}: ${e.command.join(' ')}\n`);
      else if (e.type === 'skip') err.write(`= ${e.step}: unchanged (inputs and parameters as before), not run again [${++finished}/${steps}]\n`);
      else if (e.type === 'done') err.write(`✓ ${e.step} in ${e.seconds.toFixed(1)} s [${++finished}/${steps}]\n`);
      else err.write(`✗ ${e.step}: ${e.message} (log: ${e.log})\n`);
    },
  });
  out.write(values.json ? `${JSON.stringify(result)}\n` : `workflow ${loaded.workflow.name}: ${result.ran.length} ran, ${result.skipped.length} unchanged${result.failed ? `, failed at ${result.failed}` : ''}; outputs in ${result.out}\n`);
  return result.failed ? 1 : 0;
}

async function demos(values: Values, positionals: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream & { isTTY?: boolean }): Promise<number> {
  if (positionals.length) throw new UsageError(`demos takes no positional arguments (got "${positionals[0]}")`);
  for (const k of ['task', 'episodes', 'seed', 'out'] as const) if (typeof values[k] !== 'string') throw new UsageError(`demos needs --${k}`);
  const episodes = integer('episodes', values.episodes as string);
  if (episodes < 1) throw new UsageError(`--episodes must be at least 1, got ${episodes}`);
  const seed = integer('seed', values.seed as string);
  const fps = typeof values.fps === 'string' ? Number(values.fps) : undefined;
  if (fps !== undefined && !Number.isFinite(fps)) throw new UsageError(`--fps must be a number, got "${values.fps}"`);
  const formats = typeof values.format === 'string' ? values.format.split(',').map((f) => f.trim()).filter(Boolean) : ['lerobot', 'hdf5'];
  const tty = err.isTTY === true;
  let last = 0;
  let imageSize: [number, number] | undefined;
  if (typeof values['image-size'] === 'string') {
    const m = /^(\d+)x(\d+)$/.exec(values['image-size']);
    if (!m) throw new UsageError(`--image-size must be WxH, e.g. 128x128, got "${values['image-size']}"`);
    imageSize = [Number(m[1]), Number(m[2])];
  }
  let noise: { position: number; rotation: number } | undefined;
  if (typeof values['action-noise'] === 'string') {
    const parts = values['action-noise'].split(',').map((v) => Number(v.trim()));
    const [position, rotation = 0] = parts;
    if (parts.length > 2 || !parts.every((v) => Number.isFinite(v) && v >= 0) || position! > 0.05 || rotation > 0.5) {
      throw new UsageError(`--action-noise must be M or M,RAD: the tool point's offset in metres (0 to 0.05) and its rotation in radians (0 to 0.5), e.g. 0.01,0.05; got "${values['action-noise']}"`);
    }
    noise = { position: position!, rotation };
  }
  const request = { task: values.task as string, episodes, seed, out: values.out as string, formats, cameras: values['no-cameras'] !== true, variants: variantChoices(values), ...(fps !== undefined ? { fps } : {}), ...(imageSize ? { imageSize } : {}), ...(noise ? { noise } : {}), ...(typeof values.robot === 'string' ? { robot: values.robot } : {}), ...(typeof values.shard === 'string' ? { shard: await parseEvalShard(values.shard) } : {}) };
  const { formatDemoProgress, runDemosCommand } = await demosCommand();
  const summary = await runDemosCommand(request, (p) => {
    const now = Date.now();
    if (!tty && p.done !== p.total && now - last < 2000) return;
    last = now;
    err.write(tty ? `\r${formatDemoProgress(p)}\x1b[K` : `${formatDemoProgress(p)}\n`);
  });
  if (tty) err.write('\n');
  out.write(values.json ? `${JSON.stringify(summary)}\n` : `${summary.successes}/${summary.episodes} episodes succeeded, ${summary.frames} frames written to ${values.out} in ${summary.seconds} s\n`);
  return 0;
}

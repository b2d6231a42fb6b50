/**
 * Job files on clusters (engine/jobs/jobFile.ts; docs/SCALE.md):
 *
 *   simloop submit --engine slurm|k8s <job.yaml> [--dry-run] [--json]
 *   simloop shard <job.yaml> [--index i]        one shard: simloop <command> <args> --shard i/N --out <output>.shards/<i>
 *   simloop merge --job <job.yaml> [--json]     every shard into <output>
 *
 * The files, and calls to sbatch and kubectl, are here; the scripts and manifests are built by
 * engine/jobs/slurm.ts and engine/jobs/k8s.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../engine/errors.ts';
import { FILE_FLAGS, type FlagSpec, isTaskFile, type Job, markerMatches, parseJobFile, type ShardMarker, shardArgv, shardDir, shardDoneMarker, SHARDS_SUFFIX, K8S_SUFFIX } from '../engine/jobs/jobFile.ts';
import { K8S_FILES, k8sManifests, manifestText } from '../engine/jobs/k8s.ts';
import { parseSbatchId, SLURM_SUBMITTED, slurmScripts, slurmSubmission } from '../engine/jobs/slurm.ts';
import { DATASET_STATE_PATH } from '../engine/jobs/layout.ts';
import { mergeShards } from './merge.ts';

/** This checkout. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = resolve(ROOT, 'bin/simloop.mjs');

type Flags = Readonly<Record<string, FlagSpec>>;
type Out = { write(s: string): unknown };

/** Reads a job file: relative paths against its folder, args checked against the flag table. */
export async function readJob(file: string, flags?: Flags): Promise<Job> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError(file, 'no such job file');
  }
  const folder = dirname(resolve(file));
  return parseJobFile(text, file, { resolvePath: (p) => resolve(folder, p), ...(flags ? { flags } : {}) });
}

/** The shard to run: --index, else $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX. */
export function shardIndex(job: Job, given: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const [where, text] =
    given !== undefined ? ['--index', given] : env.SLURM_ARRAY_TASK_ID !== undefined ? ['$SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID] : env.JOB_COMPLETION_INDEX !== undefined ? ['$JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX] : [null, null];
  if (where === null || text === null) {
    throw new InputError(job.file, 'which shard? give --index i, or run it as a Slurm array task ($SLURM_ARRAY_TASK_ID) or in a Kubernetes Indexed Job ($JOB_COMPLETION_INDEX)');
  }
  if (!/^\d+$/.test(text.trim())) throw new InputError(where, `expected a shard index 0 to ${job.shards - 1}, got "${text}"`);
  const index = Number(text.trim());
  if (index >= job.shards) throw new InputError(where, `shard ${index}, but ${job.file} has ${job.shards} shards (0 to ${job.shards - 1})`);
  return index;
}

export interface ShardRun {
  file: string;
  index?: string;
  flags: Flags;
  /** Runs a simloop command line in this process (main.ts's main); returns its exit status. */
  run: (argv: string[]) => Promise<number>;
  err: Out;
  env?: NodeJS.ProcessEnv;
}

/**
 * `simloop shard <job.yaml>`: runs one shard and, when it succeeds, writes its marker. A shard
 * whose marker is there (same job) is not run again; one left unfinished is resumed (generate) or
 * started over (demos, eval: their output directory is the job's own).
 */
export async function runShard({ file, index: given, flags, run, err, env = process.env }: ShardRun): Promise<number> {
  const job = await readJob(file, flags);
  const index = shardIndex(job, given, env);
  const argv = shardArgv(job, index);
  const dir = shardDir(job.output, index);
  const marker = shardDoneMarker(job.output, index);
  const label = `shard ${index}/${job.shards} of ${job.name}`;
  if (existsSync(marker)) {
    if (markerMatches(await readFile(marker, 'utf8'), job, index)) {
      err.write(`simloop shard: ${label} is already done (${marker})\n`);
      return 0;
    }
    await rm(marker, { force: true });
  }
  if (existsSync(dir)) {
    if (job.command === 'generate' && existsSync(resolve(dir, DATASET_STATE_PATH))) argv.push('--resume');
    else await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dirname(dir), { recursive: true });
  err.write(`simloop shard: ${label}: simloop ${argv.join(' ')}\n`);
  const code = await run(argv);
  if (code !== 0) {
    err.write(`simloop shard: ${label} failed (exit status ${code})\n`);
    return code;
  }
  const record: ShardMarker = { job: job.name, index, count: job.shards, argv: shardArgv(job, index), finished_at: new Date().toISOString() };
  await writeFile(`${marker}.tmp`, `${JSON.stringify(record)}\n`);
  await rename(`${marker}.tmp`, marker);
  return 0;
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return !existsSync(dir);
  }
}

/**
 * `simloop merge --job <job.yaml>`: every shard (each with its marker) merged into the job's output.
 * The merge is written beside it and renamed into place, so output appears complete or not at all.
 */
export async function mergeJob(file: string, flags: Flags) {
  const job = await readJob(file, flags);
  const dirs: string[] = [];
  for (let i = 0; i < job.shards; i++) {
    if (!existsSync(shardDoneMarker(job.output, i))) throw new InputError(file, `shard ${i}/${job.shards} is not done (no ${shardDoneMarker(job.output, i)}); run it with simloop shard ${file} --index ${i}`);
    dirs.push(shardDir(job.output, i));
  }
  if (!(await isEmptyDir(job.output))) throw new InputError(job.output, 'already exists and is not empty; the job merges into a new directory (remove it to merge again)');
  const partial = `${job.output}.merging`;
  await rm(partial, { recursive: true, force: true });
  const result = await mergeShards(dirs, partial);
  await rm(job.output, { recursive: true, force: true });
  await rename(partial, job.output);
  return { ...result, out: job.output };
}

function command(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((done) => {
    execFile(cmd, args, { env, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { code?: unknown }) | null;
      done({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), missing: e?.code === 'ENOENT' });
    });
  });
}

export interface SubmitOptions {
  file: string;
  engine: string | undefined;
  dryRun: boolean;
  json: boolean;
  flags: Flags;
  out: Out;
  env?: NodeJS.ProcessEnv;
}

/** `simloop submit --engine slurm|k8s <job.yaml>`. */
export async function submit(options: SubmitOptions): Promise<number> {
  if (options.engine !== 'slurm' && options.engine !== 'k8s') throw new InputError('--engine', `expected slurm or k8s, got ${options.engine === undefined ? 'nothing' : `"${options.engine}"`}`);
  const job = await readJob(options.file, options.flags);
  // Inputs are checked before anything is queued (on Kubernetes they come from this checkout, built into the image).
  for (const [key, value] of Object.entries(job.args)) {
    if (typeof value === 'string' && FILE_FLAGS[job.command].includes(key) && (key !== 'task' || isTaskFile(value)) && !existsSync(value)) throw new InputError(options.file, `args.${key}: no such file ${value}`);
  }
  return options.engine === 'slurm' ? submitSlurm(job, options) : submitK8s(job, options);
}

async function submitSlurm(job: Job, { file, dryRun, json, out, env = process.env }: SubmitOptions): Promise<number> {
  if (!(await isEmptyDir(job.output))) throw new InputError(job.output, 'the job\'s output already exists and is not empty; the merge would refuse it (remove it, or give the job another output)');
  const scripts = slurmScripts(job, { node: process.execPath, cli: CLI, jobFile: resolve(file) });
  await mkdir(scripts.logs, { recursive: true });
  await mkdir(`${job.output}${SHARDS_SUFFIX}`, { recursive: true });
  await writeFile(scripts.shards.path, scripts.shards.text, { mode: 0o755 });
  await writeFile(scripts.merge.path, scripts.merge.text, { mode: 0o755 });
  if (dryRun) {
    if (json) out.write(`${JSON.stringify({ engine: 'slurm', dry_run: true, name: job.name, scripts: { [scripts.shards.path]: scripts.shards.text, [scripts.merge.path]: scripts.merge.text } })}\n`);
    else out.write(`# ${scripts.shards.path}\n${scripts.shards.text}\n# ${scripts.merge.path}\n${scripts.merge.text}\ndry run: nothing submitted. To submit: sbatch --parsable ${scripts.shards.path}, then sbatch --dependency=afterok:<its id> ${scripts.merge.path}\n`);
    return 0;
  }
  const sbatch = async (args: string[]) => {
    const r = await command('sbatch', ['--parsable', ...args], env);
    if (r.missing) throw new Error('sbatch is not on PATH: submit from a Slurm login node (simloop submit --dry-run writes and prints the scripts without submitting)');
    if (r.code !== 0) throw new Error(`sbatch ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
    return parseSbatchId(r.stdout);
  };
  const shards = await sbatch([scripts.shards.path]);
  const merge = await sbatch([`--dependency=afterok:${shards}`, '--kill-on-invalid-dep=yes', scripts.merge.path]);
  const record = slurmSubmission(job, { shards, merge }, scripts, new Date().toISOString());
  await writeFile(resolve(scripts.dir, SLURM_SUBMITTED), `${JSON.stringify(record, null, 2)}\n`);
  out.write(
    json
      ? `${JSON.stringify(record)}\n`
      : `submitted ${job.name}: ${job.shards} shards as Slurm array job ${shards} (${record.array}), the merge as job ${merge} (after every shard succeeds)\nlogs in ${scripts.logs}/, merged output ${job.output}\n`,
  );
  return 0;
}

async function submitK8s(job: Job, { dryRun, json, out, env = process.env }: SubmitOptions): Promise<number> {
  const version = (JSON.parse(await readFile(resolve(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const image = job.image ?? `simloop:${version}`;
  const manifests = k8sManifests(job, { image, root: ROOT });
  const dir = `${job.output}${K8S_SUFFIX}`;
  await mkdir(dir, { recursive: true });
  const files = (Object.keys(K8S_FILES) as (keyof typeof K8S_FILES)[]).map((key) => ({ path: resolve(dir, K8S_FILES[key]), text: manifestText(manifests[key]) }));
  for (const f of files) await writeFile(f.path, f.text);
  const all = files.map((f) => `# ${f.path}\n${f.text}`).join('---\n');
  let applied: string | null = null;
  let why: string;
  if (dryRun) why = 'dry run: nothing applied';
  else {
    const context = await command('kubectl', ['config', 'current-context'], env);
    if (context.missing) why = 'kubectl is not on PATH: nothing applied';
    else if (context.code !== 0) why = `no Kubernetes cluster configured (kubectl config current-context: ${(context.stderr || context.stdout).trim().split('\n')[0]}): nothing applied`;
    else {
      const r = await command('kubectl', ['apply', '-f', dir], env);
      if (r.code !== 0) throw new Error(`kubectl apply -f ${dir} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
      applied = r.stdout.trim();
      why = `applied to ${context.stdout.trim()}`;
    }
  }
  const next = `watch: kubectl get pods -l simloop.dev/job=${job.name}; the merged output is ${manifests.clusterJob.output} on the volume ${job.name}-data`;
  if (json) out.write(`${JSON.stringify({ engine: 'k8s', name: job.name, image, dir, files: files.map((f) => f.path), applied: applied !== null, kubectl: applied, message: why, output: manifests.clusterJob.output })}\n`);
  else if (applied !== null) out.write(`${applied}\n${why}; ${next}\n`);
  else out.write(`${all}\n${why}. The manifests are in ${dir}/; with a cluster: kubectl apply -f ${dir} (the image ${image}: docker build -t ${image} ${ROOT.replace(/\/$/, '')})\n`);
  return 0;
}

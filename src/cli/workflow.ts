/**
 * `simloop workflow run <workflow.yaml>`: runs a workflow's steps (engine/workflow/workflow.ts) in
 * dependency order, independent steps side by side (`--parallel K`, default 2), each as its own
 * process with its log in `<out>/logs/<step>.log`. Before a step runs, everything it reads is hashed
 * (files and folders its arguments name, the task, scene and robot profile a bundled task id stands
 * for, earlier steps' outputs); with the command that makes its content key. A step whose output
 * holds a lineage.json with the same key and intact files is not run again, so a workflow resumes
 * after a failure. After a step succeeds its output gets lineage.json (engine/workflow/lineage.ts).
 * `--step <name>` runs that one step (its inputs must be finished): what a Slurm job of a workflow
 * runs. `--engine slurm` submits one job per step, each depending on the jobs of the steps it needs;
 * `--engine k8s` writes (and applies, with a cluster) one Kubernetes Job per step.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../engine/errors.ts';
import { SIMLOOP_VERSION } from '../engine/jobs/plan.ts';
import { parseTaskSpec } from '../engine/tasks/spec.ts';
import { directoryDigestText, encodeLineage, type Lineage, type LineageFile, type LineageInput, LINEAGE_PATH, LINEAGE_SCHEMA_ID, LINEAGE_VERSION, parseLineage } from '../engine/workflow/lineage.ts';
import { parseWorkflow, TRAIN_PROGRAM, stepArgv, stepDependencies, stepKey, type Workflow, workflowOrder } from '../engine/workflow/workflow.ts';
import { APP_DIR, manifestText } from '../engine/jobs/k8s.ts';
import { workflowK8sManifests } from '../engine/workflow/k8s.ts';
import { ROOT } from './headlessJob.ts';
import { taskFile } from './taskInput.ts';

export interface LoadedWorkflow {
  file: string;
  /** Folder the workflow's relative paths are resolved against (the file's), and where commands run. */
  base: string;
  workflow: Workflow;
  sha256: string;
  /** The workflow's output folder; step s writes <out>/<s>. */
  out: string;
}

/** `out`: the workflow's output folder instead of the file's `out:` (`simloop workflow run --out`). */
export async function readWorkflowFile(path: string, out?: string): Promise<LoadedWorkflow> {
  const file = resolve(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new InputError(path, 'cannot read the workflow file');
  }
  let value: unknown;
  try {
    value = parseYaml(bytes.toString('utf8'));
  } catch (e) {
    throw new InputError(path, `not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const workflow = parseWorkflow(value, path);
  const base = dirname(file);
  return { file, base, workflow, sha256: createHash('sha256').update(bytes).digest('hex'), out: out !== undefined ? resolve(out) : resolve(base, workflow.out ?? join('out', workflow.name)) };
}

/** Simloop's trainer (`run: train`). */
const TRAIN_SCRIPT = join(ROOT, 'training/train_vla.py');

/** The Python with PyTorch: $SIMLOOP_PYTHON, else Debian's /usr/bin/python3 (training/README.md), else python3 on the PATH. */
function trainerPython(): string {
  return process.env.SIMLOOP_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

// ------------------------------------------------------------------ hashing

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** A folder's files with their hashes (lineage.json aside: it records when, not what). */
export async function hashFiles(dir: string): Promise<LineageFile[]> {
  const files: LineageFile[] = [];
  for (const path of await filesUnder(dir)) {
    if (path === LINEAGE_PATH) continue;
    const full = join(dir, path);
    files.push({ path, bytes: (await stat(full)).size, sha256: await hashFile(full) });
  }
  return files;
}

export async function hashPath(path: string): Promise<{ kind: 'file' | 'directory'; sha256: string }> {
  if ((await stat(path)).isDirectory()) return { kind: 'directory', sha256: createHash('sha256').update(directoryDigestText(await hashFiles(path))).digest('hex') };
  return { kind: 'file', sha256: await hashFile(path) };
}

// ------------------------------------------------------------------ steps

/** The output directory holding `path` (itself, or a folder above it) among the steps' outputs. */
function producer(path: string, outputs: Record<string, string>): string | null {
  for (const dir of Object.values(outputs)) if (path === dir || path.startsWith(`${dir}${sep}`)) return dir;
  return null;
}

/**
 * What a step reads: every argument that names an existing file or folder (relative to the
 * workflow's folder), and for a bundled task id its task file, scene and robot profile.
 */
async function stepInputs(argv: readonly string[], base: string, outputs: Record<string, string>, own: string): Promise<(Omit<LineageInput, 'sha256' | 'kind'> & { path: string })[]> {
  const inputs: (Omit<LineageInput, 'sha256' | 'kind'> & { path: string })[] = [];
  const add = (role: string, path: string) => {
    if (path === own || path.startsWith(`${own}${sep}`) || inputs.some((i) => i.path === path)) return;
    inputs.push({ role, path, from: producer(path, outputs) });
  };
  // The trainer reads its script: it counts as an input.
  if (argv[0] === TRAIN_PROGRAM) add('trainer', TRAIN_SCRIPT);
  let flag: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      flag = arg.slice(2);
      continue;
    }
    if (i === 0 || (argv[0] === 'simloop' && i === 1)) continue;
    // A value takes its flag's name (for Simloop and the trainer, every value of a list too); a command's other arguments are numbered.
    const named = argv[0] === 'simloop' || argv[0] === TRAIN_PROGRAM;
    const role = flag !== null && (named || argv[i - 1]!.startsWith('--')) ? flag : `argument ${i}`;
    const path = isAbsolute(arg) ? arg : resolve(base, arg);
    if (existsSync(path)) {
      add(role, path);
      // A policy manifest reads the weights and files beside it: its whole package counts.
      if (role === 'policy' && argv[0] === 'simloop') add('policy package', dirname(path));
    } else if (role === 'task' && argv[0] === 'simloop') {
      // A bundled task: its file, and the scene and profile it names.
      const file = await taskFile(arg);
      add('task', file);
      const spec = parseTaskSpec(await readFile(file, 'utf8'), basename(file));
      add('scene', resolve(dirname(file), spec.scene));
      if (spec.profile !== undefined) add('robot profile', resolve(dirname(file), spec.profile));
    }
  }
  return inputs;
}

export type WorkflowEvent =
  | { type: 'start'; step: string; command: string[] }
  | { type: 'skip'; step: string }
  | { type: 'done'; step: string; seconds: number }
  | { type: 'fail'; step: string; message: string; log: string };

export interface WorkflowOptions {
  /** Steps run at once (default 2). */
  parallel?: number;
  /** Run only this step (its inputs must be finished). */
  step?: string;
  /** Run every step even when its output is current. */
  force?: boolean;
  onEvent?: (event: WorkflowEvent) => void;
}

export interface WorkflowResult {
  out: string;
  ran: string[];
  skipped: string[];
  failed: string | null;
}

/** The output folder of each step. */
export const stepOutputs = (loaded: LoadedWorkflow): Record<string, string> => Object.fromEntries(Object.keys(loaded.workflow.steps).map((s) => [s, join(loaded.out, s)]));

/** True when `dir` holds a finished output of this key whose files are as lineage.json recorded them. */
async function current(dir: string, key: string): Promise<boolean> {
  const bytes = await readFile(join(dir, LINEAGE_PATH)).catch(() => null);
  if (!bytes) return false;
  let lineage: Lineage;
  try {
    lineage = parseLineage(new Uint8Array(bytes), join(dir, LINEAGE_PATH));
  } catch {
    return false;
  }
  if (lineage.key !== key) return false;
  const files = await hashFiles(dir);
  return JSON.stringify(files) === JSON.stringify(lineage.outputs);
}

/** Runs one step if its output is not current; writes its lineage. Resolves false on failure. */
async function runStep(loaded: LoadedWorkflow, name: string, options: WorkflowOptions): Promise<'ran' | 'skipped' | { failed: string; log: string }> {
  const step = loaded.workflow.steps[name]!;
  const outputs = stepOutputs(loaded);
  const own = outputs[name]!;
  const argv = stepArgv(step, outputs, own);
  const inputs = await stepInputs(argv, loaded.base, outputs, own);
  const hashed: LineageInput[] = [];
  for (const input of inputs) hashed.push({ ...input, ...(await hashPath(input.path)) });
  // The key names step outputs by step (moving the workflow's folder keeps it) and paths relative to the workflow.
  const keyArgv = stepArgv(step, Object.fromEntries(Object.keys(outputs).map((s) => [s, `\${${s}}`])), '${output}');
  const key = createHash('sha256')
    .update(stepKey({ step: name, argv: keyArgv, inputs: hashed.map((i) => ({ path: relative(loaded.base, i.path), sha256: i.sha256 })), simloopVersion: SIMLOOP_VERSION }))
    .digest('hex');
  if (!options.force && (await current(own, key))) {
    options.onEvent?.({ type: 'skip', step: name });
    return 'skipped';
  }
  const command = argv[0] === 'simloop' ? [process.execPath, join(ROOT, 'bin/simloop.mjs'), ...argv.slice(1)] : argv[0] === TRAIN_PROGRAM ? [trainerPython(), TRAIN_SCRIPT, ...argv.slice(1)] : argv;
  options.onEvent?.({ type: 'start', step: name, command: argv });
  await rm(own, { recursive: true, force: true });
  await mkdir(own, { recursive: true });
  const logs = join(loaded.out, 'logs');
  await mkdir(logs, { recursive: true });
  const logPath = join(logs, `${name}.log`);
  const log = createWriteStream(logPath);
  const started = new Date();
  const stdoutChunks: Buffer[] = [];
  const code = await new Promise<number | string>((done) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: loaded.base, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    child.stdout.on('data', (c: Buffer) => {
      log.write(c);
      if (step.stdout) stdoutChunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => log.write(c));
    child.on('error', (e) => done(`cannot start ${command[0]} (${e.message})`));
    child.on('close', (status, signal) => done(status ?? `killed by ${signal}`));
  });
  await new Promise<void>((r) => log.end(r));
  if (typeof code === 'string' || !step.exit_codes.includes(code)) {
    const tail = (await readFile(logPath, 'utf8')).trim().split('\n').slice(-1)[0] ?? '';
    return { failed: typeof code === 'string' ? code : `exit status ${code}${tail ? `: ${tail}` : ''}`, log: logPath };
  }
  if (step.stdout) await writeFile(join(own, step.stdout), Buffer.concat(stdoutChunks));
  const lineage: Lineage = {
    schema: LINEAGE_SCHEMA_ID,
    version: LINEAGE_VERSION,
    simloop_version: SIMLOOP_VERSION,
    workflow: { file: loaded.file, name: loaded.workflow.name, sha256: loaded.sha256 },
    step: name,
    run: step.run,
    command,
    key,
    inputs: hashed,
    outputs: await hashFiles(own),
    started_at: started.toISOString(),
    seconds: Number(((Date.now() - started.getTime()) / 1000).toFixed(3)),
  };
  await writeFile(join(own, LINEAGE_PATH), encodeLineage(lineage));
  return 'ran';
}

/** Runs the workflow locally: steps in dependency order, up to `parallel` at once, stopping at the first failure. */
export async function runWorkflow(loaded: LoadedWorkflow, options: WorkflowOptions = {}): Promise<WorkflowResult> {
  const { workflow } = loaded;
  const result: WorkflowResult = { out: loaded.out, ran: [], skipped: [], failed: null };
  const record = (name: string, outcome: Awaited<ReturnType<typeof runStep>>) => {
    if (outcome === 'ran') result.ran.push(name);
    else if (outcome === 'skipped') result.skipped.push(name);
    else {
      result.failed ??= name;
      options.onEvent?.({ type: 'fail', step: name, message: outcome.failed, log: outcome.log });
    }
  };
  if (options.step !== undefined) {
    if (!(options.step in workflow.steps)) throw new InputError('--step', `no step "${options.step}" (steps: ${Object.keys(workflow.steps).join(', ')})`);
    const outputs = stepOutputs(loaded);
    for (const dep of stepDependencies(workflow.steps[options.step]!)) {
      if (!existsSync(join(outputs[dep]!, LINEAGE_PATH))) throw new InputError('--step', `step ${options.step} needs step ${dep}, which has not finished (no ${join(outputs[dep]!, LINEAGE_PATH)})`);
    }
    record(options.step, await runStep(loaded, options.step, options));
    return result;
  }
  const order = workflowOrder(workflow, loaded.file);
  const parallel = Math.max(1, options.parallel ?? 2);
  const done = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const pending = [...order];
  while (pending.length || running.size) {
    if (result.failed === null) {
      for (const name of [...pending]) {
        if (running.size >= parallel) break;
        if (!stepDependencies(workflow.steps[name]!).every((d) => done.has(d))) continue;
        pending.splice(pending.indexOf(name), 1);
        const started = Date.now();
        running.set(
          name,
          runStep(loaded, name, options).then((outcome) => {
            record(name, outcome);
            if (outcome === 'ran') options.onEvent?.({ type: 'done', step: name, seconds: (Date.now() - started) / 1000 });
            if (outcome === 'ran' || outcome === 'skipped') done.add(name);
            running.delete(name);
          }),
        );
      }
    } else if (!running.size) break;
    if (running.size) await Promise.race(running.values());
    else if (pending.length) break;
  }
  return result;
}

// ------------------------------------------------------------------ Slurm

/** One sbatch script per step, each running `simloop workflow run <file> --step <name>`. */
export function workflowSlurmScript(loaded: LoadedWorkflow, name: string): string {
  const logs = join(loaded.out, 'logs');
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${loaded.workflow.name}-${name}`,
    `#SBATCH --output=${join(logs, `${name}.slurm-%j.out`)}`,
    'set -euo pipefail',
    `cd ${JSON.stringify(loaded.base)}`,
    `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin/simloop.mjs'))} workflow run ${JSON.stringify(loaded.file)} --out ${JSON.stringify(loaded.out)} --step ${name}`,
    '',
  ].join('\n');
}

/**
 * Submits the workflow to Slurm: the steps in dependency order, each with
 * `--dependency=afterok:<the jobs of the steps it needs>`. Returns the job id of each step.
 */
export async function submitWorkflowToSlurm(loaded: LoadedWorkflow, dryRun: boolean, print: (line: string) => void): Promise<Record<string, string>> {
  const dir = join(loaded.out, 'slurm');
  await mkdir(join(loaded.out, 'logs'), { recursive: true });
  await mkdir(dir, { recursive: true });
  const ids: Record<string, string> = {};
  for (const name of workflowOrder(loaded.workflow, loaded.file)) {
    const script = join(dir, `${name}.sbatch`);
    await writeFile(script, workflowSlurmScript(loaded, name));
    const deps = stepDependencies(loaded.workflow.steps[name]!).map((d) => ids[d]!);
    const args = ['--parsable', ...(deps.length ? [`--dependency=afterok:${deps.join(':')}`, '--kill-on-invalid-dep=yes'] : []), script];
    if (dryRun) {
      print(`# sbatch ${args.join(' ')}\n${workflowSlurmScript(loaded, name)}`);
      ids[name] = `<${name}>`;
      continue;
    }
    const r = spawnSync('sbatch', args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new InputError('sbatch', `submitting step ${name} failed: ${(r.error?.message ?? r.stderr).trim()}`);
    ids[name] = r.stdout.trim().split(';')[0]!;
    print(`${name}: job ${ids[name]}${deps.length ? ` (after ${deps.join(', ')})` : ''}`);
  }
  return ids;
}

// ------------------------------------------------------------------ Kubernetes

/**
 * Writes the workflow's Jobs into `<out>/k8s/` (engine/workflow/k8s.ts) and applies them with kubectl
 * when a cluster is configured, else says so. The workflow file must be inside this checkout: the
 * pods run the image's copy of it (/app/…).
 */
export async function submitWorkflowToK8s(loaded: LoadedWorkflow, options: { dryRun: boolean; image?: string }, print: (line: string) => void): Promise<{ dir: string; files: string[]; applied: boolean; message: string }> {
  const inCheckout = relative(ROOT, loaded.file);
  if (inCheckout.startsWith('..') || isAbsolute(inCheckout)) throw new InputError(loaded.file, `is outside this checkout (${ROOT}); the pods run the image's copy of the checkout, so put the workflow in it and rebuild the image`);
  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const manifests = workflowK8sManifests(loaded.workflow, { image: options.image ?? `simloop:${version}`, file: `${APP_DIR}/${inCheckout.split(sep).join('/')}` });
  const dir = join(loaded.out, 'k8s');
  await mkdir(dir, { recursive: true });
  const objects = [{ name: '00-volume.yaml', object: manifests.volume }, ...manifests.jobs.map((j, i) => ({ name: `${String(i + 1).padStart(2, '0')}-${j.step}.yaml`, object: j.job }))];
  for (const o of objects) await writeFile(join(dir, o.name), manifestText(o.object));
  let applied = false;
  let message: string;
  if (options.dryRun) message = 'dry run: nothing applied';
  else {
    const context = spawnSync('kubectl', ['config', 'current-context'], { encoding: 'utf8' });
    if (context.error) message = 'kubectl is not on PATH: nothing applied';
    else if (context.status !== 0) message = `no Kubernetes cluster configured (kubectl config current-context: ${(context.stderr || context.stdout).trim().split('\n')[0]}): nothing applied`;
    else {
      const r = spawnSync('kubectl', ['apply', '-f', dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`kubectl apply -f ${dir} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
      applied = true;
      message = `applied to ${context.stdout.trim()}: kubectl get jobs -l simloop.dev/workflow=${loaded.workflow.name}; outputs in ${manifests.out} on the volume ${loaded.workflow.name}-data`;
    }
  }
  if (!applied) print(objects.map((o) => `# ${join(dir, o.name)}\n${manifestText(o.object)}`).join('---\n'));
  print(`${message}. The manifests are in ${dir}/`);
  return { dir, files: objects.map((o) => join(dir, o.name)), applied, message };
}

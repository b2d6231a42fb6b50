/**
 * Job files (`simloop_job: 1`): one sharded run of `simloop generate`, `simloop demos` or
 * `simloop eval`, as `simloop submit` sends it to Slurm or Kubernetes and `simloop shard` runs one
 * block of it. The file names the command and its flags (`args`), how many shards, how many run at
 * once, what each shard may use, and where the merged output goes. The field reference is
 * docs/SCALE.md; keep the two in step.
 *
 * Unversioned files — a `simloop generate --job` file, GenerateJob's fields at the top level —
 * are the form before this one: they read as a generate job (migrateGenerateJobFile) and still work
 * for `simloop generate --job` as before.
 *
 * Layout on disk, everything beside the merged output (paths absolute once read):
 *
 *   <output>/                    the merged output (`simloop merge --job`)
 *   <output>.shards/<i>/         shard i's output (`simloop <command> … --shard i/N --out …`)
 *   <output>.shards/<i>.done     written by `simloop shard` once shard i finished (exit 0): what the
 *                                Kubernetes merge Job waits for, and what lets a shard run again skip
 *   <output>.slurm/              sbatch scripts and logs/ (`simloop submit --engine slurm`)
 *   <output>.k8s/                manifests (`simloop submit --engine k8s`)
 *
 * DOM-free and without Node: the host passes in how a path is made absolute.
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { upgradeDocument, versionedFormat } from '../versioned.ts';
import { fieldPath, type LineOf, parseYamlText, validateWithSchema } from '../yamlSpec.ts';

export const JOB_FILE_VERSION = 1;
/** Version and migrations (engine/versioned.ts). Version 1 is the first with `simloop_job`. */
export const JOB_FILE_FORMAT = versionedFormat({ name: 'job file', field: 'simloop_job', current: JOB_FILE_VERSION, migrations: {} });

export const JOB_COMMANDS = ['generate', 'demos', 'eval'] as const;
export type JobCommand = (typeof JOB_COMMANDS)[number];

/**
 * The flags of each command a job may give in `args` (the rest of main.ts's flag table belongs to
 * other commands or to the job itself). Types come from main.ts's parseArgs table; a test checks
 * that both name the same flags.
 */
export const COMMAND_FLAGS: Readonly<Record<JobCommand, readonly string[]>> = {
  generate: ['scene', 'frames', 'seed', 'randomize', 'width', 'height', 'format', 'workers', 'no-shadows', 'quality', 'variant', 'json'],
  demos: ['task', 'episodes', 'seed', 'format', 'fps', 'image-size', 'action-noise', 'no-cameras', 'robot', 'variant', 'json'],
  eval: ['policy', 'task', 'episodes', 'seed', 'ep', 'clock', 'instructions', 'image-size', 'no-videos', 'traces', 'robot', 'variant', 'json'],
};

/** Flags each command needs. */
export const REQUIRED_FLAGS: Readonly<Record<JobCommand, readonly string[]>> = {
  generate: ['scene', 'frames'],
  demos: ['task', 'episodes', 'seed'],
  eval: ['policy', 'task', 'episodes', 'seed'],
};

/** Flags that name files: relative ones are resolved against the job file's folder. */
export const FILE_FLAGS: Readonly<Record<JobCommand, readonly string[]>> = {
  generate: ['scene', 'randomize'],
  demos: ['task', 'robot'],
  eval: ['policy', 'task', 'robot'],
};

/** `--task` is a bundled id or a file; it is a file when it ends as a task file does (cli/taskInput.ts). */
export const isTaskFile = (value: string) => /\.(ya?ml|json)$/i.test(value);

/** Flags the job sets itself, and why a job file may not. */
export const RESERVED_FLAGS: Readonly<Record<string, string>> = {
  out: 'the job writes shard i to <output>.shards/<i> and merges them into output',
  shard: 'the job gives each shard --shard i/N from shards',
  job: 'a job file cannot name another job file',
  resume: 'a shard that runs again resumes by itself',
  until: 'a shard sees only its block of episodes; run --until without a job',
  baseline: 'only --until uses it; run --until without a job',
  margin: 'only --until uses it; run --until without a job',
  plan: 'eval --plan runs no episodes',
};

/** How main.ts's parseArgs declares a flag. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
}

const Quantity = (what: string) =>
  z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/, `expected ${what} like 512Mi, 4Gi or 1G (Ki/Mi/Gi/Ti: powers of 1024; K/M/G/T: of 1000)`)], {
    error: `expected ${what} like 4Gi`,
  });

const ArgValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))], {
  error: 'expected a value: a string or number, true for a bare flag, or a list for a repeatable flag',
});

export const JobResources = z.strictObject({
  /** CPUs per shard (Slurm --cpus-per-task, rounded up; Kubernetes cpu request and limit). */
  cpus: z.number({ error: 'expected a number of CPUs' }).positive('expected a number of CPUs > 0').max(1024).default(1),
  /** Memory per shard: bytes, or a Kubernetes quantity (4Gi, 512Mi, 4G). */
  memory: Quantity('a memory size').default('4Gi'),
  /** GPUs per shard (Slurm --gres=gpu:n, Kubernetes nvidia.com/gpu). */
  gpus: z.number({ error: 'expected a whole number of GPUs' }).int('expected a whole number of GPUs').min(0).max(64).default(0),
  /** Wall-clock limit per shard: HH:MM:SS or D-HH:MM:SS (Slurm --time, Kubernetes activeDeadlineSeconds). */
  time: z
    .string({ error: 'expected a time limit like "02:00:00"' })
    .regex(/^(\d+-)?\d{1,3}:[0-5]\d:[0-5]\d$/, 'expected a time limit HH:MM:SS or D-HH:MM:SS, e.g. "02:00:00" (quote it in YAML)')
    .default('01:00:00'),
  /** Size of the shared volume on Kubernetes (the PersistentVolumeClaim). */
  storage: Quantity('a volume size').default('10Gi'),
});
export type JobResources = z.infer<typeof JobResources>;

const JOB_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** Room for the suffixes of the Kubernetes objects (`-merge`, `-data`) within their 63 characters. */
export const MAX_JOB_NAME = 40;

export const JobFile = z.strictObject({
  simloop_job: z.literal(JOB_FILE_VERSION, { error: `expected simloop_job: ${JOB_FILE_VERSION}` }),
  /** Slurm and Kubernetes job names; default: the file's name. */
  name: z.string({ error: 'expected a name' }).regex(JOB_NAME, 'expected lower-case letters, digits and dashes (a Kubernetes name), e.g. cube-sdg').max(MAX_JOB_NAME, `at most ${MAX_JOB_NAME} characters`).optional(),
  command: z.enum(JOB_COMMANDS, { error: `expected one of ${JOB_COMMANDS.join(', ')}` }),
  /** The command's long flags without "--". */
  args: z.record(z.string(), ArgValue, { error: 'expected a mapping of flags to values (scene: …, frames: …)' }),
  shards: z.number({ error: 'expected a whole number of shards' }).int('expected a whole number of shards').min(1, 'at least 1 shard').max(10_000),
  /** How many shards run at once (default: all). */
  parallelism: z.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'at least 1').optional(),
  resources: JobResources.prefault({}),
  /** The merged output directory. */
  output: z.string({ error: 'expected the output directory' }).min(1, 'expected the output directory'),
  /** The container image (Kubernetes only); default simloop:<version>. */
  image: z.string().min(1).optional(),
});
export type JobFileInput = z.input<typeof JobFile>;

export type ArgValue = z.infer<typeof ArgValue>;

/** A job as read: defaults filled in, paths absolute. */
export interface Job {
  /** The job file (as given). */
  file: string;
  name: string;
  command: JobCommand;
  args: Record<string, ArgValue>;
  shards: number;
  parallelism: number;
  resources: JobResources;
  output: string;
  image: string | null;
}

export const SHARDS_SUFFIX = '.shards';
export const SLURM_SUFFIX = '.slurm';
export const K8S_SUFFIX = '.k8s';
/** Shard i's output directory. */
export const shardDir = (output: string, index: number) => `${output}${SHARDS_SUFFIX}/${index}`;
/** Written when shard i finished. */
export const shardDoneMarker = (output: string, index: number) => `${output}${SHARDS_SUFFIX}/${index}.done`;

/** "cube-sdg.job.yaml" → "cube-sdg": the default job name, from the file's name. */
export function jobNameFromFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? '';
  const stem = base.replace(/\.(ya?ml|json)$/i, '').replace(/\.job$/i, '');
  const name = stem
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, MAX_JOB_NAME)
    .replace(/^-+|-+$/g, '');
  return name || 'simloop-job';
}

/**
 * An unversioned `simloop generate --job` file (GenerateJob's fields: scene, frames, seed, out, …)
 * as a version-1 job file: command generate, its fields as flags, `out` as the output, the shard
 * count (if any) as shards. `resume` is dropped (shards resume by themselves).
 */
export function migrateGenerateJobFile(doc: Record<string, unknown>): Record<string, unknown> {
  const { out, shard, resume: _resume, formats, shadows, variants, ...rest } = doc;
  const args: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
  if (formats !== undefined) args['format'] = Array.isArray(formats) ? formats.join(',') : formats;
  if (shadows === false) args['no-shadows'] = true;
  if (variants !== undefined) args['variant'] = variants;
  let shards = 1;
  if (typeof shard === 'string' && /^\d+\/\d+$/.test(shard.trim())) shards = Number(shard.trim().split('/')[1]);
  else if (shard && typeof shard === 'object' && typeof (shard as { count?: unknown }).count === 'number') shards = (shard as { count: number }).count;
  return { simloop_job: 1, command: 'generate', args, shards, ...(out !== undefined ? { output: out } : {}) };
}

/** Is this parsed document an unversioned `simloop generate --job` file? */
export function isGenerateJobFile(doc: unknown): doc is Record<string, unknown> {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && !('simloop_job' in doc) && 'scene' in doc && !('command' in doc);
}

export interface ReadJobOptions {
  /** Makes a path from the file absolute (resolved against the job file's folder). Default: kept as given. */
  resolvePath?: (path: string) => string;
  /** main.ts's parseArgs table: the type of each flag. Without it only the flag names are checked. */
  flags?: Readonly<Record<string, FlagSpec>>;
}

/** Reads a job file's text (YAML or JSON); errors name the file, the field and the line. */
export function parseJobFile(text: string, file: string, options: ReadJobOptions = {}): Job {
  const { value, lineOf } = parseYamlText(text, file);
  const doc = isGenerateJobFile(value) ? migrateGenerateJobFile(value) : value;
  const upgraded = upgradeDocument(JOB_FILE_FORMAT, doc, file, lineOf);
  const parsed = validateWithSchema(JobFile, upgraded, file, lineOf);
  return checkJob(parsed, file, options, lineOf);
}

function checkJob(parsed: z.infer<typeof JobFile>, file: string, options: ReadJobOptions, lineOf: LineOf): Job {
  const problem = (path: PropertyKey[], message: string) => {
    const line = lineOf(path);
    return new InputError(file, `${fieldPath(path)}: ${message}${line ? ` (line ${line})` : ''}`);
  };
  const { command } = parsed;
  const allowed = COMMAND_FLAGS[command];
  const resolvePath = options.resolvePath ?? ((p: string) => p);
  const args: Record<string, ArgValue> = {};
  for (const [key, value] of Object.entries(parsed.args)) {
    const at = ['args', key];
    const flag = key.replace(/^--?/, '');
    if (flag !== key) throw problem(at, `write the flag without dashes (${flag}: …)`);
    if (RESERVED_FLAGS[key]) throw problem(at, `set by the job, not in args: ${RESERVED_FLAGS[key]}`);
    if (!allowed.includes(key)) throw problem(at, `simloop ${command} has no flag --${key} a job can give (its flags: ${allowed.join(', ')})`);
    const spec = options.flags?.[key];
    if (options.flags && !spec) throw problem(at, `simloop ${command} has no flag --${key}`);
    if (spec?.type === 'boolean' && typeof value !== 'boolean') throw problem(at, `--${key} is a bare flag: give true (or false to leave it out)`);
    if (spec?.type === 'string') {
      if (typeof value === 'boolean') throw problem(at, `--${key} takes a value, not ${value}`);
      if (Array.isArray(value) && !spec.multiple) throw problem(at, `--${key} takes one value, not a list${key === 'format' ? ' (formats are one comma-separated value: coco,basic)' : ''}`);
    }
    if (FILE_FLAGS[command].includes(key) && typeof value === 'string' && (key !== 'task' || isTaskFile(value))) args[key] = resolvePath(value);
    else args[key] = value;
  }
  for (const key of REQUIRED_FLAGS[command]) if (parsed.args[key] === undefined || parsed.args[key] === false) throw problem(['args'], `simloop ${command} needs ${key}: (--${key})`);
  const parallelism = parsed.parallelism ?? parsed.shards;
  if (parallelism > parsed.shards) throw problem(['parallelism'], `${parallelism} at once, but there are only ${parsed.shards} shards`);
  return {
    file,
    name: parsed.name ?? jobNameFromFile(file),
    command,
    args,
    shards: parsed.shards,
    parallelism,
    resources: parsed.resources,
    output: resolvePath(parsed.output),
    image: parsed.image ?? null,
  };
}

/** The command's flags from `args`, as argv (without the command, --out and --shard). */
export function jobArgv(job: Pick<Job, 'args'>): string[] {
  const argv: string[] = [];
  for (const [key, value] of Object.entries(job.args)) {
    if (value === false) continue;
    if (value === true) argv.push(`--${key}`);
    else if (Array.isArray(value)) for (const v of value) argv.push(`--${key}`, String(v));
    else argv.push(`--${key}`, String(value));
  }
  return argv;
}

/** The argv (command first) that runs shard `index` of the job. */
export function shardArgv(job: Job, index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= job.shards) throw new InputError(job.file, `shard ${index}: the job has shards 0 to ${job.shards - 1}`);
  return [job.command, ...jobArgv(job), '--shard', `${index}/${job.shards}`, '--out', shardDir(job.output, index)];
}

/**
 * What a finished shard records (shardDoneMarker): the shard and what ran, so a marker left by
 * another job (different args or shard count) is not taken as this shard done.
 */
export interface ShardMarker {
  job: string;
  index: number;
  count: number;
  argv: string[];
  finished_at: string;
}

/** Does a marker's content say this shard of this job is done? */
export function markerMatches(text: string, job: Job, index: number): boolean {
  try {
    const marker = JSON.parse(text) as Partial<ShardMarker>;
    return marker.index === index && marker.count === job.shards && JSON.stringify(marker.argv) === JSON.stringify(shardArgv(job, index));
  } catch {
    return false;
  }
}

/** "1-02:03:04" → 93784 seconds. */
export function timeLimitSeconds(time: string): number {
  const m = /^(?:(\d+)-)?(\d+):(\d+):(\d+)$/.exec(time);
  if (!m) throw new Error(`not a time limit: ${time}`);
  return Number(m[1] ?? 0) * 86_400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

const UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A quantity (4Gi, 512Mi, 1G, or bytes) in bytes. */
export function quantityBytes(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(quantity);
  if (!m) throw new Error(`not a quantity: ${quantity}`);
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

/**
 * A version-1 job file's text for a job as read (paths absolute): what `simloop submit` gives the
 * cluster (Kubernetes: the ConfigMap, its paths mapped into the container).
 */
export function jobFileValue(job: Job): Record<string, unknown> {
  return {
    simloop_job: JOB_FILE_VERSION,
    name: job.name,
    command: job.command,
    args: job.args,
    shards: job.shards,
    parallelism: job.parallelism,
    resources: job.resources,
    output: job.output,
    ...(job.image ? { image: job.image } : {}),
  };
}

/** The GenerateJob fields (cli `generate --job`) of a job file whose command is generate: the whole job as one run into output. */
export function generateJobFields(job: Job): Record<string, unknown> {
  if (job.command !== 'generate') throw new InputError(job.file, `command: ${job.command}; simloop generate --job takes a job whose command is generate (run it with simloop submit or simloop shard)`);
  const a = job.args;
  const fields: Record<string, unknown> = { out: job.output };
  const num = (key: string) => {
    const v = a[key];
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) throw new InputError(job.file, `args.${key}: expected a number, got ${JSON.stringify(v)}`);
    return n;
  };
  for (const key of ['scene', 'randomize'] as const) if (typeof a[key] === 'string') fields[key] = a[key];
  for (const key of ['frames', 'seed', 'width', 'height', 'workers'] as const) if (a[key] !== undefined) fields[key] = num(key);
  if (a['format'] !== undefined) fields['formats'] = String(a['format']).split(',').map((f) => f.trim()).filter(Boolean);
  if (a['no-shadows'] === true) fields['shadows'] = false;
  if (a['quality'] !== undefined) fields['quality'] = a['quality'];
  if (a['variant'] !== undefined) fields['variants'] = (Array.isArray(a['variant']) ? a['variant'] : [a['variant']]).map(String);
  return fields;
}

import { describe, expect, it } from 'vitest';
import { OPTIONS, USAGE } from '../../cli/main.ts';
import { InputError } from '../errors.ts';
import {
  COMMAND_FLAGS,
  generateJobFields,
  type Job,
  JOB_COMMANDS,
  jobArgv,
  jobNameFromFile,
  markerMatches,
  parseJobFile,
  quantityBytes,
  REQUIRED_FLAGS,
  RESERVED_FLAGS,
  shardArgv,
  shardDir,
  shardDoneMarker,
  timeLimitSeconds,
} from './jobFile.ts';

/** As the CLI reads a file in /work/jobs/: relative paths against that folder. */
const read = (text: string, file = '/work/jobs/cube-sdg.job.yaml') =>
  parseJobFile(text, file, { resolvePath: (p) => (p.startsWith('/') ? p : `/work/jobs/${p.replace(/^\.\//, '')}`), flags: OPTIONS });

const errorOf = (text: string, file?: string): string => {
  try {
    read(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
};

const EXAMPLE = `simloop_job: 1
name: cube-sdg
command: generate
args:
  scene: ../scenes/tabletop.usda
  frames: 300
  seed: 7
  format: coco,basic
  no-shadows: true
  variant: ["/World/Table:look=oak", "/World/Cube:size=small"]
shards: 3
parallelism: 2
resources: { cpus: 2, memory: 4Gi, gpus: 1, time: "02:00:00" }
output: out/cube-sdg
image: registry.example/simloop:7
`;

describe('job files', () => {
  it('reads the fields, with paths against the file’s folder', () => {
    const job = read(EXAMPLE);
    expect(job).toEqual({
      file: '/work/jobs/cube-sdg.job.yaml',
      name: 'cube-sdg',
      command: 'generate',
      args: { scene: '/work/jobs/../scenes/tabletop.usda', frames: 300, seed: 7, format: 'coco,basic', 'no-shadows': true, variant: ['/World/Table:look=oak', '/World/Cube:size=small'] },
      shards: 3,
      parallelism: 2,
      resources: { cpus: 2, memory: '4Gi', gpus: 1, time: '02:00:00', storage: '10Gi' },
      output: '/work/jobs/out/cube-sdg',
      image: 'registry.example/simloop:7',
    } satisfies Job);
  });

  it('fills in defaults: the name from the file, parallelism = shards, one CPU, 4Gi, an hour', () => {
    const job = read('simloop_job: 1\ncommand: eval\nargs: { policy: p/policy.json, task: reach, episodes: 10, seed: 1, ep: wasm }\nshards: 4\noutput: /abs/out\n', '/work/jobs/Reach Eval.job.yml');
    expect(job.name).toBe('reach-eval');
    expect(job.parallelism).toBe(4);
    expect(job.resources).toEqual({ cpus: 1, memory: '4Gi', gpus: 0, time: '01:00:00', storage: '10Gi' });
    expect(job.image).toBeNull();
    expect(job.output).toBe('/abs/out');
    // A bundled task id stays an id; the policy is a file.
    expect(job.args).toMatchObject({ policy: '/work/jobs/p/policy.json', task: 'reach' });
    expect(read('simloop_job: 1\ncommand: demos\nargs: { task: tasks/mine.task.yaml, episodes: 2, seed: 0 }\nshards: 1\noutput: o\n').args['task']).toBe('/work/jobs/tasks/mine.task.yaml');
  });

  it('maps args to the command’s flags: values, bare flags, repeated flags; the job adds --shard and --out', () => {
    const job = read(EXAMPLE);
    expect(jobArgv({ args: { ...job.args, 'no-shadows': false } })).toEqual(['--scene', '/work/jobs/../scenes/tabletop.usda', '--frames', '300', '--seed', '7', '--format', 'coco,basic', '--variant', '/World/Table:look=oak', '--variant', '/World/Cube:size=small']);
    expect(shardArgv(job, 2)).toEqual(['generate', ...jobArgv(job), '--shard', '2/3', '--out', '/work/jobs/out/cube-sdg.shards/2']);
    expect(jobArgv(job)).toContain('--no-shadows');
    expect(shardDir(job.output, 1)).toBe('/work/jobs/out/cube-sdg.shards/1');
    expect(shardDoneMarker(job.output, 1)).toBe('/work/jobs/out/cube-sdg.shards/1.done');
    expect(() => shardArgv(job, 3)).toThrow('shard 3: the job has shards 0 to 2');
  });

  it('refuses flags the command does not have, naming args.<key> and the line', () => {
    expect(errorOf(EXAMPLE.replace('frames: 300', 'frame: 300'))).toBe(
      `/work/jobs/cube-sdg.job.yaml: args.frame: simloop generate has no flag --frame a job can give (its flags: ${COMMAND_FLAGS.generate.join(', ')}) (line 6)`,
    );
    expect(errorOf(EXAMPLE.replace('seed: 7', 'episodes: 7'))).toMatch(/args\.episodes: simloop generate has no flag --episodes .*\(line 7\)$/);
    expect(errorOf(EXAMPLE.replace('seed: 7', '--seed: 7'))).toMatch(/args\.--seed: write the flag without dashes \(seed: …\)/);
  });

  it('refuses a value of the wrong kind for the flag', () => {
    expect(errorOf(EXAMPLE.replace('no-shadows: true', 'no-shadows: "yes"'))).toMatch(/args\.no-shadows: --no-shadows is a bare flag: give true \(or false to leave it out\) \(line 9\)$/);
    expect(errorOf(EXAMPLE.replace('format: coco,basic', 'format: [coco, basic]'))).toMatch(/args\.format: --format takes one value, not a list \(formats are one comma-separated value: coco,basic\)/);
    expect(errorOf(EXAMPLE.replace('seed: 7', 'seed: true'))).toMatch(/args\.seed: --seed takes a value, not true/);
    expect(errorOf(EXAMPLE.replace('seed: 7', 'seed: { a: 1 }'))).toMatch(/args\.seed: expected a value/);
  });

  it('refuses the flags the job owns', () => {
    for (const flag of ['out', 'shard', 'job', 'resume']) {
      expect(errorOf(EXAMPLE.replace('seed: 7', `${flag}: x`))).toContain(`args.${flag}: set by the job, not in args: ${RESERVED_FLAGS[flag]}`);
    }
  });

  it('says what is missing or malformed, naming the field', () => {
    expect(errorOf(EXAMPLE.replace('  frames: 300\n', ''))).toMatch(/: args: simloop generate needs frames: \(--frames\) \(line 5\)$/);
    expect(errorOf(EXAMPLE.replace('command: generate', 'command: render'))).toMatch(/command: expected one of generate, demos, eval \(line 3\)$/);
    expect(errorOf(EXAMPLE.replace('name: cube-sdg', 'name: Cube_SDG'))).toMatch(/name: expected lower-case letters, digits and dashes/);
    expect(errorOf(EXAMPLE.replace('"02:00:00"', '2h'))).toMatch(/resources\.time: expected a time limit HH:MM:SS or D-HH:MM:SS/);
    expect(errorOf(EXAMPLE.replace('memory: 4Gi', 'memory: 4GB'))).toMatch(/resources\.memory: expected a memory size like 512Mi/);
    expect(errorOf(EXAMPLE.replace('parallelism: 2', 'parallelism: 5'))).toMatch(/parallelism: 5 at once, but there are only 3 shards \(line 12\)$/);
    expect(errorOf(EXAMPLE.replace('shards: 3', 'shards: 0'))).toMatch(/shards: at least 1 shard/);
    expect(errorOf(`${EXAMPLE}gpu_type: a100\n`)).toMatch(/gpu_type: unknown field/);
    expect(errorOf(EXAMPLE.replace('simloop_job: 1', 'simloop_job: 2'))).toContain('simloop_job: 2: this job file was written by a newer Simloop');
    expect(errorOf('- a\n- b\n')).toContain('a job file must be an object with "simloop_job: 1"');
  });

  it('reads an unversioned simloop generate --job file as a generate job (the form before simloop_job)', () => {
    const job = read('scene: ../scenes/tabletop.usda\nframes: 10\nseed: 3\nout: out/legacy\nrandomize: null\nformats: [coco, yolo]\nshadows: false\nshard: 1/4\nresume: true\nwidth: 64\n', '/work/jobs/legacy.yaml');
    expect(job).toMatchObject({ name: 'legacy', command: 'generate', shards: 4, parallelism: 4, output: '/work/jobs/out/legacy' });
    expect(job.args).toEqual({ scene: '/work/jobs/../scenes/tabletop.usda', frames: 10, seed: 3, width: 64, format: 'coco,yolo', 'no-shadows': true });
  });

  it('gives simloop generate --job the GenerateJob fields of a generate job file', () => {
    expect(generateJobFields(read(EXAMPLE))).toEqual({ out: '/work/jobs/out/cube-sdg', scene: '/work/jobs/../scenes/tabletop.usda', frames: 300, seed: 7, formats: ['coco', 'basic'], shadows: false, variants: ['/World/Table:look=oak', '/World/Cube:size=small'] });
    const evalJob = read('simloop_job: 1\ncommand: eval\nargs: { policy: p.json, task: reach, episodes: 2, seed: 1 }\nshards: 1\noutput: o\n');
    expect(() => generateJobFields(evalJob)).toThrow(/command: eval; simloop generate --job takes a job whose command is generate/);
  });

  it('knows a shard’s marker from another job’s', () => {
    const job = read(EXAMPLE);
    const marker = JSON.stringify({ job: job.name, index: 1, count: 3, argv: shardArgv(job, 1), finished_at: '2026-01-01T00:00:00Z' });
    expect(markerMatches(marker, job, 1)).toBe(true);
    expect(markerMatches(marker, job, 2)).toBe(false);
    expect(markerMatches(marker, read(EXAMPLE.replace('seed: 7', 'seed: 8')), 1)).toBe(false);
    expect(markerMatches('not json', job, 1)).toBe(false);
  });

  it('converts limits and sizes', () => {
    expect(timeLimitSeconds('02:00:00')).toBe(7200);
    expect(timeLimitSeconds('1-00:00:30')).toBe(86_430);
    expect(quantityBytes('4Gi')).toBe(4 * 2 ** 30);
    expect(quantityBytes('1.5G')).toBe(1.5e9);
    expect(quantityBytes(1024)).toBe(1024);
    expect(jobNameFromFile('C:\\jobs\\My Big_Job.job.json')).toBe('my-big-job');
    expect(jobNameFromFile('/x/---.yaml')).toBe('simloop-job');
  });
});

describe('the flags a job may give', () => {
  it('are flags of main.ts, of the same names the usage lists for the command', () => {
    for (const command of JOB_COMMANDS) {
      for (const flag of [...COMMAND_FLAGS[command], ...REQUIRED_FLAGS[command]]) expect(OPTIONS, `${command} --${flag}`).toHaveProperty([flag]);
      for (const flag of Object.keys(RESERVED_FLAGS)) expect(OPTIONS, `--${flag}`).toHaveProperty([flag]);
      // Every flag the usage shows for the command is either one a job gives or one the job owns.
      const lines = USAGE.split('\n');
      const start = lines.findIndex((l) => l.startsWith(`  simloop ${command} --`));
      const block = [lines[start]!];
      for (let i = start + 1; i < lines.length && !/^ {2}simloop /.test(lines[i]!) && lines[i]!.trim(); i++) block.push(lines[i]!);
      const shown = new Set([...block.join(' ').matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!));
      for (const flag of shown) expect([...COMMAND_FLAGS[command], ...Object.keys(RESERVED_FLAGS)], `simloop ${command} --${flag}`).toContain(flag);
    }
  });
});

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJobFile } from './generate.ts';
import { main, OPTIONS } from './main.ts';
import { mergeJob, runShard, shardIndex } from './submit.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'simloop-submit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const EVAL = 'simloop_job: 1\ncommand: eval\nargs: { policy: p/policy.json, task: reach, episodes: 4, seed: 1, no-videos: true }\nshards: 2\noutput: out/ev\n';

/** runShard with a stand-in for main: records the argv and answers `code`. */
async function shard(file: string, options: { index?: string; env?: NodeJS.ProcessEnv; code?: number } = {}) {
  const calls: string[][] = [];
  const log: string[] = [];
  const code = await runShard({
    file,
    ...(options.index !== undefined ? { index: options.index } : {}),
    flags: OPTIONS,
    env: options.env ?? {},
    err: { write: (s: string) => log.push(s) },
    run: async (argv) => {
      calls.push(argv);
      return options.code ?? 0;
    },
  });
  return { code, calls, log: log.join('') };
}

describe('simloop shard', () => {
  it('runs the command for its index with --shard i/N and --out <output>.shards/<i>, then marks the shard done', async () => {
    const file = write('ev.job.yaml', EVAL);
    const r = await shard(file, { index: '1' });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([['eval', '--policy', join(dir, 'p/policy.json'), '--task', 'reach', '--episodes', '4', '--seed', '1', '--no-videos', '--shard', '1/2', '--out', join(dir, 'out/ev.shards/1')]]);
    expect(JSON.parse(readFileSync(join(dir, 'out/ev.shards/1.done'), 'utf8'))).toMatchObject({ job: 'ev', index: 1, count: 2 });
    // Done once: not run again.
    const again = await shard(file, { index: '1' });
    expect([again.code, again.calls]).toEqual([0, []]);
    expect(again.log).toContain('shard 1/2 of ev is already done');
  });

  it('passes a failing command’s exit status on, and marks nothing', async () => {
    const file = write('ev.job.yaml', EVAL);
    const r = await shard(file, { index: '0', code: 2 });
    expect(r.code).toBe(2);
    expect(r.log).toContain('shard 0/2 of ev failed (exit status 2)');
    expect(existsSync(join(dir, 'out/ev.shards/0.done'))).toBe(false);
  });

  it('starts an unfinished shard over (eval), or resumes it (generate)', async () => {
    const file = write('ev.job.yaml', EVAL);
    mkdirSync(join(dir, 'out/ev.shards/0'), { recursive: true });
    writeFileSync(join(dir, 'out/ev.shards/0/partial.json'), '{}');
    await shard(file, { index: '0' });
    expect(existsSync(join(dir, 'out/ev.shards/0/partial.json'))).toBe(false);
    const gen = write('gen.job.yaml', 'simloop_job: 1\ncommand: generate\nargs: { scene: s.usda, frames: 4 }\nshards: 2\noutput: out/gen\n');
    mkdirSync(join(dir, 'out/gen.shards/1/.simloop'), { recursive: true });
    writeFileSync(join(dir, 'out/gen.shards/1/.simloop/dataset.json'), '{}');
    expect((await shard(gen, { index: '1' })).calls[0]!.at(-1)).toBe('--resume');
  });

  it('takes the index from --index, $SLURM_ARRAY_TASK_ID, then $JOB_COMPLETION_INDEX', async () => {
    const file = write('ev.job.yaml', EVAL);
    expect((await shard(file, { env: { SLURM_ARRAY_TASK_ID: '1', JOB_COMPLETION_INDEX: '0' } })).calls[0]).toContain('1/2');
    expect((await shard(file, { env: { JOB_COMPLETION_INDEX: '0' } })).calls[0]).toContain('0/2');
    await expect(shard(file)).rejects.toThrow(/ev\.job\.yaml: which shard\? give --index i/);
    const job = { file, shards: 2 } as Parameters<typeof shardIndex>[0];
    expect(() => shardIndex(job, '2')).toThrow('--index: shard 2, but');
    expect(() => shardIndex(job, undefined, { SLURM_ARRAY_TASK_ID: 'x' })).toThrow('$SLURM_ARRAY_TASK_ID: expected a shard index 0 to 1, got "x"');
  });
});

describe('simloop merge --job and simloop submit', () => {
  it('merge --job refuses while a shard is not done, naming it', async () => {
    const file = write('ev.job.yaml', EVAL);
    await shard(file, { index: '0' });
    await expect(mergeJob(file, OPTIONS)).rejects.toThrow(`shard 1/2 is not done (no ${join(dir, 'out/ev.shards/1.done')}); run it with simloop shard ${file} --index 1`);
  });

  it('bad input is one line with status 2: an unknown engine, a job arg naming no file, args the command lacks', async () => {
    const err: string[] = [];
    const run = (...argv: string[]) => main(argv, { write: () => true } as never, { write: (s: string) => err.push(s) } as never);
    const file = write('ev.job.yaml', EVAL);
    expect(await run('submit', '--engine', 'pbs', file)).toBe(2);
    expect(await run('submit', '--engine', 'slurm', file, '--dry-run')).toBe(2);
    expect(await run('shard', write('typo.job.yaml', EVAL.replace('seed: 1', 'sed: 1')), '--index', '0')).toBe(2);
    expect(await run('merge', '--job', file, '--out', 'x')).toBe(2);
    expect(err).toEqual([
      'simloop: --engine: expected slurm or k8s, got "pbs"\n',
      `simloop: ${file}: args.policy: no such file ${join(dir, 'p/policy.json')}\n`,
      expect.stringMatching(/typo\.job\.yaml: args\.sed: simloop eval has no flag --sed a job can give .*\(line 3\)\n$/),
      'simloop: merge --job writes the job file\'s output (no --out) (see simloop --help)\n',
    ]);
  });

  it('writes the Slurm scripts with --dry-run and submits nothing', async () => {
    mkdirSync(join(dir, 'scenes'));
    writeFileSync(join(dir, 'scenes/s.usda'), '#usda 1.0\n');
    const file = write('gen.job.yaml', 'simloop_job: 1\ncommand: generate\nargs: { scene: scenes/s.usda, frames: 4 }\nshards: 2\noutput: out/gen\n');
    const out: string[] = [];
    expect(await main(['submit', '--engine', 'slurm', file, '--dry-run'], { write: (s: string) => out.push(s) } as never)).toBe(0);
    expect(out.join('')).toContain(`# ${join(dir, 'out/gen.slurm/shards.sbatch')}\n#!/bin/bash\n`);
    expect(out.join('')).toContain('dry run: nothing submitted');
    expect(readFileSync(join(dir, 'out/gen.slurm/merge.sbatch'), 'utf8')).toContain(`merge --job ${file}`);
  });
});

describe('simloop generate --job', () => {
  it('reads a simloop_job file whose command is generate as the whole job, into its output', async () => {
    const file = write('gen.job.yaml', 'simloop_job: 1\ncommand: generate\nargs: { scene: s.usda, frames: 4, format: "coco,yolo", no-shadows: true }\nshards: 2\noutput: out/gen\n');
    expect(await readJobFile(file)).toEqual({ scene: join(dir, 's.usda'), frames: 4, formats: ['coco', 'yolo'], shadows: false, out: join(dir, 'out/gen') });
    await expect(readJobFile(write('ev.job.yaml', EVAL))).rejects.toThrow(/command: eval; simloop generate --job takes a job whose command is generate/);
    // The unversioned form reads as before.
    expect(await readJobFile(write('old.yaml', 'scene: s.usda\nframes: 2\nout: o\n'))).toEqual({ scene: join(dir, 's.usda'), frames: 2, out: join(dir, 'o') });
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../cli/main.ts';
import { parseJobFile } from './jobFile.ts';
import { parseSbatchId, shellQuote, slurmMemory, slurmScripts } from './slurm.ts';

const read = (text: string) => parseJobFile(text, '/repo/jobs/cube-sdg.job.yaml', { resolvePath: (p) => posix.resolve('/repo/jobs', p), flags: OPTIONS });
const JOB = `simloop_job: 1
command: generate
args: { scene: ../scenes/tabletop.usda, frames: 300, seed: 7 }
shards: 3
parallelism: 2
resources: { cpus: 1.5, memory: 4Gi, gpus: 1, time: "1-02:00:00" }
output: /scratch/my runs/cube-sdg
`;
const cli = { node: '/usr/bin/node', cli: '/repo/bin/simloop.mjs', jobFile: '/repo/jobs/cube-sdg.job.yaml' };

describe('Slurm scripts', () => {
  const scripts = slurmScripts(read(JOB), cli);

  it('run the shards as one array, P at a time, with the job’s resources and a log per task', () => {
    expect(scripts.shards.path).toBe('/scratch/my runs/cube-sdg.slurm/shards.sbatch');
    expect(scripts.shards.text.split('\n')).toEqual([
      '#!/bin/bash',
      '#SBATCH --job-name=cube-sdg',
      '#SBATCH --array=0-2%2',
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --mem=4096M',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --time=1-02:00:00',
      "#SBATCH --output='/scratch/my runs/cube-sdg.slurm/logs/%A_%a.out'",
      '# Shard $SLURM_ARRAY_TASK_ID of cube-sdg: writes /scratch/my runs/cube-sdg.shards/<i>.',
      '# Written by simloop submit --engine slurm from /repo/jobs/cube-sdg.job.yaml (generate, 3 shards).',
      'set -euo pipefail',
      'exec /usr/bin/node /repo/bin/simloop.mjs shard /repo/jobs/cube-sdg.job.yaml --index "$SLURM_ARRAY_TASK_ID"',
      '',
    ]);
  });

  it('merge with this checkout’s CLI, no GPU', () => {
    expect(scripts.merge.text).toContain('#SBATCH --job-name=cube-sdg-merge\n');
    expect(scripts.merge.text).toContain("#SBATCH --output='/scratch/my runs/cube-sdg.slurm/logs/%j-merge.out'\n");
    expect(scripts.merge.text).not.toContain('--gres');
    expect(scripts.merge.text).not.toContain('--array');
    expect(scripts.merge.text.trim().split('\n').slice(-2)).toEqual(['set -euo pipefail', 'exec /usr/bin/node /repo/bin/simloop.mjs merge --job /repo/jobs/cube-sdg.job.yaml']);
    expect(slurmScripts(read(JOB.replace('gpus: 1', 'gpus: 0')), cli).shards.text).not.toContain('--gres');
  });

  it('are bash that parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simloop-sbatch-'));
    try {
      const odd = slurmScripts(read(JOB), { ...cli, jobFile: "/it's here/job.yaml" });
      for (const [name, text] of [['shards', scripts.shards.text], ['merge', scripts.merge.text], ['odd', odd.shards.text]] as const) {
        writeFileSync(join(dir, name), text);
        const r = spawnSync('bash', ['-n', join(dir, name)], { encoding: 'utf8' });
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      }
      const echo = spawnSync('bash', ['-c', `printf '%s\\n' ${shellQuote("/it's here/job.yaml")} ${shellQuote('plain/path.yaml')}`], { encoding: 'utf8' });
      expect(echo.stdout).toBe("/it's here/job.yaml\nplain/path.yaml\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('read sbatch --parsable’s job id; memory in whole MiB', () => {
    expect(parseSbatchId('1234\n')).toBe('1234');
    expect(parseSbatchId('1234;cluster\n')).toBe('1234');
    expect(() => parseSbatchId('sbatch: error: Batch job submission failed')).toThrow(/not a job id/);
    expect(slurmMemory('4Gi')).toBe('4096M');
    expect(slurmMemory('1G')).toBe('954M');
    expect(slurmMemory(1)).toBe('1M');
  });
});

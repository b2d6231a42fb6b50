/**
 * Slurm scripts for a job file (jobFile.ts): an sbatch array with one task per shard, each running
 * `simloop shard <job file> --index $SLURM_ARRAY_TASK_ID`, and a merge script that
 * `simloop submit` queues with --dependency=afterok on the array (it starts once every shard
 * succeeded). Text only; cli/submit.ts writes the files and calls sbatch.
 *
 *   <output>.slurm/shards.sbatch      the array (#SBATCH --array=0-(N-1)%P)
 *   <output>.slurm/merge.sbatch       the merge
 *   <output>.slurm/logs/%A_%a.out     one log per shard (array job id, task id)
 *   <output>.slurm/logs/%j-merge.out  the merge's log
 *   <output>.slurm/submitted.json     the job ids sbatch gave (written by submit)
 */
import { type Job, jobFileValue, quantityBytes, SLURM_SUFFIX } from './jobFile.ts';

export const SLURM_SHARDS_SCRIPT = 'shards.sbatch';
export const SLURM_MERGE_SCRIPT = 'merge.sbatch';
export const SLURM_LOGS_DIR = 'logs';
export const SLURM_SUBMITTED = 'submitted.json';

/** Where this checkout's CLI is, as the scripts call it. */
export interface SlurmCli {
  /** The node executable (absolute). */
  node: string;
  /** bin/simloop.mjs of this checkout (absolute). */
  cli: string;
  /** The job file (absolute). */
  jobFile: string;
}

export interface SlurmScripts {
  dir: string;
  logs: string;
  shards: { path: string; text: string };
  merge: { path: string; text: string };
}

/** A word for bash: as is when it is plain, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Slurm's --mem: whole MiB, rounded up. */
export function slurmMemory(memory: string | number): string {
  return `${Math.ceil(quantityBytes(memory) / 2 ** 20)}M`;
}

function header(job: Job, lines: string[], what: string, cli: SlurmCli): string {
  return [
    '#!/bin/bash',
    ...lines.map((l) => `#SBATCH ${l}`),
    `# ${what}`,
    `# Written by simloop submit --engine slurm from ${cli.jobFile} (${job.command}, ${job.shards} shard${job.shards === 1 ? '' : 's'}).`,
    'set -euo pipefail',
  ].join('\n');
}

/** The array and merge scripts for a job read from cli.jobFile. */
export function slurmScripts(job: Job, cli: SlurmCli): SlurmScripts {
  const dir = `${job.output}${SLURM_SUFFIX}`;
  const logs = `${dir}/${SLURM_LOGS_DIR}`;
  const r = job.resources;
  const common = [`--cpus-per-task=${Math.ceil(r.cpus)}`, `--mem=${slurmMemory(r.memory)}`, ...(r.gpus > 0 ? [`--gres=gpu:${r.gpus}`] : []), `--time=${r.time}`];
  const simloop = `${shellQuote(cli.node)} ${shellQuote(cli.cli)}`;
  const shards = [
    header(job, [`--job-name=${job.name}`, `--array=0-${job.shards - 1}%${job.parallelism}`, ...common, `--output=${shellQuote(`${logs}/%A_%a.out`)}`], `Shard $SLURM_ARRAY_TASK_ID of ${job.name}: writes ${job.output}.shards/<i>.`, cli),
    `exec ${simloop} shard ${shellQuote(cli.jobFile)} --index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
  const merge = [
    header(job, [`--job-name=${job.name}-merge`, ...common.filter((l) => !l.startsWith('--gres')), `--output=${shellQuote(`${logs}/%j-merge.out`)}`], `Merges the ${job.shards} shards of ${job.name} into ${job.output} (queued with --dependency=afterok on the array).`, cli),
    `exec ${simloop} merge --job ${shellQuote(cli.jobFile)}`,
    '',
  ].join('\n');
  return { dir, logs, shards: { path: `${dir}/${SLURM_SHARDS_SCRIPT}`, text: shards }, merge: { path: `${dir}/${SLURM_MERGE_SCRIPT}`, text: merge } };
}

/** The job id in `sbatch --parsable`'s answer ("123" or "123;cluster"). */
export function parseSbatchId(stdout: string): string {
  const id = stdout.trim().split(/\s+/).pop()?.split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) throw new Error(`sbatch answered "${stdout.trim()}", not a job id`);
  return id;
}

/** What submitted.json records. */
export function slurmSubmission(job: Job, ids: { shards: string; merge: string }, scripts: SlurmScripts, submittedAt: string) {
  return { engine: 'slurm', name: job.name, shards_job: ids.shards, merge_job: ids.merge, array: `0-${job.shards - 1}%${job.parallelism}`, scripts: [scripts.shards.path, scripts.merge.path], logs: scripts.logs, output: job.output, submitted_at: submittedAt, job: jobFileValue(job) };
}

/**
 * `simloop submit --engine slurm` on a real one-node Slurm cluster started here (slurmCluster.mjs):
 * a 3-shard generate job and a 2-shard eval job run as sbatch arrays, each merged by a job that
 * waits for the array (afterok); the merged outputs equal one unsharded run. A shard that fails
 * fails its array task and the merge never runs. A workflow runs as one job per step, each after
 * the jobs of the steps it needs. Skips when Slurm is not installed, unless
 * SIMLOOP_REQUIRE_SLURM=1 (.ci/run sets it), then it fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main } from '../src/cli/main.ts';
import { ROOT, datasetFiles } from './harness.mjs';
import { jobStates, missingSlurmPrograms, startSlurmCluster, waitForJobs } from './slurmCluster.mjs';

const missing = missingSlurmPrograms();
const required = process.env.SIMLOOP_REQUIRE_SLURM === '1';
const skip = missing.length > 0 && !required ? `Slurm is not installed here (missing ${missing.join(', ')}; apt-get install slurm-wlm munge). SIMLOOP_REQUIRE_SLURM=1 makes this a failure.` : false;

const SCENE = join(ROOT, 'scenes/tabletop.usda');
const SPEC = join(ROOT, 'scenes/tabletop.randomize.yaml');
const POLICY = join(ROOT, 'scenes/fixtures/policy/tiny/policy.json');
const GENERATE = { scene: SCENE, randomize: SPEC, frames: 6, seed: 7, width: 64, height: 48, format: 'coco,basic', workers: 1, json: true };
const EVAL = { policy: POLICY, task: 'reach', episodes: 3, seed: 5, ep: 'wasm', 'image-size': '64x48', json: true };

/** The flags of a job's args, as the CLI takes them. */
const flags = (args) => Object.entries(args).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));

async function run(...args) {
  const stdout = [];
  const stderr = [];
  const code = await main(args, { write: (s) => stdout.push(s) }, { write: (s) => stderr.push(s) });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

const files = datasetFiles;

function jobFile(dir, name, body) {
  const file = join(dir, `${name}.job.yaml`);
  writeFileSync(file, `simloop_job: 1\n${body}`);
  return file;
}

/** Start and end of each task of an array (or the job), from scontrol, in seconds. */
function taskTimes(cluster, id) {
  const text = cluster.run('scontrol', ['show', 'job', String(id)]).stdout ?? '';
  return text
    .split(/\n\s*\n/)
    .filter((b) => b.includes('JobId='))
    .map((b) => {
      const field = (k) => new RegExp(`\\b${k}=(\\S+)`).exec(b)?.[1];
      const seconds = (Date.parse(field('EndTime')) - Date.parse(field('StartTime'))) / 1000;
      return { task: field('ArrayTaskId') ?? field('JobId'), state: field('JobState'), seconds };
    });
}

if (missing.length > 0 && required) {
  test('Slurm is installed (SIMLOOP_REQUIRE_SLURM=1)', () => assert.fail(`Slurm is not installed here (missing ${missing.join(', ')}; apt-get install slurm-wlm munge)`));
}

describe('simloop submit --engine slurm on a one-node Slurm cluster', { skip: skip || (missing.length > 0 && 'Slurm is not installed') }, () => {
  let cluster;
  let tmp;

  before(async () => {
    const started = Date.now();
    cluster = await startSlurmCluster();
    tmp = mkdtempSync(join(tmpdir(), 'simloop-slurm-jobs-'));
    process.stderr.write(`# one-node Slurm cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s (${cluster.conf})\n`);
  });

  after(async () => {
    await cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** `simloop submit` as a person runs it: this checkout's CLI, SLURM_CONF in the environment. */
  function submit(file) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/simloop.mjs'), 'submit', '--engine', 'slurm', file, '--json'], { cwd: tmp, env: cluster.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  async function finish(t, submitted, output) {
    const seconds = await waitForJobs(cluster, [submitted.shards_job, submitted.merge_job], 540_000);
    const shards = taskTimes(cluster, submitted.shards_job);
    const merge = taskTimes(cluster, submitted.merge_job);
    const logs = join(`${output}.slurm`, 'logs');
    const why = () => readdirSync(logs).map((f) => `--- ${f}\n${readFileSync(join(logs, f), 'utf8').split('\n').slice(-20).join('\n')}`).join('\n');
    assert.deepEqual(shards.map((s) => s.state), shards.map(() => 'COMPLETED'), why());
    assert.deepEqual(merge.map((s) => s.state), ['COMPLETED'], why());
    t.diagnostic(`array job ${submitted.shards_job} (${submitted.array}) + merge job ${submitted.merge_job}: done ${seconds.toFixed(1)} s after submit; shards ${shards.map((s) => `${s.task}: ${s.seconds} s`).join(', ')}; merge ${merge[0].seconds} s`);
    // One log per array task (%A_%a) and one for the merge.
    assert.deepEqual(readdirSync(logs).sort(), [...shards.map((s) => `${submitted.shards_job}_${s.task}.out`), `${submitted.merge_job}-merge.out`].sort());
    return { seconds, shards, merge };
  }

  test('a 3-shard generate job runs as an sbatch array, 2 at a time, merged after it: the same files as one run', { timeout: 600_000 }, async (t) => {
    const body = `name: e2e-generate\ncommand: generate\nargs: ${JSON.stringify(GENERATE)}\nshards: 3\nparallelism: 2\nresources: { cpus: 1, memory: 1Gi, time: "00:10:00" }\noutput: out/generate\n`;
    const file = jobFile(tmp, 'generate', body);
    const output = join(tmp, 'out/generate');
    const submitted = submit(file);
    assert.match(submitted.shards_job, /^\d+$/);
    assert.match(submitted.merge_job, /^\d+$/);
    assert.equal(submitted.array, '0-2%2');
    assert.equal(submitted.output, output, 'relative paths resolve against the job file’s folder');
    const script = readFileSync(join(`${output}.slurm`, 'shards.sbatch'), 'utf8');
    assert.match(script, /^#SBATCH --array=0-2%2$/m);
    assert.match(script, new RegExp(`^exec ${process.execPath} ${join(ROOT, 'bin/simloop.mjs')} shard ${file} --index "\\$SLURM_ARRAY_TASK_ID"$`, 'm'));
    assert.equal(readFileSync(join(`${output}.slurm`, 'merge.sbatch'), 'utf8').includes(`merge --job ${file}`), true);
    await finish(t, submitted, output);
    for (let i = 0; i < 3; i++) assert.ok(existsSync(join(`${output}.shards`, `${i}.done`)), `shard ${i} marked done`);
    const mergeLog = readFileSync(join(`${output}.slurm`, 'logs', `${submitted.merge_job}-merge.out`), 'utf8');
    assert.match(mergeLog, new RegExp(`merged 3 shards, 6 frames into ${output}`));

    const single = join(tmp, 'single-generate');
    const one = await run('generate', ...flags(GENERATE), '--out', single);
    assert.equal(one.code, 0, one.stderr);
    const a = files(output);
    const e = files(single);
    assert.deepEqual([...a.keys()].sort(), [...e.keys()].sort(), 'same file names');
    for (const [name, bytes] of e) assert.ok(bytes.equals(a.get(name)), `${name} differs`);
    const manifest = JSON.parse(readFileSync(join(output, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.shards.map((s) => s.range), [[0, 2], [2, 4], [4, 6]]);
  });

  test('a 2-shard eval job: results.json and episodes.jsonl as one run writes them (wall-clock fields aside)', { timeout: 600_000 }, async (t) => {
    const body = `name: e2e-eval\ncommand: eval\nargs: ${JSON.stringify(EVAL)}\nshards: 2\nresources: { cpus: 1, memory: 2Gi, time: "00:15:00" }\noutput: ${join(tmp, 'out/eval')}\n`;
    const file = jobFile(tmp, 'eval', body);
    const output = join(tmp, 'out/eval');
    const submitted = submit(file);
    assert.equal(submitted.array, '0-1%2');
    await finish(t, submitted, output);

    const single = join(tmp, 'single-eval');
    const one = await run('eval', ...flags(EVAL), '--out', single);
    assert.equal(one.code, 0, one.stderr);
    // As e2e/eval.test.mjs compares merged shards: all but the wall-clock measurements.
    const timeless = (o) => ({ ...o, inference_ms: null, server_ms: null, control_rate_hz: null });
    const results = (dir) => timeless(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    assert.deepEqual(Object.keys(results(output)), Object.keys(results(single)), 'the same fields in the same order');
    assert.deepEqual(results(output), results(single));
    const lines = (dir) => readFileSync(join(dir, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.stringify(timeless(JSON.parse(l))));
    assert.deepEqual(lines(output), lines(single));
    assert.deepEqual(readdirSync(join(output, 'videos')).sort(), readdirSync(join(single, 'videos')).sort());
  });

  test('a shard that fails (a scene that is not one) fails its array task with the command’s exit status, and the merge never runs', { timeout: 120_000 }, async () => {
    const body = `name: e2e-broken\ncommand: generate\nargs: ${JSON.stringify({ ...GENERATE, scene: SPEC })}\nshards: 2\nresources: { cpus: 1, memory: 512Mi, time: "00:05:00" }\noutput: out/broken\n`;
    const file = jobFile(tmp, 'broken', body);
    const output = join(tmp, 'out/broken');
    const submitted = submit(file);
    await waitForJobs(cluster, [submitted.shards_job, submitted.merge_job], 100_000);
    assert.deepEqual(jobStates(cluster, submitted.shards_job), ['FAILED', 'FAILED']);
    const exit = cluster.run('scontrol', ['show', 'job', submitted.shards_job]).stdout.match(/ExitCode=(\d+):/g);
    assert.deepEqual(exit, ['ExitCode=2:', 'ExitCode=2:'], 'bad input: the CLI’s status 2');
    // --kill-on-invalid-dep: the merge is cancelled, not left pending.
    assert.deepEqual(jobStates(cluster, submitted.merge_job), ['CANCELLED']);
    assert.equal(existsSync(output), false);
    const log = readFileSync(join(`${output}.slurm`, 'logs', `${submitted.shards_job}_0.out`), 'utf8');
    assert.match(log, /tabletop\.randomize\.yaml: not a USD file/);
    assert.match(log, /shard 0\/2 of e2e-broken failed \(exit status 2\)/);
  });

  test('a workflow as dependent Slurm jobs (--engine slurm): a → b, c → d, each step after the jobs it needs, lineage that --verify checks', { timeout: 300_000 }, async (t) => {
    const node = JSON.stringify(process.execPath);
    // Each step writes its name and what it read; d reads b's and c's outputs.
    const step = (name, reads) =>
      `  ${name}:\n    run: command\n    command: [${node}, "-e", ${JSON.stringify(`const fs = require('fs'); const [out, ...inputs] = process.argv.slice(1); fs.writeFileSync(out + '/${name}.txt', '${name}(' + inputs.map((f) => fs.readFileSync(f, 'utf8')).join(',') + ')');`)}, "\${output}"${reads.map((r) => `, "\${${r}}/${r}.txt"`).join('')}]\n`;
    const file = join(tmp, 'chain.workflow.yaml');
    writeFileSync(file, `simloop_workflow: 1\nname: e2e-chain\nsteps:\n${step('a', [])}${step('b', ['a'])}${step('c', ['a'])}${step('d', ['b', 'c'])}`);
    const out = join(tmp, 'out/chain');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/simloop.mjs'), 'workflow', 'run', file, '--out', out, '--engine', 'slurm', '--json'], { cwd: tmp, env: cluster.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { jobs } = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.deepEqual(Object.keys(jobs), ['a', 'b', 'c', 'd']);
    const script = readFileSync(join(out, 'slurm', 'd.sbatch'), 'utf8');
    assert.match(script, new RegExp(`workflow run ${JSON.stringify(file).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} --out .* --step d$`, 'm'));
    const seconds = await waitForJobs(cluster, Object.values(jobs), 240_000);
    for (const [name, id] of Object.entries(jobs)) assert.deepEqual(jobStates(cluster, id), ['COMPLETED'], `${name}: ${readdirSync(join(out, 'logs')).map((f) => readFileSync(join(out, 'logs', f), 'utf8')).join('\n')}`);
    // Each step started after the steps it needs ended (afterok).
    const times = Object.fromEntries(
      Object.entries(jobs).map(([name, id]) => {
        const text = cluster.run('scontrol', ['show', 'job', id]).stdout ?? '';
        const field = (k) => Date.parse(new RegExp(`\\b${k}=(\\S+)`).exec(text)[1]);
        return [name, { start: field('StartTime'), end: field('EndTime') }];
      }),
    );
    for (const [name, after] of [['b', 'a'], ['c', 'a'], ['d', 'b'], ['d', 'c']]) assert.ok(times[name].start >= times[after].end, `${name} started after ${after} ended: ${JSON.stringify(times)}`);
    t.diagnostic(`workflow of 4 steps as Slurm jobs ${Object.values(jobs).join(', ')}: done ${seconds.toFixed(1)} s after submit`);
    assert.equal(readFileSync(join(out, 'd', 'd.txt'), 'utf8'), 'd(b(a()),c(a()))');
    const lineage = await run('lineage', join(out, 'd'), '--verify');
    assert.equal(lineage.code, 0, lineage.stdout);
    assert.match(lineage.stdout, /^d \(command\) → [\s\S]*b \(command\) → [\s\S]*a \(command\) → [\s\S]*verify: every file and input is as recorded/);
  });
});

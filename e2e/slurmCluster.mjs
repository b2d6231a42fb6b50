/**
 * A one-node Slurm cluster on this machine, for the tests: munged and slurmctld/slurmd with every
 * file (key, sockets, state, spool, logs, slurm.conf) in a temporary folder, on free ports, so
 * nothing of a system-wide Slurm or munge is used or touched. Needs root (SlurmUser=root) and
 * Debian's slurm-wlm and munge packages (.ci/run installs them).
 *
 *   const cluster = await startSlurmCluster();
 *   spawn('sbatch', […], { env: cluster.env });   // SLURM_CONF points at the generated slurm.conf
 *   await cluster.stop();                          // cancels jobs, stops the daemons, removes the folder
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './harness.mjs';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const DAEMONS = ['munged', 'slurmctld', 'slurmd'];
const CLIENTS = ['sbatch', 'sinfo', 'squeue', 'scontrol', 'scancel'];
const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];

/** A program's path (PATH, then the sbin folders daemons live in), or null. */
export function which(program) {
  for (const dir of SEARCH) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return null;
}

/** The Slurm and munge programs not installed here (empty when a cluster can start). */
export function missingSlurmPrograms() {
  const missing = [...DAEMONS, ...CLIENTS].filter((p) => !which(p));
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('(root: SlurmUser=root)');
  return missing;
}


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeoutMs, describe = () => '', everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${describe() ? `\n${describe()}` : ''}`);
    await sleep(everyMs);
  }
}

/** Starts the cluster; resolves once its one node is idle. */
export async function startSlurmCluster() {
  const missing = missingSlurmPrograms();
  if (missing.length) throw new Error(`Slurm is not installed here (missing ${missing.join(', ')}): apt-get install slurm-wlm munge`);
  const dir = mkdtempSync(join(tmpdir(), 'simloop-slurm-'));
  // munged wants the folders on its socket's path searchable by everyone.
  chmodSync(dir, 0o755);
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge.socket');
  const node = hostname().split('.')[0];
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=simloop-e2e',
      `SlurmctldHost=${node}(127.0.0.1)`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'ReturnToService=2',
      'MpiDefault=none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/backfill',
      // Finished jobs stay visible to `scontrol show job` for this long (seconds).
      'MinJobAge=600',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} RealMemory=${Math.floor((totalmem() / 2 ** 20) * 0.8)} State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const children = [];
  const start = (program, args) => {
    const child = spawn(which(program), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const entry = { program, child, output: () => output, exited: new Promise((r) => child.on('exit', r)) };
    children.push(entry);
    return entry;
  };
  const logs = () =>
    [
      ...children.map((c) => `--- ${c.program} (pid ${c.child.pid}${c.child.exitCode !== null ? `, exited ${c.child.exitCode}` : ''}):\n${c.output().split('\n').slice(-15).join('\n')}`),
      ...['slurmctld.log', 'slurmd.log'].map((f) => (existsSync(join(dir, f)) ? `--- ${f}:\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n')}` : '')),
    ].join('\n');
  const run = (program, args) => spawnSync(which(program), args, { env, encoding: 'utf8' });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Jobs first: their processes (slurmstepd and below) outlive slurmd.
    if (children.some((c) => c.program === 'slurmctld' && c.child.exitCode === null)) {
      run('scancel', ['--full', '-u', process.env.USER || 'root']);
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (run('squeue', ['-h']).stdout ?? '').trim()) await sleep(250);
    }
    for (const c of [...children].reverse()) {
      if (c.child.exitCode !== null || c.child.signalCode !== null) continue;
      c.child.kill('SIGTERM');
      const killed = await Promise.race([c.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        c.child.kill('SIGKILL');
        await c.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    start('munged', ['--force', '--foreground', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munged.pid')}`, `--seed-file=${join(dir, 'munged.seed')}`, `--log-file=${join(dir, 'munged.log')}`]);
    await until('munged', () => existsSync(socket), 15_000, logs);
    start('slurmctld', ['-D']);
    start('slurmd', ['-D', '-N', node]);
    let state = '';
    await until(
      `node ${node} idle in sinfo`,
      () => {
        state = (run('sinfo', ['-h', '-n', node, '-o', '%T']).stdout ?? '').trim();
        return state === 'idle';
      },
      60_000,
      () => `sinfo says "${state}"\n${logs()}`,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, conf, node, env, logs, run, stop };
}

/** `scontrol show job <id>`: the JobState of the job, or of each task of an array. */
export function jobStates(cluster, id) {
  const r = cluster.run('scontrol', ['show', 'job', String(id)]);
  return [...(r.stdout ?? '').matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
}

/** Waits until none of the jobs is queued or running; returns the seconds waited. */
export async function waitForJobs(cluster, ids, timeoutMs) {
  const started = Date.now();
  await until(
    `Slurm jobs ${ids.join(', ')} finished`,
    () => !(cluster.run('squeue', ['-h', '-j', ids.join(',')]).stdout ?? '').trim(),
    timeoutMs,
    () => `${cluster.run('squeue', []).stdout}\n${cluster.logs()}`,
    1000,
  );
  return (Date.now() - started) / 1000;
}

/**
 * Scale-out on one machine (`npm run bench:scale`): each job split into N = 1, 2, 4 shards run as
 * N concurrent local processes (`simloop <job> --shard i/N`), then joined with `simloop merge`.
 * Reports per shard its wall time and output size, the whole wall time, and the merge's time and
 * throughput, for generate (frames), demos (episodes, physics only) and demos with camera video;
 * and how merge time grows with the frames merged. On a machine with fewer cores than shards the
 * shards share them, so wall time stops falling at the core count: the per-shard times are what a
 * node of a cluster would spend. Prints one JSON object (docs/SCALE.md reads it).
 *
 * Environment: SCALE_FRAMES (generate frames, default 48), SCALE_EPISODES (demos, default 8).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const BIN = new URL('../bin/simloop.mjs', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const FRAMES = Number(process.env.SCALE_FRAMES ?? 48);
const EPISODES = Number(process.env.SCALE_EPISODES ?? 8);
const tmp = mkdtempSync(join(tmpdir(), 'simloop-scale-'));

function simloop(args: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`simloop ${args.join(' ')} exited ${code}: ${err.trim().split('\n').pop()}`))));
  });
}

function bytesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? bytesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

const round = (x: number, d = 2) => Number(x.toFixed(d));

interface Run {
  shards: number;
  wallSeconds: number;
  shardSeconds: number[];
  shardMB: number[];
  mergeSeconds: number | null;
  mergedMB: number;
  mergeMBPerSecond: number | null;
}

async function scaleOut(name: string, args: (out: string, shard: string | null) => string[], n: number): Promise<Run> {
  const base = join(tmp, `${name}-${n}`);
  const dirs = Array.from({ length: n }, (_, i) => join(base, `shard-${i}`));
  const t0 = performance.now();
  const shardSeconds = await Promise.all(dirs.map((dir, i) => simloop(args(dir, n === 1 ? null : `${i}/${n}`))));
  const wallSeconds = (performance.now() - t0) / 1000;
  const shardMB = dirs.map((d) => bytesUnder(d) / 2 ** 20);
  let mergeSeconds: number | null = null;
  let mergedMB = shardMB[0]!;
  if (n > 1) {
    const merged = join(base, 'merged');
    mergeSeconds = await simloop(['merge', ...dirs, '--out', merged]);
    mergedMB = bytesUnder(merged) / 2 ** 20;
  }
  return {
    shards: n,
    wallSeconds: round(wallSeconds),
    shardSeconds: shardSeconds.map((s) => round(s)),
    shardMB: shardMB.map((m) => round(m, 3)),
    mergeSeconds: mergeSeconds === null ? null : round(mergeSeconds),
    mergedMB: round(mergedMB, 3),
    mergeMBPerSecond: mergeSeconds === null ? null : round(mergedMB / mergeSeconds),
  };
}

const generate = (frames: number) => (out: string, shard: string | null) => ['generate', '--scene', 'scenes/tabletop.usda', '--randomize', 'scenes/tabletop.randomize.yaml', '--frames', String(frames), '--seed', '3', '--width', '320', '--height', '240', '--out', out, ...(shard ? ['--shard', shard] : [])];
const demos = (cameras: boolean) => (out: string, shard: string | null) => ['demos', '--task', 'pick-cube', '--episodes', String(EPISODES), '--seed', '5', '--out', out, ...(cameras ? ['--image-size', '96x96'] : ['--no-cameras']), ...(shard ? ['--shard', shard] : [])];

try {
  const jobs: Record<string, Run[]> = { generate: [], demos: [], demosVideo: [] };
  for (const n of [1, 2, 4]) {
    jobs.generate!.push(await scaleOut('generate', generate(FRAMES), n));
    jobs.demos!.push(await scaleOut('demos', demos(false), n));
    jobs.demosVideo!.push(await scaleOut('demos-video', demos(true), n));
  }
  // Merge time against the frames merged, at 4 shards.
  const mergeByFrames: { frames: number; mergeSeconds: number | null; mergedMB: number }[] = [];
  for (const frames of [FRAMES / 2, FRAMES * 2]) {
    const r = await scaleOut(`generate-${frames}`, generate(frames), 4);
    mergeByFrames.push({ frames, mergeSeconds: r.mergeSeconds, mergedMB: r.mergedMB });
  }
  mergeByFrames.splice(1, 0, { frames: FRAMES, mergeSeconds: jobs.generate![2]!.mergeSeconds, mergedMB: jobs.generate![2]!.mergedMB });
  console.log(JSON.stringify({ bench: 'scale-out', cores: cpus().length, frames: FRAMES, episodes: EPISODES, image: { generate: '320x240', demosVideo: '96x96' }, jobs, mergeByFrames }, null, 2));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

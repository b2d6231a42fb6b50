/**
 * Synthetic-data benchmark, side by side with its ceiling: first the bare three.js probe
 * (bench/ceiling/: the same light rig and shadows, a colour and an ID pass read back, nothing
 * else), then fully labelled frames per second for the tabletop scene with its
 * randomization spec and every format, at 640×480 and 1280×720, for 1..N workers, rendered in
 * headless Chromium exactly as `simloop generate` renders; and where a frame's time goes (physics
 * settle, scene build, render, readback, labels, encode in the worker; write, the wall time of a
 * frame's files reaching the disk, which overlaps the next frame; and the CLI process's own CPU per
 * frame); and every process's CPU time per frame by its part (`cpu_ms_per_frame`: the frame
 * workers, the GPU process's rasterizer threads, the page, the network path, the CLI; the ceiling's
 * the same way). Prints one JSON object.
 * Last, the fast preset (`--quality fast`) at the first size with the most workers, beside the
 * ceiling drawn without shadows. At the first size, and for the fast preset, the stage ladder
 * (measureStages: the same frames stopped after labelling, encoding and reaching the page), which
 * says what each stage costs and how close to the ceiling the run could come without the stages
 * after it. First of all, start-up: `simloop generate` of one frame in a new
 * process, from the command to the first frame written, with its milestones.
 * Run with `npm run bench:sdg` (options: SDG_BENCH_FRAMES, SDG_BENCH_MAX_WORKERS, SDG_BENCH_SIZES
 * such as "640x480,1280x720", SDG_BENCH_SHADOWS=0 for frames without shadows, SDG_BENCH_STARTUP_RUNS, SDG_BENCH_STAGES=0 to
 * leave the ladder out).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerationProgress } from '../src/engine/jobs/generate.ts';
import { runGenerateJob } from '../src/cli/generate.ts';
import { measureCeiling } from './ceiling/runCeiling.ts';
import { measureStage } from './stages/runStages.ts';
import { PIPELINE_STAGES } from './stages/stages.ts';
import { cpuByRole, cpuPerFrame } from './processCpu.ts';
import { tabletopJob } from './tabletopJob.ts';

const frames = Number(process.env.SDG_BENCH_FRAMES ?? 60);
const maxWorkers = Number(process.env.SDG_BENCH_MAX_WORKERS ?? Math.max(1, cpus().length));
const sizes = (process.env.SDG_BENCH_SIZES ?? '640x480,1280x720').split(',').map((s) => s.split('x').map(Number) as [number, number]);

/** Busy and total CPU time of the whole machine so far, in clock ticks (Linux /proc/stat; null elsewhere). */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

async function measure(width: number, height: number, workers: number, quality: 'default' | 'fast' = 'default') {
  const out = mkdtempSync(join(tmpdir(), 'simloop-bench-'));
  const stamps: { t: number; done: number; cpu: NodeJS.CpuUsage; machine: { busy: number; total: number } | null }[] = [];
  // Every process's CPU by role, read once a second (reading /proc at every frame would cost CPU itself).
  let done = 0;
  const roles: { done: number; cpu: ReturnType<typeof cpuByRole> }[] = [];
  const timer = setInterval(() => roles.push({ done, cpu: cpuByRole() }), 1000);
  try {
    const job = tabletopJob({ frames, out, width, height, workers, shadows: process.env.SDG_BENCH_SHADOWS !== '0', quality });
    const started = performance.now();
    const result = await runGenerateJob({
      job,
      onProgress: (p: GenerationProgress) => {
        if (p.phase !== 'frames') return;
        done = p.done;
        stamps.push({ t: performance.now(), done: p.done, cpu: process.cpuUsage(), machine: machineCpu() });
      },
    });
    clearInterval(timer);
    // Steady state: from the end of the first tenth of the frames (at least one a worker) to the
    // last frame. That leaves out the browser's start, each worker's start (the second starts once
    // the first frame is made) and the aggregate files.
    const warm = Math.min(frames - 1, Math.max(workers, Math.ceil(frames / 10)));
    const steadyRoles = roles.filter((r) => r.done >= warm && r.done < frames);
    const first = stamps.find((s) => s.done >= warm)!;
    const last = stamps[stamps.length - 1]!;
    const steady = (last.done - first.done) / ((last.t - first.t) / 1000);
    const nodeCpuMs = (last.cpu.user - first.cpu.user + last.cpu.system - first.cpu.system) / 1000;
    return {
      width,
      height,
      workers,
      quality,
      frames: result.frames,
      labelled_frames_per_second: Number(steady.toFixed(2)),
      end_to_end_seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
      // CPU of this Node process (the CLI: receiving and writing the files) per frame, steady state.
      node_cpu_ms_per_frame: Number((nodeCpuMs / (last.done - first.done)).toFixed(1)),
      // How busy the whole machine's CPUs were in the steady state (1 = every core all the time):
      // near 1, the rate is bound by CPU time, not by waiting.
      machine_cpu_busy_fraction: first.machine && last.machine ? Number(((last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total)).toFixed(3)) : null,
      // Where the machine's CPU time goes per labelled frame (steady state, every process; see processCpu.ts).
      cpu_ms_per_frame: steadyRoles.length >= 2 ? cpuPerFrame(steadyRoles[0]!.cpu, steadyRoles.at(-1)!.cpu, steadyRoles.at(-1)!.done - steadyRoles[0]!.done) : null,
      ms_per_frame_per_worker: Object.fromEntries(Object.entries(result.stageMs).map(([k, v]) => [k, Number(v.toFixed(2))])),
    };
  } finally {
    clearInterval(timer);
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Start-up as a user meets it: `simloop generate` of one 640×480 tabletop frame in a new process,
 * from the command to the first frame written (the pages already built), the median of
 * SDG_BENCH_STARTUP_RUNS runs, with that run's milestones and its first frame's stages.
 */
async function measureStartup(runs: number) {
  const bin = new URL('../bin/simloop.mjs', import.meta.url).pathname;
  const scene = new URL('../scenes/tabletop.usda', import.meta.url).pathname;
  const spec = new URL('../scenes/tabletop.randomize.yaml', import.meta.url).pathname;
  const reports: Record<string, unknown>[] = [];
  // The first run builds the pages when the sources changed since the last build: not counted.
  for (let i = -1; i < runs; i++) {
    const out = mkdtempSync(join(tmpdir(), 'simloop-bench-startup-'));
    try {
      const stdout = await new Promise<string>((resolveRun, reject) =>
        execFile(process.execPath, [bin, 'generate', '--scene', scene, '--randomize', spec, '--frames', '1', '--width', '640', '--height', '480', '--out', out, '--json'], (error, text) => (error ? reject(error) : resolveRun(text))),
      );
      if (i >= 0) reports.push((JSON.parse(stdout) as { startup_ms: Record<string, unknown> }).startup_ms);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const byFirstFrame = [...reports].sort((a, b) => (a.first_frame_written as number) - (b.first_frame_written as number));
  return {
    goal_ms: 5000,
    runs: reports.length,
    first_frame_written_ms: reports.map((r) => r.first_frame_written as number),
    median_run: byFirstFrame[Math.floor(byFirstFrame.length / 2)],
  };
}

/**
 * The stage ladder: the same job's frames made by the same frame pipeline in as many workers,
 * stopped after being labelled, after being encoded, and after reaching the page
 * (bench/stages/), beside the whole run (written): each rung's rate, its ratio to the ceiling, its
 * CPU per frame by part, and the CPU each stage adds to a frame. A rung's ratio is the most the
 * whole run could reach if every later stage cost nothing.
 */
async function measureStages(width: number, height: number, workers: number, quality: 'default' | 'fast', ceilingFps: number, written: { labelled_frames_per_second: number; cpu_ms_per_frame: Record<string, number> | null }) {
  const job = tabletopJob({ frames, out: tmpdir(), width, height, workers, shadows: process.env.SDG_BENCH_SHADOWS !== '0', quality });
  const rungs: Record<string, { frames_per_second: number; ratio_to_ceiling: number; files_per_frame?: number; cpu_ms_per_frame: Record<string, number> | null }> = {};
  for (const stage of PIPELINE_STAGES) {
    const r = await measureStage(job, { stage, workers, frames: Math.ceil(frames / workers) });
    rungs[stage] = { frames_per_second: Number(r.frames_per_second.toFixed(2)), ratio_to_ceiling: Number((r.frames_per_second / ceilingFps).toFixed(3)), files_per_frame: r.files_per_frame, cpu_ms_per_frame: r.cpu_ms_per_frame };
  }
  rungs.written = { frames_per_second: written.labelled_frames_per_second, ratio_to_ceiling: Number((written.labelled_frames_per_second / ceilingFps).toFixed(3)), cpu_ms_per_frame: written.cpu_ms_per_frame };
  const totals = ['labelled', 'encoded', 'posted', 'written'].map((k) => rungs[k]!.cpu_ms_per_frame?.total ?? null);
  const added = (i: number) => (totals[i] !== null && totals[i - 1] !== null ? Number((totals[i]! - totals[i - 1]!).toFixed(1)) : null);
  return {
    ...rungs,
    // CPU (all processes) each stage adds to a frame: the label stage is the whole labelled rung.
    cpu_ms_added_per_frame: { labelled: totals[0], encode: added(1), post_to_page: added(2), write: added(3) },
  };
}

const ladder = process.env.SDG_BENCH_STAGES !== '0';
const startup = await measureStartup(Number(process.env.SDG_BENCH_STARTUP_RUNS ?? 3));
const shadows = process.env.SDG_BENCH_SHADOWS !== '0';
const results = [];
for (const [w, h] of sizes)
  for (let k = 1; k <= maxWorkers; k++) {
    const ceiling = await measureCeiling({ width: w, height: h, shadows, workers: k, frames });
    const simloop = await measure(w, h, k);
    results.push({
      ...simloop,
      ceiling_frames_per_second: Number(ceiling.frames_per_second.toFixed(2)),
      ceiling_ms_per_frame_per_worker: { colour: Number(ceiling.colour_ms.toFixed(2)), id: Number(ceiling.id_ms.toFixed(2)) },
      ceiling_cpu_ms_per_frame: ceiling.cpu_ms_per_frame,
      ratio_to_ceiling: Number((simloop.labelled_frames_per_second / ceiling.frames_per_second).toFixed(3)),
      // At the first size only: the ladder doubles a size's time.
      ...(ladder && w === sizes[0]![0] && h === sizes[0]![1] ? { stages: await measureStages(w, h, k, 'default', ceiling.frames_per_second, simloop) } : {}),
    });
  }
// The fast preset (--quality fast: diffuse shading, no shadows, the same labels) at the first size
// with the most workers, beside the ceiling without shadows.
const [fw, fh] = sizes[0]!;
const fastCeiling = await measureCeiling({ width: fw, height: fh, shadows: false, workers: maxWorkers, frames });
const fast = await measure(fw, fh, maxWorkers, 'fast');
const fastPreset = {
  ...fast,
  ceiling_frames_per_second_without_shadows: Number(fastCeiling.frames_per_second.toFixed(2)),
  ratio_to_ceiling: Number((fast.labelled_frames_per_second / fastCeiling.frames_per_second).toFixed(3)),
  ...(ladder ? { stages: await measureStages(fw, fh, maxWorkers, 'fast', fastCeiling.frames_per_second, fast) } : {}),
};
console.log(
  JSON.stringify(
    {
      scene: 'scenes/tabletop.usda + scenes/tabletop.randomize.yaml',
      annotators: 'rgb, depth, normals, semantic, instance, 2D tight+loose, 3D, visible fraction, poses, camera params',
      formats: ['coco', 'basic', 'yolo', 'kitti'],
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      frames_per_run: frames,
      shadows,
      startup,
      results,
      fast_preset: fastPreset,
    },
    null,
    2,
  ),
);

/**
 * Memory soak for synthetic data: one long `simloop generate` run (the same runGenerateJob the CLI
 * calls, in this process) of the bundled tabletop with its randomization spec, sampling as it goes
 *   - the JavaScript heaps of the page and of its frame workers, as Chromium measures them
 *     (performance.measureUserAgentSpecificMemory, src/pages/memorySampler.ts), and
 *   - the resident memory (RSS, Linux /proc) of this Node process and of every Chromium process it
 *     started (browser, GPU, renderer — the workers live in the renderer — and utilities), and
 *   - this Node process's own JavaScript heap and the memory outside it that its Buffers and
 *     ArrayBuffers hold (process.memoryUsage), to tell a leak in the CLI from its allocator's growth.
 * After a warm-up it compares the start of the run with its end: memory is flat when no curve grew
 * by 10 % or more. Prints one JSON object (the verdict, the growth of each curve and the samples)
 * and writes the curve as soak-sdg.json and soak-sdg.svg into SOAK_REPORT_DIR.
 *
 * Run with `npm run soak:sdg`. Options (environment):
 *   SOAK_FRAMES (100000), SOAK_WIDTH × SOAK_HEIGHT (320 × 240), SOAK_WORKERS (2),
 *   SOAK_FORMATS (coco,yolo: every label is still computed; add basic and kitti to write them too,
 *   which at 320×240 is ~0.37 MB a frame, ~37 GB for 100 000 frames), SOAK_SAMPLE_SECONDS (10),
 *   SOAK_WARMUP (0.1: the share of the frames left out as warm-up), SOAK_OUT (the dataset's
 *   folder; a temporary one, removed after, by default), SOAK_REPORT_DIR (the OS temp folder).
 * Not part of `npm test`: 100 000 frames take hours on the 2-core build machine.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GenerationProgress, PageMemory } from '../src/engine/jobs/generate.ts';
import type { GenerateJob } from '../src/engine/jobs/job.ts';
import { lineChartSvg } from '../src/engine/report/plot.ts';
import { runGenerateJob } from '../src/cli/generate.ts';
import { tabletopJob } from './tabletopJob.ts';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const frames = Number(env('SOAK_FRAMES', '100000'));
const width = Number(env('SOAK_WIDTH', '320'));
const height = Number(env('SOAK_HEIGHT', '240'));
const workers = Number(env('SOAK_WORKERS', '2'));
const formats = env('SOAK_FORMATS', 'coco,yolo').split(',');
const sampleSeconds = Number(env('SOAK_SAMPLE_SECONDS', '10'));
const warmup = Number(env('SOAK_WARMUP', '0.1'));
const reportDir = resolve(env('SOAK_REPORT_DIR', join(tmpdir(), 'simloop-soak-sdg')));
const MB = 1024 * 1024;

/** Resident memory of this process and of each process below it, grouped by kind (Linux /proc; empty elsewhere). */
function residentMemory(): Record<string, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while listing.
    }
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents)
      if (!mine.has(pid) && mine.has(parent)) {
        mine.add(pid);
        grew = true;
      }
  }
  const bytes: Record<string, number> = {};
  for (const pid of mine) {
    try {
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!rss) continue;
      // Chromium's child processes rewrite their command line into one string: search all of it.
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const kind = pid === process.pid ? 'node' : /chrom/i.test(cmdline.split(' ')[0] ?? '') ? (/--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser') : 'other';
      bytes[kind] = (bytes[kind] ?? 0) + Number(rss[1]) * 1024;
    } catch {
      // Gone.
    }
  }
  return bytes;
}

function nodeMemory(): { heap: number; array_buffers: number } {
  const usage = process.memoryUsage();
  return { heap: round(usage.heapUsed / MB), array_buffers: round(usage.arrayBuffers / MB) };
}

interface Sample {
  frame: number;
  seconds: number;
  frames_per_second: number;
  heap_mb: { page: number; workers: number } | null;
  /** This Node process: V8's heap in use, and the bytes of Buffers and ArrayBuffers outside it. */
  node_mb: { heap: number; array_buffers: number };
  rss_mb: Record<string, number>;
}

const round = (v: number) => Number(v.toFixed(1));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** How much a curve grew from just after warm-up to the end: the mean of the last tenth of its samples over the first tenth's. */
function growth(samples: Sample[], value: (s: Sample) => number | undefined): number | null {
  const points = samples.map(value).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (points.length < 4) return null;
  const tenth = Math.max(1, Math.floor(points.length / 10));
  return Number((mean(points.slice(-tenth)) / mean(points.slice(0, tenth)) - 1).toFixed(4));
}

const out = process.env.SOAK_OUT ? resolve(process.env.SOAK_OUT) : mkdtempSync(join(tmpdir(), 'simloop-soak-'));
const samples: Sample[] = [];
const started = performance.now();
let last = { t: started, done: 0 };
let lastMemory: PageMemory | undefined;
try {
  const job = tabletopJob({ frames, out, width, height, workers, formats: formats as GenerateJob['formats'] });
  process.stderr.write(`soak: ${frames} frames at ${width}×${height}, ${workers} workers, ${formats.join('+')} into ${out}\n`);
  const result = await runGenerateJob({
    job,
    memorySampleSeconds: sampleSeconds,
    onProgress: (p: GenerationProgress) => {
      if (p.memory) lastMemory = p.memory;
      const t = performance.now();
      if (p.phase !== 'frames' || t - last.t < sampleSeconds * 1000) return;
      const sample: Sample = {
        frame: p.done,
        seconds: round((t - started) / 1000),
        frames_per_second: round((p.done - last.done) / ((t - last.t) / 1000)),
        // Before the first answer that includes the frame workers, there is nothing to compare.
        heap_mb: lastMemory && lastMemory.workerCount > 0 ? { page: round(lastMemory.page / MB), workers: round(lastMemory.workers / MB) } : null,
        node_mb: nodeMemory(),
        rss_mb: Object.fromEntries(Object.entries(residentMemory()).map(([k, v]) => [k, round(v / MB)])),
      };
      sample.rss_mb.total = round(Object.values(sample.rss_mb).reduce((a, b) => a + b, 0));
      samples.push(sample);
      last = { t, done: p.done };
      process.stderr.write(`soak: ${p.done}/${p.total} frames · ${sample.frames_per_second} frames/s · workers' heap ${sample.heap_mb?.workers ?? '–'} MB · RSS ${sample.rss_mb.total} MB\n`);
    },
  });
  const steady = samples.filter((s) => s.frame >= warmup * frames);
  const growths = {
    workers_heap: growth(steady, (s) => s.heap_mb?.workers),
    page_heap: growth(steady, (s) => s.heap_mb?.page),
    rss_total: growth(steady, (s) => s.rss_mb.total),
    rss_renderer: growth(steady, (s) => s.rss_mb.renderer),
    rss_gpu: growth(steady, (s) => s.rss_mb['gpu-process']),
    rss_node: growth(steady, (s) => s.rss_mb.node),
    node_heap: growth(steady, (s) => s.node_mb.heap),
    node_array_buffers: growth(steady, (s) => s.node_mb.array_buffers),
  };
  const measured = [growths.workers_heap, growths.rss_total].filter((g): g is number => g !== null);
  const report = {
    frames: result.frames,
    resolution: [width, height],
    workers,
    formats,
    seconds: round((performance.now() - started) / 1000),
    frames_per_second: round(result.produced / result.seconds),
    warmup_frames: Math.round(warmup * frames),
    // Growth from the first tenth of the samples after warm-up to the last tenth (0.05 = 5 %).
    growth: growths,
    flat: measured.length === 2 && measured.every((g) => g < 0.1),
    samples,
  };
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'soak-sdg.json'), `${JSON.stringify(report, null, 2)}\n`);
  const curve = (name: string, colour: string, value: (s: Sample) => number | undefined) => ({ name, colour, values: samples.map((s) => value(s) ?? Number.NaN) });
  writeFileSync(
    join(reportDir, 'soak-sdg.svg'),
    lineChartSvg(`simloop generate soak: ${result.frames} frames at ${width}×${height}, ${workers} workers (x: samples every ${sampleSeconds} s)`, 'MB', [
      curve('RSS, all processes', '#1f77b4', (s) => s.rss_mb.total),
      curve('RSS, renderer (page + workers)', '#2ca02c', (s) => s.rss_mb.renderer),
      curve("workers' JS heap", '#d62728', (s) => s.heap_mb?.workers),
      curve('RSS, Node (the CLI)', '#9467bd', (s) => s.rss_mb.node),
      curve("Node's JS heap", '#ff7f0e', (s) => s.node_mb.heap),
    ], 900, 320, { one: 'sample', many: 'samples' }),
  );
  console.log(JSON.stringify({ ...report, samples: samples.length, report: join(reportDir, 'soak-sdg.json'), chart: join(reportDir, 'soak-sdg.svg') }, null, 2));
} finally {
  if (!process.env.SOAK_OUT) rmSync(out, { recursive: true, force: true });
}

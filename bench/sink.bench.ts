/**
 * The CLI's disk sink writing frames: one 640×480 tabletop frame's 19 files for COCO + Basic (the
 * sizes one frame has: a 1.2 MB depth .npy, the colour PNG twice, the label PNGs, small .npy and
 * JSON files), FRAMES frames in a row, through fsSink's `writeFiles` (one batch, synchronous
 * writes) and through `write` per file (the promise API: what every batch cost before). Reports
 * this process's CPU time (user + system, all threads, so the thread pool's too) and wall time per
 * frame, the median of ROUNDS alternating rounds. Prints one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsSink } from '../src/cli/sinks/fsSink.ts';
import type { OutputFile } from '../src/engine/dataset/types.ts';

const FRAMES = Number(process.env.SINK_BENCH_FRAMES ?? 200);
const ROUNDS = Number(process.env.SINK_BENCH_ROUNDS ?? 3);

const FRAME_FILES: [string, number][] = [
  ['basic/distance_to_image_plane_{f}.npy', 1228928],
  ['coco/images/rgb_{f}.png', 134111],
  ['basic/rgb_{f}.png', 134111],
  ['basic/normals_{f}.png', 15462],
  ['basic/semantic_segmentation_{f}.png', 5303],
  ['basic/instance_segmentation_{f}.png', 5303],
  ['basic/bounding_box_3d_{f}.npy', 1024],
  ['basic/camera_params_{f}.json', 484],
  ['basic/instance_segmentation_mapping_{f}.json', 416],
  ['basic/bounding_box_2d_tight_{f}.npy', 384],
  ['basic/bounding_box_2d_loose_{f}.npy', 384],
  ['basic/semantic_segmentation_labels_{f}.json', 358],
  ['basic/instance_segmentation_semantics_mapping_{f}.json', 358],
  ['basic/bounding_box_3d_prim_paths_{f}.json', 215],
  ['basic/bounding_box_2d_tight_prim_paths_{f}.json', 215],
  ['basic/bounding_box_2d_loose_prim_paths_{f}.json', 215],
  ['basic/bounding_box_3d_labels_{f}.json', 179],
  ['basic/bounding_box_2d_tight_labels_{f}.json', 179],
  ['basic/bounding_box_2d_loose_labels_{f}.json', 179],
];
const bytes = FRAME_FILES.map(([, size], i) => new Uint8Array(size).fill(i + 1));
const frameFiles = (frame: number): OutputFile[] => FRAME_FILES.map(([path], i) => ({ path: path.replace('{f}', String(frame).padStart(6, '0')), bytes: bytes[i]! }));

type Mode = 'writeFiles' | 'writeEach';

async function round(mode: Mode): Promise<{ cpuMs: number; wallMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'simloop-sink-bench-'));
  try {
    const sink = fsSink(dir);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let frame = 0; frame < FRAMES; frame++) {
      const files = frameFiles(frame);
      if (mode === 'writeFiles') await sink.writeFiles!(files);
      else await Promise.all(files.map((f) => sink.write(f.path, f.bytes)));
    }
    const cpu = process.cpuUsage(cpu0);
    return { cpuMs: (cpu.user + cpu.system) / 1000 / FRAMES, wallMs: (performance.now() - t0) / FRAMES };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const samples: Record<Mode, { cpuMs: number; wallMs: number }[]> = { writeFiles: [], writeEach: [] };
for (let r = 0; r < ROUNDS; r++) for (const mode of ['writeEach', 'writeFiles'] as const) samples[mode].push(await round(mode));
const median = (xs: number[]) => Number([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2));
const summary = (mode: Mode) => ({ cpu_ms_per_frame: median(samples[mode].map((s) => s.cpuMs)), wall_ms_per_frame: median(samples[mode].map((s) => s.wallMs)) });
console.log(
  JSON.stringify(
    {
      bench: 'fs-sink-frames',
      node: process.version,
      frames: FRAMES,
      rounds: ROUNDS,
      files_per_frame: FRAME_FILES.length,
      bytes_per_frame: bytes.reduce((n, b) => n + b.byteLength, 0),
      write_files_batch: summary('writeFiles'),
      write_each_promise: summary('writeEach'),
    },
    null,
    2,
  ),
);

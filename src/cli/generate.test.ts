import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProgress, parseFaults, readJobFile } from './generate.ts';
import { main } from './main.ts';

const dir = mkdtempSync(join(tmpdir(), 'simloop-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { write: (s: string) => out.push(s) } as never, { write: (s: string) => err.push(s) } as never);
  return { code, out: out.join(''), err: err.join('') };
}

describe('simloop generate: job files and flags', () => {
  it('reads a YAML job file, resolving its paths against the file and its shard as i/N', async () => {
    const file = join(dir, 'job.yaml');
    writeFileSync(file, 'scene: ../scenes/tabletop.usda\nrandomize: spec.yaml\nframes: 12\nseed: 3\nout: data/out\nshard: 1/4\nformats: [coco, yolo]\n');
    const job = await readJobFile(file);
    expect(job).toMatchObject({ scene: join(dir, '../scenes/tabletop.usda'), randomize: join(dir, 'spec.yaml'), out: join(dir, 'data/out'), frames: 12, seed: 3, shard: { index: 1, count: 4 }, formats: ['coco', 'yolo'] });
  });

  it('rejects a bad job file with one line naming the file and field, before starting a browser', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'scene: x.usda\nframes: 0\nout: o\n');
    const result = await run(['generate', '--job', file]);
    expect(result.code).toBe(2);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toMatch(/bad\.yaml: frames: at least 1 frame/);
  });

  it('lets flags override the job file and asks for what is missing', async () => {
    const file = join(dir, 'partial.yaml');
    writeFileSync(file, 'frames: 2\nout: o\n');
    expect((await run(['generate', '--job', file])).err).toMatch(/generate needs --scene \(or scene: in the job file\)/);
    const missingScene = await run(['generate', '--job', file, '--scene', join(dir, 'nope.usda')]);
    expect(missingScene.code).toBe(2);
    expect(missingScene.err).toMatch(/nope\.usda: no such scene file/);
    expect((await run(['generate', '--scene', 's.usda', '--frames', 'ten', '--out', 'o'])).err).toMatch(/--frames must be an integer/);
    expect((await run(['generate', '--scene', 's.usda', '--frames', '2', '--out', 'o', '--shard', '2/2'])).err).toMatch(/--shard/);
    expect((await run(['generate', '--scene', 's.usda', '--frames', '2', '--out', 'o', '--format', 'coco,voc'])).err).toMatch(/formats\[1\]/);
  });

  it('reads fault hooks and formats progress', () => {
    expect(parseFaults('crash-worker@3')).toEqual({ crashAtFrame: 3 });
    expect(parseFaults('no-space@1000')).toEqual({ sink: { error: 'no-space', failAfterBytes: 1000 } });
    expect(() => parseFaults('explode')).toThrow(/SIMLOOP_FAULT/);
    expect(formatProgress({ done: 120, total: 1000, framesPerSecond: 2.4, etaSeconds: 366.7, phase: 'frames', retried: 0 })).toBe('frames 120/1000 (12%) · 2.4 frames/s · ETA 7 min');
    expect(formatProgress({ done: 3, total: 4, framesPerSecond: 1, etaSeconds: 1, phase: 'frames', retried: 1 })).toBe('frames 3/4 (75%) · 1.0 frames/s · ETA 1 s · 1 redone after a worker crash');
    expect(formatProgress({ done: 1000, total: 1000, framesPerSecond: 20, etaSeconds: 125, phase: 'finalize', aggregated: 256, retried: 0 })).toBe('frames 1000/1000 (100%) · 20.0 frames/s · ETA 3 min · writing aggregate files 256/1000');
    expect(formatProgress({ done: 1000, total: 1000, framesPerSecond: 20, etaSeconds: null, phase: 'finalize', retried: 0 })).toBe('frames 1000/1000 (100%) · 20.0 frames/s · ETA – · writing aggregate files');
  });
});

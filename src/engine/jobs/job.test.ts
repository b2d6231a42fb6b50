import { describe, expect, it } from 'vitest';
import { parseGenerateJob, parseShard, QUALITY, shardRange } from './job.ts';
import { encodeDatasetState, parseDatasetState } from './state.ts';

describe('generate job', () => {
  it('fills defaults and keeps what was given', () => {
    const job = parseGenerateJob({ scene: 'scenes/tabletop.usda', frames: 10, out: 'out' });
    expect(job).toMatchObject({ seed: 0, width: 640, height: 480, formats: ['coco', 'basic', 'yolo', 'kitti'], shard: { index: 0, count: 1 }, resume: false });
  });

  it('names the field of a bad value', () => {
    expect(() => parseGenerateJob({ scene: 's', frames: 10, out: 'o', width: 0 }, 'job.yaml')).toThrow(/job\.yaml: width: at least 1 pixel/);
    expect(() => parseGenerateJob({ scene: 's', frames: 0, out: 'o' }, 'job.yaml')).toThrow(/frames: at least 1 frame/);
    expect(() => parseGenerateJob({ scene: 's', frames: 1, out: 'o', formats: ['coco', 'voc'] }, 'job.yaml')).toThrow(/formats\[1\]/);
    expect(() => parseGenerateJob({ scene: 's', frames: 1, out: 'o', shard: { index: 2, count: 2 } }, 'job.yaml')).toThrow(/shard.*below/);
  });

  it('parses i/N shards and rejects the rest', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(() => parseShard('4/4')).toThrow(/--shard/);
    expect(() => parseShard('1-4')).toThrow(/expected i\/N/);
  });

  it('splits a frame range into contiguous shards that cover it exactly once', () => {
    for (const frames of [1, 7, 10, 1001]) {
      for (const count of [1, 2, 3, 8]) {
        let next = 0;
        for (let index = 0; index < count; index++) {
          const { start, end } = shardRange(frames, { index, count });
          expect(start).toBe(next);
          expect(end - start).toBeGreaterThanOrEqual(Math.floor(frames / count));
          expect(end - start).toBeLessThanOrEqual(Math.ceil(frames / count));
          next = end;
        }
        expect(next).toBe(frames);
      }
    }
  });

  it('takes a quality preset: default keeps shadows as asked, fast turns them off', () => {
    expect(parseGenerateJob({ scene: 's', frames: 1, out: 'o' })).toMatchObject({ quality: 'default', shadows: true });
    expect(parseGenerateJob({ scene: 's', frames: 1, out: 'o', shadows: false })).toMatchObject({ quality: 'default', shadows: false });
    expect(parseGenerateJob({ scene: 's', frames: 1, out: 'o', quality: 'fast' })).toMatchObject({ quality: 'fast', shadows: false });
    expect(parseGenerateJob({ scene: 's', frames: 1, out: 'o', quality: 'fast', shadows: true }).shadows).toBe(false);
    expect(QUALITY.fast.shading).toBe('lambert');
    expect(QUALITY.default.shading).toBe('standard');
    expect(() => parseGenerateJob({ scene: 's', frames: 1, out: 'o', quality: 'draft' }, 'job.yaml')).toThrow(/job\.yaml: quality: .*"default".*"fast"/);
  });
});

describe('generation state', () => {
  const sha = 'a'.repeat(64);
  const info = { classes: [{ id: 1, name: 'cube' }], cameras: ['/World/Camera'], width: 4, height: 4, frames: 2 };

  it('reads a version-1 state (written before the quality preset) as drawn with the default preset', () => {
    const v1 = { schema: 'simloop.dataset-state', version: 1, scene_sha256: sha, randomization_sha256: null, seed: 1, frames: 2, width: 4, height: 4, formats: ['coco'], shadows: true, shard: { index: 0, count: 1 }, info };
    const state = parseDatasetState(new TextEncoder().encode(JSON.stringify(v1)), 'out/.simloop/dataset.json');
    expect(state).toMatchObject({ version: 2, quality: 'default', shadows: true });
    expect(parseDatasetState(encodeDatasetState(state), 'again.json')).toEqual(state);
  });
});

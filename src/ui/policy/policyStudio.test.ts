import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EvaluationSummary } from '../../engine/policy/closedLoop.ts';
import { parsePolicyManifest } from '../../engine/policy/manifest.ts';
import { achievedRate, comparison, type EvalRun, failuresFirst, packageFromFiles, policyImageSize } from './policyStudio.ts';

const TINY = 'scenes/fixtures/policy/tiny/';
const picked = (path: string, bytes: Uint8Array | string) => ({ path, file: new File([bytes as BlobPart], path.split('/').pop()!) });
const tinyFiles = (prefix: string) => ['policy.json', 'policy.onnx', 'stats.json', 'vocab.json'].map((f) => picked(prefix + f, new Uint8Array(readFileSync(TINY + f))));

describe('opening a policy from picked files', () => {
  it('finds the manifest among a picked folder (other JSON beside it) and takes the files it names', async () => {
    const pkg = await packageFromFiles([picked('tiny/notes.json', '{"hello": 1}'), ...tinyFiles('tiny/')]);
    expect(pkg.manifestFile).toBe('policy.json');
    expect(Object.keys(pkg.files).sort()).toEqual(['policy.json', 'policy.onnx', 'stats.json', 'vocab.json']);
    expect(pkg.files['policy.onnx']!.byteLength).toBe(readFileSync(TINY + 'policy.onnx').byteLength);
  });

  it('says which named file is missing, and when no manifest was picked', async () => {
    const withoutVocab = tinyFiles('').filter((f) => f.path !== 'vocab.json');
    await expect(packageFromFiles(withoutVocab)).rejects.toThrow('policy.json: "vocab.json" was not among the picked files');
    await expect(packageFromFiles([picked('policy.onnx', new Uint8Array(4))])).rejects.toThrow('Policy: no .json manifest among the picked files');
    await expect(packageFromFiles([picked('a.json', '[]')])).rejects.toThrow('Policy: none of a.json is a policy manifest');
    // A manifest with a mistake is reported as the manifest's error, naming the field.
    const broken = JSON.parse(readFileSync(TINY + 'policy.json', 'utf8'));
    broken.control.hz = -1;
    await expect(packageFromFiles([picked('policy.json', JSON.stringify(broken))])).rejects.toThrow(/^policy\.json: control\.hz/);
  });

  it('renders the cameras at the policy`s own size when its images share one', () => {
    const m = parsePolicyManifest(readFileSync(TINY + 'policy.json', 'utf8'), 'policy.json');
    expect(policyImageSize(m)).toEqual([128, 128]);
    m.inputs.images.forEach((i) => Object.assign(i, { width: 64, height: 48 }));
    expect(policyImageSize(m)).toEqual([64, 48]);
  });
});

describe('the results table and the comparison', () => {
  const run = (id: number, successes: number, episodes: number): EvalRun => ({
    id,
    label: `#${id}`,
    seed: 1,
    randomizationsOff: [],
    summary: { successes, episodes } as EvaluationSummary,
    episodes: [],
  });

  it('lists failures first, then by episode', () => {
    const rows = [0, 1, 2, 3, 4].map((index) => ({ index, success: index % 2 === 0 }));
    expect(failuresFirst(rows).map((r) => r.index)).toEqual([1, 3, 0, 2, 4]);
  });

  it('compares the two chosen runs with Fisher`s exact test', () => {
    const runs = [run(1, 3, 4), run(2, 1, 4)];
    const c = comparison(runs, [1, 2])!;
    expect(c.test.pValue).toBeCloseTo(0.4857, 4);
    expect(c.test.difference).toBe(0.5);
    expect(comparison(runs, [1, null])).toBeNull();
    expect(comparison(runs, [1, 9])).toBeNull();
  });

  it('measures the control rate achieved in wall-clock time', () => {
    const live = { steps: 40, startedAt: 1000, lastAt: 3000 } as Parameters<typeof achievedRate>[0];
    expect(achievedRate(live)).toBe(20);
    expect(achievedRate({ ...live, steps: 0 })).toBe(0);
  });
});

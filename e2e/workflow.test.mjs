/**
 * The bundled workflow (workflows/demo-policy.workflow.yaml) end to end: demonstrations in headless
 * Chromium → the demo VLA trained on them (PyTorch) → evaluated → compared with the shipped policy.
 * Then: `simloop lineage --verify` follows the comparison back to the scene and the demonstrations,
 * a second run reruns nothing, and a changed output is named by --verify.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { pythonModules, requirePython } from '../src/engine/testing/python.ts';

const TRAINING = pythonModules('torch', 'onnx', 'h5py');

async function run(...args) {
  const stdout = [];
  const stderr = [];
  const code = await main(args, { write: (s) => stdout.push(s) }, { write: (s) => stderr.push(s) });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

test('the demo-policy workflow runs end to end with lineage that --verify checks, and resumes without rerunning', { skip: TRAINING.skip, timeout: 900_000 }, async () => {
  requirePython(TRAINING);
  const out = mkdtempSync(join(tmpdir(), 'simloop-workflow-e2e-'));
  try {
    const first = await run('workflow', 'run', 'workflows/demo-policy.workflow.yaml', '--out', out, '--json');
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout);
    assert.deepEqual([...result.ran].sort(), ['compare', 'demos', 'evaluate', 'shipped', 'train']);
    // Independent steps overlap: the shipped policy's evaluation starts before training ends.
    const starts = first.stderr.split('\n').filter((l) => /^[▶✓]/.test(l)).map((l) => l.slice(0, 12));
    assert.ok(starts.findIndex((l) => l.startsWith('▶ shipped')) < starts.findIndex((l) => l.startsWith('✓ train')), first.stderr);

    const comparison = JSON.parse(readFileSync(join(out, 'compare', 'compare.json'), 'utf8'));
    assert.ok(['improved', 'regressed', 'held', 'underpowered'].includes(comparison.verdict), JSON.stringify(comparison));
    const evaluated = JSON.parse(readFileSync(join(out, 'evaluate', 'results.json'), 'utf8'));
    assert.equal(evaluated.episodes, 4);

    const chain = await run('lineage', join(out, 'compare', 'compare.json'), '--verify');
    assert.equal(chain.code, 0, chain.stdout + chain.stderr);
    for (const expected of [/^compare \(compare\) → /, /evaluate \(eval\) → /, /shipped \(eval\) → /, /train \(train\) → /, /demos \(demos\) → /, /scene: .*scenes\/panda_tabletop\.usda sha256 [0-9a-f]{12}…/, /hdf5: .*demos\/robomimic\.hdf5 sha256 [0-9a-f]{12}… ← step output/, /verify: every file and input is as recorded/]) {
      assert.match(chain.stdout, expected);
    }

    const again = await run('workflow', 'run', 'workflows/demo-policy.workflow.yaml', '--out', out, '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).ran, []);
    assert.equal(JSON.parse(again.stdout).skipped.length, 5);

    writeFileSync(join(out, 'demos', 'episodes.jsonl'), '{}\n');
    const tampered = await run('lineage', join(out, 'evaluate'), '--verify');
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, /demos\/episodes\.jsonl: changed \(sha256/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

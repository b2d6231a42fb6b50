/**
 * The Policy tab: load the bundled policy, run one episode to its end in the studio (the viewport
 * follows it, what the policy sees and its actions are shown), evaluate it over a few episodes
 * (results table with videos, failures first, success by factor), compare two runs (paired: same
 * seed), and survive a bad package.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useStudioPage, waitForScene } from './harness.mjs';

const TIMEOUT = 180_000;
const text = (page, id) => page.locator(`[data-testid="${id}"]`).textContent();

describe('policies in the studio', () => {
  const studio = useStudioPage(TIMEOUT);

  test('load the bundled policy, run one episode to its end, evaluate, compare two runs', { timeout: TIMEOUT }, async () => {
    const { page, pageErrors } = studio;
    await page.click('#sdg-tab-policy');
    // WASM keeps the test quick; WebGPU parity is src/pages/parity.test.ts.
    await page.selectOption('select[aria-label="Execution provider"]', 'wasm');
    await page.click('[data-testid="policy-load-bundled"]');
    await page.waitForSelector('[data-testid="policy-provider"]', { timeout: 60_000 });
    assert.equal(await text(page, 'policy-provider'), 'wasm');

    await page.fill('input[aria-label="Policy seed"]', '1000');
    await page.fill('input[aria-label="Policy episode"]', '3');
    await page.click('[data-testid="policy-run"]');
    await waitForScene(page, 'pick-cube · episode 3 (seed 1000)');
    // The viewport shows the episode's scene, with the arm in it.
    const bodies = await page.evaluate(() => window.__simloop.movingBodies());
    assert.ok(bodies.includes('/World/Panda/hand'));
    await page.waitForFunction(() => !/running/.test(document.querySelector('[data-testid="policy-outcome"]')?.textContent ?? 'running'), null, { timeout: 90_000 });
    const outcome = await text(page, 'policy-outcome');
    assert.match(outcome, /^(success|failure: (never reached the target|reached the target but did not lift it|lifted the target, then lost it|lifted another object))$/);
    const steps = await text(page, 'policy-steps');
    const [, done, max] = /step (\d+) of (\d+)/.exec(steps);
    // The episode ran to its end: success, or every step used.
    assert.ok(outcome === 'success' || done === max, steps);
    assert.match(await text(page, 'policy-instruction'), /cube/);
    assert.match(await text(page, 'policy-timing'), /Inference \d+\.\d+ ms \(p50 \d+\.\d+ ms, \d+ runs\) · control \d+\.\d Hz/);
    // What the policy saw: a non-blank picture from each of its cameras.
    for (const camera of ['scene', 'wrist']) {
      const lit = await page.locator(`[data-testid="policy-view-${camera}"]`).evaluate((canvas) => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 30) n++;
        return n / (data.length / 4);
      });
      assert.ok(lit > 0.2, `${camera} view is mostly dark (${lit})`);
    }
    assert.ok((await page.locator('[data-testid="policy-plot-action"] polyline').count()) >= 7);

    // Evaluate twice (two episodes each) and compare the runs.
    await page.fill('input[aria-label="Evaluation episodes"]', '2');
    await page.fill('input[aria-label="Evaluation seed"]', '2000');
    await page.click('[data-testid="policy-evaluate"]');
    await page.waitForSelector('[data-testid="policy-run-1"]', { timeout: 90_000 });
    assert.equal(await page.locator('[data-testid="policy-run-1"] [data-testid="policy-episode-row"]').count(), 2);
    // Each failure says how it failed, and the run counts them.
    const results = await page.locator('[data-testid="policy-run-1"] [data-testid="policy-episode-row"] td:nth-child(2)').allTextContents();
    for (const r of results) assert.match(r, /^(success|failure: (never reached the target|reached the target but did not lift it|lifted the target, then lost it|lifted another object|ran out of steps))$/);
    const failed = results.filter((r) => r !== 'success').length;
    if (failed > 0) assert.match(await page.locator('[data-testid="policy-run-1"] [data-testid="policy-outcomes"]').textContent(), /^Failures: \d/);
    assert.match(await page.locator('[data-testid="policy-run-1"] [data-testid="policy-run-summary"]').textContent(), /of 2 succeeded: .*\(95% CI \d+\.\d%–\d+\.\d%\)/);
    // Every episode has its video, which the browser can play.
    const durations = await page.locator('[data-testid="policy-run-1"] video').evaluateAll((videos) =>
      Promise.all(videos.map((v) => (v.readyState >= 1 ? v.duration : new Promise((resolve) => v.addEventListener('loadedmetadata', () => resolve(v.duration), { once: true }))))),
    );
    assert.equal(durations.length, 2);
    for (const d of durations) assert.ok(d > 0.5, `video duration ${d}`);
    // Where it fails: how the episodes ended, and success by randomized factor (two episodes already
    // put each factor that varied, such as a cube's position, in two bins).
    const run1 = page.locator('[data-testid="policy-run-1"]');
    const shares = await run1.locator('[data-testid="policy-outcome-shares"] tbody tr td:nth-child(2)').allTextContents();
    assert.equal(shares.map(Number).reduce((a, b) => a + b, 0), 2);
    assert.equal(await run1.locator('[data-testid="policy-factor-chart"]').count(), 1);
    assert.ok((await run1.locator('[data-testid="policy-factor-0"] [data-testid="policy-factor-bin"]').count()) >= 2);
    // Factors are named in words ("Cube position x"), not by their keys.
    assert.doesNotMatch(await run1.locator('[data-testid="policy-factor-0"] figcaption').textContent(), /\/World|:/);
    await page.selectOption('select[aria-label="Evaluation instructions"]', 'swapped');
    await page.click('[data-testid="policy-evaluate"]');
    await page.waitForSelector('[data-testid="policy-run-2"]', { timeout: 90_000 });
    // Both runs met the same episodes (seed 2000): the comparison pairs them and gives a verdict.
    assert.equal(await text(page, 'policy-compare-kind'), 'paired');
    assert.match(await text(page, 'policy-compare-test'), /^paired on 2 shared episodes \(\d only the candidate solved, \d only the baseline\), exact McNemar p = [\d.e-]+$/);
    assert.match(await text(page, 'policy-compare-difference'), /^[+−]\d+\.\d points \(95% CI [+−]\d+\.\d to [+−]\d+\.\d\)/);
    assert.match(await text(page, 'policy-compare-verdict'), /^(improved|regressed|held|underpowered)$/);
    assert.deepEqual(pageErrors, []);
  });

  test('a bad policy package gives a message naming the file and the panel keeps working', { timeout: TIMEOUT }, async () => {
    const { page } = studio;
    await page.click('#sdg-tab-policy');
    await page.locator('[data-testid="policy-files"]').setInputFiles([
      { name: 'policy.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ simloop_policy: 1, name: 'broken', robot: 'panda', inputs: { images: [] }, outputs: { tensor: 'a', chunk: 0, space: 'ee_delta_pose' }, control: { hz: 20, n_action_steps: 1 }, graphs: [] })) },
    ]);
    await page.waitForFunction(() => /policy\.json: /.test(document.querySelector('[data-testid="messages"]')?.textContent ?? ''), null, { timeout: 20_000 });
    const message = await page.locator('[data-testid="messages"]').textContent();
    assert.match(message, /policy\.json: outputs\.chunk/);
    // Still usable: the bundled policy opens.
    await page.selectOption('select[aria-label="Execution provider"]', 'wasm');
    await page.click('[data-testid="policy-load-bundled"]');
    await page.waitForSelector('[data-testid="policy-provider"]', { timeout: 60_000 });
  });
});

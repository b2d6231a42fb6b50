/**
 * Teleoperation in the studio: the Robot tab starts a task episode (its randomized scene replaces
 * the viewport's), held keys drive the arm through the simulation worker, Keep records the
 * demonstration, and Export downloads a zip with the LeRobot and HDF5 datasets.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { main } from '../src/cli/main.ts';
import { useStudioPage, waitForScene } from './harness.mjs';
import { PYTHON, pythonModules, requirePython, titled } from '../src/engine/testing/python.ts';

const AV = pythonModules('av');

const TIMEOUT = 90_000;

describe('teleoperation in the studio', () => {
  const studio = useStudioPage(TIMEOUT);

  test('drive the arm with the keyboard, keep the episode, export the demonstrations', { timeout: TIMEOUT }, async (t) => {
    const { page, pageErrors } = studio;
    await page.click('#sdg-tab-robot');
    await page.selectOption('select[aria-label="Task"]', 'reach');
    await page.fill('input[aria-label="Episode"]', '2');
    await page.click('[data-testid="teleop-start"]');
    await waitForScene(page, 'reach · episode 2 (seed 1)');
    assert.match(await page.locator('[data-testid="teleop-instruction"]').textContent(), /green/);
    const bodies = await page.evaluate(() => window.__simloop.movingBodies());
    const hand = bodies.indexOf('/World/Panda/hand');
    assert.ok(hand >= 0, 'the hand is a moving body of the shown scene');
    const handAt = async () => (await page.evaluate(() => window.__simloop.poses())).slice(hand * 7, hand * 7 + 3);
    const start = await handAt();

    await page.click('[data-testid="teleop-drive"]');
    await page.locator('body').click({ position: { x: 5, y: 5 } }).catch(() => {});
    await page.keyboard.down('KeyW');
    await page.keyboard.down('KeyR');
    await page.waitForFunction(() => window.__simloop.status().steps >= 20, null, { timeout: 20_000 });
    await page.keyboard.up('KeyW');
    await page.keyboard.up('KeyR');
    const moved = await handAt();
    // W moves along +X (away from the base), R up (+Y): both grew, by centimetres.
    assert.ok(moved[0] - start[0] > 0.03, `hand moved forward: ${start} → ${moved}`);
    assert.ok(moved[1] - start[1] > 0.03, `hand moved up: ${start} → ${moved}`);
    assert.ok(Math.abs(moved[2] - start[2]) < 0.02, `no sideways drift: ${start} → ${moved}`);

    await page.click('[data-testid="teleop-drive"]');
    await page.click('[data-testid="teleop-keep"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="teleop-export"]')?.textContent?.includes('Export 1'));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 20_000 }).catch(async (e) => {
        throw new Error(`${e.message}; messages: ${await page.locator('[data-testid^="message-"]').allTextContents()}`);
      }),
      page.click('[data-testid="teleop-export"]'),
    ]);
    const zip = unzipSync(new Uint8Array(readFileSync(await download.path())));
    for (const f of ['episodes.jsonl', 'lerobot/meta/info.json', 'lerobot/data/chunk-000/file-000.parquet', 'robomimic.hdf5', 'lerobot/videos/observation.images.wrist/chunk-000/file-000.mp4', 'lerobot/videos/observation.images.scene/chunk-000/file-000.mp4']) {
      assert.ok(zip[f], `${f} is in the zip`);
    }
    const line = JSON.parse(new TextDecoder().decode(zip['episodes.jsonl']).trim());
    assert.equal(line.episode, 0);
    assert.equal(line.draw, 2);
    assert.ok(line.steps >= 20, `steps recorded: ${line.steps}`);
    const info = JSON.parse(new TextDecoder().decode(zip['lerobot/meta/info.json']));
    assert.equal(info.total_frames, line.steps);
    assert.deepEqual(info.features['observation.images.wrist'].shape, [128, 128, 3]);
    // One video frame per recorded step (PyAV).
    await t.test(titled('PyAV decodes one wrist-camera frame per recorded step', AV), { skip: AV.skip }, () => {
      requirePython(AV);
      const dir = mkdtempSync(join(tmpdir(), 'simloop-teleop-'));
      try {
        const video = join(dir, 'wrist.mp4');
        writeFileSync(video, zip['lerobot/videos/observation.images.wrist/chunk-000/file-000.mp4']);
        const r = spawnSync(PYTHON, ['-c', 'import av, sys; c = av.open(sys.argv[1]); print(sum(1 for _ in c.decode(video=0)))', video], { encoding: 'utf8' });
        assert.equal(Number(r.stdout.trim()), line.steps, r.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    // The next episode: the scripted expert takes over and finishes the task on screen.
    await page.click('[data-testid="teleop-start"]');
    await waitForScene(page, 'reach · episode 3 (seed 1)');
    await page.click('[data-testid="teleop-expert"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="teleop-success"]')?.textContent === 'success', null, { timeout: 30_000 });
    assert.deepEqual(pageErrors, []);
  });

  test('the episode viewer shows a demonstration\'s videos and plots at the same frame', { timeout: TIMEOUT }, async () => {
    const { page, pageErrors } = studio;
    // Two recorded episodes with both cameras, zipped as a researcher would share them.
    const tmp = mkdtempSync(join(tmpdir(), 'simloop-viewer-'));
    try {
      const code = await main(['demos', '--task', 'pick-cube', '--episodes', '2', '--seed', '2', '--out', tmp, '--image-size', '64x48'], { write: () => {} }, { write: () => {} });
      assert.equal(code, 0);
      const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
      const zip = zipSync(Object.fromEntries(walk(tmp).map((f) => [relative(tmp, f), new Uint8Array(readFileSync(f))])));
      const lines = readFileSync(join(tmp, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

      await page.locator('[data-testid="episode-open"]').setInputFiles({ name: 'demos.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
      await page.selectOption('select[aria-label="Dataset episode"]', '1');
      await page.waitForSelector('[data-testid="plot-state"]');
      // One point per frame on every state line (9 dimensions) and action line (7).
      const points = await page.$$eval('[data-testid="plot-state"] polyline', (ls) => ls.map((l) => l.getAttribute('points').split(' ').length));
      assert.deepEqual(points, new Array(9).fill(lines[1].steps));
      assert.equal(await page.locator('[data-testid="plot-action"] polyline').count(), 7);
      const videos = page.locator('video[data-testid^="video-observation.images."]');
      assert.equal(await videos.count(), 2);

      // Scrub to frame 10: the label, the plots' cursor and both videos follow.
      await page.locator('[data-testid="episode-frame"]').fill('10');
      await page.waitForFunction(() => document.querySelector('[data-testid="episode-frame-label"]')?.textContent?.startsWith('frame 10 '));
      const x = Number(await page.getAttribute('[data-testid="cursor-state"]', 'x1'));
      assert.ok(Math.abs(x - (10 / (lines[1].steps - 1)) * 280) < 0.01, `cursor at frame 10: ${x}`);
      const expected = lines[0].steps / 20 + 10.5 / 20; // the second episode starts after the first in each video file
      const times = await videos.evaluateAll((vs) => vs.map((v) => v.currentTime));
      for (const t of times) assert.ok(Math.abs(t - expected) < 0.02, `video at ${t} s, expected ${expected} s`);
      assert.deepEqual(pageErrors, []);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});


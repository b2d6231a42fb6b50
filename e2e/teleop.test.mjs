/**
 * Teleoperation in the studio: the Robot tab starts a task episode (its randomized scene replaces
 * the viewport's), held keys drive the arm through the simulation worker, Keep records the
 * demonstration, and Export downloads a zip with the LeRobot and HDF5 datasets.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { useStudioPage, waitForScene } from './harness.mjs';

const TIMEOUT = 90_000;

describe('teleoperation in the studio', () => {
  const studio = useStudioPage(TIMEOUT);

  test('drive the arm with the keyboard, keep the episode, export the demonstrations', { timeout: TIMEOUT }, async () => {
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
    for (const f of ['episodes.jsonl', 'lerobot/meta/info.json', 'lerobot/data/chunk-000/file-000.parquet', 'robomimic.hdf5']) assert.ok(zip[f], `${f} is in the zip`);
    const line = JSON.parse(new TextDecoder().decode(zip['episodes.jsonl']).trim());
    assert.equal(line.episode, 0);
    assert.equal(line.draw, 2);
    assert.ok(line.steps >= 20, `steps recorded: ${line.steps}`);
    const info = JSON.parse(new TextDecoder().decode(zip['lerobot/meta/info.json']));
    assert.equal(info.total_frames, line.steps);
    assert.deepEqual(pageErrors, []);
  });
});

/**
 * The studio opens the bundled tabletop scene and simulates it: prim tree, viewport pixels,
 * play / pause / step / reset. One browser and one server for the whole file; the tests run in
 * order and share the page.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  countColour,
  poses,
  primPaths,
  primRow,
  snapshotViewport,
  status,
  viewportDifference,
  waitForPlaying,
  waitForViewport,
  useStudioPage,
} from './harness.mjs';

const TEST_TIMEOUT = 60_000;

describe('studio with the bundled tabletop scene', { timeout: 150_000 }, () => {
  const studio = useStudioPage(TEST_TIMEOUT);
  let page;
  let pageErrors;
  let initialPoses;
  before(() => {
    ({ page, pageErrors } = studio);
  });

  test('the page is cross-origin isolated', { timeout: TEST_TIMEOUT }, async () => {
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
  });

  test('opens tabletop.usda: prim tree with body types and labels, no errors', { timeout: TEST_TIMEOUT }, async () => {
    const paths = await primPaths(page);
    for (const path of ['/World', '/World/GroundPlane', '/World/Table', '/World/Table/Top', '/World/Objects/RedCube', '/World/Objects/BlueBall', '/World/Objects/PurpleWedge', '/World/Camera', '/World/Sun']) {
      assert.ok(paths.includes(path), `prim tree lists ${path}`);
    }
    // Parents come before their children, as in the file.
    assert.ok(paths.indexOf('/World/Table') < paths.indexOf('/World/Table/Top'));

    assert.deepEqual(await primRow(page, '/World/Table'), { type: 'Xform', body: 'static', label: 'table' });
    assert.deepEqual(await primRow(page, '/World/Objects/RedCube'), { type: 'Cube', body: 'dynamic', label: 'cube' });
    assert.deepEqual(await primRow(page, '/World/Objects/BlueBall'), { type: 'Sphere', body: 'dynamic', label: 'ball' });
    assert.deepEqual(await primRow(page, '/World/Objects/GreenCan'), { type: 'Cylinder', body: 'dynamic', label: 'can' });
    assert.deepEqual(await primRow(page, '/World/Table/Top'), { type: 'Cube', body: null, label: null });

    assert.equal(await page.locator('[data-testid="message-error"]').count(), 0);
    assert.match(await page.textContent('[data-testid="messages"]'), /Opened tabletop\.usda/);
    assert.match(await page.textContent('[data-testid="body-count"]'), /6 moving \/ 7 bodies/);
    assert.match(await page.textContent('[data-testid="sim-time"]'), /t = 0\.000 s/);
    assert.deepEqual(pageErrors, []);
  });

  test('the viewport shows the objects from the scene camera', { timeout: TEST_TIMEOUT }, async () => {
    const { width, height } = await snapshotViewport(page, 'start');
    assert.ok(width > 400 && height > 300, `viewport is ${width}×${height}`);
    // The red cube and the blue ball are on screen (sRGB of their linear display colours, lit).
    assert.ok((await countColour(page, 'start', [220, 70, 60], 90)) > 30, 'red cube pixels');
    assert.ok((await countColour(page, 'start', [80, 140, 230], 90)) > 30, 'blue ball pixels');
    initialPoses = await poses(page);
    assert.equal(initialPoses.length, 6 * 7);
  });

  test('Play makes the objects fall onto the table; the picture changes', { timeout: TEST_TIMEOUT }, async () => {
    await page.click('[data-testid="play"]');
    await waitForPlaying(page, true);
    await page.waitForFunction(() => window.__simloop.status().time >= 0.3, undefined, { timeout: 20_000 });
    await page.click('[data-testid="pause"]');
    await waitForPlaying(page, false);

    const after = await poses(page);
    // Every object starts above the table (top at y = 0.775 m) and has dropped by now.
    const redCubeDrop = initialPoses[1] - after[1];
    assert.ok(redCubeDrop > 0.05 && redCubeDrop < 0.2, `red cube fell ${redCubeDrop.toFixed(3)} m`);
    for (let i = 0; i < 6; i++) assert.ok(after[i * 7 + 1] < initialPoses[i * 7 + 1] - 0.01, `body ${i} moved down`);

    const time = (await status(page)).time;
    assert.ok(time >= 0.3);
    assert.match(await page.textContent('[data-testid="sim-time"]'), new RegExp(`t = ${time.toFixed(3)} s`));

    await snapshotViewport(page, 'fallen');
    const changed = await viewportDifference(page, 'start', 'fallen');
    assert.ok(changed > 0.001, `${(changed * 100).toFixed(2)}% of the viewport changed`);
    assert.ok(changed < 0.2, `only the objects moved (${(changed * 100).toFixed(2)}% changed)`);
  });

  test('Pause stops simulation time', { timeout: TEST_TIMEOUT }, async () => {
    const before = await status(page);
    const shown = await page.textContent('[data-testid="sim-time"]');
    await page.waitForTimeout(500);
    const later = await status(page);
    assert.equal(later.steps, before.steps);
    assert.equal(later.playing, false);
    assert.equal(await page.textContent('[data-testid="sim-time"]'), shown);
    assert.equal(await page.isDisabled('[data-testid="pause"]'), true);
    assert.equal(await page.isEnabled('[data-testid="play"]'), true);
  });

  test('Step advances exactly one physics step', { timeout: TEST_TIMEOUT }, async () => {
    const before = await status(page);
    const dt = await page.evaluate(() => window.__simloop.dt);
    await page.click('[data-testid="step"]');
    await page.waitForFunction((steps) => window.__simloop.status().steps !== steps, before.steps, { timeout: 10_000 });
    await page.waitForTimeout(300);
    const after = await status(page);
    assert.equal(after.steps, before.steps + 1);
    assert.ok(Math.abs(after.time - before.time - dt) < 1e-9, `time advanced by dt (${dt})`);
    assert.equal(after.playing, false);
    assert.equal(await page.getAttribute('[data-testid="sim-steps"]', 'data-steps'), String(before.steps + 1));
  });

  test('Reset returns time to 0 and the objects to where they started', { timeout: TEST_TIMEOUT }, async () => {
    await page.click('[data-testid="reset"]');
    await page.waitForFunction(() => window.__simloop.status().steps === 0, undefined, { timeout: 10_000 });
    assert.deepEqual(await status(page), { time: 0, steps: 0, playing: false });
    assert.match(await page.textContent('[data-testid="sim-time"]'), /t = 0\.000 s/);
    const reset = await poses(page);
    reset.forEach((value, i) => assert.ok(Math.abs(value - initialPoses[i]) < 1e-6, `pose value ${i}`));

    await snapshotViewport(page, 'reset');
    const changed = await viewportDifference(page, 'start', 'reset');
    assert.ok(changed < 0.001, `the first picture is back (${(changed * 100).toFixed(3)}% differs)`);
    await waitForViewport(page);
    assert.deepEqual(pageErrors, []);
  });
});

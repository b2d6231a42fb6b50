/**
 * The robot's cameras through the real renderer (WebGL on SwiftShader in headless Chromium): the
 * scene camera sees the red cube where the camera model projects it, the wrist camera rides on
 * the hand and sees the cube below it once the arm has moved over it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'vite';
import { ROOT, launchBrowser } from './harness.mjs';

test('robot cameras render the scene from the scene camera and from the moving wrist', async () => {
  const server = await createServer({ root: ROOT, configFile: `${ROOT}/vite.config.ts`, logLevel: 'error', server: { host: '127.0.0.1', port: 0, hmr: false, watch: null } });
  await server.listen();
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const address = server.httpServer.address();
    await page.goto(`http://127.0.0.1:${address.port}/e2e/fixtures/robot-cameras.html`);
    await page.waitForFunction(() => window.__robotCameras !== undefined, null, { timeout: 120_000 });
    const r = await page.evaluate(() => window.__robotCameras);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(errors, []);
    assert.deepEqual(r.sizes, [160 * 120 * 4, 96 * 96 * 4]);
    // The scene camera sees the red cube (authored colour 0.8, 0.1, 0.1 linear) at its projection.
    const [sr, sg, sb] = r.before.sceneRed;
    assert.ok(sr > 120 && sr > 2 * sg && sr > 2 * sb, `scene camera at the red cube's projection: ${r.before.sceneRed}`);
    // After the move the cube is below the hand: in view of the wrist camera, red where its model
    // (following the hand's simulated pose) projects the cube's centre.
    assert.ok(Math.hypot(r.eeAboveRed[0] - r.red[0], r.eeAboveRed[2] - r.red[2]) < 0.01, `hand over the cube: ${r.eeAboveRed} vs ${r.red}`);
    assert.notEqual(r.after.wristRed, null, 'the red cube is in the wrist camera\'s view');
    const [wr, wg, wb] = r.after.wristRed;
    assert.ok(wr > 120 && wr > 2 * wg && wr > 2 * wb, `wrist camera at the red cube's projection: ${r.after.wristRed}`);
    assert.ok(r.wristChange > 3, `the wrist image changes when the hand moves (mean |Δ| ${r.wristChange})`);
    assert.ok(r.sceneChange > 0.2 && r.sceneChange < r.wristChange, `the scene image changes only where the arm is (mean |Δ| ${r.sceneChange})`);
  } finally {
    await browser.close();
    await server.close();
  }
});

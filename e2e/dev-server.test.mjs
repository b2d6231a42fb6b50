/**
 * `npm start` on a fresh install: the Vite dev server (not the built preview the other browser
 * tests use) with an empty dependency cache, as after `npm install`. The studio must render on the
 * first load, and opening the Policy tab's bundled policy (the policy worker, the only importer of
 * onnxruntime-web) must not make the dev server re-optimize and reload the page, which used to
 * throw the user back to the first tab and give pages already open "504 Outdated Optimize Dep".
 * Then the layout at a 1366 × 768 screen: every panel tab visible, no sideways scrolling.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger, createServer } from 'vite';
import { launchBrowser, openStudio, ROOT } from './harness.mjs';

describe('the dev server on first run', { timeout: 240_000 }, () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'simloop-vite-cache-'));
  const logged = [];
  const failed = [];
  let server;
  let browser;
  let page;
  let pageErrors;

  before(async () => {
    const logger = createLogger('info');
    for (const level of ['info', 'warn', 'error']) {
      const write = logger[level].bind(logger);
      logger[level] = (message, options) => {
        logged.push(message);
        if (level === 'error') write(message, options);
      };
    }
    server = await createServer({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), cacheDir, customLogger: logger, server: { host: '127.0.0.1', port: 0 } });
    await server.listen();
    const url = server.resolvedUrls.local[0];
    browser = await launchBrowser();
    const first = browser.context.pages()[0] ?? (await browser.context.newPage());
    first.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    ({ page, pageErrors } = await openStudio(browser.context, url));
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test('renders the studio on the first load, with an empty dependency cache', async () => {
    assert.ok(logged.some((m) => /bundling dependencies/.test(m)), `the cache was empty, so the dev server optimized dependencies; its log: ${logged.join(' | ')}`);
    assert.deepEqual(failed, []);
    assert.deepEqual(pageErrors, []);
  });

  test('opens the bundled policy without the dev server reloading the page', { timeout: 120_000 }, async () => {
    await page.evaluate(() => (window.__simloopNotReloaded = true));
    await page.click('#sdg-tab-policy');
    await page.selectOption('select[aria-label="Execution provider"]', 'wasm');
    await page.click('[data-testid="policy-load-bundled"]');
    await page.waitForSelector('[data-testid="policy-provider"]', { timeout: 90_000 });
    assert.equal(await page.textContent('[data-testid="policy-provider"]'), 'wasm');
    assert.equal(await page.evaluate(() => window.__simloopNotReloaded === true), true, 'the page was reloaded');
    assert.deepEqual(logged.filter((m) => /optimized dependencies changed|new dependencies optimized|reloading/.test(m)), []);
    assert.deepEqual(failed, []);
    assert.deepEqual(pageErrors, []);
  });

  test('fits a 1366 × 768 screen: every panel tab in view, no sideways scrolling on any tab', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    for (const tab of ['randomize', 'generate', 'dataset', 'robot', 'policy']) {
      await page.click(`#sdg-tab-${tab}`);
      const layout = await page.evaluate(() => {
        const panel = document.querySelector('[data-testid="sdg-panel"]').getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          scrolledX: window.scrollX + document.querySelector('#root').scrollLeft + document.querySelector('.studio').scrollLeft,
          width: window.innerWidth,
          panel: [panel.left, panel.right],
          tabs: [...document.querySelectorAll('.sdg-tab')].map((t) => {
            const r = t.getBoundingClientRect();
            return { name: t.textContent, left: r.left, right: r.right, clipped: t.scrollWidth > t.clientWidth };
          }),
        };
      });
      assert.ok(layout.scrollWidth <= layout.width, `${tab}: the page is ${layout.scrollWidth} px wide on a ${layout.width} px screen`);
      assert.equal(layout.scrolledX, 0, `${tab}: the page scrolled sideways`);
      assert.equal(layout.panel[1], layout.width, `${tab}: the panel's right edge is at the screen's`);
      for (const t of layout.tabs) {
        assert.ok(t.left >= layout.panel[0] - 0.5 && t.right <= layout.panel[1] + 0.5, `${tab}: the ${t.name} tab (${t.left}–${t.right}) is outside the panel (${layout.panel.join('–')})`);
        assert.equal(t.clipped, false, `${tab}: the ${t.name} tab's label is cut off`);
      }
    }
    assert.deepEqual(pageErrors, []);
  });
});

/**
 * Shared set-up for the browser tests: serves the built studio (dist/) with `vite preview` on a
 * free 127.0.0.1 port (a secure, cross-origin-isolated context), launches Chromium headless with
 * software WebGL/WebGPU and a fresh profile, and offers helpers that read the viewport's pixels.
 * Run through `npm run test:e2e`, which builds first.
 */
import { after, before } from 'node:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

import { CHROMIUM_FLAGS, chromiumExecutable } from '../src/cli/browser.ts';

export { CHROMIUM_FLAGS, chromiumExecutable };

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Serves dist/ like `vite preview` (same COOP/COEP headers from vite.config.ts). */
export async function startStudioServer() {
  if (!existsSync(join(ROOT, 'dist', 'index.html'))) throw new Error('dist/ is missing: run `npm run build` (or `npm run test:e2e`) first');
  const port = await freePort();
  const server = await preview({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/** A browser with a fresh profile; `close()` also removes the profile. */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'simloop-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumExecutable(),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the studio page and waits until the default scene is drawn. Uncaught page errors are
 * collected in `pageErrors` (tests assert there are none).
 */
export async function openStudio(context, url) {
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  await waitForScene(page, 'tabletop.usda');
  return { page, pageErrors };
}

/** Waits until `fileName` is loaded and its latest poses are on screen. */
export async function waitForScene(page, fileName) {
  await page.waitForFunction((name) => window.__simloop?.scenePath === name, fileName, { timeout: 30_000 });
  await waitForViewport(page);
}

/** Waits until the viewport has drawn the latest pose update. */
export async function waitForViewport(page) {
  await page.waitForFunction(
    () => {
      const viewport = document.querySelector('[data-testid="viewport"]');
      return (
        viewport?.dataset.renderedScene === window.__simloop?.scenePath &&
        viewport?.dataset.renderedPoseVersion === String(window.__simloop?.poseVersion)
      );
    },
    undefined,
    { timeout: 30_000 },
  );
}

export const status = (page) => page.evaluate(() => window.__simloop.status());
export const poses = (page) => page.evaluate(() => window.__simloop.poses());

/** Waits until the simulation says it is (not) playing, as the worker reports it. */
export async function waitForPlaying(page, playing) {
  await page.waitForFunction((want) => window.__simloop.status().playing === want, playing, { timeout: 15_000 });
}

/** Keeps a copy of the viewport's current pixels in the page under `name`. */
export async function snapshotViewport(page, name) {
  await waitForViewport(page);
  return page.evaluate((key) => {
    const canvas = document.querySelector('[data-testid="viewport"] canvas');
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const context = copy.getContext('2d', { willReadFrequently: true });
    context.drawImage(canvas, 0, 0);
    const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
    window.__e2eSnapshots ??= {};
    window.__e2eSnapshots[key] = pixels;
    return { width: copy.width, height: copy.height };
  }, name);
}

/** Fraction of pixels whose colour differs by more than `threshold` (0-255, any channel) between two snapshots. */
export function viewportDifference(page, a, b, threshold = 24) {
  return page.evaluate(
    ([keyA, keyB, limit]) => {
      const pa = window.__e2eSnapshots[keyA];
      const pb = window.__e2eSnapshots[keyB];
      if (pa.length !== pb.length) return 1;
      let differing = 0;
      for (let i = 0; i < pa.length; i += 4) {
        if (Math.abs(pa[i] - pb[i]) > limit || Math.abs(pa[i + 1] - pb[i + 1]) > limit || Math.abs(pa[i + 2] - pb[i + 2]) > limit) differing++;
      }
      return differing / (pa.length / 4);
    },
    [a, b, threshold],
  );
}

/** How many pixels of a snapshot are close to an (sRGB, 0-255) colour: "is that object on screen?". */
export function countColour(page, name, [r, g, b], tolerance = 60) {
  return page.evaluate(
    ([key, rgb, tol]) => {
      const pixels = window.__e2eSnapshots[key];
      let count = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (Math.abs(pixels[i] - rgb[0]) + Math.abs(pixels[i + 1] - rgb[1]) + Math.abs(pixels[i + 2] - rgb[2]) < tol) count++;
      }
      return count;
    },
    [name, [r, g, b], tolerance],
  );
}

/** Paths shown in the prim tree, in order. */
export const primPaths = (page) => page.locator('[data-testid="prim-row"]').evaluateAll((rows) => rows.map((row) => row.dataset.path));

/** The badges shown on one prim row. */
export async function primRow(page, path) {
  const row = page.locator(`[data-testid="prim-row"][data-path="${path}"]`);
  const text = async (testId) => {
    const badge = row.locator(`[data-testid="${testId}"]`);
    return (await badge.count()) ? badge.textContent() : null;
  };
  return { type: await text('prim-type'), body: await text('prim-body'), label: await text('prim-label') };
}

/**
 * Registers before/after hooks for a suite: a studio server, a browser and a page on the studio.
 * Returns an object whose `page` and `pageErrors` are set once the `before` hook has run.
 */
export function useStudioPage(timeout) {
  const studio = { server: null, browser: null, page: null, pageErrors: null };
  before(async () => {
    studio.server = await startStudioServer();
    studio.browser = await launchBrowser();
    Object.assign(studio, await openStudio(studio.browser.context, studio.server.url));
  }, { timeout });
  after(async () => {
    await studio.browser?.close();
    await studio.server?.close();
  });
  return studio;
}

/** Every file under dir (relative path → bytes), manifest.json left out (it records times): datasets compared byte for byte. */
export function datasetFiles(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  out.delete('manifest.json');
  return out;
}

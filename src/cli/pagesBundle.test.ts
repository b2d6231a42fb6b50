import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_FORMAT, HEADLESS_PAGES, cacheDir, currentBuild, sourceStamps } from './pagesBundle.ts';

describe('the headless pages bundle is used only while it matches the sources', () => {
  let root: string;
  const build = 'build-test';

  /** A checkout with a source file and a built bundle recorded as current for the sources as they are now. */
  function recordCurrent(files = sourceStamps(root), format = BUILD_FORMAT) {
    writeFileSync(join(cacheDir(root), 'current.json'), JSON.stringify({ format, root, build, files }));
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'simloop-pages-'));
    mkdirSync(join(root, 'src/engine'), { recursive: true });
    writeFileSync(join(root, 'src/engine/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'vite.config.ts'), 'export default {};\n');
    for (const page of HEADLESS_PAGES) {
      mkdirSync(join(cacheDir(root), build, page, '..'), { recursive: true });
      writeFileSync(join(cacheDir(root), build, page), '<!doctype html>');
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the recorded build while nothing changed', () => {
    recordCurrent();
    expect(currentBuild(root, sourceStamps(root))).toBe(join(cacheDir(root), build));
  });

  it('is stale when a source file is edited, added or removed', () => {
    recordCurrent();
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'src/engine/a.ts'), later, later);
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();

    recordCurrent();
    writeFileSync(join(root, 'src/engine/b.ts'), 'export const b = 2;\n');
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();

    recordCurrent();
    rmSync(join(root, 'src/engine/b.ts'));
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();
  });

  it('is stale when the vite config or the installed packages change', () => {
    recordCurrent();
    writeFileSync(join(root, 'vite.config.ts'), 'export default { base: "/x/" };\n');
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();

    recordCurrent();
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    writeFileSync(join(root, 'node_modules/.package-lock.json'), '{}');
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();
  });

  it('is not used when built another way, for another checkout, or when a page is missing', () => {
    recordCurrent(undefined, BUILD_FORMAT + 1);
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();

    writeFileSync(join(cacheDir(root), 'current.json'), JSON.stringify({ format: BUILD_FORMAT, root: '/elsewhere', build, files: sourceStamps(root) }));
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();

    recordCurrent();
    rmSync(join(cacheDir(root), build, HEADLESS_PAGES[0]));
    expect(currentBuild(root, sourceStamps(root))).toBeUndefined();
  });

  it('leaves the CLI, tests, node_modules and dot-folders out of the source stamps', () => {
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    writeFileSync(join(root, 'src/cli/main.ts'), '');
    writeFileSync(join(root, 'src/engine/a.test.ts'), '');
    mkdirSync(join(root, 'src/node_modules/x'), { recursive: true });
    writeFileSync(join(root, 'src/node_modules/x/index.js'), '');
    mkdirSync(join(root, 'src/.hidden'), { recursive: true });
    writeFileSync(join(root, 'src/.hidden/f'), '');
    const stamps = sourceStamps(root);
    expect(Object.keys(stamps)).toContain('src/engine/a.ts');
    expect(Object.keys(stamps).filter((k) => k.includes('node_modules/x') || k.includes('.hidden') || k.startsWith('src/cli') || k.endsWith('.test.ts'))).toEqual([]);
  });
});

/**
 * The headless pages the CLI opens (generate, demos, eval, the bench's ceiling probe and stage ladder), built once
 * by vite into node_modules/.cache/simloop-pages/ and served as static files.
 *
 * Serving them from vite's dev server cost ~5 s per command: the dev server transforms every
 * module the page and its workers import on first request, in every new process. A production
 * build of the pages (scripts/build-pages.mjs, in a child process so the command does not keep the
 * build's ~1 GB) takes ~4 s once; then Chromium shows the page ~2.5 s after its launch. The bundle is
 * rebuilt when a file it may have been built from changed (size or modification time of every file
 * under the source folders, the pages, the vite config and the installed packages' lock), so
 * editing the sources needs no build step. The cache works as the CLI's own (buildCache.mjs): each
 * build in its own folder, made current atomically. SIMLOOP_PAGES=dev serves the sources through vite's dev server instead (for debugging a
 * page); when a build fails the command says so in one line and uses the dev server.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { fileStamp, newBuildName, readCurrentBuild, recordCurrentBuild } from './buildCache.mjs';

/** Pages runHeadlessJob may open, relative to the repository root. */
export const HEADLESS_PAGES = ['generate.html', 'demos.html', 'eval.html', 'bench/ceiling/ceiling.html', 'bench/stages/stages.html'] as const;

/** Folders (recursively) and files whose change makes a built bundle stale. */
const SOURCE_FOLDERS = ['src', 'workers', 'public', 'scenes', 'bench/ceiling', 'bench/stages'];
const SOURCE_FILES = ['vite.config.ts', 'scripts/build-pages.mjs', 'package.json', 'package-lock.json', 'node_modules/.package-lock.json', ...HEADLESS_PAGES];

/** Bumped when the way the bundle is built changes, so older bundles are rebuilt. */
export const BUILD_FORMAT = 1;

export interface PagesBundle {
  /** The folder holding the built pages and their assets. */
  dir: string;
  /** Whether it was built by this call (the first command after a change of the sources). */
  built: boolean;
  /** Milliseconds spent checking (and building, when built). */
  ms: number;
}

export function cacheDir(root: string): string {
  return join(root, 'node_modules/.cache/simloop-pages');
}

/** "size:mtime" of every source file, by path relative to the root. */
export function sourceStamps(root: string): Record<string, string> {
  const stamps: Record<string, string> = {};
  const visit = (path: string) => {
    let info;
    try {
      info = statSync(path);
    } catch {
      return;
    }
    const rel = relative(root, path);
    if (info.isDirectory()) {
      // The pages never import the CLI (lint:deps: src/pages and workers stay below it), nor tests.
      if (rel === 'src/cli') return;
      for (const name of readdirSync(path).sort()) if (name !== 'node_modules' && !name.startsWith('.')) visit(join(path, name));
    } else if (info.isFile() && !/\.test\.tsx?$/.test(rel)) stamps[rel] = `${info.size}:${info.mtimeMs}`;
  };
  for (const folder of SOURCE_FOLDERS) visit(join(root, folder));
  for (const file of SOURCE_FILES) stamps[file] = fileStamp(join(root, file)) ?? 'absent';
  return stamps;
}

/** The same files with the same stamps: none edited, added or removed. */
function sameStamps(a: Record<string, string>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

/** The current build's folder when it was built from the sources as they are now. */
export function currentBuild(root: string, stamps: Record<string, string>): string | undefined {
  const recorded = readCurrentBuild(cacheDir(root), BUILD_FORMAT, root);
  if (!recorded || !sameStamps(stamps, recorded.files)) return undefined;
  const dir = join(cacheDir(root), recorded.build);
  return HEADLESS_PAGES.every((page) => existsSync(join(dir, page))) ? dir : undefined;
}

/** Runs scripts/build-pages.mjs in a child process, so the command's own process does not keep the build's memory (~1 GB). */
function buildInChild(root: string, outDir: string, input: Record<string, string>): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts/build-pages.mjs'), root, outDir, JSON.stringify(input)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) return resolveBuild();
      const why = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
      reject(new Error(`vite build ${signal ? `was killed (${signal})` : `exited with ${code}`}${why.length ? `: ${why.slice(0, 2).join(' ')}` : ''}`));
    });
  });
}

async function build(root: string, stamps: Record<string, string>): Promise<string> {
  const cache = cacheDir(root);
  mkdirSync(cache, { recursive: true });
  const name = newBuildName();
  const outDir = join(cache, name);
  await buildInChild(root, outDir, Object.fromEntries(HEADLESS_PAGES.map((page) => [page.replace(/\.html$/, '').replaceAll('/', '_'), resolve(root, page)])));
  recordCurrentBuild(cache, BUILD_FORMAT, root, name, stamps);
  return outDir;
}

/**
 * The built pages, building them when the sources changed since the last build; null when
 * SIMLOOP_PAGES=dev asks for the dev server. Throws when the build fails.
 */
export async function pagesBundle(root: string, onBuild?: () => void): Promise<PagesBundle | null> {
  if (process.env.SIMLOOP_PAGES === 'dev') return null;
  const started = performance.now();
  root = resolve(root);
  const stamps = sourceStamps(root);
  const current = currentBuild(root, stamps);
  if (current) return { dir: current, built: false, ms: performance.now() - started };
  onBuild?.();
  const dir = await build(root, stamps);
  return { dir, built: true, ms: performance.now() - started };
}

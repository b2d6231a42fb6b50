// A folder of builds made from the sources on first use and reused while the sources are unchanged:
// bin/simloop.mjs keeps the CLI's esbuild bundle this way (node_modules/.cache/simloop-cli) and
// pagesBundle.ts the headless pages (node_modules/.cache/simloop-pages). Plain JavaScript so the
// command's entry point can use it before any TypeScript loads.
//
// Each build has its own folder (newBuildName) and becomes current when complete: current.json
// (the build format, the checkout's root, the build's folder name, and a "size:mtime" stamp of every
// source file it was made from) is replaced atomically, so commands running side by side never see
// half a build. Builds replaced more than an hour ago are removed (a command started before may
// still load from one).
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEEP_REPLACED_MS = 3600_000;

/** "size:mtime" of a file, or null when it is not there. */
export function fileStamp(path) {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}

/** A fresh build folder name. */
export function newBuildName() {
  return `build-${Date.now().toString(36)}-${process.pid}`;
}

/** The current build's record ({ build, files }) when it was made in this format for this root; else undefined. */
export function readCurrentBuild(cache, format, root) {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (!recorded || recorded.format !== format || recorded.root !== root || typeof recorded.build !== 'string' || typeof recorded.files !== 'object' || recorded.files === null) return undefined;
  return { build: recorded.build, files: recorded.files };
}

/** Makes `build` (a folder in `cache`, complete) the current one, then removes builds replaced long ago. */
export function recordCurrentBuild(cache, format, root, build, files) {
  const pending = join(cache, `current.json.${process.pid}`);
  writeFileSync(pending, JSON.stringify({ format, root, build, files }));
  renameSync(pending, join(cache, 'current.json'));
  for (const old of readdirSync(cache)) {
    const folder = join(cache, old);
    if (old.startsWith('build-') && old !== build && Date.now() - statSync(folder).mtimeMs > KEEP_REPLACED_MS) rmSync(folder, { recursive: true, force: true });
  }
}

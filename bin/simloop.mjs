#!/usr/bin/env node
// Entry point of the `simloop` command.
//
// The CLI is TypeScript (src/cli). Transpiling it on every run cost ~2 s before any command did
// anything, so it runs from one JavaScript bundle built by esbuild and kept in
// node_modules/.cache/simloop-cli/. The bundle is rebuilt (≈1 s) when one of the source files it
// was built from changed (size or modification time), so editing the sources needs no build step.
// Packages stay external (resolved from node_modules as usual). If the bundle cannot be built, the
// sources run through tsx's loader as before. SIMLOOP_CLI_FROM_SOURCE=1 forces that.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fileStamp, newBuildName, readCurrentBuild, recordCurrentBuild } from '../src/cli/buildCache.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/main.ts');
const CACHE = join(ROOT, 'node_modules/.cache/simloop-cli');
/** Bumped when the way the bundle is built changes, so old bundles are rebuilt. */
const BUILD_FORMAT = 1;

/** The entry module of the cached build when it was built from the sources as they are now. */
function currentBuild() {
  const recorded = readCurrentBuild(CACHE, BUILD_FORMAT, ROOT);
  if (!recorded) return undefined;
  for (const [file, was] of Object.entries(recorded.files)) if (fileStamp(join(ROOT, file)) !== was) return undefined;
  const entry = join(CACHE, recorded.build, 'main.mjs');
  return existsSync(entry) ? entry : undefined;
}

async function buildBundle() {
  const esbuild = await import('esbuild');
  mkdirSync(CACHE, { recursive: true });
  // Each build has its own folder and becomes current when complete, so a command already running
  // (which loads a command's chunk after start) never sees half a build or loses its files.
  const build = newBuildName();
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { main: ENTRY },
    outdir: join(CACHE, build),
    outExtension: { '.js': '.mjs' },
    // One chunk per command, loaded when it runs: `inspect` does not load a browser or HDF5.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        // A source that finds files relative to itself keeps doing so from inside the bundle.
        name: 'source-import-meta-url',
        setup(build) {
          build.onLoad({ filter: /\.tsx?$/ }, (args) => {
            const text = readFileSync(args.path, 'utf8');
            if (!text.includes('import.meta.url')) return undefined;
            return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
          });
        },
      },
    ],
  });
  const files = {};
  for (const input of Object.keys(result.metafile.inputs)) files[input] = fileStamp(join(ROOT, input));
  recordCurrentBuild(CACHE, BUILD_FORMAT, ROOT, build, files);
  return join(CACHE, build, 'main.mjs');
}

async function loadMain() {
  if (process.env.SIMLOOP_CLI_FROM_SOURCE !== '1') {
    try {
      const entry = currentBuild() ?? (await buildBundle());
      return (await import(pathToFileURL(entry).href)).main;
    } catch (error) {
      if (process.env.SIMLOOP_DEBUG) console.error(`simloop: running from source (${error.message.split('\n')[0]})`);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import(pathToFileURL(ENTRY).href)).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));

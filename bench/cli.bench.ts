/**
 * CLI start-up: wall time of `simloop --help` and `simloop inspect scenes/tabletop.usda` as a user
 * runs them (node bin/simloop.mjs in a new process), from the cached JavaScript build (the normal
 * path) and from the TypeScript sources through tsx (SIMLOOP_CLI_FROM_SOURCE=1, how every run
 * started before), plus the one-off build after a source changed. Median of 5. Prints one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const BIN = new URL('../bin/simloop.mjs', import.meta.url).pathname;
const TABLETOP = new URL('../scenes/tabletop.usda', import.meta.url).pathname;
const CACHE = new URL('../node_modules/.cache/simloop-cli/', import.meta.url).pathname;

function wall(args: string[], env: Record<string, string> = {}): number {
  const t0 = performance.now();
  execFileSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  return performance.now() - t0;
}
const median = (xs: number[]) => Number([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0));
const repeat = (args: string[], env: Record<string, string> = {}) => median(Array.from({ length: 5 }, () => wall(args, env)));

rmSync(CACHE, { recursive: true, force: true });
const firstRunMs = Number(wall(['--help']).toFixed(0));
const result = {
  bench: 'cli-startup',
  node: process.version,
  help: { buildMs: repeat(['--help']), sourceMs: repeat(['--help'], { SIMLOOP_CLI_FROM_SOURCE: '1' }) },
  inspectTabletop: { buildMs: repeat(['inspect', TABLETOP]), sourceMs: repeat(['inspect', TABLETOP], { SIMLOOP_CLI_FROM_SOURCE: '1' }) },
  firstRunAfterChangeMs: firstRunMs,
};
console.log(JSON.stringify(result, null, 2));

/**
 * The headless Chromium the CLI renders in (and the browser tests drive): Debian's
 * /usr/bin/chromium, or the one named by $SIMLOOP_CHROMIUM, or Playwright's own when neither
 * exists. Flags give WebGL/WebGPU on the software adapter without a GPU.
 *
 * Tests drive it through Playwright (launchChromium). The CLI's long jobs open their page with
 * openHeadless instead: no DevTools connection at all, because Playwright turns on DevTools'
 * network events, which copy every request body (a dataset's files) base64-encoded from the
 * browser to Node — measured at ~110 ms of Node CPU per 640×480 frame, more than the frame's
 * rendering.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/**
 * Added for the CLI's headless jobs (measured on the 2-core build machine, SwiftShader; the same
 * bytes out with and without them): `--disable-gpu-compositing`: the page shows nothing, and
 * without a GPU compositor it does not wait for the GPU process to make its view's context before
 * running its modules (the page's main thread was blocked ~1.3 s; the first frame came ~0.5 s
 * sooner). WebGL in the frame workers is unchanged: the same pixels.
 */
export const HEADLESS_JOB_FLAGS = ['--disable-gpu-compositing', '--disable-extensions', '--mute-audio'];

/**
 * Flags for one page's work, by its file name. generate.html: WebAssembly (Rapier, in the frame
 * workers) runs from V8's baseline compiler only. The optimizing tier recompiled Rapier's hot
 * functions in the background, seconds of CPU per worker while the first frames were made, for
 * settles no faster afterwards (~1 ms a frame slower without it over 100 frames): a 2-frame run
 * took 11–13 s of CPU over all processes instead of 18–19, and its first frame came ~0.7 s
 * sooner. Not for the policy pages: onnxruntime's kernels are WebAssembly that the optimizing tier
 * does speed up. stages.html (the bench's stage ladder) runs generate's frame pipeline, so it runs
 * it under the same flags.
 */
export const PAGE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'generate.html': ['--js-flags=--liftoff-only'],
  'stages.html': ['--js-flags=--liftoff-only'],
};

/** The flags openHeadless adds for the page at `url` (PAGE_FLAGS, by the path's last part). */
export function pageFlags(url: string): readonly string[] {
  const name = new URL(url).pathname.split('/').at(-1) ?? '';
  return PAGE_FLAGS[name] ?? [];
}

/** Chromium to drive: $SIMLOOP_CHROMIUM when set, else Debian's, else Playwright's own (undefined). */
export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.SIMLOOP_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`SIMLOOP_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

/** Playwright is loaded when a browser is needed (it takes longer to load than the rest of the CLI). */
const playwrightChromium = async () => (await import('playwright-core')).chromium;

export async function launchChromium(): Promise<Browser> {
  const chromium = await playwrightChromium();
  try {
    return await chromium.launch({ executablePath: chromiumExecutable(), headless: true, args: CHROMIUM_FLAGS });
  } catch (error) {
    const first = (error as Error).message.split('\n')[0];
    throw new Error(`could not start Chromium (${first}); install it (Debian: apt-get install chromium) or set SIMLOOP_CHROMIUM to a Chromium binary`);
  }
}

/** A Chromium process showing one page, with no remote control. */
export interface HeadlessPage {
  /** Settles when the process ends: its exit code (or signal) and its last lines of stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderrTail: string }>;
  /** Ends the process (SIGTERM, then SIGKILL after 5 s) and removes its profile folder. */
  close(): Promise<void>;
}

/** Opens `url` in a headless Chromium of its own (fresh profile), without DevTools. */
export async function openHeadless(url: string): Promise<HeadlessPage> {
  let executable = chromiumExecutable();
  if (!executable) {
    executable = (await playwrightChromium()).executablePath();
    if (!existsSync(executable)) {
      throw new Error('could not start Chromium (none found); install it (Debian: apt-get install chromium) or set SIMLOOP_CHROMIUM to a Chromium binary');
    }
  }
  const profile = await mkdtemp(join(tmpdir(), 'simloop-chromium-'));
  const child = spawn(executable, [...CHROMIUM_FLAGS, ...HEADLESS_JOB_FLAGS, ...pageFlags(url), `--user-data-dir=${profile}`, url], { stdio: ['ignore', 'ignore', 'pipe'] });
  const tail: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    tail.push(...chunk.split('\n').filter((line) => line.trim()));
    if (tail.length > 20) tail.splice(0, tail.length - 20);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderrTail: string }>((resolveExit) => {
    child.on('error', (error) => resolveExit({ code: null, signal: null, stderrTail: `could not start ${executable}: ${error.message}` }));
    child.on('exit', (code, signal) => resolveExit({ code, signal, stderrTail: tail.join('\n') }));
  });
  return {
    exited,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      await rm(profile, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/**
 * The headless Chromium the CLI renders in (and the browser tests drive): Debian's
 * /usr/bin/chromium, or the one named by $SIMLOOP_CHROMIUM, or Playwright's own when neither
 * exists. Flags give WebGL/WebGPU on the software adapter without a GPU.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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

/** Chromium to drive: $SIMLOOP_CHROMIUM when set, else Debian's, else Playwright's own (undefined). */
export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.SIMLOOP_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`SIMLOOP_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: chromiumExecutable(), headless: true, args: CHROMIUM_FLAGS });
  } catch (error) {
    const first = (error as Error).message.split('\n')[0];
    throw new Error(`could not start Chromium (${first}); install it (Debian: apt-get install chromium) or set SIMLOOP_CHROMIUM to a Chromium binary`);
  }
}

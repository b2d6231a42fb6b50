import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { HeadlessPage } from './browser.ts';
import { launchEarlyPage } from './earlyPage.ts';

/** A stand-in for Chromium: remembers the URL it was asked to show and whether it was closed. */
function fakeBrowser() {
  const state = { url: '', closed: 0 };
  const open = async (url: string): Promise<HeadlessPage> => {
    state.url = url;
    return { exited: new Promise(() => {}), close: async () => void state.closed++ };
  };
  return { state, open };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('launchEarlyPage', () => {
  it('opens the page on its own server at once, holds requests until serve() and then answers them in order', async () => {
    const browser = fakeBrowser();
    const early = await launchEarlyPage('generate.html', browser.open);
    expect(browser.state.url).toBe(`${early.base}generate.html`);
    expect(early.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const answered: string[] = [];
    const first = get(`${early.base}a`).then((r) => (answered.push('a'), r));
    const second = get(`${early.base}b`).then((r) => (answered.push('b'), r));
    // Nothing answers before the job's server takes over.
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toEqual([]);
    const seen: string[] = [];
    early.serve((req, res) => {
      seen.push(req.url ?? '');
      res.end(`served ${req.url}`);
    }, () => false);
    expect(await first).toEqual({ status: 200, body: 'served /a' });
    expect(await second).toEqual({ status: 200, body: 'served /b' });
    expect(seen).toEqual(['/a', '/b']);
    // Later requests go straight to the listener.
    expect((await get(`${early.base}c`)).body).toBe('served /c');
    expect(() => early.serve(() => {}, () => false)).toThrow(/twice/);
    await early.close();
    await early.close();
    expect(browser.state.closed).toBe(1);
    await expect(get(`${early.base}d`)).rejects.toThrow();
  });

  it('closed before it served (bad input): the browser ends, waiting requests are dropped, the port is freed', async () => {
    const browser = fakeBrowser();
    const early = await launchEarlyPage('generate.html', browser.open);
    const waiting = get(`${early.base}generate.html`);
    await new Promise((r) => setTimeout(r, 50));
    await early.close();
    await expect(waiting).rejects.toThrow();
    expect(browser.state.closed).toBe(1);
  });

  it('passes on a browser that could not start to whoever awaits it, and still closes', async () => {
    const early = await launchEarlyPage('generate.html', async () => {
      throw new Error('could not start Chromium (none found)');
    });
    await expect(early.chromium).rejects.toThrow(/could not start Chromium/);
    await early.close();
  });
});

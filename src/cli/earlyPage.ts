/**
 * A headless page launched as a command starts, before the command has loaded its modules and
 * checked its inputs: Chromium's launch (~1.2 s on the 2-core build machine, to its first request)
 * then overlaps them (~0.8 s) instead of following them. The page's address is fixed at once (a
 * server listening on a free port); requests that arrive before the job's server takes over
 * (serve()) wait, and are answered in order when it does. A command whose input turns out bad
 * closes it and fails as before: Chromium never got past its first request.
 *
 * Only node: built-ins and browser.ts here, so launching costs the command nothing to load.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HeadlessPage, openHeadless } from './browser.ts';

/** Takes a WebSocket upgrade it serves (true) or leaves it (false: the socket is destroyed). */
export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface EarlyPage {
  /** The server's root, http://127.0.0.1:<port>/. */
  readonly base: string;
  /** The page it opened, relative to the root (e.g. "generate.html"). */
  readonly page: string;
  /** Chromium showing the page; rejects when it could not start. */
  readonly chromium: Promise<HeadlessPage>;
  /** Starts answering: the requests that waited first, in the order they came. Once. */
  serve(listener: RequestListener, upgrade: UpgradeListener): void;
  /** Ends Chromium and the server (the job's runner does when it took them). */
  close(): Promise<void>;
}

/** `open` shows the page (tests pass a stand-in for Chromium). */
export async function launchEarlyPage(page: string, open: (url: string) => Promise<HeadlessPage> = openHeadless): Promise<EarlyPage> {
  let listener: RequestListener | null = null;
  let upgrade: UpgradeListener | null = null;
  const waiting: [IncomingMessage, ServerResponse][] = [];
  const server = createServer((req, res) => {
    if (listener) listener(req, res);
    else waiting.push([req, res]);
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    if (!upgrade?.(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const chromium = open(`${base}${page}`);
  // Whoever awaits it sees the failure; a command that fails first must not see it unhandled.
  chromium.catch(() => {});
  let closing: Promise<void> | null = null;
  return {
    base,
    page,
    chromium,
    serve(next, nextUpgrade) {
      if (listener) throw new Error('early page: serve() called twice');
      listener = next;
      upgrade = nextUpgrade;
      for (const [req, res] of waiting.splice(0)) next(req, res);
    },
    close() {
      closing ??= (async () => {
        await (await chromium.catch(() => null))?.close().catch(() => {});
        for (const [, res] of waiting.splice(0)) res.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      })();
      return closing;
    },
  };
}

/**
 * Runs one job in a page of headless Chromium, the way `simloop generate`, `demos` and `eval` do:
 * a local HTTP server serves the page (the same page and worker code as the studio, built once by
 * pagesBundle.ts; vite's dev server serves the sources instead with SIMLOOP_PAGES=dev), the job's
 * input files (GET /__simloop/input/<name>) and the HTTP sink into Node's file system
 * (/__simloop/sink); Chromium opens the page with no DevTools connection (see browser.ts); the page
 * asks for the request (GET /__simloop/job), posts progress (/__simloop/progress), uncaught errors
 * (/__simloop/page-error) and its response (/__simloop/done). The page side is
 * src/pages/pageJob.ts.
 */
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ViteDevServer } from 'vite';
import type { Sink } from '../engine/dataset/types.ts';
import { type HeadlessPage, openHeadless } from './browser.ts';
import type { EarlyPage } from './earlyPage.ts';
import { sinkMiddleware } from './sinks/httpSinkServer.ts';
import { sinkSocketServer } from './sinks/sinkSocket.ts';
import { CROSS_ORIGIN_ISOLATION } from './crossOriginIsolation.ts';
import { HEADLESS_PAGES, type PagesBundle, pagesBundle } from './pagesBundle.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How long Chromium may take to open the page and ask for the job (from the sources, vite transforms every module on first load). */
const PAGE_START_SECONDS = 120;

/** What a page answers: its result, or one line saying why not. */
export type PageResponse<R> = { ok: true; result: R } | { ok: false; error: string };

/** How the page started, for a command's start-up report. Times are performance.now() in Node: milliseconds since the process started. */
export interface StartupTimes {
  /** The built pages (pagesBundle.ts) or the sources through vite's dev server. */
  served: 'bundle' | 'sources';
  /** Milliseconds spent building the pages (0 when the last build was current). */
  pagesBuildMs: number;
  /** When the server listened. */
  serverReady: number;
  /** When the page, loaded in Chromium, asked for the job. */
  pageReady: number;
}

export interface HeadlessJob<Q, P> {
  /** The page, relative to the repository root (e.g. "generate.html"). */
  page: string;
  /** Sent to the page as JSON. */
  request: Q;
  /** Files the page may fetch as /__simloop/input/<name>. */
  inputs: Record<string, Uint8Array | null>;
  /** Where the page writes (through the HTTP sink). */
  sink: Sink;
  onProgress?: (progress: P) => void;
  /** Called once the page has asked for the job. */
  onStartup?: (startup: StartupTimes) => void;
  /**
   * The page already launched by the command as it started (earlyPage.ts): its server takes the
   * job's routes and the built pages. Closed here either way; when the page is served from the
   * sources instead, it is closed unused and Chromium launched as usual.
   */
  early?: EarlyPage;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolveBody(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

/** Node's side of the conversation with the page. */
function pageChannel<Q, P, R>(request: Q, onProgress?: (progress: P) => void) {
  let markAsked!: () => void;
  let finish!: (response: PageResponse<R>) => void;
  const asked = new Promise<void>((r) => (markAsked = r));
  const done = new Promise<PageResponse<R>>((r) => (finish = r));
  const pageErrors: string[] = [];
  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    const route = (req.url ?? '').split('?')[0];
    const reply = (status: number, body?: string) => {
      res.statusCode = status;
      if (body !== undefined) res.setHeader('content-type', 'application/json');
      res.end(body);
    };
    if (route === '/job' && req.method === 'GET') {
      markAsked();
      return reply(200, JSON.stringify(request));
    }
    if (req.method !== 'POST' || !['/progress', '/done', '/page-error'].includes(route ?? '')) return next();
    readJson(req).then(
      (body) => {
        if (route === '/progress') onProgress?.(body as P);
        else if (route === '/done') finish(body as PageResponse<R>);
        else pageErrors.push(String((body as { message?: unknown }).message));
        reply(204);
      },
      () => reply(400),
    );
  };
  return { asked, done, pageErrors, middleware };
}

/** A connect-style handler; `next()` passes the request on. */
type Handler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
/** Takes a WebSocket upgrade it serves (true) or leaves it (false). */
type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/** Where the page finds the output sink: HTTP (httpSinkServer.ts) and its batch socket (sinkSocket.ts). */
const SINK_PREFIX = '/__simloop/sink';

/** The job's routes (inputs, sink, the page channel), each mounted at its prefix as connect mounts. */
function jobRoutes(inputs: Record<string, Uint8Array | null>, sink: Sink, channel: ReturnType<typeof pageChannel>): [string, Handler][] {
  const serveInput = (bytes: Uint8Array | null): Handler => (_req, res) => {
    if (!bytes) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.end(bytes);
  };
  return [...Object.entries(inputs).map(([name, bytes]): [string, Handler] => [`/__simloop/input/${name}`, serveInput(bytes)]), [SINK_PREFIX, sinkMiddleware('', sink)], ['/__simloop', channel.middleware]];
}

/** The built pages and the job's routes for a plain HTTP server (no vite: nothing to transform, nothing to compress). */
async function bundleListener(dir: string, routes: [string, Handler][]): Promise<RequestListener> {
  const { default: sirv } = await import('sirv');
  const files = sirv(dir, { dev: false, etag: true, setHeaders: (res) => Object.entries(CROSS_ORIGIN_ISOLATION).forEach(([k, v]) => res.setHeader(k, v)) });
  return (req, res) => {
    const url = req.url ?? '/';
    const notFound = () => {
      res.statusCode = 404;
      res.end();
    };
    const fail = (error: unknown) => {
      if (!res.headersSent) res.statusCode = 500;
      res.end(error instanceof Error ? error.message : String(error));
    };
    const run = (i: number): void => {
      if (i === routes.length) return files(req, res, notFound);
      const [prefix, handle] = routes[i]!;
      const rest = url.startsWith(prefix) ? url.slice(prefix.length) : null;
      if (rest === null || (rest !== '' && rest[0] !== '/' && rest[0] !== '?')) return run(i + 1);
      req.url = rest.startsWith('/') ? rest : `/${rest}`;
      try {
        handle(req, res, (error) => {
          req.url = url;
          if (error) fail(error);
          else run(i + 1);
        });
      } catch (error) {
        fail(error);
      }
    };
    run(0);
  };
}

async function serveBundle(dir: string, routes: [string, Handler][], upgrade: UpgradeHandler, port: number): Promise<{ close(): Promise<void> }> {
  const server = createHttpServer(await bundleListener(dir, routes));
  server.on('upgrade', (req, socket, head) => {
    if (!upgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  return {
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/**
 * Serves the page: the built pages (pagesBundle.ts), or the sources through vite's dev server
 * when SIMLOOP_PAGES=dev, when the page is not one of the built ones, or when the build failed.
 */
async function startAppServer(page: string, routes: [string, Handler][], upgrade: UpgradeHandler, startup: StartupTimes, early?: EarlyPage): Promise<{ url: string; close(): Promise<void>; early?: EarlyPage }> {
  let bundle: PagesBundle | null = null;
  try {
    bundle = await pagesBundle(ROOT, () => process.stderr.write('simloop: building the headless pages (once after the sources change)…\n'));
  } catch (error) {
    process.stderr.write(`simloop: could not build the headless pages (${(error as Error).message.split('\n')[0]}); serving them from the sources\n`);
  }
  if (bundle) startup.pagesBuildMs = bundle.built ? bundle.ms : 0;
  const built = bundle && HEADLESS_PAGES.includes(page as (typeof HEADLESS_PAGES)[number]) ? bundle : null;
  if (built && early?.page === page) {
    early.serve(await bundleListener(built.dir, routes), upgrade);
    startup.served = 'bundle';
    return { url: early.base, close: () => early.close(), early };
  }
  await early?.close();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  if (built) {
    const server = await serveBundle(built.dir, routes, upgrade, port);
    startup.served = 'bundle';
    return { url, close: () => server.close() };
  }
  // Vite is loaded only by the commands that serve a page from the sources.
  const { createServer: createViteServer } = await import('vite');
  const server: ViteDevServer = await createViteServer({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.ts'),
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    optimizeDeps: { entries: [page] },
    plugins: [
      {
        name: 'simloop-headless-job',
        configureServer(dev) {
          for (const [prefix, handle] of routes) dev.middlewares.use(prefix, handle);
          dev.httpServer?.on('upgrade', (req, socket, head) => void upgrade(req, socket, head));
        },
      },
    ],
  });
  await server.listen();
  startup.served = 'sources';
  return { url, close: () => server.close() };
}

/** Runs the job in the page; resolves with its result, throws its error (one line). */
export async function runHeadlessJob<Q, P, R>(job: HeadlessJob<Q, P>): Promise<R> {
  const channel = pageChannel<Q, P, R>(job.request, job.onProgress);
  const startup: StartupTimes = { served: 'sources', pagesBuildMs: 0, serverReady: 0, pageReady: 0 };
  const socket = sinkSocketServer(SINK_PREFIX, job.sink);
  let app: Awaited<ReturnType<typeof startAppServer>>;
  try {
    app = await startAppServer(job.page, jobRoutes(job.inputs, job.sink, channel as ReturnType<typeof pageChannel>), (req, s, head) => socket.handleUpgrade(req, s, head), startup, job.early);
  } catch (error) {
    socket.close();
    await job.early?.close();
    throw error;
  }
  startup.serverReady = performance.now();
  let page: HeadlessPage | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    page = app.early ? await app.early.chromium : await openHeadless(`${app.url}${job.page}`);
    const exited = page.exited.then(({ code, signal, stderrTail }) => {
      const why = [channel.pageErrors[0], stderrTail.split('\n').at(-1)].filter(Boolean).join('; ');
      throw new Error(`Chromium exited (${signal ?? `code ${code}`}) before the job finished${why ? `: ${why}` : ''}`);
    });
    const slow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the page ${job.page} did not start within ${PAGE_START_SECONDS} s${channel.pageErrors[0] ? ` (${channel.pageErrors[0]})` : ''}`)), PAGE_START_SECONDS * 1000);
    });
    await Promise.race([channel.asked, exited, slow]);
    clearTimeout(timer);
    startup.pageReady = performance.now();
    job.onStartup?.(startup);
    const response = await Promise.race([channel.done, exited]);
    if (!response.ok) throw new Error(response.error);
    return response.result;
  } finally {
    clearTimeout(timer);
    await page?.close().catch(() => {});
    socket.close();
    await app.close().catch(() => {});
  }
}

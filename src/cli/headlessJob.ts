/**
 * Runs one job in a page of headless Chromium, the way `simloop generate` and `simloop demos` do:
 * a vite dev server serves the app (the same page and worker code as the studio), the job's input
 * files (GET /__simloop/input/<name>) and the HTTP sink into Node's file system
 * (/__simloop/sink); Chromium opens the page with no DevTools connection (see browser.ts); the page
 * asks for the request (GET /__simloop/job), posts progress (/__simloop/progress), uncaught errors
 * (/__simloop/page-error) and its response (/__simloop/done). The page side is
 * src/pages/pageJob.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ViteDevServer } from 'vite';
import type { Sink } from '../engine/dataset/types.ts';
import { type HeadlessPage, openHeadless } from './browser.ts';
import { sinkMiddleware } from './sinks/httpSinkServer.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How long Chromium may take to open the page and ask for the job (vite transforms modules on first load). */
const PAGE_START_SECONDS = 120;

/** What a page answers: its result, or one line saying why not. */
export type PageResponse<R> = { ok: true; result: R } | { ok: false; error: string };

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

async function startAppServer(page: string, inputs: Record<string, Uint8Array | null>, sink: Sink, channel: ReturnType<typeof pageChannel>): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const serveInput = (bytes: Uint8Array | null) => (_req: IncomingMessage, res: ServerResponse) => {
    if (!bytes) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.end(bytes);
  };
  // Vite is loaded only by the commands that serve a page.
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
          for (const [name, bytes] of Object.entries(inputs)) dev.middlewares.use(`/__simloop/input/${name}`, serveInput(bytes));
          dev.middlewares.use('/__simloop/sink', sinkMiddleware('', sink));
          dev.middlewares.use('/__simloop', channel.middleware);
        },
      },
    ],
  });
  await server.listen();
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/** Runs the job in the page; resolves with its result, throws its error (one line). */
export async function runHeadlessJob<Q, P, R>(job: HeadlessJob<Q, P>): Promise<R> {
  const channel = pageChannel<Q, P, R>(job.request, job.onProgress);
  const app = await startAppServer(job.page, job.inputs, job.sink, channel as ReturnType<typeof pageChannel>);
  let page: HeadlessPage | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    page = await openHeadless(`${app.url}${job.page}`);
    const exited = page.exited.then(({ code, signal, stderrTail }) => {
      const why = [channel.pageErrors[0], stderrTail.split('\n').at(-1)].filter(Boolean).join('; ');
      throw new Error(`Chromium exited (${signal ?? `code ${code}`}) before the job finished${why ? `: ${why}` : ''}`);
    });
    const slow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the page ${job.page} did not start within ${PAGE_START_SECONDS} s${channel.pageErrors[0] ? ` (${channel.pageErrors[0]})` : ''}`)), PAGE_START_SECONDS * 1000);
    });
    await Promise.race([channel.asked, exited, slow]);
    clearTimeout(timer);
    const response = await Promise.race([channel.done, exited]);
    if (!response.ok) throw new Error(response.error);
    return response.result;
  } finally {
    clearTimeout(timer);
    await page?.close().catch(() => {});
    await app.close().catch(() => {});
  }
}

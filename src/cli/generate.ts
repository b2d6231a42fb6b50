/**
 * `simloop generate`: validates the job in Node (so bad input fails in a second, with one line),
 * then renders in headless Chromium through the same page code and workers as the studio. Node
 * serves the app (vite) and the inputs, and owns the output directory: the page writes through the
 * HTTP sink into an fs sink here. Prints a progress line (frames, frames/s, ETA) to stderr.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { dirname, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { createServer as createViteServer, type ViteDevServer } from 'vite';
import { InputError } from '../engine/errors.ts';
import type { Sink } from '../engine/dataset/types.ts';
import { faultySink } from '../engine/dataset/sinks/faulty.ts';
import type { GenerationProgress, GenerationResult } from '../engine/jobs/generate.ts';
import { type GenerateJob, type GenerateJobInput, parseGenerateJob, parseShard } from '../engine/jobs/job.ts';
import { planGeneration } from '../engine/jobs/plan.ts';
import type { PageRequest, PageResponse } from '../sdg/generatePage.ts';
import { type HeadlessPage, openHeadless } from './browser.ts';
import { checkWritable, fsSink } from './sinks/fsSink.ts';
import { sinkMiddleware } from './sinks/httpSinkServer.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function readInput(file: string, what: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new InputError(file, `no such ${what} file`);
  }
  if (!info.isFile()) throw new InputError(file, `not a regular file (expected a ${what} file)`);
  return new Uint8Array(await readFile(file));
}

/** Reads a job file (YAML or JSON); relative paths in it are resolved against its folder. */
export async function readJobFile(file: string): Promise<GenerateJobInput> {
  const text = new TextDecoder().decode(await readInput(file, 'job'));
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new InputError(file, `not valid YAML or JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(file, 'expected a mapping of job fields (scene, frames, seed, out, …)');
  const job = { ...(value as Record<string, unknown>) };
  const base = dirname(resolve(file));
  for (const key of ['scene', 'out', 'randomize'] as const) if (typeof job[key] === 'string') job[key] = resolve(base, job[key] as string);
  if (typeof job.shard === 'string') job.shard = parseShard(job.shard, `${file}: shard`);
  return job as GenerateJobInput;
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

/**
 * Test hooks, from $SIMLOOP_FAULT: "crash-worker@F" kills the worker the first time it renders
 * frame F; "no-space@N" / "read-only@N" make the destination fail after N bytes.
 */
export function parseFaults(text: string | undefined): { crashAtFrame?: number; sink?: { error: 'no-space' | 'read-only'; failAfterBytes: number } } {
  if (!text) return {};
  const m = /^(crash-worker|no-space|read-only)@(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`SIMLOOP_FAULT="${text}": expected crash-worker@FRAME, no-space@BYTES or read-only@BYTES`);
  if (m[1] === 'crash-worker') return { crashAtFrame: Number(m[2]) };
  return { sink: { error: m[1] as 'no-space' | 'read-only', failAfterBytes: Number(m[2]) } };
}

export function formatProgress(p: GenerationProgress): string {
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 100;
  const eta = p.etaSeconds === null ? '–' : p.etaSeconds < 90 ? `${Math.ceil(p.etaSeconds)} s` : `${Math.ceil(p.etaSeconds / 60)} min`;
  const phase = p.phase === 'frames' ? '' : ` · ${p.phase === 'finalize' ? 'writing aggregate files' : 'done'}`;
  const retried = p.retried ? ` · ${p.retried} redone after a worker crash` : '';
  return `frames ${p.done}/${p.total} (${pct}%) · ${p.framesPerSecond.toFixed(1)} frames/s · ETA ${eta}${retried}${phase}`;
}

interface AppServer {
  url: string;
  close(): Promise<void>;
}

/** Node's side of the conversation with generate.html (see src/sdg/generatePage.ts). */
interface PageChannel {
  request: PageRequest;
  onProgress?: (progress: GenerationProgress) => void;
  /** Set when the page has asked for the job. */
  asked: Promise<void>;
  done: Promise<PageResponse>;
  pageErrors: string[];
  middleware(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
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

function pageChannel(request: PageRequest, onProgress?: (progress: GenerationProgress) => void): PageChannel {
  let markAsked!: () => void;
  let finish!: (response: PageResponse) => void;
  const asked = new Promise<void>((r) => (markAsked = r));
  const done = new Promise<PageResponse>((r) => (finish = r));
  const pageErrors: string[] = [];
  return {
    request,
    onProgress,
    asked,
    done,
    pageErrors,
    middleware(req, res, next) {
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
          if (route === '/progress') onProgress?.(body as GenerationProgress);
          else if (route === '/done') finish(body as PageResponse);
          else pageErrors.push(String((body as { message?: unknown }).message));
          reply(204);
        },
        () => reply(400),
      );
    },
  };
}

async function startAppServer(sink: Sink, scene: Uint8Array, spec: Uint8Array | null, channel: PageChannel): Promise<AppServer> {
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
  const server: ViteDevServer = await createViteServer({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.ts'),
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    optimizeDeps: { entries: ['generate.html'] },
    plugins: [
      {
        name: 'simloop-generate-io',
        configureServer(dev) {
          dev.middlewares.use('/__simloop/input/scene', serveInput(scene));
          dev.middlewares.use('/__simloop/input/spec', serveInput(spec));
          dev.middlewares.use('/__simloop/sink', sinkMiddleware('', sink));
          dev.middlewares.use('/__simloop', channel.middleware);
        },
      },
    ],
  });
  await server.listen();
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

export interface GenerateRun {
  job: GenerateJob;
  onProgress?: (progress: GenerationProgress) => void;
}

/** Runs the job; throws InputError for bad input and Error for failures while generating. */
export async function runGenerateJob({ job, onProgress }: GenerateRun): Promise<GenerationResult> {
  const sceneBytes = await readInput(job.scene, 'scene');
  const specBytes = job.randomize ? await readInput(job.randomize, 'randomization spec') : null;
  const sceneFile = basename(job.scene);
  const specFile = job.randomize ? basename(job.randomize) : null;
  // Fail fast in Node: the same checks the page will make.
  await planGeneration({ sceneBytes, sceneFile, specText: specBytes ? new TextDecoder().decode(specBytes) : null, specFile }, job);
  const out = resolve(job.out);
  await checkWritable(out);
  const faults = parseFaults(process.env.SIMLOOP_FAULT);
  let sink = fsSink(out);
  if (faults.sink) sink = faultySink(sink, faults.sink);

  const request: PageRequest = { job: { ...job, scene: sceneFile, out: '.', randomize: specFile }, sceneFile, specFile, faults: faults.crashAtFrame !== undefined ? { crashAtFrame: faults.crashAtFrame } : {} };
  const channel = pageChannel(request, onProgress);
  const app = await startAppServer(sink, sceneBytes, specBytes, channel);
  let page: HeadlessPage | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    page = await openHeadless(`${app.url}generate.html`);
    const exited = page.exited.then(({ code, signal, stderrTail }) => {
      const why = [channel.pageErrors[0], stderrTail.split('\n').at(-1)].filter(Boolean).join('; ');
      throw new Error(`Chromium exited (${signal ?? `code ${code}`}) before the job finished${why ? `: ${why}` : ''}`);
    });
    const slow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the generate page did not start within ${PAGE_START_SECONDS} s${channel.pageErrors[0] ? ` (${channel.pageErrors[0]})` : ''}`)), PAGE_START_SECONDS * 1000);
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

/** How long Chromium may take to open the page and ask for the job (vite transforms modules on first load). */
const PAGE_START_SECONDS = 120;

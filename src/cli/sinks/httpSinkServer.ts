/**
 * The server side of the HTTP sink: a connect-style middleware that lets a renderer in headless
 * Chromium write a dataset through the CLI's Node process. Mount it in a vite dev server
 * (`configureServer(server) { server.middlewares.use(sinkMiddleware('/__simloop/sink', fsSink(out))) }`)
 * or call it from a plain node:http server. It validates every path before the sink sees it and
 * answers failures as JSON {kind, message, path}; the protocol is in
 * src/engine/dataset/sinks/httpProtocol.ts. Requests outside `prefix` go to `next()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sink } from '../../engine/dataset/types.ts';
import { firstLine, SinkError } from '../../engine/dataset/sinks/errors.ts';
import { decodeBatch, splitCommit, encodeReadReply, MAX_READ_PATHS, SINK_TOKEN_HEADER, type SinkErrorBody, STATUS_FOR_KIND, STREAM_OPS, type StreamOp } from '../../engine/dataset/sinks/httpProtocol.ts';
import { readFiles } from '../../engine/dataset/sinks/readFiles.ts';
import { writeFiles } from '../../engine/dataset/sinks/writeFiles.ts';
import { pathProblem } from '../../engine/dataset/sinks/paths.ts';
import type { SinkStream } from '../../engine/dataset/sinks/stream.ts';

export interface SinkMiddlewareOptions {
  /** When set, requests must carry it in the x-simloop-sink-token header. */
  token?: string;
  /** Largest request body accepted (default 1 GiB). */
  maxBodyBytes?: number;
}

export interface SinkMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** Aborts the streams clients left open (call when the export ends or the server closes). */
  abortOpenStreams(): Promise<void>;
}

/** A failure answered to the client; everything thrown inside the handler becomes one of these. */
class Reply extends Error {
  constructor(
    readonly status: number,
    readonly body: { kind: string; message: string; path?: string },
  ) {
    super(body.message);
  }
}

const bad = (message: string, path?: string) => new Reply(400, { kind: 'invalid-path', message, ...(path !== undefined ? { path } : {}) });

/** The first path of a batch that could leave the dataset, as the error answered for it; null when all are clean. */
export function batchPathError(files: readonly { path: string }[]): SinkErrorBody | null {
  for (const file of files) {
    const problem = pathProblem(file.path, false);
    if (problem) return { kind: 'invalid-path', message: `invalid path ${JSON.stringify(file.path)}: ${problem}`, path: file.path };
  }
  return null;
}

/** What the server answers for a failure of the sink (its SinkError as it is) or of anything else (one line, kind 'other'). */
export function sinkErrorBody(error: unknown): SinkErrorBody {
  if (error instanceof SinkError) return error.toJSON();
  return { kind: 'other', message: `the sink server failed: ${firstLine(error instanceof Error ? error.message : String(error))}` };
}

export function sinkMiddleware(prefix: string, sink: Sink, options: SinkMiddlewareOptions = {}): SinkMiddleware {
  const root = prefix.replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 30;
  const streams = new Map<string, { id: string; stream: SinkStream }>();
  let streamSerial = 0;

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, route: string): Promise<void> {
    if (options.token !== undefined && req.headers[SINK_TOKEN_HEADER] !== options.token) {
      throw new Reply(403, { kind: 'permission', message: 'the sink server refused the request: missing or wrong sink token' });
    }
    const method = req.method ?? 'GET';
    const param = (name: string, allowRoot = false): string => {
      const value = url.searchParams.get(name);
      if (value === null) throw bad(`the "${name}" query parameter is missing`);
      const problem = pathProblem(value, allowRoot);
      if (problem) throw bad(`invalid path ${JSON.stringify(value)}: ${problem}`, value);
      return value;
    };
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new Reply(405, { kind: 'other', message: `${method} is not allowed on ${root}${route} (use ${methods.join(' or ')})` });
    };

    if (route === '/file') {
      allow('GET', 'PUT', 'DELETE');
      const path = param('path');
      if (method === 'GET') {
        const bytes = await sink.read(path);
        if (!bytes) throw new Reply(404, { kind: 'not-found', message: `cannot read ${path}: no such file`, path });
        return send(res, 200, bytes, 'application/octet-stream');
      }
      if (method === 'PUT') await sink.write(path, await readBody(req, maxBodyBytes));
      else await sink.remove(path);
      return send(res, 204);
    }

    if (route === '/files') {
      allow('POST');
      const batch = decodeBatch(await readBody(req, maxBodyBytes));
      if (typeof batch === 'string') throw new Reply(400, { kind: 'other', message: batch });
      const invalid = batchPathError(batch);
      if (invalid) throw new Reply(400, invalid);
      const { files, commit } = splitCommit(batch);
      await writeFiles(sink, files, commit ? { commit } : {});
      return send(res, 204);
    }

    if (route === '/read') {
      allow('POST');
      let paths: unknown;
      try {
        paths = JSON.parse(new TextDecoder().decode(await readBody(req, maxBodyBytes)));
      } catch {
        throw new Reply(400, { kind: 'other', message: 'the read request is not JSON (expected a list of paths)' });
      }
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw new Reply(400, { kind: 'other', message: 'the read request is not a list of paths' });
      if (paths.length > MAX_READ_PATHS) throw new Reply(400, { kind: 'other', message: `the read request asks for ${paths.length} files, more than ${MAX_READ_PATHS}` });
      const invalid = batchPathError(paths.map((path) => ({ path })));
      if (invalid) throw new Reply(400, invalid);
      const files = await readFiles(sink, paths);
      const parts = encodeReadReply(files.map((f) => (f ? new Uint8Array(f.buffer as ArrayBuffer, f.byteOffset, f.byteLength) : null)));
      res.statusCode = 200;
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('cache-control', 'no-store');
      res.setHeader('content-length', String(parts.reduce((n, p) => n + p.byteLength, 0)));
      for (const part of parts) res.write(part);
      res.end();
      return;
    }

    if (route === '/list') {
      allow('GET');
      return sendJson(res, 200, await sink.list(param('dir', true)));
    }

    if (route === '/stream') {
      allow('POST');
      const path = param('path');
      const op = url.searchParams.get('op') as StreamOp | null;
      if (!op || !STREAM_OPS.includes(op)) throw new Reply(400, { kind: 'other', message: `the "op" query parameter must be one of ${STREAM_OPS.join(', ')}` });
      if (op === 'open') {
        const stale = streams.get(path);
        streams.delete(path);
        await stale?.stream.abort();
        const id = String(++streamSerial);
        streams.set(path, { id, stream: await sink.create(path) });
        return sendJson(res, 200, { id });
      }
      const open = streams.get(path);
      const mine = open && open.id === url.searchParams.get('id') ? open : undefined;
      if (op === 'abort') {
        if (mine) {
          streams.delete(path);
          await mine.stream.abort();
        }
        return send(res, 204);
      }
      if (!mine) throw new Reply(409, { kind: 'other', message: `cannot write ${path}: no open stream with that id (it was closed, aborted or re-opened)`, path });
      if (op === 'append') {
        await mine.stream.write(await readBody(req, maxBodyBytes));
      } else {
        streams.delete(path);
        await mine.stream.close();
      }
      return send(res, 204);
    }

    throw new Reply(404, { kind: 'other', message: `unknown sink endpoint ${root}${route} (expected file, files, read, list or stream)` });
  }

  const middleware = ((req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://sink.invalid');
    if (!url.pathname.startsWith(`${root}/`)) return next();
    const route = url.pathname.slice(root.length);
    handle(req, res, url, route).catch((error: unknown) => {
      const reply = error instanceof Reply ? error : new Reply(error instanceof SinkError ? STATUS_FOR_KIND[error.kind] : 500, sinkErrorBody(error));
      if (res.headersSent) return res.destroy();
      req.resume(); // drain an unread body so the connection can be reused
      sendJson(res, reply.status, reply.body);
    });
  }) as SinkMiddleware;

  middleware.abortOpenStreams = async () => {
    const open = [...streams.values()];
    streams.clear();
    await Promise.all(open.map(({ stream }) => stream.abort().catch(() => {})));
  };
  return middleware;
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(new Reply(413, { kind: 'other', message: `the request body is ${size} bytes, more than the sink server's limit of ${limit}` }));
      else {
        const body = Buffer.concat(chunks, size);
        resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: Uint8Array, type?: string) {
  res.statusCode = status;
  if (type) res.setHeader('content-type', type);
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  send(res, status, new TextEncoder().encode(JSON.stringify(body)), 'application/json');
}

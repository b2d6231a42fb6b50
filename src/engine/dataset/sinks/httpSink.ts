/**
 * The sink a renderer uses when the CLI's Node process owns the disk: every operation is one
 * fetch to the CLI's sink server (protocol in httpProtocol.ts, server in src/cli/sinks). Failures
 * on the server come back as the same SinkError (kind and message) it threw there; a server that
 * can't be reached, or answers something that is not the protocol, is a SinkError of kind 'other'
 * naming the base URL.
 */
import type { Sink } from '../types.ts';
import { plainBytes } from './bytes.ts';
import { firstLine, SinkError, sinkFailure, type SinkOperation } from './errors.ts';
import { decodeReadReply, encodeBatch, MAX_READ_PATHS, parseSinkErrorBody, SINK_SOCKET_PATH, SINK_TOKEN_HEADER, type StreamOp } from './httpProtocol.ts';
import { type SocketFactory, socketBatches } from './socketBatches.ts';
import { sinkPathSegments } from './paths.ts';
import { sinkStream } from './stream.ts';

export interface HttpSinkOptions {
  /** Sent with every request when the server requires one. */
  token?: string;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /**
   * Send writeFiles batches over a WebSocket to the server's `socket` endpoint (see
   * SINK_SOCKET_PATH), falling back to HTTP where it can't open: the WebSocket constructor to use
   * (the browser's `WebSocket`; the `ws` package's in Node). Needs an absolute base URL. The socket
   * stays open for the sink's life (a page's job).
   */
  socket?: SocketFactory;
}

/** `baseUrl` is where the server's middleware is mounted, e.g. "http://127.0.0.1:5173/__simloop/sink" or "/__simloop/sink". */
export function httpSink(baseUrl: string, options: HttpSinkOptions = {}): Sink {
  const base = baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const headers: Record<string, string> = options.token ? { [SINK_TOKEN_HEADER]: options.token } : {};
  const socket = options.socket ? socketBatches(socketUrl(base, options.token), options.socket) : null;

  async function call(
    op: SinkOperation,
    path: string,
    method: string,
    endpoint: string,
    params: Record<string, string>,
    body?: Uint8Array | Blob,
  ): Promise<Response> {
    const url = `${base}/${endpoint}?${new URLSearchParams(params)}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers: body ? { ...headers, 'content-type': 'application/octet-stream' } : headers,
        ...(body ? { body: body instanceof Blob ? body : plainBytes(body) } : {}),
      });
    } catch (error) {
      const cause = firstLine(error instanceof Error ? error.message : String(error));
      throw sinkFailure('other', op, path, { detail: `the sink server at ${base} can't be reached (${cause})` });
    }
    if (response.ok) return response;
    throw await responseError(response, op, path);
  }

  async function responseError(response: Response, op: SinkOperation, path: string): Promise<SinkError> {
    const body = parseSinkErrorBody(await response.text().catch(() => ''));
    if (body) return new SinkError(body.kind, path, body.message);
    return sinkFailure('other', op, path, { detail: `the sink server at ${base} answered HTTP ${response.status} ${response.statusText}`.trim() });
  }

  const streamCall = (path: string, op: StreamOp, id?: string, body?: Uint8Array) =>
    call('write', path, 'POST', 'stream', id ? { path, op, id } : { path, op }, body);

  return {
    async write(path, bytes) {
      sinkPathSegments(path, 'write');
      await call('write', path, 'PUT', 'file', { path }, bytes);
    },

    async writeFiles(files, options) {
      const commit = options?.commit;
      if (files.length === 0 && !commit) return;
      for (const file of commit ? [...files, commit] : files) sinkPathSegments(file.path, 'write');
      const plain = files.map((f) => ({ path: f.path, bytes: plainBytes(f.bytes) }));
      const plainCommit = commit && { path: commit.path, bytes: plainBytes(commit.bytes) };
      if (socket && (await socket.send(plain, plainCommit))) return;
      const body = new Blob(encodeBatch(plain, plainCommit));
      await call('write', (files[0] ?? commit)!.path, 'POST', 'files', {}, body);
    },

    async create(path) {
      sinkPathSegments(path, 'write');
      const opened = await streamCall(path, 'open');
      const id = ((await opened.json().catch(() => null)) as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') throw sinkFailure('other', 'write', path, { detail: `the sink server at ${base} did not return a stream id` });
      return sinkStream(
        path,
        {
          write: async (chunk) => void (await streamCall(path, 'append', id, chunk)),
          commit: async () => void (await streamCall(path, 'close', id)),
          discard: async () => void (await streamCall(path, 'abort', id).catch(() => {})),
        },
        (error) => sinkFailure('other', 'write', path, { detail: String(error) }),
      );
    },

    async read(path) {
      sinkPathSegments(path, 'read');
      try {
        const response = await call('read', path, 'GET', 'file', { path });
        return new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        if (error instanceof SinkError && error.kind === 'not-found') return null;
        throw error;
      }
    },

    async readFiles(paths) {
      for (const path of paths) sinkPathSegments(path, 'read');
      const out: (Uint8Array | null)[] = [];
      for (let at = 0; at < paths.length; at += MAX_READ_PATHS) {
        const part = paths.slice(at, at + MAX_READ_PATHS);
        const response = await call('read', part[0]!, 'POST', 'read', {}, new TextEncoder().encode(JSON.stringify(part)));
        const files = decodeReadReply(new Uint8Array(await response.arrayBuffer()), part.length);
        if (typeof files === 'string') throw sinkFailure('other', 'read', part[0]!, { detail: `the sink server at ${base} answered a read that is not the protocol: ${files}` });
        out.push(...files);
      }
      return out;
    },

    async list(dir) {
      sinkPathSegments(dir, 'list', true);
      const response = await call('list', dir, 'GET', 'list', { dir });
      const names: unknown = await response.json().catch(() => null);
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
        throw sinkFailure('other', 'list', dir, { detail: `the sink server at ${base} did not answer a list of names` });
      }
      return names as string[];
    },

    async remove(path) {
      sinkPathSegments(path, 'remove');
      await call('remove', path, 'DELETE', 'file', { path });
    },
  };
}

/** The name src/pages/generatePage.ts imports; same function. */
export const createHttpSink = httpSink;

/** The socket endpoint for an absolute HTTP base URL, the token as a query parameter (WebSockets carry no custom headers). */
export function socketUrl(base: string, token?: string): string {
  const url = new URL(`${base}/${SINK_SOCKET_PATH}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.searchParams.set('token', token);
  return url.href;
}

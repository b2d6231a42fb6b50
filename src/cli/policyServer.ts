/**
 * The CLI's side of a served policy (engine/policy/remote.ts speaks the protocol): the API key
 * from the environment, a check that the server answers (openpi's GET /healthz, then its metadata
 * over a WebSocket) before any browser starts, and a local relay for servers that want an API
 * key — a browser's WebSocket cannot send the Authorization header, so the page connects to the
 * relay on 127.0.0.1 and the relay connects to the server with the header, passing every frame
 * (binary and text) and the close both ways.
 */
import { WebSocket, WebSocketServer } from 'ws';
import { InputError } from '../engine/errors.ts';
import type { RemotePolicyManifest } from '../engine/policy/manifest.ts';
import { describeMessage } from '../engine/policy/openpi.ts';
import { healthUrl, type OpenSocket, RemotePolicyClient, type WebSocketLike } from '../engine/policy/remote.ts';

/** The API key the manifest's `remote.api_key_env` names, or null when it names none. */
export function remoteApiKey(manifest: RemotePolicyManifest, file: string): string | null {
  const name = manifest.remote.api_key_env;
  if (name === null) return null;
  const key = process.env[name];
  if (!key) throw new InputError(file, `remote.api_key_env: the environment variable ${name} is not set (it holds the policy server's API key)`);
  return key;
}

/** Opens `ws` sockets (with openpi's Authorization header when there is a key). */
export function nodeSocket(apiKey: string | null): OpenSocket {
  return (url) => new WebSocket(url, { perMessageDeflate: false, maxPayload: 0, ...(apiKey ? { headers: { Authorization: `Api-Key ${apiKey}` } } : {}) }) as unknown as WebSocketLike;
}

/**
 * GET /healthz, then a connection for the metadata (described as JSON: arrays as dtype and shape).
 * Throws an InputError naming `remote.url` when the server does not answer as an openpi server.
 */
export async function checkPolicyServer(manifest: RemotePolicyManifest, file: string, apiKey: string | null): Promise<Record<string, unknown>> {
  const { url, timeout_s } = manifest.remote;
  const health = healthUrl(url);
  try {
    const response = await fetch(health, { signal: AbortSignal.timeout(Math.min(timeout_s, 10) * 1000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new InputError(file, `remote.url: no policy server answers at ${url} (GET ${health}: ${why})`);
  }
  const client = new RemotePolicyClient({ url, open: nodeSocket(apiKey), timeoutMs: timeout_s * 1000 });
  try {
    return describeMessage(await client.connect()) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(file, `remote.url: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    client.close();
  }
}

export interface Relay {
  url: string;
  close(): Promise<void>;
}

/** A WebSocket relay on 127.0.0.1 that connects each client to `target` with the API key. */
export async function startRelay(target: string, apiKey: string): Promise<Relay> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (client) => {
    const upstream = new WebSocket(target, { perMessageDeflate: false, maxPayload: 0, headers: { Authorization: `Api-Key ${apiKey}` } });
    const pending: { data: Buffer; binary: boolean }[] = [];
    upstream.on('open', () => {
      for (const m of pending.splice(0)) upstream.send(m.data, { binary: m.binary });
    });
    upstream.on('message', (data, binary) => client.send(data as Buffer, { binary }));
    client.on('message', (data, binary) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data as Buffer, { binary });
      else pending.push({ data: data as Buffer, binary });
    });
    // A close code that may not be sent (1005, 1006) becomes 1011 with the reason.
    const sendable = (code: number) => (code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : 1011);
    upstream.on('close', (code, reason) => client.close(sendable(code), reason.toString().slice(0, 120)));
    upstream.on('error', (e) => client.close(1011, `relay: ${e.message}`.slice(0, 120)));
    client.on('close', () => upstream.terminate());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

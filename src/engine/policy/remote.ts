/**
 * A policy on a server, spoken to as openpi's client speaks to `serve_policy.py`
 * (openpi_client/websocket_client_policy.py and openpi/serving/websocket_policy_server.py):
 *
 *   connect            → the server sends its metadata (one binary msgpack map)
 *   observation map    → the reply map: the action chunk under `actions`, `server_timing.infer_ms`
 *   a text frame       → the server failed; the frame is its traceback (shown whole), then it closes
 *   GET /healthz       → 200 "OK" (checked by the CLI before an evaluation starts)
 *
 * Requests are strictly one at a time. Nothing here waits forever: connecting and each reply have
 * a deadline (the manifest's `remote.timeout_s`); a timeout, a dropped connection, a server error
 * or a reply that is not what the manifest says end the request with a PolicyError (the episode is
 * marked errored, the evaluation goes on). A timeout, a server error or bytes that are not msgpack
 * also drop the connection (a late reply would answer the wrong request); the next request then
 * reconnects, trying again with exponential back-off before it gives up. A reply that decodes but
 * holds the wrong thing keeps the connection: requests and replies are still in step.
 *
 * DOM-free: the WebSocket comes from the caller (the browser's, or `ws` in Node).
 */
import { actionSize, type RemotePolicyManifest } from './manifest.ts';
import { imageTensor } from './image.ts';
import { NdArray, NpGeneric, packOpenpi, unpackOpenpi } from './openpi.ts';
import { PolicyError, type PolicyObservation, stateVector } from './runtime.ts';
import type { PolicyDriver } from './closedLoop.ts';

/** The part of a WebSocket used here (the browser's, and the `ws` package's, have it). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type OpenSocket = (url: string) => WebSocketLike;

export interface RemoteClientOptions {
  url: string;
  open: OpenSocket;
  /** Deadline for the metadata after connecting and for each reply. */
  timeoutMs: number;
  /** Connection attempts after the first before a request gives up (default 3). */
  retries?: number;
  /** The first back-off, doubled after each failed attempt (default 500 ms). */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a pending frame becomes. */
type Frame = { kind: 'binary'; bytes: Uint8Array } | { kind: 'text'; text: string } | { kind: 'closed'; why: string };

const asBytes = (data: unknown): Uint8Array | null => {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
};

const closeText = (code: number, reason: string) => `code ${code}${reason ? `: ${reason}` : code === 1006 ? ', dropped without a closing handshake' : ''}`;

/** One server connection at a time, re-opened with back-off after it fails. */
export class RemotePolicyClient {
  /** The server's metadata map from the latest connection. */
  metadata: Record<string, unknown> | null = null;
  /** Successful connections so far (reconnections show as more than one). */
  connections = 0;
  private socket: WebSocketLike | null = null;
  private frames: Frame[] = [];
  private waiter: ((frame: Frame) => void) | null = null;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly options: RemoteClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Opens a connection and reads the metadata (one attempt); throws a PolicyError saying why not. */
  async connect(): Promise<Record<string, unknown>> {
    this.drop();
    const { url } = this.options;
    let socket: WebSocketLike;
    try {
      socket = this.options.open(url);
    } catch (e) {
      throw new PolicyError(`could not open ${url} (${(e as Error).message})`);
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.frames = [];
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      const bytes = asBytes(event.data);
      this.deliver(bytes ? { kind: 'binary', bytes } : { kind: 'text', text: String(event.data) });
    };
    // Node's `ws` says why a connection failed in its error event (e.g. "Unexpected server
    // response: 401" for a wrong API key); browsers say nothing. The close event that follows
    // ends the wait, with that reason when there is one.
    let failure = '';
    socket.onerror = (event) => {
      const message = (event as { message?: unknown } | null)?.message;
      if (typeof message === 'string' && message) failure = message;
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.deliver({ kind: 'closed', why: `the connection to ${url} closed (${failure && !event.reason ? failure : closeText(event.code, event.reason)})` });
    };
    let first: Extract<Frame, { kind: 'binary' | 'text' }>;
    try {
      first = await this.next(`no metadata within ${this.options.timeoutMs / 1000} s of connecting`);
    } catch (e) {
      this.drop();
      throw new PolicyError(`could not connect to ${url}: ${(e as Error).message.replace(`the connection to ${url} closed`, 'the connection closed')}`);
    }
    const metadata = this.decode(first, (why) => `${url} sent metadata that is not msgpack (${why}); is it an openpi policy server?`);
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      this.drop();
      throw new PolicyError(`${url} sent metadata that is not a map; is it an openpi policy server?`);
    }
    this.metadata = metadata as Record<string, unknown>;
    this.connections++;
    return this.metadata;
  }

  /** Connects unless connected, retrying with exponential back-off; the last failure's reason when all fail. */
  async ensureConnected(): Promise<void> {
    if (this.socket) return;
    const retries = this.options.retries ?? 3;
    const backoff = this.options.backoffMs ?? 500;
    let last: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await this.sleep(backoff * 2 ** (attempt - 1));
      try {
        await this.connect();
        return;
      } catch (e) {
        last = e;
      }
    }
    throw new PolicyError(`could not reach the policy server (${retries + 1} attempts with back-off): ${(last as Error).message}`);
  }

  /** Sends one observation map and returns the reply map with the round trip in milliseconds. */
  async request(message: Record<string, unknown>): Promise<{ reply: Record<string, unknown>; ms: number }> {
    await this.ensureConnected();
    const { url } = this.options;
    const bytes = packOpenpi(message);
    const t0 = performance.now();
    this.socket!.send(bytes);
    const frame = await this.next(`no reply from ${url} within ${this.options.timeoutMs / 1000} s`);
    const ms = performance.now() - t0;
    const reply = this.decode(frame, (why) => `malformed reply from ${url}: not msgpack (${why})`);
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) throw new PolicyError(`malformed reply from ${url}: expected a map, got ${Array.isArray(reply) ? 'a list' : typeof reply}`);
    return { reply: reply as Record<string, unknown>, ms };
  }

  /** A binary frame's message; a text frame (the server's traceback) or bytes that are not msgpack drop the connection and throw. */
  private decode(frame: Extract<Frame, { kind: 'binary' | 'text' }>, notMsgpack: (why: string) => string): unknown {
    if (frame.kind === 'text') {
      this.drop();
      throw new PolicyError(`the policy server at ${this.options.url} failed:\n${frame.text}`);
    }
    try {
      return unpackOpenpi(frame.bytes);
    } catch (e) {
      this.drop();
      throw new PolicyError(notMsgpack((e as Error).message));
    }
  }

  /** Closes the connection (a later request reconnects). */
  close(): void {
    this.drop();
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = null;
    this.frames = [];
    if (socket) {
      socket.onmessage = null;
      socket.onclose = null;
      try {
        socket.close(1000, 'client closing');
      } catch {
        // Closing a socket that never opened throws in some implementations.
      }
    }
    if (this.waiter) this.deliver({ kind: 'closed', why: `the connection to ${this.options.url} was closed` });
  }

  private deliver(frame: Frame): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter(frame);
    } else this.frames.push(frame);
  }

  /** The next frame, or a PolicyError once the deadline passes or the connection closes. */
  private next(timeoutMessage: string): Promise<Extract<Frame, { kind: 'binary' | 'text' }>> {
    const queued = this.frames.shift();
    const settle = (frame: Frame) => {
      if (frame.kind === 'closed') throw new PolicyError(frame.why);
      return frame;
    };
    if (queued) return Promise.resolve().then(() => settle(queued));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.drop();
        reject(new PolicyError(timeoutMessage));
      }, this.options.timeoutMs);
      this.waiter = (frame) => {
        clearTimeout(timer);
        try {
          resolve(settle(frame));
        } catch (e) {
          reject(e);
        }
      };
    });
  }
}

/** The request for one observation, keyed as the manifest says (images uint8 H×W×3, state, prompt). */
export function remoteMessage(manifest: RemotePolicyManifest, obs: PolicyObservation): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  for (const spec of manifest.inputs.images) {
    const image = obs.images[spec.camera];
    if (!image) throw new PolicyError(`the ${spec.camera} camera gave no image (the policy's input "${spec.key}" needs it)`);
    const pixels = imageTensor(image, { width: spec.width, height: spec.height, fit: spec.fit, padAlign: spec.pad_align, layout: 'NHWC', dtype: 'uint8', range: [0, 255] }) as Uint8Array;
    message[spec.key] = NdArray.of(pixels, [spec.height, spec.width, 3]);
  }
  const state = manifest.inputs.state;
  if (state) {
    const values = stateVector(obs, { quantities: state.quantities ?? null, features: state.features ?? null });
    message[state.key] = NdArray.of(state.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), [values.length]);
  }
  if (manifest.inputs.instruction) message[manifest.inputs.instruction.key] = obs.instruction;
  return message;
}

/** A number list, nested number lists, an NdArray or a NumPy scalar as numbers and a shape. */
function numbersOf(value: unknown): { values: Float64Array; shape: number[] } | null {
  if (value instanceof NdArray) return { values: value.toNumbers(), shape: [...value.shape] };
  if (value instanceof NpGeneric && typeof value.value === 'number') return { values: Float64Array.of(value.value), shape: [] };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'number')) return { values: Float64Array.from(value as number[]), shape: [value.length] };
    const rows = value.map(numbersOf);
    if (rows.length === 0 || rows.some((r) => r === null || r.shape.length !== 1 || r.shape[0] !== rows[0]!.shape[0])) return null;
    return { values: Float64Array.from(rows.flatMap((r) => Array.from(r!.values))), shape: [rows.length, rows[0]!.shape[0]!] };
  }
  return null;
}

/** The reply's action chunk (chunk × dim, SI units, clipped to the manifest's limits), or a PolicyError saying what is wrong. */
export function replyChunk(manifest: RemotePolicyManifest, reply: Record<string, unknown>): { chunk: Float64Array; horizon: number } {
  const { key, space, limits } = manifest.outputs;
  const dim = actionSize(manifest.outputs);
  if (!(key in reply)) throw new PolicyError(`malformed reply: no "${key}" (the reply has ${Object.keys(reply).map((k) => `"${k}"`).join(', ') || 'nothing'})`);
  const actions = numbersOf(reply[key]);
  if (!actions || actions.shape.length < 1 || actions.shape.length > 2) throw new PolicyError(`malformed reply: "${key}" is not a [chunk, ${dim}] array of numbers`);
  const width = actions.shape[actions.shape.length - 1]!;
  const horizon = actions.shape.length === 2 ? actions.shape[0]! : 1;
  // openpi's servers pad actions to the model's width (32 for π0): the first `dim` values are the robot's.
  if (width < dim) throw new PolicyError(`malformed reply: "${key}" has shape [${actions.shape.join(', ')}]; ${space} actions need ${dim} values each`);
  if (horizon < 1) throw new PolicyError(`malformed reply: "${key}" holds no actions`);
  if (horizon < manifest.control.n_action_steps) throw new PolicyError(`malformed reply: "${key}" holds ${horizon} actions; control.n_action_steps executes ${manifest.control.n_action_steps} of each chunk`);
  const chunk = new Float64Array(horizon * dim);
  for (let t = 0; t < horizon; t++) {
    for (let a = 0; a < dim; a++) {
      let v = actions.values[t * width + a]!;
      if (!Number.isFinite(v)) throw new PolicyError(`the policy returned ${v} in its action chunk (step ${t}, dimension ${a})`);
      if (limits) v = Math.min(Math.max(v, limits.low[a]!), limits.high[a]!);
      chunk[t * dim + a] = v;
    }
  }
  return { chunk, horizon };
}

/** The server's own inference time (`server_timing.infer_ms`), when it reports one. */
export function serverInferMs(reply: Record<string, unknown>): number | null {
  const timing = reply.server_timing;
  if (timing === null || typeof timing !== 'object') return null;
  const ms = (timing as Record<string, unknown>).infer_ms;
  const value = ms instanceof NpGeneric ? ms.value : ms;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The closed loop's view of a served policy: latency is the request's round trip. */
export function remotePolicyDriver(manifest: RemotePolicyManifest, client: RemotePolicyClient): PolicyDriver {
  return {
    name: manifest.name,
    provider: `remote ${manifest.remote.protocol}`,
    robot: manifest.robot,
    features: manifest.outputs.features ?? null,
    space: manifest.outputs.space,
    horizon: manifest.control.n_action_steps,
    dim: actionSize(manifest.outputs),
    hz: manifest.control.hz,
    nActionSteps: manifest.control.n_action_steps,
    temporalEnsemble: manifest.control.temporal_ensemble,
    async infer(obs) {
      const { reply, ms } = await client.request(remoteMessage(manifest, obs));
      const { chunk } = replyChunk(manifest, reply);
      const serverMs = serverInferMs(reply);
      return { chunk, ms, ...(serverMs !== null ? { serverMs } : {}) };
    },
  };
}

/** openpi's health check for a server's WebSocket URL: GET http(s)://host/healthz. */
export function healthUrl(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/healthz';
  u.search = '';
  return u.toString();
}

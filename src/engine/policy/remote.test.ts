/**
 * A served policy's conversation, against servers in this process (the `ws` package) that behave
 * as openpi's `serve_policy.py` does — and as it misbehaves: metadata on connecting, one reply per
 * observation, a traceback as a text frame, a stall, a dropped connection, a server that is gone,
 * bytes that are not msgpack. Every failure must end the request with a PolicyError that says what
 * happened (so the episode is marked errored and the evaluation goes on), never a hang. Then the
 * CLI's side (health check, the API-key relay) and whole episodes driven over the socket.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { checkPolicyServer, nodeSocket, startRelay } from '../../cli/policyServer.ts';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { parseTaskSpec } from '../tasks/spec.ts';
import { runPolicyEpisode } from './closedLoop.ts';
import type { RgbaImage } from './image.ts';
import { isRemotePolicy, parseAnyPolicyManifest, type RemotePolicyManifest } from './manifest.ts';
import { NdArray, NpGeneric, packOpenpi, unpackOpenpi } from './openpi.ts';
import { remoteMessage, RemotePolicyClient, type RemoteClientOptions, remotePolicyDriver, replyChunk, serverInferMs } from './remote.ts';
import { PolicyError, type PolicyObservation } from './runtime.ts';

// --- servers ------------------------------------------------------------------------------------

interface Request {
  socket: WebSocket;
  message: Record<string, unknown>;
  /** 0 for the server's first request (over all connections). */
  index: number;
}

interface TestServer {
  url: string;
  /** Every observation map the server decoded, in order. */
  received: Record<string, unknown>[];
  /** Connections accepted, and closed, so far. */
  connections: number;
  closed: number;
  /** The Authorization header of each connection. */
  authorization: (string | undefined)[];
  close(): Promise<void>;
}

const open: TestServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/**
 * An openpi-style server on 127.0.0.1: sends `metadata` on connecting, decodes each binary frame
 * with openpi's encoding and hands it to `onRequest`. With `http`, it shares that server's port.
 */
async function policyServer(onRequest: (r: Request) => void, options: { metadata?: Record<string, unknown>; greet?: (socket: WebSocket) => void; http?: Server; verifyClient?: (info: { req: { headers: Record<string, string | string[] | undefined> } }) => boolean } = {}): Promise<TestServer> {
  const wss = options.http
    ? new WebSocketServer({ server: options.http, perMessageDeflate: false, ...(options.verifyClient ? { verifyClient: options.verifyClient } : {}) })
    : new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, ...(options.verifyClient ? { verifyClient: options.verifyClient } : {}) });
  if (!options.http) await new Promise<void>((done) => wss.once('listening', done));
  const port = ((options.http ?? wss).address() as AddressInfo).port;
  const server: TestServer = {
    url: `ws://127.0.0.1:${port}`,
    received: [],
    connections: 0,
    closed: 0,
    authorization: [],
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      if (options.http) await new Promise<void>((done) => options.http!.close(() => done()));
    },
  };
  wss.on('connection', (socket, request) => {
    server.connections++;
    server.authorization.push(request.headers.authorization);
    socket.on('close', () => server.closed++);
    if (options.greet) options.greet(socket);
    else socket.send(packOpenpi(options.metadata ?? { name: 'test-server' }));
    socket.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return;
      const message = unpackOpenpi(new Uint8Array(data)) as Record<string, unknown>;
      server.received.push(message);
      onRequest({ socket, message, index: server.received.length - 1 });
    });
  });
  open.push(server);
  return server;
}

const reply = (socket: WebSocket, value: Record<string, unknown>) => socket.send(packOpenpi(value));
const client = (url: string, options: Partial<RemoteClientOptions> = {}) => new RemotePolicyClient({ url, open: nodeSocket(null), timeoutMs: 2000, ...options });
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
};
/** The error a promise rejects with (fails when it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

// --- manifests and observations ------------------------------------------------------------------

function manifest(change: (m: Record<string, any>) => void = () => {}): RemotePolicyManifest {
  const m: Record<string, any> = {
    simloop_policy: 2,
    name: 'served-test',
    robot: 'panda',
    remote: { protocol: 'openpi-websocket', url: 'ws://127.0.0.1:8000' },
    inputs: {
      images: [
        { key: 'observation/image', camera: 'scene', width: 10, height: 8 },
        { key: 'observation/wrist_image', camera: 'wrist', width: 8, height: 8 },
      ],
      state: { key: 'observation/state', quantities: ['joint_positions', 'finger_positions', 'gripper_width'] },
      instruction: { key: 'prompt' },
    },
    outputs: { key: 'actions', space: 'ee_delta_pose', limits: { low: [-0.05, -0.05, -0.05, -0.5, -0.5, -0.5, -1], high: [0.05, 0.05, 0.05, 0.5, 0.5, 0.5, 1] } },
    control: { hz: 20, n_action_steps: 2 },
  };
  change(m);
  const parsed = parseAnyPolicyManifest(JSON.stringify(m), 'remote.json');
  if (!isRemotePolicy(parsed)) throw new Error('expected a remote manifest');
  return parsed;
}

/** A W×H RGBA image whose pixel (x, y) is `rgb(x, y)`, alpha 255. */
function rgbaImage(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...rgb(x, y), 255], (y * width + x) * 4);
  return { width, height, data };
}

const scenePixel = (x: number, y: number): [number, number, number] => [25 * x + 1, 30 * y + 2, 10 * (x + y) + 3];
/** 2×2 blocks of one colour: a 2× downscale (bilinear, pixel centres aligned) gives each block's colour. */
const wristBlock = (bx: number, by: number): [number, number, number] => [30 * bx, 250 - 30 * by, 7 * (bx + 4 * by)];

const observation = (): PolicyObservation => ({
  images: { scene: rgbaImage(10, 8, scenePixel), wrist: rgbaImage(16, 16, (x, y) => wristBlock(x >> 1, y >> 1)) },
  jointPositions: [0.1, -0.3, 0.05, -2.2, 0, 2, 0.8],
  fingerPositions: [0.02, 0.021],
  eePosition: [0.4, 0, 0.5],
  eeQuaternion: [1, 0, 0, 0],
  gripperWidth: 0.041,
  instruction: 'pick up the red cube',
});

/** A hold-still chunk: no motion, gripper open. */
const holdChunk = (horizon: number) => NdArray.of(Float32Array.from({ length: horizon * 7 }, (_, i) => (i % 7 === 6 ? -1 : 0)), [horizon, 7]);

// --- the conversation ------------------------------------------------------------------------

describe('RemotePolicyClient', () => {
  it('returns the metadata the server sends on connecting, and counts its connections', async () => {
    const server = await policyServer(() => {}, { metadata: { name: 'pi05-libero', action_horizon: 10, norm: NdArray.of(Float32Array.of(0.5, 2), [2]) } });
    const c = client(server.url);
    const metadata = await c.connect();
    expect(metadata.name).toBe('pi05-libero');
    expect(metadata.action_horizon).toBe(10);
    expect(Array.from((metadata.norm as NdArray).toNumbers())).toEqual([0.5, 2]);
    expect(c.metadata).toBe(metadata);
    expect({ connections: c.connections, connected: c.connected }).toEqual({ connections: 1, connected: true });
    // Connecting again replaces the connection: the server sees the first one close.
    await c.connect();
    expect(c.connections).toBe(2);
    await until(() => server.connections === 2 && server.closed === 1);
    c.close();
    expect(c.connected).toBe(false);
    await until(() => server.closed === 2);
  });

  it('fails to connect, saying why, when the server sends no metadata in time, a traceback, or metadata that is not a msgpack map', async () => {
    const silent = await policyServer(() => {}, { greet: () => {} });
    const e1 = await failure(client(silent.url, { timeoutMs: 300 }).connect());
    expect(e1).toBeInstanceOf(PolicyError);
    expect(e1.message).toBe(`could not connect to ${silent.url}: no metadata within 0.3 s of connecting`);
    await until(() => silent.closed === 1);

    const broken = await policyServer(() => {}, { greet: (s) => (s.send('Traceback (most recent call last):\nFileNotFoundError: policy.onnx'), s.close(1011)) });
    expect((await failure(client(broken.url).connect())).message).toBe(`the policy server at ${broken.url} failed:\nTraceback (most recent call last):\nFileNotFoundError: policy.onnx`);

    const notMsgpack = await policyServer(() => {}, { greet: (s) => s.send(Uint8Array.of(0xc1)) });
    expect((await failure(client(notMsgpack.url).connect())).message).toMatch(new RegExp(`^${notMsgpack.url} sent metadata that is not msgpack \\(.+\\); is it an openpi policy server\\?$`));
    const list = await policyServer(() => {}, { greet: (s) => s.send(packOpenpi(['pi0'])) });
    const c = client(list.url);
    expect((await failure(c.connect())).message).toBe(`${list.url} sent metadata that is not a map; is it an openpi policy server?`);
    expect({ connections: c.connections, connected: c.connected, metadata: c.metadata }).toEqual({ connections: 0, connected: false, metadata: null });
  });

  it('sends each observation as openpi expects: images uint8 [H, W, 3] with the camera`s pixels, state in the manifest`s dtype, the prompt as a string', async () => {
    const server = await policyServer(({ socket }) => reply(socket, { actions: holdChunk(2) }));
    for (const dtype of ['float32', 'float64'] as const) {
      const m = manifest((m) => (m.inputs.state.dtype = dtype));
      const c = client(server.url);
      await c.request(remoteMessage(m, observation()));
      c.close();
      const got = server.received.at(-1)!;
      expect(Object.keys(got).sort()).toEqual(['observation/image', 'observation/state', 'observation/wrist_image', 'prompt']);

      // Same size: the camera's pixels as they are, RGB, row by row (alpha dropped).
      const image = got['observation/image'] as NdArray;
      expect({ dtype: image.dtype, shape: image.shape }).toEqual({ dtype: '|u1', shape: [8, 10, 3] });
      expect(Array.from(image.data)).toEqual(Array.from({ length: 80 }, (_, k) => scenePixel(k % 10, Math.floor(k / 10))).flat());
      // Half size: each 2×2 block of the 16×16 wrist image becomes one pixel of its colour.
      const wrist = got['observation/wrist_image'] as NdArray;
      expect({ dtype: wrist.dtype, shape: wrist.shape }).toEqual({ dtype: '|u1', shape: [8, 8, 3] });
      expect(Array.from(wrist.data)).toEqual(Array.from({ length: 64 }, (_, k) => wristBlock(k % 8, Math.floor(k / 8))).flat());

      // joint positions (7), finger positions (2), gripper width (1), in that order.
      const state = got['observation/state'] as NdArray;
      const expected = [0.1, -0.3, 0.05, -2.2, 0, 2, 0.8, 0.02, 0.021, 0.041];
      expect({ dtype: state.dtype, shape: state.shape }).toEqual({ dtype: dtype === 'float32' ? '<f4' : '<f8', shape: [10] });
      expect(Array.from(state.toNumbers())).toEqual(dtype === 'float32' ? expected.map(Math.fround) : expected);
      expect(got.prompt).toBe('pick up the red cube');
    }
  });

  it('names the camera a policy input needs when the observation lacks it', () => {
    const obs = { ...observation(), images: { scene: observation().images.scene } };
    expect(() => remoteMessage(manifest(), obs)).toThrow(new PolicyError('the wrist camera gave no image (the policy\'s input "observation/wrist_image" needs it)'));
  });

  it('ends a request with the server`s whole traceback when it answers with a text frame, and reconnects for the next', async () => {
    const traceback = ['Traceback (most recent call last):', '  File "serve_policy.py", line 190, in handler', '    reply = policy.infer(obs)', 'KeyError: \'observation/image\''].join('\n');
    const server = await policyServer(({ socket, index }) => {
      if (index > 0) return reply(socket, { actions: holdChunk(2) });
      socket.send(traceback);
      socket.close(1011, 'Internal server error. Traceback included in previous frame.');
    });
    const c = client(server.url);
    const e = await failure(c.request({ prompt: 'go' }));
    expect(e).toBeInstanceOf(PolicyError);
    expect(e.message).toBe(`the policy server at ${server.url} failed:\n${traceback}`);
    expect(c.connected).toBe(false);
    const { reply: next } = await c.request({ prompt: 'go' });
    expect(next.actions).toBeInstanceOf(NdArray);
    expect(c.connections).toBe(2);
  });

  it('gives up on a server that stalls after timeoutMs, drops the connection, and the next request reconnects and works', async () => {
    const server = await policyServer(({ socket, index }) => {
      if (index > 0) reply(socket, { actions: holdChunk(2), server_timing: { infer_ms: 4.5 } });
    });
    const c = client(server.url, { timeoutMs: 300 });
    const e = await failure(c.request({ prompt: 'go' }));
    expect(e).toBeInstanceOf(PolicyError);
    expect(e.message).toBe(`no reply from ${server.url} within 0.3 s`);
    expect(c.connected).toBe(false);
    await until(() => server.closed === 1);
    const { reply: next } = await c.request({ prompt: 'again' });
    expect(serverInferMs(next)).toBe(4.5);
    expect({ connections: c.connections, server: server.connections }).toEqual({ connections: 2, server: 2 });
    expect(server.received.map((r) => r.prompt)).toEqual(['go', 'again']);
    c.close();
  });

  it('names the close when the server drops the connection mid-request', async () => {
    const server = await policyServer(({ socket }) => socket.terminate());
    const c = client(server.url);
    const e = await failure(c.request({ prompt: 'go' }));
    expect(e).toBeInstanceOf(PolicyError);
    expect(e.message).toBe(`the connection to ${server.url} closed (code 1006, dropped without a closing handshake)`);
    expect(c.connected).toBe(false);
  });

  it('passes on the code and reason of a server`s orderly close mid-request', async () => {
    const server = await policyServer(({ socket }) => socket.close(4001, 'going down for maintenance'));
    const e = await failure(client(server.url).request({ prompt: 'go' }));
    expect(e.message).toBe(`the connection to ${server.url} closed (code 4001: going down for maintenance)`);
  });

  it('tries a server that is gone 1 + retries times, backing off 500, 1000, 2000 ms (or from backoffMs), then says how many attempts', async () => {
    const server = await policyServer(() => {});
    const url = server.url;
    await server.close();
    open.length = 0;

    const delays: number[] = [];
    const c = client(url, { sleep: async (ms) => void delays.push(ms) });
    const e = await failure(c.ensureConnected());
    expect(e).toBeInstanceOf(PolicyError);
    expect(e.message).toMatch(new RegExp(`^could not reach the policy server \\(4 attempts with back-off\\): could not connect to ${url}: the connection closed \\((code 1006|connect ECONNREFUSED)`));
    expect(delays).toEqual([500, 1000, 2000]);
    expect(c.connections).toBe(0);

    const quick: number[] = [];
    const e2 = await failure(client(url, { sleep: async (ms) => void quick.push(ms), backoffMs: 10, retries: 2 }).request({ prompt: 'go' }));
    expect(e2.message).toMatch(/^could not reach the policy server \(3 attempts with back-off\)/);
    expect(quick).toEqual([10, 20]);
  });

  it('connects on a later attempt when the server comes up during the back-off', async () => {
    const server = await policyServer(() => {});
    const url = server.url;
    const port = Number(new URL(url).port);
    await server.close();
    open.length = 0;
    let revived: WebSocketServer | null = null;
    const c = client(url, {
      sleep: async () => {
        if (revived) return;
        revived = new WebSocketServer({ host: '127.0.0.1', port });
        revived.on('connection', (s) => s.send(packOpenpi({ name: 'back' })));
        await new Promise((done) => revived!.once('listening', done));
      },
    });
    await c.ensureConnected();
    expect(c.metadata).toEqual({ name: 'back' });
    c.close();
    for (const s of revived!.clients) s.terminate();
    await new Promise((done) => revived!.close(done));
  });

  it('calls a reply that is not msgpack, or not a map, malformed', async () => {
    const server = await policyServer(({ socket, index }) => {
      if (index === 0) socket.send(Uint8Array.of(0xc1, 0x00)); // 0xc1: never used in msgpack
      else if (index === 1) socket.send(Uint8Array.of(0x92, 0x01)); // a 2-item list with one item
      else socket.send(packOpenpi([holdChunk(2)]));
    });
    const c = client(server.url);
    for (const expected of [/^malformed reply from ws:\/\/127\.0\.0\.1:\d+: not msgpack \(/, /^malformed reply from ws:\/\/127\.0\.0\.1:\d+: not msgpack \(/, /^malformed reply from ws:\/\/127\.0\.0\.1:\d+: expected a map, got a list$/]) {
      const e = await failure(c.request({ prompt: 'go' }));
      expect(e).toBeInstanceOf(PolicyError);
      expect(e.message).toMatch(expected);
    }
    expect(server.received).toHaveLength(3);
  });
});

describe('replyChunk', () => {
  const m = manifest();
  /** t·0.01 + a·0.001 (inside the limits), gripper alternating −1, 1. */
  const value = (t: number, a: number) => (a === 6 ? (t % 2 ? 1 : -1) : t * 0.01 + a * 0.001);
  const rows = (horizon: number, width = 7) => Array.from({ length: horizon }, (_, t) => Array.from({ length: width }, (_, a) => (a < 7 ? value(t, a) : 99)));

  it('reads a [chunk, dim] array, float32 or float64, and nested number lists alike', () => {
    const expected = rows(3).flat();
    const f64 = replyChunk(m, { actions: NdArray.of(Float64Array.from(expected), [3, 7]) });
    expect({ horizon: f64.horizon, chunk: Array.from(f64.chunk) }).toEqual({ horizon: 3, chunk: expected });
    const f32 = replyChunk(m, { actions: NdArray.of(Float32Array.from(expected), [3, 7]) });
    expect(Array.from(f32.chunk)).toEqual(expected.map(Math.fround));
    expect(Array.from(replyChunk(m, { actions: rows(3) }).chunk)).toEqual(expected);
  });

  it('takes the first dim values of each action when the server pads them (π0`s 32)', () => {
    const padded = replyChunk(m, { actions: NdArray.of(Float64Array.from(rows(4, 32).flat()), [4, 32]) });
    expect({ horizon: padded.horizon, chunk: Array.from(padded.chunk) }).toEqual({ horizon: 4, chunk: rows(4).flat() });
    // NaN in the padding is not the robot's business.
    const nanPadding = rows(2, 32).map((r) => r.map((v, a) => (a >= 7 ? Number.NaN : v)));
    expect(Array.from(replyChunk(m, { actions: nanPadding }).chunk)).toEqual(rows(2).flat());
  });

  it('clips to the manifest`s limits', () => {
    const wild = [[0.5, -9, 0.01, 0.6, -0.2, -0.7, 3]];
    const { chunk } = replyChunk(manifest((x) => (x.control.n_action_steps = 1)), { actions: wild });
    expect(Array.from(chunk)).toEqual([0.05, -0.05, 0.01, 0.5, -0.2, -0.5, 1]);
  });

  it('refuses replies that do not hold the manifest`s actions, saying what is wrong', () => {
    const refuse = (r: Record<string, unknown>, message: string) => expect(() => replyChunk(m, r)).toThrow(new PolicyError(message));
    refuse({ action: rows(2), server_timing: { infer_ms: 1 } }, 'malformed reply: no "actions" (the reply has "action", "server_timing")');
    refuse({}, 'malformed reply: no "actions" (the reply has nothing)');
    refuse({ actions: NdArray.of(new Float32Array(10), [2, 5]) }, 'malformed reply: "actions" has shape [2, 5]; ee_delta_pose actions need 7 values each');
    refuse({ actions: NdArray.of(new Float32Array(14), [1, 2, 7]) }, 'malformed reply: "actions" is not a [chunk, 7] array of numbers');
    refuse({ actions: 'move left' }, 'malformed reply: "actions" is not a [chunk, 7] array of numbers');
    refuse({ actions: [[0, 0, 0, 0, 0, 0, 1], [0, 0]] }, 'malformed reply: "actions" is not a [chunk, 7] array of numbers');
    refuse({ actions: NdArray.of(new Float32Array(0), [0, 7]) }, 'malformed reply: "actions" holds no actions');
    refuse({ actions: rows(1) }, 'malformed reply: "actions" holds 1 actions; control.n_action_steps executes 2 of each chunk');
    const nan = rows(3);
    nan[1]![3] = Number.NaN;
    refuse({ actions: nan }, 'the policy returned NaN in its action chunk (step 1, dimension 3)');
    const inf = rows(3);
    inf[2]![0] = -Infinity;
    refuse({ actions: NdArray.of(Float32Array.from(inf.flat()), [3, 7]) }, 'the policy returned -Infinity in its action chunk (step 2, dimension 0)');
  });

  it('reads the server`s own inference time from server_timing.infer_ms (a float or a NumPy scalar)', () => {
    expect(serverInferMs({ server_timing: { infer_ms: 12.5, prev_total_ms: 40 } })).toBe(12.5);
    expect(serverInferMs({ server_timing: { infer_ms: new NpGeneric('<f8', 3.25) } })).toBe(3.25);
    expect(serverInferMs({ actions: [] })).toBeNull();
    expect(serverInferMs({ server_timing: { infer_ms: 'fast' } })).toBeNull();
    expect(serverInferMs({ server_timing: { infer_ms: Number.NaN } })).toBeNull();
  });
});

// --- the CLI's side ------------------------------------------------------------------------------

describe('checkPolicyServer', () => {
  const withUrl = (url: string) => manifest((m) => (m.remote = { ...m.remote, url, timeout_s: 2 }));

  async function httpServer(health: number): Promise<Server> {
    const http = createServer((req, res) => {
      if (req.url === '/healthz') res.writeHead(health, { 'Content-Type': 'text/plain' }).end(health === 200 ? 'OK\n' : 'starting\n');
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    return http;
  }

  it('with /healthz answering 200 and a WebSocket on the same port, returns the metadata with arrays described by dtype and shape', async () => {
    const server = await policyServer(() => {}, { http: await httpServer(200), metadata: { name: 'pi0-droid', action_horizon: 10, norm_stats: { state_mean: NdArray.of(new Float32Array(8), [8]) }, scale: new NpGeneric('<f4', 0.5) } });
    expect(await checkPolicyServer(withUrl(server.url), 'remote.json', null)).toEqual({ name: 'pi0-droid', action_horizon: 10, norm_stats: { state_mean: { dtype: '<f4', shape: [8] } }, scale: 0.5 });
    // The check closes its connection.
    await until(() => server.connections === 1 && server.closed === 1);
  });

  it('says that no policy server answers, naming remote.url and why, when nothing listens or /healthz fails', async () => {
    const gone = await policyServer(() => {});
    const url = gone.url;
    await gone.close();
    open.length = 0;
    const e = await failure(checkPolicyServer(withUrl(url), 'remote.json', null));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`remote.json: remote.url: no policy server answers at ${url} (GET ${url.replace('ws:', 'http:')}/healthz: ECONNREFUSED)`);

    const starting = await policyServer(() => {}, { http: await httpServer(503) });
    const e2 = await failure(checkPolicyServer(withUrl(starting.url), 'remote.json', null));
    expect(e2.message).toBe(`remote.json: remote.url: no policy server answers at ${starting.url} (GET ${starting.url.replace('ws:', 'http:')}/healthz: HTTP 503)`);
  });
});

describe('startRelay', () => {
  const needsKey = (info: { req: { headers: Record<string, string | string[] | undefined> } }) => info.req.headers.authorization === 'Api-Key secret';

  it('reaches a server that wants "Authorization: Api-Key <key>" for a client that sends no header, passing frames both ways', async () => {
    const server = await policyServer(({ socket, message }) => reply(socket, { actions: holdChunk(2), echo: message.prompt }), { verifyClient: needsKey, metadata: { name: 'keyed' } });
    // Without the header the server refuses the upgrade.
    const direct = await failure(client(server.url).connect());
    expect(direct).toBeInstanceOf(PolicyError);
    expect(server.connections).toBe(0);

    const relay = await startRelay(server.url, 'secret');
    try {
      const c = client(relay.url);
      expect(await c.connect()).toEqual({ name: 'keyed' });
      const { reply: r } = await c.request({ prompt: 'through the relay', state: NdArray.of(Float64Array.of(1.5, -2), [2]) });
      expect(r.echo).toBe('through the relay');
      expect(Array.from((r.actions as NdArray).toNumbers())).toEqual(Array.from(holdChunk(2).toNumbers()));
      expect(Array.from((server.received[0]!.state as NdArray).toNumbers())).toEqual([1.5, -2]);
      expect(server.authorization).toEqual(['Api-Key secret']);
      c.close();
    } finally {
      await relay.close();
    }
  });

  it('passes a text frame (the traceback) and the server`s close through to the client', async () => {
    const server = await policyServer(
      ({ socket, index }) => {
        if (index === 0) {
          socket.send('Traceback (most recent call last):\nValueError: bad image');
          socket.close(1011, 'Internal server error. Traceback included in previous frame.');
        } else socket.close(4001, 'going down for maintenance');
      },
      { verifyClient: needsKey },
    );
    const relay = await startRelay(server.url, 'secret');
    try {
      const c = client(relay.url);
      const e = await failure(c.request({ prompt: 'go' }));
      expect(e.message).toBe(`the policy server at ${relay.url} failed:\nTraceback (most recent call last):\nValueError: bad image`);
      const closed = await failure(c.request({ prompt: 'again' }));
      expect(closed.message).toBe(`the connection to ${relay.url} closed (code 4001: going down for maintenance)`);
    } finally {
      await relay.close();
    }
  });

  it('with the wrong key, closes the client`s connection saying the server answered 401', async () => {
    const server = await policyServer(() => {}, { verifyClient: needsKey });
    const relay = await startRelay(server.url, 'wrong');
    try {
      const e = await failure(client(relay.url).connect());
      expect(e.message).toBe(`could not connect to ${relay.url}: the connection closed (code 1011: relay: Unexpected server response: 401)`);
      expect(server.connections).toBe(0);
    } finally {
      await relay.close();
    }
  });
});

// --- whole episodes ------------------------------------------------------------------------------

describe('a served policy in the closed loop', () => {
  const taskFile = 'scenes/tasks/pick-cube.task.yaml';
  const pickCube = async () => {
    const task = parseTaskSpec(readFileSync(taskFile, 'utf8'), taskFile);
    const scenePath = resolve(dirname(taskFile), task.scene);
    return { task, scene: (await loadSceneFile(readFileSync(scenePath), scenePath)).document };
  };
  const shipped = (url: string) => {
    const m = parseAnyPolicyManifest(readFileSync('public/policies/pick-cube/remote.json', 'utf8').replace('ws://127.0.0.1:8000', url), 'remote.json');
    if (!isRemotePolicy(m)) throw new Error('expected a remote manifest');
    return m;
  };
  // The scene camera 64×48 grey 128, the wrist 16×16 grey 90 (the manifest stretches both to 64×64).
  const grey = () => ({ render: () => ({ scene: { width: 64, height: 48, data: new Uint8Array(64 * 48 * 4).fill(128) }, wrist: { width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(90) } }), dispose: () => {} });

  it('runs pick-cube to its last step on a server that holds the arm still, recording round trips and the server`s own times', async () => {
    const { task, scene } = await pickCube();
    const server = await policyServer(({ socket, index }) => reply(socket, { actions: holdChunk(4), server_timing: { infer_ms: index + 0.5 } }));
    const m = shipped(server.url);
    const c = client(server.url, { timeoutMs: m.remote.timeout_s * 1000 });
    const start: number[] = [];
    const tool: number[][] = [];
    const widths: number[] = [];
    const driver = remotePolicyDriver(m, c);
    const result = await runPolicyEpisode({
      task: { ...task, max_steps: 12 },
      scene,
      seed: 1,
      index: 0,
      policy: driver,
      clock: 'sim',
      cameras: grey,
      onStart: (episode) => {
        const o = episode.observe();
        start.push(...o.state, o.ee.position.x, o.ee.position.y, o.ee.position.z);
      },
      onStep: (episode) => {
        const o = episode.observe();
        tool.push(o.ee.position.toArray());
        widths.push(o.gripperWidth);
      },
    });
    c.close();
    expect(result).toMatchObject({ steps: 12, error: null, success: false });
    // Temporal ensembling asks every step: 12 requests, one connection.
    expect(result.inferenceMs).toHaveLength(12);
    expect(result.inferenceMs.every((ms) => ms > 0)).toBe(true);
    expect(result.serverMs).toEqual(Array.from({ length: 12 }, (_, i) => i + 0.5));
    expect(c.connections).toBe(1);

    // The first request carried the episode's first observation: the state as the episode had it, both cameras, the instruction.
    const first = server.received[0]!;
    expect(Array.from((first['observation/state'] as NdArray).toNumbers())).toEqual(start);
    for (const [key, grey] of [['observation/image', 128], ['observation/wrist_image', 90]] as const) {
      const image = first[key] as NdArray;
      expect({ dtype: image.dtype, shape: image.shape }).toEqual({ dtype: '|u1', shape: [64, 64, 3] });
      expect(image.data.every((v) => v === grey)).toBe(true);
    }
    expect(first.prompt).toBe(result.instruction);
    expect(result.instruction).toMatch(/cube/);

    // The episode is the one the same chunks give in-process, step for step.
    const local: number[][] = [];
    const hold = Float64Array.from(holdChunk(4).toNumbers());
    await runPolicyEpisode({ task: { ...task, max_steps: 12 }, scene, seed: 1, index: 0, policy: { ...driver, infer: async () => ({ chunk: hold, ms: 0 }) }, clock: 'sim', onStep: (episode) => void local.push(episode.observe().ee.position.toArray()) });
    expect(tool).toEqual(local);
    // Zero motion commanded: once the arm has settled from its start (3 steps), the tool stays put
    // (within 0.1 mm for the next 0.45 s) and the open gripper stays open (8 cm).
    for (const p of tool.slice(3)) expect(Math.hypot(p[0]! - tool[3]![0]!, p[1]! - tool[3]![1]!, p[2]! - tool[3]![2]!)).toBeLessThan(1e-4);
    for (const w of widths) expect(w).toBeCloseTo(0.08, 4);
  });

  it('marks the episode errored with the timeout when the server stalls after 3 replies, and returns', async () => {
    const { task, scene } = await pickCube();
    const server = await policyServer(({ socket, index }) => {
      if (index < 3) reply(socket, { actions: holdChunk(4) });
    });
    const m = shipped(server.url);
    const c = client(server.url, { timeoutMs: 300 });
    const result = await runPolicyEpisode({ task: { ...task, max_steps: 50 }, scene, seed: 1, index: 0, policy: remotePolicyDriver(m, c), clock: 'sim', cameras: grey });
    expect(result).toMatchObject({ steps: 3, success: false, outcome: 'errored', error: `no reply from ${server.url} within 0.3 s` });
    expect(result.inferenceMs).toHaveLength(3);
    expect(result.serverMs).toEqual([]);
    c.close();
  });
});

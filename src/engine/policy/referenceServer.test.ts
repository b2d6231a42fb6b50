/**
 * The reference policy server (training/serve_policy.py: the shipped pick-cube policy in PyTorch,
 * over openpi's WebSocket protocol) as Simloop's client sees it: the health check, the metadata,
 * and for one observation — sent as public/policies/pick-cube/remote.json says — the actions the
 * same package gives in-process on onnxruntime-node, to float precision. A request the policy
 * cannot serve comes back as openpi sends failures: the Python traceback as a text frame, then a
 * close; the server goes on serving other connections.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { nodeSocket } from '../../cli/policyServer.ts';
import { PYTHON, pythonModules, requirePython, titled } from '../testing/python.ts';
import type { RgbaImage } from './image.ts';
import { isRemotePolicy, parseAnyPolicyManifest, parsePolicyManifest, type RemotePolicyManifest, resolvePolicy } from './manifest.ts';
import { NdArray, packOpenpi } from './openpi.ts';
import { remoteMessage, RemotePolicyClient, replyChunk, serverInferMs } from './remote.ts';
import { PolicyError, type PolicyObservation, PolicyRuntime, type SessionLike } from './runtime.ts';

const SERVER = pythonModules('torch', 'onnx', 'msgpack', 'websockets', 'h5py', 'numpy');
const DIR = 'public/policies/pick-cube/';

let child: ChildProcess | null = null;
let url = '';
let stderr = '';

/** Starts serve_policy.py on a free port; resolves with the URL from its first line ("serving <name> on ws://host:port"). */
function startServer(): Promise<string> {
  const server = spawn(PYTHON, ['training/serve_policy.py', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = server;
  server.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let stdout = '';
    server.stdout!.on('data', (d) => {
      stdout += d;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const m = /^serving (.+) on (ws:\/\/\S+)$/.exec(stdout.slice(0, newline));
      if (m) resolve(m[2]!);
      else reject(new Error(`serve_policy.py's first line is not "serving <name> on ws://…": ${stdout.slice(0, newline)}`));
    });
    server.once('exit', (code) => reject(new Error(`serve_policy.py exited (${code}) before serving:\n${stderr}`)));
  });
}

beforeAll(async () => {
  if (!SERVER.available) return;
  url = await startServer();
}, 120_000);

afterAll(async () => {
  const server = child;
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((done) => server.once('exit', done));
  server.kill('SIGKILL');
  await exited;
});

const served = (): RemotePolicyManifest => {
  const m = parseAnyPolicyManifest(readFileSync(DIR + 'remote.json', 'utf8').replace('ws://127.0.0.1:8000', url), 'remote.json');
  if (!isRemotePolicy(m)) throw new Error('remote.json should name a server');
  return m;
};

/** A 64×64 image (the policy's own size: no resampling on either side), the same every run. */
function pattern(seed: number): RgbaImage {
  const data = new Uint8Array(64 * 64 * 4);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) data.set([(x * 4 + seed * 37) % 256, (y * 4 + x * seed) % 256, ((x ^ y) * 5 + seed) % 256, 255], (y * 64 + x) * 4);
  }
  return { width: 64, height: 64, data };
}

const observation = (): PolicyObservation => ({
  images: { scene: pattern(1), wrist: pattern(2) },
  jointPositions: [0.05, -0.4, 0.02, -2.3, 0.01, 1.9, 0.75],
  fingerPositions: [0.03, 0.03],
  eePosition: [0.45, 0.02, 0.35],
  eeQuaternion: [1, 0, 0, 0],
  gripperWidth: 0.06,
  instruction: 'pick up the red cube',
});

describe('the reference policy server (training/serve_policy.py)', () => {
  it.skipIf(!!SERVER.skip)(titled('answers GET /healthz with 200 "OK"', SERVER), async () => {
    requirePython(SERVER);
    const response = await fetch(url.replace('ws:', 'http:') + '/healthz');
    expect(response.status).toBe(200);
    expect((await response.text()).trim()).toBe('OK');
  });

  it.skipIf(!!SERVER.skip)(titled('sends metadata naming the policy it serves on connecting', SERVER), async () => {
    requirePython(SERVER);
    const client = new RemotePolicyClient({ url, open: nodeSocket(null), timeoutMs: 30_000 });
    try {
      const metadata = await client.connect();
      expect(metadata).toMatchObject({ name: 'pick-cube-demo-vla', robot: 'panda', action_space: 'ee_delta_pose', action_horizon: 8, image_size: [64, 64] });
    } finally {
      client.close();
    }
  });

  it.skipIf(!!SERVER.skip)(titled('gives, for one observation sent as remote.json says, the actions onnxruntime-node computes from the same package (< 1e-5)', SERVER), async () => {
    requirePython(SERVER);
    const manifest = served();
    const client = new RemotePolicyClient({ url, open: nodeSocket(null), timeoutMs: 30_000 });
    let reply: Record<string, unknown>;
    try {
      ({ reply } = await client.request(remoteMessage(manifest, observation())));
    } finally {
      client.close();
    }
    const actions = reply.actions as NdArray;
    expect(actions).toBeInstanceOf(NdArray);
    expect({ dtype: actions.dtype, shape: actions.shape }).toEqual({ dtype: '<f8', shape: [8, 7] });
    expect(serverInferMs(reply)).toBeGreaterThan(0);
    const remote = replyChunk(manifest, reply);

    // The same package in-process: policy.json + policy.onnx on onnxruntime-node.
    const read = (p: string) => readFileSync(DIR + p, 'utf8');
    const policy = resolvePolicy(parsePolicyManifest(read('policy.json'), 'policy.json'), 'policy.json', read);
    const session = await ortNode.InferenceSession.create(DIR + 'policy.onnx');
    const runtime = PolicyRuntime.create(policy, session as unknown as SessionLike, (t, d, dims) => new ortNode.Tensor(t, d, dims), 'policy.json');
    const local = await runtime.infer(observation());
    expect(local.unknownWords).toEqual([]);

    expect(remote.horizon).toBe(8);
    expect(remote.chunk).toHaveLength(local.chunk.length);
    const diff = Math.max(...Array.from(remote.chunk, (v, i) => Math.abs(v - local.chunk[i]!)));
    expect(diff).toBeLessThan(1e-5);
    // Not a vacuous match: the actions move the arm, and another prompt gives other actions.
    expect(Math.max(...Array.from(local.chunk, Math.abs))).toBeGreaterThan(1e-3);
    const other = await runtime.infer({ ...observation(), instruction: 'lift the blue cube' });
    expect(Math.max(...Array.from(other.chunk, (v, i) => Math.abs(v - local.chunk[i]!)))).toBeGreaterThan(1e-4);
  });

  it.skipIf(!!SERVER.skip)(titled('answers a request without an image with the Python traceback naming the key, then closes (1011); other connections go on', SERVER), async () => {
    requirePython(SERVER);
    const { 'observation/image': _, ...message } = remoteMessage(served(), observation());

    // As openpi's client sees it: a text frame, then the close.
    const raw = new WebSocket(url, { perMessageDeflate: false });
    const frames: { text: boolean; data: string }[] = [];
    const closed = new Promise<{ code: number; reason: string }>((done) => raw.on('close', (code, reason) => done({ code, reason: reason.toString() })));
    raw.on('message', (data: Buffer, isBinary) => {
      frames.push({ text: !isBinary, data: data.toString() });
      if (frames.length === 1) raw.send(packOpenpi(message));
    });
    const close = await closed;
    expect(frames.map((f) => f.text)).toEqual([false, true]);
    expect(frames[1]!.data).toMatch(/^Traceback \(most recent call last\):\n/);
    expect(frames[1]!.data).toContain('"observation/image"');
    expect(close.code).toBe(1011);

    // Through Simloop's client: a PolicyError holding the traceback; the next request reconnects and works.
    const client = new RemotePolicyClient({ url, open: nodeSocket(null), timeoutMs: 30_000 });
    try {
      const error = await client.request(message).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as Error).message).toMatch(new RegExp(`^the policy server at ${url} failed:\\nTraceback \\(most recent call last\\):\\n`));
      expect((error as Error).message).toContain('ValueError: "observation/image": expected uint8 [64, 64, 3], got NoneType');
      expect(client.connected).toBe(false);
      const { reply } = await client.request(remoteMessage(served(), observation()));
      expect((reply.actions as NdArray).shape).toEqual([8, 7]);
      expect(client.connections).toBe(2);
    } finally {
      client.close();
    }
  });
});

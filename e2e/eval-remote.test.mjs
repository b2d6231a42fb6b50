/**
 * `simloop eval` on a served policy, end to end: the reference server (training/serve_policy.py,
 * PyTorch) serves the shipped pick-cube policy over openpi's WebSocket protocol, and the same 20
 * episodes end the same way as with the policy run in the tab on onnxruntime-web (sim time). Real
 * time records each request's round trip and the server's own inference time. A server that
 * stalls mid-run errors that episode with the reason, the next episode reconnects, and the CLI
 * finishes; an absent server is one line before any browser starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { main } from '../src/cli/main.ts';
import { NdArray, packOpenpi } from '../src/engine/policy/openpi.ts';
import { pythonModules, requirePython, titled } from '../src/engine/testing/python.ts';
import { SERVER_MODULES, startReferenceServer } from './referenceServer.mjs';

const SERVER = pythonModules(...SERVER_MODULES);
const ONNX_POLICY = 'public/policies/pick-cube/policy.json';
const REMOTE_POLICY = 'public/policies/pick-cube/remote.json';

async function run(...args) {
  const stdout = [];
  const stderr = [];
  const code = await main(args, { write: (s) => stdout.push(s) }, { write: (s) => stderr.push(s) });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

const episodes = (out) => readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** The bundled served-policy manifest pointed at `url` (with other changes), written into `dir`. */
function remoteManifest(dir, url, change = (m) => m) {
  const manifest = change({ ...JSON.parse(readFileSync(REMOTE_POLICY, 'utf8')) });
  manifest.remote = { ...manifest.remote, url };
  const file = join(dir, `remote-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

test(titled('the shipped policy served by the reference server ends the same 20 episodes as in the tab (sim time); real time records latencies', SERVER), { skip: SERVER.skip, timeout: 600_000 }, async (t) => {
  requirePython(SERVER);
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-eval-remote-'));
  const server = await startReferenceServer();
  try {
    const served = join(tmp, 'served');
    const inTab = join(tmp, 'in-tab');
    const manifest = remoteManifest(tmp, server.url);
    const common = ['--task', 'pick-cube', '--episodes', '20', '--seed', '1000', '--no-videos', '--json'];
    const a = await run('eval', '--policy', manifest, '--out', served, ...common);
    assert.equal(a.code, 0, a.stderr);
    const b = await run('eval', '--policy', ONNX_POLICY, '--out', inTab, '--ep', 'wasm', ...common);
    assert.equal(b.code, 0, b.stderr);
    const remote = JSON.parse(a.stdout);
    assert.equal(remote.ep, 'remote openpi-websocket');
    assert.equal(remote.remote.metadata.name, 'pick-cube-demo-vla');
    assert.equal(remote.remote.connections, 1);
    assert.equal(remote.errored, 0);
    assert.ok(remote.server_ms.p50 > 0 && remote.inference_ms.p50 >= remote.server_ms.p50, JSON.stringify(remote));
    // Episode by episode: the same ending. PyTorch and onnxruntime agree to ~1e-7 on each action;
    // in a long, contact-rich episode that can move the moment of success by some control steps
    // (measured: episode 13 at 158 steps served, 150 in the tab), not how the episode ends.
    const x = episodes(served);
    const y = episodes(inTab);
    assert.equal(x.length, 20);
    assert.deepEqual(x.map((e) => [e.episode, e.success, e.outcome]), y.map((e) => [e.episode, e.success, e.outcome]));
    for (let k = 0; k < 20; k++) {
      // A failure runs out the clock either way.
      if (!x[k].success) assert.equal(x[k].steps, y[k].steps, `episode ${k}`);
      else if (x[k].steps !== y[k].steps) t.diagnostic(`episode ${k}: success at step ${x[k].steps} served, ${y[k].steps} in the tab`);
    }
    assert.equal(remote.successes, JSON.parse(b.stdout).successes);
    for (const e of x) {
      // Temporal ensembling asks the policy every control step: one request per step.
      assert.equal(e.inference_ms.length, e.steps);
      assert.equal(e.server_ms.length, e.steps);
    }

    // Real time: the network and the server's inference cost simulated time; both are recorded.
    const real = join(tmp, 'real');
    const r = await run('eval', '--policy', remoteManifest(tmp, server.url), '--task', 'pick-cube', '--episodes', '1', '--seed', '1000', '--clock', 'real', '--no-videos', '--out', real, '--json');
    assert.equal(r.code, 0, r.stderr);
    const [e] = episodes(real);
    assert.equal(JSON.parse(r.stdout).clock, 'real');
    assert.ok(e.inference_ms.length > 0 && e.inference_ms.length === e.server_ms.length);
    e.inference_ms.forEach((ms, i) => assert.ok(ms > 0 && ms >= e.server_ms[i], `request ${i}: round trip ${ms} ms, server ${e.server_ms[i]} ms`));
    // And plotted: latency.svg draws both, one point per request.
    const svg = readFileSync(join(real, 'latency.svg'), 'utf8');
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"><title>([^<]*)<\/title>/g)].map((m) => [m[2], m[1].split(' ').length]);
    assert.deepEqual(lines, [['round trip', e.inference_ms.length], ['server infer_ms', e.inference_ms.length]]);
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * An openpi-speaking stand-in on a free port: /healthz, metadata on connect, a hold-still chunk
 * for each request, except that request number `stallAt` (counting from 1 over all connections)
 * never gets an answer.
 */
async function stallingServer(stallAt) {
  const http = createServer((req, res) => {
    if (req.url === '/healthz') res.end('OK\n');
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http });
  let requests = 0;
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    ws.send(packOpenpi({ name: 'stalling stand-in' }));
    ws.on('message', () => {
      requests++;
      if (requests === stallAt) return;
      ws.send(packOpenpi({ actions: NdArray.of(new Float64Array(8 * 7).map((_, i) => (i % 7 === 6 ? -1 : 0)), [8, 7]), server_timing: { infer_ms: 0.5 } }));
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `ws://127.0.0.1:${http.address().port}`, stats: () => ({ requests, connections }), close: () => new Promise((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(); http.close(resolve); }) };
}

test('a server that stalls errors that episode with the reason; the next reconnects; the CLI finishes. No server: one line', { timeout: 240_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-eval-stall-'));
  // 3 warm-up requests, then the 20th request of episode 0 stalls.
  const server = await stallingServer(23);
  try {
    const manifest = remoteManifest(tmp, server.url, (m) => ({ ...m, remote: { ...m.remote, timeout_s: 1.5 } }));
    const out = join(tmp, 'out');
    const r = await run('eval', '--policy', manifest, '--task', 'reach', '--episodes', '2', '--seed', '3', '--no-videos', '--out', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(r.stdout);
    const [first, second] = episodes(out);
    assert.equal(first.outcome, 'errored');
    assert.equal(first.steps, 19);
    assert.match(first.error, new RegExp(`^no reply from ${server.url.replace(/[.:/]/g, '\\$&')} within 1\\.5 s$`));
    assert.equal(second.error, null, 'the next episode ran on a new connection');
    assert.ok(second.steps > 0);
    assert.equal(results.errored, 1);
    assert.equal(results.remote.connections, 2);
    assert.equal(server.stats().connections, 3, 'the CLI checked the server, then the page connected twice');
  } finally {
    await server.close();
  }
  try {
    // Nothing listens there any more: refused before any browser starts, in one line.
    const manifest = remoteManifest(tmp, server.url);
    const r = await run('eval', '--policy', manifest, '--task', 'reach', '--episodes', '1', '--seed', '1', '--out', join(tmp, 'none'));
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, /^simloop: remote-\w+\.json: remote\.url: no policy server answers at ws:\/\/127\.0\.0\.1:\d+ \(GET http:\/\/127\.0\.0\.1:\d+\/healthz: ECONNREFUSED\)\n$/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--until stops an evaluation once its anytime-valid interval is narrow enough, or once the comparison with a baseline is decided', { timeout: 240_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-eval-until-'));
  // A policy that holds the arm still never reaches: every episode fails, the same way on every run.
  const server = await stallingServer(Infinity);
  try {
    const manifest = remoteManifest(tmp, server.url);
    const common = ['--policy', manifest, '--task', 'reach', '--episodes', '10', '--seed', '3', '--no-videos', '--json'];
    // 0 of n: the 95% confidence sequence [0, u_n] is 0.658 wide at n = 4 and 0.585 at n = 5.
    const a = await run('eval', ...common, '--out', join(tmp, 'a'), '--until', 'ci-width=0.6');
    assert.equal(a.code, 0, a.stderr);
    const first = JSON.parse(a.stdout);
    assert.equal(first.episodes, 5);
    assert.deepEqual(first.until.rule, { kind: 'ci-width', width: 0.6 });
    assert.equal(first.until.stopped_early, true);
    assert.ok(first.until.width <= 0.6 && first.until.interval[0] === 0, JSON.stringify(first.until));
    assert.match(first.until.reason, /anytime-valid interval 0\.000–0\.585 is 0\.585 wide, within the 0\.6 asked for/);
    // The same policy again, against that run on the same seed: paired, and it held within ±0.75 after 4 episodes.
    const b = await run('eval', ...common, '--out', join(tmp, 'b'), '--until', 'decided', '--baseline', join(tmp, 'a', 'results.json'), '--margin', '0.75');
    assert.equal(b.code, 0, b.stderr);
    const second = JSON.parse(b.stdout);
    assert.equal(second.episodes, 4);
    assert.equal(second.until.decision, 'held');
    assert.match(second.until.reason, /^the candidate held: the 95% anytime-valid interval for candidate − baseline is −0\.712 to \+0\.712, inside ±0\.75$/);
    // decided without a baseline: one line, no browser.
    const c = await run('eval', ...common, '--out', join(tmp, 'c'), '--until', 'decided');
    assert.equal(c.code, 2);
    assert.match(c.stderr, /^simloop: --until: decided needs --baseline <results\.json> to decide against\n$/);
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * A served policy in the Policy tab: start the reference server (training/serve_policy.py, the
 * bundled pick-cube policy over openpi's WebSocket protocol), connect the tab to it, run one
 * episode to its end with the round trip and the server's own time plotted; then stop the server
 * in the middle of an episode and see the episode end errored, say why, and the panel carry on
 * with a new server.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT, useStudioPage, waitForScene } from './harness.mjs';

const TIMEOUT = 120_000;
const text = (page, id) => page.locator(`[data-testid="${id}"]`).textContent();
const outcome = (page) => text(page, 'policy-outcome');

/** Starts training/serve_policy.py on a free port; resolves once it says where it listens. */
function startPolicyServer() {
  const child = spawn('/usr/bin/python3', ['training/serve_policy.py', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const server = {
    child,
    url: null,
    /** Ends the server as a crash would: no closing handshake. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void server.kill();
      reject(new Error(`serve_policy.py printed no "serving … on ws://…" line within 60 s\n${stderr}`));
    }, 60_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve_policy.py exited (${code}) before serving\n${stderr}`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const match = /on (ws:\/\/\S+)/.exec(line);
      if (!match) {
        void server.kill();
        reject(new Error(`serve_policy.py said "${line}", expected "serving … on ws://…"`));
        return;
      }
      server.url = match[1];
      resolve(server);
    });
  });
}

/** Types the server's URL, connects, and waits until the tab shows the policy served by it. */
async function connect(page, url) {
  await page.fill('input[aria-label="Policy server URL"]', url);
  await page.click('[data-testid="policy-connect"]');
  await page.waitForFunction((want) => document.querySelector('[data-testid="policy-server"]')?.textContent === want, url, { timeout: 20_000 });
}

/** Waits until a new episode is running and past `step` steps. */
const runningPast = (page, step) =>
  page.waitForFunction(
    (past) => document.querySelector('[data-testid="policy-outcome"]')?.textContent === 'running' && Number(/step (\d+)/.exec(document.querySelector('[data-testid="policy-steps"]')?.textContent ?? '')?.[1]) >= past,
    step,
    { timeout: 30_000 },
  );

/** Points of each polyline of an SVG plot. */
const plotPoints = (page, id) => page.locator(`[data-testid="${id}"] polyline`).evaluateAll((lines) => lines.map((l) => l.getAttribute('points').trim().split(/\s+/).length));

describe('a served policy in the studio', () => {
  const studio = useStudioPage(TIMEOUT);

  test('connect to the reference server, run an episode with its latency plotted, survive the server stopping', { timeout: TIMEOUT }, async () => {
    const { page, pageErrors } = studio;
    const servers = [];
    try {
      servers.push(await startPolicyServer());
      const [first] = servers;
      await page.click('#sdg-tab-policy');
      assert.equal(await page.inputValue('input[aria-label="Policy server URL"]'), 'ws://127.0.0.1:8000');
      await connect(page, first.url);
      assert.equal(await text(page, 'policy-provider'), 'remote openpi-websocket');
      // What the server said about itself (training/serve_policy.py's metadata).
      const metadata = await text(page, 'policy-server-metadata');
      assert.match(metadata, /pick-cube-demo-vla/);
      assert.match(metadata, /robot panda/);

      // One episode to its end.
      await page.fill('input[aria-label="Policy seed"]', '1000');
      await page.fill('input[aria-label="Policy episode"]', '0');
      await page.click('[data-testid="policy-run"]');
      await waitForScene(page, 'pick-cube · episode 0 (seed 1000)');
      await page.waitForFunction(() => !/running/.test(document.querySelector('[data-testid="policy-outcome"]')?.textContent ?? 'running'), null, { timeout: 60_000 });
      assert.match(await outcome(page), /^(success|failure: .+)$/);
      assert.match(await text(page, 'policy-timing'), /^Round trip \d+\.\d+ ms \(p50 \d+\.\d+ ms, \d+ requests\) · server \d+\.\d+ ms · control \d+\.\d Hz$/);
      // Round trip and server time, a point per request.
      const lines = await plotPoints(page, 'policy-plot-latency');
      assert.equal(lines.length, 2);
      for (const points of lines) assert.ok(points >= 2, `a latency line has ${points} points`);

      // The server stops in the middle of the next episode.
      await page.click('[data-testid="policy-run"]');
      await runningPast(page, 5);
      await first.kill();
      // A request in flight ends with the connection; one not yet sent fails to reconnect (after its back-off).
      await page.waitForFunction(() => /^errored: /.test(document.querySelector('[data-testid="policy-outcome"]')?.textContent ?? ''), null, { timeout: 30_000 });
      const errored = await outcome(page);
      assert.match(errored, /^errored: .*(the connection to ws:\/\/127\.0\.0\.1:\d+ closed|could not reach the policy server)/);
      assert.match(await text(page, 'messages'), /Policy: episode 0 errored: /);

      // The panel carries on: a new server, Connect, and a run starts.
      await page.waitForFunction(() => !document.querySelector('[data-testid="policy-run"]')?.disabled, null, { timeout: 10_000 });
      servers.push(await startPolicyServer());
      await connect(page, servers[1].url);
      assert.equal(await text(page, 'policy-provider'), 'remote openpi-websocket');
      await page.click('[data-testid="policy-run"]');
      await runningPast(page, 2);
      await page.waitForFunction(() => /^Round trip \d+\.\d+ ms \(p50 \d+\.\d+ ms, [1-9]\d* requests?\)/.test(document.querySelector('[data-testid="policy-timing"]')?.textContent ?? ''), null, { timeout: 30_000 });
      await page.click('[data-testid="policy-stop"]');
      await page.waitForFunction(() => document.querySelector('[data-testid="policy-outcome"]')?.textContent === 'stopped', null, { timeout: 10_000 });
      assert.deepEqual(pageErrors, []);
    } finally {
      for (const server of servers) await server.kill();
    }
  });
});

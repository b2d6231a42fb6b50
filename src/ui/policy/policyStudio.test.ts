import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import type { EvaluationSummary } from '../../engine/policy/closedLoop.ts';
import { parseAnyPolicyManifest, parsePolicyManifest } from '../../engine/policy/manifest.ts';
import { packOpenpi } from '../../engine/policy/openpi.ts';
import type { OpenSocket, WebSocketLike } from '../../engine/policy/remote.ts';
import type { OptionalRandomization } from '../../engine/tasks/spec.ts';
import { initialStudioState, type StudioState } from '../state/studioState.ts';
import {
  achievedRate,
  COMPARE_MARGIN,
  comparison,
  comparisonTest,
  createPolicyStore,
  createPolicyStudio,
  describeServerMetadata,
  differenceText,
  errorHeadline,
  type EvalRun,
  failuresFirst,
  latencyRows,
  outcomeText,
  packageFromFiles,
  policyImageSize,
  providerOf,
  timingText,
  verdictMeaning,
  untilRule,
  withServerUrl,
} from './policyStudio.ts';

const TINY = 'scenes/fixtures/policy/tiny/';
const picked = (path: string, bytes: Uint8Array | string) => ({ path, file: new File([bytes as BlobPart], path.split('/').pop()!) });
const tinyFiles = (prefix: string) => ['policy.json', 'policy.onnx', 'stats.json', 'vocab.json'].map((f) => picked(prefix + f, new Uint8Array(readFileSync(TINY + f))));

describe('opening a policy from picked files', () => {
  it('finds the manifest among a picked folder (other JSON beside it) and takes the files it names', async () => {
    const pkg = await packageFromFiles([picked('tiny/notes.json', '{"hello": 1}'), ...tinyFiles('tiny/')]);
    expect(pkg.manifestFile).toBe('policy.json');
    expect(Object.keys(pkg.files).sort()).toEqual(['policy.json', 'policy.onnx', 'stats.json', 'vocab.json']);
    expect(pkg.files['policy.onnx']!.byteLength).toBe(readFileSync(TINY + 'policy.onnx').byteLength);
  });

  it('says which named file is missing, and when no manifest was picked', async () => {
    const withoutVocab = tinyFiles('').filter((f) => f.path !== 'vocab.json');
    await expect(packageFromFiles(withoutVocab)).rejects.toThrow('policy.json: "vocab.json" was not among the picked files');
    await expect(packageFromFiles([picked('policy.onnx', new Uint8Array(4))])).rejects.toThrow('Policy: no .json manifest among the picked files');
    await expect(packageFromFiles([picked('a.json', '[]')])).rejects.toThrow('Policy: none of a.json is a policy manifest');
    // A manifest with a mistake is reported as the manifest's error, naming the field.
    const broken = JSON.parse(readFileSync(TINY + 'policy.json', 'utf8'));
    broken.control.hz = -1;
    await expect(packageFromFiles([picked('policy.json', JSON.stringify(broken))])).rejects.toThrow(/^policy\.json: control\.hz/);
  });

  it('renders the cameras at the policy`s own size when its images share one', () => {
    const m = parsePolicyManifest(readFileSync(TINY + 'policy.json', 'utf8'), 'policy.json');
    expect(policyImageSize(m)).toEqual([128, 128]);
    m.inputs.images.forEach((i) => Object.assign(i, { width: 64, height: 48 }));
    expect(policyImageSize(m)).toEqual([64, 48]);
  });
});

describe('the results table and the comparison', () => {
  /** A pick-cube run: which of its episodes (index 0, 1, …) the policy solved. */
  const run = (id: number, solved: boolean[], options: { seed?: number; off?: OptionalRandomization[] } = {}): EvalRun => ({
    id,
    label: `#${id}`,
    seed: options.seed ?? 1,
    randomizationsOff: options.off ?? [],
    until: null,
    summary: { task: 'pick-cube', policy: 'p', successes: solved.filter(Boolean).length, episodes: solved.length } as EvaluationSummary,
    episodes: solved.map((success, index) => ({ index, success }) as EvalRun['episodes'][number]),
  });
  const solved = (pattern: string) => [...pattern].map((c) => c === '1');

  it('lists failures first, then by episode', () => {
    const rows = [0, 1, 2, 3, 4].map((index) => ({ index, success: index % 2 === 0 }));
    expect(failuresFirst(rows).map((r) => r.index)).toEqual([1, 3, 0, 2, 4]);
  });

  it('pairs two runs on the same seed episode by episode: only the episodes one of them solved count', () => {
    // The candidate solves the baseline's 2 episodes and 6 more, loses none.
    const runs = [run(1, solved('1100000000')), run(2, solved('1111111100'))];
    const c = comparison(runs, [1, 2])!;
    expect(c.baseline.id).toBe(1);
    expect(c.candidate.id).toBe(2);
    expect(c.result.kind).toBe('paired');
    expect(c.result.table).toEqual({ both: 2, onlyA: 6, onlyB: 0, neither: 2 });
    // Under "equally good" each of the 6 discordant episodes is a coin flip: p = 2 · ½⁶.
    expect(c.result.p_value).toBeCloseTo(2 / 64, 10);
    expect(c.result.difference).toBeCloseTo(0.6, 10);
    expect(c.result.verdict).toBe('improved');
    expect(comparisonTest(c.result)).toBe('paired on 10 shared episodes (6 only the candidate solved, 0 only the baseline), exact McNemar p = 0.0313');
    expect(differenceText(c.result)).toMatch(/^\+60\.0 points \(95% CI \+\d+\.\d to \+\d+\.\d\)$/);
    expect(verdictMeaning(c.result)).toBe('the candidate does better (p < 0.05)');
    // The earlier run is the baseline whichever slot it was chosen in.
    expect(comparison(runs, [2, 1])!.baseline.id).toBe(1);
  });

  it('compares runs on different seeds as independent samples (Fisher`s exact test)', () => {
    const runs = [run(1, solved('1110'), { seed: 1 }), run(2, solved('1000'), { seed: 2 })];
    const c = comparison(runs, [1, 2])!;
    expect(c.result.kind).toBe('unpaired');
    // Fisher's exact test for 3 of 4 against 1 of 4: 34/70 (R's fisher.test).
    expect(c.result.p_value).toBeCloseTo(34 / 70, 10);
    expect(c.result.difference).toBe(-0.5);
    expect(comparisonTest(c.result)).toBe("unpaired (different seeds (1, 2): different episodes), Fisher's exact test p = 0.486");
    expect(differenceText(c.result)).toMatch(/^−50\.0 points \(95% CI −\d+\.\d to \+\d+\.\d\)$/);
    // Four episodes each cannot rule out a 10-point regression.
    expect(c.result.verdict).toBe('underpowered');
    expect(verdictMeaning(c.result)).toBe('no significant difference, but the 95% interval reaches beyond ±10 points: run more episodes to decide');
  });

  it('does not pair a run that had randomizations off with one that had them on: they ran other episodes', () => {
    const runs = [run(1, solved('1111')), run(2, solved('1111'), { off: ['lights', 'cameras'] })];
    const c = comparison(runs, [1, 2])!;
    expect(c.result.kind).toBe('unpaired');
    expect(c.result.unpaired_because).toBe('different tasks (pick-cube, pick-cube without cameras, lights)');
    expect(comparison([run(1, solved('10'), { off: ['lights'] }), run(2, solved('11'), { off: ['lights'] })], [1, 2])!.result.kind).toBe('paired');
  });

  it('has nothing to compare until both chosen runs exist and ran episodes', () => {
    const runs = [run(1, solved('1110')), run(2, solved('1000')), run(3, [])];
    expect(comparison(runs, [1, null])).toBeNull();
    expect(comparison(runs, [1, 9])).toBeNull();
    expect(comparison(runs, [1, 3])).toBeNull();
  });

  it('measures the control rate achieved in wall-clock time', () => {
    const live = { steps: 40, startedAt: 1000, lastAt: 3000 } as Parameters<typeof achievedRate>[0];
    expect(achievedRate(live)).toBe(20);
    expect(achievedRate({ ...live, steps: 0 })).toBe(0);
  });
});

const SERVED = 'public/policies/pick-cube/remote.json';
const servedText = () => readFileSync(SERVED, 'utf8');

describe('a served policy`s manifest pointed at the typed server', () => {
  it('replaces remote.url and keeps the rest as written', () => {
    const { manifest, text } = withServerUrl(servedText(), 'remote.json', '  ws://10.0.0.5:8123  ');
    expect(manifest.remote.url).toBe('ws://10.0.0.5:8123');
    // Everything else reads back as the author wrote it.
    const written = JSON.parse(servedText());
    expect(JSON.parse(text)).toEqual({ ...written, remote: { ...written.remote, url: 'ws://10.0.0.5:8123' } });
    expect(parseAnyPolicyManifest(text, 'remote.json')).toEqual(manifest);
  });

  it('refuses a URL that is not a WebSocket URL, naming the field, and a manifest of ONNX graphs', () => {
    expect(() => withServerUrl(servedText(), 'remote.json', 'http://127.0.0.1:8000')).toThrow(/^remote\.json: remote\.url: expected a WebSocket URL/);
    expect(() => withServerUrl(readFileSync(TINY + 'policy.json', 'utf8'), 'policy.json', 'ws://127.0.0.1:8000')).toThrow(/^policy\.json: remote: missing/);
  });

  it('is opened from picked files on its own (it names no other files)', async () => {
    const pkg = await packageFromFiles([picked('served/remote.json', servedText())]);
    expect(pkg.manifestFile).toBe('remote.json');
    expect(Object.keys(pkg.files)).toEqual(['remote.json']);
  });
});

describe('what the panel says about a served policy', () => {
  it('describes the server`s metadata in a line, its name first', () => {
    const text = describeServerMetadata({ robot: 'panda', name: 'pick-cube-demo-vla', image_size: [64, 64], action_horizon: 8 });
    expect(text).toBe('pick-cube-demo-vla · robot panda · image_size [64,64] · action_horizon 8');
    expect(describeServerMetadata({})).toBe('no metadata');
    expect(describeServerMetadata({ note: 'x'.repeat(200) })).toMatch(/^note x{59}…$/);
  });

  it('gives an error in a line: the first, and a traceback`s exception', () => {
    expect(errorHeadline('the connection to ws://h:1 closed (code 1006)')).toBe('the connection to ws://h:1 closed (code 1006)');
    const traceback = 'the policy server at ws://h:1 failed:\nTraceback (most recent call last):\n  File "serve_policy.py", line 9, in infer\nValueError: "prompt": expected a string\n';
    expect(errorHeadline(traceback)).toBe('the policy server at ws://h:1 failed: ValueError: "prompt": expected a string');
  });

  it('says how the live episode ended: an error by its headline, a run stopped or only reset', () => {
    const result = { success: false, error: 'the connection to ws://h:1 closed (code 1006)\nmore', outcome: 'errored' } as never;
    expect(outcomeText({ result, success: false, cut: false, steps: 5 })).toBe('errored: the connection to ws://h:1 closed (code 1006): more');
    expect(outcomeText({ result: { success: false, error: null, outcome: 'never_reached' } as never, success: false, cut: false, steps: 200 })).toBe('failure: never reached the target');
    expect(outcomeText({ result: null, success: false, cut: false, steps: 5 })).toBe('running');
    expect(outcomeText({ result: null, success: false, cut: true, steps: 5 })).toBe('stopped');
    expect(outcomeText({ result: null, success: false, cut: true, steps: 0 })).toBe('ready');
  });

  const live = { steps: 40, startedAt: 1000, lastAt: 3000, latencies: [6, 5, 7, 6.1], serverLatencies: [4, 3.5, 5, 4.2] };

  it('times a served policy by its round trips and the server`s own time', () => {
    expect(timingText({ ...live, served: true })).toBe('Round trip 6.10 ms (p50 6.05 ms, 4 requests) · server 4.20 ms · control 20.0 Hz');
    // A server that does not report its time: the round trip alone.
    expect(timingText({ ...live, served: true, serverLatencies: live.latencies.map(() => Number.NaN) })).toBe('Round trip 6.10 ms (p50 6.05 ms, 4 requests) · control 20.0 Hz');
  });

  it('times a policy in the tab as before', () => {
    expect(timingText({ ...live, served: false, serverLatencies: [] })).toMatch(/^Inference \d+\.\d+ ms \(p50 \d+\.\d+ ms, 4 runs\) · control \d+\.\d Hz$/);
    expect(timingText({ ...live, served: false, latencies: [], serverLatencies: [], steps: 0 })).toBe('Inference – (p50 –, 0 runs) · control 0.0 Hz');
  });

  it('plots round trip and server time per request, one line when the server reports none', () => {
    expect(latencyRows(live)).toEqual([
      [6, 4],
      [5, 3.5],
      [7, 5],
      [6.1, 4.2],
    ]);
    expect(latencyRows({ latencies: [6, 5, 7], serverLatencies: [4, Number.NaN, 5] })).toEqual([
      [6, 4],
      [7, 5],
    ]);
    expect(latencyRows({ latencies: [2, 3], serverLatencies: [] })).toEqual([[2], [3]]);
  });
});

/** A WebSocket that, once the page's handlers are set, either sends `metadata` or closes as a refused connection does. */
function fakeServer(answer: (url: string) => { metadata: Record<string, unknown> } | { closeCode: number }) {
  const opened: string[] = [];
  const closed: string[] = [];
  const open: OpenSocket = (url) => {
    opened.push(url);
    const socket: WebSocketLike = {
      binaryType: 'blob',
      readyState: 0,
      send() {},
      close: () => closed.push(url),
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    setTimeout(() => {
      const a = answer(url);
      if ('metadata' in a) socket.onmessage?.({ data: packOpenpi(a.metadata).slice().buffer });
      else socket.onclose?.({ code: a.closeCode, reason: '' });
    }, 0);
    return socket;
  };
  return { open, opened, closed };
}

describe('connecting the Policy tab to a policy server', () => {
  const setUp = (server: ReturnType<typeof fakeServer>) => {
    const studio = createStore<StudioState>()(() => initialStudioState());
    const store = createPolicyStore();
    const sim = { policyAttach: async () => {}, policyRun: async () => ({ ok: true as const, results: [] }), policyStop: async () => {} };
    const noWorker = () => {
      throw new Error('a served policy needs no policy worker');
    };
    const controller = createPolicyStudio(store, studio, sim as never, noWorker, server.open);
    const messages = () => studio.getState().messages.map((m) => `${m.level}: ${m.text}`);
    return { studio, store, controller, messages };
  };
  const picks = () => [picked('remote.json', servedText())];

  it('refuses a served manifest that needs an API key (a browser cannot send it), connecting to nothing', async () => {
    const server = fakeServer(() => ({ metadata: { name: 'x' } }));
    const { store, controller, messages } = setUp(server);
    const keyed = JSON.parse(servedText());
    keyed.remote.api_key_env = 'OPENPI_API_KEY';
    await controller.loadFiles([picked('remote.json', JSON.stringify(keyed))]);
    expect(server.opened).toEqual([]);
    expect(store.getState().policy).toBeNull();
    expect(messages().at(-1)).toBe('error: Policy: remote.json: remote.api_key_env: this server wants an API key (OPENPI_API_KEY), which a browser cannot send; evaluate it with simloop eval, which relays the key');
  });

  it('opens a served manifest from files, checks its server, reads the metadata, and closes the check', async () => {
    const server = fakeServer(() => ({ metadata: { name: 'pick-cube-demo-vla', robot: 'panda' } }));
    const { store, controller, messages } = setUp(server);
    await controller.loadFiles(picks());
    const policy = store.getState().policy!;
    expect(policy.runner).toEqual({ kind: 'server', url: 'ws://127.0.0.1:8000', provider: 'remote openpi-websocket', metadata: { name: 'pick-cube-demo-vla', robot: 'panda' } });
    expect(providerOf(policy)).toBe('remote openpi-websocket');
    expect(policy.chunk).toBeNull();
    expect(policy.imageSize).toEqual([64, 64]);
    expect(server.opened).toEqual(['ws://127.0.0.1:8000']);
    expect(server.closed).toEqual(['ws://127.0.0.1:8000']);
    expect(store.getState().serverUrl).toBe('ws://127.0.0.1:8000');
    expect(messages()).toEqual(['info: Policy pick-cube-demo-vla (served) served by ws://127.0.0.1:8000: pick-cube-demo-vla · robot panda']);
  });

  it('connects the open served policy to the typed server; a server that is not there leaves a message and the policy as it was', async () => {
    const server = fakeServer((url) => (url.includes(':9001') ? { metadata: { name: 'moved' } } : url.includes(':9') ? { closeCode: 1006 } : { metadata: { name: 'first' } }));
    const { store, controller, messages } = setUp(server);
    await controller.loadFiles(picks());

    controller.setForm({ serverUrl: 'ws://127.0.0.1:9' });
    await controller.connect();
    expect(messages().at(-1)).toBe('error: Policy: could not connect to ws://127.0.0.1:9: the connection closed (code 1006, dropped without a closing handshake)');
    expect(store.getState().policy!.runner).toMatchObject({ kind: 'server', url: 'ws://127.0.0.1:8000' });
    expect(store.getState().busy).toBeNull();

    controller.setForm({ serverUrl: 'ws://127.0.0.1:9001' });
    await controller.connect();
    const policy = store.getState().policy!;
    expect(policy.runner).toMatchObject({ kind: 'server', url: 'ws://127.0.0.1:9001', metadata: { name: 'moved' } });
    // Runs carry the manifest pointed at the server connected to.
    expect(JSON.parse(policy.manifestText).remote.url).toBe('ws://127.0.0.1:9001');
  });

  it('keeps a served manifest whose server is down, so Connect tries it at another URL', async () => {
    const server = fakeServer((url) => (url.endsWith(':8000') ? { closeCode: 1006 } : { metadata: { name: 'up' } }));
    const { store, controller, messages } = setUp(server);
    await controller.loadFiles(picks());
    expect(store.getState().policy).toBeNull();
    expect(messages().at(-1)).toMatch(/^error: Policy: could not connect to ws:\/\/127\.0\.0\.1:8000/);
    controller.setForm({ serverUrl: 'ws://127.0.0.1:8100' });
    await controller.connect();
    expect(store.getState().policy).toMatchObject({ name: 'pick-cube-demo-vla (served)', runner: { kind: 'server', url: 'ws://127.0.0.1:8100' } });
  });
});

describe('stopping an evaluation early', () => {
  it('turns the form`s choice into the rule simloop eval --until uses', () => {
    expect(untilRule({ until: 'episodes', width: 0.3 })).toBeNull();
    expect(untilRule({ until: 'ci-width', width: 0.25 })).toEqual({ kind: 'ci-width', width: 0.25 });
    expect(untilRule({ until: 'decided', width: 0.3 })).toEqual({ kind: 'decided', margin: COMPARE_MARGIN });
  });
});

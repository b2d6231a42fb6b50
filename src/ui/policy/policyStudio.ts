/**
 * The Policy tab's controller: open a policy package (the bundled one, a URL, or picked files) in
 * the policy worker (onnxruntime-web, WebGPU first), connect that worker to the simulation worker
 * (a MessagePort: the closed loop calls the policy worker to worker), run one task episode live
 * (paced at the control rate, the viewport following it, what the policy sees and its actions
 * plotted), or evaluate many (progress, a results table with Wilson intervals, a video per
 * episode, success by randomized factor) and compare two runs (engine/eval/compare.ts: paired on
 * the episodes both ran when they share task and seed, with a release verdict). Failures become
 * messages.
 *
 * A served policy (a remote manifest: openpi's WebSocket protocol) needs no policy worker: the
 * page only checks that the server answers (a WebSocket is allowed cross-origin under COEP, a
 * GET /healthz is not) and reads its metadata; the simulation worker opens its own connection for
 * each run (browser/policyRun.ts).
 */
import * as Comlink from 'comlink';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ExecutionProvider, OpenResult, PolicyWorkerApi } from '../../protocol/policyWorker.ts';
import type { PolicyEvent, PolicyRunRequest, SimWorkerApi } from '../../protocol/simWorker.ts';
import { describeError, InputError } from '../../engine/errors.ts';
import { compareRuns, type EvaluatedRun, type RunComparison, runSoFar, untilStatus } from '../../engine/eval/compare.ts';
import type { SequentialStatus, StopRule } from '../../engine/eval/sequential.ts';
import { type EvalClock, type EvaluationSummary, type InstructionMode, type PolicyEpisodeResult, quantile, summarize } from '../../engine/policy/closedLoop.ts';
import type { RgbaImage } from '../../engine/policy/image.ts';
import { actionSize, type AnyPolicyManifest, isRemotePolicy, ownImageSize, packageFiles, parseAnyPolicyManifest, type RemotePolicyManifest } from '../../engine/policy/manifest.ts';
import { describeMessage } from '../../engine/policy/openpi.ts';
import { type OpenSocket, RemotePolicyClient, remotePolicyDriver, type WebSocketLike } from '../../engine/policy/remote.ts';
import { PolicyError } from '../../engine/policy/runtime.ts';
import { OUTCOME_WORDS } from '../../engine/tasks/outcome.ts';
import { OPTIONAL_RANDOMIZATIONS, type OptionalRandomization } from '../../engine/tasks/spec.ts';
import { BUNDLED_TASKS, fetchBundledTask, taskFiles } from '../robot/teleopStudio.ts';
import type { StudioStore } from '../state/studioState.ts';
import { loadSucceeded, sceneSource, withMessages } from '../state/studioState.ts';
import type { PickedFile } from '../studio.ts';

/** The policy Simloop ships (public/policies/pick-cube, trained by training/train_vla.py). */
export const BUNDLED_POLICY_URL = 'policies/pick-cube/policy.json';
/** The same policy as training/serve_policy.py serves it (what Connect uses unless a served policy is open). */
export const BUNDLED_SERVED_POLICY_URL = 'policies/pick-cube/remote.json';
/** Where training/serve_policy.py listens by default. */
export const DEFAULT_SERVER_URL = 'ws://127.0.0.1:8000';

export type ProviderChoice = 'auto' | ExecutionProvider;

/** Where an open policy runs: its ONNX graphs in the policy worker, or on a server. */
export type PolicyRunner =
  | { kind: 'worker'; opened: OpenResult }
  | {
      kind: 'server';
      url: string;
      /** What results name as the execution provider ("remote openpi-websocket"). */
      provider: string;
      /** The map the server sent on connecting (openpi's policy metadata). */
      metadata: Record<string, unknown>;
    };

export interface OpenPolicy {
  name: string;
  description: string;
  source: string;
  manifestFile: string;
  /** The manifest as runs send it (a served policy's with the server URL it was connected to). */
  manifestText: string;
  runner: PolicyRunner;
  hz: number;
  /** Actions per inference (null for a served policy: its reply says). */
  chunk: number | null;
  space: string;
  dim: number;
  /** What the robot's cameras render at for this policy (its own input size when its images share one). */
  imageSize: [number, number];
  cameras: string[];
}

/** The live episode: what the viewport shows, with its telemetry. */
export interface LiveEpisode {
  index: number;
  instruction: string;
  target: string;
  maxSteps: number;
  steps: number;
  success: boolean;
  actions: number[][];
  states: number[][];
  /** Each inference's latency (ms): the worker call, or a served policy's round trip. */
  latencies: number[];
  /** A served policy's own inference time for each of `latencies` (NaN when the reply had none). */
  serverLatencies: number[];
  /** Run by a served policy (the timing line speaks of round trips). */
  served: boolean;
  views: Partial<Record<'scene' | 'wrist', RgbaImage>>;
  /** Wall-clock ms at the start and at the latest step (the control rate achieved). */
  startedAt: number;
  lastAt: number;
  result: PolicyEpisodeResult | null;
  /** The run ended without this episode's result: Stop, or a Reset that shows only its start. */
  cut: boolean;
}

export interface EvalRun {
  id: number;
  label: string;
  summary: EvaluationSummary;
  episodes: (PolicyEpisodeResult & { videoUrl: string | null })[];
  seed: number;
  randomizationsOff: OptionalRandomization[];
  /** The stopping rule's last answer, when the run had one (engine/eval/sequential.ts). */
  until: (SequentialStatus & { rule: StopRule; baseline: string | null }) | null;
}

/** When an evaluation stops: after its episodes, or once a rule says so (at most its episodes). */
export type UntilChoice = 'episodes' | 'ci-width' | 'decided';

export interface EvalProgressState {
  done: number;
  total: number;
  successes: number;
  startedAt: number;
}

export interface PolicyState {
  policy: OpenPolicy | null;
  busy: string | null;
  provider: ProviderChoice;
  url: string;
  /** The policy server to connect to (the typed URL replaces the manifest's remote.url). */
  serverUrl: string;
  taskId: string;
  seed: number;
  episode: number;
  /** Typed instruction ('' = the episode's own). */
  instruction: string;
  clock: EvalClock;
  running: 'episode' | 'eval' | null;
  live: LiveEpisode | null;
  evalForm: {
    episodes: number;
    seed: number;
    clock: EvalClock;
    instructions: InstructionMode;
    videos: boolean;
    randomizationsOff: OptionalRandomization[];
    /** Stop early: once the 95% anytime-valid interval is `width` wide, or once the comparison with the latest run is decided (within ±margin). */
    until: UntilChoice;
    width: number;
  };
  progress: EvalProgressState | null;
  runs: EvalRun[];
  compare: [number | null, number | null];
}

export type PolicyStore = StoreApi<PolicyState>;

export const createPolicyStore = (): PolicyStore =>
  createStore<PolicyState>()(() => ({
    policy: null,
    busy: null,
    provider: 'auto',
    url: '',
    serverUrl: DEFAULT_SERVER_URL,
    taskId: BUNDLED_TASKS.find((t) => t.id === 'pick-cube')?.id ?? BUNDLED_TASKS[0]?.id ?? '',
    seed: 1000,
    episode: 0,
    instruction: '',
    clock: 'sim',
    running: null,
    live: null,
    evalForm: { episodes: 20, seed: 1000, clock: 'sim', instructions: 'given', videos: true, randomizationsOff: [], until: 'episodes', width: 0.3 },
    progress: null,
    runs: [],
    compare: [null, null],
  }));

/** The error of an episode ended by Stop (engine/policy/closedLoop.ts). */
const STOPPED = 'stopped';

/** Plots keep this many steps (a 200-step episode fits whole). */
const PLOT_STEPS = 400;

type PolicyWorker = Pick<Comlink.Remote<PolicyWorkerApi>, 'open' | 'connect' | 'close' | 'status'>;
type SimWorker = Pick<Comlink.Remote<SimWorkerApi>, 'policyAttach' | 'policyRun' | 'policyStop'>;

export interface PolicyStudio {
  setForm(form: Partial<Pick<PolicyState, 'provider' | 'url' | 'serverUrl' | 'taskId' | 'seed' | 'episode' | 'instruction' | 'clock'>>): void;
  setEvalForm(form: Partial<PolicyState['evalForm']>): void;
  loadBundled(): Promise<void>;
  loadUrl(url: string): Promise<void>;
  /** Picked files: one manifest (.json naming graphs) and the files it names. */
  loadFiles(files: readonly PickedFile[]): Promise<void>;
  /** Checks the server at the typed URL and, when it answers, makes its policy the open one. */
  connect(): Promise<void>;
  run(): Promise<void>;
  stop(): Promise<void>;
  reset(): Promise<void>;
  evaluate(): Promise<void>;
  setCompare(slot: 0 | 1, id: number | null): void;
  removeRun(id: number): void;
}

/** The files beside a manifest that it names (a served policy's names none). */
const namedFiles = (manifest: AnyPolicyManifest): string[] => (isRemotePolicy(manifest) ? [] : packageFiles(manifest));

/** Reads a policy package: the manifest and every file it names, by path relative to it. */
async function packageFromUrl(url: string): Promise<{ manifestFile: string; manifestText: string; files: Record<string, ArrayBuffer> }> {
  const base = new URL(url, location.href);
  const get = async (href: URL, what: string) => {
    let response: Response;
    try {
      response = await fetch(href);
    } catch (e) {
      throw new Error(`${href.pathname}: could not fetch the ${what} (${describeError(e)})`);
    }
    if (!response.ok) throw new Error(`${href.pathname}: HTTP ${response.status} fetching the ${what}`);
    return response.arrayBuffer();
  };
  const manifestFile = base.pathname.split('/').pop() || 'policy.json';
  const manifestBytes = await get(base, 'policy manifest');
  const manifestText = new TextDecoder().decode(manifestBytes);
  const manifest = parseAnyPolicyManifest(manifestText, manifestFile);
  const files: Record<string, ArrayBuffer> = { [manifestFile]: manifestBytes };
  for (const name of namedFiles(manifest)) files[name] = await get(new URL(name, base), `file "${name}" the manifest names`);
  return { manifestFile, manifestText, files };
}

/** Picked files → a package: the manifest is the one .json that parses as a policy manifest. */
export async function packageFromFiles(picked: readonly PickedFile[]): Promise<{ manifestFile: string; manifestText: string; files: Record<string, ArrayBuffer> }> {
  const jsons = picked.filter((f) => f.path.toLowerCase().endsWith('.json'));
  const problems: string[] = [];
  for (const candidate of jsons) {
    const text = await candidate.file.text();
    let manifest: AnyPolicyManifest;
    try {
      manifest = parseAnyPolicyManifest(text, candidate.path);
    } catch (e) {
      if (/simloop_policy/.test(text)) throw e;
      problems.push(candidate.path);
      continue;
    }
    const dir = candidate.path.includes('/') ? candidate.path.slice(0, candidate.path.lastIndexOf('/') + 1) : '';
    const manifestFile = candidate.path.slice(dir.length);
    const files: Record<string, ArrayBuffer> = { [manifestFile]: new TextEncoder().encode(text).buffer as ArrayBuffer };
    for (const name of namedFiles(manifest)) {
      const file = picked.find((f) => f.path === dir + name) ?? picked.find((f) => f.path.endsWith(`/${name}`) || f.path === name);
      if (!file) throw new Error(`${manifestFile}: "${name}" was not among the picked files (pick the manifest together with every file it names)`);
      files[name] = await file.file.arrayBuffer();
    }
    return { manifestFile, manifestText: text, files };
  }
  throw new Error(jsons.length === 0 ? 'Policy: no .json manifest among the picked files' : `Policy: none of ${problems.join(', ')} is a policy manifest (expected "simloop_policy": 1)`);
}

/** The camera size a policy sees best: its own input size when all its images share one. */
export const policyImageSize = (manifest: AnyPolicyManifest): [number, number] => ownImageSize(manifest) ?? [128, 128];

/** What results name as where the policy ran: the worker's execution provider, or the server's protocol. */
export const providerOf = (policy: Pick<OpenPolicy, 'runner'>): string => (policy.runner.kind === 'worker' ? policy.runner.opened.provider : policy.runner.provider);

/**
 * A served policy's manifest pointed at another server: the typed URL replaces `remote.url` (the
 * rest stays as its author wrote it), checked as any manifest is.
 */
export function withServerUrl(text: string, file: string, url: string): { manifest: RemotePolicyManifest; text: string } {
  const manifest = parseAnyPolicyManifest(text, file);
  if (!isRemotePolicy(manifest)) throw new InputError(file, 'remote: missing; this manifest names ONNX graphs run in the tab, not a policy server');
  const json = JSON.parse(text) as { remote: Record<string, unknown> };
  json.remote = { ...json.remote, url: url.trim() };
  const replaced = JSON.stringify(json, null, 2);
  const checked = parseAnyPolicyManifest(replaced, file);
  return { manifest: checked as RemotePolicyManifest, text: replaced };
}

/** Metadata values longer than this are cut (a server may send long descriptions). */
const METADATA_VALUE_CHARS = 60;

/** A server's metadata map in one line: its name first, then each key and value ("robot panda · image_size [64,64]"). */
export function describeServerMetadata(metadata: Record<string, unknown>): string {
  const plain = describeMessage(metadata) as Record<string, unknown>;
  const text = (v: unknown) => {
    const t = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
    return t.length > METADATA_VALUE_CHARS ? `${t.slice(0, METADATA_VALUE_CHARS - 1)}…` : t;
  };
  const { name, ...rest } = plain;
  const parts = Object.entries(rest).map(([k, v]) => `${k} ${text(v)}`);
  if (name !== undefined) parts.unshift(text(name));
  return parts.length ? parts.join(' · ') : 'no metadata';
}

/**
 * An error in a line: its first, and for a server's traceback (a served policy's error is its
 * first line, then the traceback) the traceback's last line too, which names the exception.
 */
export function errorHeadline(error: string): string {
  const lines = error.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const first = lines[0] ?? error;
  const last = lines.length > 1 ? lines[lines.length - 1]! : null;
  return last && last !== first ? `${first.replace(/:$/, '')}: ${last}` : first;
}

/** Latencies under 10 ms get two decimals. */
export const formatMs = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : '–');

/** The live episode's timing line: the latest latency, its median and count, and the control rate achieved. */
export function timingText(live: Pick<LiveEpisode, 'latencies' | 'serverLatencies' | 'served' | 'steps' | 'startedAt' | 'lastAt'>): string {
  const last = live.latencies[live.latencies.length - 1] ?? Number.NaN;
  const p50 = quantile(live.latencies, 0.5);
  const rate = `control ${achievedRate(live).toFixed(1)} Hz`;
  if (!live.served) return `Inference ${formatMs(last)} (p50 ${formatMs(p50)}, ${live.latencies.length} runs) · ${rate}`;
  const server = live.serverLatencies.filter(Number.isFinite);
  const serverText = server.length ? ` · server ${formatMs(server[server.length - 1]!)}` : '';
  return `Round trip ${formatMs(last)} (p50 ${formatMs(p50)}, ${live.latencies.length} request${live.latencies.length === 1 ? '' : 's'})${serverText} · ${rate}`;
}

/** The latency plot's rows, one per inference: [round trip, server] for a served policy that reports its time, else [latency]. */
export function latencyRows(live: Pick<LiveEpisode, 'latencies' | 'serverLatencies'>): number[][] {
  const withServer = live.serverLatencies.some(Number.isFinite);
  if (!withServer) return live.latencies.map((ms) => [ms]);
  // A reply without the server's time is left out rather than drawn as zero.
  return live.latencies.flatMap((ms, i) => (Number.isFinite(live.serverLatencies[i]) ? [[ms, live.serverLatencies[i]!]] : []));
}

/** The page's WebSocket, for the connection check. */
const browserSocket: OpenSocket = (url) => new WebSocket(url) as unknown as WebSocketLike;

export function createPolicyStudio(store: PolicyStore, studio: StudioStore, sim: SimWorker, startPolicyWorker: () => PolicyWorker, openSocket: OpenSocket = browserSocket): PolicyStudio {
  const report = (text: string) => studio.setState((s) => withMessages(s, 'error', [text]));
  let worker: PolicyWorker | null = null;
  /** A served policy's manifest opened from a URL or files whose server did not answer: Connect tries it again. */
  let unconnected: { manifestText: string; manifestFile: string; source: string } | null = null;
  let runId = 0;
  const urls: string[] = [];

  const busy = async <T>(what: string, run: () => Promise<T>): Promise<T | null> => {
    store.setState({ busy: what });
    try {
      return await run();
    } catch (error) {
      // A PolicyError (the server) says what happened in its message.
      report(`Policy: ${error instanceof PolicyError ? errorHeadline(error.message) : describeError(error)}`);
      return null;
    } finally {
      store.setState({ busy: null });
    }
  };

  /** The policy worker, started once and connected to the simulation worker. */
  const policyWorker = async (): Promise<PolicyWorker> => {
    if (worker) return worker;
    const started = startPolicyWorker();
    const channel = new MessageChannel();
    await started.connect(Comlink.transfer(channel.port1, [channel.port1]));
    await sim.policyAttach(Comlink.transfer(channel.port2, [channel.port2]));
    worker = started;
    return worker;
  };

  const open = async (source: string, read: () => Promise<{ manifestFile: string; manifestText: string; files: Record<string, ArrayBuffer> }>) => {
    if (store.getState().running) await sim.policyStop();
    await busy('opening', async () => {
      const pkg = await read();
      const manifest = parseAnyPolicyManifest(pkg.manifestText, pkg.manifestFile);
      if (isRemotePolicy(manifest)) {
        // Connect tries this manifest again (another URL typed) when its server does not answer now.
        unconnected = { manifestText: pkg.manifestText, manifestFile: pkg.manifestFile, source };
        store.setState({ serverUrl: manifest.remote.url });
        await connectServed(unconnected, manifest.remote.url);
        return;
      }
      const w = await policyWorker();
      const choice = store.getState().provider;
      const opened = await w.open({ manifestFile: pkg.manifestFile, files: pkg.files, providers: choice === 'auto' ? ['webgpu', 'wasm'] : [choice] });
      store.setState({
        policy: { ...policyShape(manifest), source, manifestFile: pkg.manifestFile, manifestText: pkg.manifestText, runner: { kind: 'worker', opened }, chunk: manifest.outputs.chunk },
        live: null,
      });
      unconnected = null;
      studio.setState((s) => withMessages(s, 'info', [`Policy ${manifest.name} opened on ${opened.provider}${opened.fallbacks.length ? ` (${opened.fallbacks.join('; ')})` : ''}`]));
    });
  };

  /**
   * Checks a served policy's server (one connection: its metadata, then closed) and makes the
   * policy the open one. Throws (the caller reports) when the server does not answer.
   */
  const connectServed = async (pkg: { manifestText: string; manifestFile: string; source: string }, url: string) => {
    const { manifest, text } = withServerUrl(pkg.manifestText, pkg.manifestFile, url);
    // openpi sends the key as an Authorization header, which a browser's WebSocket cannot set.
    if (manifest.remote.api_key_env !== null) {
      throw new InputError(pkg.manifestFile, `remote.api_key_env: this server wants an API key (${manifest.remote.api_key_env}), which a browser cannot send; evaluate it with simloop eval, which relays the key`);
    }
    const client = new RemotePolicyClient({ url: manifest.remote.url, open: openSocket, timeoutMs: manifest.remote.timeout_s * 1000 });
    let metadata: Record<string, unknown>;
    try {
      metadata = await client.connect();
    } finally {
      // Runs open their own connection in the simulation worker.
      client.close();
    }
    store.setState({
      policy: {
        ...policyShape(manifest),
        source: pkg.source,
        manifestFile: pkg.manifestFile,
        manifestText: text,
        // The driver names the provider as the simulation worker's results will ("remote openpi-websocket").
        runner: { kind: 'server', url: manifest.remote.url, provider: remotePolicyDriver(manifest, client).provider, metadata },
        // A server's chunk is whatever it sends.
        chunk: null,
      },
      live: null,
    });
    unconnected = null;
    studio.setState((s) => withMessages(s, 'info', [`Policy ${manifest.name} served by ${manifest.remote.url}: ${describeServerMetadata(metadata)}`]));
  };

  /** Runs episodes in the simulation worker; events update the live view. */
  const runEpisodes = async (
    kind: 'episode' | 'eval',
    options: Pick<PolicyRunRequest, 'seed' | 'indices' | 'clock' | 'instructions' | 'videos' | 'pace' | 'viewEvery' | 'randomizationsOff'> & { instruction?: string; startOnly?: boolean },
    onEpisode?: (result: PolicyEpisodeResult, video: Uint8Array | null) => void,
  ): Promise<PolicyEpisodeResult[] | null> => {
    const policy = store.getState().policy;
    if (!policy) {
      report('Policy: open a policy first');
      return null;
    }
    if (store.getState().running) return null;
    store.setState({ running: kind });
    try {
      const fetched = await fetchBundledTask(store.getState().taskId);
      const { task, bytes, companions } = fetched;
      const original = new Uint8Array(bytes.slice(0));
      const withFiles = Object.keys(companions).length > 0;
      const served = policy.runner.kind === 'server';
      const errored: string[] = [];
      const listener = (event: PolicyEvent) => {
        if (event.type === 'start') {
          const now = performance.now();
          studio.setState((s) => loadSucceeded(s, `${task.id} · episode ${event.index} (seed ${options.seed})`, event.load, sceneSource(original, withFiles, event.load.summary.document)));
          store.setState({
            live: { index: event.index, instruction: event.instruction, target: event.target, maxSteps: event.maxSteps, steps: 0, success: false, actions: [], states: [], latencies: [], serverLatencies: [], served, views: {}, startedAt: now, lastAt: now, result: null, cut: false },
          });
        } else if (event.type === 'step') {
          store.setState((s) => {
            if (!s.live || s.live.index !== event.index) return {};
            const keep = <T,>(list: T[], value: T) => (list.length >= PLOT_STEPS ? [...list.slice(1), value] : [...list, value]);
            return {
              live: {
                ...s.live,
                steps: event.step,
                success: event.success,
                actions: keep(s.live.actions, event.action),
                states: keep(s.live.states, event.state),
                latencies: event.inferenceMs === null ? s.live.latencies : keep(s.live.latencies, event.inferenceMs),
                serverLatencies: event.inferenceMs === null ? s.live.serverLatencies : keep(s.live.serverLatencies, event.serverMs ?? Number.NaN),
                views: event.views ?? s.live.views,
                lastAt: performance.now(),
              },
            };
          });
        } else {
          store.setState((s) => (s.live && s.live.index === event.result.index ? { live: { ...s.live, result: event.result, success: event.result.success } } : {}));
          const { error } = event.result;
          // Stop ends an episode as errored "stopped": that is no failure to report.
          if (error !== null && error !== STOPPED) {
            errored.push(error);
            if (kind === 'episode') report(`Policy: episode ${event.result.index} errored: ${errorHeadline(error)}`);
          }
          // A failed inference may have moved the policy to another provider (a lost WebGPU device).
          const { runner } = policy;
          if (error && runner.kind === 'worker' && worker) {
            void worker.status().then((opened) => {
              if (!opened) return;
              store.setState((s) => (s.policy && s.policy.runner.kind === 'worker' && s.policy.runner.opened.provider !== opened.provider ? { policy: { ...s.policy, runner: { kind: 'worker', opened } } } : {}));
              // A live episode's error is reported above; an evaluation's would wait for its end.
              if (kind === 'eval' && opened.provider !== runner.opened.provider) report(`Policy: ${errorHeadline(error)}`);
            });
          }
          onEpisode?.(event.result, event.video);
        }
      };
      const request: PolicyRunRequest = {
        ...taskFiles(fetched),
        manifestText: policy.manifestText,
        manifestFile: policy.manifestFile,
        ...(policy.runner.kind === 'server' ? { remoteUrl: policy.runner.url } : {}),
        provider: providerOf(policy),
        imageSize: policy.imageSize,
        ...options,
      };
      const result = await sim.policyRun(request, Comlink.proxy(listener));
      if (!result.ok) throw new Error(result.error);
      if (kind === 'eval' && errored.length > 0) report(`Policy: ${errored.length} of ${result.results.length} episodes errored (the first: ${errorHeadline(errored[0]!)})`);
      return result.results;
    } catch (error) {
      report(`Policy: ${describeError(error)}`);
      return null;
    } finally {
      // A stopped episode sends no result: its outcome would otherwise read "running" for good.
      store.setState((s) => ({ running: null, ...(s.live && !s.live.result ? { live: { ...s.live, cut: true } } : {}) }));
    }
  };

  return {
    setForm(form) {
      store.setState(form);
    },

    setEvalForm(form) {
      store.setState((s) => ({ evalForm: { ...s.evalForm, ...form } }));
    },

    loadBundled() {
      return open('bundled', () => packageFromUrl(BUNDLED_POLICY_URL));
    },

    loadUrl(url) {
      if (!url.trim()) {
        report('Policy: type the URL of a policy manifest (policy.json)');
        return Promise.resolve();
      }
      return open(url.trim(), () => packageFromUrl(url.trim()));
    },

    loadFiles(files) {
      return open('files', () => packageFromFiles(files));
    },

    async connect() {
      const url = store.getState().serverUrl.trim();
      if (!url) return report(`Policy: type the policy server's WebSocket URL (e.g. ${DEFAULT_SERVER_URL})`);
      if (store.getState().running) await sim.policyStop();
      await busy('connecting', async () => {
        // The open served policy, else a served manifest whose server did not answer, else the bundled one.
        const open = store.getState().policy;
        const manifest =
          open?.runner.kind === 'server'
            ? { manifestText: open.manifestText, manifestFile: open.manifestFile, source: open.source }
            : (unconnected ?? { ...(await packageFromUrl(BUNDLED_SERVED_POLICY_URL)), source: 'bundled' });
        await connectServed(manifest, url);
      });
    },

    async run() {
      const { seed, episode, clock, instruction } = store.getState();
      await runEpisodes('episode', { seed, indices: [episode], clock, instructions: 'given', videos: false, pace: true, viewEvery: 1, randomizationsOff: [], ...(instruction.trim() ? { instruction: instruction.trim() } : {}) });
    },

    async stop() {
      await sim.policyStop();
    },

    async reset() {
      if (store.getState().running) {
        await sim.policyStop();
        // Let the run end before showing the episode's start.
        while (store.getState().running) await new Promise((r) => setTimeout(r, 20));
      }
      const { seed, episode, clock } = store.getState();
      await runEpisodes('episode', { seed, indices: [episode], clock, instructions: 'given', videos: false, pace: false, viewEvery: 0, randomizationsOff: [], startOnly: true });
    },

    async evaluate() {
      const { evalForm, taskId, policy } = store.getState();
      if (!policy) return report('Policy: open a policy first');
      if (!Number.isInteger(evalForm.episodes) || evalForm.episodes < 1 || evalForm.episodes > 10000) return report(`Policy: episodes must be a whole number from 1 to 10000, got ${evalForm.episodes}`);
      const episodes: EvalRun['episodes'] = [];
      // A stopping rule is asked after every episode; `decided` compares with the latest run.
      const rule = untilRule(evalForm);
      const baselineRun = evalForm.until === 'decided' ? (store.getState().runs.at(-1) ?? null) : null;
      if (evalForm.until === 'decided' && !baselineRun) return report('Policy: "until decided" compares with the latest run: evaluate a baseline first');
      const baseline = baselineRun ? evaluatedRun(baselineRun) : null;
      let until: EvalRun['until'] = null;
      const startedAt = performance.now();
      store.setState({ progress: { done: 0, total: evalForm.episodes, successes: 0, startedAt } });
      const results = await runEpisodes(
        'eval',
        {
          seed: evalForm.seed,
          indices: Array.from({ length: evalForm.episodes }, (_, i) => i),
          clock: evalForm.clock,
          instructions: evalForm.instructions,
          videos: evalForm.videos,
          pace: false,
          viewEvery: 5,
          randomizationsOff: evalForm.randomizationsOff,
        },
        (result, video) => {
          let videoUrl: string | null = null;
          if (video) {
            videoUrl = URL.createObjectURL(new Blob([video as Uint8Array<ArrayBuffer>], { type: 'video/mp4' }));
            urls.push(videoUrl);
          }
          episodes.push({ ...result, videoUrl });
          store.setState({ progress: { done: episodes.length, total: evalForm.episodes, successes: episodes.filter((e) => e.success).length, startedAt } });
          if (rule) {
            const task = evalForm.randomizationsOff.length ? `${taskId} without ${[...evalForm.randomizationsOff].sort().join(', ')}` : taskId;
            until = { ...untilStatus(rule, runSoFar('candidate', task, policy.name, evalForm.seed, episodes), baseline), rule, baseline: baselineRun?.label ?? null };
            if (until.stop && episodes.length < evalForm.episodes) void sim.policyStop();
          }
        },
      );
      if (results === null && episodes.length === 0) {
        store.setState({ progress: null });
        return;
      }
      if (episodes.length === 0) return;
      const summary = summarize(taskId, { name: policy.name, provider: providerOf(policy) }, evalForm.clock, episodes, evalForm.instructions);
      const id = ++runId;
      const off = evalForm.randomizationsOff.length ? ` · off: ${evalForm.randomizationsOff.join(', ')}` : '';
      const label = `#${id} ${policy.name} · ${taskId} · seed ${evalForm.seed} · ${evalForm.clock}-time · ${evalForm.instructions}${off}${episodes.length < evalForm.episodes ? ` · stopped at ${episodes.length}` : ''}`;
      store.setState((s) => {
        const runs = [...s.runs, { id, label, summary, episodes, seed: evalForm.seed, randomizationsOff: [...evalForm.randomizationsOff], until }];
        // The newest run is compared with the one before it.
        const compare: PolicyState['compare'] = runs.length >= 2 ? [runs[runs.length - 2]!.id, id] : [id, null];
        return { runs, compare };
      });
    },

    setCompare(slot, id) {
      store.setState((s) => {
        const compare: PolicyState['compare'] = [...s.compare];
        compare[slot] = id;
        return { compare };
      });
    },

    removeRun(id) {
      store.setState((s) => {
        const run = s.runs.find((r) => r.id === id);
        for (const e of run?.episodes ?? []) if (e.videoUrl) URL.revokeObjectURL(e.videoUrl);
        return { runs: s.runs.filter((r) => r.id !== id), compare: s.compare.map((c) => (c === id ? null : c)) as PolicyState['compare'] };
      });
    },
  };
}

/** The margin of the release verdict: "held" needs the difference's 95% interval within ±10 points. */
export const COMPARE_MARGIN = 0.1;

/**
 * A run as a comparison sees it. Episodes are a pure function of (task, seed, index) only with the
 * same randomizations on: a run with some turned off ran other episodes, so its task says so and
 * the comparison does not pair it with a run that had them on.
 */
export function evaluatedRun(run: EvalRun): EvaluatedRun {
  const task = run.randomizationsOff.length ? `${run.summary.task} without ${[...run.randomizationsOff].sort().join(', ')}` : run.summary.task;
  return runSoFar(run.label, task, run.summary.policy, run.seed, run.episodes);
}

/** What the panel shows of any manifest: its name, rate, actions, and the cameras it reads at their size. */
function policyShape(manifest: AnyPolicyManifest): Pick<OpenPolicy, 'name' | 'description' | 'hz' | 'space' | 'dim' | 'imageSize' | 'cameras'> {
  return {
    name: manifest.name,
    description: manifest.description,
    hz: manifest.control.hz,
    space: manifest.outputs.space,
    dim: actionSize(manifest.outputs),
    imageSize: policyImageSize(manifest),
    cameras: manifest.inputs.images.map((i) => i.camera),
  };
}

/** The evaluation form's stopping rule (null: run every episode). */
export function untilRule(form: Pick<PolicyState['evalForm'], 'until' | 'width'>): StopRule | null {
  if (form.until === 'ci-width') return { kind: 'ci-width', width: form.width };
  if (form.until === 'decided') return { kind: 'decided', margin: COMPARE_MARGIN };
  return null;
}

/**
 * The two chosen runs compared (the earlier is the baseline, the later the candidate), paired on
 * the episodes both ran when they can be; null when either is missing or has no episodes.
 */
export function comparison(runs: readonly EvalRun[], [a, b]: PolicyState['compare']): { baseline: EvalRun; candidate: EvalRun; result: RunComparison } | null {
  const runA = runs.find((r) => r.id === a);
  const runB = runs.find((r) => r.id === b);
  if (!runA || !runB || runA.episodes.length === 0 || runB.episodes.length === 0) return null;
  const [baseline, candidate] = runA.id <= runB.id ? [runA, runB] : [runB, runA];
  return { baseline, candidate, result: compareRuns(evaluatedRun(baseline), evaluatedRun(candidate), { margin: COMPARE_MARGIN }) };
}

/** A difference in percentage points, signed ("+12.5", "−3.0"). */
export { comparisonTest, differenceText, points } from '../../engine/eval/compare.ts';

/** What the verdict word means for this comparison (verdict.ts). */
export function verdictMeaning(c: RunComparison): string {
  const margin = `±${Math.round(100 * c.margin)} points`;
  switch (c.verdict) {
    case 'improved':
      return `the candidate does better (p < ${c.alpha})`;
    case 'regressed':
      return `the candidate does worse (p < ${c.alpha})`;
    case 'held':
      return `no significant difference, and the 95% interval lies within ${margin}`;
    case 'underpowered':
      return `no significant difference, but the 95% interval reaches beyond ${margin}: run more episodes to decide`;
  }
}

/** Episodes for the results table: failures first (then by index). */
export const failuresFirst = <T extends { success: boolean; index: number }>(episodes: readonly T[]): T[] => [...episodes].sort((x, y) => Number(x.success) - Number(y.success) || x.index - y.index);

/** How the live episode stands or ended, in a line (an error's headline; its whole text is the caller's to show). */
export function outcomeText(live: Pick<LiveEpisode, 'result' | 'success' | 'cut' | 'steps'>): string {
  const { result } = live;
  if (result) return result.success ? 'success' : result.error ? `errored: ${errorHeadline(result.error)}` : `failure: ${OUTCOME_WORDS[result.outcome]}`;
  if (live.success) return 'success';
  if (live.cut) return live.steps === 0 ? 'ready' : 'stopped';
  return 'running';
}

/** Steps per wall-clock second over the live episode so far. */
export const achievedRate = (live: Pick<LiveEpisode, 'steps' | 'startedAt' | 'lastAt'>): number => (live.steps > 0 && live.lastAt > live.startedAt ? (live.steps * 1000) / (live.lastAt - live.startedAt) : 0);

export { OPTIONAL_RANDOMIZATIONS };

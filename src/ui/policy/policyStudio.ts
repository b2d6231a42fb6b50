/**
 * The Policy tab's controller: open a policy package (the bundled one, a URL, or picked files) in
 * the policy worker (onnxruntime-web, WebGPU first), connect that worker to the simulation worker
 * (a MessagePort: the closed loop calls the policy worker to worker), run one task episode live
 * (paced at the control rate, the viewport following it, what the policy sees and its actions
 * plotted), or evaluate many (progress, a results table with Wilson intervals, a video per
 * episode) and compare two runs with Fisher's exact test. Failures become messages.
 */
import * as Comlink from 'comlink';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ExecutionProvider, OpenResult, PolicyWorkerApi } from '../../protocol/policyWorker.ts';
import type { PolicyEvent, PolicyRunRequest, SimWorkerApi } from '../../protocol/simWorker.ts';
import { describeError } from '../../engine/errors.ts';
import { compareEvaluations, type EvalClock, type EvaluationSummary, type InstructionMode, type PolicyEpisodeResult, summarize } from '../../engine/policy/closedLoop.ts';
import type { RgbaImage } from '../../engine/policy/image.ts';
import { ACTION_SPACES, ownImageSize, packageFiles, parsePolicyManifest, type PolicyManifest } from '../../engine/policy/manifest.ts';
import { OPTIONAL_RANDOMIZATIONS, type OptionalRandomization } from '../../engine/tasks/spec.ts';
import { BUNDLED_TASKS, fetchBundledTask, taskFiles } from '../robot/teleopStudio.ts';
import type { StudioStore } from '../state/studioState.ts';
import { loadSucceeded, sceneSource, withMessages } from '../state/studioState.ts';
import type { PickedFile } from '../studio.ts';

/** The policy Simloop ships (public/policies/pick-cube, trained by training/train_vla.py). */
export const BUNDLED_POLICY_URL = 'policies/pick-cube/policy.json';

export type ProviderChoice = 'auto' | ExecutionProvider;

export interface OpenPolicy {
  name: string;
  description: string;
  source: string;
  manifestFile: string;
  manifestText: string;
  opened: OpenResult;
  hz: number;
  chunk: number;
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
  latencies: number[];
  views: Partial<Record<'scene' | 'wrist', RgbaImage>>;
  /** Wall-clock ms at the start and at the latest step (the control rate achieved). */
  startedAt: number;
  lastAt: number;
  result: PolicyEpisodeResult | null;
}

export interface EvalRun {
  id: number;
  label: string;
  summary: EvaluationSummary;
  episodes: (PolicyEpisodeResult & { videoUrl: string | null })[];
  seed: number;
  randomizationsOff: OptionalRandomization[];
}

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
  taskId: string;
  seed: number;
  episode: number;
  /** Typed instruction ('' = the episode's own). */
  instruction: string;
  clock: EvalClock;
  running: 'episode' | 'eval' | null;
  live: LiveEpisode | null;
  evalForm: { episodes: number; seed: number; clock: EvalClock; instructions: InstructionMode; videos: boolean; randomizationsOff: OptionalRandomization[] };
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
    taskId: BUNDLED_TASKS.find((t) => t.id === 'pick-cube')?.id ?? BUNDLED_TASKS[0]?.id ?? '',
    seed: 1000,
    episode: 0,
    instruction: '',
    clock: 'sim',
    running: null,
    live: null,
    evalForm: { episodes: 20, seed: 1000, clock: 'sim', instructions: 'given', videos: true, randomizationsOff: [] },
    progress: null,
    runs: [],
    compare: [null, null],
  }));

/** Plots keep this many steps (a 200-step episode fits whole). */
const PLOT_STEPS = 400;

type PolicyWorker = Pick<Comlink.Remote<PolicyWorkerApi>, 'open' | 'connect' | 'close' | 'status'>;
type SimWorker = Pick<Comlink.Remote<SimWorkerApi>, 'policyAttach' | 'policyRun' | 'policyStop'>;

export interface PolicyStudio {
  setForm(form: Partial<Pick<PolicyState, 'provider' | 'url' | 'taskId' | 'seed' | 'episode' | 'instruction' | 'clock'>>): void;
  setEvalForm(form: Partial<PolicyState['evalForm']>): void;
  loadBundled(): Promise<void>;
  loadUrl(url: string): Promise<void>;
  /** Picked files: one manifest (.json naming graphs) and the files it names. */
  loadFiles(files: readonly PickedFile[]): Promise<void>;
  run(): Promise<void>;
  stop(): Promise<void>;
  reset(): Promise<void>;
  evaluate(): Promise<void>;
  setCompare(slot: 0 | 1, id: number | null): void;
  removeRun(id: number): void;
}

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
  const manifest = parsePolicyManifest(manifestText, manifestFile);
  const files: Record<string, ArrayBuffer> = { [manifestFile]: manifestBytes };
  for (const name of packageFiles(manifest)) files[name] = await get(new URL(name, base), `file "${name}" the manifest names`);
  return { manifestFile, manifestText, files };
}

/** Picked files → a package: the manifest is the one .json that parses as a policy manifest. */
export async function packageFromFiles(picked: readonly PickedFile[]): Promise<{ manifestFile: string; manifestText: string; files: Record<string, ArrayBuffer> }> {
  const jsons = picked.filter((f) => f.path.toLowerCase().endsWith('.json'));
  const problems: string[] = [];
  for (const candidate of jsons) {
    const text = await candidate.file.text();
    let manifest: PolicyManifest;
    try {
      manifest = parsePolicyManifest(text, candidate.path);
    } catch (e) {
      if (/simloop_policy/.test(text)) throw e;
      problems.push(candidate.path);
      continue;
    }
    const dir = candidate.path.includes('/') ? candidate.path.slice(0, candidate.path.lastIndexOf('/') + 1) : '';
    const manifestFile = candidate.path.slice(dir.length);
    const files: Record<string, ArrayBuffer> = { [manifestFile]: new TextEncoder().encode(text).buffer as ArrayBuffer };
    for (const name of packageFiles(manifest)) {
      const file = picked.find((f) => f.path === dir + name) ?? picked.find((f) => f.path.endsWith(`/${name}`) || f.path === name);
      if (!file) throw new Error(`${manifestFile}: "${name}" was not among the picked files (pick the manifest together with every file it names)`);
      files[name] = await file.file.arrayBuffer();
    }
    return { manifestFile, manifestText: text, files };
  }
  throw new Error(jsons.length === 0 ? 'Policy: no .json manifest among the picked files' : `Policy: none of ${problems.join(', ')} is a policy manifest (expected "simloop_policy": 1)`);
}

/** The camera size a policy sees best: its own input size when all its images share one. */
export const policyImageSize = (manifest: PolicyManifest): [number, number] => ownImageSize(manifest) ?? [128, 128];

export function createPolicyStudio(store: PolicyStore, studio: StudioStore, sim: SimWorker, startPolicyWorker: () => PolicyWorker): PolicyStudio {
  const report = (text: string) => studio.setState((s) => withMessages(s, 'error', [text]));
  let worker: PolicyWorker | null = null;
  let runId = 0;
  const urls: string[] = [];

  const busy = async <T>(what: string, run: () => Promise<T>): Promise<T | null> => {
    store.setState({ busy: what });
    try {
      return await run();
    } catch (error) {
      report(`Policy: ${describeError(error)}`);
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
      const manifest = parsePolicyManifest(pkg.manifestText, pkg.manifestFile);
      const w = await policyWorker();
      const choice = store.getState().provider;
      const opened = await w.open({ manifestFile: pkg.manifestFile, files: pkg.files, providers: choice === 'auto' ? ['webgpu', 'wasm'] : [choice] });
      store.setState({
        policy: {
          name: manifest.name,
          description: manifest.description ?? '',
          source,
          manifestFile: pkg.manifestFile,
          manifestText: pkg.manifestText,
          opened,
          hz: manifest.control.hz,
          chunk: manifest.outputs.chunk,
          space: manifest.outputs.space,
          dim: ACTION_SPACES[manifest.outputs.space],
          imageSize: policyImageSize(manifest),
          cameras: manifest.inputs.images.map((i) => i.camera),
        },
        live: null,
      });
      studio.setState((s) => withMessages(s, 'info', [`Policy ${manifest.name} opened on ${opened.provider}${opened.fallbacks.length ? ` (${opened.fallbacks.join('; ')})` : ''}`]));
    });
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
      const listener = (event: PolicyEvent) => {
        if (event.type === 'start') {
          const now = performance.now();
          studio.setState((s) => loadSucceeded(s, `${task.id} · episode ${event.index} (seed ${options.seed})`, event.load, sceneSource(original, withFiles, event.load.summary.document)));
          store.setState({ live: { index: event.index, instruction: event.instruction, target: event.target, maxSteps: event.maxSteps, steps: 0, success: false, actions: [], states: [], latencies: [], views: {}, startedAt: now, lastAt: now, result: null } });
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
                views: event.views ?? s.live.views,
                lastAt: performance.now(),
              },
            };
          });
        } else {
          store.setState((s) => (s.live && s.live.index === event.result.index ? { live: { ...s.live, result: event.result, success: event.result.success } } : {}));
          // A failed inference may have moved the policy to another provider (a lost WebGPU device).
          if (event.result.error && worker) {
            void worker.status().then((opened) => {
              if (!opened) return;
              store.setState((s) => (s.policy && s.policy.opened.provider !== opened.provider ? { policy: { ...s.policy, opened } } : {}));
              if (opened.provider !== policy.opened.provider) report(`Policy: ${event.result.error}`);
            });
          }
          onEpisode?.(event.result, event.video);
        }
      };
      const request: PolicyRunRequest = {
        ...taskFiles(fetched),
        manifestText: policy.manifestText,
        manifestFile: policy.manifestFile,
        provider: policy.opened.provider,
        imageSize: policy.imageSize,
        ...options,
      };
      const result = await sim.policyRun(request, Comlink.proxy(listener));
      if (!result.ok) throw new Error(result.error);
      return result.results;
    } catch (error) {
      report(`Policy: ${describeError(error)}`);
      return null;
    } finally {
      store.setState({ running: null });
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
        },
      );
      if (results === null && episodes.length === 0) {
        store.setState({ progress: null });
        return;
      }
      if (episodes.length === 0) return;
      const summary = summarize(taskId, { name: policy.name, provider: policy.opened.provider }, evalForm.clock, episodes, evalForm.instructions);
      const id = ++runId;
      const off = evalForm.randomizationsOff.length ? ` · off: ${evalForm.randomizationsOff.join(', ')}` : '';
      const label = `#${id} ${policy.name} · ${taskId} · seed ${evalForm.seed} · ${evalForm.clock}-time · ${evalForm.instructions}${off}${episodes.length < evalForm.episodes ? ` · stopped at ${episodes.length}` : ''}`;
      store.setState((s) => {
        const runs = [...s.runs, { id, label, summary, episodes, seed: evalForm.seed, randomizationsOff: [...evalForm.randomizationsOff] }];
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

/** Fisher's exact test between two runs, or null when either is missing. */
export function comparison(runs: readonly EvalRun[], [a, b]: PolicyState['compare']) {
  const runA = runs.find((r) => r.id === a);
  const runB = runs.find((r) => r.id === b);
  if (!runA || !runB) return null;
  return { a: runA, b: runB, test: compareEvaluations(runA.summary, runB.summary) };
}

/** Episodes for the results table: failures first (then by index). */
export const failuresFirst = <T extends { success: boolean; index: number }>(episodes: readonly T[]): T[] => [...episodes].sort((x, y) => Number(x.success) - Number(y.success) || x.index - y.index);

/** Steps per wall-clock second over the live episode so far. */
export const achievedRate = (live: LiveEpisode): number => (live.steps > 0 && live.lastAt > live.startedAt ? (live.steps * 1000) / (live.lastAt - live.startedAt) : 0);

export { OPTIONAL_RANDOMIZATIONS };

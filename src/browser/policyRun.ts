/**
 * A policy run in the studio's simulation: one live episode to watch, or an evaluation of many,
 * the policy answering from its own worker. One of the simulation host's modes (engine/sim/mode.ts):
 * it runs itself (the closed loop steps the world), so play, pause, step and reset do nothing
 * while it is active; the host shows the episode being run.
 */
import { type Episode, readRobotProfileFile } from '../engine/tasks/episode.ts';
import { checkTaskAgainstScene, parseTaskSpec, withoutRandomizations } from '../engine/tasks/spec.ts';
import { loadSceneWithFiles } from '../engine/load.ts';
import { isRemotePolicy, parseAnyPolicyManifest } from '../engine/policy/manifest.ts';
import { type OpenSocket, RemotePolicyClient, remotePolicyDriver } from '../engine/policy/remote.ts';
import type { PolicyDriver } from '../engine/policy/closedLoop.ts';
import { describeError } from '../engine/errors.ts';
import type { SceneSummary } from '../engine/sim/session.ts';
import type { SimMode, SimStatus } from '../engine/sim/mode.ts';
import type { PolicyEvent, PolicyRunRequest, PolicyRunResult } from '../protocol/simWorker.ts';
import type { CameraStack } from './cameraStack.ts';
import { policyDriver, type RemoteInfer, runBrowserEpisodes } from './policyEpisodes.ts';

/** What the world of a task episode looks like to the UI (its answer to a load). */
export function episodeSummary(episode: Episode): SceneSummary {
  return { document: episode.doc, warnings: [], movingBodies: [...episode.world.movingBodies], dt: 1 / episode.task.control_hz };
}

/** What a policy run needs from the host it runs in. */
export interface PolicyRunHost {
  /** The policy worker's inference. */
  infer: RemoteInfer;
  /** Opens a WebSocket, for a served policy (engine/policy/remote.ts). */
  openSocket?: OpenSocket;
  /** A camera stack rendering at this size (kept by the host while the size stays). */
  cameraStack(width: number, height: number): CameraStack;
  /** A new world is shown (an episode starts): the host's next scene generation. */
  show(): number;
  /** Sends the shown world's poses to the page. */
  publish(): void;
  /** Tells the page: an episode started, a step ran, an episode ended (with its video). */
  emit(event: PolicyEvent): void | Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class PolicyRun implements SimMode {
  readonly kind = 'policy' as const;
  /** Never played by the host's clock: the closed loop steps the world. */
  readonly playing = false;
  private live: Episode | null = null;
  private readonly signal = { aborted: false };
  /** A served policy's connection, for the run's length. */
  private client: RemotePolicyClient | null = null;

  constructor(
    private readonly request: PolicyRunRequest,
    private readonly host: PolicyRunHost,
  ) {}

  /** Stops the run before its next control step; finished episodes are kept. */
  stop(): void {
    this.signal.aborted = true;
    // A request waiting on a server ends now, not at its timeout.
    this.client?.close();
  }

  get stopped(): boolean {
    return this.signal.aborted;
  }

  /** Runs the requested episodes; errors (a bad task, scene or manifest) come back as values. */
  async run(): Promise<PolicyRunResult> {
    const { request, host, signal } = this;
    try {
      const task = withoutRandomizations(parseTaskSpec(request.taskText, request.taskFile), request.randomizationsOff);
      const scene = (await loadSceneWithFiles(new Uint8Array(request.sceneBytes), request.sceneFile, request.sceneCompanions)).document;
      checkTaskAgainstScene(task, scene, request.taskFile);
      const manifest = parseAnyPolicyManifest(request.manifestText, request.manifestFile);
      const robot = request.profile ? readRobotProfileFile(request.profile.text, request.profile.file) : undefined;
      let lastMs: number | null = null;
      let lastServerMs: number | null = null;
      let policy: PolicyDriver;
      if (isRemotePolicy(manifest)) {
        if (!host.openSocket) throw new Error('this simulation host cannot open WebSockets');
        // One connection for the run; a failed request marks its episode errored and the next reconnects.
        this.client = new RemotePolicyClient({ url: request.remoteUrl ?? manifest.remote.url, open: host.openSocket, timeoutMs: manifest.remote.timeout_s * 1000 });
        const served = remotePolicyDriver(manifest, this.client);
        policy = {
          ...served,
          infer: async (obs) => {
            const answer = await served.infer(obs);
            lastMs = answer.ms;
            lastServerMs = answer.serverMs ?? null;
            return answer;
          },
        };
      } else policy = policyDriver(manifest, request.provider, host.infer, (_, ms) => (lastMs = ms));
      let wallStart = 0;
      const results = await runBrowserEpisodes(
        {
          task,
          scene,
          ...(robot ? { robot } : {}),
          manifest,
          manifestFile: request.manifestFile,
          seed: request.seed,
          indices: request.indices,
          clock: request.clock,
          instructions: request.instructions,
          ...(request.instruction ? { instruction: request.instruction } : {}),
          imageSize: request.imageSize,
          videos: request.videos,
          signal,
          onStart: (episode, instruction) => {
            this.live = episode;
            const generation = host.show();
            wallStart = performance.now();
            const poses = episode.world.readPoses();
            const load = { ok: true as const, generation, summary: episodeSummary(episode), poses, status: { time: 0, steps: 0, playing: true } };
            void host.emit({ type: 'start', index: episode.index, instruction, target: episode.instruction, maxSteps: episode.task.max_steps, load });
            if (request.startOnly) signal.aborted = true;
          },
          onStep: async (episode, action, images) => {
            // Paced runs report every step; fast ones (evaluations) every viewEvery-th, and the last.
            const every = request.pace ? 1 : Math.max(1, request.viewEvery);
            if (episode.steps % every === 0 || episode.done) {
              const show = request.viewEvery > 0 && images !== null && (request.pace ? episode.steps % request.viewEvery === 1 % request.viewEvery : true);
              const views = show ? Object.fromEntries(Object.entries(images).flatMap(([k, v]) => (v ? [[k, { width: v.width, height: v.height, data: Uint8Array.from(v.data as ArrayLike<number>) }]] : []))) : null;
              void host.emit({ type: 'step', index: episode.index, step: episode.steps, action: Array.from(action), state: Array.from(episode.observe().state), inferenceMs: lastMs, serverMs: lastServerMs, success: episode.success, views });
              lastMs = null;
              lastServerMs = null;
              host.publish();
            }
            if (request.pace) {
              const due = wallStart + (episode.steps * 1000) / episode.task.control_hz;
              const wait = due - performance.now();
              if (wait > 0) await sleep(wait);
            } else if (episode.steps % 10 === 0) {
              // Let the page's messages (Stop) in.
              await sleep(0);
            }
          },
          onEpisode: async (result, video) => {
            this.live = null;
            await host.emit({ type: 'episode', result, video });
          },
        },
        policy,
        host.cameraStack(...request.imageSize),
      );
      return { ok: true, results };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    } finally {
      // The last episode's final poses stay on screen; the run stops following it.
      this.live = null;
      this.client?.close();
      this.client = null;
    }
  }

  // The simulation host's interface (engine/sim/mode.ts).

  poses(): Float32Array | null {
    return this.live?.world.readPoses() ?? null;
  }

  status(): SimStatus {
    const e = this.live;
    return e ? { time: e.steps / e.task.control_hz, steps: e.steps, playing: !e.done } : { time: 0, steps: 0, playing: false };
  }

  play(): void {}
  pause(): void {}
  step(): void {}
  reset(): void {}
  tick(): number {
    return 0;
  }

  dispose(): void {
    this.stop();
  }
}

/**
 * The Robot tab's controller: start a task episode in the simulation worker (its randomized scene
 * replaces what the viewport shows), drive it with the held input (keys and gamepad, or the joint
 * sliders' goal: keys take over from the sliders), keep or discard it, and export
 * the kept demonstrations as a zip (LeRobot v3.0 with camera videos + robomimic HDF5). State is a
 * small vanilla zustand store; failures become messages, nothing throws at the UI.
 */
import * as Comlink from 'comlink';
import { zipSync } from 'fflate';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { describeError } from '../../engine/errors.ts';
import { movesTool, NO_TELEOP_INPUT, type TeleopInput, type TeleopRobot, type TeleopStatus } from '../../engine/tasks/teleop.ts';
import type { SimWorkerApi, TaskFiles } from '../../protocol/simWorker.ts';
import { BUNDLED_TASK_FILES, bundledProfileAt, type ExampleScene, exampleSceneAt, fetchExampleScene, taskFilePath } from '../examples.ts';
import type { StudioStore } from '../state/studioState.ts';
import { loadSucceeded, sceneSource, withMessages } from '../state/studioState.ts';

/** A task the studio can start: its file, its bundled scene, and the robot profile it names (null: inferred). */
export interface BundledTask {
  id: string;
  fileName: string;
  text: string;
  scene: ExampleScene;
  profile: { text: string; file: string } | null;
}

/**
 * The bundled tasks the studio can start: those whose scene is a bundled example (one file, or a
 * robot's folder: the SO-101's MJCF with its meshes) and whose robot profile, when they name one,
 * is bundled too.
 */
export const BUNDLED_TASKS: readonly BundledTask[] = BUNDLED_TASK_FILES.flatMap((file) => {
  const scenePath = taskFilePath(file, 'scene');
  const scene = scenePath === null ? null : exampleSceneAt(scenePath);
  const profilePath = taskFilePath(file, 'profile');
  const profile = profilePath === null ? null : bundledProfileAt(profilePath);
  if (!scene || (profilePath !== null && !profile)) return [];
  return [{ id: file.fileName.replace(/\.task\.yaml$/, ''), fileName: file.fileName, text: file.text, scene, profile }];
}).sort((a, b) => a.id.localeCompare(b.id));

/** A bundled task with its scene file's bytes and its companion files' (fetched from the app's assets). */
export async function fetchBundledTask(taskId: string): Promise<{ task: BundledTask; scene: ExampleScene; bytes: ArrayBuffer; companions: Record<string, ArrayBuffer> }> {
  const task = BUNDLED_TASKS.find((t) => t.id === taskId);
  if (!task) throw new Error(`no bundled task "${taskId}"`);
  const { bytes, companions } = await fetchExampleScene(task.scene);
  return { task, scene: task.scene, bytes, companions };
}

/** A fetched bundled task as the worker's requests carry it (TaskFiles). */
export function taskFiles({ task, scene, bytes, companions }: Awaited<ReturnType<typeof fetchBundledTask>>): TaskFiles {
  return {
    taskText: task.text,
    taskFile: task.fileName,
    sceneBytes: bytes,
    sceneFile: scene.fileName,
    ...(Object.keys(companions).length > 0 ? { sceneCompanions: companions } : {}),
    ...(task.profile ? { profile: task.profile } : {}),
  };
}

export interface TeleopState {
  taskId: string;
  seed: number;
  draw: number;
  status: TeleopStatus | null;
  /** The episode's arm joints and gripper (the joint panel's sliders), from its start. */
  robot: TeleopRobot | null;
  /** The joint goal the sliders set (rad or m, one per arm joint); null while keys drive or nothing is jogged. */
  jointGoal: number[] | null;
  driving: boolean;
  gripperClosed: boolean;
  busy: string | null;
}

export type TeleopStore = StoreApi<TeleopState>;

export const createTeleopStore = (): TeleopStore =>
  createStore<TeleopState>()(() => ({ taskId: BUNDLED_TASKS.find((t) => t.id === 'pick-cube')?.id ?? BUNDLED_TASKS[0]?.id ?? '', seed: 1, draw: 0, status: null, robot: null, jointGoal: null, driving: false, gripperClosed: false, busy: null }));

type TeleopWorker = Pick<Comlink.Remote<SimWorkerApi>, 'teleopSubscribe' | 'teleopStart' | 'teleopInput' | 'teleopDrive' | 'teleopExpert' | 'teleopKeep' | 'teleopDiscard' | 'teleopExport'>;

export interface TeleopStudio {
  setForm(form: Partial<Pick<TeleopState, 'taskId' | 'seed' | 'draw'>>): void;
  start(): Promise<void>;
  drive(on: boolean): Promise<void>;
  /** Hands the episode to the task's scripted expert, which drives it from where it is. */
  expert(): Promise<void>;
  /** The keys' and gamepad's input; motion drops the joint goal (keys take over from the sliders). */
  input(input: TeleopInput): void;
  /**
   * Jogs arm joint `index` to `value` (rad or m; the other joints keep their goals, or stay where
   * they are commanded now), starting the control loop if it is not running.
   */
  jog(index: number, value: number): void;
  toggleGripper(): void;
  setGripper(closed: boolean): void;
  keep(): Promise<void>;
  discard(): Promise<void>;
  /** The kept demonstrations as a zip file's bytes (also offered as a download by the panel). */
  exportZip(): Promise<Uint8Array | null>;
}

export function createTeleopStudio(store: TeleopStore, studio: StudioStore, worker: TeleopWorker): TeleopStudio {
  const report = (text: string) => studio.setState((s) => withMessages(s, 'error', [text]));
  /** The keys' and gamepad's input last given (the joint goal is added to it). */
  let keys: TeleopInput = NO_TELEOP_INPUT;
  const send = () => {
    const { jointGoal, gripperClosed } = store.getState();
    void worker.teleopInput({ ...keys, close: gripperClosed, joints: jointGoal }).catch((error: unknown) => report(`Robot: ${describeError(error)}`));
  };
  void worker.teleopSubscribe(Comlink.proxy((status: TeleopStatus) => store.setState({ status, driving: store.getState().driving && !status.done })));

  const busy = async <T>(what: string, run: () => Promise<T>): Promise<T | null> => {
    store.setState({ busy: what });
    try {
      return await run();
    } catch (error) {
      report(`Robot: ${describeError(error)}`);
      return null;
    } finally {
      store.setState({ busy: null });
    }
  };

  async function drive(on: boolean): Promise<void> {
    if (!store.getState().status) return;
    await busy(on ? 'driving' : 'pausing', async () => {
      await worker.teleopDrive(on);
      store.setState({ driving: on });
    });
  }

  return {
    setForm(form) {
      store.setState(form);
    },

    drive,

    async start() {
      const { taskId, seed, draw } = store.getState();
      if (!BUNDLED_TASKS.some((t) => t.id === taskId)) return report(`Robot: no bundled task "${taskId}"`);
      await busy('starting', async () => {
        const fetched = await fetchBundledTask(taskId);
        const { task, bytes, companions } = fetched;
        const original = new Uint8Array(bytes.slice(0));
        const withFiles = Object.keys(companions).length > 0;
        // The goal of an episode before does not carry over.
        store.setState({ jointGoal: null });
        const result = await worker.teleopStart(
          Comlink.transfer(
            { ...taskFiles(fetched), seed, draw },
            [bytes, ...Object.values(companions)],
          ),
        );
        if (!result.ok) throw new Error(result.error);
        studio.setState((s) => loadSucceeded(s, `${task.id} · episode ${draw} (seed ${seed})`, result, sceneSource(original, withFiles, result.summary.document)));
        store.setState({ status: result.teleop ?? null, robot: result.robot ?? null, jointGoal: null, driving: false, gripperClosed: false });
      });
    },

    async expert() {
      if (!store.getState().status) return;
      await busy('expert', async () => {
        await worker.teleopExpert();
        store.setState({ driving: true });
      });
    },

    input(input) {
      keys = input;
      if (movesTool(input) && store.getState().jointGoal) store.setState({ jointGoal: null });
      send();
    },

    jog(index, value) {
      const { status, robot, jointGoal, driving, busy } = store.getState();
      if (!status || status.done || !robot || index < 0 || index >= robot.joints.length || !Number.isFinite(value)) return;
      const goal = [...(jointGoal ?? status.joints)];
      goal[index] = value;
      store.setState({ jointGoal: goal });
      send();
      if (!driving && busy === null) void drive(true);
    },

    toggleGripper() {
      store.setState((s) => ({ gripperClosed: !s.gripperClosed }));
    },

    setGripper(closed) {
      if (store.getState().gripperClosed === closed) return;
      store.setState({ gripperClosed: closed });
      send();
    },

    async keep() {
      await busy('keeping', async () => {
        const status = await worker.teleopKeep();
        store.setState({ status: { ...status, done: true }, jointGoal: null, driving: false, draw: store.getState().draw + 1 });
      });
    },

    async discard() {
      await busy('discarding', async () => {
        const status = await worker.teleopDiscard();
        store.setState({ status: { ...status, done: true }, jointGoal: null, driving: false });
      });
    },

    async exportZip() {
      return busy('exporting', async () => {
        const files = await worker.teleopExport(['lerobot', 'hdf5']);
        return zipSync(Object.fromEntries(files.map((f) => [f.path, f.bytes])), { level: 6, mtime: new Date(Date.UTC(1980, 0, 1)) });
      });
    },
  };
}

/**
 * The Robot tab's controller: start a task episode in the simulation worker (its randomized scene
 * replaces what the viewport shows), drive it with the held input, keep or discard it, and export
 * the kept demonstrations as a zip (LeRobot v3.0 with camera videos + robomimic HDF5). State is a
 * small vanilla zustand store; failures become messages, nothing throws at the UI.
 */
import * as Comlink from 'comlink';
import { zipSync } from 'fflate';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { describeError } from '../../engine/errors.ts';
import type { TeleopInput, TeleopStatus } from '../../engine/tasks/teleop.ts';
import type { SimWorkerApi } from '../../protocol/simWorker.ts';
import { EXAMPLE_SCENES } from '../examples.ts';
import type { StudioStore } from '../state/studioState.ts';
import { loadSucceeded, withMessages } from '../state/studioState.ts';

const taskTexts = import.meta.glob<string>('../../../scenes/tasks/*.task.yaml', { query: '?raw', import: 'default', eager: true });

/** The scene file a task names (its `scene:` line), by its base name. */
const taskSceneName = (text: string) => /^scene:\s*(\S+)/m.exec(text)?.[1]?.split('/').pop() ?? '';

/**
 * The bundled tasks the studio can start: id → file name and text. Tasks on a robot described by
 * several files (the SO-101's MJCF with its meshes, scenes/robots/) are run from the command line;
 * the studio offers the tasks whose scene is one bundled example file.
 */
export const BUNDLED_TASKS: readonly { id: string; fileName: string; text: string }[] = Object.entries(taskTexts)
  .map(([path, text]) => {
    const fileName = path.slice(path.lastIndexOf('/') + 1);
    return { id: fileName.replace(/\.task\.yaml$/, ''), fileName, text };
  })
  .filter((task) => EXAMPLE_SCENES.some((s) => s.fileName === taskSceneName(task.text)))
  .sort((a, b) => a.id.localeCompare(b.id));

/** A bundled task with its scene file's bytes (fetched from the app's assets). */
export async function fetchBundledTask(taskId: string): Promise<{ task: (typeof BUNDLED_TASKS)[number]; scene: (typeof EXAMPLE_SCENES)[number]; bytes: ArrayBuffer }> {
  const task = BUNDLED_TASKS.find((t) => t.id === taskId);
  if (!task) throw new Error(`no bundled task "${taskId}"`);
  const sceneName = taskSceneName(task.text);
  const scene = EXAMPLE_SCENES.find((s) => s.fileName === sceneName);
  if (!scene) throw new Error(`${task.fileName}: its scene ${sceneName} is not a bundled scene`);
  const response = await fetch(scene.url);
  if (!response.ok) throw new Error(`${scene.fileName}: HTTP ${response.status}`);
  return { task, scene, bytes: await response.arrayBuffer() };
}

export interface TeleopState {
  taskId: string;
  seed: number;
  draw: number;
  status: TeleopStatus | null;
  driving: boolean;
  gripperClosed: boolean;
  busy: string | null;
}

export type TeleopStore = StoreApi<TeleopState>;

export const createTeleopStore = (): TeleopStore =>
  createStore<TeleopState>()(() => ({ taskId: BUNDLED_TASKS.find((t) => t.id === 'pick-cube')?.id ?? BUNDLED_TASKS[0]?.id ?? '', seed: 1, draw: 0, status: null, driving: false, gripperClosed: false, busy: null }));

type TeleopWorker = Pick<Comlink.Remote<SimWorkerApi>, 'teleopSubscribe' | 'teleopStart' | 'teleopInput' | 'teleopDrive' | 'teleopExpert' | 'teleopKeep' | 'teleopDiscard' | 'teleopExport'>;

export interface TeleopStudio {
  setForm(form: Partial<Pick<TeleopState, 'taskId' | 'seed' | 'draw'>>): void;
  start(): Promise<void>;
  drive(on: boolean): Promise<void>;
  /** Hands the episode to the task's scripted expert, which drives it from where it is. */
  expert(): Promise<void>;
  input(input: TeleopInput): void;
  toggleGripper(): void;
  keep(): Promise<void>;
  discard(): Promise<void>;
  /** The kept demonstrations as a zip file's bytes (also offered as a download by the panel). */
  exportZip(): Promise<Uint8Array | null>;
}

export function createTeleopStudio(store: TeleopStore, studio: StudioStore, worker: TeleopWorker): TeleopStudio {
  const report = (text: string) => studio.setState((s) => withMessages(s, 'error', [text]));
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

  return {
    setForm(form) {
      store.setState(form);
    },

    async start() {
      const { taskId, seed, draw } = store.getState();
      if (!BUNDLED_TASKS.some((t) => t.id === taskId)) return report(`Robot: no bundled task "${taskId}"`);
      await busy('starting', async () => {
        const { task, scene, bytes } = await fetchBundledTask(taskId);
        const source = new Uint8Array(bytes.slice(0));
        const result = await worker.teleopStart({ taskText: task.text, taskFile: task.fileName, sceneBytes: bytes, sceneFile: scene.fileName, seed, draw });
        if (!result.ok) throw new Error(result.error);
        studio.setState((s) => loadSucceeded(s, `${task.id} · episode ${draw} (seed ${seed})`, result, source));
        store.setState({ status: result.teleop ?? null, driving: false, gripperClosed: false });
      });
    },

    async drive(on) {
      if (!store.getState().status) return;
      await busy(on ? 'driving' : 'pausing', async () => {
        await worker.teleopDrive(on);
        store.setState({ driving: on });
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
      void worker.teleopInput(input).catch((error: unknown) => report(`Robot: ${describeError(error)}`));
    },

    toggleGripper() {
      store.setState((s) => ({ gripperClosed: !s.gripperClosed }));
    },

    async keep() {
      await busy('keeping', async () => {
        const status = await worker.teleopKeep();
        store.setState({ status: { ...status, done: true }, driving: false, draw: store.getState().draw + 1 });
      });
    },

    async discard() {
      await busy('discarding', async () => {
        const status = await worker.teleopDiscard();
        store.setState({ status: { ...status, done: true }, driving: false });
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

/**
 * The studio controller: what the toolbar, drag-and-drop and startup do — open a scene (bundled,
 * picked or dropped), play, pause, step, reset — as plain functions over the store and the sim
 * worker's API. Failures become messages; nothing here throws at the UI.
 */
import * as Comlink from 'comlink';
import type { Remote } from 'comlink';
import { describeError } from '../engine/errors.ts';
import type { LoadResult, PoseListener, SimWorkerApi } from '../../workers/sim.worker.ts';
import { frameReceived, loadFailed, loadStarted, loadSucceeded, withMessages } from './state/studioState.ts';
import type { StudioStore } from './state/store.ts';

export interface Studio {
  openBytes(bytes: ArrayBuffer, fileName: string): Promise<void>;
  openFile(file: File): Promise<void>;
  openUrl(url: string, fileName: string): Promise<void>;
  play(): Promise<void>;
  pause(): Promise<void>;
  step(): Promise<void>;
  reset(): Promise<void>;
  /** Shows an error that happened outside the controller (worker crash, rendering failure). */
  reportError(text: string): void;
}

/** The worker API as the studio calls it: the comlink remote of `SimWorkerApi`, or a fake in tests. */
export interface SimApi {
  subscribe(callback: PoseListener): Promise<void>;
  load(bytes: ArrayBuffer, fileName: string): Promise<LoadResult>;
  play(): Promise<void>;
  pause(): Promise<void>;
  step(count?: number): Promise<void>;
  reset(): Promise<void>;
}

/** The comlink remote of the real worker; compiling this checks that it fits `SimApi`. */
export type SimWorkerRemote = FitsSimApi<Remote<SimWorkerApi>>;
type FitsSimApi<T extends SimApi> = T;

export function createStudio(store: StudioStore, sim: SimApi, now: () => number = () => performance.now()): Studio {
  const reportError = (text: string) => store.setState((s) => withMessages(s, 'error', [text]));

  void sim
    .subscribe(Comlink.proxy((frame) => store.setState((s) => frameReceived(s, frame, now()))))
    .catch((e: unknown) => reportError(`Simulation worker: ${describeError(e)}`));

  let loads = Promise.resolve();

  /** Loads run one after another, so the last file opened is the one that stays. */
  function openBytes(bytes: ArrayBuffer, fileName: string): Promise<void> {
    loads = loads.then(async () => {
      store.setState(loadStarted(fileName));
      const source = new Uint8Array(bytes.slice(0));
      try {
        const result = await sim.load(Comlink.transfer(bytes, [bytes]), fileName);
        store.setState((s) => (result.ok ? loadSucceeded(s, fileName, result, source) : loadFailed(s, result.error)));
      } catch (e) {
        store.setState((s) => loadFailed(s, `${fileName}: ${describeError(e)}`));
      }
    });
    return loads;
  }

  async function openFile(file: File): Promise<void> {
    let bytes: ArrayBuffer;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      reportError(`${file.name}: could not be read (${describeError(e)})`);
      return;
    }
    await openBytes(bytes, file.name);
  }

  async function openUrl(url: string, fileName: string): Promise<void> {
    let bytes: ArrayBuffer;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      bytes = await response.arrayBuffer();
    } catch (e) {
      reportError(`${fileName}: could not be fetched (${e instanceof Error ? e.message : String(e)})`);
      return;
    }
    await openBytes(bytes, fileName);
  }

  const control = (name: string, action: () => Promise<void>) => async () => {
    if (!store.getState().scene) return;
    try {
      await action();
    } catch (e) {
      reportError(`${name}: ${describeError(e)}`);
    }
  };

  return {
    openBytes,
    openFile,
    openUrl,
    play: control('Play', () => sim.play()),
    pause: control('Pause', () => sim.pause()),
    step: control('Step', () => sim.step(1)),
    reset: control('Reset', () => sim.reset()),
    reportError,
  };
}

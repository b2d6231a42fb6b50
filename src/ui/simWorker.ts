/**
 * Starts the simulation worker (workers/sim.worker.ts) and wraps it with comlink. Vite bundles
 * the worker from the `new URL(..., import.meta.url)` form, which must stay inline.
 */
import * as Comlink from 'comlink';
import type { SimWorkerApi } from '../protocol/simWorker.ts';

export function startSimWorker(onCrash: (message: string) => void): { api: Comlink.Remote<SimWorkerApi>; terminate(): void } {
  const worker = new Worker(new URL('../../workers/sim.worker.ts', import.meta.url), { type: 'module', name: 'simloop-sim' });
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    onCrash(`Simulation worker failed: ${event.message || 'could not start'}`);
  });
  worker.addEventListener('messageerror', () => onCrash('Simulation worker: a message could not be read'));
  return { api: Comlink.wrap<SimWorkerApi>(worker), terminate: () => worker.terminate() };
}

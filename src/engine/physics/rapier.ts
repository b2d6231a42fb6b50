/**
 * The one place that loads Rapier. `-compat` embeds its WASM, so the same import works in Node,
 * in workers and under Vite without plugins. Change the flavour here and nowhere else.
 */
import RAPIER from '@dimforge/rapier3d-compat';

let ready: Promise<typeof RAPIER> | null = null;

export function loadRapier(): Promise<typeof RAPIER> {
  ready ??= RAPIER.init().then(() => RAPIER);
  return ready;
}

export type Rapier = typeof RAPIER;

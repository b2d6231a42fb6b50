/** The ceiling probe (ceilingProbe.ts) in a worker, on an OffscreenCanvas, as Simloop's frames are drawn. */
import * as Comlink from 'comlink';
import { CeilingProbe, type ProbeOptions } from './ceilingProbe.ts';

let probe: CeilingProbe | null = null;

const api = {
  init(options: ProbeOptions): void {
    probe = new CeilingProbe(new OffscreenCanvas(options.width, options.height), options);
  },
  /** Draws frames [first, first + count); returns the summed pass times and the last frame's object pixels. */
  run(first: number, count: number): { colour: number; id: number; objectPixels: number } {
    if (!probe) throw new Error('ceiling worker: run() before init()');
    let colour = 0;
    let id = 0;
    for (let f = first; f < first + count; f++) {
      const ms = probe.frame(f);
      colour += ms.colour;
      id += ms.id;
    }
    return { colour, id, objectPixels: probe.objectPixels() };
  },
  dispose(): void {
    probe?.dispose();
    probe = null;
  },
};

export type CeilingWorkerApi = typeof api;
Comlink.expose(api);

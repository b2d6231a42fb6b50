import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadSceneFile } from './src/engine/load.ts';
import { parseTaskSpec, checkTaskAgainstScene } from './src/engine/tasks/spec.ts';
import { Episode } from './src/engine/tasks/episode.ts';
import { runExpert } from './src/engine/tasks/experts.ts';
const file = process.argv[2]!; const N = Number(process.argv[3] ?? 20);
const task = parseTaskSpec(readFileSync(file, 'utf8'), file);
const scenePath = resolve(dirname(file), task.scene);
const scene = loadSceneFile(readFileSync(scenePath), scenePath).document;
checkTaskAgainstScene(task, scene, file);
(async () => {
  let ok = 0; const t0 = performance.now(); let steps = 0;
  for (let k = Number(process.argv[4] ?? 0); k < N; k++) {
    const ep = await Episode.create(task, scene, 1, k);
    const r = runExpert(ep);
    steps += r.steps;
    if (r.success) ok++; else { const t = ep.position(ep.target!); const su = ep.support ? ep.position(ep.support) : null; console.log('episode', k, 'failed:', r.failure, ep.instruction, 't', t.toArray().map(v => v.toFixed(3)), 'start', ep.start.get(ep.target!)!.toArray().map(v => v.toFixed(3)), 's', su?.toArray().map(v => v.toFixed(3)), 'width', ep.arm.state().gripperWidth.toFixed(3), 'ee', ep.arm.measuredEe().position.toArray().map(v=>v.toFixed(3))); }
    ep.free();
  }
  console.log(task.id, ok, '/', N, 'steps', steps, 'time', ((performance.now() - t0) / 1000).toFixed(1), 's');
})();

/**
 * Physics and import benchmarks. Prints one JSON object; run with `npm run bench`.
 * Measures: USD import time, build time, steps per second (tabletop and a 1000-body pile), the two
 * Rapier flavours we could ship, and memory across repeated load/free cycles (must stay flat).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import RAPIER_DET from '@dimforge/rapier3d-deterministic-compat';
import { loadSceneFile } from '../src/engine/load.ts';
import { loadRapier, type Rapier } from '../src/engine/physics/rapier.ts';
import { PhysicsWorld } from '../src/engine/physics/world.ts';
import { usdaLayer } from '../src/engine/testing/usda.ts';

const tabletop = readFileSync(new URL('../scenes/tabletop.usda', import.meta.url));

function pile(n: number): Uint8Array {
  const side = Math.ceil(Math.cbrt(n));
  const prims: string[] = ['def Plane "Ground" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { uniform token axis = "Y" }'];
  for (let i = 0; i < n; i++) {
    const [x, y, z] = [i % side, Math.floor(i / (side * side)), Math.floor(i / side) % side];
    const shape = i % 2 ? 'Cube "B' + i + '" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) { double size = 0.1' : 'Sphere "S' + i + '" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) { double radius = 0.05';
    prims.push(`def ${shape}\n double3 xformOp:translate = (${x * 0.12}, ${0.2 + y * 0.12}, ${z * 0.12})\n uniform token[] xformOpOrder = ["xformOp:translate"] }`);
  }
  return new TextEncoder().encode(usdaLayer(prims.join('\n')));
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

async function stepsPerSecond(bytes: Uint8Array, name: string, steps: number, rapier?: Rapier) {
  const { document } = await loadSceneFile(bytes, name);
  const world = await PhysicsWorld.create(document, rapier ? { rapier } : {});
  world.step(10); // warm up
  const { ms } = time(() => world.step(steps));
  world.free();
  return Math.round((steps / ms) * 1000);
}

async function main() {
  await loadRapier();
  await RAPIER_DET.init();
  const importRuns: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await loadSceneFile(tabletop, 'tabletop.usda');
    importRuns.push(performance.now() - t0);
  }
  importRuns.sort((a, b) => a - b);
  const { document } = await loadSceneFile(tabletop, 'tabletop.usda');
  const t0 = performance.now();
  const built = await PhysicsWorld.create(document);
  const build = { ms: performance.now() - t0 };
  built.free();
  const pile1000 = pile(1000);

  // Memory: load, step and free the tabletop 1200 times; the JS heap must stay flat and RSS must
  // level off (WASM linear memory grows to a high-water mark and is reused, never returned).
  const cycle = async () => {
    const w = await PhysicsWorld.create((await loadSceneFile(tabletop, 'tabletop.usda')).document);
    w.step(20);
    w.free();
  };
  const rssMb: number[] = [];
  const heapMb: number[] = [];
  for (let k = 0; k < 6; k++) {
    for (let i = 0; i < 200; i++) await cycle();
    globalThis.gc?.();
    const m = process.memoryUsage();
    rssMb.push(Number((m.rss / 2 ** 20).toFixed(1)));
    heapMb.push(Number((m.heapUsed / 2 ** 20).toFixed(1)));
  }

  const result = {
    benchmark: 'physics',
    node: process.version,
    import_tabletop_ms_median: Number(importRuns[10]!.toFixed(2)),
    build_world_tabletop_ms: Number(build.ms.toFixed(2)),
    steps_per_second: {
      tabletop_compat: await stepsPerSecond(tabletop, 'tabletop.usda', 2400),
      tabletop_deterministic: await stepsPerSecond(tabletop, 'tabletop.usda', 2400, RAPIER_DET as unknown as Rapier),
      pile1000_compat: await stepsPerSecond(pile1000, 'pile.usda', 240),
      pile1000_deterministic: await stepsPerSecond(pile1000, 'pile.usda', 240, RAPIER_DET as unknown as Rapier),
    },
    memory_load_step_free_cycles: {
      gc_exposed: typeof globalThis.gc === 'function',
      rss_mb_every_200_cycles: rssMb,
      heap_used_mb_every_200_cycles: heapMb,
    },
  };
  console.log(JSON.stringify(result, null, 2));
}

await main();

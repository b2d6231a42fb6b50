/**
 * DART action noise (experts.ts: NoiseProcess, runExpert's `noise`): the perturbation is an
 * Ornstein–Uhlenbeck process with the stated spread and correlation, drawn from (seed, episode,
 * step); the commanded tool pose sits the current offset away from the noiseless expert's path
 * (the expert corrects rather than letting errors add up); demonstrations record the expert's
 * own actions and the offset each one undoes (obs/dart_offset), and the HDF5 file says the noise
 * it was made with.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../dataset/memorySink.ts';
import { loadSceneFile } from '../load.ts';
import { runDemos } from './demos.ts';
import { Episode } from './episode.ts';
import { NoiseProcess, runExpert } from './experts.ts';
import { parseTaskSpec } from './spec.ts';

const file = 'scenes/tasks/reach.task.yaml';
const task = parseTaskSpec(readFileSync(file, 'utf8'), file);
const scenePath = resolve(dirname(file), task.scene);
const scene = (await loadSceneFile(readFileSync(scenePath), scenePath)).document;

const open: Episode[] = [];
afterEach(() => {
  for (const e of open.splice(0)) e.free();
});
async function episode(index: number, seed = 7): Promise<Episode> {
  const e = await Episode.create(task, scene, seed, index);
  open.push(e);
  return e;
}

describe('DART noise process', () => {
  it('has the stated spread and correlation, and repeats for the same (seed, episode)', () => {
    const hz = 20;
    const tau = 0.5;
    const p = new NoiseProcess({ position: 0.01, rotation: 0.05, tau }, 3, 9, hz);
    const n = 40000;
    const series: number[][] = [];
    for (let t = 0; t < n; t++) series.push(Array.from(p.next()));
    const rho = Math.exp(-1 / (hz * tau));
    for (let axis = 0; axis < 6; axis++) {
      const x = series.map((s) => s[axis]!);
      const mean = x.reduce((a, b) => a + b, 0) / n;
      const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      const lag1 = x.slice(1).reduce((a, b, i) => a + (b - mean) * (x[i]! - mean), 0) / (n - 1) / variance;
      const sigma = axis < 3 ? 0.01 : 0.05;
      // 40000 steps with correlation time 10 steps: about 2000 independent samples, so the
      // standard deviation is known to a few per cent.
      expect(Math.sqrt(variance)).toBeGreaterThan(sigma * 0.9);
      expect(Math.sqrt(variance)).toBeLessThan(sigma * 1.1);
      expect(Math.abs(mean)).toBeLessThan(sigma * 0.1);
      // The lag-1 estimate's standard error here is about sqrt((1 − ρ²) / n) ≈ 0.002.
      expect(Math.abs(lag1 - rho)).toBeLessThan(0.01);
    }
    const again = new NoiseProcess({ position: 0.01, rotation: 0.05, tau }, 3, 9, hz);
    expect(Array.from(again.next())).toEqual(series[0]);
    const other = new NoiseProcess({ position: 0.01, rotation: 0.05, tau }, 3, 10, hz);
    expect(Array.from(other.next())).not.toEqual(series[0]);
  });

  it('refuses a negative spread or a non-positive correlation time', () => {
    expect(() => new NoiseProcess({ position: -0.01, rotation: 0 }, 1, 0, 20)).toThrow(/non-negative/);
    expect(() => new NoiseProcess({ position: 0.01, rotation: 0, tau: 0 }, 1, 0, 20)).toThrow(/correlation time/);
  });
});

describe('expert with DART noise', () => {
  it('keeps the commanded tool point one offset away from the noiseless path, and records the expert\'s corrections', async () => {
    const noise = { position: 0.01, rotation: 0 };
    // The noiseless expert's commanded tool point before every step.
    const path: number[][] = [];
    // Replay with noise, noting the commanded point after each step and the offset the process gave.
    const noisy = await episode(2);
    const offsets = new NoiseProcess(noise, noisy.seed, noisy.index, noisy.arm.controlHz);
    const recorded: Float32Array[] = [];
    const commanded: number[][] = [];
    const plain = await episode(2);
    runExpert(plain, () => path.push(plain.arm.targetEe().position.toArray()));
    const given: Float32Array[] = [];
    runExpert(noisy, (action, offset) => {
      recorded.push(action);
      given.push(offset!);
      commanded.push(noisy.arm.targetEe().position.toArray());
    }, noise);
    // onStep runs before each step, so commanded[t + 1] is where step t left the target.
    let largest = 0;
    for (let t = 0; t + 1 < Math.min(commanded.length, path.length); t++) {
      const o = offsets.next();
      const d = [0, 1, 2].map((i) => commanded[t + 1]![i]! - path[t + 1]![i]!);
      largest = Math.max(largest, Math.hypot(...d));
      for (let i = 0; i < 3; i++) expect(Math.abs(d[i]! - o[i]!)).toBeLessThan(1.5e-3);
    }
    expect(largest).toBeGreaterThan(0.01);
    // The recorded actions are the expert's: each leads from where the target is back onto the
    // noiseless path (undoing the offset), never adding the next offset.
    expect(recorded.length).toBeGreaterThan(10);
    for (let t = 0; t + 1 < Math.min(commanded.length, path.length); t++) {
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(recorded[t]![i]! - (path[t + 1]![i]! - commanded[t]![i]!))).toBeLessThan(1.5e-3);
        // The offset handed to onStep is where the commanded pose is off the path, so action +
        // offset is the path's own step.
        expect(Math.abs(given[t]![i]! - (commanded[t]![i]! - path[t]![i]!))).toBeLessThan(1.5e-3);
        expect(Math.abs(recorded[t]![i]! + given[t]![i]! - (path[t + 1]![i]! - path[t]![i]!))).toBeLessThan(1.5e-3);
      }
    }
    expect(Array.from(given[0]!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(recorded.every((a) => a.length === 7 && a.every(Number.isFinite))).toBe(true);
    expect(noisy.success).toBe(true);
    expect(plain.success).toBe(true);
  });

  it('writes the same bytes for the same seed, records the noise in the HDF5 env_args, and differs from noiseless demonstrations', async () => {
    const make = async (noise?: { position: number; rotation: number }) => {
      const sink = new MemorySink();
      await runDemos({ task, scene, episodes: 2, seed: 5, formats: ['hdf5'], ...(noise ? { noise } : {}) }, sink);
      return sink.files.get('robomimic.hdf5')!;
    };
    const a = await make({ position: 0.01, rotation: 0.05 });
    const b = await make({ position: 0.01, rotation: 0.05 });
    const none = await make();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(none))).toBe(false);
    const text = Buffer.from(a).toString('latin1');
    expect(text).toContain('"action_noise":{"position":0.01,"rotation":0.05,"tau":0.5}');
    expect(text).toContain('dart_offset');
    const plain = Buffer.from(none).toString('latin1');
    expect(plain).not.toContain('action_noise');
    expect(plain).not.toContain('dart_offset');
  });
});

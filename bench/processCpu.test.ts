import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuByRole, cpuPerFrame, cpuRole } from './processCpu.ts';

describe('cpuRole', () => {
  it('names each Chromium thread by its part of the pipeline', () => {
    expect(cpuRole('node', 'node')).toBe('cli_node');
    expect(cpuRole('renderer', 'DedicatedWorker')).toBe('renderer_workers');
    expect(cpuRole('renderer', 'chromium')).toBe('renderer_page');
    expect(cpuRole('renderer', 'ThreadPoolForeg')).toBe('renderer_thread_pool');
    expect(cpuRole('renderer', 'Chrome_ChildIOT')).toBe('renderer_other');
    expect(cpuRole('gpu-process', 'Thread<00>')).toBe('gpu_rasterizer');
    expect(cpuRole('gpu-process', 'Thread<13>')).toBe('gpu_rasterizer');
    expect(cpuRole('gpu-process', 'chromium')).toBe('gpu_main');
    expect(cpuRole('gpu-process', 'Chrome_ChildIOT')).toBe('gpu_other');
    expect(cpuRole('browser', 'Chrome_IOThread')).toBe('browser_io');
    expect(cpuRole('browser', 'chromium')).toBe('browser_other');
    expect(cpuRole('utility:network.mojom.NetworkService', 'Chrome_ChildIOT')).toBe('network_service');
    expect(cpuRole('zygote', 'chromium')).toBe('other');
  });
});

describe('cpuPerFrame', () => {
  it('divides each role’s growth by the frames, largest first, with the total, leaving out roles under 0.5 ms', () => {
    const thread = (role: string, ms: number) => ({ role, ms });
    const before = new Map([
      ['10/10', thread('gpu_rasterizer', 600)],
      ['10/11', thread('gpu_rasterizer', 400)],
      ['20/20', thread('cli_node', 500)],
      ['30/31', thread('browser_io', 100)],
      // An earlier browser that closed between the readings: its time is not taken off anyone's.
      ['40/41', thread('renderer_workers', 5000)],
      // A thread id reused by another thread.
      ['50/51', thread('network_service', 900)],
    ]);
    const after = new Map([
      ['10/10', thread('gpu_rasterizer', 1600)],
      ['10/11', thread('gpu_rasterizer', 1400)],
      ['20/20', thread('cli_node', 900)],
      ['30/31', thread('browser_io', 104)],
      // Started between the readings: all its time counts.
      ['60/61', thread('renderer_workers', 1200)],
      ['50/51', thread('renderer_page', 40)],
    ]);
    const perFrame = cpuPerFrame(before, after, 20)!;
    expect(perFrame).toEqual({ total: 182, gpu_rasterizer: 100, renderer_workers: 60, cli_node: 20, renderer_page: 2 });
    expect(Object.keys(perFrame)).toEqual(['total', 'gpu_rasterizer', 'renderer_workers', 'cli_node', 'renderer_page']);
  });

  it('is null without two readings or frames', () => {
    expect(cpuPerFrame(null, new Map(), 3)).toBeNull();
    expect(cpuPerFrame(new Map(), null, 3)).toBeNull();
    expect(cpuPerFrame(new Map(), new Map(), 0)).toBeNull();
  });
});

describe.skipIf(!existsSync('/proc/self/task'))('cpuByRole', () => {
  it('counts this process’s CPU time as the CLI’s', () => {
    const before = cpuByRole()!;
    const until = performance.now() + 300;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const after = cpuByRole()!;
    expect(x).toBeGreaterThan(0);
    expect(after.get(`${process.pid}/${process.pid}`)?.role).toBe('cli_node');
    // /proc counts in 10 ms ticks; 300 ms of a busy loop is at least 200 of them on a loaded machine.
    expect(cpuPerFrame(before, after, 1)!.cli_node).toBeGreaterThanOrEqual(200);
  });
});

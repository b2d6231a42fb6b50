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
    const before = new Map([
      ['gpu_rasterizer', 1000],
      ['cli_node', 500],
      ['browser_io', 100],
    ]);
    const after = new Map([
      ['gpu_rasterizer', 3000],
      ['cli_node', 900],
      ['browser_io', 104],
      ['renderer_workers', 1200],
    ]);
    const perFrame = cpuPerFrame(before, after, 20)!;
    expect(perFrame).toEqual({ total: 180, gpu_rasterizer: 100, renderer_workers: 60, cli_node: 20 });
    expect(Object.keys(perFrame)).toEqual(['total', 'gpu_rasterizer', 'renderer_workers', 'cli_node']);
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
    // /proc counts in 10 ms ticks; 300 ms of a busy loop is at least 200 of them on a loaded machine.
    expect(after.get('cli_node')! - (before.get('cli_node') ?? 0)).toBeGreaterThanOrEqual(200);
  });
});

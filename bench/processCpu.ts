/**
 * Where the machine's CPU goes during a benchmark: CPU time of this Node process and of every
 * Chromium process's threads, read from /proc (Linux; null elsewhere), grouped by the part of the
 * pipeline each thread is. `npm run bench:sdg` prints it per labelled frame for Simloop and per
 * frame for its ceiling, so the two rates can be compared by where their CPU time goes, not only by
 * how many frames come out.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** A thread's part, from its process's --type (and sub-type) and its thread name. */
export function cpuRole(processType: string, thread: string): string {
  if (processType === 'node') return 'cli_node';
  if (processType === 'gpu-process') return thread === 'chromium' ? 'gpu_main' : /^Thread<\d+>$/.test(thread) ? 'gpu_rasterizer' : 'gpu_other';
  if (processType === 'renderer') {
    if (thread === 'DedicatedWorker') return 'renderer_workers';
    if (thread === 'chromium') return 'renderer_page';
    if (thread.startsWith('ThreadPool')) return 'renderer_thread_pool';
    return 'renderer_other';
  }
  if (processType === 'browser') return thread === 'Chrome_IOThread' ? 'browser_io' : 'browser_other';
  if (processType.includes('network')) return 'network_service';
  return 'other';
}

/** CPU time so far of every thread of this process and of every Chromium process, by "pid/tid", with its role; null off Linux. */
export type ThreadCpu = Map<string, { role: string; ms: number }>;

export function cpuByRole(): ThreadCpu | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const out: ThreadCpu = new Map();
  for (const pid of pids) {
    let type: string;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (Number(pid) === process.pid) type = 'node';
      else if (/chrom/i.test(cmdline.split('\0')[0] ?? '')) {
        type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser';
        if (type === 'utility') type += `:${/--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1] ?? ''}`;
      } else continue;
    } catch {
      continue; // gone meanwhile
    }
    let threads: string[] = [];
    try {
      threads = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of threads) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        // Fields after the name: state is the first, utime the 12th, stime the 13th.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
        out.set(`${pid}/${tid}`, { role: cpuRole(type, name), ms });
      } catch {
        // a thread that ended meanwhile
      }
    }
  }
  return out;
}

/**
 * CPU milliseconds per frame by role between two readings over `frames` frames, largest first,
 * with their `total`; roles under 0.5 ms a frame are left out. Per thread: a thread in both
 * readings counts its growth, one that started between them all its time, and one that ended
 * between them (an earlier browser still closing, a finished helper thread) nothing — its time
 * after the first reading is lost, so read while the run is steady.
 */
export function cpuPerFrame(before: ThreadCpu | null, after: ThreadCpu | null, frames: number): Record<string, number> | null {
  if (!before || !after || frames <= 0) return null;
  const byRole = new Map<string, number>();
  for (const [thread, { role, ms }] of after) {
    const earlier = before.get(thread);
    // A reused thread id with another role is another thread.
    const grown = earlier && earlier.role === role ? ms - earlier.ms : ms;
    byRole.set(role, (byRole.get(role) ?? 0) + grown);
  }
  const rows = [...byRole]
    .map(([role, ms]) => [role, ms / frames] as const)
    .filter(([, ms]) => ms >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  return { total: Number(total.toFixed(1)), ...Object.fromEntries(rows.map(([role, ms]) => [role, Number(ms.toFixed(1))])) };
}

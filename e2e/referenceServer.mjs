/**
 * The reference policy server (training/serve_policy.py: the shipped pick-cube policy over openpi's
 * WebSocket protocol) as a child process for tests: started on a free port, stopped by `stop()`.
 */
import { spawn } from 'node:child_process';
import { PYTHON } from '../src/engine/testing/python.ts';

/** The Python modules the reference server imports. */
export const SERVER_MODULES = ['torch', 'onnx', 'msgpack', 'websockets', 'h5py', 'numpy'];

/** Starts training/serve_policy.py (extra arguments after --port 0); resolves once it listens. */
export function startReferenceServer(...args) {
  const child = spawn(PYTHON, ['training/serve_policy.py', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the reference server did not start in 60 s:\n${stderr}`));
    }, 60_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /on (ws:\/\/[\d.]+:(\d+))/.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1],
        port: Number(m[2]),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the reference server exited (${code}):\n${stderr}`));
    });
  });
}

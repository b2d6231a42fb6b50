import { describe, expect, it } from 'vitest';
import { watchWorkerDeath } from './workerDeath.ts';

/** What the watch uses of a Worker: its events. Node's EventTarget stands in for it. */
function fakeWorker() {
  const target = new EventTarget();
  const crash = (message: string) => {
    const event = Object.assign(new Event('error', { cancelable: true }), { message });
    target.dispatchEvent(event);
    return event;
  };
  return { worker: target as unknown as Worker, crash, unreadable: () => target.dispatchEvent(new Event('messageerror')) };
}

class Died extends Error {}
const messages = { crashed: (text: string) => new Died(`crashed: ${text || 'no message'}`), unreadable: () => new Died('unreadable') };

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

describe('watchWorkerDeath', () => {
  it('passes results and errors of a living worker through', async () => {
    const { worker } = fakeWorker();
    const watch = watchWorkerDeath(worker, messages);
    await expect(watch.guard(Promise.resolve(7))).resolves.toBe(7);
    await expect(watch.guard(Promise.reject(new Error('bad frame')))).rejects.toThrow('bad frame');
    expect(watch.death).toBeNull();
  });

  it('rejects every call in flight when the worker crashes, and every later call at once', async () => {
    const { worker, crash } = fakeWorker();
    const watch = watchWorkerDeath(worker, messages);
    const done = watch.guard(Promise.resolve('done'));
    await expect(done).resolves.toBe('done');
    const first = watch.guard(deferred<number>().promise);
    const second = watch.guard(deferred<number>().promise);
    const event = crash('out of memory');
    expect(event.defaultPrevented).toBe(true);
    await expect(first).rejects.toThrow('crashed: out of memory');
    await expect(second).rejects.toBeInstanceOf(Died);
    await expect(watch.guard(Promise.resolve(1))).rejects.toThrow('crashed: out of memory');
    expect(watch.death?.message).toBe('crashed: out of memory');
  });

  it('keeps the first death: a later unreadable message does not replace it', async () => {
    const { worker, crash, unreadable } = fakeWorker();
    const watch = watchWorkerDeath(worker, messages);
    const call = watch.guard(deferred<void>().promise);
    unreadable();
    crash('');
    await expect(call).rejects.toThrow('unreadable');
    expect(watch.death?.message).toBe('unreadable');
  });

  it('a call that settled before the death is not touched by it', async () => {
    const { worker, crash } = fakeWorker();
    const watch = watchWorkerDeath(worker, messages);
    const call = deferred<string>();
    const guarded = watch.guard(call.promise);
    call.resolve('frame 3');
    await expect(guarded).resolves.toBe('frame 3');
    crash('');
    await expect(guarded).resolves.toBe('frame 3');
    await expect(watch.guard(Promise.resolve(0))).rejects.toThrow('crashed: no message');
  });
});

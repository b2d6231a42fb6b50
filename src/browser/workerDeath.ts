/**
 * Calls to a worker that fail when the worker dies (an uncaught error, an out-of-memory kill, a
 * message it cannot read) instead of hanging. Used by the frame worker pool and the studio's
 * preview worker.
 *
 * Not `Promise.race` against one never-settling "died" promise: each race leaves a reaction on
 * that promise for the worker's life (~100 bytes a call, measured over a 20 000-frame soak).
 * Calls wait in a set instead, and the death rejects whatever is in it.
 */
export interface WorkerDeathWatch<E extends Error> {
  /** `call`'s result, or a rejection with the worker's death if it dies first (or already has). */
  guard<T>(call: Promise<T>): Promise<T>;
  /** The death, once there has been one. */
  readonly death: E | null;
}

export interface DeathMessages<E extends Error> {
  /** The error for an uncaught error in the worker (its message, or '' if it had none). */
  crashed(message: string): E;
  /** The error for a message the worker sent that could not be read. */
  unreadable(): E;
}

export function watchWorkerDeath<E extends Error>(worker: Worker, messages: DeathMessages<E>): WorkerDeathWatch<E> {
  let death: E | null = null;
  const waiting = new Set<(error: E) => void>();
  const died = (error: E) => {
    death ??= error;
    for (const reject of waiting) reject(death);
    waiting.clear();
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    died(messages.crashed(event.message || ''));
  });
  worker.addEventListener('messageerror', () => died(messages.unreadable()));
  return {
    guard: <T>(call: Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        if (death) return reject(death);
        waiting.add(reject);
        call.then(resolve, reject).finally(() => waiting.delete(reject));
      }),
    get death() {
      return death;
    },
  };
}

/**
 * The stream object `Sink.create` returns, built from a medium's three steps (append a chunk, commit,
 * discard). Owns the rules every sink shares: chunks are appended one after another even when the
 * caller does not await each write; after a failed write the stream can only be aborted (close
 * discards and rethrows); writing or closing after close/abort rejects; abort after close or abort
 * does nothing, so it is safe in `finally` blocks.
 */
import type { Sink } from '../types.ts';
import { SinkError } from './errors.ts';

export type SinkStream = Awaited<ReturnType<Sink['create']>>;

export interface StreamSteps {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the file visible under its name. */
  commit(): Promise<void>;
  /** Drops what was written; must not throw. */
  discard(): Promise<void>;
}

/** `toSinkError` turns a medium's failure (errno, DOMException, …) into the SinkError to throw. */
export function sinkStream(path: string, steps: StreamSteps, toSinkError: (error: unknown) => SinkError): SinkStream {
  let state: 'open' | 'closed' | 'aborted' = 'open';
  let failure: SinkError | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (step: () => Promise<void>): Promise<void> => {
    const next = queue.then(step);
    queue = next.catch(() => {});
    return next;
  };
  const ensureOpen = () => {
    if (state !== 'open') throw new SinkError('other', path, `cannot write ${path}: the stream is already ${state}`);
  };
  const wrap = (error: unknown) => (error instanceof SinkError ? error : toSinkError(error));
  return {
    write: (chunk) =>
      serial(async () => {
        ensureOpen();
        if (failure) throw failure;
        try {
          await steps.write(chunk);
        } catch (error) {
          throw (failure = wrap(error));
        }
      }),
    close: () =>
      serial(async () => {
        ensureOpen();
        state = 'closed';
        if (failure) {
          await steps.discard();
          throw failure;
        }
        try {
          await steps.commit();
        } catch (error) {
          await steps.discard();
          throw wrap(error);
        }
      }),
    abort: () =>
      serial(async () => {
        if (state !== 'open') return;
        state = 'aborted';
        await steps.discard();
      }),
  };
}

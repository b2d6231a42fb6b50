/**
 * Fault injection: wraps a sink so that, after a budget of bytes or writes, every further write
 * fails the way a full disk, a read-only mount or a revoked permission would — with the same
 * SinkError the real sinks throw. For tests and for the CLI's test hooks; never in a real export.
 * Once tripped it stays tripped (a full disk does not empty itself); reads, lists, removes and
 * aborts still reach the inner sink, so clean-up code can be tested too.
 */
import type { Sink } from '../types.ts';
import { FAULT_CODE, sinkFailure } from './errors.ts';
import { sinkPathSegments } from './paths.ts';

export interface FaultPlan {
  /** Bytes that may be written in total (whole files and stream chunks) before writes fail. */
  failAfterBytes?: number;
  /** Writes that succeed (each `write` call and each stream chunk counts one) before writes fail. */
  failAfterWrites?: number;
  /** With neither budget given, the first write fails. */
  error: keyof typeof FAULT_CODE;
}

export function faultySink(inner: Sink, plan: FaultPlan): Sink {
  let bytes = 0;
  let writes = 0;
  let tripped = false;
  const failAtOnce = plan.failAfterBytes === undefined && plan.failAfterWrites === undefined;
  /** Counts one write of `size` bytes; throws if it is over budget (or was already). */
  const spend = (path: string, size: number) => {
    sinkPathSegments(path, 'write'); // a bad path is reported as such, not as a full disk
    if (!tripped) {
      const overBytes = plan.failAfterBytes !== undefined && bytes + size > plan.failAfterBytes;
      const overWrites = plan.failAfterWrites !== undefined && writes + 1 > plan.failAfterWrites;
      tripped = failAtOnce || overBytes || overWrites;
    }
    if (tripped) throw sinkFailure(plan.error, 'write', path, { code: FAULT_CODE[plan.error] });
    bytes += size;
    writes += 1;
  };
  const check = (path: string) => {
    sinkPathSegments(path, 'write');
    if (tripped) throw sinkFailure(plan.error, 'write', path, { code: FAULT_CODE[plan.error] });
  };

  return {
    async write(path, data) {
      spend(path, data.byteLength);
      await inner.write(path, data);
    },
    async create(path) {
      check(path);
      const stream = await inner.create(path);
      return {
        async write(chunk) {
          spend(path, chunk.byteLength);
          await stream.write(chunk);
        },
        async close() {
          if (tripped) {
            await stream.abort();
            check(path);
          }
          await stream.close();
        },
        abort: () => stream.abort(),
      };
    },
    read: (path) => inner.read(path),
    list: (dir) => inner.list(dir),
    remove: (path) => inner.remove(path),
  };
}

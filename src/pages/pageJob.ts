/**
 * The page side of a headless job (src/cli/headlessJob.ts is Node's side): ask Node for the
 * request, run the job with a progress callback, and post the response — the result, or one line
 * saying why not. Progress is posted in order with at most one request in flight (the newest
 * state wins); uncaught errors are posted as they happen so Node can name them if the page dies.
 */
import { describeError } from '../engine/errors.ts';
import { createHttpSink } from '../engine/dataset/sinks/httpSink.ts';
import type { Sink } from '../engine/dataset/types.ts';

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** An input file Node serves for this job. */
export async function fetchInput(name: string): Promise<Uint8Array> {
  const url = `/__simloop/input/${name}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Node's output directory, through the HTTP sink. */
export function outputSink(): Sink {
  // Frames' files go over the sink's WebSocket (one message a batch); everything else by HTTP.
  return createHttpSink(`${location.origin}/__simloop/sink`, { socket: (url) => new WebSocket(url) });
}

function progressReporter<P>() {
  let pending: P | null = null;
  let flushing: Promise<void> | null = null;
  const flush = async () => {
    while (pending !== null) {
      const p = pending;
      pending = null;
      await post('/__simloop/progress', p).catch(() => {});
    }
    flushing = null;
  };
  return {
    report(p: P) {
      pending = p;
      flushing ??= flush();
    },
    settled: () => flushing ?? Promise.resolve(),
  };
}

/** Runs `job` with the request Node sends, and posts its response. */
export function runPageJob<Q, P, R>(job: (request: Q, onProgress: (p: P) => void) => Promise<R>): void {
  addEventListener('error', (event) => void post('/__simloop/page-error', { message: String(event.message ?? event) }).catch(() => {}));
  addEventListener('unhandledrejection', (event) => void post('/__simloop/page-error', { message: describeError(event.reason) }).catch(() => {}));
  void (async () => {
    const progress = progressReporter<P>();
    let response: { ok: true; result: R } | { ok: false; error: string };
    try {
      const request = (await (await fetch('/__simloop/job')).json()) as Q;
      response = { ok: true, result: await job(request, (p) => progress.report(p)) };
    } catch (error) {
      response = { ok: false, error: describeError(error) };
    }
    await progress.settled();
    await post('/__simloop/done', response);
  })();
}

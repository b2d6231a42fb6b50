/**
 * The wire protocol between `httpSink` (the renderer, in headless Chromium) and `sinkMiddleware`
 * (the CLI's Node process, which owns the disk). Paths are dataset-relative, in the query string.
 *
 *   PUT    <base>/file?path=P                     body = bytes            → 204
 *   GET    <base>/file?path=P                     → 200 bytes, or 404 {kind: "not-found"} when missing
 *   DELETE <base>/file?path=P                     → 204 (also when missing)
 *   GET    <base>/list?dir=D                      → 200 ["a.png", "b.png"] (files directly in D; D="" is the root)
 *   POST   <base>/stream?path=P&op=open           → 200 {"id": "…"}  (re-opening P abandons the older stream)
 *   POST   <base>/stream?path=P&op=append&id=I    body = chunk        → 204
 *   POST   <base>/stream?path=P&op=close&id=I     → 204 (the file appears under P)
 *   POST   <base>/stream?path=P&op=abort&id=I     → 204 (nothing is left behind)
 *
 * Every failure is a JSON body {kind, message, path} with the SinkError kind, the status below,
 * and a message that names the file; the client rethrows it as the same SinkError. When the
 * server was given a token, every request must carry it in SINK_TOKEN_HEADER (else 403).
 */
import type { SinkErrorKind } from './errors.ts';
import { isSinkErrorKind } from './errors.ts';

export const SINK_TOKEN_HEADER = 'x-simloop-sink-token';

export type StreamOp = 'open' | 'append' | 'close' | 'abort';
export const STREAM_OPS: readonly StreamOp[] = ['open', 'append', 'close', 'abort'];

export const STATUS_FOR_KIND: Record<SinkErrorKind, number> = {
  'invalid-path': 400,
  permission: 403,
  'read-only': 403,
  'not-found': 404,
  'no-space': 507,
  other: 500,
};

export interface SinkErrorBody {
  kind: SinkErrorKind;
  message: string;
  path?: string;
}

/** The error body of a response, or null when it is not one (an HTML 404 from another server…). */
export function parseSinkErrorBody(text: string): SinkErrorBody | null {
  try {
    const body = JSON.parse(text) as Partial<SinkErrorBody> | null;
    if (body && isSinkErrorKind(body.kind) && typeof body.message === 'string') {
      return { kind: body.kind, message: body.message, ...(typeof body.path === 'string' ? { path: body.path } : {}) };
    }
  } catch {
    // not JSON
  }
  return null;
}

/**
 * The client side of batches over a WebSocket (protocol in httpProtocol.ts): httpSink sends its
 * writeFiles batches here when given a socket URL. The socket opens on the first batch; if it can't
 * open, every batch goes by HTTP instead (the same files, the same errors). Batches in flight when
 * the socket closes fail with a SinkError of kind 'other' naming the socket; later ones go by HTTP.
 */
import type { SinkErrorBody } from './httpProtocol.ts';
import { encodeSocketBatch, parseSocketReply } from './httpProtocol.ts';
import { SinkError, sinkFailure } from './errors.ts';

/** What this needs of a WebSocket: the browser's, or the `ws` package's in Node tests. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export type SocketFactory = (url: string) => SocketLike;

export interface SocketBatches {
  /** Sends the batch (and its commit file, written last: WriteFilesOptions) and waits for the server to have written it; false when the socket is not open (send by HTTP). */
  send(files: readonly { path: string; bytes: Uint8Array<ArrayBuffer> }[], commit?: { path: string; bytes: Uint8Array<ArrayBuffer> }): Promise<boolean>;
}

const OPEN = 1;

export function socketBatches(url: string, open: SocketFactory): SocketBatches {
  let socket: SocketLike | null = null;
  /** Resolves true once open, false if it never opens. */
  let ready: Promise<boolean> | null = null;
  let nextId = 1;
  /** Every message is written here and sent from here (send copies); grown as needed. */
  let scratch = new Uint8Array(0);
  const pending = new Map<number, { resolve: () => void; reject: (error: SinkError) => void; path: string }>();

  const failAll = (why: string) => {
    for (const [id, call] of pending) {
      pending.delete(id);
      call.reject(sinkFailure('other', 'write', call.path, { detail: why }));
    }
  };

  const connect = (): Promise<boolean> =>
    (ready ??= new Promise<boolean>((resolve) => {
      let opened: SocketLike;
      try {
        opened = socket = open(url);
      } catch {
        return resolve(false);
      }
      opened.binaryType = 'arraybuffer';
      opened.addEventListener('open', () => resolve(true));
      opened.addEventListener('error', () => resolve(false));
      opened.addEventListener('close', () => {
        resolve(false);
        failAll(`the sink server's socket at ${url} closed before it said the files were written`);
      });
      opened.addEventListener('message', (event) => {
        const reply = typeof event.data === 'string' ? parseSocketReply(event.data) : null;
        if (!reply) {
          // A server that does not speak the protocol: no batch goes this way again.
          failAll(`the sink server's socket at ${url} answered something that is not the protocol`);
          return opened.close();
        }
        const call = pending.get(reply.id);
        if (!call) return;
        pending.delete(reply.id);
        if (reply.error) call.reject(errorFrom(reply.error, call.path));
        else call.resolve();
      });
    }));

  return {
    async send(files, commit) {
      // Once closed (or never opened), every batch goes by HTTP.
      if (!(await connect()) || socket?.readyState !== OPEN) return false;
      const id = nextId++;
      const message = encodeSocketBatch(id, files, scratch, commit);
      if (message.buffer !== scratch.buffer) scratch = message;
      return new Promise<boolean>((resolve, reject) => {
        pending.set(id, { resolve: () => resolve(true), reject, path: files[0]?.path ?? commit?.path ?? '' });
        socket!.send(message);
      });
    },
  };
}

const errorFrom = (body: SinkErrorBody, path: string) => new SinkError(body.kind, body.path ?? path, body.message);

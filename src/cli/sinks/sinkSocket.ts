/**
 * The server side of batches over a WebSocket (protocol in src/engine/dataset/sinks/httpProtocol.ts):
 * the CLI's HTTP server hands it upgrade requests for `<prefix>/socket`, and it writes each
 * message's files through the same sink, with the same path checks and error replies as the HTTP
 * sink's `files` endpoint. Messages are handled as they come: several batches can be in flight.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Sink } from '../../engine/dataset/types.ts';
import { firstLine } from '../../engine/dataset/sinks/errors.ts';
import { decodeSocketBatch, SINK_SOCKET_PATH, type SocketReply, splitCommit } from '../../engine/dataset/sinks/httpProtocol.ts';
import { writeFiles } from '../../engine/dataset/sinks/writeFiles.ts';
import { batchPathError, sinkErrorBody } from './httpSinkServer.ts';

export interface SinkSocketServer {
  /** Takes the upgrade when it is for this sink's socket (true), else leaves it alone (false). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

export function sinkSocketServer(prefix: string, sink: Sink, options: { token?: string; maxPayload?: number } = {}): SinkSocketServer {
  const path = `${prefix.replace(/\/+$/, '')}/${SINK_SOCKET_PATH}`;
  const server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxPayload ?? 1 << 30 });

  const answer = async (ws: WebSocket, data: RawData): Promise<SocketReply | null> => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const message = decodeSocketBatch(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if ('problem' in message) {
      if (message.id === null) {
        ws.close(1003, firstLine(message.problem).slice(0, 120));
        return null;
      }
      return { id: message.id, error: { kind: 'other', message: message.problem } };
    }
    const invalid = batchPathError(message.files);
    if (invalid) return { id: message.id, error: invalid };
    try {
      const { files, commit } = splitCommit(message.files);
      await writeFiles(sink, files, commit ? { commit } : {});
      return { id: message.id };
    } catch (error) {
      return { id: message.id, error: sinkErrorBody(error) };
    }
  };

  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return ws.close(1003, 'send batches as binary messages');
      void answer(ws, data).then((reply) => {
        if (reply && ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      });
    });
  });

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://sink.invalid');
      if (url.pathname !== path) return false;
      if (options.token !== undefined && url.searchParams.get('token') !== options.token) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return true;
      }
      server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req));
      return true;
    },
    close() {
      for (const client of server.clients) client.terminate();
      server.close();
    },
  };
}

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
import { firstLine, SinkError } from '../../engine/dataset/sinks/errors.ts';
import { decodeSocketBatch, SINK_SOCKET_PATH, type SocketReply } from '../../engine/dataset/sinks/httpProtocol.ts';
import { pathProblem } from '../../engine/dataset/sinks/paths.ts';
import { writeFiles } from '../../engine/dataset/sinks/writeFiles.ts';

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
    for (const file of message.files) {
      const problem = pathProblem(file.path, false);
      if (problem) return { id: message.id, error: { kind: 'invalid-path', message: `invalid path ${JSON.stringify(file.path)}: ${problem}`, path: file.path } };
    }
    try {
      await writeFiles(sink, message.files);
      return { id: message.id };
    } catch (error) {
      if (error instanceof SinkError) return { id: message.id, error: error.toJSON() };
      return { id: message.id, error: { kind: 'other', message: `the sink server failed: ${firstLine(error instanceof Error ? error.message : String(error))}` } };
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

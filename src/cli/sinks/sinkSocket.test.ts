import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { faultySink } from '../../engine/dataset/sinks/faulty.ts';
import { httpSink, socketUrl } from '../../engine/dataset/sinks/httpSink.ts';
import { decodeSocketBatch, encodeSocketBatch, parseSocketReply } from '../../engine/dataset/sinks/httpProtocol.ts';
import { expectSinkError, sinkContract } from '../../engine/dataset/sinks/sinkContract.ts';
import type { SocketFactory, SocketLike } from '../../engine/dataset/sinks/socketBatches.ts';
import type { Sink } from '../../engine/dataset/types.ts';
import { fsSink } from './fsSink.ts';
import { sinkMiddleware } from './httpSinkServer.ts';
import { sinkSocketServer } from './sinkSocket.ts';

const PREFIX = '/__simloop/sink';
const text = (s: string) => new TextEncoder().encode(s);

interface Running {
  base: string;
  dir: string;
  /** HTTP requests the server answered, as "METHOD /path". */
  requests: string[];
  closeSockets(): void;
  stop(): Promise<void>;
}

/** node:http with the sink's HTTP middleware and, unless `socket` is false, its batch socket. */
async function serve(makeSink: (dir: string) => Sink, options: { socket?: boolean; token?: string } = {}): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'simloop-sink-socket-'));
  const sink = makeSink(dir);
  const token = options.token !== undefined ? { token: options.token } : {};
  const middleware = sinkMiddleware(PREFIX, sink, token);
  const sockets = sinkSocketServer(PREFIX, sink, token);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
    middleware(req, res, () => {
      res.statusCode = 404;
      res.end();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (options.socket === false || !sockets.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}${PREFIX}`,
    dir,
    requests,
    closeSockets: () => sockets.close(),
    async stop() {
      sockets.close();
      await middleware.abortOpenStreams();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The `ws` package's WebSocket (what Node has; browsers have their own), counting opens and messages. */
function countingSockets() {
  const counts = { opened: 0, messages: 0 };
  const factory: SocketFactory = (url) => {
    const socket = new WebSocket(url);
    socket.addEventListener('open', () => counts.opened++);
    const send = socket.send.bind(socket);
    (socket as { send: (data: Uint8Array) => void }).send = (data) => {
      counts.messages++;
      send(data);
    };
    return socket as unknown as SocketLike;
  };
  return { counts, factory };
}

sinkContract('httpSink with its batch socket → sinkSocketServer + sinkMiddleware → fsSink', async () => {
  const running = await serve((dir) => fsSink(dir));
  return { sink: httpSink(running.base, { socket: countingSockets().factory }), cleanup: running.stop };
});

describe('socket messages', () => {
  it('carry the request id and the batch, and decode to the same files', () => {
    const files = [
      { path: 'rgb/0001.png', bytes: text('png') },
      { path: 'depth/0001.npy', bytes: text('npy bytes') },
    ];
    const message = encodeSocketBatch(7, files);
    const decoded = decodeSocketBatch(message);
    expect(decoded).toEqual({ id: 7, files: files.map((f) => ({ path: f.path, bytes: new Uint8Array(f.bytes) })) });
  });

  it('are written into the start of a buffer that is big enough, and into a new one otherwise', () => {
    const into = new Uint8Array(1000).fill(9);
    const message = encodeSocketBatch(1, [{ path: 'a.txt', bytes: text('aaaa') }], into);
    expect(message.buffer).toBe(into.buffer);
    expect(message.byteOffset).toBe(0);
    expect(message.byteLength).toBeLessThan(1000);
    expect(decodeSocketBatch(message)).toMatchObject({ id: 1, files: [{ path: 'a.txt' }] });
    const small = new Uint8Array(8);
    const grown = encodeSocketBatch(2, [{ path: 'a.txt', bytes: text('aaaa') }], small);
    expect(grown.buffer).not.toBe(small.buffer);
    expect(decodeSocketBatch(grown)).toMatchObject({ id: 2 });
  });

  it('name what is wrong with a malformed one, keeping its id where it has one', () => {
    expect(decodeSocketBatch(new Uint8Array([0, 0]))).toEqual({ id: null, problem: 'the socket message is shorter than its 4-byte request id' });
    expect(decodeSocketBatch(new Uint8Array([0, 0, 0, 5, 0, 0, 0, 50, 1]))).toEqual({ id: 5, problem: 'the batch header says 50 bytes but the body has 1' });
  });

  it('replies parse only when they are the protocol', () => {
    expect(parseSocketReply('{"id":3}')).toEqual({ id: 3 });
    expect(parseSocketReply('{"id":3,"error":{"kind":"no-space","message":"full","path":"a"}}')).toEqual({ id: 3, error: { kind: 'no-space', message: 'full', path: 'a' } });
    expect(parseSocketReply('{"id":3,"error":{"kind":"weird","message":"x"}}')).toBeNull();
    expect(parseSocketReply('{"id":"3"}')).toBeNull();
    expect(parseSocketReply('not json')).toBeNull();
  });

  it('go to ws:// (wss:// for https) under the sink, with the token as a query parameter', () => {
    expect(socketUrl('http://127.0.0.1:5173/__simloop/sink')).toBe('ws://127.0.0.1:5173/__simloop/sink/socket');
    expect(socketUrl('https://example.org/sink', 'a b')).toBe('wss://example.org/sink/socket?token=a+b');
  });
});

describe('httpSink batches over the socket', () => {
  it('sends each writeFiles as one socket message and no HTTP request, other calls by HTTP', async () => {
    const running = await serve((dir) => fsSink(dir));
    const { counts, factory } = countingSockets();
    const sink = httpSink(running.base, { socket: factory });
    for (let frame = 0; frame < 3; frame++) {
      const png = text(`png ${frame}`);
      await sink.writeFiles!([
        { path: `coco/images/${frame}.png`, bytes: png },
        { path: `yolo/images/${frame}.png`, bytes: png },
        { path: `basic/depth_${frame}.npy`, bytes: text(`npy ${frame}`) },
      ]);
    }
    await sink.write('manifest.json', text('{}'));
    expect(counts).toEqual({ opened: 1, messages: 3 });
    expect(running.requests).toEqual([`PUT ${PREFIX}/file`]);
    expect(await readFile(join(running.dir, 'yolo/images/2.png'), 'utf8')).toBe('png 2');
    expect(await readFile(join(running.dir, 'basic/depth_1.npy'), 'utf8')).toBe('npy 1');
    await running.stop();
  });

  it('brings a full disk back as the same SinkError as HTTP does; the files before it stay', async () => {
    const running = await serve((dir) => faultySink(fsSink(dir), { failAfterWrites: 1, error: 'no-space' }));
    const { counts, factory } = countingSockets();
    const sink = httpSink(running.base, { socket: factory });
    const error = await expectSinkError(
      sink.writeFiles!([
        { path: 'first.txt', bytes: text('1') },
        { path: 'second.txt', bytes: text('2') },
      ]),
      'no-space',
    );
    expect(error.message).toBe('cannot write second.txt: no space left on the device (ENOSPC)');
    expect(error.path).toBe('second.txt');
    expect(counts.messages).toBe(1);
    expect(await readdir(running.dir)).toEqual(['first.txt']);
    await running.stop();
  });

  it('refuses a batch with one bad path whole, before writing anything', async () => {
    const running = await serve((dir) => fsSink(dir));
    const { counts, factory } = countingSockets();
    const sink = httpSink(running.base, { socket: factory });
    // The client checks paths first; a client that does not is refused by the server the same way.
    const raw = new WebSocket(`${running.base.replace('http', 'ws')}/socket`);
    await new Promise((resolve) => raw.once('open', resolve));
    const reply = new Promise<string>((resolve) => raw.once('message', (data) => resolve(String(data))));
    raw.send(encodeSocketBatch(4, [{ path: 'ok.txt', bytes: text('fine') }, { path: '../escape.txt', bytes: text('no') }]));
    expect(parseSocketReply(await reply)).toEqual({ id: 4, error: { kind: 'invalid-path', message: "invalid path \"../escape.txt\": the path contains '..' (it would leave the dataset root)", path: '../escape.txt' } });
    raw.close();
    await expectSinkError(sink.writeFiles!([{ path: 'ok.txt', bytes: text('fine') }, { path: '/abs.txt', bytes: text('no') }]), 'invalid-path');
    expect(counts.messages).toBe(0);
    expect(await readdir(running.dir)).toEqual([]);
    await running.stop();
  });

  it('falls back to HTTP when the server has no socket', async () => {
    const running = await serve((dir) => fsSink(dir), { socket: false });
    const { counts, factory } = countingSockets();
    const sink = httpSink(running.base, { socket: factory });
    await sink.writeFiles!([{ path: 'a.txt', bytes: text('a') }]);
    await sink.writeFiles!([{ path: 'b.txt', bytes: text('b') }]);
    expect(counts.opened).toBe(0);
    expect(running.requests).toEqual([`POST ${PREFIX}/files`, `POST ${PREFIX}/files`]);
    expect((await readdir(running.dir)).sort()).toEqual(['a.txt', 'b.txt']);
    await running.stop();
  });

  it('fails a batch in flight when the socket closes, naming it, and sends later ones by HTTP', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = await serve((dir) => {
      // A batch goes file by file here (no writeFiles), so one file can be held back.
      const disk = fsSink(dir);
      return {
        async write(path, bytes) {
          if (path === 'held.txt') await held;
          return disk.write(path, bytes);
        },
        create: (path) => disk.create(path),
        read: (path) => disk.read(path),
        list: (dir) => disk.list(dir),
        remove: (path) => disk.remove(path),
      };
    });
    const { factory } = countingSockets();
    const sink = httpSink(running.base, { socket: factory });
    const inFlight = sink.writeFiles!([{ path: 'held.txt', bytes: text('x') }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    running.closeSockets();
    const error = await expectSinkError(inFlight, 'other');
    expect(error.message).toMatch(/the sink server's socket at ws:\/\/127\.0\.0\.1:\d+\/__simloop\/sink\/socket closed before it said the files were written/);
    release();
    await sink.writeFiles!([{ path: 'after.txt', bytes: text('y') }]);
    expect(running.requests).toContain(`POST ${PREFIX}/files`);
    expect(await readFile(join(running.dir, 'after.txt'), 'utf8')).toBe('y');
    await running.stop();
  });

  it('fails a batch the socket answers outside the protocol, and sends later ones by HTTP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simloop-sink-socket-'));
    const middleware = sinkMiddleware(PREFIX, fsSink(dir));
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
      middleware(req, res, () => res.end());
    });
    // A socket at the sink's address that answers every message with text that is not a reply.
    const impostor = new WebSocketServer({ server, path: `${PREFIX}/socket` });
    impostor.on('connection', (ws) => ws.on('message', () => ws.send('hello')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PREFIX}`;
    const sink = httpSink(base, { socket: countingSockets().factory });
    const error = await expectSinkError(sink.writeFiles!([{ path: 'a.txt', bytes: text('a') }]), 'other');
    expect(error.message).toMatch(/answered something that is not the protocol/);
    await sink.writeFiles!([{ path: 'b.txt', bytes: text('b') }]);
    expect(requests).toEqual([`POST ${PREFIX}/files`]);
    expect(await readdir(dir)).toEqual(['b.txt']);
    impostor.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('opens only with the server’s token', async () => {
    const running = await serve((dir) => fsSink(dir), { token: 'secret' });
    const wrong = countingSockets();
    await expectSinkError(httpSink(running.base, { token: 'guess', socket: wrong.factory }).writeFiles!([{ path: 'a.txt', bytes: text('a') }]), 'permission');
    expect(wrong.counts.opened).toBe(0);
    const right = countingSockets();
    await httpSink(running.base, { token: 'secret', socket: right.factory }).writeFiles!([{ path: 'a.txt', bytes: text('a') }]);
    expect(right.counts).toEqual({ opened: 1, messages: 1 });
    expect(await readdir(running.dir)).toEqual(['a.txt']);
    await running.stop();
  });
});

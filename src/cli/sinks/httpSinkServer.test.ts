import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultySink } from '../../engine/dataset/sinks/faulty.ts';
import { httpSink } from '../../engine/dataset/sinks/httpSink.ts';
import { type BatchFile, decodeBatch, decodeReadReply, encodeBatch, encodeReadReply, MAX_READ_PATHS, splitCommit } from '../../engine/dataset/sinks/httpProtocol.ts';
import { expectSinkError, sinkContract } from '../../engine/dataset/sinks/sinkContract.ts';
import type { Sink } from '../../engine/dataset/types.ts';
import { fsSink } from './fsSink.ts';
import { sinkMiddleware, type SinkMiddlewareOptions } from './httpSinkServer.ts';

const PREFIX = '/__simloop/sink';
const text = (s: string) => new TextEncoder().encode(s);

interface Running {
  base: string;
  dir: string;
  stop(): Promise<void>;
}

/** A plain node:http server on a free port: the middleware, then 404 for everything else. */
async function serve(makeSink: (dir: string) => Sink, options?: SinkMiddlewareOptions): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'simloop-http-sink-'));
  const middleware = sinkMiddleware(PREFIX, makeSink(dir), options);
  const server: Server = createServer((req, res) =>
    middleware(req, res, () => {
      res.statusCode = 404;
      res.end('not here');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}${PREFIX}`,
    dir,
    async stop() {
      await middleware.abortOpenStreams();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

sinkContract('httpSink → sinkMiddleware → fsSink', async () => {
  const running = await serve((dir) => fsSink(dir));
  return { sink: httpSink(running.base), cleanup: running.stop };
});

describe('httpSink over a server whose disk fills up', () => {
  it('brings the server-side full-disk error back as the same SinkError, message and all', async () => {
    const running = await serve((dir) => faultySink(fsSink(dir), { failAfterBytes: 100, error: 'no-space' }));
    const sink = httpSink(running.base);
    await sink.write('small.json', text('{}'));
    const error = await expectSinkError(sink.write('images/0001.png', new Uint8Array(200)), 'no-space');
    expect(error.message).toBe('cannot write images/0001.png: no space left on the device (ENOSPC)');
    expect(error.path).toBe('images/0001.png');
    const stream = await sink.create('labels.json').catch((e: unknown) => e);
    expect(stream).toMatchObject({ name: 'SinkError', kind: 'no-space' });
    expect(await readdir(running.dir)).toEqual(['small.json']);
    await running.stop();
  });
});

describe('httpSink talking to sinkMiddleware', () => {
  let running: Running;
  let sink: Sink;
  beforeAll(async () => {
    running = await serve((dir) => fsSink(dir));
    sink = httpSink(running.base);
  });
  afterAll(() => running.stop());

  it('answers bad paths with 400 and a message, before the sink sees them', async () => {
    for (const bad of ['../x', '/etc/passwd', 'a\\b', 'a\0b', 'a/../../b']) {
      const response = await fetch(`${running.base}/file?path=${encodeURIComponent(bad)}`, { method: 'PUT', body: 'x' });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { kind: string; message: string };
      expect(body.kind).toBe('invalid-path');
      expect(body.message).toContain(JSON.stringify(bad));
    }
    const missing = await fetch(`${running.base}/file`, { method: 'GET' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toMatch(/"path" query parameter is missing/);
  });

  it('answers a missing file with 404 not-found, which the client reads as null', async () => {
    const response = await fetch(`${running.base}/file?path=nothing.txt`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ kind: 'not-found' });
    expect(await sink.read('nothing.txt')).toBeNull();
  });

  it('rejects unknown endpoints, wrong methods, bad ops and stale stream ids', async () => {
    expect((await fetch(`${running.base}/nope`)).status).toBe(404);
    expect((await fetch(`${running.base}/list?dir=`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${running.base}/stream?path=a.txt&op=explode`, { method: 'POST' })).status).toBe(400);
    const stale = await fetch(`${running.base}/stream?path=a.txt&op=append&id=999`, { method: 'POST', body: 'x' });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ kind: 'other', message: expect.stringMatching(/no open stream/) });
  });

  it('lets a re-opened stream take over a path from an abandoned one', async () => {
    const abandoned = await sink.create('reopen.txt');
    await abandoned.write(text('old'));
    const fresh = await sink.create('reopen.txt');
    await fresh.write(text('new'));
    await fresh.close();
    await expectSinkError(abandoned.write(text('late')), 'other', /no open stream/);
    expect(await sink.read('reopen.txt')).toEqual(text('new'));
  });

  it('leaves requests outside its prefix to the next handler', async () => {
    const response = await fetch(running.base.replace(PREFIX, '/index.html'));
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('not here');
  });

  it("reports a base URL that is not a sink server as an error, not as a missing file", async () => {
    const wrong = httpSink(running.base.replace(PREFIX, '/elsewhere'));
    await expectSinkError(wrong.read('a.txt'), 'other', /answered HTTP 404/);
  });

  it('reports an unreachable server naming its address', async () => {
    const nowhere = httpSink('http://127.0.0.1:9/__simloop/sink');
    await expectSinkError(nowhere.write('a.txt', text('x')), 'other', /sink server at http:\/\/127\.0\.0\.1:9\/__simloop\/sink can't be reached/);
  });
});

describe('sinkMiddleware with a token', () => {
  it('refuses requests without the token and serves those with it', async () => {
    const running = await serve((dir) => fsSink(dir), { token: 's3cret' });
    await expectSinkError(httpSink(running.base).write('a.txt', text('x')), 'permission', /token/);
    await httpSink(running.base, { token: 's3cret' }).write('a.txt', text('x'));
    expect(await readdir(running.dir)).toEqual(['a.txt']);
    await running.stop();
  });
});

describe('sinkMiddleware mounted the connect way', () => {
  it("works with prefix '' when the framework strips the mount path (vite: middlewares.use('/__simloop/sink', sinkMiddleware('', sink)))", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simloop-http-sink-'));
    const middleware = sinkMiddleware('', fsSink(dir));
    const server = createServer((req, res) => {
      if (!req.url?.startsWith(`${PREFIX}/`)) return void res.writeHead(404).end();
      req.url = req.url.slice(PREFIX.length); // what connect does for a mounted handler
      middleware(req, res, () => void res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sink = httpSink(`http://127.0.0.1:${(server.address() as AddressInfo).port}${PREFIX}/`);
    await sink.write('a/b.txt', text('mounted'));
    expect(await sink.list('a')).toEqual(['b.txt']);
    expect(await sink.read('a/b.txt')).toEqual(text('mounted'));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
});

describe('batches (POST /files)', () => {
  it('encode and decode to the same files, and malformed batches are named, not half-read', () => {
    const files = [
      { path: 'a/b.png', bytes: new Uint8Array([1, 2, 3]) },
      { path: 'c.json', bytes: new Uint8Array(0) },
      { path: 'd.npy', bytes: new Uint8Array([4]) },
    ];
    const parts = encodeBatch(files);
    const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    parts.reduce((at, p) => (body.set(p, at), at + p.byteLength), 0);
    expect(decodeBatch(body)).toEqual(files);
    expect(decodeBatch(body.subarray(0, 3))).toMatch(/shorter than its 4-byte header/);
    expect(decodeBatch(body.subarray(0, body.length - 1))).toMatch(/entry 2 \(d\.npy\) runs past the end/);
    expect(decodeBatch(new Uint8Array([...body, 0]))).toMatch(/1 bytes after its last file/);
    expect(decodeBatch(new Uint8Array([0, 0, 0, 2, 0x7b, 0x7b]))).toMatch(/not JSON/);
    expect(decodeBatch(new Uint8Array([0, 0, 0, 8, ...text('{"a": 1}')]))).toMatch(/not a list/);
  });

  it('carry a commit file last, marked, and refuse one anywhere else', () => {
    const files = [{ path: 'a.png', bytes: new Uint8Array([1, 2]) }];
    const commit = { path: '.simloop/frames/00000001.json', bytes: text('{"frame":1}') };
    const parts = encodeBatch(files, commit);
    const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    parts.reduce((at, p) => (body.set(p, at), at + p.byteLength), 0);
    const decoded = decodeBatch(body);
    expect(decoded).toEqual([...files, { ...commit, commit: true }]);
    expect(splitCommit(decoded as BatchFile[])).toEqual({ files, commit: { ...commit, commit: true } });
    expect(splitCommit(files)).toEqual({ files });
    const header = (entries: unknown, bytes: number) => {
      const json = text(JSON.stringify(entries));
      return new Uint8Array([0, 0, 0, json.length, ...json, ...new Array(bytes).fill(5)]);
    };
    expect(decodeBatch(header([{ path: 'r', size: 1, commit: true }, { path: 'b', size: 1 }], 2))).toMatch(/entry 0 \(r\): only the last entry may be the commit/);
    expect(decodeBatch(header([{ path: 'a', size: 1 }, { path: 'r', size: 1, commit: 'yes' }], 2))).toMatch(/entry 1 \(r\): only the last entry may be the commit/);
    expect(decodeBatch(header([{ path: 'a', size: 1 }, { path: 'r', size: 1, same: 0, commit: true }], 1))).toMatch(/only the last entry may be the commit, as "commit": true with bytes of its own/);
    expect(decodeBatch(header([{ path: 'a', size: 1 }, { path: 'r', size: 3, commit: true }], 2))).toMatch(/entry 1 \(r\) runs past the end/);
  });

  it('send bytes that several files share once, and give each file them back', () => {
    const png = new Uint8Array([9, 8, 7, 6]);
    const files = [
      { path: 'coco/images/rgb_000000.png', bytes: png },
      { path: 'basic/depth.npy', bytes: new Uint8Array([1, 2]) },
      { path: 'yolo/images/000000.png', bytes: png },
      { path: 'kitti/image_2/000000.png', bytes: new Uint8Array(png.buffer, 0, 4) },
      { path: 'part.bin', bytes: png.subarray(1, 3) },
    ];
    const parts = encodeBatch(files);
    const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    parts.reduce((at, p) => (body.set(p, at), at + p.byteLength), 0);
    // The PNG's 4 bytes travel once; the sub-view is another file's bytes, so it travels too.
    expect(parts.slice(2).map((p) => p.byteLength)).toEqual([4, 2, 2]);
    const decoded = decodeBatch(body);
    expect(decoded).toEqual(files.map((f) => ({ path: f.path, bytes: new Uint8Array(f.bytes) })));
    const header = (entries: unknown) => {
      const json = text(JSON.stringify(entries));
      return new Uint8Array([0, 0, 0, json.length, ...json, 5]);
    };
    expect(decodeBatch(header([{ path: 'a', size: 1 }, { path: 'b', size: 1, same: 1 }]))).toMatch(/entry 1 \(b\): same is not the index of an earlier entry/);
    expect(decodeBatch(header([{ path: 'a', size: 1 }, { path: 'b', size: 2, same: 0 }]))).toMatch(/entry 1 \(b\): size 2 is not the 1 bytes of entry 0/);
  });

  it('the server refuses a malformed batch or one bad path whole, before writing anything', async () => {
    const running = await serve((dir) => fsSink(dir));
    const post = (body: Uint8Array<ArrayBuffer>) => fetch(`${running.base}/files`, { method: 'POST', body });
    const bad = await post(new Uint8Array([0, 0, 0, 50, 1]));
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/header says 50 bytes/);
    const parts = encodeBatch([
      { path: 'ok.txt', bytes: text('fine') },
      { path: '../escape.txt', bytes: text('no') },
    ]);
    const escape = await post(new Uint8Array(await new Blob(parts).arrayBuffer()));
    expect(escape.status).toBe(400);
    expect((await escape.json()).kind).toBe('invalid-path');
    expect(await readdir(running.dir)).toEqual([]);
    await running.stop();
  });

  it('a full disk part way through a batch comes back as no-space; the files before it stay', async () => {
    const running = await serve((dir) => faultySink(fsSink(dir), { failAfterWrites: 1, error: 'no-space' }));
    const sink = httpSink(running.base);
    await expectSinkError(
      sink.writeFiles!([
        { path: 'first.txt', bytes: text('1') },
        { path: 'second.txt', bytes: text('2') },
      ]),
      'no-space',
    );
    expect(await readdir(running.dir)).toEqual(['first.txt']);
    await running.stop();
  });
});

describe('reads of several files (POST /read)', () => {
  const joined = (parts: Uint8Array[]) => {
    const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    parts.reduce((at, p) => (body.set(p, at), at + p.byteLength), 0);
    return body;
  };

  it('encode and decode to the same files in the order asked, missing ones as null; malformed replies are named', () => {
    const files = [new Uint8Array([1, 2, 3]), null, new Uint8Array(0), new Uint8Array([4])];
    const body = joined(encodeReadReply(files));
    expect(decodeReadReply(body, 4)).toEqual(files);
    expect(decodeReadReply(body, 3)).toMatch(/not a list of 3 sizes/);
    expect(decodeReadReply(body.subarray(0, 3), 4)).toMatch(/shorter than its 4-byte header/);
    expect(decodeReadReply(body.subarray(0, body.length - 1), 4)).toMatch(/file 3 of the read reply runs past the end/);
    expect(decodeReadReply(new Uint8Array([...body, 0]), 4)).toMatch(/1 bytes after its last file/);
    expect(decodeReadReply(new Uint8Array([0, 0, 0, 2, 0x7b, 0x7b]), 1)).toMatch(/not JSON/);
    expect(decodeReadReply(new Uint8Array([0, 0, 0, 4, ...text('[-1]')]), 1)).toMatch(/size 0 is not a byte count or null/);
  });

  it('httpSink.readFiles reads many files in one request each MAX_READ_PATHS, null where missing', async () => {
    const running = await serve((dir) => fsSink(dir));
    let requests = 0;
    const sink = httpSink(running.base, { fetch: (input, init) => (requests++, fetch(input, init)) });
    const paths = Array.from({ length: MAX_READ_PATHS + 3 }, (_, i) => `records/${String(i).padStart(5, '0')}.json`);
    await sink.writeFiles!(paths.filter((_, i) => i % 7 !== 3).map((path) => ({ path, bytes: text(`{"p": "${path}"}`) })));
    requests = 0;
    const read = await sink.readFiles!(paths);
    expect(requests).toBe(2);
    expect(read.map((bytes) => (bytes ? new TextDecoder().decode(bytes) : null))).toEqual(paths.map((path, i) => (i % 7 === 3 ? null : `{"p": "${path}"}`)));
    expect(await sink.readFiles!([])).toEqual([]);
    await expectSinkError(sink.readFiles!(['ok.json', '../escape.json']), 'invalid-path');
    await running.stop();
  });

  it('the server refuses a request that is not a list of clean paths, or asks for too many', async () => {
    const running = await serve((dir) => fsSink(dir));
    const post = (body: string) => fetch(`${running.base}/read`, { method: 'POST', body });
    const answers = await Promise.all([post('not json'), post('{"paths": []}'), post('["a.json", 3]'), post('["a.json", "../b.json"]'), post(JSON.stringify(Array.from({ length: MAX_READ_PATHS + 1 }, (_, i) => `${i}.json`)))]);
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400]);
    const bodies = await Promise.all(answers.map((a) => a.json()));
    expect(bodies.map((b) => b.message)).toEqual([
      'the read request is not JSON (expected a list of paths)',
      'the read request is not a list of paths',
      'the read request is not a list of paths',
      `invalid path "../b.json": the path contains '..' (it would leave the dataset root)`,
      `the read request asks for ${MAX_READ_PATHS + 1} files, more than ${MAX_READ_PATHS}`,
    ]);
    expect(bodies[3].kind).toBe('invalid-path');
    expect((await fetch(`${running.base}/read`)).status).toBe(405);
    await running.stop();
  });
});

/**
 * `simloop demos` with camera streams, end to end: episodes run in headless Chromium, the scene
 * and wrist cameras are rendered with WebGL and encoded with WebCodecs into LeRobot's MP4 files.
 * Checked with PyAV (Debian's python3-av, an independent decoder): codec, pixel format, size, one
 * decoded frame per recorded step, key frames every 2 frames and at each episode's first frame;
 * with DuckDB, the episodes' video timestamps; the same command twice gives the same bytes, and
 * so do its two shards (--shard i/2) joined by `simloop merge`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { main } from '../src/cli/main.ts';
import { PYTHON, pythonModules, requirePython, titled } from '../src/engine/testing/python.ts';

const AV = pythonModules('av');
const H5PY = pythonModules('h5py');

async function demos(out, extra = []) {
  const stdout = [];
  const stderr = [];
  const code = await main(['demos', '--task', 'pick-cube', '--episodes', '2', '--seed', '4', '--out', out, '--image-size', '64x48', '--json', ...extra], { write: (s) => stdout.push(s) }, { write: (s) => stderr.push(s) });
  assert.equal(code, 0, stderr.join(''));
  return JSON.parse(stdout.join(''));
}

function files(dir, root = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, root) : [relative(root, path)];
  });
}

test('simloop demos records the robot cameras as LeRobot MP4 streams, reproducibly', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-demos-e2e-'));
  try {
    const out = join(tmp, 'a');
    const summary = await demos(out);
    assert.equal(summary.episodes, 2);
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const lengths = lines.map((l) => l.steps);
    assert.equal(lengths[0] + lengths[1], summary.frames);
    const videos = ['scene', 'wrist'].map((k) => `lerobot/videos/observation.images.${k}/chunk-000/file-000.mp4`);
    for (const v of videos) assert.ok(files(out).includes(v), `${v} is written`);

    const info = JSON.parse(readFileSync(join(out, 'lerobot/meta/info.json'), 'utf8'));
    assert.equal(info.video_path, 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4');
    for (const k of ['scene', 'wrist']) {
      const f = info.features[`observation.images.${k}`];
      assert.deepEqual([f.dtype, f.shape, f.names], ['video', [48, 64, 3], ['height', 'width', 'channels']]);
      assert.equal(f.info['video.pix_fmt'], 'yuv420p');
      assert.equal(f.info['video.fps'], 20);
    }
    const stats = JSON.parse(readFileSync(join(out, 'lerobot/meta/stats.json'), 'utf8'));
    const mean = stats['observation.images.wrist'].mean;
    assert.equal(mean.length, 3);
    for (const c of mean) assert.ok(c[0][0] > 0 && c[0][0] < 1, `channel means in [0, 1]: ${JSON.stringify(mean)}`);

    // Where each episode lies in the videos: back to back, from 0, at 20 fps.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (
      await conn.runAndReadAll(
        `SELECT episode_index, "videos/observation.images.wrist/from_timestamp" AS f, "videos/observation.images.wrist/to_timestamp" AS t, "videos/observation.images.wrist/file_index" AS file FROM read_parquet('${join(out, 'lerobot/meta/episodes/chunk-000/file-000.parquet')}') ORDER BY episode_index`,
      )
    ).getRowObjectsJson();
    conn.closeSync();
    assert.deepEqual(
      rows.map((r) => [Number(r.f), Number(r.t), Number(r.file)]),
      [
        [0, lengths[0] / 20, 0],
        [lengths[0] / 20, (lengths[0] + lengths[1]) / 20, 0],
      ],
    );

    await t.test(titled('PyAV decodes each video: codec, pixel format, size, one frame per step, key frames', AV), { skip: AV.skip }, () => {
      requirePython(AV);
      const script = `
import av, json, sys
out = {}
for path in sys.argv[1:]:
    c = av.open(path)
    s = c.streams.video[0]
    frames = list(c.decode(s))
    out[path] = {'codec': s.codec_context.name, 'pix_fmt': s.codec_context.format.name, 'size': [s.width, s.height],
                  'frames': len(frames), 'keys': [i for i, f in enumerate(frames) if f.key_frame]}
print(json.dumps(out))`;
      const r = spawnSync(PYTHON, ['-c', script, ...videos.map((v) => join(out, v))], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      for (const [path, v] of Object.entries(JSON.parse(r.stdout))) {
        assert.match(v.codec, /av1|dav1d|libaom|h264/, path);
        assert.equal(v.pix_fmt, 'yuv420p', path);
        assert.deepEqual(v.size, [64, 48], path);
        assert.equal(v.frames, summary.frames, `${path}: one frame per recorded step`);
        // A key frame every second frame of each episode (LeRobot's g = 2), counted from its start.
        for (const [start, length] of [[0, lengths[0]], [lengths[0], lengths[1]]]) {
          for (let i = start; i < start + length; i += 2) assert.ok(v.keys.includes(i), `${path}: key frame at ${i}`);
        }
        assert.ok(v.keys.includes(lengths[0]), `${path}: key frame at the second episode's first frame (${lengths[0]})`);
      }
    });

    // The same frames in the robomimic file, as H × W × 3 uint8 images per step.
    await t.test(titled('h5py reads the same frames from robomimic.hdf5 as H × W × 3 uint8 images', H5PY), { skip: H5PY.skip }, () => {
      requirePython(H5PY);
      const h5 = spawnSync(PYTHON, ['-c', `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
d = f['data/demo_0']
print(json.dumps({k: [list(d['obs'][k].shape), str(d['obs'][k].dtype), int(d['obs'][k][()].max())] for k in ['scene_image', 'wrist_image']}))`, join(out, 'robomimic.hdf5')], { encoding: 'utf8' });
      assert.equal(h5.status, 0, h5.stderr);
      const images = JSON.parse(h5.stdout);
      for (const k of ['scene_image', 'wrist_image']) {
        assert.deepEqual(images[k].slice(0, 2), [[lengths[0], 48, 64, 3], 'uint8'], k);
        assert.ok(images[k][2] > 0, `${k} is not black`);
      }
    });

    // Episode k depends only on (seed, k): the same command again, the same bytes (videos too).
    const again = join(tmp, 'b');
    await demos(again);
    for (const f of files(out)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(again, f))), `${f} is byte-identical`);

    // Sharded (--shard i/2: one episode each) and merged: the same bytes again, the MP4 files
    // included (each episode's packets cut from its shard's file and muxed at its place).
    const shards = [0, 1].map((i) => join(tmp, `shard${i}`));
    for (const [i, dir] of shards.entries()) await demos(dir, ['--shard', `${i}/2`]);
    const merged = join(tmp, 'merged');
    const stderr = [];
    assert.equal(await main(['merge', shards[1], shards[0], '--out', merged], { write: () => {} }, { write: (s) => stderr.push(s) }), 0, stderr.join(''));
    assert.deepEqual(files(merged).sort(), files(out).sort());
    for (const f of files(out)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(merged, f))), `merged ${f} is byte-identical to the single run's`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

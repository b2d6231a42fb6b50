import { describe, expect, it } from 'vitest';
import { writeLeRobotDataset } from './lerobot.ts';
import { episodeSeries, openDataset } from './lerobotReader.ts';

const STATE = ['j1', 'j2'];
const ACTION = ['dx', 'g'];
const episode = (index: number, n: number) => ({
  index,
  task: `task ${index}`,
  state: Array.from({ length: n }, (_, t) => Float32Array.from([index + t, -t])),
  action: Array.from({ length: n }, (_, t) => Float32Array.from([t / 8, index])),
  reward: Array.from({ length: n }, () => 0),
  done: Array.from({ length: n }, (_, t) => t === n - 1),
});

function dataset(withVideo: boolean) {
  const files = writeLeRobotDataset(
    {
      fps: 10,
      robotType: 'panda',
      stateNames: STATE,
      actionNames: ACTION,
      ...(withVideo
        ? {
            videos: {
              features: [{ key: 'observation.images.wrist', width: 4, height: 4, codec: 'av1' }],
              spans: [
                { 'observation.images.wrist': { chunk: 0, file: 0, from: 0, to: 0.3, stats: { min: [0, 0, 0], max: [1, 1, 1], mean: [0.5, 0.5, 0.5], std: [0, 0, 0], count: [3], q01: [0, 0, 0], q10: [0, 0, 0], q50: [0, 0, 0], q90: [1, 1, 1], q99: [1, 1, 1] } } },
                { 'observation.images.wrist': { chunk: 0, file: 0, from: 0.3, to: 0.8, stats: { min: [0, 0, 0], max: [1, 1, 1], mean: [0.5, 0.5, 0.5], std: [0, 0, 0], count: [5], q01: [0, 0, 0], q10: [0, 0, 0], q50: [0, 0, 0], q90: [1, 1, 1], q99: [1, 1, 1] } } },
              ],
            },
          }
        : {}),
    },
    [episode(0, 3), episode(1, 5)],
  );
  const map = new Map(files.map((f) => [`lerobot/${f.path}`, f.bytes]));
  map.set('episodes.jsonl', new TextEncoder().encode('{"episode":0,"success":true}\n{"episode":1,"success":false}\n'));
  return map;
}

describe('reading a LeRobot dataset back (lerobotReader.ts)', () => {
  it('lists the episodes with instructions, lengths, successes and video spans', async () => {
    const d = await openDataset(dataset(true));
    expect(d.fps).toBe(10);
    expect(d.stateNames).toEqual(STATE);
    expect(d.cameras).toEqual(['observation.images.wrist']);
    expect(d.episodes.map((e) => [e.index, e.instruction, e.length, e.from, e.success])).toEqual([
      [0, 'task 0', 3, 0, true],
      [1, 'task 1', 5, 3, false],
    ]);
    expect(d.episodes[1]!.videos['observation.images.wrist']).toEqual({ path: 'videos/observation.images.wrist/chunk-000/file-000.mp4', from: 0.3, to: 0.8 });
  });

  it('reads one episode’s states and actions frame by frame', async () => {
    const d = await openDataset(dataset(false));
    const s = await episodeSeries(d, d.episodes[1]!);
    expect(s.state).toEqual([0, 1, 2, 3, 4].map((t) => [1 + t, -t]));
    expect(s.action[4]).toEqual([0.5, 1]);
  });

  it('says what is missing', async () => {
    await expect(openDataset(new Map([['x.txt', new Uint8Array(1)]]))).rejects.toThrow(/no meta\/info.json/);
  });
});

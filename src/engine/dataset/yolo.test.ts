import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MemorySink } from './memorySink.ts';
import { rgbPngOf } from './png.ts';
import { exportFrames, syntheticFrame, syntheticInfo, THREE_OBJECT_LABELS, threeObjectFrame } from './testing.ts';
import { YOLO_DATA_YAML_PATH, YoloWriter, yoloDataYaml } from './yolo.ts';

describe('YOLO', () => {
  it('writes images, one label file per image and data.yaml', async () => {
    const sink = new MemorySink();
    const frames = [threeObjectFrame(0), threeObjectFrame(1)];
    await exportFrames([new YoloWriter()], syntheticInfo(THREE_OBJECT_LABELS, { frames: 2 }), frames, sink);
    expect(sink.paths()).toEqual(['yolo/data.yaml', 'yolo/images/000000.png', 'yolo/images/000001.png', 'yolo/labels/000000.txt', 'yolo/labels/000001.txt']);
    expect(sink.bytes('yolo/images/000001.png')).toEqual(await rgbPngOf(frames[1]!));
  });

  it('normalises the tight boxes in continuous pixel coordinates (hand-computed)', async () => {
    const [, labels] = (await new YoloWriter().encodeFrame(syntheticInfo(THREE_OBJECT_LABELS), threeObjectFrame())).files;
    // 16×12 image. CubeA covers columns 1…6 → [1, 7) and rows 1…5 → [1, 6):
    //   x_center = 4/16, y_center = 3.5/12, width = 6/16, height = 5/12; class cube = 1 → 0
    // Ball (sphere = 2 → 1): columns 4…8, rows 3…9 → 6.5/16, 6.5/12, 5/16, 7/12
    // CubeB, cut by the border: columns 12…15, rows 6…10 → 14/16, 8.5/12, 4/16, 5/12
    expect(new TextDecoder().decode(labels!.bytes)).toBe(
      ['0 0.25 0.2916667 0.375 0.4166667', '1 0.40625 0.5416667 0.3125 0.5833333', '0 0.875 0.7083333 0.25 0.4166667', ''].join('\n'),
    );
  });

  it('writes an empty label file when nothing is visible', async () => {
    const frame = syntheticFrame({ objects: [] });
    const [, labels] = (await new YoloWriter().encodeFrame(syntheticInfo(['cube']), frame)).files;
    expect(labels!.path).toBe('yolo/labels/000000.txt');
    expect(labels!.bytes.length).toBe(0);
  });

  it('names the classes in data.yaml in id order, readable by a YAML 1.1 parser', async () => {
    const info = syntheticInfo(['sphere', 'cube', 'on']);
    const text = yoloDataYaml(info);
    expect(parse(text, { version: '1.1' })).toEqual({ train: 'images', val: 'images', nc: 3, names: ['cube', 'on', 'sphere'] });
    expect(text).not.toMatch(/^path:/m);
  });

  it('uses a folder per camera under images/ and labels/', async () => {
    const sink = new MemorySink();
    const info = syntheticInfo(THREE_OBJECT_LABELS, { cameras: ['/World/Left', '/World/Right'] });
    await exportFrames([new YoloWriter()], info, [threeObjectFrame(0, 0), threeObjectFrame(0, 1)], sink);
    expect(sink.paths()).toEqual(['yolo/data.yaml', 'yolo/images/Left/000000.png', 'yolo/images/Right/000000.png', 'yolo/labels/Left/000000.txt', 'yolo/labels/Right/000000.txt']);
    expect(sink.text(YOLO_DATA_YAML_PATH)).toContain('train: images');
  });
});

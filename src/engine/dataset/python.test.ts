/**
 * The files as researchers' tools see them: a small dataset in every format is written to a
 * temporary folder and read back by Python with numpy and Pillow, PyYAML and pycocotools, which check the formats against each other — the COCO masks against Replicator's
 * instance image, YOLO and KITTI boxes against COCO's, 3D boxes against frames.jsonl poses.
 *
 * Python: $SIMLOOP_PYTHON, else /usr/bin/python3 when it exists, else python3 on the PATH. Without
 * numpy or Pillow these tests fail (CI installs python3-numpy and python3-pil); the PyYAML and
 * pycocotools checks are skipped, with the reason, without those (testing/python.ts; CI requires
 * PyYAML; pycocotools is not packaged in Debian 12). SIMLOOP_SKIP_PYTHON=1 skips them on purpose.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from './memorySink.ts';
import { exportFrames, syntheticFrame, syntheticInfo, THREE_OBJECT_LABELS, threeObjectFrame } from './testing.ts';
import { WRITER_NAMES, writersFor } from './writers.ts';
import { PYTHON, pythonModules, requirePython, titled, type PythonModules } from '../testing/python.ts';

const SKIP = process.env.SIMLOOP_SKIP_PYTHON === '1';
/** Checks that need more than numpy and Pillow: skipped, with the reason, when it is missing (failing in CI). */
const EXTRA: Record<string, PythonModules> = { pycocotools: pythonModules('pycocotools'), yolo_yaml: pythonModules('yaml') };

const CHECKS = `
import json, os, sys, traceback
import numpy as np
from PIL import Image

root, expected_path = sys.argv[1], sys.argv[2]
expected = json.load(open(expected_path))
W, H = expected['width'], expected['height']
report = {}

def check(name):
    def run(fn):
        try:
            fn()
            report[name] = 'ok'
        except Exception:
            report[name] = traceback.format_exc(limit=3)
        return fn
    return run

def path(*parts):
    return os.path.join(root, *parts)

frames = [json.loads(line) for line in open(path('frames.jsonl'))]
coco = json.load(open(path('coco', 'annotations.json')))

def rle_decode(counts, h, w):
    # COCO's compressed string, decoded from the format's description: 5-bit groups, continuation
    # bit 0x20, sign bit 0x10 on the last group, deltas against the count two places back from the 4th on.
    cnts, p = [], 0
    while p < len(counts):
        x, k, more = 0, 0, True
        while more:
            c = ord(counts[p]) - 48
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            p += 1; k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(cnts) > 2:
            x += cnts[-2]
        cnts.append(x)
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for n in cnts:
        flat[pos:pos + n] = val
        pos += n; val = 1 - val
    assert pos == h * w, (pos, h * w)
    return flat.reshape((w, h)).T  # column-major

def instance_masks(frame_index):
    img = np.array(Image.open(path('basic', 'instance_segmentation_%04d.png' % frame_index)))
    mapping = json.load(open(path('basic', 'instance_segmentation_mapping_%04d.json' % frame_index)))
    masks = {}
    for key, prim in mapping.items():
        colour = np.array([int(v) for v in key.strip('()').split(',')], dtype=np.uint8)
        masks[prim] = np.all(img == colour, axis=-1)
    return masks

@check('npy_header')
def _():
    with open(path('basic', 'distance_to_image_plane_0000.npy'), 'rb') as f:
        assert np.lib.format.read_magic(f) == (1, 0)
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        assert f.tell() % 64 == 0, f.tell()
        assert (shape, fortran, dtype) == ((H, W), False, np.dtype('<f4')), (shape, fortran, dtype)

@check('depth')
def _():
    depth = np.load(path('basic', 'distance_to_image_plane_0000.npy'))
    assert depth.dtype == np.float32 and depth.shape == (H, W), (depth.dtype, depth.shape)
    want = np.array([np.inf if v is None else v for v in expected['depth']], dtype=np.float32).reshape(H, W)
    assert np.array_equal(depth, want)
    assert np.isinf(depth[0, 0])

@check('bbox2d')
def _():
    for kind in ('tight', 'loose'):
        arr = np.load(path('basic', 'bounding_box_2d_%s_0001.npy' % kind))
        assert arr.dtype.descr == [('semanticId', '<u4'), ('x_min', '<i4'), ('y_min', '<i4'), ('x_max', '<i4'), ('y_max', '<i4'), ('occlusionRatio', '<f4')], arr.dtype.descr
        prims = json.load(open(path('basic', 'bounding_box_2d_%s_prim_paths_0001.json' % kind)))
        labels = json.load(open(path('basic', 'bounding_box_2d_%s_labels_0001.json' % kind)))
        assert arr.shape == (len(prims),)
        objects = {o['path']: o for o in frames[1]['objects']}
        for row, prim in zip(arr, prims):
            if kind == 'tight':
                o = objects[prim]
                assert [int(row['x_min']), int(row['y_min']), int(row['x_max']), int(row['y_max'])] == o['bbox2d_tight']
                assert abs(float(row['occlusionRatio']) - (1 - o['visible_fraction'])) < 1e-6
                assert labels[str(int(row['semanticId']))]['class'] == o['label']
    assert len(np.load(path('basic', 'bounding_box_2d_loose_0001.npy'))) == len(np.load(path('basic', 'bounding_box_2d_tight_0001.npy'))) + 1

@check('bbox3d')
def _():
    arr = np.load(path('basic', 'bounding_box_3d_0001.npy'))
    assert arr.dtype.names == ('semanticId', 'x_min', 'y_min', 'z_min', 'x_max', 'y_max', 'z_max', 'transform', 'occlusionRatio'), arr.dtype.names
    assert arr['transform'].shape == (len(arr), 4, 4) and arr['transform'].dtype == np.float32
    prims = json.load(open(path('basic', 'bounding_box_3d_prim_paths_0001.json')))
    poses = {o['path']: o['pose_world']['position'] for o in frames[1]['objects']}
    for row, prim in zip(arr, prims):
        if prim in poses:
            centre = np.array([0, 0, 0, 1], dtype=np.float64) @ row['transform']
            assert np.allclose(centre[:3], poses[prim], atol=1e-5), (centre, poses[prim])
        assert np.isclose(row['x_max'], -row['x_min'])

@check('camera_params')
def _():
    cp = json.load(open(path('basic', 'camera_params_0000.json')))
    view = np.array(cp['cameraViewTransform']).reshape(4, 4)
    w2c = np.array(frames[0]['camera']['world_to_camera'])
    gl = np.diag([1.0, -1.0, -1.0, 1.0]) @ w2c
    assert np.allclose(view, gl.T), view
    assert cp['cameraModel'] == 'pinhole' and cp['renderProductResolution'] == [W, H]

@check('pngs')
def _():
    rgb = Image.open(path('basic', 'rgb_0000.png'))
    assert rgb.mode == 'RGB' and rgb.size == (W, H), (rgb.mode, rgb.size)
    assert np.array_equal(np.array(rgb), np.array(expected['rgb'], dtype=np.uint8).reshape(H, W, 3))
    for name in ('coco/images/rgb_000000.png', 'yolo/images/000000.png', 'kitti/image_2/000000.png'):
        assert open(path(*name.split('/')), 'rb').read() == open(path('basic', 'rgb_0000.png'), 'rb').read(), name
    sem = Image.open(path('basic', 'semantic_segmentation_0000.png'))
    assert sem.mode == 'RGBA' and sem.size == (W, H)
    labels = json.load(open(path('basic', 'semantic_segmentation_labels_0000.json')))
    sem = np.array(sem)
    names = expected['classNames']
    for i, cls in enumerate(expected['semantic']):
        key = '(%d, %d, %d, %d)' % tuple(int(v) for v in sem[i // W, i % W])
        assert labels[key]['class'] == (names[str(cls)] if cls else 'BACKGROUND'), (i, key)
    normals = np.array(Image.open(path('basic', 'normals_0000.png')))
    assert normals.shape == (H, W, 4) and tuple(normals[1, 1]) == (127, 127, 0, 255)

@check('coco_masks')
def _():
    assert [c['name'] for c in coco['categories']] == sorted(set(c['name'] for c in coco['categories']))
    images = {i['id']: i for i in coco['images']}
    assert len(coco['annotations']) > 0
    for ann in coco['annotations']:
        image = images[ann['image_id']]
        frame_index = int(image['file_name'][-10:-4])
        assert os.path.exists(path('coco', image['file_name']))
        seg = ann['segmentation']
        mask = rle_decode(seg['counts'], *seg['size'])
        assert mask.shape == (image['height'], image['width'])
        instance = ann['id'] % 100000
        prim = [o['path'] for o in frames[frame_index]['objects'] if o['instance_id'] == instance][0]
        assert np.array_equal(mask.astype(bool), instance_masks(frame_index)[prim]), prim
        assert isinstance(ann['area'], int) and ann['area'] == int(mask.sum())
        ys, xs = np.nonzero(mask)
        assert ann['bbox'] == [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)], ann['bbox']
        assert ann['iscrowd'] == 0

@check('pycocotools')
def _():
    from pycocotools import mask as mask_utils
    for ann in coco['annotations']:
        rle = dict(ann['segmentation'])
        assert int(mask_utils.area(rle)) == ann['area']
        assert [int(v) for v in mask_utils.toBbox(rle)] == ann['bbox']

@check('yolo')
def _():
    by_image = {}
    for ann in coco['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    for image in coco['images']:
        frame_index = int(image['file_name'][-10:-4])
        lines = open(path('yolo', 'labels', '%06d.txt' % frame_index)).read().splitlines()
        anns = by_image.get(image['id'], [])
        assert len(lines) == len(anns)
        for line, ann in zip(lines, anns):
            c, xc, yc, w, h = line.split()
            assert int(c) == ann['category_id'] - 1
            x, y, bw, bh = ann['bbox']
            assert np.allclose([float(xc) * W, float(yc) * H, float(w) * W, float(h) * H], [x + bw / 2, y + bh / 2, bw, bh], atol=1e-4)

@check('yolo_yaml')
def _():
    import yaml
    data = yaml.safe_load(open(path('yolo', 'data.yaml')))
    assert data == {'train': 'images', 'val': 'images', 'nc': len(coco['categories']), 'names': [c['name'] for c in coco['categories']]}, data

@check('kitti')
def _():
    for frame_index, frame in enumerate(frames):
        lines = [l.split() for l in open(path('kitti', 'label_2', '%06d.txt' % frame_index)).read().splitlines()]
        assert len(lines) == len(frame['objects'])
        for fields, obj in zip(lines, frame['objects']):
            assert len(fields) == 15
            values = [float(v) for v in fields[1:]]
            assert fields[0] == obj['label'] and int(fields[2]) in (0, 1, 2)
            x0, y0, x1, y1 = obj['bbox2d_tight']
            assert values[3:7] == [x0, y0, x1 + 1, y1 + 1]
        calib = dict(l.split(':', 1) for l in open(path('kitti', 'calib', '%06d.txt' % frame_index)).read().splitlines())
        P2 = np.array(calib['P2'].split(), dtype=float).reshape(3, 4)
        assert np.allclose(P2[:, :3], frame['camera']['K'])

print(json.dumps(report))
`;

describe.skipIf(SKIP)('the files read in Python (numpy, Pillow)', () => {
  let dir = '';
  let report: Record<string, unknown> = {};
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, PIL'], { encoding: 'utf8' });
  const available = probe.status === 0;

  beforeAll(async () => {
    if (!available) return;
    const sink = new MemorySink();
    const info = syntheticInfo([...THREE_OBJECT_LABELS, 'wall'], { frames: 2 });
    const first = threeObjectFrame(0); // its classes (cube 1, sphere 2) are the first two of info's
    const second = syntheticFrame({
      frame: 1,
      classes: info.classes,
      objects: [
        { path: '/World/Crate', label: 'cube', rect: [2, 1, 9, 6], rotation: [0, Math.sin(0.3), 0, Math.cos(0.3)] },
        { path: '/World/Hidden', label: 'sphere', rect: [12, 8, 13, 9] },
        { path: '/World/Wall', label: 'wall', rect: [11, 7, 15, 11] },
      ],
    });
    await exportFrames(writersFor(WRITER_NAMES), info, [first, second], sink);
    dir = mkdtempSync(join(tmpdir(), 'simloop-dataset-'));
    for (const [path, bytes] of sink.files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    }
    const expected = {
      width: first.camera.width,
      height: first.camera.height,
      depth: Array.from(first.buffers.depth, (v) => (Number.isFinite(v) ? v : null)),
      rgb: Array.from(first.buffers.rgb).filter((_, i) => i % 4 !== 3),
      semantic: Array.from(first.buffers.semantic),
      classNames: Object.fromEntries(info.classes.map((c) => [c.id, c.name])),
    };
    writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected));
    const run = spawnSync(PYTHON, ['-c', CHECKS, dir, join(dir, 'expected.json')], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`python failed (${run.status}): ${run.stderr}`);
    report = JSON.parse(run.stdout.trim().split('\n').pop()!);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has numpy and Pillow to read with (install python3-numpy python3-pil, or set SIMLOOP_SKIP_PYTHON=1)', () => {
    expect(available, `${PYTHON} cannot import numpy and PIL: ${probe.error?.message ?? probe.stderr}`).toBe(true);
  });

  const checks: [string, string][] = [
    ['npy_header', 'NPY headers are version 1.0 and 64-byte aligned, as numpy.lib.format reads them'],
    ['depth', 'distance_to_image_plane loads as float32 (H, W) with inf where nothing was hit'],
    ['bbox2d', 'the 2D box arrays have Replicator’s structured dtype and agree with frames.jsonl'],
    ['bbox3d', 'the 3D box transforms (row-vector) put each box centre at its world position'],
    ['camera_params', 'cameraViewTransform is the OpenGL view matrix transposed'],
    ['pngs', 'PIL opens the PNGs with the right mode, size and pixels; every format stores the same colour image'],
    ['coco_masks', 'COCO masks decode to the Replicator instance masks, with matching integer area and box'],
    ['pycocotools', 'pycocotools agrees on area and box'],
    ['yolo', 'YOLO boxes equal the COCO boxes'],
    ['yolo_yaml', 'YOLO data.yaml loads with PyYAML and names the COCO categories in order'],
    ['kitti', 'KITTI rows have 15 fields with the tight box, and P2 holds K'],
  ];
  for (const [name, story] of checks) {
    const extra = EXTRA[name];
    it.runIf(available && !extra?.skip)(extra ? titled(story, extra) : story, () => {
      if (extra) requirePython(extra);
      expect(report[name]).toBe('ok');
    });
  }
});

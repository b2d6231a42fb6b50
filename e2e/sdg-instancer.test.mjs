/**
 * Labels on instanced prims, through the real pipeline: `simloop generate` renders a scene whose
 * objects come from a UsdGeomPointInstancer (two labelled prototypes, crate and ball) and must
 * give one COCO annotation, one instance id and one frames.jsonl object per visible instance, each
 * with its prototype's class — an instance hidden with invisibleIds, or outside the image, gives
 * none. (Labels on instancers are a long-standing complaint about Replicator.)
 *
 * Camera at z = 5 looking down -Z; instances on the x axis at z = 0, 1 m apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';

const W = 320;
const H = 160;

// Instances: 0 crate at x=-2, 1 crate at x=-0.66, 2 ball at x=0.66, 3 crate at x=2 (hidden), 4 ball at x=60 (out of view).
const SCENE = `#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Y"
)

def Xform "World"
{
    def Camera "Cam"
    {
        float focalLength = 24
        float horizontalAperture = 36
        float verticalAperture = 18
        float2 clippingRange = (0.1, 100)
        double3 xformOp:translate = (0, 0, 5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }

    def PointInstancer "Scatter"
    {
        point3f[] positions = [(-2, 0, 0), (-0.66, 0, 0), (0.66, 0, 0), (2, 0, 0), (60, 0, 0)]
        int[] protoIndices = [0, 0, 1, 0, 1]
        int64[] invisibleIds = [3]
        rel prototypes = [</World/Scatter/Prototypes/Crate>, </World/Scatter/Prototypes/Ball>]

        def Scope "Prototypes"
        {
            def Cube "Crate" (prepend apiSchemas = ["SemanticsLabelsAPI:class"])
            {
                double size = 0.8
                token[] semantics:labels:class = ["crate"]
            }
            def Sphere "Ball" (prepend apiSchemas = ["SemanticsLabelsAPI:class"])
            {
                double radius = 0.4
                token[] semantics:labels:class = ["ball"]
            }
        }
    }
}
`;

const SPEC = `version: 1
cameras:
  - prim: /World/Cam
settle: { seconds: 0 }
`;

test('a PointInstancer gives one annotation and one instance id per visible instance, with its prototype`s class', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simloop-instancer-'));
  try {
    writeFileSync(join(dir, 'scatter.usda'), SCENE);
    writeFileSync(join(dir, 'scatter.randomize.yaml'), SPEC);
    const out = join(dir, 'out');
    const errors = [];
    const code = await main(
      ['generate', '--scene', join(dir, 'scatter.usda'), '--randomize', join(dir, 'scatter.randomize.yaml'), '--frames', '1', '--seed', '0', '--out', out, '--width', String(W), '--height', String(H), '--format', 'basic,coco', '--workers', '1', '--json'],
      { write: () => true },
      { write: (s) => errors.push(s) },
    );
    assert.equal(code, 0, errors.join(''));

    const [line] = readFileSync(join(out, 'frames.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const objects = line.objects.map((o) => [o.path, o.label]);
    assert.deepEqual(objects, [
      ['/World/Scatter/instance_0/Crate', 'crate'],
      ['/World/Scatter/instance_1/Crate', 'crate'],
      ['/World/Scatter/instance_2/Ball', 'ball'],
    ]);
    const ids = line.objects.map((o) => o.instance_id);
    assert.equal(new Set(ids).size, 3, `instance ids ${ids}`);

    const coco = JSON.parse(readFileSync(join(out, 'coco/annotations.json'), 'utf8'));
    const category = Object.fromEntries(coco.categories.map((c) => [c.id, c.name]));
    assert.deepEqual(
      coco.annotations.map((a) => category[a.category_id]).sort(),
      ['ball', 'crate', 'crate'],
    );
    // Left to right in the image, as the instances stand left to right in the world.
    const left = (path) => line.objects.find((o) => o.path === path).bbox2d_tight[0];
    assert.ok(left('/World/Scatter/instance_0/Crate') < left('/World/Scatter/instance_1/Crate') && left('/World/Scatter/instance_1/Crate') < left('/World/Scatter/instance_2/Ball'));
    for (const a of coco.annotations) assert.ok(a.area > 100, `annotation ${a.id} covers ${a.area} px`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Labels against geometry, through the real pipeline: `simloop generate` renders a scene built
 * for the test in headless Chromium (WebGL on SwiftShader), and the boxes, depth and visible
 * fractions it writes are compared with what the pinhole projection of the known poses predicts.
 *
 * Three cameras, three set-ups 100 m apart (Y-up, metres; cameras look down -Z from z = 5):
 *   A: a 1 m cube alone at the origin — box from its front face at 4.5 m, visible fraction 1;
 *   B: the same cube with an occluder whose right face lies in the plane x = camera x, so exactly
 *      the left half of the cube's image is hidden — visible fraction 1/2;
 *   C: a 1 m square facing the camera whose centre projects onto the left image border — half of
 *      it is outside the image, visible fraction 1/2 (truncation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { decodeNpy, npyRows, npyValues } from '../src/engine/dataset/npy.ts';

const W = 160;
const H = 120;
// focalLength 24 mm on a 36 × 27 mm aperture: tan(fovY / 2) = 13.5 / 24.
const F = H / 2 / (13.5 / 24);
const CX = W / 2;
const CY = H / 2;
const DEPTH = 4.5; // camera at z = 5, front face at z = 0.5

const camera = (name, x) => `
    def Camera "${name}"
    {
        float focalLength = 24
        float horizontalAperture = 36
        float verticalAperture = 27
        float2 clippingRange = (0.1, 100)
        double3 xformOp:translate = (${x}, 0, 5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }`;

const labelled = (type, name, x, z, body) => `
    def ${type} "${name}" (prepend apiSchemas = ["SemanticsLabelsAPI:class"])
    {
        ${body}
        token[] semantics:labels:class = ["target"]
        double3 xformOp:translate = (${x}, 0, ${z})
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }`;

// The square of set-up C: centre at x = 200 - d with F·d / DEPTH = CX.
const SQUARE_OFFSET = (CX * DEPTH) / F;

const SCENE = `#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Y"
)

def Xform "World"
{
${camera('CamA', 0)}
${camera('CamB', 100)}
${camera('CamC', 200)}
${labelled('Cube', 'Alone', 0, 0, 'double size = 1')}
${labelled('Cube', 'HalfHidden', 100, 0, 'double size = 1')}
    def Cube "Occluder"
    {
        double size = 1
        double3 xformOp:translate = (98.5, 0, 2.5)
        float3 xformOp:scale = (3, 6, 1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
${labelled('Plane', 'Truncated', 200 - SQUARE_OFFSET, 0.5, 'double width = 1\n        double length = 1\n        uniform token axis = "Z"')}
}
`;

const SPEC = `version: 1
cameras:
  - prim: /World/CamA
  - prim: /World/CamB
  - prim: /World/CamC
settle: { seconds: 0 }
`;

/** Inclusive pixel range whose centres lie in [lo, hi] (the dataset's box convention). */
const pixels = (lo, hi) => [Math.ceil(lo - 0.5), Math.floor(hi - 0.5)];

test('boxes, depth and visible fractions match the projection of known poses', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simloop-geometry-'));
  try {
    writeFileSync(join(dir, 'boxes.usda'), SCENE);
    writeFileSync(join(dir, 'boxes.randomize.yaml'), SPEC);
    const out = join(dir, 'out');
    const errors = [];
    const code = await main(
      ['generate', '--scene', join(dir, 'boxes.usda'), '--randomize', join(dir, 'boxes.randomize.yaml'), '--frames', '1', '--seed', '0', '--out', out, '--width', String(W), '--height', String(H), '--format', 'basic,coco', '--workers', '1', '--json'],
      { write: () => true },
      { write: (s) => errors.push(s) },
    );
    assert.equal(code, 0, errors.join(''));

    const lines = readFileSync(join(out, 'frames.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3, 'one line per camera');
    if (process.env.SHOW) console.log(JSON.stringify(lines.map((l) => l.objects.map((o) => [o.path, o.bbox2d_tight, o.bbox2d_loose, o.visible_fraction]))));
    const byCamera = Object.fromEntries(lines.map((l) => [l.camera.path, l]));
    for (const line of lines) {
      assert.deepEqual(line.camera.K.map((r) => r.map((v) => Number(v.toFixed(3)))), [[Number(F.toFixed(3)), 0, CX], [0, Number(F.toFixed(3)), CY], [0, 0, 1]]);
    }

    const half = (F * 0.5) / DEPTH;
    const [x0, x1] = pixels(CX - half, CX + half);
    const [y0, y1] = pixels(CY - half, CY + half);
    const near = (actual, expected, what) => actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1, `${what}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)} (±1 px)`));

    // A: alone and fully in view.
    const [alone] = byCamera['/World/CamA'].objects;
    assert.equal(alone.path, '/World/Alone');
    near(alone.bbox2d_tight, [x0, y0, x1, y1], 'A tight');
    near(alone.bbox2d_loose, [x0, y0, x1, y1], 'A loose');
    assert.ok(Math.abs(alone.visible_fraction - 1) < 0.01, `A visible fraction ${alone.visible_fraction}`);
    assert.deepEqual(alone.pose_camera.position.map((v) => Number(v.toFixed(4))), [0, 0, 5]);

    // B: the left half hidden by the occluder (which is unlabelled, so it has no line of its own).
    const objectsB = byCamera['/World/CamB'].objects;
    assert.deepEqual(objectsB.map((o) => o.path), ['/World/HalfHidden']);
    const [hidden] = objectsB;
    near(hidden.bbox2d_tight, [CX, y0, x1, y1], 'B tight');
    near(hidden.bbox2d_loose, [x0, y0, x1, y1], 'B loose');
    assert.ok(Math.abs(hidden.visible_fraction - 0.5) < 0.03, `B visible fraction ${hidden.visible_fraction}`);

    // C: half outside the image on the left.
    const [truncated] = byCamera['/World/CamC'].objects;
    const [, cx1] = pixels(-half, half);
    near(truncated.bbox2d_tight, [0, y0, cx1, y1], 'C tight');
    near(truncated.bbox2d_loose, [0, y0, cx1, y1], 'C loose');
    assert.ok(Math.abs(truncated.visible_fraction - 0.5) < 0.03, `C visible fraction ${truncated.visible_fraction}`);

    // Depth: distance to the image plane, float32 metres, infinite where nothing is hit.
    const depth = decodeNpy(readFileSync(join(out, 'basic/CamA/distance_to_image_plane_0000.npy')));
    assert.deepEqual(depth.shape, [H, W]);
    const depthValues = npyValues(depth);
    const at = (row, col) => depthValues[row * W + col];
    assert.ok(Math.abs(at(CY, CX) - DEPTH) < 1e-4, `depth at the centre ${at(CY, CX)}`);
    assert.ok(Math.abs(at(y0 + 1, x0 + 1) - DEPTH) < 1e-4, 'depth is flat over the facing face');
    assert.equal(at(2, 2), Infinity, 'background depth is infinite');

    // The occlusion ratio Replicator stores is 1 - visible fraction.
    const [row] = npyRows(decodeNpy(readFileSync(join(out, 'basic/CamB/bounding_box_2d_tight_0000.npy'))));
    assert.ok(Math.abs(row.occlusionRatio - (1 - hidden.visible_fraction)) < 1e-6, `occlusionRatio ${row.occlusionRatio}`);
    assert.deepEqual([row.x_min, row.y_min, row.x_max, row.y_max], hidden.bbox2d_tight);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A texture through the real pipeline: a 2 m square facing the camera whose st follows USD's
 * convention ((0, 0) at the image's lower left), showing a 2 × 2 image of four colours, is drawn
 * with each colour in its own quadrant, the image upright as written (red top left, green top
 * right, blue bottom left, yellow bottom right) and tinted by the texture's scale.
 */
const TEXTURED = `#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Y"
)

def Xform "World"
{
${camera('Cam', 0)}
    def Mesh "Square" (prepend apiSchemas = ["MaterialBindingAPI"])
    {
        point3f[] points = [(-1, -1, 0.5), (1, -1, 0.5), (1, 1, 0.5), (-1, 1, 0.5)]
        int[] faceVertexCounts = [4]
        int[] faceVertexIndices = [0, 1, 2, 3]
        texCoord2f[] primvars:st = [(0, 0), (1, 0), (1, 1), (0, 1)] (interpolation = "vertex")
        rel material:binding = </World/Looks/Quadrants>
    }
    def Scope "Looks"
    {
        def Material "Quadrants"
        {
            token outputs:surface.connect = </World/Looks/Quadrants/Surface.outputs:surface>
            def Shader "Surface"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor.connect = </World/Looks/Quadrants/Image.outputs:rgb>
                float inputs:roughness = 1
                token outputs:surface
            }
            def Shader "Image"
            {
                uniform token info:id = "UsdUVTexture"
                asset inputs:file = @./textures/quadrants.png@
                float4 inputs:scale = (1, 1, 1, 1)
                float2 inputs:st.connect = </World/Looks/Quadrants/St.outputs:result>
                float3 outputs:rgb
            }
            def Shader "St"
            {
                uniform token info:id = "UsdPrimvarReader_float2"
                string inputs:varname = "st"
                float2 outputs:result
            }
        }
    }
}
`;

test('an image texture is drawn upright over USD st, each colour in its quadrant', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simloop-texture-'));
  try {
    mkdirSync(join(dir, 'textures'));
    // Rows top to bottom, as PNG stores them: red, green / blue, yellow.
    writeFileSync(join(dir, 'textures/quadrants.png'), encodePng({ width: 2, height: 2, channels: 3, depth: 8, data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0]) }));
    writeFileSync(join(dir, 'square.usda'), TEXTURED);
    writeFileSync(join(dir, 'square.randomize.yaml'), 'version: 1\ncameras:\n  - prim: /World/Cam\nsettle: { seconds: 0 }\n');
    const out = join(dir, 'out');
    const errors = [];
    const code = await main(
      ['generate', '--scene', join(dir, 'square.usda'), '--randomize', join(dir, 'square.randomize.yaml'), '--frames', '1', '--seed', '0', '--out', out, '--width', String(W), '--height', String(H), '--format', 'basic', '--workers', '1', '--json'],
      { write: () => true },
      { write: (s) => errors.push(s) },
    );
    assert.equal(code, 0, errors.join(''));
    const rgb = decodePng(readFileSync(join(out, 'basic/rgb_0000.png')));
    const channels = rgb.channels;
    const pixel = (x, y) => {
      const col = Math.round(CX + (F * x) / DEPTH);
      const row = Math.round(CY - (F * y) / DEPTH);
      const i = (row * W + col) * channels;
      return [rgb.data[i], rgb.data[i + 1], rgb.data[i + 2]];
    };
    const dominant = ([r, g, b]) => (r > 2 * g + 20 && r > 2 * b + 20 ? 'red' : g > 2 * r + 20 && g > 2 * b + 20 ? 'green' : b > 2 * r + 20 && b > 2 * g + 20 ? 'blue' : r > 2 * b + 20 && g > 2 * b + 20 ? 'yellow' : 'other');
    const seen = { topLeft: pixel(-0.5, 0.5), topRight: pixel(0.5, 0.5), bottomLeft: pixel(-0.5, -0.5), bottomRight: pixel(0.5, -0.5) };
    assert.deepEqual(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, dominant(v)])), { topLeft: 'red', topRight: 'green', bottomLeft: 'blue', bottomRight: 'yellow' }, JSON.stringify(seen));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

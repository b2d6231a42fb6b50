/**
 * Opening scene files: through the file input, by dropping onto the window, from the examples
 * menu, and a broken file that must leave the current scene loaded and simulating.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { before, describe, test } from 'node:test';
import {
  countColour,
  poses,
  primPaths,
  primRow,
  snapshotViewport,
  status,
  waitForPlaying,
  waitForScene,
  useStudioPage,
} from './harness.mjs';

const TEST_TIMEOUT = 60_000;

/** A 1 m crate whose look reads ../textures/green.png (relative to this layer, in assets/). */
const CRATE_USDA = `#usda 1.0
(
    defaultPrim = "Crate"
    metersPerUnit = 1
    upAxis = "Y"
)
def Cube "Crate" (prepend apiSchemas = ["MaterialBindingAPI"])
{
    double size = 1
    rel material:binding = </Crate/Look>
    def Material "Look"
    {
        token outputs:surface.connect = </Crate/Look/Surface.outputs:surface>
        def Shader "Surface"
        {
            uniform token info:id = "UsdPreviewSurface"
            color3f inputs:diffuseColor = (0.5, 0.5, 0.5)
            color3f inputs:diffuseColor.connect = </Crate/Look/Image.outputs:rgb>
            token outputs:surface
        }
        def Shader "Image"
        {
            uniform token info:id = "UsdUVTexture"
            asset inputs:file = @../textures/green.png@
            float3 outputs:rgb
        }
    }
}
`;

/** Pixels of a snapshot whose green clearly dominates. */
const greenPixels = (page, name) =>
  page.evaluate((key) => {
    const p = window.__e2eSnapshots[key];
    let count = 0;
    for (let i = 0; i < p.length; i += 4) if (p[i + 1] > p[i] + 50 && p[i + 1] > p[i + 2] + 50) count++;
    return count;
  }, name);
/** Pixels of a snapshot whose red clearly dominates. */
const redPixels = (page, name) =>
  page.evaluate((key) => {
    const p = window.__e2eSnapshots[key];
    let count = 0;
    for (let i = 0; i < p.length; i += 4) if (p[i] > p[i + 1] + 50 && p[i] > p[i + 2] + 50) count++;
    return count;
  }, name);
const URDF_FOLDER = new URL('../scenes/fixtures/urdf', import.meta.url).pathname;
/** A block asset with look (red, green) and shape (box, ball) variant sets, referenced by scene.usda. */
const VARIANTS_FOLDER = new URL('../scenes/fixtures/variants', import.meta.url).pathname;
/** The USD Working Group's Open Chess Set: payloads, sublayers, inherits, variants, a PointInstancer, crate geometry. */
const CHESS_FOLDER = new URL('../scenes/fixtures/third-party/OpenChessSet', import.meta.url).pathname;

/** A Y-up, centimetre stage: a labelled dynamic ball 50 cm above a static floor box. */
const LAB_USDA = `#usda 1.0
(
    defaultPrim = "Lab"
    metersPerUnit = 0.01
    upAxis = "Y"
)

def Xform "Lab"
{
    def Sphere "Ball" (
        prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "SemanticsLabelsAPI:class"]
    )
    {
        double radius = 5
        color3f[] primvars:displayColor = [(0.9, 0.1, 0.1)]
        token[] semantics:labels:class = ["ball"]
        double3 xformOp:translate = (0, 50, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }

    def Cube "Floor" (
        prepend apiSchemas = ["PhysicsCollisionAPI"]
    )
    {
        double size = 100
        color3f[] primvars:displayColor = [(0.4, 0.4, 0.45)]
        double3 xformOp:translate = (0, -50, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
`;

/** Bytes that are no scene of any kind (a fixed pseudo-random sequence, so runs are repeatable). */
function noiseBytes(length) {
  const bytes = Buffer.alloc(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  bytes[0] = 0x42; // not "{", "#usda", "PXR-USDC" or "PK"
  return bytes;
}

describe('opening scene files', { timeout: 150_000 }, () => {
  const studio = useStudioPage(TEST_TIMEOUT);
  let page;
  let pageErrors;
  before(() => {
    ({ page, pageErrors } = studio);
  });

  test('a broken file shows an error naming it; the previous scene stays and still simulates', { timeout: TEST_TIMEOUT }, async () => {
    await page.setInputFiles('[data-testid="file-input"]', { name: 'broken.usda', mimeType: 'application/octet-stream', buffer: noiseBytes(2048) });
    const error = page.locator('[data-testid="message-error"]');
    await error.first().waitFor({ timeout: 15_000 });
    const text = await error.first().textContent();
    assert.match(text, /broken\.usda: not a USD file/);
    assert.doesNotMatch(text, /\bat\s+\S+\s*\(|\.ts:\d+|\.js:\d+/, 'no stack trace');

    assert.equal(await page.evaluate(() => window.__simloop.scenePath), 'tabletop.usda');
    assert.ok((await primPaths(page)).includes('/World/Objects/RedCube'));
    assert.match(await page.textContent('[data-testid="scene-name"]'), /tabletop\.usda/);
    await snapshotViewport(page, 'after-error');
    assert.ok((await countColour(page, 'after-error', [220, 70, 60], 90)) > 30, 'the red cube is still drawn');

    const start = await poses(page);
    await page.click('[data-testid="play"]');
    await waitForPlaying(page, true);
    await page.waitForFunction(() => window.__simloop.status().time >= 0.1, undefined, { timeout: 20_000 });
    await page.click('[data-testid="pause"]');
    await waitForPlaying(page, false);
    assert.ok((await poses(page))[1] < start[1] - 0.01, 'the red cube fell');
    assert.ok((await status(page)).time >= 0.1);
  });

  test('a USDA picked in the file input replaces the scene', { timeout: TEST_TIMEOUT }, async () => {
    await page.setInputFiles('[data-testid="file-input"]', { name: 'lab.usda', mimeType: 'text/plain', buffer: Buffer.from(LAB_USDA) });
    await waitForScene(page, 'lab.usda');

    assert.deepEqual(await primPaths(page), ['/Lab', '/Lab/Ball', '/Lab/Floor']);
    assert.deepEqual(await primRow(page, '/Lab/Ball'), { type: 'Sphere', body: 'dynamic', label: 'ball' });
    assert.deepEqual(await status(page), { time: 0, steps: 0, playing: false });
    // The old scene's error is gone: the messages describe the new scene.
    assert.equal(await page.locator('[data-testid="message-error"]').count(), 0);
    assert.match(await page.textContent('[data-testid="messages"]'), /Opened lab\.usda/);
    assert.match(await page.textContent('[data-testid="body-count"]'), /1 moving \/ 1 bodies/);

    // Centimetres became metres: the ball starts 0.5 m up.
    const [, y] = await poses(page);
    assert.ok(Math.abs(y - 0.5) < 1e-6, `ball at y = ${y}`);
    await snapshotViewport(page, 'lab');
    assert.ok((await countColour(page, 'lab', [240, 50, 50], 100)) > 30, 'the red ball is drawn');

    await page.click('[data-testid="play"]');
    await page.waitForFunction(() => window.__simloop.status().time >= 0.2, undefined, { timeout: 20_000 });
    await page.click('[data-testid="pause"]');
    await waitForPlaying(page, false);
    assert.ok((await poses(page))[1] < 0.45, 'the ball falls');
  });

  test('a URDF package folder opens with its STL, OBJ and COLLADA meshes; only the missing one is a stand-in', { timeout: TEST_TIMEOUT }, async () => {
    // The folder input walks the folder as a user's pick would (paths relative to it).
    await page.setInputFiles('[data-testid="folder-input"]', URDF_FOLDER);
    await waitForScene(page, 'urdf/test_arm.urdf');
    assert.deepEqual(await primRow(page, '/test_arm/hand/visual_2'), { type: 'Mesh', body: null, label: null });
    assert.deepEqual(await primRow(page, '/test_arm/forearm/collision_0'), { type: 'Mesh', body: null, label: null });
    const standIns = (await page.locator('[data-testid="message-warning"]').allTextContents()).filter((t) => /stand-in/.test(t));
    assert.equal(standIns.length, 1, standIns.join('\n'));
    assert.match(standIns[0], /missing_gripper\.stl" was not found/);
  });

  test('a USD folder opens with the layer it references and that layer`s texture, drawn in the viewport', { timeout: TEST_TIMEOUT }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simloop-usd-folder-'));
    try {
      const kit = join(dir, 'kit');
      mkdirSync(join(kit, 'assets'), { recursive: true });
      mkdirSync(join(kit, 'textures'));
      writeFileSync(join(kit, 'scene.usda'), '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n)\ndef Xform "World"\n{\n    def "Crate" (prepend references = @./assets/crate.usda@) { }\n}\n');
      writeFileSync(join(kit, 'assets/crate.usda'), CRATE_USDA);
      writeFileSync(join(kit, 'textures/green.png'), encodePng({ width: 2, height: 2, channels: 3, depth: 8, data: new Uint8Array(12).map((_, i) => (i % 3 === 1 ? 220 : 20)) }));
      await page.setInputFiles('[data-testid="folder-input"]', kit);
      await waitForScene(page, 'kit/scene.usda');
      await page.locator('[data-testid="prim-row"][data-path="/World/Crate"]').getByTestId('prim-reference').waitFor();
      await snapshotViewport(page, 'textured-crate');
      const green = await greenPixels(page, 'textured-crate');
      // The same scene without the texture file: the crate in its constant grey, and a warning.
      await page.setInputFiles('[data-testid="file-input"]', [join(kit, 'scene.usda'), join(kit, 'assets/crate.usda')]);
      await waitForScene(page, 'scene.usda');
      await snapshotViewport(page, 'plain-crate');
      const plain = await greenPixels(page, 'plain-crate');
      assert.ok(green > 1000 && plain < 50, `green pixels: ${green} with the texture, ${plain} without`);
      const warnings = await page.locator('[data-testid="message-warning"]').allTextContents();
      assert.ok(warnings.some((t) => /texture file textures\/green\.png was not found/.test(t)), warnings.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a USD folder with variant sets: the inspector switches a variant, the viewport shows it, undo brings the old one back', { timeout: TEST_TIMEOUT }, async () => {
    await page.setInputFiles('[data-testid="folder-input"]', VARIANTS_FOLDER);
    await waitForScene(page, 'variants/scene.usda');
    await page.locator('[data-testid="prim-row"][data-path="/World/Block"]').click();
    const look = page.getByTestId('inspector').getByRole('combobox', { name: 'Variant set look' });
    assert.equal(await look.inputValue(), 'red');
    /** Snapshots the viewport until `test` holds for its (red, green) pixel counts. */
    const until = async (name, test) => {
      let counts = [0, 0];
      for (let i = 0; i < 40; i++) {
        await snapshotViewport(page, name);
        counts = [await redPixels(page, name), await greenPixels(page, name)];
        if (test(...counts)) return counts;
        await page.waitForTimeout(250);
      }
      assert.fail(`${name}: red ${counts[0]}, green ${counts[1]} pixels`);
    };
    await until('variant-red', (red, green) => red > 5000 && green < red / 20);
    await look.selectOption('green');
    await until('variant-green', (red, green) => green > 5000 && red < green / 20);
    assert.equal(await look.inputValue(), 'green');
    await page.getByRole('button', { name: 'Undo' }).click();
    await until('variant-undone', (red, green) => red > 5000 && green < red / 20);
    assert.equal(await page.getByTestId('inspector').getByRole('combobox', { name: 'Variant set look' }).inputValue(), 'red');
    assert.deepEqual(pageErrors, []);
  });

  test('an MJCF model folder (the SO-101, TheRobotStudio) opens with its include and STL meshes, and simulates', { timeout: TEST_TIMEOUT }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simloop-mjcf-folder-'));
    try {
      // The folder as MuJoCo users lay one out: a scene that includes the robot, its meshes, and a defaults fragment.
      const so101 = join(dir, 'so101');
      const source = new URL('../scenes/robots/so101/', import.meta.url).pathname;
      mkdirSync(so101);
      for (const name of ['scene.xml', 'so101_new_calib.xml', 'joints_properties.xml']) cpSync(join(source, name), join(so101, name));
      cpSync(join(source, 'assets'), join(so101, 'assets'), { recursive: true });
      await page.setInputFiles('[data-testid="folder-input"]', so101);
      await waitForScene(page, 'so101/scene.xml');
      assert.deepEqual(await primRow(page, '/scene/upper_arm'), { type: 'Xform', body: 'dynamic', label: null });
      assert.deepEqual(await primRow(page, '/scene/base'), { type: 'Xform', body: 'kinematic', label: null });
      const paths = await primPaths(page);
      assert.ok(paths.includes('/scene/joints'), 'the joints scope');
      assert.ok(paths.filter((p) => /^\/scene\/[a-z_0-9]+\/geom_\d+$/.test(p)).length > 20, 'the mesh geoms');
      // The six moving links, jointed to the base as the model says.
      assert.deepEqual(await page.evaluate(() => window.__simloop.movingBodies()), ['/scene/base', '/scene/shoulder', '/scene/upper_arm', '/scene/lower_arm', '/scene/wrist', '/scene/gripper', '/scene/moving_jaw_so101_v1']);
      const errors = await page.locator('[data-testid="message-error"]').allTextContents();
      assert.deepEqual(errors, []);
      // The arm holds its pose while the physics runs (the studio simulates robots as their servos hold them).
      const start = await poses(page);
      await page.click('[data-testid="play"]');
      await waitForPlaying(page, true);
      await page.waitForFunction(() => window.__simloop.status().time >= 0.5, undefined, { timeout: 30_000 });
      await page.click('[data-testid="pause"]');
      await waitForPlaying(page, false);
      const end = await poses(page);
      const moved = Math.max(...Array.from(end, (v, i) => Math.abs(v - start[i])));
      assert.ok(moved < 0.01, `the arm held its pose (largest change ${moved})`);
      assert.deepEqual(pageErrors, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the Open Chess Set (usd-wg/assets) opens from its folder: every piece, the instanced pawns, the shading variants', { timeout: 120_000 }, async () => {
    await page.setInputFiles('[data-testid="folder-input"]', CHESS_FOLDER);
    await waitForScene(page, 'OpenChessSet/chess_set.usda');
    const paths = await primPaths(page);
    for (const p of ['/ChessSet/Chessboard/Geom/Render', '/ChessSet/Black/King/Geom/Render', '/ChessSet/White/RookR/Geom/Render', '/ChessSet/White/Pawns/instance_7/Pawn/Geom_Body/Render']) assert.ok(paths.includes(p), p);
    await page.locator('[data-testid="prim-row"][data-path="/ChessSet/White/Queen"]').click();
    assert.equal(await page.getByTestId('inspector').getByRole('combobox', { name: 'Variant set shadingVariant' }).inputValue(), 'White');
    const warnings = await page.locator('[data-testid="message-warning"]').allTextContents();
    assert.ok(warnings.some((t) => /King_mat\.mtlx is a MaterialX document/.test(t)), warnings.slice(0, 5).join('\n'));
    assert.deepEqual(pageErrors, []);
  });

  test('dropping a file on the window opens it, with its import warnings listed', { timeout: TEST_TIMEOUT }, async () => {
    // Without metersPerUnit the importer falls back to centimetres and says so.
    const dropped = LAB_USDA.replaceAll('"Lab"', '"Dropped"').replace('    metersPerUnit = 0.01\n', '');
    await page.evaluate((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'dropped.usda', { type: 'text/plain' }));
      const target = document.querySelector('[data-testid="viewport"]');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
      }
    }, dropped);
    await waitForScene(page, 'dropped.usda');
    assert.deepEqual(await primPaths(page), ['/Dropped', '/Dropped/Ball', '/Dropped/Floor']);
    assert.equal(await page.locator('[data-testid="drop-overlay"]').count(), 0);
    assert.match(await page.locator('[data-testid="message-warning"]').first().textContent(), /dropped\.usda: no metersPerUnit authored/);
  });

  test('the examples menu opens the bundled tabletop again', { timeout: TEST_TIMEOUT }, async () => {
    await page.click('[data-testid="open-example"]');
    await page.click('[data-testid="example-item"][data-file="tabletop.usda"]');
    await waitForScene(page, 'tabletop.usda');
    assert.ok((await primPaths(page)).includes('/World/Objects/RedCube'));
    assert.equal(await page.locator('[data-testid="example-item"]').count(), 0, 'the menu closed');
    assert.deepEqual(pageErrors, []);
  });

  test('the examples menu opens the Panda robot scene, which holds its pose while the physics runs', { timeout: TEST_TIMEOUT }, async () => {
    await page.click('[data-testid="open-example"]');
    await page.click('[data-testid="example-item"][data-file="panda_tabletop.usda"]');
    await waitForScene(page, 'panda_tabletop.usda');
    const paths = await primPaths(page);
    for (const p of ['/World/Panda/link0', '/World/Panda/hand', '/World/Panda/leftfinger', '/World/Objects/RedCube']) assert.ok(paths.includes(p), p);
    const bodies = await page.evaluate(() => window.__simloop.movingBodies());
    const hand = bodies.indexOf('/World/Panda/hand');
    const before = await page.evaluate(() => window.__simloop.poses());
    await page.click('[data-testid="play"]');
    await page.waitForFunction(() => window.__simloop.status().time > 1, null, { timeout: 30_000 });
    await page.click('[data-testid="pause"]');
    const after = await page.evaluate(() => window.__simloop.poses());
    // The joints' drives hold the arm at its home pose, its links weightless as the real arm's
    // controller makes them (gravity compensation).
    const moved = Math.hypot(...[0, 1, 2].map((k) => after[hand * 7 + k] - before[hand * 7 + k]));
    assert.ok(moved < 0.001, `the hand moved ${moved} m in a second`);
    assert.deepEqual(pageErrors, []);
  });
});


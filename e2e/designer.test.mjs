/**
 * The scene designer in the studio: build on the tabletop from primitives (add a cube, move it
 * with the gizmo, set its mass and label in the inspector), refuse a bad value in the field, mark
 * its colour randomized, undo and redo, save a project, find the edits (and the randomization)
 * autosaved after a reload, rename and delete, export USDA and open it again. One browser and one page for the file; the tests run in order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { encode as encodePng } from 'fast-png';
import { unzipSync } from 'fflate';
import { glbBytes } from '../src/engine/testing/gltf.ts';
import { primPaths, useStudioPage, waitForScene, waitForViewport } from './harness.mjs';

const TEST_TIMEOUT = 60_000;

describe('scene designer', { timeout: 300_000 }, () => {
  const studio = useStudioPage(TEST_TIMEOUT);
  let page;
  let pageErrors;
  before(() => {
    ({ page, pageErrors } = studio);
  });

  const inspector = () => page.getByTestId('inspector');
  const field = (name) => inspector().getByRole('textbox', { name, exact: true });
  /** Types into an inspector field and commits it (Enter). */
  async function setField(name, value) {
    const input = field(name);
    await input.fill(String(value));
    await input.press('Enter');
  }
  const positionX = async () => Number(await field('Position X').inputValue());

  test('adds a cube from the asset panel: it is selected, in the outliner and in the inspector', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'Add Cube' }).click();
    const row = page.locator('[data-testid="prim-row"][data-path="/World/Cube"]');
    await row.waitFor();
    assert.equal(await row.getAttribute('class'), 'prim-row selected');
    assert.match(await inspector().textContent(), /Cube/);
    assert.equal(await positionX(), 0);
    assert.equal(Number(await field('Position Y').inputValue()), 0.05);
    assert.equal(await page.getByRole('button', { name: 'Undo' }).isEnabled(), true);
  });

  test('moves the cube with the gizmo: dragging its X arrow changes its position', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'Move gizmo' }).click();
    // The simulation has the edited scene (the cube is a moving body there) and the viewport shows it.
    await page.waitForFunction(() => window.__simloop.movingBodies().includes('/World/Cube'), undefined, { timeout: 15_000 });
    await waitForViewport(page);
    // Grab the X arrow a little way along +X from the cube's centre and drag it further along.
    const from = await page.evaluate(() => window.__simloop.project([0.12, 0.05, 0]));
    const centre = await page.evaluate(() => window.__simloop.project([0, 0.05, 0]));
    assert.ok(from && centre, 'the viewport projects world points');
    const dx = from.x - centre.x;
    const dy = from.y - centre.y;
    // Hover first, as a person does: the gizmo highlights the handle under the pointer.
    await page.mouse.move(from.x, from.y);
    await waitForViewport(page);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(from.x + (dx * i) / 10, from.y + (dy * i) / 10);
    await page.mouse.up();
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Position X"]')?.value) > 0.03, undefined, { timeout: 10_000 });
    const x = await positionX();
    assert.ok(x > 0.03 && x < 0.5, `the cube moved along +X to ${x}`);
    assert.equal(Number(await field('Position Y').inputValue()), 0.05, 'and only along X');
    assert.match(await page.getByRole('button', { name: 'Undo' }).getAttribute('title'), /Undo: Move Cube/);
  });

  test('sets mass and label in the inspector; refuses a negative mass in the field and keeps the last good one', { timeout: TEST_TIMEOUT }, async () => {
    await setField('Mass (kg)', -1);
    const alert = inspector().getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /must be a positive number of kilograms, got -1/);
    await setField('Mass (kg)', 0.25);
    await page.waitForFunction(() => !document.querySelector('[data-testid="inspector"] [role="alert"]'));
    assert.equal(Number(await field('Mass (kg)').inputValue()), 0.25);

    // A label from the scene's palette, then a typed one.
    await inspector().getByRole('group', { name: 'Labels used in the scene' }).getByRole('button', { name: 'cube', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="prim-row"][data-path="/World/Cube"] [data-testid="prim-label"]')?.textContent === 'cube');
    await setField('Class label', 'crate');
    await page.waitForFunction(() => document.querySelector('[data-testid="prim-row"][data-path="/World/Cube"] [data-testid="prim-label"]')?.textContent === 'crate');
  });

  test('marks the cube`s colour randomized: the spec gets an entry for it, which the Randomize tab lists', { timeout: TEST_TIMEOUT }, async () => {
    await inspector().getByRole('checkbox', { name: 'Randomize Colour' }).check();
    await inspector().getByLabel('Colour from').waitFor();
    await page.getByRole('tab', { name: 'Randomize' }).click();
    const list = page.getByTestId('randomized-per-prim');
    await list.waitFor();
    assert.match(await list.textContent(), /\/World\/Cube color: \{"uniform":\[\[/);
    assert.match(await page.getByRole('textbox', { name: 'Randomization spec' }).inputValue(), /- prims: \/World\/Cube\n\s+color: \{uniform: \[\[/);
    assert.equal(await page.getByTestId('spec-status').getAttribute('data-valid'), 'true');
    // Frame 2's draw in the viewport, then back to the scene being edited.
    await inspector().getByRole('spinbutton', { name: 'Sample frame' }).fill('2');
    await inspector().getByRole('button', { name: 'Preview sample' }).click();
    const banner = page.getByTestId('preview-banner');
    await banner.waitFor({ timeout: 30_000 });
    assert.match(await banner.textContent(), /Sample of frame 2 \(seed 0\)/);
    await banner.getByRole('button', { name: 'Back to editing' }).click();
    await banner.waitFor({ state: 'detached' });
  });

  test('undo and redo walk the edits back and forth', { timeout: TEST_TIMEOUT }, async () => {
    const undo = page.getByRole('button', { name: 'Undo' });
    const redo = page.getByRole('button', { name: 'Redo' });
    await undo.click(); // crate → cube
    await page.waitForFunction(() => document.querySelector('[data-testid="prim-row"][data-path="/World/Cube"] [data-testid="prim-label"]')?.textContent === 'cube');
    await page.keyboard.press('Control+z'); // label off
    await page.waitForFunction(() => !document.querySelector('[data-testid="prim-row"][data-path="/World/Cube"] [data-testid="prim-label"]'));
    await redo.click();
    await page.keyboard.press('Control+Shift+z');
    await page.waitForFunction(() => document.querySelector('[data-testid="prim-row"][data-path="/World/Cube"] [data-testid="prim-label"]')?.textContent === 'crate');
    assert.equal(await redo.isEnabled(), false);
  });

  test('saves a project file with the scene and its randomization', { timeout: TEST_TIMEOUT }, async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save project' }).click()]);
    assert.equal(download.suggestedFilename(), 'tabletop.simloop.json');
    const project = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(project.schema, 'simloop.project');
    const cube = project.scene.prims.find((p) => p.path === '/World/Cube');
    assert.equal(cube.mass.mass, 0.25);
    assert.deepEqual(cube.labels, { class: ['crate'] });
    assert.ok(project.randomize.objects.some((o) => o.prims === '/World/Cube' && o.color?.uniform));
  });

  test('after a reload the edited scene comes back from browser storage', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByTestId('autosaved').waitFor();
    // The last edit (the "crate" label) has reached browser storage (autosave waits a moment after an edit).
    await page.waitForFunction(() => { const saved = localStorage.getItem('simloop.designer.autosave'); return saved?.includes('crate') && saved.includes('uniform'); }, undefined, { timeout: 10_000 });
    const before = await primPaths(page);
    await page.reload();
    await waitForScene(page, 'tabletop.usda');
    await page.locator('[data-testid="prim-row"][data-path="/World/Cube"]').waitFor();
    assert.deepEqual(await primPaths(page), before);
    assert.match(await page.getByTestId('messages').textContent(), /Restored the scene you were editing \(tabletop\.usda/);
    await page.locator('[data-testid="prim-row"][data-path="/World/Cube"]').click();
    assert.equal(Number(await field('Mass (kg)').inputValue()), 0.25);
    assert.ok((await positionX()) > 0.03);
    // The randomization came back with it.
    assert.equal(await inspector().getByRole('checkbox', { name: 'Randomize Colour' }).isChecked(), true);
    assert.match(await page.getByTestId('randomized-per-prim').textContent(), /\/World\/Cube color/);
  });

  test('renames in the outliner, refusing a name USD cannot hold', { timeout: TEST_TIMEOUT }, async () => {
    await page.locator('[data-testid="prim-row"][data-path="/World/Cube"] .prim-name').dblclick();
    const input = page.getByRole('textbox', { name: 'New name for Cube' });
    await input.fill('two words');
    await input.press('Enter');
    await page.getByRole('tree', { name: 'Prims' }).getByRole('alert').waitFor();
    await input.fill('Crate');
    await input.press('Enter');
    await page.locator('[data-testid="prim-row"][data-path="/World/Crate"]').waitFor();
  });

  test('exports USDA that opens again as the same scene', { timeout: TEST_TIMEOUT }, async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export USDA' }).click()]);
    assert.equal(download.suggestedFilename(), 'tabletop.usda');
    const file = await download.path();
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^#usda 1\.0/);
    assert.match(text, /def Cube "Crate"/);
    assert.match(text, /float physics:mass = 0\.25/);
    const before = await primPaths(page);
    await page.getByTestId('file-input').setInputFiles({ name: 'exported.usda', mimeType: 'text/plain', buffer: Buffer.from(text) });
    await waitForScene(page, 'exported.usda');
    assert.deepEqual(await primPaths(page), before);
    await page.locator('[data-testid="prim-row"][data-path="/World/Crate"]').click();
    assert.equal(Number(await field('Mass (kg)').inputValue()), 0.25);
  });

  test('imports assets: the bundled robot, a glTF model, a bundled scene under a prim of its own, and a broken file changes nothing and says why', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('combobox', { name: 'Add a bundled asset' }).selectOption('Franka Panda robot');
    await page.locator('[data-testid="prim-row"][data-path="/World/Panda"]').waitFor();
    const withRobot = await primPaths(page);
    assert.ok(withRobot.includes('/World/Panda/Panda/hand'), 'the robot keeps its own prims under /World/Panda');
    assert.ok(!withRobot.some((p) => p.startsWith('/World/Panda/Table')), 'the robot comes without its table');
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="prim-row"][data-path="/World/Panda"]'));
    // A glTF model, read by three's GLTFLoader in the page.
    const glb = glbBytes([{ name: 'Shell', size: [0.08, 0.1, 0.08], color: [0.9, 0.5, 0.1, 1] }]);
    await page.getByLabel('Import asset file').setInputFiles({ name: 'mug.glb', mimeType: 'model/gltf-binary', buffer: Buffer.from(glb) });
    await page.locator('[data-testid="prim-row"][data-path="/World/mug/mug/Shell"]').waitFor();
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="prim-row"][data-path="/World/mug"]'));
    await page.getByRole('combobox', { name: 'Add a bundled asset' }).selectOption('pendulum.usda (whole scene)');
    await page.locator('[data-testid="prim-row"][data-path="/World/pendulum"]').waitFor();
    const paths = await primPaths(page);
    assert.ok(paths.some((p) => p.startsWith('/World/pendulum/')), 'the pendulum keeps its own prims under /World/pendulum');
    await page.getByLabel('Import asset file').setInputFiles({ name: 'broken.usda', mimeType: 'text/plain', buffer: Buffer.from('#usda 1.0\ndef Xform "A" {\n  double3 xformOp:translate = (1, 2\n}\n') });
    await page.locator('[data-testid="message-error"]', { hasText: 'Import: broken.usda' }).waitFor();
    assert.deepEqual(await primPaths(page), paths);
    // Looking through the scene camera and back.
    await page.getByRole('combobox', { name: 'Look through camera' }).selectOption('/World/Camera');
    await page.getByRole('combobox', { name: 'Look through camera' }).selectOption('');
    await page.getByRole('button', { name: 'Undo' }).click(); // the pendulum goes again
    await page.waitForFunction(() => !document.querySelector('[data-testid="prim-row"][data-path="/World/pendulum"]'));
    // The error above was expected; clear it from the count below by reading only new ones.
    await page.evaluate(() => document.querySelectorAll('[data-testid="message-error"]').forEach((e) => e.setAttribute('data-seen', '1')));
  });

  test('keeps an imported robot as a USD reference: the USDZ export holds its layer and opens again as the same scene', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('combobox', { name: 'Add a bundled asset' }).selectOption('Franka Panda robot');
    const row = page.locator('[data-testid="prim-row"][data-path="/World/Panda"]');
    await row.getByTestId('prim-reference').waitFor();
    assert.equal(await row.getByTestId('prim-reference').getAttribute('title'), 'references the asset layer assets/Panda.usda');
    const before = await primPaths(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export USDZ' }).click()]);
    const bytes = new Uint8Array(readFileSync(await download.path()));
    const files = unzipSync(bytes);
    const [rootName, ...rest] = Object.keys(files);
    assert.deepEqual(rest, ['assets/Panda.usda']);
    const root = new TextDecoder().decode(files[rootName]);
    assert.match(root, /def Xform "Panda" \(\n\s+prepend references = @\.\/assets\/Panda\.usda@/);
    assert.doesNotMatch(root, /PhysicsRevoluteJoint/, 'the robot stays in its own layer');
    await page.getByTestId('file-input').setInputFiles({ name: 'exported.usdz', mimeType: 'model/vnd.usdz+zip', buffer: Buffer.from(bytes) });
    await waitForScene(page, 'exported.usdz');
    assert.deepEqual(await primPaths(page), before);
    await page.locator('[data-testid="prim-row"][data-path="/World/Panda"]').getByTestId('prim-reference').waitFor();
  });

  test('starts a scene from scratch: New gives a ground, a light and a camera to build on', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'New scene' }).click();
    await waitForScene(page, 'untitled.json');
    assert.deepEqual(await primPaths(page), ['/World', '/World/Ground', '/World/Sun', '/World/Camera']);
    await page.getByRole('button', { name: 'Add Sphere' }).click();
    await page.locator('[data-testid="prim-row"][data-path="/World/Sphere"]').waitFor();
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="prim-row"][data-path="/World/Sphere"]'));
    // Back to the scene the tests below work on.
    await page.getByRole('button', { name: 'Redo' }).click();
    await page.locator('[data-testid="prim-row"][data-path="/World/Sphere"]').waitFor();
  });

  test('shows a picked image on a look: a thumbnail, the file packed in the USDZ, and a clear refusal from one-layer USDA', { timeout: TEST_TIMEOUT }, async () => {
    await page.locator('[data-testid="prim-row"][data-path="/World/Sphere"]').click();
    await page.getByLabel('Texture image file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await inspector().getByText('notes.txt: not an image Simloop reads: expected PNG or JPEG bytes').waitFor();
    const png = encodePng({ width: 2, height: 2, channels: 3, depth: 8, data: new Uint8Array([200, 30, 30, 200, 30, 30, 200, 30, 30, 200, 30, 30]) });
    await page.getByLabel('Texture image file').setInputFiles({ name: 'brick red.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await inspector().getByRole('img', { name: 'Texture image textures/brick_red.png' }).waitFor();
    assert.equal(await inspector().getByRole('combobox', { name: 'Texture', exact: true }).inputValue(), 'image');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export USDZ' }).click()]);
    const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
    assert.deepEqual(Object.keys(files), ['untitled.usda', 'textures/brick_red.png']);
    assert.deepEqual([...files['textures/brick_red.png']], [...png]);
    assert.match(new TextDecoder().decode(files['untitled.usda']), /asset inputs:file = @\.\/textures\/brick_red\.png@/);
    await page.getByRole('button', { name: 'Export USDA' }).click();
    await page.getByText(/Export USDA: untitled\.json: the scene's looks show image files \(textures\/brick_red\.png\), which one \.usda cannot hold; Export USDZ packs them/).waitFor();
    await page.evaluate(() => document.querySelectorAll('[data-testid="message-error"]').forEach((e) => e.setAttribute('data-seen', '1')));
  });

  test('deletes with the Delete key; the help overlay lists the shortcuts; no page errors', { timeout: TEST_TIMEOUT }, async () => {
    await page.locator('[data-testid="prim-row"][data-path="/World/Sphere"]').click();
    await page.keyboard.press('Delete');
    await page.waitForFunction(() => !document.querySelector('[data-testid="prim-row"][data-path="/World/Sphere"]'));
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    assert.match(await help.textContent(), /Ctrl\+Z.*Undo/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    assert.equal(await page.locator('[data-testid="message-error"]:not([data-seen])').count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});

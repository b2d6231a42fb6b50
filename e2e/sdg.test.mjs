/**
 * The synthetic-data panels in the browser: generate a small dataset into browser storage (OPFS)
 * with real frame workers, open it in the dataset viewer and check the drawn boxes against
 * frames.jsonl read back from OPFS; sample frames in the randomize tab; and a broken spec shows an
 * error naming the field while the studio keeps working. One browser and one page for the file;
 * the tests run in order. SwiftShader renders slowly, hence the long timeouts.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { status, useStudioPage } from './harness.mjs';

const TEST_TIMEOUT = 300_000;
const DATASET = 'e2e-tabletop';

/** The frames.jsonl lines of an OPFS dataset, read in the page. */
const opfsFrames = (page, name) =>
  page.evaluate(async (dataset) => {
    const root = await navigator.storage.getDirectory();
    const dir = await (await root.getDirectoryHandle('datasets')).getDirectoryHandle(dataset);
    const text = await (await (await dir.getFileHandle('frames.jsonl')).getFile()).text();
    return text
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
  }, name);

/** The dataset state the generator keeps in a browser-storage dataset (.simloop/dataset.json). */
const opfsDatasetState = (page, name) =>
  page.evaluate(async (dataset) => {
    const root = await navigator.storage.getDirectory();
    const dir = await (await (await root.getDirectoryHandle('datasets')).getDirectoryHandle(dataset)).getDirectoryHandle('.simloop');
    return JSON.parse(await (await (await dir.getFileHandle('dataset.json')).getFile()).text());
  }, name);

/** What a canvas of LabelledImage says it drew. */
const drawn = (locator) =>
  locator.evaluate((canvas) => ({
    frame: Number(canvas.dataset.frame),
    tight: Number(canvas.dataset.tightBoxes),
    loose: Number(canvas.dataset.looseBoxes),
    boxes: JSON.parse(canvas.dataset.boxes ?? '[]'),
    mask: canvas.dataset.mask,
  }));

/** The tight boxes of a frames.jsonl line, as the viewer lists them. */
const boxesOf = (line) => line.objects.filter((o) => o.bbox2d_tight).map((o) => ({ path: o.path, label: o.label, box: o.bbox2d_tight }));

/** Fraction of a canvas's pixels that are not the empty-frame colour: is an image drawn? */
const filled = (locator) =>
  locator.evaluate((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 0x11) + Math.abs(data[i + 1] - 0x14) + Math.abs(data[i + 2] - 0x18) > 30) count++;
    return count / (data.length / 4);
  });

describe('synthetic data: generate, view, randomize', { timeout: 900_000 }, () => {
  const studio = useStudioPage(60_000);
  let page;
  let pageErrors;
  let frames;
  before(() => {
    ({ page, pageErrors } = studio);
  });

  test('generates 3 frames at 128×96 (COCO + Basic, 2 workers, the fast preset) into browser storage', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByLabel('Frames').fill('3');
    await page.getByLabel('Width').fill('128');
    await page.getByLabel('Height').fill('96');
    await page.getByLabel('Workers').fill('2');
    await page.getByLabel('Seed').fill('0');
    for (const [format, on] of [['COCO', true], ['Basic (Replicator)', true], ['YOLO', false], ['KITTI', false]]) {
      await page.getByRole('checkbox', { name: format }).setChecked(on);
    }
    assert.equal(await page.getByRole('radio', { name: /^Default: / }).isChecked(), true, 'the default quality preset is chosen at first');
    await page.getByRole('radio', { name: /^Fast: diffuse materials, no shadows/ }).check();
    assert.equal(await page.getByRole('radio', { name: 'Browser storage (OPFS)' }).isChecked(), true, 'OPFS is the default destination');
    await page.getByLabel('Dataset name').fill(DATASET);
    await page.getByRole('button', { name: 'Generate' }).click();

    const state = page.getByTestId('generate-status');
    await page.waitForFunction(() => ['complete', 'failed'].includes(document.querySelector('[data-testid="generate-status"]')?.dataset.status), undefined, {
      timeout: TEST_TIMEOUT - 10_000,
    });
    const error = (await page.getByTestId('generate-error').count()) ? await page.getByTestId('generate-error').textContent() : null;
    assert.equal(error, null, 'no generation error');
    assert.equal(await state.getAttribute('data-status'), 'complete');
    assert.match(await page.getByTestId('generate-result').textContent(), /^Complete: 3 frames \(3 made, 0 already there\)/);
    assert.match(await page.getByTestId('generate-progress').textContent(), /^3 \/ 3 frames · .* frames\/s · ETA 0:00 · done/);
    assert.equal(await page.getByRole('progressbar', { name: 'Generation progress' }).evaluate((p) => p.value), 1);

    assert.equal((await opfsDatasetState(page, DATASET)).quality, 'fast', 'the dataset records the preset it was drawn with');
    frames = await opfsFrames(page, DATASET);
    assert.deepEqual(
      frames.map((f) => f.frame),
      [0, 1, 2],
    );
    for (const f of frames) assert.deepEqual([f.camera.width, f.camera.height], [128, 96]);
    assert.ok(frames.some((f) => f.objects.length > 0), 'the frames have labelled objects');
  });

  test('the viewer opens the dataset and draws the boxes of frames.jsonl over the image and its mask', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'Open in viewer' }).click();
    assert.equal(await page.getByRole('tab', { name: 'Dataset' }).getAttribute('aria-selected'), 'true');
    const image = page.getByTestId('viewer-image');
    await image.waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('viewer-summary').textContent(), new RegExp(`^${DATASET}: 3 frames, 128×96, coco, basic`));

    // Frame 0 first, then step through every frame with Next: the drawn boxes are the file's.
    const next = page.getByRole('button', { name: 'Next frame' });
    for (let i = 0; i < frames.length; i++) {
      if (i > 0) await next.click();
      await page.waitForFunction((want) => document.querySelector('[data-testid="viewer-image"]')?.dataset.frame === String(want), i, { timeout: 30_000 });
      const shown = await drawn(image);
      assert.deepEqual(shown.boxes, boxesOf(frames[i]), `frame ${i}: drawn boxes are frames.jsonl's`);
      assert.equal(shown.tight, frames[i].objects.length);
      assert.equal(shown.mask, 'shown', `frame ${i}: the instance mask is drawn`);
    }
    assert.equal(await next.isDisabled(), true, 'Next stops at the last frame');
    const withObjects = frames.findIndex((f) => f.objects.length > 0);
    await page.getByLabel('Frame number').fill(String(withObjects + 1));
    await page.waitForFunction((want) => document.querySelector('[data-testid="viewer-image"]')?.dataset.frame === String(want), withObjects, { timeout: 30_000 });
    assert.ok((await drawn(image)).tight > 0, 'the viewer shows boxes');
    assert.ok((await filled(image)) > 0.5, 'the image is drawn');

    // Class counts over the whole dataset, from frames.jsonl.
    const expected = new Map();
    for (const f of frames) for (const o of f.objects) expected.set(o.label, (expected.get(o.label) ?? 0) + 1);
    const bars = await page
      .getByTestId('class-counts')
      .locator('li')
      .evaluateAll((items) => items.map((li) => [li.dataset.label, Number(li.dataset.count)]));
    assert.deepEqual(new Map(bars), expected);

    // The overlay toggles reach the canvas.
    await page.getByRole('checkbox', { name: 'Tight boxes' }).uncheck();
    await page.waitForFunction(() => document.querySelector('[data-testid="viewer-image"]')?.dataset.tightBoxes === '0');
    await page.getByRole('checkbox', { name: 'Tight boxes' }).check();
  });

  test('the randomize tab samples frame i: the dataset’s frame, with boxes and the drawn values', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('tab', { name: 'Randomize' }).click();
    const spec = page.getByLabel('Randomization spec');
    assert.match(await spec.inputValue(), /^version: 1$/m);
    assert.equal(await page.getByTestId('spec-status').getAttribute('data-valid'), 'true');

    const withObjects = frames.findIndex((f) => f.objects.length > 0);
    await page.getByLabel('Sample frame index').fill(String(withObjects));
    await page.getByRole('button', { name: 'Sample' }).click();
    const image = page.getByTestId('preview-image');
    await page.waitForFunction((want) => document.querySelector('[data-testid="preview-image"]')?.dataset.frame === String(want), withObjects, { timeout: TEST_TIMEOUT - 10_000 });
    assert.equal(await page.getByTestId('preview-error').count(), 0);
    const sample = await drawn(image);
    assert.ok(sample.tight >= 1, `the sample shows ${sample.tight} tight boxes`);
    // Same seed, resolution and spec as the dataset: the sample is the dataset's frame.
    assert.deepEqual(sample.boxes, boxesOf(frames[withObjects]));
    assert.ok((await filled(image)) > 0.5, 'the sample image is drawn');
    const values = await page.getByTestId('randomized-values').locator('dt').count();
    assert.ok(values > 0, 'the randomized values are listed');

    // Re-roll draws the next index.
    await page.getByRole('button', { name: 'Re-roll' }).click();
    await page.waitForFunction((want) => document.querySelector('[data-testid="preview-image"]')?.dataset.frame === String(want), withObjects + 1, { timeout: TEST_TIMEOUT - 10_000 });
    assert.equal(await page.getByLabel('Sample frame index').inputValue(), String(withObjects + 1));
  });

  test('a broken spec names the field, keeps the last sample, and the studio keeps working', { timeout: TEST_TIMEOUT }, async () => {
    const spec = page.getByLabel('Randomization spec');
    const good = await spec.inputValue();
    const shownFrame = await page.getByTestId('preview-image').getAttribute('data-frame');
    await spec.fill(good.replace(/margin: 0\.04/, 'margin: lots'));
    const specStatus = page.getByTestId('spec-status');
    await page.waitForFunction(() => document.querySelector('[data-testid="spec-status"]')?.dataset.valid === 'false');
    assert.equal(await specStatus.getAttribute('role'), 'alert');
    assert.match(await specStatus.textContent(), /^tabletop\.randomize\.yaml: objects\[0\]\.scatter\.margin: .*\(line \d+\)/);
    assert.equal(await spec.getAttribute('aria-invalid'), 'true');

    await page.getByRole('button', { name: 'Sample' }).click();
    await page.getByTestId('preview-error').waitFor();
    assert.match(await page.getByTestId('preview-error').textContent(), /objects\[0\]\.scatter\.margin/);
    assert.equal(await page.getByTestId('preview-image').getAttribute('data-frame'), shownFrame, 'the last good sample stays');

    // Generating with a broken spec says why and runs nothing.
    await page.getByRole('tab', { name: 'Generate' }).click();
    assert.match(await page.getByTestId('generate-spec-error').textContent(), /objects\[0\]\.scatter\.margin/);
    await page.getByRole('tab', { name: 'Randomize' }).click();

    // The simulation is untouched.
    const before = await status(page);
    await page.click('[data-testid="step"]');
    await page.waitForFunction((steps) => window.__simloop.status().steps === steps + 1, before.steps, { timeout: 10_000 });

    await spec.fill(good);
    await page.waitForFunction(() => document.querySelector('[data-testid="spec-status"]')?.dataset.valid === 'true');
    assert.deepEqual(pageErrors, []);
  });
});

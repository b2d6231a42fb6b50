/**
 * Teleoperating your robot, not only ours (issue 18): the SO-101 opens as a bundled example (its
 * MJCF with the model it includes and its STL meshes), the Robot tab starts an SO-101 task with
 * the robot profile the task names, a joint slider jogs the shoulder (keyboard on the slider), held
 * keys drive the tool, and the kept episode exports as LeRobot with the so_follower's features.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { useStudioPage, waitForScene } from './harness.mjs';

const TIMEOUT = 120_000;
const SO101_NAMES = ['shoulder_pan.pos', 'shoulder_lift.pos', 'elbow_flex.pos', 'wrist_flex.pos', 'wrist_roll.pos', 'gripper.pos'];

describe('teleoperating the SO-101 in the studio', () => {
  const studio = useStudioPage(TIMEOUT);

  test('open the SO-101 scene, jog a joint with its slider, drive it with keys, keep and export an episode', { timeout: TIMEOUT }, async (t) => {
    const { page, pageErrors } = studio;
    const messages = () => page.locator('[data-testid^="message-"]').allTextContents();

    // The bundled SO-101 scene, from the Open example menu: its include and meshes come with it.
    await page.click('[data-testid="open-example"]');
    await page.click('[data-testid="example-item"][data-file="so101_tabletop.xml"]');
    await waitForScene(page, 'so101_tabletop.xml');
    assert.deepEqual(await page.locator('[data-testid="message-error"]').allTextContents(), []);
    const sceneBodies = await page.evaluate(() => window.__simloop.movingBodies());
    assert.ok(sceneBodies.some((p) => p.endsWith('/shoulder')) && sceneBodies.some((p) => p.endsWith('/gripper')), `the arm's links move: ${sceneBodies}`);

    // The SO-101 reach task in the Robot tab.
    await page.click('#sdg-tab-robot');
    await page.selectOption('select[aria-label="Task"]', 'so101-reach');
    await page.fill('input[aria-label="Episode"]', '0');
    await page.click('[data-testid="teleop-start"]');
    await waitForScene(page, 'so101-reach · episode 0 (seed 1)').catch(async (e) => {
      throw new Error(`${e.message}; messages: ${await messages()}`);
    });
    const panel = page.getByTestId('joint-panel');
    for (const name of ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper']) {
      assert.equal(await panel.getByRole('slider', { name, exact: true }).count(), 1, `a slider labelled ${name}`);
    }
    const pan = panel.getByRole('slider', { name: 'shoulder_pan', exact: true });
    // Degrees, as the profile records the joint: shoulder_pan's limits are ±110°.
    assert.equal(await pan.getAttribute('min'), '-110');
    assert.equal(await pan.getAttribute('max'), '110');
    const reading = async (name) => Number(await page.getByTestId(`joint-${name}-reading`).getAttribute('data-value'));
    const panStart = await reading('shoulder_pan');
    // Control steps as the Robot tab reports them (with the joint readings, after every step).
    const steps = async () => Number(/Step (\d+) of/.exec(await page.getByTestId('teleop-steps').textContent())?.[1]);
    assert.equal(await steps(), 0);

    // Jog with the keyboard on the slider: 40 presses of → are 20° (its step is half a degree).
    await pan.focus();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
    const goal = Number(await pan.inputValue());
    assert.ok(Math.abs(goal - (panStart + 20)) <= 0.5, `the slider stands at 20° more: ${panStart} → ${goal}`);
    assert.match(await panel.locator('legend').textContent(), /jogging/);
    // The arm's commanded shoulder reaches the slider's value (jogging started the control loop).
    await page.waitForFunction((want) => Math.abs(Number(document.querySelector('[data-testid="joint-shoulder_pan-reading"]')?.getAttribute('data-value')) - want) < 0.01, goal, { timeout: 20_000 });
    const jogSteps = await steps();
    // 20° at no more than 1.5 rad/s and 30 control steps a second: at least 7 steps, never a jump.
    assert.ok(jogSteps >= 7, `jogging took ${jogSteps} control steps`);
    assert.ok(Math.abs((await reading('shoulder_lift')) - (await panel.getByRole('slider', { name: 'shoulder_lift', exact: true }).inputValue().then(Number))) <= 0.5, 'the other sliders show their joints');

    // Drive with the keys: W forward (+X) and R up (+Y); the keys take over from the slider.
    const bodies = await page.evaluate(() => window.__simloop.movingBodies());
    const gripper = bodies.findIndex((p) => p.endsWith('/gripper'));
    assert.ok(gripper >= 0, `the gripper is a moving body: ${bodies}`);
    const gripperAt = async () => (await page.evaluate(() => window.__simloop.poses())).slice(gripper * 7, gripper * 7 + 3);
    const before = await gripperAt();
    await page.locator('body').click({ position: { x: 5, y: 5 } }).catch(() => {});
    await page.keyboard.down('KeyW');
    await page.keyboard.down('KeyR');
    await page.waitForFunction((n) => window.__simloop.status().steps >= n, jogSteps + 25, { timeout: 30_000 });
    await page.keyboard.up('KeyW');
    await page.keyboard.up('KeyR');
    const after = await gripperAt();
    assert.ok(after[0] - before[0] > 0.03, `the gripper moved forward: ${before} → ${after}`);
    assert.ok(after[1] - before[1] > 0.03, `the gripper moved up: ${before} → ${after}`);
    assert.doesNotMatch(await panel.locator('legend').textContent(), /jogging/);
    t.diagnostic(`shoulder_pan jogged ${panStart}° → ${goal}° in ${jogSteps} steps; keys moved the gripper ${before.map((v, i) => (after[i] - v).toFixed(3))} m`);
    // The sliders follow the arm again: the shoulder's slider is where its commanded position is.
    await page.waitForFunction(() => {
      const slider = document.querySelector('[data-testid="joint-shoulder_pan-slider"]');
      const value = Number(document.querySelector('[data-testid="joint-shoulder_pan-reading"]')?.getAttribute('data-value'));
      return slider && Math.abs(Number(slider.value) - value) <= 0.5;
    });

    // Keep the episode and export it: LeRobot with the SO-101's features, as LeRobot records them.
    await page.click('[data-testid="teleop-drive"]');
    await page.click('[data-testid="teleop-keep"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="teleop-export"]')?.textContent?.includes('Export 1'));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }).catch(async (e) => {
        throw new Error(`${e.message}; messages: ${await messages()}`);
      }),
      page.click('[data-testid="teleop-export"]'),
    ]);
    const zip = unzipSync(new Uint8Array(readFileSync(await download.path())));
    const line = JSON.parse(new TextDecoder().decode(zip['episodes.jsonl']).trim());
    assert.equal(line.draw, 0);
    assert.ok(line.steps >= jogSteps + 25, `steps recorded: ${line.steps}`);
    const info = JSON.parse(new TextDecoder().decode(zip['lerobot/meta/info.json']));
    t.diagnostic(`kept ${line.steps} steps; robot_type ${info.robot_type}`);
    assert.equal(info.robot_type, 'so_follower');
    assert.deepEqual(info.features['observation.state'].names, SO101_NAMES);
    assert.deepEqual(info.features.action.names, SO101_NAMES);
    assert.equal(info.total_frames, line.steps);
    assert.ok(zip['robomimic.hdf5'], 'the robomimic file is in the zip');
    assert.deepEqual(pageErrors, []);
  });
});

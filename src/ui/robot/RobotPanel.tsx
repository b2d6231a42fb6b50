/**
 * The Robot tab: pick a task, seed and episode, start it, drive the arm with the keyboard (or a
 * gamepad) or jog its joints with sliders, keep or discard the demonstration, and export the kept
 * ones as a zip.
 */
import { useEffect, useRef, useState } from 'react';
import { TELEOP_KEYS, keyboardInput, sameInput, withGamepad } from './teleopInput.ts';
import { TaskSelect } from './TaskSelect.tsx';
import { useTeleop, useTeleopActions, useTeleopStore } from './store.ts';
import { TELEOP_JOINT_SPEED, type TeleopInput } from '../../engine/tasks/teleop.ts';
import { useStudioActions } from '../state/store.ts';
import { EpisodeViewer } from './EpisodeViewer.tsx';
import { armSliders, formatJointValue, fromSliderUnits, gripperClosedAt, gripperSlider, type JointSlider } from './jointSliders.ts';

const CONTROL_MS = 50;

/** Where keys type text (the driving keys are left to it); a focused slider, checkbox or button still lets them drive. */
const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ['SELECT', 'TEXTAREA'].includes(target.tagName) || (target instanceof HTMLInputElement && !['range', 'checkbox', 'radio', 'button'].includes(target.type)));

/** Held keys and the gamepad, sent to the worker whenever the input changes (polled at 20 Hz). */
function useTeleopKeys(active: boolean) {
  const teleop = useTeleopActions();
  const store = useTeleopStore();
  useEffect(() => {
    if (!active) return;
    const held = new Set<string>();
    let last: TeleopInput | null = null;
    let gamepadButton = false;
    const keyDown = (e: KeyboardEvent) => {
      if (typing(e.target)) return;
      if (e.code === 'Space') {
        if (!e.repeat) teleop.toggleGripper();
        e.preventDefault();
        return;
      }
      if (/^Key[WASDRFQE]$/.test(e.code)) {
        held.add(e.code);
        e.preventDefault();
      }
    };
    const keyUp = (e: KeyboardEvent) => held.delete(e.code);
    const blur = () => held.clear();
    const timer = setInterval(() => {
      let input = keyboardInput(held, store.getState().gripperClosed);
      const pad = typeof navigator.getGamepads === 'function' ? navigator.getGamepads().find((g) => g) : null;
      if (pad) {
        input = withGamepad(input, pad.axes);
        const pressed = pad.buttons[0]?.pressed ?? false;
        if (pressed && !gamepadButton) teleop.toggleGripper();
        gamepadButton = pressed;
      }
      if (!last || !sameInput(last, input)) teleop.input(input);
      last = input;
    }, CONTROL_MS);
    window.addEventListener('keydown', keyDown);
    window.addEventListener('keyup', keyUp);
    window.addEventListener('blur', blur);
    return () => {
      clearInterval(timer);
      window.removeEventListener('keydown', keyDown);
      window.removeEventListener('keyup', keyUp);
      window.removeEventListener('blur', blur);
    };
  }, [active, teleop, store]);
}

function JointSliderRow({ slider, id, onChange, testId }: { slider: JointSlider; id: string; onChange: (value: number) => void; testId: string }) {
  const units = slider.units === '°' ? 'degrees' : slider.units;
  return (
    <div className="joint-row">
      <label htmlFor={id}>{slider.label}</label>
      <input
        id={id}
        type="range"
        aria-valuetext={formatJointValue(slider, slider.value)}
        title={units ? `${slider.label} (${units})` : slider.label}
        data-testid={`${testId}-slider`}
        min={slider.min}
        max={slider.max}
        step={slider.step}
        value={slider.value}
        onChange={(e) => onChange(Number(e.target.value))}
      />
      <output htmlFor={id} data-testid={`${testId}-reading`} data-value={slider.reading}>
        {formatJointValue(slider, slider.reading)}
      </output>
    </div>
  );
}

/** One slider per arm joint and the gripper's: moving one jogs the joint toward it (the keys take over again when pressed). */
function JointPanel() {
  const teleop = useTeleopActions();
  const { status, robot, jointGoal, gripperClosed } = useTeleop((s) => s);
  if (!status || !robot) return null;
  // Not disabled while busy: that would end a drag part way.
  const disabled = status.done;
  const sliders = armSliders(robot, status.joints, jointGoal);
  const gripper = gripperSlider(robot, gripperClosed);
  const units = robot.joints.some((j) => j.feature) ? 'in the units the robot’s datasets record' : 'in radians and metres';
  return (
    <fieldset className="joint-panel" data-testid="joint-panel" disabled={disabled}>
      <legend>Joints {jointGoal ? '· jogging' : ''}</legend>
      {sliders.map((slider, i) => (
        <JointSliderRow key={slider.label} slider={slider} id={`joint-${slider.label}`} testId={`joint-${slider.label}`} onChange={(v) => teleop.jog(i, fromSliderUnits(robot.joints[i]!, v))} />
      ))}
      {gripper && <JointSliderRow slider={gripper} id="joint-gripper-control" testId="joint-gripper" onChange={(v) => teleop.setGripper(gripperClosedAt(robot, v))} />}
      <p className="robot-note">Each slider jogs its joint at up to {TELEOP_JOINT_SPEED.revolute} rad/s ({units}); the readings are where the arm is commanded to be. A driving key takes over from the sliders.</p>
    </fieldset>
  );
}

export function RobotPanel() {
  const teleop = useTeleopActions();
  const studio = useStudioActions();
  const { taskId, seed, draw, status, driving, gripperClosed, busy } = useTeleop((s) => s);
  const active = status !== null && !status.done;
  useTeleopKeys(active);
  const [download, setDownload] = useState<{ url: string; name: string } | null>(null);
  const link = useRef<HTMLAnchorElement>(null);
  // Offer the zip as soon as its link is on the page; free it when replaced or unmounted.
  useEffect(() => {
    if (!download) return;
    link.current?.click();
    return () => URL.revokeObjectURL(download.url);
  }, [download]);

  const exportZip = async () => {
    const zip = await teleop.exportZip();
    if (!zip) return;
    const url = URL.createObjectURL(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
    setDownload({ url, name: `${taskId}-demos.zip` });
  };

  return (
    <div className="robot-panel" data-testid="robot-panel">
      <fieldset disabled={busy !== null}>
        <TaskSelect label="Task" value={taskId} onChange={(id) => teleop.setForm({ taskId: id })} />{' '}
        <label>
          Seed <input aria-label="Seed" type="number" value={seed} onChange={(e) => teleop.setForm({ seed: Math.trunc(Number(e.target.value) || 0) })} />
        </label>{' '}
        <label>
          Episode <input aria-label="Episode" type="number" min={0} value={draw} onChange={(e) => teleop.setForm({ draw: Math.max(0, Math.trunc(Number(e.target.value) || 0)) })} />
        </label>{' '}
        <button type="button" data-testid="teleop-start" onClick={() => void teleop.start()}>
          Start episode
        </button>
      </fieldset>

      {status && (
        <div className="robot-status" aria-live="polite">
          <p data-testid="teleop-instruction">“{status.instruction}”</p>
          <p data-testid="teleop-steps">
            Step {status.steps} of {status.maxSteps} · gripper {gripperClosed ? 'closed' : 'open'} ·{' '}
            <strong data-testid="teleop-success">{status.success ? 'success' : status.done ? 'over' : 'not yet'}</strong> · kept {status.kept}
          </p>
          <div className="robot-buttons">
            <button type="button" data-testid="teleop-drive" disabled={!active || busy !== null} onClick={() => void teleop.drive(!driving)}>
              {driving ? 'Pause' : 'Drive'}
            </button>
            <button type="button" data-testid="teleop-expert" disabled={!active || busy !== null} onClick={() => void teleop.expert()}>
              Let the expert drive
            </button>
            <button type="button" data-testid="teleop-keep" disabled={status.done || status.steps === 0 || busy !== null} onClick={() => void teleop.keep()}>
              Keep episode
            </button>
            <button type="button" data-testid="teleop-discard" disabled={status.done || busy !== null} onClick={() => void teleop.discard()}>
              Discard
            </button>
            <button type="button" data-testid="teleop-export" disabled={status.kept === 0 || busy !== null} onClick={() => void exportZip()}>
              Export {status.kept} (zip)
            </button>
          </div>
        </div>
      )}
      <JointPanel />
      <table className="robot-keys" aria-label="Keys">
        <tbody>
          {TELEOP_KEYS.map((k) => (
            <tr key={k.keys}>
              <th scope="row">{k.keys}</th>
              <td>{k.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="robot-note">Let the expert drive hands the episode to the task's scripted expert from where it is. Keep episode records the steps so far as a demonstration (marked a failure unless the task succeeded). Exports hold LeRobot v3.0 (with the cameras' videos, 128×128) and robomimic HDF5 (with their images).</p>
      {download && (
        <a ref={link} href={download.url} download={download.name} data-testid="teleop-download">
          {download.name}
        </a>
      )}
      <EpisodeViewer onError={studio.reportError} />
    </div>
  );
}

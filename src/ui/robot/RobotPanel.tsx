/**
 * The Robot tab: pick a task, seed and episode, start it, drive the arm with the keyboard (or a
 * gamepad), keep or discard the demonstration, and export the kept ones as a zip.
 */
import { useEffect, useRef, useState } from 'react';
import { TELEOP_KEYS, keyboardInput, sameInput, withGamepad } from './teleopInput.ts';
import { TaskSelect } from './TaskSelect.tsx';
import { useTeleop, useTeleopActions, useTeleopStore } from './store.ts';
import type { TeleopInput } from '../../engine/tasks/teleop.ts';
import { useStudioActions } from '../state/store.ts';
import { EpisodeViewer } from './EpisodeViewer.tsx';

const CONTROL_MS = 50;

const typing = (target: EventTarget | null) => target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName));

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

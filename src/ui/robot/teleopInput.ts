/**
 * Keyboard and gamepad → teleoperation input (src/engine/tasks/teleop.ts). World axes of the
 * scene document: X away from the robot's base, Y up, Z to the robot's right.
 *
 *   W / S  forward / back (±X)      A / D  left / right (∓Z)      R / F  up / down (±Y)
 *   Q / E  turn left / right         Space  close / open the gripper
 *
 * Gamepad (standard mapping): left stick moves in the table plane, right stick up/down and turn,
 * button A (0) toggles the gripper. Pure functions; the panel wires them to events.
 */
import type { TeleopInput } from '../../engine/tasks/teleop.ts';

export const TELEOP_KEYS: readonly { keys: string; does: string }[] = [
  { keys: 'W / S', does: 'forward / back' },
  { keys: 'A / D', does: 'left / right' },
  { keys: 'R / F', does: 'up / down' },
  { keys: 'Q / E', does: 'turn left / right' },
  { keys: 'Space', does: 'close / open the gripper' },
];

/** The input for the keys held now (KeyboardEvent.code values) and the gripper state. */
export function keyboardInput(held: ReadonlySet<string>, close: boolean): TeleopInput {
  const axis = (plus: string, minus: string) => (held.has(plus) ? 1 : 0) - (held.has(minus) ? 1 : 0);
  return { move: [axis('KeyW', 'KeyS'), axis('KeyR', 'KeyF'), axis('KeyD', 'KeyA')], yaw: axis('KeyQ', 'KeyE'), close };
}

const DEAD_ZONE = 0.15;
const stick = (v: number | undefined) => (v === undefined || Math.abs(v) < DEAD_ZONE ? 0 : v);

/** Adds a gamepad's sticks to a keyboard input (axes of the standard mapping). */
export function withGamepad(input: TeleopInput, axes: readonly number[]): TeleopInput {
  const [lx, ly, rx, ry] = [stick(axes[0]), stick(axes[1]), stick(axes[2]), stick(axes[3])];
  return {
    move: [input.move[0] - ly, input.move[1] - ry, input.move[2] + lx],
    yaw: input.yaw - rx,
    close: input.close,
  };
}

export const sameInput = (a: TeleopInput, b: TeleopInput) => a.close === b.close && a.yaw === b.yaw && a.move.every((v, i) => v === b.move[i]);

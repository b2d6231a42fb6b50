import { describe, expect, it } from 'vitest';
import { keyboardInput, sameInput, withGamepad } from './teleopInput.ts';

describe('teleoperation input', () => {
  it('maps held keys to world-frame motion, turn and gripper', () => {
    expect(keyboardInput(new Set(['KeyW', 'KeyD', 'KeyR']), true)).toEqual({ move: [1, 1, 1], yaw: 0, close: true });
    expect(keyboardInput(new Set(['KeyS', 'KeyA', 'KeyF', 'KeyE']), false)).toEqual({ move: [-1, -1, -1], yaw: -1, close: false });
    // Opposite keys cancel; other keys do nothing.
    expect(keyboardInput(new Set(['KeyW', 'KeyS', 'KeyQ', 'KeyX']), false)).toEqual({ move: [0, 0, 0], yaw: 1, close: false });
  });

  it('adds gamepad sticks with a dead zone', () => {
    const base = keyboardInput(new Set(), false);
    expect(withGamepad(base, [0.5, -1, 0.1, 0.8])).toEqual({ move: [1, -0.8, 0.5], yaw: 0, close: false });
    expect(withGamepad(base, [0.1, 0.1, 0.1, 0.1])).toEqual({ move: [0, 0, 0], yaw: 0, close: false });
  });

  it('compares inputs', () => {
    expect(sameInput(keyboardInput(new Set(['KeyW']), false), { move: [1, 0, 0], yaw: 0, close: false })).toBe(true);
    expect(sameInput(keyboardInput(new Set(['KeyW']), false), { move: [1, 0, 0], yaw: 0, close: true })).toBe(false);
  });
});

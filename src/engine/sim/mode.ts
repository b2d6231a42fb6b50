/**
 * What the studio's simulation shows at any moment is one *mode*: the open scene playing
 * (SimSession), a teleoperated task episode (TeleopSession) or a policy run
 * (src/browser/policyRun.ts). The simulation host (src/browser/simHost.ts) holds one active mode
 * and drives it through this interface only; the worker file just exposes the host.
 */

/** Where a simulation is: seconds and steps of simulated time, and whether it is running. */
export interface SimStatus {
  time: number;
  steps: number;
  playing: boolean;
}

export interface SimMode {
  /** Which mode this is (for messages and tests). */
  readonly kind: 'scene' | 'teleop' | 'policy';
  /**
   * True while the host should keep calling `tick` with the wall time elapsed. A mode that runs
   * itself (a policy run) is never `playing`: it publishes through the host as it steps.
   */
  readonly playing: boolean;
  /**
   * 7 floats per moving body of the shown world (position, quaternion), or null when this mode
   * simulates nothing now (a kept teleoperation episode, a finished policy run): the last poses
   * sent stay on screen.
   */
  poses(): Float32Array | null;
  status(): SimStatus;
  play(): void;
  pause(): void;
  /** Steps `count` fixed steps whether playing or not. */
  step(count: number): void;
  /** While playing, advances by the wall time elapsed; returns the number of steps taken. */
  tick(elapsedSeconds: number): number;
  /** Back to the start of what this mode shows (the scene's authored state, the episode's first step). */
  reset(): void | Promise<void>;
  dispose(): void;
}

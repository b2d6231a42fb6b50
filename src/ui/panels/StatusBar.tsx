/** The status bar: simulation time and steps, measured steps per second, body count. */
import { useStudio } from '../state/store.ts';

export function StatusBar() {
  const time = useStudio((s) => s.status.time);
  const steps = useStudio((s) => s.status.steps);
  const playing = useStudio((s) => s.status.playing);
  const rate = useStudio((s) => s.stepsPerSecond);
  const moving = useStudio((s) => s.scene?.movingBodies.length ?? 0);
  const bodies = useStudio((s) => s.scene?.bodyCount ?? 0);
  const dt = useStudio((s) => s.scene?.dt ?? null);

  return (
    <footer className="status-bar" data-testid="status-bar">
      <span data-testid="sim-state" data-playing={playing}>
        {playing ? '● playing' : '○ paused'}
      </span>
      <span data-testid="sim-time" data-time={time}>
        t = {time.toFixed(3)} s
      </span>
      <span data-testid="sim-steps" data-steps={steps}>
        {steps} steps
      </span>
      <span data-testid="steps-per-second">{rate === null ? '— steps/s' : `${Math.round(rate)} steps/s`}</span>
      <span data-testid="body-count">
        {moving} moving / {bodies} bodies
      </span>
      {dt !== null && <span className="status-dim">dt = {(dt * 1000).toFixed(2)} ms</span>}
    </footer>
  );
}

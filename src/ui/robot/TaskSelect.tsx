/** A choice among the bundled tasks (the Robot and Policy tabs). */
import { BUNDLED_TASKS } from './teleopStudio.ts';

export function TaskSelect({ label, value, onChange }: { label: string; value: string; onChange: (taskId: string) => void }) {
  return (
    <label>
      Task{' '}
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        {BUNDLED_TASKS.map((t) => (
          <option key={t.id} value={t.id}>
            {t.id}
          </option>
        ))}
      </select>
    </label>
  );
}

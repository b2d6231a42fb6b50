/**
 * A frame's `randomized` record (parameter path → drawn value) as rows of text for the randomize
 * panel: sorted by path, numbers to a readable precision, vectors in brackets. Pure.
 */

const MAX_TEXT = 120;

/** A drawn value as short text: 0.125 → "0.125", [1, 2.5, 3] → "[1, 2.5, 3]", {a: 1} → "{a: 1}". */
export function valueText(value: unknown): string {
  const text = format(value);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

function format(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${format(v)}`).join(', ')}}`;
  return String(value);
}

export function randomizedRows(record: Record<string, unknown> | undefined): { path: string; value: string }[] {
  return Object.keys(record ?? {})
    .sort()
    .map((path) => ({ path, value: valueText(record![path]) }));
}

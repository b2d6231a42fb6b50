/**
 * Deterministic text for every number and JSON document a dataset writer produces, so that the
 * same frame always encodes to the same bytes (on any machine, in any locale, on any worker).
 *
 * - Integers print exactly (ids, pixel counts, boxes).
 * - Other numbers are rounded to 7 significant digits (`toPrecision`, which ECMAScript defines
 *   exactly, then the shortest round-trip form), and |x| < 1e-9 prints as 0: float32 buffers and
 *   single-precision physics carry no more, and rounding hides last-bit differences between
 *   machines (6.1e-17 from a rotation is 0).
 * - JSON object keys are sorted (UTF-16 code-unit order), whatever order the object was built in;
 *   no whitespace; non-finite numbers become null (as in JSON.stringify).
 *
 * Must not: depend on the locale (no toLocaleString / Intl), or on insertion order of keys.
 */

export const SIGNIFICANT_DIGITS = 7;
/** Magnitudes below this are written as 0. */
export const ZERO_SNAP = 1e-9;

/** The value a number is written as (finite input). */
export function roundNumber(x: number): number {
  if (Number.isInteger(x)) return x === 0 ? 0 : x; // -0 → 0
  if (Math.abs(x) < ZERO_SNAP) return 0;
  const r = Number(x.toPrecision(SIGNIFICANT_DIGITS));
  return r === 0 ? 0 : r;
}

/** Text of a finite number, for JSON and for the plain-text formats (YOLO, KITTI). */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot write the non-finite number ${x}`);
  return String(roundNumber(x));
}

/** Canonical JSON: sorted keys, deterministic numbers, no whitespace. */
export function stableStringify(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

function write(value: unknown, out: string[]): void {
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'number':
      out.push(Number.isFinite(value) ? String(roundNumber(value)) : 'null');
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      throw new TypeError('cannot write a bigint as JSON');
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.isArray(value) ? value : Array.from(value as unknown as ArrayLike<number>);
    out.push('[');
    items.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item, out);
    });
    out.push(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined && typeof record[k] !== 'function' && typeof record[k] !== 'symbol')
    .sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(key), ':');
    write(record[key], out);
  });
  out.push('}');
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string. */
export function textBytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** A whole JSON file: canonical JSON, UTF-8, no trailing newline (as Python's json.dump writes). */
export function jsonBytes(value: unknown): Uint8Array {
  return utf8.encode(stableStringify(value));
}

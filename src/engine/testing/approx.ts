/**
 * Test support: structural comparison with a numeric tolerance, for values that went through
 * float32 on one side (USDC stores `float` attributes as float32, USDA text keeps the decimal).
 * Returns the differences as readable lines, so `expect(approxDiff(a, b)).toEqual([])` shows
 * exactly what differs.
 */
export interface Tolerance {
  /** Relative tolerance (default 1e-6: float32 rounding plus some arithmetic). */
  rel?: number;
  /** Absolute tolerance near zero (default 1e-9). */
  abs?: number;
}

export function approxDiff(actual: unknown, expected: unknown, tolerance: Tolerance = {}, path = '$'): string[] {
  const { rel = 1e-6, abs = 1e-9 } = tolerance;
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (Object.is(actual, expected)) return [];
    const ok = Math.abs(actual - expected) <= abs + rel * Math.max(Math.abs(actual), Math.abs(expected));
    return ok ? [] : [`${path}: ${actual} ≉ ${expected}`];
  }
  const isList = (v: unknown) => Array.isArray(v) || ArrayBuffer.isView(v);
  if (isList(actual) && isList(expected)) {
    const a = Array.from(actual as ArrayLike<unknown>);
    const e = Array.from(expected as ArrayLike<unknown>);
    if (a.length !== e.length) return [`${path}: length ${a.length} ≠ ${e.length}`];
    return a.flatMap((v, i) => approxDiff(v, e[i], tolerance, `${path}[${i}]`));
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object' && !isList(actual) && !isList(expected)) {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(e)])];
    return keys.flatMap((k) => {
      if (!(k in a)) return [`${path}.${k}: missing (expected ${JSON.stringify(e[k])})`];
      if (!(k in e)) return [`${path}.${k}: unexpected ${JSON.stringify(a[k])}`];
      return approxDiff(a[k], e[k], tolerance, `${path}.${k}`);
    });
  }
  return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`];
}

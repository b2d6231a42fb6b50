import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/usda.ts';
import { formatNumber, jsonBytes, roundNumber, stableStringify } from './json.ts';

describe('numbers are written the same way everywhere', () => {
  it('keeps integers exact, whatever their size', () => {
    expect(formatNumber(12345678)).toBe('12345678');
    expect(formatNumber(2 ** 40)).toBe('1099511627776');
    expect(formatNumber(-3)).toBe('-3');
    expect(formatNumber(-0)).toBe('0');
  });

  it('rounds other numbers to 7 significant digits', () => {
    expect(formatNumber(1 / 3)).toBe('0.3333333');
    expect(formatNumber(123.456789)).toBe('123.4568');
    expect(formatNumber(1234567.5)).toBe('1234568');
    expect(formatNumber(-2.5e-7)).toBe('-2.5e-7');
    // a float32 value prints as the decimal it was meant to be
    expect(formatNumber(Math.fround(0.1))).toBe('0.1');
    expect(formatNumber(Math.fround(0.3))).toBe('0.3');
  });

  it('writes floating-point noise around zero as 0', () => {
    expect(formatNumber(Math.cos(Math.PI / 2))).toBe('0');
    expect(formatNumber(-1e-12)).toBe('0');
    expect(roundNumber(1e-9)).toBe(1e-9);
  });

  it('refuses non-finite numbers in text formats', () => {
    expect(() => formatNumber(Number.NaN)).toThrow(/non-finite/);
    expect(() => formatNumber(Infinity)).toThrow(/non-finite/);
  });
});

describe('stableStringify', () => {
  it('sorts keys, so the order an object was built in does not matter', () => {
    const a = stableStringify({ b: 1, a: { d: [1, 2], c: 'x' } });
    const b = stableStringify({ a: { c: 'x', d: [1, 2] }, b: 1 });
    expect(a).toBe('{"a":{"c":"x","d":[1,2]},"b":1}');
    expect(b).toBe(a);
  });

  it('follows JSON for what JSON cannot hold', () => {
    expect(stableStringify({ a: undefined, b: Number.NaN, c: [undefined, Infinity] })).toBe('{"b":null,"c":[null,null]}');
    expect(stableStringify(new Float32Array([0.5, 0.1]))).toBe('[0.5,0.1]');
    expect(stableStringify('quote " and \\ and \n and é')).toBe(JSON.stringify('quote " and \\ and \n and é'));
    expect(() => stableStringify({ big: 1n })).toThrow(/bigint/);
  });

  it('round-trips through JSON.parse to the rounded values (fuzz)', () => {
    const random = seededRandom(7);
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.3) return Math.round((random() - 0.5) * 1e6) / 997;
      if (r < 0.4) return random() < 0.5;
      if (r < 0.5) return `s${Math.floor(random() * 100)}`;
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${Math.floor(random() * 50)}_${i}`, value(depth + 1)]));
    };
    const round = (v: unknown): unknown =>
      typeof v === 'number' ? roundNumber(v) : Array.isArray(v) ? v.map(round) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v;
    for (let i = 0; i < 200; i++) {
      const v = value(0);
      expect(JSON.parse(stableStringify(v))).toEqual(round(v));
    }
  });

  it('encodes files as UTF-8 without a trailing newline', () => {
    expect(Array.from(jsonBytes({ é: 1 }))).toEqual([...new TextEncoder().encode('{"é":1}')]);
  });
});

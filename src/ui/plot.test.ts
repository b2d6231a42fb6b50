import { describe, expect, it } from 'vitest';
import { plotLines } from './plot.ts';

describe('plot lines', () => {
  it('scales plot lines into the box, one per dimension', () => {
    const lines = plotLines([
      [0, 1],
      [2, 3],
    ], 100, 10);
    expect(lines).toEqual(['0.0,10.0 100.0,3.3', '0.0,6.7 100.0,0.0']);
  });
});

import { describe, expect, it } from 'vitest';
import { lineChartSvg, plotLines } from './plot.ts';

describe('plot lines', () => {
  it('scales plot lines into the box, one per dimension', () => {
    const lines = plotLines([
      [0, 1],
      [2, 3],
    ], 100, 10);
    expect(lines).toEqual(['0.0,10.0 100.0,3.3', '0.0,6.7 100.0,0.0']);
  });
});

describe('line charts as standalone SVG', () => {
  it('draws each series on a shared 0-based axis, skipping values that are not numbers', () => {
    const svg = lineChartSvg('latency', 'ms', [
      { name: 'round trip', colour: '#06c', values: [2, 4, 8] },
      { name: 'server <own>', colour: '#c60', values: [1, Number.NaN, 4] },
    ], 148, 128);
    // Plot area: x from 48 to 136, y from 28 (8 ms) to 100 (0 ms).
    expect(svg).toContain('points="48.0,82.0 92.0,64.0 136.0,28.0"');
    expect(svg).toContain('points="48.0,91.0 136.0,64.0"');
    expect(svg).toContain('server &lt;own&gt;');
    expect(svg).toContain('>3 requests<');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const samples = lineChartSvg('memory', 'MB', [{ name: 'RSS', colour: '#06c', values: [5] }], 148, 128, { one: 'sample', many: 'samples' });
    expect(samples).toContain('>1 sample<');
    expect(samples).not.toContain('request');
  });
});

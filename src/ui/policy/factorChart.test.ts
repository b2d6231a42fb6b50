import { describe, expect, it } from 'vitest';
import { type FactorBin, factorBreakdown } from '../../engine/eval/factors.ts';
import { wilsonInterval } from '../../engine/eval/stats.ts';
import { binName, chartFactors, FACTOR_CHART, factorBars, factorName, rateSpread, shortLabel } from './factorChart.ts';

describe('factor names a person reads', () => {
  it('names a prim attribute by the prim, the attribute and the axis', () => {
    expect(factorName('/World/Cube:position.x')).toBe('Cube position x');
    expect(factorName('/World/Objects/RedCube:position.z')).toBe('RedCube position z');
    expect(factorName('/World/Sun:intensity')).toBe('Sun intensity');
    expect(factorName('/World/SceneCamera:look_at.y')).toBe('SceneCamera look at y');
  });

  it('says colour for a palette draw, and r g b for a colour`s channels', () => {
    expect(factorName('/World/Objects/Cube2:palette')).toBe('Cube2 colour');
    expect(factorName('/World/Sun:color.y')).toBe('Sun colour g');
  });

  it('drops the "task" owner, keeps indices and odd keys readable', () => {
    expect(factorName('task:target')).toBe('target');
    expect(factorName('task:goal.x')).toBe('goal x');
    expect(factorName('distractors[0]:count')).toBe('distractors[0] count');
    expect(factorName('/World/Cube:rotation[2]')).toBe('Cube rotation [2]');
    expect(factorName('mass_scale')).toBe('mass scale');
  });

  it('names a bin whose category is a prim by the prim, and cuts long labels with an ellipsis', () => {
    expect(binName({ label: '/World/Objects/Cube2', value: '/World/Objects/Cube2' })).toBe('Cube2');
    expect(binName({ label: 'red', value: 'red' })).toBe('red');
    expect(binName({ label: '0.1–0.2' })).toBe('0.1–0.2');
    expect(shortLabel('0.123–0.456', 11)).toBe('0.123–0.456');
    expect(shortLabel('0.1234–0.4567', 11)).toBe('0.1234–0.4…');
  });
});

/** Eight episodes: the policy solves those with the cube on the right (x > 0), whatever the light. */
const episodes = [-0.2, -0.15, -0.1, -0.05, 0.05, 0.1, 0.15, 0.2].map((x, i) => ({
  success: x > 0,
  outcome: x > 0 ? 'success' : 'never_reached',
  factors: { '/World/Cube:position': [x, 0.8, 0.1 * (i % 2)], '/World/Sun:intensity': 1.5 + (i % 4) * 0.5, 'task:target': i % 2 ? '/World/Objects/A' : '/World/Objects/B' },
}));

describe('which factors the chart shows', () => {
  it('puts the factor that decides success first, and ones that do not matter after it', () => {
    const breakdown = factorBreakdown(episodes);
    const { shown, total } = chartFactors(breakdown);
    expect(total).toBe(breakdown.length);
    expect(shown[0]!.name).toBe('Cube position x');
    // Left half all fail, right half all succeed.
    expect(shown[0]!.spread).toBe(1);
    // The light alternates over both halves: every bin half solved.
    const light = shown.find((f) => f.name === 'Sun intensity')!;
    expect(light.spread).toBe(0);
    expect(shown.map((f) => f.spread)).toEqual([...shown.map((f) => f.spread)].sort((a, b) => b - a));
  });

  it('shows the first few until asked for all, keeping the breakdown`s order among equals', () => {
    const breakdown = factorBreakdown(episodes);
    const few = chartFactors(breakdown, { limit: 2 });
    expect(few.shown).toHaveLength(2);
    expect(few.total).toBe(breakdown.length);
    expect(chartFactors(breakdown, { limit: 2, all: true }).shown).toHaveLength(breakdown.length);
    const ties = chartFactors(breakdown).shown.filter((f) => f.spread === 0).map((f) => f.factor.factor);
    expect(ties).toEqual(breakdown.filter((f) => rateSpread(f) === 0).map((f) => f.factor));
  });
});

const bin = (successes: number, episodes: number, label: string): FactorBin => ({
  label,
  episodes,
  successes,
  success_rate: successes / episodes,
  ci95: wilsonInterval(successes, episodes),
  outcomes: {},
});

describe('the bars of one factor', () => {
  const { plot, top } = FACTOR_CHART;
  const bottom = top + plot;
  const bins = [bin(0, 4, '-0.2–-0.1'), bin(2, 4, '-0.05–0.05'), bin(4, 4, '0.1–0.2')];
  const g = factorBars(bins, 0.5);

  it('draws each bar as tall as its success rate, from the 0% line', () => {
    expect(g.bars.map((b) => b.height)).toEqual([0, plot / 2, plot]);
    for (const b of g.bars) expect(b.y + b.height).toBeCloseTo(bottom, 5);
    expect(g.grid.map((l) => l.y)).toEqual([top, top + plot / 2, bottom]);
  });

  it('draws the Wilson interval as a whisker spanning the bar`s rate', () => {
    g.bars.forEach((b, i) => {
      const [lo, hi] = bins[i]!.ci95;
      expect(b.whisker.top).toBeCloseTo(bottom - hi * plot, 1);
      expect(b.whisker.bottom).toBeCloseTo(bottom - lo * plot, 1);
      expect(b.whisker.top).toBeLessThanOrEqual(b.y);
      expect(b.whisker.bottom).toBeGreaterThanOrEqual(b.y);
    });
    // 0 of 4 still leaves room for a rate up to ~49%: the whisker says so.
    expect(g.bars[0]!.whisker.top).toBeLessThan(bottom - 0.4 * plot);
  });

  it('keeps the bars apart and inside the chart, with the run`s overall rate as a reference line', () => {
    g.bars.forEach((b, i) => {
      expect(b.centre - (g.plot.left + i * g.slot)).toBeCloseTo(g.slot / 2, 1);
      if (i > 0) expect(b.x).toBeGreaterThan(g.bars[i - 1]!.x + g.bars[i - 1]!.width);
      expect(b.x + b.width).toBeLessThanOrEqual(g.width);
    });
    expect(g.countY).toBeLessThanOrEqual(g.height);
    expect(g.reference).toBe(top + plot / 2);
    expect(factorBars(bins).reference).toBeNull();
  });

  it('makes room for the longest bin label, and cuts only labels too long for the widest slot', () => {
    const short = factorBars([bin(1, 2, 'red'), bin(2, 2, 'blue')]);
    expect(short.slot).toBe(FACTOR_CHART.minSlot);
    const negative = factorBars([bin(1, 2, '-0.2–-0.113'), bin(2, 2, '-0.0957–-0.0103')]);
    expect(negative.bars.map((b) => b.label)).toEqual(['-0.2–-0.113', '-0.0957–-0.0103']);
    expect(negative.slot).toBeGreaterThanOrEqual('-0.0957–-0.0103'.length * FACTOR_CHART.charWidth);
    const long = factorBars([bin(1, 2, 'a'.repeat(40)), bin(2, 2, 'b')]);
    expect(long.slot).toBeLessThanOrEqual(FACTOR_CHART.maxSlot);
    expect(long.bars[0]!.label).toMatch(/^a+…$/);
    expect(long.bars[0]!.label.length * FACTOR_CHART.charWidth).toBeLessThanOrEqual(FACTOR_CHART.maxSlot);
    expect(long.bars[0]!.fullLabel).toBe('a'.repeat(40));
  });

  it('labels each bar with its bin, its episode count, and the whole story in a tooltip', () => {
    expect(g.bars.map((b) => b.count)).toEqual(['n=4', 'n=4', 'n=4']);
    expect(g.bars[1]!.label).toBe('-0.05–0.05');
    expect(g.bars[2]!.title).toMatch(/^0\.1–0\.2: 4 of 4 succeeded, 100\.0% \(95% CI 51\.\d%–100\.0%\)$/);
  });
});

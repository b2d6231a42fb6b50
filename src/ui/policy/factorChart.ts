/**
 * The "where does the policy fail" chart, as numbers: which factors of an evaluation's breakdown
 * (engine/eval/factors.ts) to draw and in what order, what to call them, and where each bar, whisker
 * and label goes. FactorChart.tsx draws what this returns; nothing here knows React or the DOM.
 *
 * Factors are ordered by the spread of their bins' success rates (largest first): a factor whose
 * bins all succeed about as often says little about where the policy fails. The spread is of point
 * estimates, so with few episodes it is a hint; every bar carries its Wilson interval to say so.
 */
import type { FactorBin, FactorBreakdown } from '../../engine/eval/factors.ts';

/** Factors the chart shows before "show all". */
export const FACTORS_SHOWN = 8;

/** Sizes of one factor's chart (SVG user units = CSS pixels). */
export const FACTOR_CHART = {
  /** Horizontal room per bin: wide enough for the longest bin label, within these bounds. */
  minSlot: 48,
  maxSlot: 96,
  /** About how wide one character of a 9-pixel label is, and the room kept between labels. */
  charWidth: 5.4,
  labelGap: 8,
  /** Share of the slot the bar fills, up to a width. */
  bar: 0.5,
  maxBar: 30,
  /** Height of the 0–100% range. */
  plot: 56,
  /** Room left of the plot for the axis labels. */
  left: 30,
  top: 6,
  /** Room below the plot for a bin's label and episode count. */
  below: 28,
  /** Half the width of a whisker's caps. */
  cap: 5,
} as const;

/** Attribute names as a person says them. */
const ATTRIBUTE_WORDS: Record<string, string> = { palette: 'colour', color: 'colour', look_at: 'look at', fov: 'field of view' };
/** A colour's components are its channels, not axes. */
const CHANNELS: Record<string, string> = { x: 'r', y: 'g', z: 'b' };

/** The last segment of a prim path ("/World/Objects/Cube" → "Cube"); anything else unchanged. */
const primName = (path: string): string => (path.startsWith('/') ? path.slice(path.lastIndexOf('/') + 1) || path : path);

/**
 * A factor key in words: "/World/Cube:position.x" → "Cube position x", "task:target" → "target",
 * "/World/Objects/Cube2:palette" → "Cube2 colour", "/World/Sun:color.y" → "Sun colour g".
 */
export function factorName(key: string): string {
  const colon = key.lastIndexOf(':');
  if (colon < 0) return key.replace(/_/g, ' ');
  const owner = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  const parts = /^([A-Za-z_][A-Za-z0-9_]*)(?:\.([xyz])|\[(\d+)\])?$/.exec(rest);
  if (!parts) return `${primName(owner)} ${rest}`;
  const [, attribute = rest, axis, index] = parts;
  const word = ATTRIBUTE_WORDS[attribute] ?? attribute.replace(/_/g, ' ');
  const component = axis !== undefined ? (word === 'colour' ? CHANNELS[axis]! : axis) : index !== undefined ? `[${index}]` : '';
  return [owner === 'task' ? '' : primName(owner), word, component].filter((s) => s !== '').join(' ');
}

/** A bin's label in words: a category that is a prim path by its name ("/World/Objects/Cube2" → "Cube2"). */
export const binName = (bin: Pick<FactorBin, 'label' | 'value'>): string => (typeof bin.value === 'string' ? primName(bin.value) : bin.label);

/** Largest minus smallest success rate over a factor's bins. */
export function rateSpread(factor: FactorBreakdown): number {
  const rates = factor.bins.map((b) => b.success_rate);
  return rates.length ? Math.max(...rates) - Math.min(...rates) : 0;
}

export interface ChartFactor {
  factor: FactorBreakdown;
  name: string;
  spread: number;
}

/**
 * The factors to draw, largest spread first (ties keep the breakdown's order): the first `limit`,
 * or all of them; `total` says how many there are.
 */
export function chartFactors(breakdown: readonly FactorBreakdown[], options: { limit?: number; all?: boolean } = {}): { shown: ChartFactor[]; total: number } {
  const limit = options.limit ?? FACTORS_SHOWN;
  const ranked = breakdown
    .map((factor, order) => ({ factor, name: factorName(factor.factor), spread: rateSpread(factor), order }))
    .sort((a, b) => b.spread - a.spread || a.order - b.order)
    .map(({ factor, name, spread }) => ({ factor, name, spread }));
  return { shown: options.all ? ranked : ranked.slice(0, limit), total: ranked.length };
}

/** A label cut to `max` characters, an ellipsis marking the cut. */
export const shortLabel = (label: string, max: number): string => (label.length <= max ? label : `${label.slice(0, Math.max(1, max - 1))}…`);

export interface BinBar {
  /** The bar: its left edge, width, top and height. */
  x: number;
  width: number;
  y: number;
  height: number;
  /** The bar's centre line, where the whisker, label and count sit. */
  centre: number;
  /** The Wilson interval as a vertical line: y of the upper and of the lower bound. */
  whisker: { top: number; bottom: number };
  label: string;
  fullLabel: string;
  /** "n=3": the bin's episodes. */
  count: string;
  /** The whole story, for a tooltip: "0.1–0.2: 2 of 3 succeeded, 66.7% (95% CI 20.8%–93.9%)". */
  title: string;
}

export interface FactorChartGeometry {
  width: number;
  /** Horizontal room per bin. */
  slot: number;
  height: number;
  /** The plot's edges (0% at bottom, 100% at top). */
  plot: { left: number; right: number; top: number; bottom: number };
  /** Horizontal guides with their labels. */
  grid: Array<{ y: number; label: string }>;
  /** y of the run's overall success rate (a dashed line), or null when not given. */
  reference: number | null;
  labelY: number;
  countY: number;
  bars: BinBar[];
}

const round = (v: number) => Math.round(v * 10) / 10;
/** A rate as the Policy tab writes it: "66.7%". */
export const percent = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** Where one factor's bars go: a bar per bin (its success rate) with its 95% interval as a whisker. */
export function factorBars(bins: readonly FactorBin[], overallRate: number | null = null): FactorChartGeometry {
  const { minSlot, maxSlot, charWidth, labelGap, bar, maxBar, plot, left, top, below } = FACTOR_CHART;
  const names = bins.map(binName);
  const longest = Math.max(0, ...names.map((n) => n.length));
  // Labels longer than the widest slot holds are cut; the whole label is the bar's tooltip.
  const labelChars = Math.min(longest, Math.floor((maxSlot - labelGap) / charWidth));
  const slot = Math.min(maxSlot, Math.max(minSlot, Math.ceil(labelChars * charWidth) + labelGap));
  const bottom = top + plot;
  const y = (rate: number) => round(bottom - Math.min(1, Math.max(0, rate)) * plot);
  const right = left + bins.length * slot;
  const bars = bins.map((bin, i): BinBar => {
    const centre = round(left + (i + 0.5) * slot);
    const width = round(Math.min(slot * bar, maxBar));
    const barTop = y(bin.success_rate);
    const name = names[i]!;
    return {
      x: round(centre - width / 2),
      width,
      y: barTop,
      height: round(bottom - barTop),
      centre,
      whisker: { top: y(bin.ci95[1]), bottom: y(bin.ci95[0]) },
      label: shortLabel(name, labelChars),
      fullLabel: name,
      count: `n=${bin.episodes}`,
      title: `${name}: ${bin.successes} of ${bin.episodes} succeeded, ${percent(bin.success_rate)} (95% CI ${percent(bin.ci95[0])}–${percent(bin.ci95[1])})`,
    };
  });
  return {
    width: right + 4,
    slot,
    height: bottom + below,
    plot: { left, right, top, bottom },
    grid: [
      { y: y(1), label: '100%' },
      { y: y(0.5), label: '50%' },
      { y: y(0), label: '0%' },
    ],
    reference: overallRate === null ? null : y(overallRate),
    labelY: bottom + 12,
    countY: bottom + 23,
    bars,
  };
}

/** Small drawing helpers: SVG polylines for the studio's panels and the pictures the CLI writes (DOM-free). */

/** The SVG polyline points of each column of `rows`, scaled into width × height (shared y range). */
export function plotLines(rows: readonly number[][], width: number, height: number): string[] {
  const columns = rows[0]?.length ?? 0;
  const values = rows.flat();
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const x = (t: number) => (rows.length > 1 ? (t / (rows.length - 1)) * width : width / 2);
  const y = (v: number) => height - ((v - lo) / span) * height;
  return Array.from({ length: columns }, (_, j) => rows.map((r, t) => `${x(t).toFixed(1)},${y(r[j]!).toFixed(1)}`).join(' '));
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** What a chart's x axis counts, as "1 <one>" or "N <many>". */
export interface ChartCount {
  one: string;
  many: string;
}

/**
 * A standalone SVG line chart: each series over its own index (gaps where a value is not finite),
 * one shared y axis from 0 to the largest value, labelled with its unit, the number of points
 * under the x axis (`count` says of what), and a legend.
 */
export function lineChartSvg(
  title: string,
  unit: string,
  series: readonly { name: string; colour: string; values: readonly number[] }[],
  width = 640,
  height = 240,
  count: ChartCount = { one: 'request', many: 'requests' },
): string {
  const pad = { left: 48, right: 12, top: 28, bottom: 28 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const hi = Math.max(1e-9, ...finite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const x = (i: number) => pad.left + (n > 1 ? (i / (n - 1)) * w : w / 2);
  const y = (v: number) => pad.top + h - (v / hi) * h;
  const lines = series.map((s) => {
    const points = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null)).filter((p): p is string => p !== null);
    return `<polyline fill="none" stroke="${s.colour}" stroke-width="1" points="${points.join(' ')}"><title>${escapeXml(s.name)}</title></polyline>`;
  });
  const legend = series.map((s, i) => `<text x="${pad.left + 8 + i * 180}" y="${pad.top - 10}" fill="${s.colour}" font-size="12">${escapeXml(s.name)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${pad.left}" y="14" font-size="13">${escapeXml(title)}</text>`,
    `<line x1="${pad.left}" y1="${pad.top + h}" x2="${pad.left + w}" y2="${pad.top + h}" stroke="#888"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + h}" stroke="#888"/>`,
    `<text x="${pad.left - 4}" y="${pad.top + 4}" font-size="11" text-anchor="end">${Number(hi.toPrecision(3))}</text>`,
    `<text x="${pad.left - 4}" y="${pad.top + h}" font-size="11" text-anchor="end">0</text>`,
    `<text x="4" y="${pad.top + h / 2}" font-size="11">${escapeXml(unit)}</text>`,
    `<text x="${pad.left + w}" y="${height - 8}" font-size="11" text-anchor="end">${n} ${escapeXml(n === 1 ? count.one : count.many)}</text>`,
    ...lines,
    ...legend,
    '</svg>',
  ].join('\n');
}

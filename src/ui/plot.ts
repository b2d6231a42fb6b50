/** Small drawing helpers of the studio's panels. */

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

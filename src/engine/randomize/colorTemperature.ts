/**
 * Colour temperature (kelvin) → linear-sRGB light colour, normalised so the largest channel is 1
 * (intensity stays a separate parameter).
 *
 * The chromaticity of a blackbody at T comes from the cubic-spline fit of the Planckian locus in
 * CIE 1931 xy by Kim et al., "Design of advanced color temperature control system for HDTV
 * applications", Journal of the Korean Physical Society 41(6), 865–871 (2002), valid for
 * 1667 K ≤ T ≤ 25000 K (as tabulated in Wikipedia's "Planckian locus" article). xyY (Y = 1) goes to
 * XYZ and then to linear sRGB with the standard D65 matrix (IEC 61966-2-1).
 */
import type { Vec3 } from './draw.ts';

export const MIN_TEMPERATURE = 1667;
export const MAX_TEMPERATURE = 25000;

/** CIE 1931 chromaticity (x, y) of a blackbody at `kelvin` (clamped to the fit's range). */
export function planckianXy(kelvin: number): [number, number] {
  const t = Math.min(MAX_TEMPERATURE, Math.max(MIN_TEMPERATURE, kelvin));
  const t1 = 1e3 / t;
  const t2 = t1 * t1;
  const t3 = t2 * t1;
  const x = t <= 4000 ? -0.2661239 * t3 - 0.234358 * t2 + 0.8776956 * t1 + 0.17991 : -3.0258469 * t3 + 2.1070379 * t2 + 0.2226347 * t1 + 0.24039;
  const x2 = x * x;
  const x3 = x2 * x;
  const y =
    t <= 2222
      ? -1.1063814 * x3 - 1.3481102 * x2 + 2.18555832 * x - 0.20219683
      : t <= 4000
        ? -0.9549476 * x3 - 1.37418593 * x2 + 2.09137015 * x - 0.16748867
        : 3.081758 * x3 - 5.8733867 * x2 + 3.75112997 * x - 0.37001483;
  return [x, y];
}

/** Linear-sRGB colour of a blackbody at `kelvin`, brightest channel 1. */
export function kelvinToLinearRgb(kelvin: number): Vec3 {
  const [x, y] = planckianXy(kelvin);
  const X = x / y;
  const Z = (1 - x - y) / y;
  const rgb = [
    3.2404542 * X - 1.5371385 - 0.4985314 * Z,
    -0.969266 * X + 1.8760108 + 0.041556 * Z,
    0.0556434 * X - 0.2040259 + 1.0572252 * Z,
  ].map((c) => Math.max(0, c));
  const max = Math.max(...rgb);
  return rgb.map((c) => c / max) as Vec3;
}

/**
 * State and action normalisation with LeRobot's formulas (normalize_processor.py; eps = 1e-8 in
 * the denominator keeps a constant dimension finite), so a graph trained in normalised space gets
 * the numbers it was trained on and its actions come back in SI units:
 *   mean_std:  (x − mean) / (std + eps)
 *   min_max:   2 (x − min) / (max − min + eps) − 1
 *   quantiles: 2 (x − q01) / (q99 − q01 + eps) − 1
 *   identity:  x
 * The inverse (for actions) undoes each exactly. Stats come inline from the manifest or from a
 * LeRobot `meta/stats.json` (feature → {mean, std, min, max, q01, …, q99}).
 */
export const NORMALIZATION_EPS = 1e-8;

export type NormalizationMode = 'identity' | 'mean_std' | 'min_max' | 'quantiles';

/** What a mode needs, per dimension. */
export const STATS_FOR_MODE: Record<NormalizationMode, readonly string[]> = {
  identity: [],
  mean_std: ['mean', 'std'],
  min_max: ['min', 'max'],
  quantiles: ['q01', 'q99'],
};

export interface Normalizer {
  readonly mode: NormalizationMode;
  readonly dim: number;
  normalize(x: ArrayLike<number>, out?: Float32Array): Float32Array;
  denormalize(y: ArrayLike<number>, out?: Float64Array): Float64Array;
}

/**
 * A normaliser over `dim` values from stats (arrays of length `dim` under the names the mode
 * needs). Throws naming the missing or malformed statistic (the caller prefixes the field).
 */
export function makeNormalizer(mode: NormalizationMode, stats: Record<string, readonly number[] | undefined>, dim: number): Normalizer {
  const need = STATS_FOR_MODE[mode];
  const vectors = need.map((name) => {
    const v = stats[name];
    if (!v) throw new Error(`${mode} normalisation needs "${name}"`);
    if (v.length !== dim) throw new Error(`"${name}" has ${v.length} values; expected ${dim}`);
    if (!v.every(Number.isFinite)) throw new Error(`"${name}" has a value that is not a finite number`);
    return v;
  });
  // normalised = (x − low) · scale + shift
  const low = new Float64Array(dim);
  const scale = new Float64Array(dim).fill(1);
  let shift = 0;
  if (mode === 'mean_std') {
    const [mean, std] = vectors as [readonly number[], readonly number[]];
    for (let i = 0; i < dim; i++) {
      if (std[i]! < 0) throw new Error(`"std"[${i}] is negative (${std[i]})`);
      low[i] = mean[i]!;
      scale[i] = 1 / (std[i]! + NORMALIZATION_EPS);
    }
  } else if (mode === 'min_max' || mode === 'quantiles') {
    const [lo, hi] = vectors as [readonly number[], readonly number[]];
    const [loName, hiName] = need as [string, string];
    for (let i = 0; i < dim; i++) {
      if (hi[i]! < lo[i]!) throw new Error(`"${hiName}"[${i}] (${hi[i]}) is below "${loName}"[${i}] (${lo[i]})`);
      low[i] = lo[i]!;
      scale[i] = 2 / (hi[i]! - lo[i]! + NORMALIZATION_EPS);
    }
    shift = -1;
  }
  return {
    mode,
    dim,
    normalize(x, out = new Float32Array(dim)) {
      if (x.length !== dim) throw new RangeError(`normalize: ${x.length} values; expected ${dim}`);
      for (let i = 0; i < dim; i++) out[i] = (x[i]! - low[i]!) * scale[i]! + shift;
      return out;
    },
    denormalize(y, out = new Float64Array(dim)) {
      if (y.length !== dim) throw new RangeError(`denormalize: ${y.length} values; expected ${dim}`);
      for (let i = 0; i < dim; i++) out[i] = (y[i]! - shift) / scale[i]! + low[i]!;
      return out;
    },
  };
}

/**
 * One feature's statistics from a LeRobot `meta/stats.json` (parsed): `{ "<feature>": { "mean":
 * [...], "std": [...], "q01": [...], ... } }`. Throws naming the feature when it is not there.
 */
export function statsFromLeRobot(statsJson: unknown, feature: string): Record<string, number[]> {
  if (typeof statsJson !== 'object' || statsJson === null) throw new Error('stats.json is not a JSON object');
  const entry = (statsJson as Record<string, unknown>)[feature];
  if (typeof entry !== 'object' || entry === null) {
    const known = Object.keys(statsJson).slice(0, 8).join(', ');
    throw new Error(`stats.json has no feature "${feature}" (it has ${known || 'none'})`);
  }
  const out: Record<string, number[]> = {};
  for (const [name, value] of Object.entries(entry as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'number')) out[name] = value as number[];
  }
  return out;
}

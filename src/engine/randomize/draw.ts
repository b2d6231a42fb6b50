/**
 * Counter-based random draws. Every value is a pure function of (seed, index, path): a hash of the
 * three, never a position in a shared stream, so frame i comes out the same on any worker, in any
 * order, on any machine. `path` names the parameter ("/World/Objects/RedCube:color[1]"); vector
 * components use sub-paths `[k]`, retries append `#k`.
 *
 * Owns the distribution types and their sampling (the hash is ../hash.ts). Knows nothing of scenes
 * or specs.
 */
import { hash64 } from '../hash.ts';

export type Vec3 = [number, number, number];

/** Whether a parameter changes every frame or once per sequence (index = floor(frame / length)). */
export type Per = 'frame' | 'sequence';

export type Distribution<T> =
  | { kind: 'constant'; value: T; per: Per }
  | { kind: 'uniform'; min: T; max: T; per: Per }
  /** Normal, truncated to [min, max] where given (null: unbounded on that side). */
  | { kind: 'normal'; mean: T; std: T; min: T | null; max: T | null; per: Per }
  /** One of `values`, with probability proportional to `weights` (equal when null). */
  | { kind: 'choice'; values: T[]; weights: number[] | null; per: Per }
  /** values[index mod n]: cycles through the list in order. */
  | { kind: 'sequence'; values: T[]; per: Per };

export const DISTRIBUTION_KINDS = ['constant', 'uniform', 'normal', 'choice', 'sequence'] as const;

/** What a draw depends on besides its path. */
export interface DrawContext {
  /** Non-negative integer below 2^53. */
  seed: number;
  /** Frame index, non-negative integer below 2^53. */
  frame: number;
  /** Frames per sequence (≥ 1), for parameters drawn per sequence. */
  sequenceLength: number;
}

/** The counter a draw uses: the frame, or the sequence the frame belongs to. */
export function drawIndex(ctx: DrawContext, per: Per): number {
  return per === 'sequence' ? Math.floor(ctx.frame / ctx.sequenceLength) : ctx.frame;
}

/** A float in [0, 1) with 53 random bits: the basis of every draw. */
export function unit(seed: number, index: number, path: string): number {
  const [a, b] = hash64(seed, index, path);
  return ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;
}

/** A float in (0, 1): `unit` shifted by half a step, for inverse CDFs that diverge at 0. */
function openUnit(seed: number, index: number, path: string): number {
  return unit(seed, index, path) + 2 ** -54;
}

// ------------------------------------------------------------------ scalar sampling

export function uniform(seed: number, index: number, path: string, min: number, max: number): number {
  return min + (max - min) * unit(seed, index, path);
}

/** An integer in [min, max], both inclusive. */
export function uniformInt(seed: number, index: number, path: string, min: number, max: number): number {
  const lo = Math.ceil(min);
  const hi = Math.floor(max);
  if (hi <= lo) return lo;
  return Math.min(hi, lo + Math.floor(unit(seed, index, path) * (hi - lo + 1)));
}

/**
 * Standard normal CDF Φ(x) via the complementary error function of Numerical Recipes in C (2nd
 * ed., §6.2, `erfcc`: Chebyshev fit, fractional error below 1.2e-7 everywhere), which keeps its
 * relative accuracy far into the tails where 1 − Φ would cancel.
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * Inverse standard normal CDF Φ⁻¹(p) for p in (0, 1): Peter J. Acklam's rational approximation
 * (2003, "An algorithm for computing the inverse normal cumulative distribution function"),
 * relative error below 1.15e-9.
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * A normal draw truncated to [min, max] by inverse-CDF sampling: one hash per draw, no rejection
 * loop, exact bounds. Truncations in the upper tail are mirrored into the lower one, where Φ keeps
 * its relative precision.
 */
export function normal(seed: number, index: number, path: string, mean: number, std: number, min = -Infinity, max = Infinity): number {
  const clamp = (x: number) => Math.min(max, Math.max(min, x));
  if (!(std > 0)) return clamp(mean);
  let a = (min - mean) / std;
  let b = (max - mean) / std;
  const mirrored = a > 0;
  if (mirrored) [a, b] = [-b, -a];
  const pa = normalCdf(a);
  const pb = normalCdf(b);
  if (!(pb > pa)) return clamp(mean + std * (mirrored ? -(a + b) / 2 : (a + b) / 2));
  const z = normalQuantile(pa + (pb - pa) * openUnit(seed, index, path));
  return clamp(mean + std * (mirrored ? -z : z));
}

/** An index into `weights` with probability proportional to its weight (equal weights when null). */
export function choiceIndex(seed: number, index: number, path: string, count: number, weights: readonly number[] | null): number {
  if (count <= 1) return 0;
  const u = unit(seed, index, path);
  if (!weights) return Math.min(count - 1, Math.floor(u * count));
  const total = weights.reduce((s, w) => s + w, 0);
  let target = u * total;
  for (let i = 0; i < count; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  // Rounding left a sliver at the end: the last option with weight.
  for (let i = count - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return count - 1;
}

// ------------------------------------------------------------------ distributions

/**
 * A number from a distribution. `integer` rounds continuous draws (uniform draws each integer of
 * [min, max] with equal probability).
 */
export function drawNumber(dist: Distribution<number>, ctx: DrawContext, path: string, integer = false): number {
  const i = drawIndex(ctx, dist.per);
  switch (dist.kind) {
    case 'constant':
      return dist.value;
    case 'uniform':
      return integer ? uniformInt(ctx.seed, i, path, dist.min, dist.max) : uniform(ctx.seed, i, path, dist.min, dist.max);
    case 'normal': {
      const x = normal(ctx.seed, i, path, dist.mean, dist.std, dist.min ?? -Infinity, dist.max ?? Infinity);
      if (!integer) return x;
      // Round, staying inside the integer range the bounds allow.
      return Math.min(Math.floor(dist.max ?? Infinity), Math.max(Math.ceil(dist.min ?? -Infinity), Math.round(x)));
    }
    case 'choice':
      return dist.values[choiceIndex(ctx.seed, i, path, dist.values.length, dist.weights)]!;
    case 'sequence':
      return dist.values[i % dist.values.length]!;
  }
}

/** A vector: continuous kinds draw each component independently from sub-paths `path[k]`. */
export function drawVec3(dist: Distribution<Vec3>, ctx: DrawContext, path: string): Vec3 {
  const i = drawIndex(ctx, dist.per);
  switch (dist.kind) {
    case 'constant':
      return [...dist.value];
    case 'uniform':
      return [0, 1, 2].map((k) => uniform(ctx.seed, i, `${path}[${k}]`, dist.min[k]!, dist.max[k]!)) as Vec3;
    case 'normal':
      return [0, 1, 2].map((k) => normal(ctx.seed, i, `${path}[${k}]`, dist.mean[k]!, dist.std[k]!, dist.min?.[k] ?? -Infinity, dist.max?.[k] ?? Infinity)) as Vec3;
    case 'choice':
      return [...dist.values[choiceIndex(ctx.seed, i, path, dist.values.length, dist.weights)]!];
    case 'sequence':
      return [...dist.values[i % dist.values.length]!];
  }
}

/** A categorical value (a name): constant, choice or sequence. */
export function drawCategory<T>(dist: Distribution<T>, ctx: DrawContext, path: string): T {
  const i = drawIndex(ctx, dist.per);
  switch (dist.kind) {
    case 'constant':
      return dist.value;
    case 'choice':
      return dist.values[choiceIndex(ctx.seed, i, path, dist.values.length, dist.weights)]!;
    case 'sequence':
      return dist.values[i % dist.values.length]!;
    default:
      throw new Error(`a ${dist.kind} distribution cannot draw categories (${path})`);
  }
}

/** The largest value a numeric distribution can produce (for sizing lists). */
export function distributionMax(dist: Distribution<number>): number {
  switch (dist.kind) {
    case 'constant':
      return dist.value;
    case 'uniform':
      return dist.max;
    case 'normal':
      return dist.max ?? Infinity;
    case 'choice':
    case 'sequence':
      return Math.max(...dist.values);
  }
}

/** Rounds to 7 significant digits, for the per-frame record. */
export function round7(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(7)) : x;
}

/**
 * The bundled texture set: procedural patterns generated on demand, so a randomization spec can
 * name a texture without shipping image files and every worker produces the same pixels.
 *
 * Images are square RGBA8 (row-major, top row first, alpha 255), sRGB-encoded like an image file,
 * and tile seamlessly. They are neutral greys meant to be multiplied by the material colour (as
 * three.js does with `map`), so colour randomization still tints them. The renderer turns them
 * into DataTextures; this module knows nothing of three.js.
 */
import { hashInts } from '../hash.ts';

export const TEXTURE_NAMES = ['checker', 'stripes', 'dots', 'grid', 'bricks', 'noise', 'wood', 'marble'] as const;
export type TextureName = (typeof TEXTURE_NAMES)[number];

export function isTextureName(name: string): name is TextureName {
  return (TEXTURE_NAMES as readonly string[]).includes(name);
}

const smoothstep = (e0: number, e1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};
const fract = (x: number) => x - Math.floor(x);
const mix = (a: number, b: number, t: number) => a + (b - a) * t;

/** A fixed pseudo-random value in [0, 1) per lattice point. */
function lattice(x: number, y: number, octave: number): number {
  return hashInts(x, y, octave) / 4294967296;
}

/** The lattice values of one octave, period × period, computed once (they never change). */
const grids = new Map<number, Float64Array>();
function latticeGrid(period: number, octave: number): Float64Array {
  const key = period * 64 + octave;
  let grid = grids.get(key);
  if (!grid) {
    grid = new Float64Array(period * period);
    for (let j = 0; j < period; j++) for (let i = 0; i < period; i++) grid[j * period + i] = lattice(i, j, octave);
    grids.set(key, grid);
  }
  return grid;
}

/** Tileable value noise with period `period` lattice cells, in [0, 1). */
function valueNoise(u: number, v: number, period: number, octave: number): number {
  const grid = latticeGrid(period, octave);
  const x = u * period;
  const y = v * period;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const tx = smoothstep(0, 1, x - x0);
  const ty = smoothstep(0, 1, y - y0);
  const i0 = ((x0 % period) + period) % period;
  const i1 = (i0 + 1) % period;
  const j0 = (((y0 % period) + period) % period) * period;
  const j1 = ((j0 / period + 1) % period) * period;
  return mix(mix(grid[j0 + i0]!, grid[j0 + i1]!, tx), mix(grid[j1 + i0]!, grid[j1 + i1]!, tx), ty);
}

/** Fractal sum of value noise: detail at doubling frequencies, in [0, 1). */
function fbm(u: number, v: number, basePeriod: number, octaves: number): number {
  let sum = 0;
  let amplitude = 0.5;
  let norm = 0;
  for (let o = 0; o < octaves; o++) {
    sum += amplitude * valueNoise(u, v, basePeriod << o, o);
    norm += amplitude;
    amplitude *= 0.5;
  }
  return sum / norm;
}

/** Brightness in [0, 1] of each pattern at texture coordinates (u, v) in [0, 1). */
const PATTERNS: Record<TextureName, (u: number, v: number) => number> = {
  checker: (u, v) => ((Math.floor(u * 8) + Math.floor(v * 8)) % 2 === 0 ? 0.92 : 0.25),
  stripes: (u, v) => (fract((u + v) * 6) < 0.5 ? 0.9 : 0.3),
  dots: (u, v) => {
    const du = fract(u * 6) - 0.5;
    const dv = fract(v * 6) - 0.5;
    return Math.hypot(du, dv) < 0.3 ? 0.25 : 0.9;
  },
  grid: (u, v) => {
    const line = (x: number) => Math.min(fract(x * 8), 1 - fract(x * 8)) < 0.08;
    return line(u) || line(v) ? 0.2 : 0.88;
  },
  bricks: (u, v) => {
    const rows = 8;
    const row = Math.floor(v * rows);
    const x = fract(u * 4 + (row % 2) * 0.5);
    const y = fract(v * rows);
    const mortar = x < 0.04 || y < 0.08;
    return mortar ? 0.85 : 0.45 + 0.15 * lattice(Math.floor(u * 4 + (row % 2) * 0.5) % 4, row, 99);
  },
  noise: (u, v) => 0.15 + 0.8 * fbm(u, v, 4, 5),
  wood: (u, v) => {
    // Rings around a line along v, bent by low-frequency noise; periodic in u and v.
    const warp = fbm(u, v, 2, 3);
    const rings = fract(Math.sin(2 * Math.PI * u) * 2.5 + warp * 4 + 0.15 * Math.sin(2 * Math.PI * v));
    return 0.35 + 0.45 * smoothstep(0.0, 0.6, rings) * (1 - smoothstep(0.7, 1, rings)) + 0.1 * fbm(u, v, 16, 2);
  },
  marble: (u, v) => {
    const turbulence = fbm(u, v, 4, 5);
    return 0.55 + 0.4 * Math.sin(2 * Math.PI * (u + v) * 2 + 6 * turbulence);
  },
};

/** Pattern brightness (already sRGB-encoded, as an image file stores it) → 8-bit. */
const toByte = (value: number) => Math.round(Math.min(1, Math.max(0, value)) * 255);

/** The pixels of a bundled texture: size × size RGBA8, identical on every machine. */
export function textureImage(name: string, size = 256): Uint8Array {
  if (!isTextureName(name)) throw new RangeError(`unknown texture "${String(name)}"; bundled: ${TEXTURE_NAMES.join(', ')}`);
  if (!(Number.isInteger(size) && size >= 1 && size <= 4096)) throw new RangeError(`texture size must be an integer in [1, 4096], got ${size}`);
  const pattern = PATTERNS[name];
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Sample pixel centres; v grows downward with the rows, which tiling makes immaterial.
      const value = toByte(pattern((x + 0.5) / size, (y + 0.5) / size));
      const i = (y * size + x) * 4;
      out[i] = value;
      out[i + 1] = value;
      out[i + 2] = value;
      out[i + 3] = 255;
    }
  }
  return out;
}

/**
 * The hash under every random draw (randomize/draw.ts: MurmurHash3 of (seed, index, path)) and
 * under fixed procedural patterns (scene/textures.ts). A leaf: imports nothing.
 */
const TWO_32 = 4294967296;
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** One MurmurHash3 (x86, 32-bit) block step. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finaliser: full avalanche of a 32-bit state. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const encoder = new TextEncoder();

/** The words hashed for one draw: seed and index (each as two 32-bit halves), then the path's UTF-8. */
function words(seed: number, index: number, path: string): Int32Array {
  const bytes = encoder.encode(path);
  const out = new Int32Array(4 + Math.ceil(bytes.length / 4) + 1);
  out[0] = seed % TWO_32;
  out[1] = Math.floor(seed / TWO_32);
  out[2] = index % TWO_32;
  out[3] = Math.floor(index / TWO_32);
  for (let i = 0; i < bytes.length; i++) out[4 + (i >> 2)]! |= bytes[i]! << ((i & 3) * 8);
  // Length last, so "a" and "a\0" differ.
  out[out.length - 1] = bytes.length;
  return out;
}

function murmur(input: Int32Array, seed: number): number {
  let h = seed;
  for (let i = 0; i < input.length; i++) h = mixBlock(h, input[i]!);
  return fmix32(h ^ (input.length * 4));
}

function checkCounter(name: string, value: number) {
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`${name} must be a non-negative integer below 2^53, got ${value}`);
}

/** Two independent 32-bit hashes of (seed, index, path). */
export function hash64(seed: number, index: number, path: string): [number, number] {
  checkCounter('seed', seed);
  checkCounter('index', index);
  const w = words(seed, index, path);
  return [murmur(w, 0x9747b28c), murmur(w, 0x2545f491)];
}

/** A 32-bit hash of three integers: for fixed patterns (procedural textures), not for draws. */
export function hashInts(a: number, b: number, c: number): number {
  return fmix32(mixBlock(mixBlock(mixBlock(0x3c6ef372, a | 0), b | 0), c | 0) ^ 12);
}

/**
 * COCO run-length encoding of binary masks (the `segmentation` of an annotation, as pycocotools'
 * mask API reads it).
 *
 * Uncompressed form: the pixels are read column by column (column-major: down the first column,
 * then the second, …) and `counts` lists the lengths of alternating runs, starting with a run of
 * 0s (which may be empty): [zeros, ones, zeros, ones, …].
 *
 * Compressed form (`{ size: [h, w], counts: string }`): each count — from the fourth on, minus the
 * count two places before it, which makes runs of similar length small numbers — is written as a
 * little-endian sequence of 5-bit groups in two's complement. Each group becomes one character
 * (48 + value): bit 0x20 says "another group follows", and the last group's bit 0x10 is the sign.
 *
 * Must not: build one mask per object to encode a frame (rleByInstance makes one pass).
 */

export interface CocoRle {
  /** [height, width], as COCO writes it. */
  size: [number, number];
  counts: string;
}

/** Run lengths of a row-major mask (non-zero = inside), in COCO's column-major order. */
export function rleFromMask(mask: ArrayLike<number | boolean>, width: number, height: number): number[] {
  if (mask.length !== width * height) throw new RangeError(`rle: mask of ${mask.length} pixels is not ${width}×${height}`);
  const counts: number[] = [];
  let inside = false;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = Boolean(mask[y * width + x]);
      if (v !== inside) {
        counts.push(run);
        run = 0;
        inside = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/**
 * Run lengths of every listed instance id in an instance-id image, in one column-major pass.
 * Ids not listed count as background for every mask.
 */
export function rleByInstance(instance: ArrayLike<number>, width: number, height: number, ids: Iterable<number>): Map<number, number[]> {
  const n = width * height;
  if (instance.length !== n) throw new RangeError(`rle: instance image of ${instance.length} pixels is not ${width}×${height}`);
  interface Track {
    counts: number[];
    /** Index where the current run of ones started, or -1 when outside. */
    start: number;
    /** Index just after the last run of ones. */
    lastEnd: number;
  }
  const tracks = new Map<number, Track>();
  for (const id of ids) tracks.set(id, { counts: [], start: -1, lastEnd: 0 });
  // Ids are small integers: look them up in an array rather than hashing every pixel.
  let maxId = 0;
  for (const id of tracks.keys()) if (Number.isInteger(id) && id > maxId) maxId = id;
  const lookup: (Track | undefined)[] = maxId <= 1 << 20 ? new Array(maxId + 1) : [];
  if (lookup.length) for (const [id, track] of tracks) if (Number.isInteger(id) && id >= 0) lookup[id] = track;
  const trackOf = lookup.length ? (v: number) => lookup[v] : (v: number) => tracks.get(v);
  let previous: Track | undefined;
  let k = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0, i = x; y < height; y++, i += width, k++) {
      const track = trackOf(instance[i]!);
      if (track === previous) continue;
      if (previous) {
        previous.counts.push(k - previous.start);
        previous.lastEnd = k;
        previous.start = -1;
      }
      if (track) {
        track.counts.push(k - track.lastEnd);
        track.start = k;
      }
      previous = track;
    }
  }
  if (previous) {
    previous.counts.push(n - previous.start);
    previous.lastEnd = n;
  }
  const out = new Map<number, number[]>();
  for (const [id, track] of tracks) {
    if (track.lastEnd < n || track.counts.length === 0) track.counts.push(n - track.lastEnd);
    out.set(id, track.counts);
  }
  return out;
}

/** The row-major mask (1 inside, 0 outside) of uncompressed run lengths. */
export function maskFromRle(counts: readonly number[], width: number, height: number): Uint8Array {
  const n = width * height;
  const mask = new Uint8Array(n);
  let k = 0;
  counts.forEach((run, r) => {
    if (!Number.isInteger(run) || run < 0 || k + run > n) throw new RangeError(`rle: run ${r} (${run}) does not fit a ${width}×${height} mask`);
    if (r % 2 === 1) {
      for (let j = k; j < k + run; j++) mask[(j % height) * width + Math.floor(j / height)] = 1;
    }
    k += run;
  });
  if (k !== n) throw new RangeError(`rle: runs cover ${k} of ${n} pixels`);
  return mask;
}

/** Pixels inside the mask. */
export function rleArea(counts: readonly number[]): number {
  let area = 0;
  for (let r = 1; r < counts.length; r += 2) area += counts[r]!;
  return area;
}

/** COCO box [x, y, w, h] of the mask, in pixels (w = x_max − x_min + 1); [0, 0, 0, 0] when empty. */
export function rleBbox(counts: readonly number[], width: number, height: number): [number, number, number, number] {
  let xMin = width;
  let xMax = -1;
  let yMin = height;
  let yMax = -1;
  let k = 0;
  counts.forEach((run, r) => {
    if (r % 2 === 1 && run > 0) {
      const first = k;
      const last = k + run - 1;
      const x0 = Math.floor(first / height);
      const x1 = Math.floor(last / height);
      xMin = Math.min(xMin, x0);
      xMax = Math.max(xMax, x1);
      if (x0 === x1) {
        yMin = Math.min(yMin, first % height);
        yMax = Math.max(yMax, last % height);
      } else {
        // The run wraps from the bottom of one column to the top of the next.
        yMin = 0;
        yMax = height - 1;
      }
    }
    k += run;
  });
  return xMax < 0 ? [0, 0, 0, 0] : [xMin, yMin, xMax - xMin + 1, yMax - yMin + 1];
}

/** COCO's compressed string of uncompressed run lengths. */
export function countsToString(counts: readonly number[]): string {
  const chars: number[] = [];
  counts.forEach((count, i) => {
    let x = i > 2 ? count - counts[i - 2]! : count;
    for (let more = true; more; ) {
      let c = ((x % 32) + 32) % 32; // low 5 bits, two's complement
      x = Math.floor(x / 32); // arithmetic shift
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      chars.push(c + 48);
    }
  });
  let out = '';
  for (let i = 0; i < chars.length; i += 8192) out += String.fromCharCode(...chars.slice(i, i + 8192));
  return out;
}

/** Uncompressed run lengths of COCO's compressed string. */
export function countsFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let scale = 1;
    for (let more = true; more; ) {
      if (p >= s.length) throw new SyntaxError('rle: the string ends inside a count');
      const c = s.charCodeAt(p++) - 48;
      if (c < 0 || c > 63) throw new SyntaxError(`rle: character ${JSON.stringify(s[p - 1])} is not in the alphabet`);
      x += (c & 0x1f) * scale;
      scale *= 32;
      more = (c & 0x20) !== 0;
      if (!more && c & 0x10) x -= scale; // sign-extend
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** A row-major mask → compressed COCO RLE. */
export function encodeRle(mask: ArrayLike<number | boolean>, width: number, height: number): CocoRle {
  return { size: [height, width], counts: countsToString(rleFromMask(mask, width, height)) };
}

/** Compressed COCO RLE → row-major mask (1 inside). */
export function decodeRle(rle: CocoRle): Uint8Array {
  const [height, width] = rle.size;
  return maskFromRle(countsFromString(rle.counts), width, height);
}

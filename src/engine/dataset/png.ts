/**
 * PNG images of a frame's buffers: the colour image (RGB8), colourised label images (RGBA8, one
 * colour per id — no palette, so any viewer and PIL show them as they are), colourised normals
 * and 16-bit grey. Also the label colour palette shared by the formats.
 *
 * Compression is the platform's zlib through `CompressionStream('deflate')` (browsers, workers and
 * Node alike), which is native code: on the 2-core build machine a rendered 640×480 colour image
 * deflates in ~9 ms there against ~19 ms in fast-png's JavaScript deflate at level 1, and a label
 * image in ~3 ms against ~16 ms. Only the container around the zlib stream is written here
 * (signature, IHDR, IDAT, IEND with their CRCs); rows are stored unfiltered (filter type 0),
 * which at zlib's default level is both the fastest and, for rendered frames, within ~12 % of the
 * smallest. Decoding (tests, the dataset viewer) uses fast-png.
 *
 * Must not: produce different bytes for the same input on one machine (no timestamps or text
 * chunks; zlib is deterministic for a given build).
 */
import type { LabelledFrame } from './types.ts';

export type Rgba = [number, number, number, number];

function checkSize(what: string, length: number, width: number, height: number, channels: number): void {
  if (length !== width * height * channels) throw new RangeError(`${what}: ${length} values for a ${width}×${height} image with ${channels} channels`);
  if (width < 1 || height < 1) throw new RangeError(`${what}: a PNG needs at least one pixel, got ${width}×${height}`);
}

/** zlib-format deflate (what a PNG's IDAT holds) by the platform's native implementation. */
async function zlibDeflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate');
  const writer = stream.writable.getWriter();
  void writer.write(data as Uint8Array<ArrayBuffer>);
  void writer.close();
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG defines it (ISO 3309), over the chunk type and data. */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOUR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;

/**
 * Row buffers (samples plus a filter byte per row) kept for the next image of the same size: a
 * fresh frame-sized array costs more than filling one (a worker encodes four PNGs a frame). Taken
 * buffers are never shared, so encodes may run at once; a few per size are kept.
 */
const spareRows = new Map<number, Uint8Array[]>();
const SPARE_ROWS_PER_SIZE = 2;

/** A row buffer of `height` rows of `stride` bytes whose filter bytes are 0; encoders write every other byte. */
function takeRows(stride: number, height: number): Uint8Array {
  const rows = spareRows.get(stride * height)?.pop() ?? new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) rows[y * stride] = 0;
  return rows;
}

function giveBackRows(rows: Uint8Array): void {
  let spare = spareRows.get(rows.length);
  if (!spare) spareRows.set(rows.length, (spare = []));
  if (spare.length < SPARE_ROWS_PER_SIZE) spare.push(rows);
}

/**
 * A PNG of `rows`: height rows of width × channels samples at `depth` bits, each row prefixed
 * with its filter-type byte (0), samples big-endian. `rows` comes from takeRows and goes back
 * once deflated.
 */
async function pngOf(width: number, height: number, channels: 1 | 3 | 4, depth: 8 | 16, rows: Uint8Array): Promise<Uint8Array> {
  let idat: Uint8Array;
  try {
    idat = await zlibDeflate(rows);
  } finally {
    giveBackRows(rows);
  }
  const out = new Uint8Array(8 + (12 + 13) + (12 + idat.length) + 12);
  const view = new DataView(out.buffer);
  out.set(SIGNATURE, 0);
  let at = 8;
  const chunk = (type: string, length: number, fill: (offset: number) => void) => {
    view.setUint32(at, length);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
    fill(at + 8);
    view.setUint32(at + 8 + length, crc32(out, at + 4, at + 8 + length));
    at += 12 + length;
  };
  chunk('IHDR', 13, (o) => {
    view.setUint32(o, width);
    view.setUint32(o + 4, height);
    out[o + 8] = depth;
    out[o + 9] = COLOUR_TYPE[channels];
    // compression 0 (deflate), filter method 0, interlace 0: already zero.
  });
  chunk('IDAT', idat.length, (o) => out.set(idat, o));
  chunk('IEND', 0, () => {});
  return out;
}

/** RGB8 PNG of an RGBA8 buffer (the alpha channel, 255 in rendered frames, is dropped). */
export function encodeRgbPng(width: number, height: number, rgba: Uint8Array): Promise<Uint8Array> {
  checkSize('rgb png', rgba.length, width, height, 4);
  const stride = width * 3 + 1;
  const rows = takeRows(stride, height);
  for (let y = 0, i = 0; y < height; y++) {
    let j = y * stride + 1;
    for (let x = 0; x < width; x++, i += 4, j += 3) {
      rows[j] = rgba[i]!;
      rows[j + 1] = rgba[i + 1]!;
      rows[j + 2] = rgba[i + 2]!;
    }
  }
  return pngOf(width, height, 3, 8, rows);
}

/** RGBA8 PNG. */
export function encodeRgbaPng(width: number, height: number, rgba: Uint8Array): Promise<Uint8Array> {
  checkSize('rgba png', rgba.length, width, height, 4);
  const stride = width * 4 + 1;
  const rows = takeRows(stride, height);
  for (let y = 0; y < height; y++) rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * stride + 1);
  return pngOf(width, height, 4, 8, rows);
}

/** 16-bit greyscale PNG. */
export function encodeGrey16Png(width: number, height: number, grey: Uint16Array): Promise<Uint8Array> {
  checkSize('grey16 png', grey.length, width, height, 1);
  const stride = width * 2 + 1;
  const rows = takeRows(stride, height);
  for (let y = 0, i = 0; y < height; y++) {
    let j = y * stride + 1;
    for (let x = 0; x < width; x++, i++, j += 2) {
      rows[j] = grey[i]! >>> 8;
      rows[j + 1] = grey[i]! & 0xff;
    }
  }
  return pngOf(width, height, 1, 16, rows);
}

/**
 * The colour of a label id: 0 (background) is transparent black (0, 0, 0, 0); any other id is an
 * opaque colour from a bijective mix of its low 24 bits, so ids 1 … 2²⁴−1 never share a colour
 * and never look like the background, and an id keeps its colour in every frame.
 */
export function labelColour(id: number): Rgba {
  if (id === 0) return [0, 0, 0, 0];
  // Each step is a bijection of 24-bit integers that keeps 0 at 0: odd multiplications modulo 2²⁴
  // and xor-shifts. Neighbouring ids end up far apart in colour.
  let x = id & 0xffffff;
  x = Math.imul(x, 0x9e3779) & 0xffffff;
  x ^= x >>> 12;
  x = Math.imul(x, 0x2c1b3d) & 0xffffff;
  x ^= x >>> 11;
  x = Math.imul(x, 0x5bd1e5) & 0xffffff;
  x ^= x >>> 13;
  return [(x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff, 255];
}

/** Replicator's key for a colour in its label JSON files: "(R, G, B, A)". */
export function colourKey([r, g, b, a]: Rgba): string {
  return `(${r}, ${g}, ${b}, ${a})`;
}

/**
 * Each id in its labelColour, written as RGBA8 into `out` from `offset`, `width` pixels per row
 * and `stride` bytes from row to row (a PNG's rows leave one filter byte between them).
 */
function writeIdColours(ids: ArrayLike<number>, width: number, height: number, out: Uint8Array, offset: number, stride: number): void {
  let lastId = -1;
  let colour: Rgba = [0, 0, 0, 0];
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0, j = offset + y * stride; x < width; x++, i++, j += 4) {
      const id = ids[i]!;
      if (id !== lastId) {
        colour = labelColour(id);
        lastId = id;
      }
      out[j] = colour[0];
      out[j + 1] = colour[1];
      out[j + 2] = colour[2];
      out[j + 3] = colour[3];
    }
  }
}

/** RGBA8 pixels of an id image, each id in its labelColour. */
export function colouriseIds(ids: ArrayLike<number>, width: number, height: number): Uint8Array {
  checkSize('label image', ids.length, width, height, 1);
  const out = new Uint8Array(width * height * 4);
  writeIdColours(ids, width, height, out, 0, width * 4);
  return out;
}

/**
 * RGBA8 PNG of an id image (semantic or instance), each id in its labelColour. The colours go
 * straight into the PNG's rows: one frame-sized array, not two.
 */
export function encodeLabelPng(width: number, height: number, ids: ArrayLike<number>): Promise<Uint8Array> {
  checkSize('label image', ids.length, width, height, 1);
  const stride = width * 4 + 1;
  const rows = takeRows(stride, height);
  writeIdColours(ids, width, height, rows, 1, stride);
  return pngOf(width, height, 4, 8, rows);
}

/**
 * RGBA8 PNG of unit normals (xyz per pixel): each component c ∈ [−1, 1] as
 * trunc((c · 0.5 + 0.5) · 255), as Replicator colourises normals; alpha 255 where there is a
 * surface, and (0, 0, 0, 0) where the normal is (0, 0, 0) (background).
 */
export function encodeNormalsPng(width: number, height: number, normals: Float32Array): Promise<Uint8Array> {
  checkSize('normals png', normals.length, width, height, 3);
  const stride = width * 4 + 1;
  const rows = takeRows(stride, height);
  const channel = (c: number) => Math.min(255, Math.max(0, Math.trunc((c * 0.5 + 0.5) * 255)));
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0, j = y * stride + 1; x < width; x++, i += 3, j += 4) {
      const nx = normals[i]!;
      const ny = normals[i + 1]!;
      const nz = normals[i + 2]!;
      if (nx === 0 && ny === 0 && nz === 0) {
        rows[j] = rows[j + 1] = rows[j + 2] = rows[j + 3] = 0;
        continue;
      }
      rows[j] = channel(nx);
      rows[j + 1] = channel(ny);
      rows[j + 2] = channel(nz);
      rows[j + 3] = 255;
    }
  }
  return pngOf(width, height, 4, 8, rows);
}

/**
 * The frame's colour image as RGB8 PNG, encoded once per frame object however many formats ask
 * for it (COCO, YOLO, KITTI and the Replicator layout all store the same bytes). Frames are
 * treated as immutable once built, as the frame contract says (they are posted between threads).
 */
const rgbPngCache = new WeakMap<LabelledFrame, { rgb: Uint8Array; png: Promise<Uint8Array> }>();

export function rgbPngOf(frame: LabelledFrame): Promise<Uint8Array> {
  const cached = rgbPngCache.get(frame);
  if (cached && cached.rgb === frame.buffers.rgb) return cached.png;
  const png = encodeRgbPng(frame.camera.width, frame.camera.height, frame.buffers.rgb);
  rgbPngCache.set(frame, { rgb: frame.buffers.rgb, png });
  return png;
}

/**
 * Image files a scene carries as textures (VisualMaterial.image): PNG and JPEG, decoded in plain
 * TypeScript (fast-png, jpeg-js) so a worker, the page and Node read the same pixels from the same
 * bytes. Decoded images are 8-bit RGBA, rows top to bottom, as the file stores them.
 */
import { decode as decodePng, hasPngSignature } from 'fast-png';
import { decode as decodeJpeg } from 'jpeg-js';
import { InputError } from '../errors.ts';

/** The largest side accepted: what WebGPU and WebGL guarantee for a 2D texture. */
export const MAX_IMAGE_SIDE = 8192;

export type ImageFormat = 'png' | 'jpeg';

export interface DecodedImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, RGBA, first row at the top. */
  data: Uint8Array;
}

/** The file extensions image assets keep (their key ends in one). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export function isImageKey(key: string): boolean {
  const lower = key.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** The format the bytes are in, from their signature; null for neither. */
export function imageFormat(bytes: Uint8Array): ImageFormat | null {
  if (hasPngSignature(bytes)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** The format of an assets entry ("base64:…") from its signature alone; null for neither. */
export function imageDataFormat(data: string): ImageFormat | null {
  if (!data.startsWith('base64:')) return null;
  let head: string;
  try {
    head = atob(data.slice(7, 7 + 16));
  } catch {
    return null;
  }
  return imageFormat(Uint8Array.from(head, (c) => c.charCodeAt(0)));
}

/** Whether an assets entry ("base64:…") starts as a PNG or a JPEG does. */
export const isImageData = (data: string): boolean => imageDataFormat(data) !== null;

/**
 * The file name an image is kept under: `name` with what a path cannot hold replaced by "_", and
 * the extension its bytes call for when it has no image extension of its own.
 */
export function imageFileName(name: string, bytes: Uint8Array): string {
  const safe = name.replace(/[^\w.-]+/g, '_');
  return isImageKey(safe) ? safe : `${safe}.${imageFormat(bytes) === 'jpeg' ? 'jpg' : 'png'}`;
}

/** Decodes a PNG or JPEG; InputError naming `file` for anything else or for a broken file. */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const format = imageFormat(bytes);
  if (!format) throw new InputError(file, 'not an image Simloop reads: expected PNG or JPEG bytes');
  let image: DecodedImage;
  try {
    image = format === 'png' ? pngToRgba(bytes) : jpegToRgba(bytes);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, `broken ${format.toUpperCase()} file (${(e as Error).message})`);
  }
  if (image.width < 1 || image.height < 1) throw new InputError(file, `image has no pixels (${image.width}×${image.height})`);
  if (image.width > MAX_IMAGE_SIDE || image.height > MAX_IMAGE_SIDE) {
    throw new InputError(file, `image is ${image.width}×${image.height}; textures may be at most ${MAX_IMAGE_SIDE} pixels on a side`);
  }
  return image;
}

function pngToRgba(bytes: Uint8Array): DecodedImage {
  const png = decodePng(bytes);
  const { width, height } = png;
  const out = new Uint8Array(width * height * 4);
  if (png.palette) {
    // Indexed colour: the palette's entries; tRNS gives the first entries their alpha.
    const { palette, transparency } = png;
    const indexed = unpackSamples(png.data as Uint8Array, width, height, 1, png.depth);
    for (let p = 0; p < width * height; p++) {
      const index = indexed[p]!;
      const entry = palette[index] ?? [0, 0, 0];
      out.set([entry[0]!, entry[1]!, entry[2]!, entry.length > 3 ? entry[3]! : (transparency?.[index] ?? 255)], p * 4);
    }
    return { width, height, data: out };
  }
  const channels = png.channels;
  // 16-bit samples keep their high byte; 1-, 2- and 4-bit grey scales to 0..255.
  const src = png.depth < 8 ? unpackSamples(png.data as Uint8Array, width, height, channels, png.depth) : png.data;
  const scale = png.depth === 16 ? 1 / 257 : png.depth < 8 ? 255 / ((1 << png.depth) - 1) : 1;
  const sample = (i: number) => Math.round(src[i]! * scale);
  for (let p = 0; p < width * height; p++) {
    const o = p * 4;
    const i = p * channels;
    if (channels >= 3) {
      out[o] = sample(i);
      out[o + 1] = sample(i + 1);
      out[o + 2] = sample(i + 2);
      out[o + 3] = channels === 4 ? sample(i + 3) : 255;
    } else {
      const g = sample(i);
      out[o] = out[o + 1] = out[o + 2] = g;
      out[o + 3] = channels === 2 ? sample(i + 1) : 255;
    }
  }
  return { width, height, data: out };
}

/** Samples packed below 8 bits (rows start on a byte) → one byte each; 8-bit data as it is. */
function unpackSamples(data: Uint8Array, width: number, height: number, channels: number, depth: number): Uint8Array {
  if (depth >= 8) return data;
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < perRow; k++) {
      const bit = k * depth;
      out[y * perRow + k] = (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function jpegToRgba(bytes: Uint8Array): DecodedImage {
  const jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: (MAX_IMAGE_SIDE * MAX_IMAGE_SIDE) / 1e6 });
  return { width: jpeg.width, height: jpeg.height, data: jpeg.data };
}

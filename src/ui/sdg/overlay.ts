/**
 * What the label overlays draw, as plain geometry: a dataset's inclusive pixel boxes turned into
 * rectangles on a canvas that shows the image scaled, the caption of each box, a stable colour
 * per class, and the instance-mask tint. Pure functions; LabelledImage.tsx only paints the result.
 *
 * Boxes are inclusive pixel indices [x_min, y_min, x_max, y_max] (src/engine/dataset/types.ts):
 * box [3, 4, 3, 4] covers exactly pixel (3, 4), so its rectangle is 1 × 1 image pixels, from
 * (3, 4) to (4, 5) in image coordinates.
 */

export type PixelBox = readonly [number, number, number, number];

/** The parts of an object label the overlay needs (a LabelledFrame object or a frames.jsonl object). */
export interface OverlayObject {
  path: string;
  label: string;
  bbox2d_tight: PixelBox | null;
  bbox2d_loose: PixelBox | null;
  visible_fraction: number;
  /** Value of this object in the instance mask, when known. */
  instanceId?: number;
  /** The dataset's class id (1-based), when known: it picks the class colour. */
  classId?: number;
}

export interface OverlayRect {
  kind: 'tight' | 'loose';
  path: string;
  label: string;
  /** The box in image pixels, as stored. */
  box: [number, number, number, number];
  /** Canvas rectangle (display pixels): left, top, width, height. */
  x: number;
  y: number;
  width: number;
  height: number;
  colour: string;
}

export interface OverlayCaption {
  path: string;
  text: string;
  /** Baseline-left position of the caption, in display pixels, kept inside the canvas. */
  x: number;
  y: number;
  colour: string;
}

export interface Overlay {
  rects: OverlayRect[];
  captions: OverlayCaption[];
}

export interface OverlayOptions {
  /** Display pixels per image pixel. */
  scale: number;
  tight: boolean;
  loose: boolean;
  /** Canvas size in display pixels, to keep captions inside. */
  canvasWidth: number;
  canvasHeight: number;
  /** Caption height in display pixels. */
  captionHeight?: number;
}

/** The canvas rectangle of an inclusive pixel box at `scale` display pixels per image pixel. */
export function boxRect(box: PixelBox, scale: number): { x: number; y: number; width: number; height: number } {
  const [x0, y0, x1, y1] = box;
  return { x: x0 * scale, y: y0 * scale, width: (x1 - x0 + 1) * scale, height: (y1 - y0 + 1) * scale };
}

/** "cube 87%": the class and the visible fraction, rounded to a whole percent. */
export function captionText(object: Pick<OverlayObject, 'label' | 'visible_fraction'>): string {
  return `${object.label} ${Math.round(object.visible_fraction * 100)}%`;
}

/** FNV-1a of a string: a stable number per class name. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const GOLDEN_ANGLE = 137.508;

/**
 * Hue in degrees for a class. With its dataset class id, consecutive ids are a golden angle apart
 * (the first classes of a dataset are far apart in colour); without one, from a hash of the name.
 * Either way the same class has the same colour in every view of a dataset.
 */
export const classHue = (name: string, id?: number): number => ((id !== undefined && id > 0 ? id - 1 : hashName(name)) * GOLDEN_ANGLE) % 360;

export const classColour = (name: string, id?: number): string => `hsl(${classHue(name, id).toFixed(1)} 85% 60%)`;

/** An RGB colour for an instance id, for mask tints (0 is background and never drawn). */
export function instanceRgb(id: number): [number, number, number] {
  const hue = ((id * 137.508) % 360) / 60;
  const x = 1 - Math.abs((hue % 2) - 1);
  const sector = Math.floor(hue) % 6;
  const [r, g, b] = ([[1, x, 0], [x, 1, 0], [0, 1, x], [0, x, 1], [x, 0, 1], [1, 0, x]] as const)[sector]!;
  const c = 0.85;
  const m = 0.15;
  return [Math.round((r * c + m) * 255), Math.round((g * c + m) * 255), Math.round((b * c + m) * 255)];
}

/**
 * The rectangles and captions for one image: loose boxes first (drawn dashed, underneath), then
 * tight boxes; one caption per object at its tight box (or its loose box when nothing is visible).
 */
export function overlayFor(objects: readonly OverlayObject[], options: OverlayOptions): Overlay {
  const { scale, canvasWidth, canvasHeight } = options;
  const captionHeight = options.captionHeight ?? 12;
  const rects: OverlayRect[] = [];
  const captions: OverlayCaption[] = [];
  const add = (kind: OverlayRect['kind'], object: OverlayObject, box: PixelBox) => {
    rects.push({ kind, path: object.path, label: object.label, box: [box[0], box[1], box[2], box[3]], ...boxRect(box, scale), colour: classColour(object.label, object.classId) });
  };
  if (options.loose) for (const object of objects) if (object.bbox2d_loose) add('loose', object, object.bbox2d_loose);
  if (options.tight) for (const object of objects) if (object.bbox2d_tight) add('tight', object, object.bbox2d_tight);
  if (options.tight || options.loose) {
    for (const object of objects) {
      const box = (options.tight ? object.bbox2d_tight : null) ?? (options.loose ? object.bbox2d_loose : null);
      if (!box) continue;
      const rect = boxRect(box, scale);
      // Above the box when there is room, else just inside its top edge.
      const above = rect.y - 2;
      const y = above - captionHeight >= 0 ? above : Math.min(rect.y + captionHeight, canvasHeight - 2);
      const x = Math.max(0, Math.min(rect.x, canvasWidth - 4));
      captions.push({ path: object.path, text: captionText(object), x, y, colour: classColour(object.label, object.classId) });
    }
  }
  return { rects, captions };
}

/**
 * The instance-mask tint: RGBA pixels (width × height × 4) where every labelled pixel gets its
 * instance's colour at `alpha`, and background (id 0) stays transparent.
 */
export function maskTint(ids: ArrayLike<number>, width: number, height: number, alpha = 90): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(width * height * 4);
  const cache = new Map<number, [number, number, number]>();
  for (let i = 0; i < width * height; i++) {
    const id = ids[i]!;
    if (!id) continue;
    let rgb = cache.get(id);
    if (!rgb) cache.set(id, (rgb = instanceRgb(id)));
    out[i * 4] = rgb[0];
    out[i * 4 + 1] = rgb[1];
    out[i * 4 + 2] = rgb[2];
    out[i * 4 + 3] = alpha;
  }
  return out;
}

/** Display pixels per image pixel to fit an image into `maxWidth` × `maxHeight` (never 0). */
export function fitScale(width: number, height: number, maxWidth: number, maxHeight = Infinity): number {
  if (width <= 0 || height <= 0) return 1;
  return Math.max(1e-3, Math.min(maxWidth / width, maxHeight / height));
}

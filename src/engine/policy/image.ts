/**
 * Camera image → model input tensor. The renderer gives RGBA8, top row first; a policy wants a
 * W×H RGB tensor, NCHW or NHWC, float32 in some value range (or uint8), perhaps with per-channel
 * mean/std on top (ImageNet-style encoders). The fit to the model's size:
 *   stretch  resize to W×H, aspect ratio not kept;
 *   crop     the largest centred region of the model's aspect ratio, resized to W×H;
 *   pad      resized to fit inside W×H keeping the aspect ratio, centred, the rest `padValue`
 *            (LeRobot's SmolVLA pads at the left and top instead; say so with `padAlign`).
 * Resampling is bilinear with pixel centres aligned (PyTorch's interpolate with
 * align_corners=False, no antialiasing), so a model trained on torch-resized images sees the same.
 */
export type ImageFit = 'stretch' | 'crop' | 'pad';
export type TensorLayout = 'NCHW' | 'NHWC';

export interface ImageInputSpec {
  width: number;
  height: number;
  fit: ImageFit;
  layout: TensorLayout;
  dtype: 'float32' | 'uint8';
  /** The values 0 and 255 map to (float32 only): [0, 1], [−1, 1], [0, 255]. */
  range: [number, number];
  /** Per-channel mean and std applied after `range` (float32 only). */
  mean?: [number, number, number];
  std?: [number, number, number];
  /** Padding, in source units 0..255 (pad only). */
  padValue?: number;
  /** Where the image sits when padded: centred, or at the bottom right (padding left and top). */
  padAlign?: 'center' | 'bottom-right';
}

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA8, top row first. */
  data: Uint8Array | Uint8ClampedArray;
}

/** The region of the destination the image covers and the source rectangle it shows. */
function placement(src: RgbaImage, spec: ImageInputSpec): { sx: number; sy: number; sw: number; sh: number; dx: number; dy: number; dw: number; dh: number } {
  const { width: W, height: H } = spec;
  if (spec.fit === 'stretch') return { sx: 0, sy: 0, sw: src.width, sh: src.height, dx: 0, dy: 0, dw: W, dh: H };
  if (spec.fit === 'crop') {
    // Largest centred source region with the destination's aspect ratio.
    const scale = Math.min(src.width / W, src.height / H);
    const sw = W * scale;
    const sh = H * scale;
    return { sx: (src.width - sw) / 2, sy: (src.height - sh) / 2, sw, sh, dx: 0, dy: 0, dw: W, dh: H };
  }
  const ratio = Math.min(W / src.width, H / src.height);
  const dw = Math.max(1, Math.round(src.width * ratio));
  const dh = Math.max(1, Math.round(src.height * ratio));
  const [dx, dy] = spec.padAlign === 'bottom-right' ? [W - dw, H - dh] : [Math.floor((W - dw) / 2), Math.floor((H - dh) / 2)];
  return { sx: 0, sy: 0, sw: src.width, sh: src.height, dx, dy, dw, dh };
}

/** The tensor (batch 1) for `spec` from an RGBA image. */
export function imageTensor(src: RgbaImage, spec: ImageInputSpec): Float32Array | Uint8Array {
  const { width: W, height: H } = spec;
  if (src.data.length !== src.width * src.height * 4) throw new RangeError(`imageTensor: ${src.data.length} bytes for a ${src.width}×${src.height} RGBA image`);
  const rgb = new Float32Array(W * H * 3).fill(spec.padValue ?? 0); // HWC, 0..255
  const { sx, sy, sw, sh, dx, dy, dw, dh } = placement(src, spec);
  const fx = sw / dw;
  const fy = sh / dh;
  const px = (x: number, y: number, c: number) => src.data[(y * src.width + x) * 4 + c]!;
  for (let j = 0; j < dh; j++) {
    // Source coordinate of this destination pixel's centre (align_corners = False), clamped.
    const v = Math.min(Math.max(sy + (j + 0.5) * fy - 0.5, 0), src.height - 1);
    const y0 = Math.floor(v);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const wy = v - y0;
    for (let i = 0; i < dw; i++) {
      const u = Math.min(Math.max(sx + (i + 0.5) * fx - 0.5, 0), src.width - 1);
      const x0 = Math.floor(u);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const wx = u - x0;
      const o = ((dy + j) * W + (dx + i)) * 3;
      for (let c = 0; c < 3; c++) {
        const top = px(x0, y0, c) * (1 - wx) + px(x1, y0, c) * wx;
        const bottom = px(x0, y1, c) * (1 - wx) + px(x1, y1, c) * wx;
        rgb[o + c] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  const out = spec.dtype === 'uint8' ? new Uint8Array(W * H * 3) : new Float32Array(W * H * 3);
  const [lo, hi] = spec.range;
  const k = (hi - lo) / 255;
  for (let p = 0; p < W * H; p++) {
    for (let c = 0; c < 3; c++) {
      let value = rgb[p * 3 + c]!;
      if (spec.dtype === 'uint8') value = Math.round(value);
      else {
        value = lo + value * k;
        if (spec.mean && spec.std) value = (value - spec.mean[c]!) / spec.std[c]!;
      }
      out[spec.layout === 'NHWC' ? p * 3 + c : c * W * H + p] = value;
    }
  }
  return out;
}

/** The tensor's shape for `spec` (batch 1). */
export function imageTensorShape(spec: Pick<ImageInputSpec, 'width' | 'height' | 'layout'>): [number, number, number, number] {
  return spec.layout === 'NCHW' ? [1, 3, spec.height, spec.width] : [1, spec.height, spec.width, 3];
}

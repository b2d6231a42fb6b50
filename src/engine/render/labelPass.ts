/**
 * The label pass: one render of the scene into a target that carries, per pixel, the instance id
 * and, where a writer reads them, the distance to the image plane and the surface normal, so a
 * single readback gives every geometric annotation. Owns the shaders and the decoding of their
 * pixels; knows nothing of datasets.
 *
 * Two layouts (LabelLayout), by what the job's writers read:
 * - `full` (RGBA32F, 16 bytes a pixel): R = instance id (exact in float32 below 2^24; 0 for
 *   unlabelled geometry), G = view-space depth (metres, > 0; 0 where nothing was drawn), B, A = the
 *   camera-frame normal, octahedron-encoded (two floats keep all three components exactly enough
 *   without a second target).
 * - `ids` (RGBA8, 4 bytes a pixel): the instance id's low, middle and high bytes in R, G, B; A = 255
 *   where anything was drawn, 0 where nothing was. For jobs whose writers read neither depth nor
 *   normals (COCO, YOLO, KITTI): a quarter of the bytes to write, read back and decode. Both
 *   layouts share the vertex shader, so both cover the same pixels with the same ids.
 */
import { DoubleSide, ShaderMaterial, type Side } from 'three';

const VERTEX = /* glsl */ `
varying vec3 vNormalView;
varying float vDepth;
void main() {
  vec4 mv = modelViewMatrix * vec4(position, 1.0);
  vDepth = -mv.z;
  vNormalView = normalize(normalMatrix * normal);
  gl_Position = projectionMatrix * mv;
}`;

const FRAGMENT = /* glsl */ `
uniform float instanceId;
varying vec3 vNormalView;
varying float vDepth;
vec2 octEncode(vec3 n) {
  n /= (abs(n.x) + abs(n.y) + abs(n.z));
  vec2 e = n.xy;
  if (n.z < 0.0) e = (1.0 - abs(n.yx)) * vec2(n.x >= 0.0 ? 1.0 : -1.0, n.y >= 0.0 ? 1.0 : -1.0);
  return e;
}
void main() {
  vec3 n = normalize(vNormalView);
  // Back faces (double-sided planes seen from behind) report the side facing the camera.
  if (!gl_FrontFacing) n = -n;
  // OpenGL view axes (x right, y up, z back) to the OpenCV camera frame (x right, y down, z forward).
  gl_FragColor = vec4(instanceId, vDepth, octEncode(vec3(n.x, -n.y, -n.z)));
}`;

const FRAGMENT_IDS = /* glsl */ `
uniform float instanceId;
void main() {
  // Exact: ids are integers below 2^24, divided by powers of two, and each byte b stored as b / 255
  // in an 8-bit unorm target comes back as b.
  vec3 bytes = mod(floor(instanceId / vec3(1.0, 256.0, 65536.0)), 256.0);
  gl_FragColor = vec4(bytes / 255.0, 1.0);
}`;

/** How the label pass stores a pixel (see the top of this file). */
export type LabelLayout = 'full' | 'ids';

/** A label material for one instance id (programs are shared: only the uniform differs). */
export function labelMaterial(instanceId: number, layout: LabelLayout = 'full', side: Side = DoubleSide): ShaderMaterial {
  return new ShaderMaterial({
    vertexShader: VERTEX,
    fragmentShader: layout === 'full' ? FRAGMENT : FRAGMENT_IDS,
    uniforms: { instanceId: { value: instanceId } },
    side,
  });
}

/** The decoded label pass; depth and normals only from the `full` layout. */
export interface DecodedLabels {
  instance: Uint32Array;
  depth?: Float32Array;
  normals?: Float32Array;
}

/** Arrays for decodeLabelPixels (`full`) or decodeIdPixels (`ids`) to fill, of width × height pixels. */
export function labelArrays(width: number, height: number, layout: LabelLayout = 'full'): DecodedLabels {
  const n = width * height;
  if (layout === 'ids') return { instance: new Uint32Array(n) };
  return { instance: new Uint32Array(n), depth: new Float32Array(n), normals: new Float32Array(n * 3) };
}

/** The label target's texel array for `layout` (what FrameRenderer reads back into). */
export function labelTexels(width: number, height: number, layout: LabelLayout): Float32Array | Uint8Array {
  return layout === 'full' ? new Float32Array(width * height * 4) : new Uint8Array(width * height * 4);
}

/**
 * Splits an `ids` label target's pixels (RGBA8, bottom row first as GL reads them) into
 * top-row-first instance ids (0 for background and unlabelled geometry). Fills `out` or a new array.
 */
export function decodeIdPixels(pixels: Uint8Array, width: number, height: number, out: Uint32Array = new Uint32Array(width * height)): Uint32Array {
  const n = width * height;
  if (pixels.length !== n * 4 || out.length !== n) throw new RangeError(`label pixels: arrays do not match ${width}×${height}`);
  for (let row = 0; row < height; row++) {
    let s = (height - 1 - row) * width * 4;
    const end = row * width + width;
    for (let d = row * width; d < end; d++, s += 4) out[d] = pixels[s]! | (pixels[s + 1]! << 8) | (pixels[s + 2]! << 16);
  }
  return out;
}

/**
 * Splits a `full` label target's pixels (RGBA32F, bottom row first as GL reads them) into top-row-first
 * instance ids, depth (Infinity where nothing was drawn) and camera-frame normals ((0, 0, 0)
 * there). Fills `out` (labelArrays; every element is written, so arrays can be reused from frame
 * to frame) or new arrays.
 */
export function decodeLabelPixels(pixels: Float32Array, width: number, height: number, out: DecodedLabels = labelArrays(width, height)): Required<DecodedLabels> {
  const n = width * height;
  const { instance, depth, normals } = out;
  if (!depth || !normals) throw new RangeError('label pixels: the full layout decodes into depth and normal arrays (labelArrays(…, "full"))');
  if (pixels.length !== n * 4 || instance.length !== n || depth.length !== n || normals.length !== n * 3) throw new RangeError(`label pixels: arrays do not match ${width}×${height}`);
  for (let row = 0; row < height; row++) {
    const src = (height - 1 - row) * width;
    const dst = row * width;
    for (let col = 0; col < width; col++) {
      const s = (src + col) * 4;
      const d = dst + col;
      const z = pixels[s + 1]!;
      if (z <= 0) {
        instance[d] = 0;
        depth[d] = Infinity;
        normals[d * 3] = normals[d * 3 + 1] = normals[d * 3 + 2] = 0;
        continue;
      }
      instance[d] = Math.round(pixels[s]!);
      depth[d] = z;
      // Octahedron decode.
      let x = pixels[s + 2]!;
      let y = pixels[s + 3]!;
      const nz = 1 - Math.abs(x) - Math.abs(y);
      if (nz < 0) {
        const ox = x;
        x = (1 - Math.abs(y)) * (ox >= 0 ? 1 : -1);
        y = (1 - Math.abs(ox)) * (y >= 0 ? 1 : -1);
      }
      // Math.hypot is several times slower here; the components are ≤ 1, so nothing overflows.
      const len = Math.sqrt(x * x + y * y + nz * nz) || 1;
      normals[d * 3] = x / len;
      normals[d * 3 + 1] = y / len;
      normals[d * 3 + 2] = nz / len;
    }
  }
  // Checked above: this `out` has its depth and normal arrays.
  return out as Required<DecodedLabels>;
}

/** Flips RGBA8 rows read bottom-first from GL into top-first order, in place. */
export function flipRowsInPlace(rgba: Uint8Array, width: number, height: number): void {
  const stride = width * 4;
  const tmp = new Uint8Array(stride);
  for (let top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
    const a = top * stride;
    const b = bottom * stride;
    tmp.set(rgba.subarray(a, a + stride));
    rgba.copyWithin(a, b, b + stride);
    rgba.set(tmp, b);
  }
}

/**
 * The label pass: one render of the scene into a float target that carries, per pixel, the
 * instance id, the distance to the image plane and the surface normal, so a single readback gives
 * every geometric annotation. Owns the shader and the decoding of its pixels; knows nothing of
 * datasets.
 *
 * Layout of a texel (RGBA32F): R = instance id (exact in float32 below 2^24; 0 for unlabelled
 * geometry), G = view-space depth (metres, > 0; 0 where nothing was drawn), B, A = the camera-frame
 * normal, octahedron-encoded (two floats keep all three components exactly enough without a second
 * target).
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

/** A label material for one instance id (programs are shared: only the uniform differs). */
export function labelMaterial(instanceId: number, side: Side = DoubleSide): ShaderMaterial {
  return new ShaderMaterial({
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
    uniforms: { instanceId: { value: instanceId } },
    side,
  });
}

export interface DecodedLabels {
  instance: Uint32Array;
  depth: Float32Array;
  normals: Float32Array;
}

/** Arrays for decodeLabelPixels to fill, of width × height pixels. */
export function labelArrays(width: number, height: number): DecodedLabels {
  const n = width * height;
  return { instance: new Uint32Array(n), depth: new Float32Array(n), normals: new Float32Array(n * 3) };
}

/**
 * Splits the label target's pixels (RGBA32F, bottom row first as GL reads them) into top-row-first
 * instance ids, depth (Infinity where nothing was drawn) and camera-frame normals ((0, 0, 0)
 * there). Fills `out` (labelArrays; every element is written, so arrays can be reused from frame
 * to frame) or new arrays.
 */
export function decodeLabelPixels(pixels: Float32Array, width: number, height: number, out: DecodedLabels = labelArrays(width, height)): DecodedLabels {
  const n = width * height;
  const { instance, depth, normals } = out;
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
  return out;
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

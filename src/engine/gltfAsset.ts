/**
 * A glTF 2.0 file (binary .glb, or .gltf JSON with its buffers embedded as data: URIs) as a scene
 * of its own, so the designer can add it as an asset: one dynamic rigid body (as dense as wood,
 * mass from its colliders) with a prim per mesh primitive. Each prim's look is the glTF material's
 * base colour, roughness, metalness and opacity, and its collider the primitive's convex hull.
 * glTF is Y-up in metres, as the scene document is, so nothing is converted; node transforms are
 * baked into the points (glTF nodes may shear under non-uniform scales, which a prim's transform
 * cannot hold). A base colour texture in the file (a buffer view or a data: URI, PNG or JPEG) is the
 * look's image, tinted by the base colour factor as glTF does, over the primitive's TEXCOORD_0
 * (flipped to USD's st, whose v grows upwards); other texture maps are not read. three's GLTFLoader
 * does the parsing, here and in the browser alike; its images are taken as bytes, not decoded.
 */
import { type BufferGeometry, Matrix3, type Material, Matrix4, type Mesh, type MeshStandardMaterial, Texture, Vector3 } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { InputError } from './errors.ts';
import type { LoadedScene } from './importer.ts';
import { assetText, freeAssetKey } from './scene/assets.ts';
import { emptyDocument } from './scene/document.ts';
import { decodeImage, imageFileName } from './scene/image.ts';
import { addPrim } from './scene/edit.ts';
import type { Geometry, SceneDocument, VisualMaterial } from './scene/schema.ts';
import { usdIdentifier } from './usd/typeNames.ts';
import { GLTF_ASSET_EXTENSIONS } from './mesh/formats.ts';

/** kg/m³, as the designer's primitives and mesh assets. */
const DENSITY = 600;

export const isGltfAsset = (fileName: string): boolean => GLTF_ASSET_EXTENSIONS.some((e) => fileName.toLowerCase().endsWith(e));

const GLB_MAGIC = 0x46546c67; // "glTF"
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;

/**
 * A .gltf whose buffers are data: URIs, as GLB bytes: the buffers joined into the BIN chunk (each
 * 4-byte aligned) and the buffer views pointed into it. GLB needs no fetch, which Node lacks for
 * data: URIs in three's FileLoader. A buffer in another file is an error naming it.
 */
export function embeddedGltfToGlb(text: string, fileName: string): ArrayBuffer {
  let json: { buffers?: { uri?: string; byteLength?: number }[]; bufferViews?: { buffer: number; byteOffset?: number }[]; images?: { uri?: string }[] };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(fileName, `is not glTF JSON (${(e as Error).message})`);
  }
  const parts: Uint8Array[] = [];
  const offsets: number[] = [];
  let length = 0;
  for (const [i, buffer] of (json.buffers ?? []).entries()) {
    const uri = buffer.uri ?? '';
    const match = /^data:[^;,]*(;base64)?,(.*)$/s.exec(uri);
    if (!match) throw new InputError(fileName, `buffers[${i}].uri: "${uri.slice(0, 60)}" is another file; pick the .glb, or a .gltf with its buffers embedded (data: URIs)`);
    const bytes = match[1] ? base64Bytes(match[2]!) : new TextEncoder().encode(decodeURIComponent(match[2]!));
    offsets.push(length);
    parts.push(bytes);
    length += Math.ceil(bytes.length / 4) * 4;
  }
  // Images in other files are left out with the textures (see the module comment).
  json.images = (json.images ?? []).map((image) => (image.uri && !image.uri.startsWith('data:') ? {} : image));
  if (parts.length) {
    json.buffers = [{ byteLength: length }];
    for (const view of json.bufferViews ?? []) {
      view.byteOffset = (view.byteOffset ?? 0) + offsets[view.buffer]!;
      view.buffer = 0;
    }
  }
  const jsonBytes = padded(new TextEncoder().encode(JSON.stringify(json)), 0x20);
  const bin = new Uint8Array(length);
  parts.forEach((p, i) => bin.set(p, offsets[i]!));
  const total = 12 + 8 + jsonBytes.length + (parts.length ? 8 + bin.length : 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, GLB_MAGIC, true);
  view.setUint32(4, 2, true);
  view.setUint32(8, total, true);
  view.setUint32(12, jsonBytes.length, true);
  view.setUint32(16, CHUNK_JSON, true);
  out.set(jsonBytes, 20);
  if (parts.length) {
    const at = 20 + jsonBytes.length;
    view.setUint32(at, bin.length, true);
    view.setUint32(at + 4, CHUNK_BIN, true);
    out.set(bin, at + 8);
  }
  return out.buffer;
}

function padded(bytes: Uint8Array, fill: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 4) * 4).fill(fill);
  out.set(bytes);
  return out;
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The bytes of a glTF image (PNG or JPEG), kept on the Texture GLTFLoader hands the material. */
interface ImageBytes {
  bytes: Uint8Array | null;
  /** The image's index in the file and its name, if it has one. */
  index: number;
  name?: string;
}

/** The file's default scene as three objects; textures are their images' bytes (not decoded). */
async function parseGltf(bytes: Uint8Array, fileName: string) {
  const isGlb = bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === GLB_MAGIC;
  const data = isGlb ? (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer) : embeddedGltfToGlb(new TextDecoder().decode(bytes), fileName);
  const loader = new GLTFLoader();
  // Decoding needs a DOM or createImageBitmap, and the document keeps the file anyway: a Texture
  // stands for the image, carrying its bytes.
  loader.register((parser) => ({
    name: 'simloop_image_bytes',
    loadTexture: async (index: number) => {
      const json = parser.json as { textures?: { source?: number }[]; images?: { bufferView?: number; uri?: string; name?: string }[] };
      const source = json.textures?.[index]?.source ?? -1;
      const image = json.images?.[source];
      let found: Uint8Array | null = null;
      if (image?.bufferView !== undefined) found = new Uint8Array((await parser.getDependency('bufferView', image.bufferView)) as ArrayBuffer);
      else if (image?.uri?.startsWith('data:')) found = base64Bytes(image.uri.slice(image.uri.indexOf(',') + 1));
      const texture = new Texture();
      texture.userData = { simloopImage: { bytes: found, index: source, ...(image?.name ? { name: image.name } : {}) } satisfies ImageBytes };
      return texture;
    },
  }) as never);
  try {
    return await loader.parseAsync(data, '');
  } catch (e) {
    throw new InputError(fileName, `is not a readable glTF 2.0 file (${(e as Error).message})`);
  }
}

/** A three material as the document's look (glTF colours are linear, as USD's displayColor), and its base colour image. */
function lookOf(material: Material | Material[]): { look: VisualMaterial; image: ImageBytes | null; texCoord: number } {
  const m = (Array.isArray(material) ? material[0] : material) as MeshStandardMaterial | undefined;
  const clamp = (v: number | undefined, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : fallback);
  const look: VisualMaterial = {
    color: m?.color ? [clamp(m.color.r, 0.8), clamp(m.color.g, 0.8), clamp(m.color.b, 0.8)] : [0.8, 0.8, 0.8],
    roughness: clamp(m?.roughness, 1),
    metallic: clamp(m?.metalness, 0),
    opacity: m?.transparent ? clamp(m.opacity, 1) : 1,
  };
  const image = (m?.map?.userData as { simloopImage?: ImageBytes } | undefined)?.simloopImage ?? null;
  return { look, image, texCoord: m?.map?.channel ?? 0 };
}

/** A primitive's triangles with `matrix` baked in; null when it has none. */
function bakedGeometry(geometry: BufferGeometry, matrix: Matrix4): Geometry | null {
  const position = geometry.getAttribute('position');
  if (!position || position.itemSize !== 3) return null;
  const normal = geometry.getAttribute('normal');
  const uv = geometry.getAttribute('uv');
  const normalMatrix = new Matrix3().getNormalMatrix(matrix);
  const mirrored = matrix.determinant() < 0;
  const points: number[] = [];
  const normals: number[] = [];
  const v = new Vector3();
  for (let i = 0; i < position.count; i++) {
    v.fromBufferAttribute(position, i).applyMatrix4(matrix);
    points.push(v.x, v.y, v.z);
    if (normal) {
      v.fromBufferAttribute(normal, i).applyMatrix3(normalMatrix).normalize();
      normals.push(v.x, v.y, v.z);
    }
  }
  const index = geometry.getIndex();
  const count = index ? index.count : position.count;
  const indices: number[] = [];
  for (let t = 0; t + 2 < count; t += 3) {
    const [a, b, c] = [0, 1, 2].map((k) => (index ? index.getX(t + k) : t + k)) as [number, number, number];
    if (mirrored) indices.push(a, c, b);
    else indices.push(a, b, c);
  }
  if (indices.length === 0 || !points.every(Number.isFinite)) return null;
  const mesh: Geometry = normal && normals.every(Number.isFinite) ? { kind: 'mesh', points, indices, normals } : { kind: 'mesh', points, indices };
  if (uv && uv.itemSize === 2 && uv.count === position.count) {
    // glTF's (0, 0) is the image's top left, USD's st (0, 0) its bottom left.
    const uvs: number[] = [];
    for (let i = 0; i < uv.count; i++) uvs.push(uv.getX(i), 1 - uv.getY(i));
    if (uvs.every(Number.isFinite)) mesh.uvs = uvs;
  }
  return mesh;
}

/** The glTF file in `bytes` as a one-body scene: `/<file stem>` with a Mesh prim per triangle primitive. */
export async function gltfAsset(bytes: Uint8Array, fileName: string): Promise<LoadedScene> {
  const gltf = await parseGltf(bytes, fileName);
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const root = usdIdentifier(base.replace(/\.[^.]*$/, '') || 'model');
  let doc: SceneDocument = addPrim(emptyDocument(fileName), null, root, {
    body: { type: 'dynamic', enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false },
    mass: { density: DENSITY },
  });
  const warnings: string[] = [];
  const used = new Set<string>();
  /** glTF image index → its key in the document's assets (null: not read). */
  const images = new Map<number, string | null>();
  gltf.scene.updateMatrixWorld(true);
  const rootInverse = gltf.scene.matrixWorld.clone().invert();
  gltf.scene.traverse((object) => {
    const mesh = object as Mesh;
    if (!mesh.isMesh) return;
    if ((mesh as { isSkinnedMesh?: boolean }).isSkinnedMesh) warnings.push(`${mesh.name || 'a mesh'}: skinning is not read; the mesh is taken in its rest pose`);
    const geometry = bakedGeometry(mesh.geometry, rootInverse.clone().multiply(mesh.matrixWorld));
    if (!geometry) {
      warnings.push(`${mesh.name || 'a mesh'}: has no triangles (points or lines are not read)`);
      return;
    }
    let name = usdIdentifier(mesh.name || 'mesh');
    for (let k = 1; used.has(name); k++) name = `${usdIdentifier(mesh.name || 'mesh')}_${k}`;
    used.add(name);
    const { look, image, texCoord } = lookOf(mesh.material);
    const where = mesh.name || name;
    if (image && texCoord !== 0) warnings.push(`${where}: its base colour texture reads TEXCOORD_${texCoord}, which is not read; left untextured`);
    else if (image && geometry.kind === 'mesh' && !geometry.uvs) warnings.push(`${where}: has a base colour texture but no TEXCOORD_0; left untextured`);
    else if (image) {
      if (!images.has(image.index)) {
        const read = readImage(image, root, fileName, warnings);
        const key = read && freeAssetKey(doc.assets ?? {}, read.key, read.data);
        if (read && key) doc = { ...doc, assets: { ...(doc.assets ?? {}), [key]: read.data } };
        images.set(image.index, key);
      }
      const key = images.get(image.index);
      if (key) look.image = key;
    }
    doc = addPrim(doc, `/${root}`, name, { type: 'Mesh', geometry, material: look, collider: { enabled: true, approximation: 'convexHull', physicsMaterial: null } });
  });
  if (used.size === 0) throw new InputError(fileName, 'has no triangle meshes to add');
  return { document: doc, warnings };
}

/**
 * A glTF image as a file the document keeps (`textures/<name, or file stem_index>.png|jpg`); null,
 * with a warning, for an image in another file or one that does not decode.
 */
function readImage(image: ImageBytes, root: string, fileName: string, warnings: string[]): { key: string; data: string } | null {
  const label = `images[${image.index}]${image.name ? ` (${image.name})` : ''}`;
  if (!image.bytes) {
    warnings.push(`${label}: is another file (a .gltf's images must be embedded, or pick the .glb); left untextured`);
    return null;
  }
  try {
    decodeImage(image.bytes, `${fileName} ${label}`);
  } catch (e) {
    warnings.push(`${(e as Error).message}; left untextured`);
    return null;
  }
  return { key: `textures/${imageFileName(usdIdentifier(image.name || `${root}_${image.index}`), image.bytes)}`, data: assetText(image.bytes) };
}

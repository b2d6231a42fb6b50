/**
 * The three.js view of one loaded scene: a mesh per visible prim with geometry, the scene's
 * lights, where to put the camera, and how poses from the simulation move things.
 *
 * Every object sits directly under `root` with its world matrix as its own matrix
 * (`matrixAutoUpdate = false`). A moving body's prims are stored relative to the body's rigid
 * frame at load, so a pose (position + orientation) gives body world = pose × original scale and
 * carries the body's children along. Plain three.js, no React: the viewport mounts `root`.
 */
import {
  Box3,
  type BufferGeometry,
  DataTexture,
  DirectionalLight,
  DoubleSide,
  Group,
  LinearFilter,
  LinearMipmapLinearFilter,
  Matrix4,
  Mesh,
  MeshLambertMaterial,
  MeshStandardMaterial,
  type Material,
  Object3D,
  Quaternion,
  RepeatWrapping,
  SRGBColorSpace,
  Vector3,
} from 'three';
import { textureImage } from '../scene/textures.ts';
import { assetBytes } from '../scene/assets.ts';
import { decodeImage, type DecodedImage } from '../scene/image.ts';
import { owningBody, parentPath, primIndex, worldMatrices } from '../scene/hierarchy.ts';
import { DEFAULT_LOOK_COLOR, type Geometry, type Prim, type SceneDocument } from '../scene/schema.ts';
import { buildGeometry } from './geometry.ts';
import { buildLights } from './lights.ts';
import { DisposingCache } from './cache.ts';

export interface CameraPlacement {
  position: Vector3;
  quaternion: Quaternion;
  /** Vertical field of view, degrees (three's convention). */
  fov: number;
  near: number;
  far: number;
  /** Where orbiting pivots: on the view axis, level with the objects of interest. */
  target: Vector3;
  /** The prim the placement came from, or null when framed from the bounds. */
  source: string | null;
}

export interface SceneView {
  root: Group;
  /** Objects drawn for each prim with geometry, by prim path. */
  objects: Map<string, Object3D>;
  /** World bounds of the objects of interest at load (ground planes left out when there is more). */
  focusBounds: Box3;
  camera: CameraPlacement;
  /** Moves the bodies: 7 floats per moving body, in the order given to `createSceneView`. */
  applyPoses(poses: Float32Array): void;
  dispose(): void;
}

interface Follower {
  object: Object3D;
  /** The object's world matrix in its body's rigid frame at load. */
  relative: Matrix4;
}

/** Pixels per side of a bundled texture (as the frame pipeline renders them). */
export const TEXTURE_SIZE = 256;

/** A bundled procedural texture (randomize/textures.ts) as a repeating sRGB DataTexture. */
export function bundledTexture(name: string, size = TEXTURE_SIZE): DataTexture {
  const texture = new DataTexture(textureImage(name, size), size, size);
  texture.colorSpace = SRGBColorSpace;
  texture.wrapS = texture.wrapT = RepeatWrapping;
  texture.needsUpdate = true;
  return texture;
}

/**
 * An image file a look shows (its assets entry, "base64:…") as a repeating, mipmapped sRGB
 * DataTexture. Rows are stored bottom first, so that uv (0, 0) is the image's lower left corner as
 * USD's st is. A file that does not decode shows as a magenta and black check, to be seen.
 */
export function imageTexture(data: string): DataTexture {
  let image: DecodedImage;
  try {
    image = decodeImage(assetBytes(data), 'texture');
  } catch {
    const check = new Uint8Array(16);
    for (let i = 0; i < 4; i++) check.set(i === 0 || i === 3 ? [255, 0, 255, 255] : [0, 0, 0, 255], i * 4);
    image = { width: 2, height: 2, data: check };
  }
  const { width, height } = image;
  const rows = new Uint8Array(image.data.length);
  const stride = width * 4;
  for (let y = 0; y < height; y++) rows.set(image.data.subarray(y * stride, (y + 1) * stride), (height - 1 - y) * stride);
  const texture = new DataTexture(rows, width, height);
  texture.colorSpace = SRGBColorSpace;
  texture.wrapS = texture.wrapT = RepeatWrapping;
  texture.magFilter = LinearFilter;
  texture.minFilter = LinearMipmapLinearFilter;
  texture.generateMipmaps = true;
  texture.needsUpdate = true;
  return texture;
}

/**
 * Textures made once each and shared: bundled ones by name, image files by their data (an assets
 * entry, "base64:…"); used for object maps and backgrounds alike.
 */
export class TextureCache extends DisposingCache<string, DataTexture> {
  constructor() {
    super((key) => (key.startsWith('base64:') ? imageTexture(key) : bundledTexture(key)));
  }
}

/**
 * BufferGeometries by the scene geometry they were built from. A frame's randomized document
 * shares the geometry objects of the scene it came from (randomize/sample.ts copySharingGeometry),
 * so frames reuse vertex buffers already on the GPU instead of building and uploading every mesh
 * again; shapes a frame makes anew (distractors) get entries of their own. mark() before a frame's
 * views and sweep() after them frees what the frame did not use.
 */
export class GeometryCache extends DisposingCache<Geometry, { geometry: BufferGeometry | null; dispose(): void }> {
  constructor() {
    super((shape) => {
      const geometry = buildGeometry(shape);
      return { geometry, dispose: () => geometry?.dispose() };
    });
  }
}

/**
 * How surfaces are shaded: `standard` is physically based (three's MeshStandardMaterial: the
 * prim's roughness and metalness, specular highlights); `lambert` is diffuse only
 * (MeshLambertMaterial: the same colour, texture and opacity, no highlights, metals look matte),
 * cheaper per pixel — the fast quality preset of synthetic data.
 */
export type Shading = 'standard' | 'lambert';

function material(prim: Prim, textures: TextureCache, assets: Readonly<Record<string, string>>, shading: Shading): MeshStandardMaterial | MeshLambertMaterial {
  const m = prim.material;
  const [r, g, b] = m?.color ?? DEFAULT_LOOK_COLOR;
  const common = { opacity: m?.opacity ?? 1, transparent: (m?.opacity ?? 1) < 1 };
  const result = shading === 'lambert' ? new MeshLambertMaterial(common) : new MeshStandardMaterial({ roughness: m?.roughness ?? 0.6, metalness: m?.metallic ?? 0, ...common });
  if (prim.geometry?.kind === 'plane') result.side = DoubleSide;
  // USD colours are linear, which is three's working colour space.
  result.color.setRGB(r, g, b);
  if (m?.texture) result.map = textures.get(m.texture);
  else if (m?.image && assets[m.image]) result.map = textures.get(assets[m.image]!);
  if (result.transparent) result.depthWrite = false;
  return result;
}

/** Visibility inherits in USD: a prim shows only if it and all its ancestors are visible. */
function effectiveVisibility(prims: Prim[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const prim of prims) {
    const parent = parentPath(prim.path);
    out.set(prim.path, prim.visible && (parent ? (out.get(parent) ?? true) : true));
  }
  return out;
}

const rigidPart = (m: Matrix4) => {
  const position = new Vector3();
  const quaternion = new Quaternion();
  const scale = new Vector3();
  m.decompose(position, quaternion, scale);
  return { position, quaternion: quaternion.normalize(), scale };
};

/** Camera placement from the scene's first camera, or a three-quarter view of the bounds. */
export function placeCamera(doc: SceneDocument, world: Map<string, Matrix4>, focus: Box3): CameraPlacement {
  const center = focus.isEmpty() ? new Vector3() : focus.getCenter(new Vector3());
  const radius = focus.isEmpty() ? 1 : Math.max(focus.getSize(new Vector3()).length() / 2, 0.05);
  const cameraPrim = doc.prims.find((p) => p.camera);
  if (cameraPrim?.camera) {
    const { position, quaternion } = rigidPart(world.get(cameraPrim.path) ?? new Matrix4());
    // Cameras look along their local -Z in USD and three alike.
    const forward = new Vector3(0, 0, -1).applyQuaternion(quaternion);
    const along = center.clone().sub(position).dot(forward);
    const distance = along > cameraPrim.camera.near ? along : Math.max(radius * 2, 1);
    return {
      position,
      quaternion,
      fov: (cameraPrim.camera.fovY * 180) / Math.PI,
      near: cameraPrim.camera.near,
      far: cameraPrim.camera.far,
      target: position.clone().addScaledVector(forward, distance),
      source: cameraPrim.path,
    };
  }
  const fov = 45;
  const distance = (radius / Math.sin(((fov / 2) * Math.PI) / 180)) * 1.1;
  const position = center.clone().addScaledVector(new Vector3(1, 0.75, 1).normalize(), distance);
  const look = new Matrix4().lookAt(position, center, new Vector3(0, 1, 0));
  return {
    position,
    quaternion: new Quaternion().setFromRotationMatrix(look),
    fov,
    near: Math.max(distance / 1000, 0.001),
    far: distance * 100,
    target: center,
    source: null,
  };
}

/**
 * The scene's objects for drawing. `options.textures` shares bundled textures across views (as
 * the frame pipeline does); without it the view makes its own and frees them with itself.
 * `options.geometries` likewise for geometry (the cache owns it; the view does not free it).
 * `options.shading`: see Shading (default standard).
 */
export function createSceneView(
  doc: SceneDocument,
  movingBodies: readonly string[],
  options: { textures?: TextureCache; geometries?: GeometryCache; shading?: Shading } = {},
): SceneView {
  const owned = options.textures ? null : new TextureCache();
  const textures = options.textures ?? owned!;
  const root = new Group();
  root.name = doc.source.file;
  const world = worldMatrices(doc);
  const prims = primIndex(doc);
  const visible = effectiveVisibility(doc.prims);
  const bodyIndex = new Map(movingBodies.map((path, i) => [path, i]));
  const bodyFrames = movingBodies.map((path) => rigidPart(world.get(path) ?? new Matrix4()));
  const followers: Follower[][] = movingBodies.map(() => []);
  const objects = new Map<string, Object3D>();
  const focusBounds = new Box3();
  const planeBounds = new Box3();

  for (const prim of doc.prims) {
    if (!prim.geometry || !visible.get(prim.path)) continue;
    const geometry = options.geometries ? options.geometries.get(prim.geometry).geometry : buildGeometry(prim.geometry);
    if (!geometry) continue;
    const mesh = new Mesh(geometry, material(prim, textures, doc.assets ?? {}, options.shading ?? 'standard'));
    mesh.name = prim.path;
    mesh.matrixAutoUpdate = false;
    mesh.matrix.copy(world.get(prim.path)!);
    mesh.castShadow = prim.geometry.kind !== 'plane';
    mesh.receiveShadow = true;
    root.add(mesh);
    objects.set(prim.path, mesh);
    mesh.updateMatrixWorld(true); // matrixAutoUpdate is off: force matrixWorld from matrix
    (prim.geometry.kind === 'plane' ? planeBounds : focusBounds).expandByObject(mesh);

    const body = owningBody(prim.path, prims);
    const index = body ? bodyIndex.get(body.path) : undefined;
    if (index !== undefined) {
      const frame = bodyFrames[index]!;
      const rigid = new Matrix4().compose(frame.position, frame.quaternion, new Vector3(1, 1, 1));
      followers[index]!.push({ object: mesh, relative: rigid.invert().multiply(mesh.matrix) });
    }
  }
  if (focusBounds.isEmpty()) focusBounds.copy(planeBounds);

  for (const light of buildLights(doc.prims, world, focusBounds)) {
    root.add(light);
    if (light instanceof DirectionalLight) root.add(light.target);
  }

  const unitScale = new Vector3(1, 1, 1);
  const position = new Vector3();
  const quaternion = new Quaternion();
  const bodyMatrix = new Matrix4();

  return {
    root,
    objects,
    focusBounds,
    camera: placeCamera(doc, world, focusBounds),
    applyPoses(poses) {
      const count = Math.min(followers.length, Math.floor(poses.length / 7));
      for (let i = 0; i < count; i++) {
        const o = i * 7;
        position.set(poses[o]!, poses[o + 1]!, poses[o + 2]!);
        quaternion.set(poses[o + 3]!, poses[o + 4]!, poses[o + 5]!, poses[o + 6]!);
        bodyMatrix.compose(position, quaternion, unitScale);
        for (const { object, relative } of followers[i]!) {
          object.matrix.multiplyMatrices(bodyMatrix, relative);
          object.matrixWorldNeedsUpdate = true;
        }
      }
    },
    dispose() {
      root.traverse((object) => {
        if (object instanceof Mesh) {
          if (!options.geometries) object.geometry.dispose();
          (Array.isArray(object.material) ? object.material : [object.material]).forEach((m: Material) => m.dispose());
        }
        if (object instanceof DirectionalLight) object.dispose();
      });
      owned?.dispose();
      root.clear();
    },
  };
}

/**
 * The three.js scene for one synthetic frame: the randomized scene document drawn as the viewer
 * draws it (sceneView.ts), plus bundled textures, and the instance table the label pass and the
 * labels need — which meshes make up each labelled prim, its instance and class ids, and a label
 * material per mesh. Label materials are cached by instance id across frames so shader programs
 * are compiled once per worker.
 */
import { type BufferGeometry, DataTexture, type Material, Matrix4, Mesh, MeshStandardMaterial, RepeatWrapping, SRGBColorSpace, Scene, type ShaderMaterial, Box3 } from 'three';
import { labelledPrim, primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { labelMaterial } from './labelPass.ts';
import { createSceneView } from './sceneView.ts';

export interface TrianglePart {
  positions: Float32Array;
  index: Uint32Array | null;
  /** Part (mesh) → world. */
  worldMatrix: Matrix4;
}

export interface RenderInstance {
  path: string;
  label: string;
  classId: number;
  /** 1-based, in prim order; the value of its pixels in the label pass. */
  instanceId: number;
  /** The labelled prim's world matrix. */
  worldMatrix: Matrix4;
  /** Bounds of all its meshes in the labelled prim's own frame. */
  localBox: Box3;
  parts: TrianglePart[];
}

export interface SyntheticScene {
  scene: Scene;
  instances: RenderInstance[];
  labelMaterials: Map<Mesh, ShaderMaterial>;
  dispose(): void;
}

export type TextureSource = (name: string) => { data: Uint8Array; size: number };

export class LabelMaterialCache {
  private readonly byId = new Map<number, ShaderMaterial>();
  get(instanceId: number): ShaderMaterial {
    let material = this.byId.get(instanceId);
    if (!material) {
      material = labelMaterial(instanceId);
      this.byId.set(instanceId, material);
    }
    return material;
  }
  dispose(): void {
    for (const material of this.byId.values()) material.dispose();
    this.byId.clear();
  }
}

function trianglesOf(geometry: BufferGeometry): { positions: Float32Array; index: Uint32Array | null } {
  const position = geometry.getAttribute('position');
  const positions = position.array instanceof Float32Array ? position.array : Float32Array.from(position.array as ArrayLike<number>);
  const index = geometry.getIndex();
  return { positions, index: index ? Uint32Array.from(index.array as ArrayLike<number>) : null };
}

export function buildSyntheticScene(
  doc: SceneDocument,
  options: { classIds: ReadonlyMap<string, number>; textures?: Record<string, string>; textureSource?: TextureSource; labelMaterials: LabelMaterialCache },
): SyntheticScene {
  const view = createSceneView(doc, []);
  const scene = new Scene();
  scene.add(view.root);
  scene.updateMatrixWorld(true);
  const prims = primIndex(doc);
  const world = worldMatrices(doc);
  const instances = new Map<string, RenderInstance>();
  const labelMaterials = new Map<Mesh, ShaderMaterial>();
  const textures: DataTexture[] = [];

  for (const [path, object] of view.objects) {
    if (!(object instanceof Mesh)) continue;
    const textureName = options.textures?.[path];
    if (textureName && options.textureSource && object.material instanceof MeshStandardMaterial) {
      const { data, size } = options.textureSource(textureName);
      const texture = new DataTexture(data, size, size);
      texture.colorSpace = SRGBColorSpace;
      texture.wrapS = texture.wrapT = RepeatWrapping;
      texture.needsUpdate = true;
      object.material.map = texture;
      object.material.needsUpdate = true;
      textures.push(texture);
    }
    const owner = labelledPrim(path, prims);
    const label = owner?.labels['class']?.[0];
    const classId = label ? options.classIds.get(label) : undefined;
    if (!owner || !label || classId === undefined) {
      labelMaterials.set(object, options.labelMaterials.get(0));
      continue;
    }
    let instance = instances.get(owner.path);
    if (!instance) {
      instance = { path: owner.path, label, classId, instanceId: 0, worldMatrix: world.get(owner.path)!.clone(), localBox: new Box3(), parts: [] };
      instances.set(owner.path, instance);
    }
    object.geometry.computeBoundingBox();
    const toOwner = instance.worldMatrix.clone().invert().multiply(object.matrixWorld);
    instance.localBox.union(object.geometry.boundingBox!.clone().applyMatrix4(toOwner));
    instance.parts.push({ ...trianglesOf(object.geometry), worldMatrix: object.matrixWorld.clone() });
  }

  // Instance ids in prim order, so they do not depend on how the view iterates.
  const order = new Map(doc.prims.map((p, i) => [p.path, i]));
  const ordered = [...instances.values()].sort((a, b) => order.get(a.path)! - order.get(b.path)!);
  ordered.forEach((instance, i) => (instance.instanceId = i + 1));
  for (const [path, object] of view.objects) {
    if (!(object instanceof Mesh)) continue;
    const owner = labelledPrim(path, prims);
    const instance = owner ? instances.get(owner.path) : undefined;
    if (instance) labelMaterials.set(object, options.labelMaterials.get(instance.instanceId));
  }

  return {
    scene,
    instances: ordered,
    labelMaterials,
    dispose() {
      for (const texture of textures) texture.dispose();
      view.dispose();
    },
  };
}

export type { Material };

/**
 * The three.js scene for one synthetic frame: the randomized scene document drawn as the viewer
 * draws it (sceneView.ts, bundled textures included), and the instance table the label pass and the
 * labels need — which meshes make up each labelled prim, its instance and class ids, and a label
 * material per mesh. Label materials (by instance id) and textures (by name) are cached across
 * frames, so shader programs compile and textures upload once per worker.
 */
import { Box3, Mesh, Scene, type ShaderMaterial } from 'three';
import { geometryTriangles, type MeshPart } from '../labels/footprint.ts';
import type { ObjectToLabel } from '../labels/objectLabels.ts';
import { labelledPrim, primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { labelMaterial } from './labelPass.ts';
import { type GeometryCache, createSceneView, type Shading, type TextureCache } from './sceneView.ts';
import { DisposingCache } from './cache.ts';

/** A labelled prim as drawn: instance id 1-based in prim order, one part per mesh under it. */
export interface RenderInstance extends ObjectToLabel {
  parts: MeshPart[];
}

export interface SyntheticScene {
  scene: Scene;
  instances: RenderInstance[];
  labelMaterials: Map<Mesh, ShaderMaterial>;
  dispose(): void;
}

/** Label materials by instance id, made once each. */
export class LabelMaterialCache extends DisposingCache<number, ShaderMaterial> {
  constructor() {
    super(labelMaterial);
  }
}

export function buildSyntheticScene(
  doc: SceneDocument,
  options: { classIds: ReadonlyMap<string, number>; textureCache?: TextureCache; geometries?: GeometryCache; labelMaterials: LabelMaterialCache; shading?: Shading },
): SyntheticScene {
  // Textures come with the document's looks (the randomizer writes its draws there).
  const view = createSceneView(doc, [], { ...(options.textureCache ? { textures: options.textureCache } : {}), ...(options.geometries ? { geometries: options.geometries } : {}), shading: options.shading ?? 'standard' });
  const scene = new Scene();
  scene.add(view.root);
  scene.updateMatrixWorld(true);
  const prims = primIndex(doc);
  const world = worldMatrices(doc);
  const instances = new Map<string, RenderInstance>();
  const labelMaterials = new Map<Mesh, ShaderMaterial>();

  for (const [path, object] of view.objects) {
    if (!(object instanceof Mesh)) continue;
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
    // Geometry may be shared with earlier frames (GeometryCache) and never changes: bound it once.
    if (!object.geometry.boundingBox) object.geometry.computeBoundingBox();
    const toOwner = instance.worldMatrix.clone().invert().multiply(object.matrixWorld);
    instance.localBox.union(object.geometry.boundingBox!.clone().applyMatrix4(toOwner));
    instance.parts.push({ ...geometryTriangles(object.geometry), worldMatrix: object.matrixWorld.clone() });
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
      view.dispose();
    },
  };
}

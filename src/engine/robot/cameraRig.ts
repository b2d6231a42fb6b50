/**
 * The robot's cameras, rendered from a running simulation: the scene view is built once from the
 * episode's document, then each call moves the bodies to the physics poses and draws every camera
 * — cameras under a link (the wrist camera) ride along with it, the others stay where the scene
 * puts them. Colour only (RGBA8, top row first), through the same FrameRenderer as the synthetic
 * data pipeline. DOM-free: runs on an OffscreenCanvas in a worker.
 */
import { Color, Matrix4, Quaternion, Scene, Vector3 } from 'three';
import type { CameraInfo } from '../dataset/types.ts';
import { cameraInfo, threeCamera } from '../labels/camera.ts';
import type { PhysicsWorld } from '../physics/world.ts';
import type { FrameRenderer } from '../render/frameRenderer.ts';
import { flipRowsInPlace } from '../render/labelPass.ts';
import { createSceneView, type SceneView } from '../render/sceneView.ts';
import { owningBody, primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';

export interface RigCamera {
  path: string;
  width: number;
  height: number;
}

interface Mount {
  camera: RigCamera;
  fovY: number;
  near: number;
  far: number;
  /** The body the camera rides on (index into world.movingBodies), or -1 when it stays put. */
  body: number;
  /** The camera's world matrix (static) or its pose relative to the body's frame. */
  relative: Matrix4;
}

const rigid = (m: Matrix4) => {
  const p = new Vector3();
  const q = new Quaternion();
  m.decompose(p, q, new Vector3());
  return new Matrix4().compose(p, q.normalize(), new Vector3(1, 1, 1));
};

export class RobotCameraRig {
  private readonly view: SceneView;
  private readonly scene = new Scene();
  private readonly mounts: Mount[];
  private readonly background = new Color(0.05, 0.05, 0.05);

  /** `renderer` is the caller's (one per worker or page; rigs come and go with episodes). */
  constructor(
    private readonly renderer: FrameRenderer,
    doc: SceneDocument,
    private readonly world: PhysicsWorld,
    cameras: readonly RigCamera[],
  ) {
    this.view = createSceneView(doc, world.movingBodies);
    this.scene.add(this.view.root);
    const prims = primIndex(doc);
    const matrices = worldMatrices(doc);
    this.mounts = cameras.map((camera) => {
      const prim = prims.get(camera.path);
      if (!prim?.camera) throw new Error(`${camera.path}: not a camera in ${doc.source.file}`);
      const body = owningBody(camera.path, prims);
      const index = body ? world.movingBodies.indexOf(body.path) : -1;
      const cameraWorld = rigid(matrices.get(camera.path)!);
      const relative = index >= 0 ? rigid(matrices.get(body!.path)!).invert().multiply(cameraWorld) : cameraWorld;
      return { camera, fovY: prim.camera.fovY, near: prim.camera.near, far: prim.camera.far, body: index, relative };
    });
  }

  /** The cameras' current parameters (intrinsics, world-to-camera), as the labels use them. */
  infos(): CameraInfo[] {
    const poses = this.world.readPoses();
    return this.mounts.map((m) => {
      let worldMatrix = m.relative;
      if (m.body >= 0) {
        const o = m.body * 7;
        const body = new Matrix4().compose(new Vector3(poses[o]!, poses[o + 1]!, poses[o + 2]!), new Quaternion(poses[o + 3]!, poses[o + 4]!, poses[o + 5]!, poses[o + 6]!), new Vector3(1, 1, 1));
        worldMatrix = body.multiply(m.relative);
      }
      return cameraInfo({ path: m.camera.path, worldMatrix, fovY: m.fovY, near: m.near, far: m.far, width: m.camera.width, height: m.camera.height });
    });
  }

  /** Every camera's image now: RGBA8, top row first, by camera path. */
  render(): Map<string, Uint8Array> {
    this.view.applyPoses(this.world.readPoses());
    this.scene.updateMatrixWorld(true);
    const out = new Map<string, Uint8Array>();
    for (const info of this.infos()) {
      this.renderer.resize(info.width, info.height);
      const rgba = this.renderer.renderColour(this.scene, threeCamera(info), this.background);
      flipRowsInPlace(rgba, info.width, info.height);
      out.set(info.path, rgba);
    }
    return out;
  }

  /** Drops this episode's scene (not the renderer). */
  dispose(): void {
    this.view.dispose();
  }
}

/**
 * The viewport's editing layer, inside the R3F canvas: the transform gizmo on the active prim
 * (translate / rotate / scale, world or local, snapping to the grid and angle steps), framing the
 * selection, looking through a scene camera, and a frustum preview of a selected camera.
 *
 * The gizmo moves a proxy object placed at the prim's world transform; while dragging, the
 * prim's meshes (and its descendants') follow the proxy directly, and on release one edit sets
 * the prim's local transform (its parent's world inverse × the proxy's world). Selecting by
 * clicking is the Viewport's (its scene root's click handler).
 */
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { useThree } from '@react-three/fiber';
import { TransformControls } from '@react-three/drei';
import { Box3, CameraHelper, Matrix4, Object3D, PerspectiveCamera, Vector3 } from 'three';
import type { OrbitControls as OrbitControlsImpl } from 'three-stdlib';
import { setTransform } from '../../engine/scene/edit.ts';
import { matrixToTransform, parentPath, primName, worldMatrices } from '../../engine/scene/hierarchy.ts';
import type { SceneView } from '../../engine/render/sceneView.ts';
import type { Camera, Prim } from '../../engine/scene/schema.ts';
import { useDesigner, useDesignerActions, useDesignerStore } from '../designer/store.ts';

/** The prim and its descendants' drawn objects, with their matrices when the drag began. */
function followers(view: SceneView, path: string): { object: Object3D; start: Matrix4 }[] {
  const out: { object: Object3D; start: Matrix4 }[] = [];
  for (const [p, object] of view.objects) if (p === path || p.startsWith(`${path}/`)) out.push({ object, start: object.matrix.clone() });
  return out;
}

/** World matrices of the document's prims, by path (computed once per document, in EditLayer). */
type WorldMatrices = ReadonlyMap<string, Matrix4>;

function Gizmo({ view, path, world }: { view: SceneView; path: string; world: WorldMatrices }) {
  const designer = useDesignerActions();
  const gizmo = useDesigner((s) => s.gizmo);
  const invalidate = useThree((s) => s.invalidate);
  const proxy = useMemo(() => new Object3D(), []);
  const drag = useRef<{ start: Matrix4; moving: { object: Object3D; start: Matrix4 }[] } | null>(null);

  // The proxy sits where the prim is in the document (again after every edit, undo or redo).
  useLayoutEffect(() => {
    const m = world.get(path);
    if (!m) return;
    m.decompose(proxy.position, proxy.quaternion, proxy.scale);
    proxy.updateMatrixWorld(true);
    invalidate();
  }, [world, path, proxy, invalidate]);

  if (!world.has(path)) return null;
  const snap = gizmo.snap;
  return (
    <>
      <primitive object={proxy} />
      <TransformControls
        object={proxy}
        mode={gizmo.mode}
        space={gizmo.space}
        translationSnap={snap ? gizmo.grid : null}
        rotationSnap={snap ? (gizmo.angle * Math.PI) / 180 : null}
        scaleSnap={snap ? 0.1 : null}
        size={0.8}
        onMouseDown={() => {
          proxy.updateMatrixWorld(true);
          drag.current = { start: proxy.matrixWorld.clone(), moving: followers(view, path) };
        }}
        onObjectChange={() => {
          const d = drag.current;
          if (!d) return;
          proxy.updateMatrixWorld(true);
          const delta = proxy.matrixWorld.clone().multiply(d.start.clone().invert());
          for (const { object, start } of d.moving) {
            object.matrix.multiplyMatrices(delta, start);
            object.matrixWorldNeedsUpdate = true;
          }
          invalidate();
        }}
        onMouseUp={() => {
          const d = drag.current;
          drag.current = null;
          if (!d) return;
          proxy.updateMatrixWorld(true);
          if (proxy.matrixWorld.equals(d.start)) return;
          const parent = parentPath(path);
          const parentWorld = parent ? world.get(parent) : undefined;
          const local = parentWorld ? parentWorld.clone().invert().multiply(proxy.matrixWorld) : proxy.matrixWorld.clone();
          const verb = gizmo.mode === 'translate' ? 'Move' : gizmo.mode === 'rotate' ? 'Rotate' : 'Scale';
          const reason = designer.edit(`${verb} ${primName(path)}`, (doc) => setTransform(doc, path, matrixToTransform(local)));
          if (reason) {
            // Refused (a scale of zero, say): put the drawn objects back.
            for (const { object, start } of d.moving) {
              object.matrix.copy(start);
              object.matrixWorldNeedsUpdate = true;
            }
            world.get(path)!.decompose(proxy.position, proxy.quaternion, proxy.scale);
            invalidate();
          }
        }}
      />
    </>
  );
}

/** A frustum preview for a selected camera prim, at its intrinsics and pose. */
function CameraFrustum({ prim, world }: { prim: Prim & { camera: Camera }; world: WorldMatrices }) {
  const invalidate = useThree((s) => s.invalidate);
  const helper = useMemo(() => {
    const c = prim.camera;
    const camera = new PerspectiveCamera((c.fovY * 180) / Math.PI, c.aspect, c.near, Math.min(c.far, c.near + 2));
    world.get(prim.path)!.decompose(camera.position, camera.quaternion, camera.scale);
    camera.scale.set(1, 1, 1);
    camera.updateMatrixWorld(true);
    const h = new CameraHelper(camera);
    h.update();
    return h;
  }, [prim, world]);
  useEffect(() => {
    invalidate();
    return () => helper.dispose();
  }, [helper, invalidate]);
  return <primitive object={helper} />;
}

/** Frames the selection when asked; looks through a scene camera when one is chosen. */
function CameraMoves({ view, world }: { view: SceneView; world: WorldMatrices }) {
  const frameRequest = useDesigner((s) => s.frameRequest);
  const lookThrough = useDesigner((s) => s.lookThrough);
  const document = useDesigner((s) => s.document);
  const camera = useThree((s) => s.camera);
  const controls = useThree((s) => s.controls) as OrbitControlsImpl | null;
  const invalidate = useThree((s) => s.invalidate);
  const handled = useRef(frameRequest);
  const store = useDesignerStore();

  useEffect(() => {
    if (frameRequest === handled.current) return;
    handled.current = frameRequest;
    const { selection } = store.getState();
    const box = new Box3();
    const paths = selection.length ? selection : [...view.objects.keys()];
    for (const [p, object] of view.objects) if (paths.some((s) => p === s || p.startsWith(`${s}/`))) box.expandByObject(object);
    if (box.isEmpty()) {
      for (const s of selection) {
        const m = world.get(s);
        if (m) box.expandByPoint(new Vector3().setFromMatrixPosition(m));
      }
      box.expandByScalar(0.1);
    }
    if (box.isEmpty()) return;
    const centre = box.getCenter(new Vector3());
    const radius = Math.max(box.getSize(new Vector3()).length() / 2, 0.05);
    const fov = camera instanceof PerspectiveCamera ? camera.fov : 45;
    const distance = (radius / Math.sin(((fov / 2) * Math.PI) / 180)) * 1.2;
    const target = controls?.target ?? new Vector3();
    const direction = camera.position.clone().sub(target).normalize();
    if (direction.lengthSq() === 0) direction.set(1, 0.75, 1).normalize();
    camera.position.copy(centre).addScaledVector(direction, distance);
    camera.lookAt(centre);
    if (controls) {
      controls.target.copy(centre);
      controls.update();
    }
    invalidate();
  }, [frameRequest, view, world, camera, controls, invalidate, store]);

  useEffect(() => {
    if (!lookThrough || !document || !(camera instanceof PerspectiveCamera)) return;
    const prim = document.prims.find((p) => p.path === lookThrough);
    const m = world.get(lookThrough);
    if (!prim?.camera || !m) return;
    const scale = new Vector3();
    m.decompose(camera.position, camera.quaternion, scale);
    Object.assign(camera, { fov: (prim.camera.fovY * 180) / Math.PI, near: prim.camera.near, far: prim.camera.far });
    camera.updateProjectionMatrix();
    if (controls) {
      controls.target.copy(camera.position).add(new Vector3(0, 0, -1).applyQuaternion(camera.quaternion));
      controls.update();
    }
    invalidate();
  }, [lookThrough, document, world, camera, controls, invalidate]);
  return null;
}

export function EditLayer({ view }: { view: SceneView }) {
  const selection = useDesigner((s) => s.selection);
  const document = useDesigner((s) => s.document);
  const world = useMemo(() => (document ? worldMatrices(document) : new Map<string, Matrix4>()), [document]);
  const active = selection[selection.length - 1];
  const prim = active === undefined ? undefined : document?.prims.find((p) => p.path === active);
  return (
    <>
      {prim && <Gizmo view={view} path={prim.path} world={world} />}
      {prim?.camera && <CameraFrustum prim={prim as Prim & { camera: Camera }} world={world} />}
      <CameraMoves view={view} world={world} />
    </>
  );
}

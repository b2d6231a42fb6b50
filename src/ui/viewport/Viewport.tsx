/**
 * The viewport: the loaded scene drawn live with react-three-fiber. Renders on demand (a new pose
 * frame or a camera move asks for a frame), which keeps software WebGL usable. The scene's
 * objects are built by sceneView.ts; this file only mounts them and follows the store.
 */
import { Component, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Canvas, useFrame, useThree, type ThreeEvent } from '@react-three/fiber';
import { OrbitControls } from '@react-three/drei';
import { PerspectiveCamera, Vector3 } from 'three';
import type { OrbitControls as OrbitControlsImpl } from 'three-stdlib';
import { describeError } from '../../engine/errors.ts';
import { useStudio, useStudioActions, useStudioStore } from '../state/store.ts';
import { createSceneView, TextureCache, type SceneView } from '../../engine/render/sceneView.ts';
import { useDesigner, useDesignerActions } from '../designer/store.ts';
import { EditLayer } from './EditLayer.tsx';
import { setViewportProjector } from '../testHooks.ts';

function SceneContent() {
  const scene = useStudio((s) => s.scene);
  const store = useStudioStore();
  // The view and the scene it was built from: between a new scene's commit and the effect that
  // builds its view, a frame still draws the old view and must not be marked as the new scene.
  const [built, setBuilt] = useState<{ view: SceneView; from: typeof scene } | null>(null);
  const view = built?.view ?? null;
  const camera = useThree((s) => s.camera);
  const controls = useThree((s) => s.controls) as OrbitControlsImpl | null;
  const invalidate = useThree((s) => s.invalidate);
  const canvas = useThree((s) => s.gl.domElement);
  const designer = useDesignerActions();

  // A sample of the randomization, while one is shown, stands in for the scene (nothing moves).
  const preview = useDesigner((s) => s.preview);
  // Textures outlive the views an edit rebuilds: an image is decoded and uploaded once, not per edit.
  const textures = useMemo(() => new TextureCache(), []);
  useEffect(() => () => textures.dispose(), [textures]);
  useEffect(() => {
    if (!scene) return;
    textures.mark();
    const created = preview ? createSceneView(preview.document, [], { textures }) : createSceneView(scene.document, scene.movingBodies, { textures });
    textures.sweep();
    setBuilt({ view: created, from: scene });
    return () => {
      setBuilt((current) => (current?.view === created ? null : current));
      created.dispose();
    };
  }, [scene, preview, textures]);

  // Start from the scene's camera (or a view of its bounds) whenever a scene is opened (not
  // when an edit rebuilds the view).
  const opened = scene?.opened ?? 0;
  const framed = useRef('');
  useLayoutEffect(() => {
    const key = `${opened}:${controls ? 'controls' : ''}`;
    if (!view || !(camera instanceof PerspectiveCamera) || framed.current === key) return;
    framed.current = key;
    const placement = view.camera;
    camera.position.copy(placement.position);
    camera.quaternion.copy(placement.quaternion);
    Object.assign(camera, { fov: placement.fov, near: placement.near, far: placement.far });
    camera.updateProjectionMatrix();
    if (controls) {
      controls.target.copy(placement.target);
      controls.update();
    }
    invalidate();
  }, [view, camera, controls, invalidate, opened]);

  // Poses move the bodies without React: the store is followed directly.
  useEffect(() => {
    if (!view || !scene) return;
    const apply = () => {
      const state = store.getState();
      if (state.scene === scene && state.poses) view.applyPoses(state.poses);
      invalidate();
    };
    apply();
    return store.subscribe((state, previous) => {
      if (state.poseVersion !== previous.poseVersion) apply();
    });
  }, [view, scene, store, invalidate]);

  // Lets browser tests find a world point on screen (to grab the gizmo, say).
  useEffect(() => {
    setViewportProjector((point) => {
      const ndc = new Vector3(...point).project(camera);
      const rect = canvas.getBoundingClientRect();
      return { x: rect.left + ((ndc.x + 1) / 2) * rect.width, y: rect.top + ((1 - ndc.y) / 2) * rect.height };
    });
    return () => setViewportProjector(null);
  }, [camera, canvas]);

  // Marks what the next drawn frame shows, so tests can wait for it before reading pixels.
  useFrame(() => {
    const host = canvas.closest<HTMLElement>('[data-testid="viewport"]');
    if (!host) return;
    host.dataset.renderedScene = view && scene && built?.from === scene ? scene.fileName : '';
    host.dataset.renderedPoseVersion = String(store.getState().poseVersion);
  });

  if (!view) return null;
  return (
    <>
      <primitive
        object={view.root}
        onClick={(e: ThreeEvent<MouseEvent>) => {
          e.stopPropagation();
          if (e.delta > 4) return; // an orbit drag, not a click
          designer.select(e.object.name, e.nativeEvent.ctrlKey || e.nativeEvent.metaKey ? 'toggle' : e.nativeEvent.shiftKey ? 'add' : 'replace');
        }}
      />
      {!preview && <EditLayer view={view} />}
    </>
  );
}

class ViewportErrorBoundary extends Component<{ onError: (text: string) => void; children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override componentDidCatch(error: unknown) {
    this.props.onError(`Viewport: ${describeError(error)}`);
  }
  override render() {
    return this.state.failed ? <p className="viewport-failed">The 3D view could not start (is WebGL available?).</p> : this.props.children;
  }
}

/** Says a randomization sample is on show, and goes back to the scene being edited. */
function PreviewBanner() {
  const designer = useDesignerActions();
  const preview = useDesigner((s) => s.preview);
  if (!preview) return null;
  return (
    <div className="preview-banner" role="status" data-testid="preview-banner">
      Sample of frame {preview.frame} (seed {preview.seed}){preview.warnings.length ? ` — ${preview.warnings[0]}` : ''}
      <button type="button" onClick={() => designer.endPreview()}>
        Back to editing
      </button>
    </div>
  );
}

export function Viewport() {
  const studio = useStudioActions();
  const designer = useDesignerActions();
  const hasScene = useStudio((s) => s.scene !== null);
  return (
    <div className="viewport" data-testid="viewport">
      <ViewportErrorBoundary onError={studio.reportError}>
        <Canvas
          frameloop="demand"
          dpr={1}
          shadows="percentage"
          gl={{ preserveDrawingBuffer: true, antialias: true }}
          camera={{ position: [2, 1.5, 2], fov: 45, near: 0.01, far: 1000 }}
          onPointerMissed={(e) => e.button === 0 && designer.select(null)}
        >
          <color attach="background" args={['#20252c']} />
          <SceneContent />
          <OrbitControls makeDefault enableDamping={false} />
        </Canvas>
      </ViewportErrorBoundary>
      {!hasScene && <p className="viewport-empty">Open a scene, or drop a USD file here</p>}
      <PreviewBanner />
    </div>
  );
}

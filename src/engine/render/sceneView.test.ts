import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type BufferGeometry, type DataTexture, LinearFilter, LinearMipmapLinearFilter, Matrix4, PointLight, RepeatWrapping, type Mesh, MeshLambertMaterial, MeshStandardMaterial, Quaternion, type Texture, Vector3 } from 'three';
import { loadSceneFile } from '../load.ts';
import { textureImage } from '../scene/textures.ts';
import { createSceneView, GeometryCache, TEXTURE_SIZE, TextureCache } from './sceneView.ts';
import { copySharingGeometry } from '../randomize/sample.ts';
import { assetText } from '../scene/assets.ts';
import { encode as encodePng } from 'fast-png';

const tabletop = (await loadSceneFile(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda')).document;
const TABLETOP_BODIES = ['RedCube', 'BlueBall', 'GreenCan', 'YellowCapsule', 'OrangeCone', 'PurpleWedge'].map((n) => `/World/Objects/${n}`);

const decompose = (m: Matrix4) => {
  const p = new Vector3();
  const q = new Quaternion();
  const s = new Vector3();
  m.decompose(p, q, s);
  return { p, q, s };
};

/** A Y-up, metre stage: a cart body scaled ×2 with a wheel 1 unit to its side, and a static floor. */
const CART = `#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "Cart" (
    prepend apiSchemas = ["PhysicsRigidBodyAPI"]
)
{
    double3 xformOp:translate = (0, 1, 0)
    float3 xformOp:scale = (2, 2, 2)
    uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]

    def Sphere "Wheel" (
        prepend apiSchemas = ["PhysicsCollisionAPI"]
    )
    {
        double radius = 0.1
        double3 xformOp:translate = (1, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
def Cube "Floor" (
    prepend apiSchemas = ["PhysicsCollisionAPI"]
)
{
    double size = 1
    double3 xformOp:translate = (0, -0.5, 0)
    uniform token[] xformOpOrder = ["xformOp:translate"]
}
`;

describe('geometry kept from frame to frame', () => {
  it('gives views of copies of a scene the same vertex buffers, and frees a shape once a frame no longer draws it', () => {
    const geometries = new GeometryCache();
    const meshOf = (view: ReturnType<typeof createSceneView>, path: string) => view.objects.get(path) as Mesh;
    geometries.mark();
    const first = createSceneView(copySharingGeometry(tabletop), [], { geometries });
    geometries.sweep();
    first.dispose();
    // The next frame: a copy of the scene, plus a shape of its own (a distractor, say).
    const next = copySharingGeometry(tabletop);
    next.prims.push({ ...next.prims.find((p) => p.path === '/World/Objects/RedCube')!, path: '/World/Extra', geometry: { kind: 'box', size: [0.1, 0.1, 0.1] } });
    geometries.mark();
    const second = createSceneView(next, [], { geometries });
    geometries.sweep();
    const cube = meshOf(second, '/World/Objects/RedCube').geometry;
    expect(cube).toBe(meshOf(first, '/World/Objects/RedCube').geometry);
    const extra = meshOf(second, '/World/Extra').geometry;
    let disposed = 0;
    extra.addEventListener('dispose', () => disposed++);
    cube.addEventListener('dispose', () => disposed += 100);
    second.dispose();
    expect(disposed).toBe(0); // the cache owns geometry, not the view
    geometries.mark();
    createSceneView(copySharingGeometry(tabletop), [], { geometries }).dispose();
    geometries.sweep();
    expect(disposed).toBe(1); // the extra shape went; the scene's stayed
    geometries.dispose();
    expect(disposed).toBe(101);
  });
});

describe('scene view', () => {
  it('draws every visible prim with geometry, at its world place (Y-up metres)', () => {
    const view = createSceneView(tabletop, TABLETOP_BODIES);
    expect([...view.objects.keys()]).toHaveLength(12);
    const cube = decompose(view.objects.get('/World/Objects/RedCube')!.matrix);
    expect(cube.p.toArray().map((v) => +v.toFixed(6))).toEqual([-0.3, 0.9, -0.15]);
    const top = decompose(view.objects.get('/World/Table/Top')!.matrix);
    expect(top.p.y).toBeCloseTo(0.75, 6);
    expect(top.s.x).toBeCloseTo(1.2, 6);
    // The objects of interest: table and objects (floor to the ball's top), not the 6 m ground plane.
    expect(view.focusBounds.min.y).toBeCloseTo(0, 6);
    expect(view.focusBounds.max.y).toBeCloseTo(1.135, 6);
    expect(view.focusBounds.max.x).toBeCloseTo(0.6, 6);
    view.dispose();
  });

  it('takes colours from the scene materials', () => {
    const view = createSceneView(tabletop, TABLETOP_BODIES);
    const material = (view.objects.get('/World/Objects/BlueBall') as Mesh<BufferGeometry, MeshStandardMaterial>).material;
    expect([material.color.r, material.color.g, material.color.b].map((v) => +v.toFixed(4))).toEqual([0.15, 0.35, 0.9]);
    view.dispose();
  });

  it('draws diffuse (Lambert) materials with the same colour, texture, opacity and sides for the lambert shading', () => {
    const doc = { ...tabletop, prims: tabletop.prims.map((p) => (p.path === '/World/Objects/BlueBall' ? { ...p, material: { ...p.material!, texture: 'bricks' as const, opacity: 0.5, metallic: 1 } } : p)) };
    const standard = createSceneView(doc, TABLETOP_BODIES);
    const lambert = createSceneView(doc, TABLETOP_BODIES, { shading: 'lambert' });
    expect([...lambert.objects.keys()]).toEqual([...standard.objects.keys()]);
    for (const [path, object] of lambert.objects) {
      const a = (object as Mesh<BufferGeometry, MeshLambertMaterial>).material;
      const b = (standard.objects.get(path) as Mesh<BufferGeometry, MeshStandardMaterial>).material;
      expect(a).toBeInstanceOf(MeshLambertMaterial);
      expect(b).toBeInstanceOf(MeshStandardMaterial);
      expect(a.color.equals(b.color), path).toBe(true);
      expect([a.opacity, a.transparent, a.depthWrite, a.side], path).toEqual([b.opacity, b.transparent, b.depthWrite, b.side]);
      expect((a.map as DataTexture | null)?.image.data ?? null, path).toEqual((b.map as DataTexture | null)?.image.data ?? null);
    }
    expect((lambert.objects.get('/World/Objects/BlueBall') as Mesh<BufferGeometry, MeshLambertMaterial>).material.transparent).toBe(true);
    standard.dispose();
    lambert.dispose();
  });

  it('maps a bundled texture over the colour, one texture per name, freed with the view', () => {
    const textured = (path: string, texture: 'bricks' | 'wood') => (p: (typeof tabletop.prims)[number]) => (p.path === path ? { ...p, material: { ...p.material!, texture } } : p);
    const doc = { ...tabletop, prims: tabletop.prims.map(textured('/World/Objects/BlueBall', 'bricks')).map(textured('/World/Objects/RedCube', 'bricks')).map(textured('/World/Objects/GreenCan', 'wood')) };
    const view = createSceneView(doc, TABLETOP_BODIES);
    const map = (path: string) => (view.objects.get(path) as Mesh<BufferGeometry, MeshStandardMaterial>).material.map;
    const pixels = (t: Texture | null) => (t as DataTexture).image.data;
    const bricks = map('/World/Objects/BlueBall')!;
    expect(pixels(bricks)).toEqual(textureImage('bricks', TEXTURE_SIZE));
    expect(map('/World/Objects/RedCube')).toBe(bricks);
    expect(pixels(map('/World/Objects/GreenCan'))).toEqual(textureImage('wood', TEXTURE_SIZE));
    expect(map('/World/Objects/YellowCapsule')).toBeNull();
    let disposed = 0;
    bricks.addEventListener('dispose', () => disposed++);
    view.dispose();
    expect(disposed).toBe(1);
  });

  it('maps an image file bottom row first (uv (0, 0) at its lower left, as USD st), decoded once per file across views', () => {
    // A 1 × 2 image: red on top, blue below.
    const png = assetText(encodePng({ width: 1, height: 2, channels: 3, depth: 8, data: new Uint8Array([255, 0, 0, 0, 0, 255]) }));
    const doc = { ...tabletop, assets: { 'textures/rb.png': png }, prims: tabletop.prims.map((p) => (p.path === '/World/Objects/RedCube' ? { ...p, material: { ...p.material!, image: 'textures/rb.png' } } : p)) };
    const textures = new TextureCache();
    const first = createSceneView(doc, TABLETOP_BODIES, { textures });
    const map = (view: typeof first) => (view.objects.get('/World/Objects/RedCube') as Mesh<BufferGeometry, MeshStandardMaterial>).material.map as DataTexture;
    const texture = map(first);
    expect(Array.from(texture.image.data as Uint8Array)).toEqual([0, 0, 255, 255, 255, 0, 0, 255]);
    expect([texture.wrapS, texture.wrapT, texture.magFilter, texture.minFilter, texture.generateMipmaps]).toEqual([RepeatWrapping, RepeatWrapping, LinearFilter, LinearMipmapLinearFilter, true]);
    // An edit rebuilds the view: the same texture; one that drops the image frees it at the sweep.
    textures.mark();
    const second = createSceneView(doc, TABLETOP_BODIES, { textures });
    textures.sweep();
    expect(map(second)).toBe(texture);
    let disposed = 0;
    texture.addEventListener('dispose', () => disposed++);
    textures.mark();
    createSceneView(tabletop, TABLETOP_BODIES, { textures });
    textures.sweep();
    expect(disposed).toBe(1);
    // A file that does not decode shows a magenta check rather than failing the view.
    const broken = createSceneView({ ...doc, assets: { 'textures/rb.png': 'base64:iVBORw0KGgo=' } }, TABLETOP_BODIES);
    expect(Array.from((map(broken).image.data as Uint8Array).subarray(0, 4))).toEqual([0, 0, 0, 255]);
  });

  it('starts the camera at the scene camera, pivoting on a point ahead of it', () => {
    const view = createSceneView(tabletop, TABLETOP_BODIES);
    const { camera } = view;
    expect(camera.source).toBe('/World/Camera');
    // USD (1.6, -1.6, 1.5) Z-up is (1.6, 1.5, 1.6) Y-up.
    expect(camera.position.toArray().map((v) => +v.toFixed(6))).toEqual([1.6, 1.5, 1.6]);
    expect(camera.fov).toBeCloseTo((2 * Math.atan(15.2908 / 2 / 24) * 180) / Math.PI, 4);
    const forward = new Vector3(0, 0, -1).applyQuaternion(camera.quaternion);
    const toTarget = camera.target.clone().sub(camera.position);
    expect(toTarget.clone().normalize().dot(forward)).toBeCloseTo(1, 6);
    expect(toTarget.length()).toBeGreaterThan(1);
    view.dispose();
  });

  it('frames the bounds when the scene has no camera', async () => {
    const doc = (await loadSceneFile(new TextEncoder().encode(CART), 'cart.usda')).document;
    const view = createSceneView(doc, ['/Cart']);
    expect(view.camera.source).toBeNull();
    expect(view.focusBounds.min.toArray()).toEqual([-0.5, -1, -0.5]);
    // The wheel (radius 0.1, scaled ×2) sits at (2, 1, 0).
    expect(view.focusBounds.max.x).toBeCloseTo(2.2, 6);
    expect(view.focusBounds.max.y).toBeCloseTo(1.2, 6);
    const center = view.focusBounds.getCenter(new Vector3());
    expect(view.camera.target.distanceTo(center)).toBeLessThan(1e-9);
    expect(view.camera.position.y).toBeGreaterThan(center.y);
    view.dispose();
  });

  it('moves a body by its pose, keeping its scale, and carries its children along', async () => {
    const doc = (await loadSceneFile(new TextEncoder().encode(CART), 'cart.usda')).document;
    const view = createSceneView(doc, ['/Cart']);
    const wheel = view.objects.get('/Cart/Wheel')!;
    expect(decompose(wheel.matrix).p.toArray()).toEqual([2, 1, 0]);

    // Cart to (5, 3, 0), turned a quarter about +Y: its +X now points along -Z.
    const q = new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), Math.PI / 2);
    view.applyPoses(new Float32Array([5, 3, 0, q.x, q.y, q.z, q.w]));
    const moved = decompose(wheel.matrix);
    expect(moved.p.x).toBeCloseTo(5, 5);
    expect(moved.p.y).toBeCloseTo(3, 5);
    expect(moved.p.z).toBeCloseTo(-2, 5);
    expect(moved.s.x).toBeCloseTo(2, 5);
    expect(wheel.matrixWorldNeedsUpdate).toBe(true);

    // The static floor stays where it was.
    expect(decompose(view.objects.get('/Floor')!.matrix).p.y).toBeCloseTo(-0.5, 6);
    view.dispose();
  });

  it('adds the scene lights and a fallback hemisphere light', () => {
    const view = createSceneView(tabletop, TABLETOP_BODIES);
    const lights = view.root.children.filter((o) => (o as { isLight?: boolean }).isLight);
    expect(lights.map((l) => l.name)).toEqual(['/World/Sun', 'fallback hemisphere light']);
    view.dispose();
  });

  it('draws exactly the scene’s point lights, no dark ones (each would be shaded on every pixel)', () => {
    const withLamp = {
      ...tabletop,
      prims: [...tabletop.prims, { ...tabletop.prims.find((p) => p.path === '/World/Sun')!, path: '/World/Lamp', light: { kind: 'sphere' as const, color: [1, 1, 1] as [number, number, number], intensity: 1, exposure: 0 } }],
    };
    const points = (view: ReturnType<typeof createSceneView>) => view.root.children.filter((o): o is PointLight => o instanceof PointLight);
    for (const [doc, names] of [[tabletop, []], [withLamp, ['/World/Lamp']]] as const) {
      const view = createSceneView(doc, []);
      expect(points(view).map((l) => l.name)).toEqual(names);
      expect(points(view).every((l) => l.intensity > 0)).toBe(true);
      view.dispose();
    }
  });
});

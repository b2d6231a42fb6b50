import { Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { assetText } from './scene/assets.ts';
import { validateSceneDocument } from './scene/document.ts';
import { exportUsda } from './usd/export.ts';
import { gltfAsset, isGltfAsset } from './gltfAsset.ts';
import { inspectScene } from './report/contract.ts';
import { glbBytes, type GltfBox, gltfText } from './testing/gltf.ts';

const q = new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), Math.PI / 2);
const BOXES: GltfBox[] = [
  { name: 'Body', size: [0.1, 0.2, 0.3], color: [0.8, 0.1, 0.05, 1], roughness: 0.4, metallic: 0.3 },
  { name: 'Lid', size: [0.1, 0.02, 0.3], translation: [0, 0.2, 0], rotation: [q.x, q.y, q.z, q.w], scale: [2, 1, 1], color: [0.1, 0.2, 0.9, 0.5] },
];

/** The axis-aligned bounds of flat xyz points. */
function bounds(points: number[]) {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < points.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      min[k] = Math.min(min[k]!, points[i + k]!);
      max[k] = Math.max(max[k]!, points[i + k]!);
    }
  }
  return { min, max };
}

describe('glTF assets', () => {
  it('a GLB becomes one dynamic body with a Mesh prim per primitive: looks from the materials, node transforms baked in', async () => {
    const { document, warnings } = await gltfAsset(glbBytes(BOXES), 'models/crate.glb');
    expect(warnings).toEqual([]);
    validateSceneDocument(document, 'crate.glb');
    expect(document.prims.map((p) => [p.path, p.type])).toEqual([
      ['/crate', 'Xform'],
      ['/crate/Body', 'Mesh'],
      ['/crate/Lid', 'Mesh'],
    ]);
    expect(document.prims[0]).toMatchObject({ body: { type: 'dynamic' }, mass: { density: 600 } });
    const [, body, lid] = document.prims;
    expect(body!.material).toEqual({ color: [0.8, 0.1, 0.05], roughness: 0.4, metallic: 0.3, opacity: 1 });
    expect(lid!.material!.opacity).toBe(0.5);
    expect(lid!.collider).toEqual({ enabled: true, approximation: 'convexHull', physicsMaterial: null });
    // The body's box as authored; the lid scaled ×2 in x, turned 90° about z, raised 0.2 m: 0.02 wide, 0.2 tall.
    const b = bounds(body!.geometry!.kind === 'mesh' ? body!.geometry!.points : []);
    expect(b.min.map((v) => Number(v.toFixed(6)))).toEqual([-0.05, -0.1, -0.15]);
    const l = bounds(lid!.geometry!.kind === 'mesh' ? lid!.geometry!.points : []);
    expect(l.min.map((v) => Number(v.toFixed(6)))).toEqual([-0.01, 0.1, -0.15]);
    expect(l.max.map((v) => Number(v.toFixed(6)))).toEqual([0.01, 0.3, 0.15]);
    // Normals follow the rotation: the lid's +x face now faces +y.
    const m = lid!.geometry!.kind === 'mesh' ? lid!.geometry! : null;
    expect(m!.normals!.slice(0, 3).map((v) => Number(v.toFixed(6)) + 0)).toEqual([0, 1, 0]);
    expect(m!.indices.length).toBe(36);
  });

  it('weighs what wood of its collider volume weighs', async () => {
    const { document } = await gltfAsset(glbBytes([BOXES[0]!]), 'box.glb');
    const report = await inspectScene(document, 'box.glb', []);
    expect(report.bodies[0]!.mass).toBeCloseTo(600 * 0.1 * 0.2 * 0.3, 4);
  });

  it('a .gltf with its buffer embedded reads as the same GLB', async () => {
    const fromText = await gltfAsset(gltfText(BOXES), 'crate.gltf');
    const fromGlb = await gltfAsset(glbBytes(BOXES), 'crate.glb');
    expect({ ...fromText.document, source: null }).toEqual({ ...fromGlb.document, source: null });
  });

  it('takes the base colour texture as the look image, tinted by the base colour, over TEXCOORD_0 turned into st', async () => {
    const png = encodePng({ width: 2, height: 1, channels: 3, depth: 8, data: new Uint8Array([255, 0, 0, 0, 0, 255]) });
    const { document, warnings } = await gltfAsset(glbBytes(BOXES, { texture: png }), 'crate.glb');
    expect(warnings).toEqual([]);
    const [first, second] = document.prims.slice(1);
    expect(first!.material!.color[0]).toBeCloseTo(0.8, 6);
    // Both materials use the one image: one file.
    expect(first!.material!.image).toBe('textures/albedo.png');
    expect(second!.material!.image).toBe('textures/albedo.png');
    expect(document.assets).toEqual({ 'textures/albedo.png': assetText(png) });
    // The first face's corners: glTF (0,1) (1,1) (1,0) (0,0) are st (0,0) (1,0) (1,1) (0,1).
    const g = first!.geometry!;
    expect(g.kind === 'mesh' && g.uvs!.slice(0, 8)).toEqual([0, 0, 1, 0, 1, 1, 0, 1]);
    // The asset goes into a scene with its image, and its USD says so.
    expect(exportUsda(document)).toContain('asset inputs:file = @./textures/albedo.png@');
  });

  it('leaves an image in another file out, with a warning, and keeps the base colour', async () => {
    const { document, warnings } = await gltfAsset(glbBytes([BOXES[0]!], { texture: 'external' }), 'box.glb');
    expect(document.prims[1]!.material!.color[0]).toBeCloseTo(0.8, 6);
    expect(document.prims[1]!.material!.image).toBeUndefined();
    expect(warnings).toEqual(["images[0]: is another file (a .gltf's images must be embedded, or pick the .glb); left untextured"]);
    const text = await gltfAsset(gltfText([BOXES[0]!], { texture: 'external' }), 'box.gltf');
    expect(text.document.prims.length).toBe(2);
    const broken = await gltfAsset(glbBytes([BOXES[0]!], { texture: new Uint8Array([1, 2, 3, 4]) }), 'box.glb');
    expect(broken.warnings).toEqual(['box.glb images[0] (albedo): not an image Simloop reads: expected PNG or JPEG bytes; left untextured']);
  });

  it('refuses buffers in other files, unreadable files and files without triangles, naming the file', async () => {
    const external = JSON.parse(new TextDecoder().decode(gltfText(BOXES)));
    external.buffers[0].uri = 'crate.bin';
    await expect(gltfAsset(new TextEncoder().encode(JSON.stringify(external)), 'crate.gltf')).rejects.toThrow('crate.gltf: buffers[0].uri: "crate.bin" is another file; pick the .glb, or a .gltf with its buffers embedded (data: URIs)');
    await expect(gltfAsset(new TextEncoder().encode('{ nope'), 'bad.gltf')).rejects.toThrow(/^bad\.gltf: is not glTF JSON/);
    const glb = glbBytes(BOXES);
    await expect(gltfAsset(glb.slice(0, 40), 'cut.glb')).rejects.toThrow(/^cut\.glb: is not a readable glTF 2\.0 file/);
    const empty = new TextEncoder().encode(JSON.stringify({ asset: { version: '2.0' }, scene: 0, scenes: [{ nodes: [0] }], nodes: [{ name: 'Empty' }] }));
    await expect(gltfAsset(empty, 'empty.gltf')).rejects.toThrow('empty.gltf: has no triangle meshes to add');
    const v1 = new TextEncoder().encode(JSON.stringify({ asset: { version: '1.0' } }));
    await expect(gltfAsset(v1, 'old.gltf')).rejects.toThrow(/^old\.gltf: is not a readable glTF 2\.0 file/);
  });

  it('knows its extensions', () => {
    expect(['a.glb', 'B.GLTF', 'c.obj'].map(isGltfAsset)).toEqual([true, true, false]);
  });
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSceneFile } from '../engine/load.ts';
import { meshResolverForFile, sceneBytesForPage } from './meshes.ts';

const FIXTURE = 'scenes/fixtures/urdf/test_arm.urdf';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('meshResolverForFile (ROS-style lookup on disk)', () => {
  it('finds the fixture`s package:// and relative meshes from the URDF`s folder', () => {
    const resolve = meshResolverForFile(FIXTURE, '');
    expect(resolve('package://test_arm/meshes/elbow_cap.stl')).toEqual(new Uint8Array(readFileSync('scenes/fixtures/urdf/meshes/elbow_cap.stl')));
    expect(resolve('meshes/forearm.obj')?.length).toBeGreaterThan(0);
    expect(resolve('package://test_arm/meshes/missing_gripper.stl')).toBeNull();
  });

  it('looks in ROS_PACKAGE_PATH, and in a package folder found up the URDF`s folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'simloop-meshes-'));
    dirs.push(root);
    // ws/src/arm_description/{urdf/arm.urdf, meshes/link.stl}; other_pkg elsewhere on ROS_PACKAGE_PATH.
    mkdirSync(join(root, 'ws/src/arm_description/urdf'), { recursive: true });
    mkdirSync(join(root, 'ws/src/arm_description/meshes'), { recursive: true });
    mkdirSync(join(root, 'opt/share/other_pkg/meshes'), { recursive: true });
    writeFileSync(join(root, 'ws/src/arm_description/meshes/link.stl'), 'own');
    writeFileSync(join(root, 'opt/share/other_pkg/meshes/tool.stl'), 'other');
    const resolve = meshResolverForFile(join(root, 'ws/src/arm_description/urdf/arm.urdf'), join(root, 'opt/share'));
    expect(new TextDecoder().decode(resolve('package://arm_description/meshes/link.stl')!)).toBe('own');
    expect(new TextDecoder().decode(resolve('package://other_pkg/meshes/tool.stl')!)).toBe('other');
    expect(new TextDecoder().decode(resolve(`file://${join(root, 'opt/share/other_pkg/meshes/tool.stl')}`)!)).toBe('other');
    expect(resolve('package://nowhere/meshes/x.stl')).toBeNull();
  });
});

describe('sceneBytesForPage', () => {
  it('hands a URDF on as the scene document it imports to, meshes included; other files unchanged', async () => {
    const urdf = new Uint8Array(readFileSync(FIXTURE));
    const page = await sceneBytesForPage(urdf, FIXTURE);
    const document = (await loadSceneFile(page, 'test_arm.json')).document;
    expect(document.prims.find((p) => p.path === '/test_arm/hand/visual_2')?.geometry?.kind).toBe('mesh');
    expect(document.prims.find((p) => p.path === '/test_arm/forearm/collision_0')?.geometry?.kind).toBe('mesh');
    const usda = new Uint8Array(readFileSync('scenes/tabletop.usda'));
    expect(await sceneBytesForPage(usda, 'scenes/tabletop.usda')).toBe(usda);
  });

  it('hands a USD scene composed with --variant choices on as that document (what generate, demos and eval give the page)', async () => {
    const scene = 'scenes/fixtures/variants/scene.usda';
    const bytes = new Uint8Array(readFileSync(scene));
    const body = async (page: Uint8Array | Promise<Uint8Array>) => (await loadSceneFile(await page, 'page.json')).document.prims.find((p) => p.path === '/World/Block/Body')!;
    expect((await body(sceneBytesForPage(bytes, scene))).geometry?.kind).toBe('box');
    const ball = sceneBytesForPage(bytes, scene, [{ prim: '/World/Block', set: 'shape', selection: 'ball' }]);
    expect((await body(ball)).geometry).toEqual({ kind: 'sphere', radius: 0.25 });
  });

  it('hands a USD layer that names other files on as its document, those files inside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simloop-page-'));
    try {
      mkdirSync(join(dir, 'parts'));
      writeFileSync(join(dir, 'parts/box.usda'), '#usda 1.0\n(\n    defaultPrim = "Box"\n    metersPerUnit = 1\n    upAxis = "Y"\n)\ndef Cube "Box" { double size = 0.2 }\n');
      const scene = '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n)\ndef Xform "World"\n{\n    def "Box" (prepend references = @./parts/box.usda@) { }\n}\n';
      writeFileSync(join(dir, 'scene.usda'), scene);
      const page = await sceneBytesForPage(new TextEncoder().encode(scene), join(dir, 'scene.usda'));
      const document = (await loadSceneFile(page, 'scene.usda')).document;
      expect(document.prims.find((p) => p.path === '/World/Box')?.geometry).toEqual({ kind: 'box', size: [0.2, 0.2, 0.2] });
      expect(Object.keys(document.assets ?? {})).toEqual(['parts/box.usda']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands the Open Chess Set (ASWF usd-wg-assets: references, payloads, crate geometry) on as its composed document', async () => {
    // Its pieces come through references and payloads of .usd layers beside it, which leave nothing
    // in the document's assets: the page once got the bare layer, could not read the rest, and drew
    // an empty grey frame.
    const scene = 'scenes/fixtures/third-party/OpenChessSet/chess_set.usda';
    const page = await sceneBytesForPage(new Uint8Array(readFileSync(scene)), scene);
    const document = (await loadSceneFile(page, 'chess_set.json')).document;
    const meshes = document.prims.filter((p) => p.geometry?.kind === 'mesh');
    expect(meshes).toHaveLength(49);
    expect(meshes.map((p) => p.path)).toContain('/ChessSet/White/Queen/Geom/Render');
  }, 60_000);
});

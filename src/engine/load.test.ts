import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import { ASSET_FILE_EXTENSIONS, IMPORTERS, loadAssetFile, loadSceneFile, MODEL_FILE_EXTENSIONS, SCENE_FILE_EXTENSIONS } from './load.ts';
import { readMeshFile } from './mesh/meshFile.ts';
import { PhysicsWorld } from './physics/world.ts';

const mesh = (name: string) => new Uint8Array(readFileSync(`scenes/fixtures/urdf/meshes/${name}`));

describe('the importers table', () => {
  it('owns every file name ending once, and the lists the UI offers come from it', () => {
    const endings = IMPORTERS.flatMap((i) => i.extensions);
    expect(new Set(endings).size).toBe(endings.length);
    expect([...SCENE_FILE_EXTENSIONS].sort()).toEqual(IMPORTERS.filter((i) => i.role === 'scene').flatMap((i) => i.extensions).sort());
    expect([...MODEL_FILE_EXTENSIONS].sort()).toEqual(['.dae', '.glb', '.gltf', '.obj', '.stl']);
    expect(SCENE_FILE_EXTENSIONS[0]).toBe('.usda');
    expect([...ASSET_FILE_EXTENSIONS].sort()).toEqual([...SCENE_FILE_EXTENSIONS, ...MODEL_FILE_EXTENSIONS].sort());
  });

  it('recognises scene files by their bytes, whatever their name says', async () => {
    const usda = readFileSync('scenes/pendulum.usda');
    expect((await loadSceneFile(usda, 'pendulum.json')).document.source.format).toBe('usda');
    const urdf = readFileSync('scenes/fixtures/urdf/test_arm.urdf');
    expect((await loadSceneFile(urdf, 'robot.usda')).document.source.format).toBe('urdf');
  });

  it('opens model files only as assets: a scene opened from an STL is refused, naming the file', async () => {
    await expect(loadSceneFile(mesh('elbow_cap.stl'), 'elbow_cap.stl')).rejects.toThrow(/^elbow_cap\.stl: /);
    await expect(loadSceneFile(new Uint8Array(0), 'nothing.usda')).rejects.toThrow(/^nothing\.usda: file is empty/);
  });
});

describe('a mesh file as an asset', () => {
  it('is one dynamic body as dense as wood, the mesh its visual and its convex hull its collider, turned Z-up → Y-up', async () => {
    const { document, warnings } = await loadAssetFile(mesh('forearm.obj'), 'meshes/forearm.obj');
    expect(warnings).toEqual([]);
    expect(document.prims.map((p) => [p.path, p.type])).toEqual([
      ['/forearm', 'Xform'],
      ['/forearm/forearm', 'Xform'],
      ['/forearm/forearm/visual_0', 'Mesh'],
      ['/forearm/forearm/collision_0', 'Mesh'],
    ]);
    const [root, body, visual, collision] = document.prims;
    const q = root!.transform.orientation;
    expect(q[0]).toBeCloseTo(-Math.SQRT1_2, 15);
    expect(q[3]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(body!.body?.type).toBe('dynamic');
    expect(body!.mass).toEqual({ density: 600 });
    const read = readMeshFile(mesh('forearm.obj'), 'obj');
    if (!('geometry' in read)) throw new Error(read.problem);
    expect(visual!.geometry).toEqual(read.geometry);
    expect(collision!.geometry).toEqual(read.geometry);
    expect(collision!.visible).toBe(false);
    expect(collision!.collider?.approximation).toBe('convexHull');

    // It simulates: it falls under gravity.
    const world = await PhysicsWorld.create(document);
    try {
      const before = world.readPoses()[1]!;
      world.step(60);
      expect(world.readPoses()[1]!).toBeLessThan(before - 0.1);
    } finally {
      world.free();
    }
  });

  it('reads STL and COLLADA too, and refuses a broken mesh naming the file and why', async () => {
    for (const name of ['elbow_cap.stl', 'wrist_shell.dae']) {
      const { document } = await loadAssetFile(mesh(name), name);
      expect(document.prims.filter((p) => p.geometry?.kind === 'mesh')).toHaveLength(2);
    }
    const broken = loadAssetFile(new TextEncoder().encode('not a mesh'), 'part.stl');
    await expect(broken).rejects.toThrow(InputError);
    await expect(loadAssetFile(new TextEncoder().encode('not a mesh'), 'part.stl')).rejects.toThrow(/^part\.stl: could not be read as a mesh \(the file is not a readable STL file/);
    await expect(loadAssetFile(new TextEncoder().encode('# nothing\n'), 'empty.obj')).rejects.toThrow(/^empty\.obj: could not be read as a mesh \(the file has no triangles/);
  });
});

describe('readMeshFile', () => {
  it('scales points, and reverses the winding under a mirroring scale so faces still point out', () => {
    const plain = readMeshFile(mesh('elbow_cap.stl'), 'stl');
    const mirrored = readMeshFile(mesh('elbow_cap.stl'), 'stl', [-2, 2, 2]);
    if (!('geometry' in plain) || !('geometry' in mirrored)) throw new Error('unreadable fixture');
    expect(mirrored.geometry.points[0]).toBeCloseTo(-2 * plain.geometry.points[0]!, 12);
    expect(mirrored.geometry.points[1]).toBeCloseTo(2 * plain.geometry.points[1]!, 12);
    const [a, b, c] = plain.geometry.indices;
    expect(mirrored.geometry.indices.slice(0, 3)).toEqual([a, c, b]);
  });
});

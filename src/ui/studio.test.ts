import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createStudioStore } from './state/store.ts';
import { directSim } from './testing/directSim.ts';
import { chooseSceneFile, createStudio, namedFiles, type PickedFile } from './studio.ts';

const tabletopBytes = () => new Uint8Array(readFileSync(new URL('../../scenes/tabletop.usda', import.meta.url))).buffer;

describe('studio controller', () => {
  it('opens a scene: state, poses and an info message', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, directSim().sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    const state = store.getState();
    expect(state.scene?.fileName).toBe('tabletop.usda');
    expect(state.scene?.movingBodies).toHaveLength(6);
    expect(state.scene?.bodyCount).toBe(7);
    expect(state.poses).toHaveLength(42);
    expect(state.loading).toBeNull();
    expect(state.messages.map((m) => m.level)).toEqual(['info']);
  });

  it('keeps the current scene when a file is broken, and says which file', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, directSim().sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    const scene = store.getState().scene;
    await studio.openBytes(new Uint8Array([1, 2, 3, 4]).buffer, 'broken.usda');
    const state = store.getState();
    expect(state.scene).toBe(scene);
    const errors = state.messages.filter((m) => m.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.text).toMatch(/^broken\.usda: not a USD file/);
  });

  it('step, play, pause and reset reach the simulation and come back as frames', async () => {
    const store = createStudioStore();
    const fake = directSim();
    const studio = createStudio(store, fake.sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    await studio.step();
    expect(store.getState().status.steps).toBe(1);
    await studio.play();
    expect(store.getState().status.playing).toBe(true);
    await studio.pause();
    expect(store.getState().status.playing).toBe(false);
    await studio.reset();
    expect(store.getState().status).toEqual({ time: 0, steps: 0, playing: false });
  });

  it('ignores frames from a scene that is no longer loaded', async () => {
    const store = createStudioStore();
    const fake = directSim();
    const studio = createStudio(store, fake.sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    const before = store.getState();
    fake.send({ generation: fake.generation() + 7, poses: new Float32Array(7), status: { time: 9, steps: 9, playing: true } });
    expect(store.getState()).toBe(before);
  });

  it('does nothing on play before any scene is open', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, directSim().sim);
    await studio.play();
    expect(store.getState().messages).toEqual([]);
  });
});

describe('opening several files (a dropped folder, a multiple pick)', () => {
  const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../scenes/fixtures/urdf/${name}`, import.meta.url)));
  const picked = (path: string, bytes: Uint8Array): PickedFile => ({ path, file: new File([new Uint8Array(bytes)], path.split('/').pop()!) });
  const urdfFolder = (): PickedFile[] => [
    picked('test_arm/test_arm.urdf', fixture('test_arm.urdf')),
    picked('test_arm/meshes/elbow_cap.stl', fixture('meshes/elbow_cap.stl')),
    picked('test_arm/meshes/forearm.obj', fixture('meshes/forearm.obj')),
    picked('test_arm/meshes/wrist_shell.dae', fixture('meshes/wrist_shell.dae')),
    picked('test_arm/README.md', new TextEncoder().encode('# notes')),
  ];

  it('picks the one scene file, and a URDF`s meshes to go with it', () => {
    const choice = chooseSceneFile(urdfFolder());
    if ('error' in choice) throw new Error(choice.error);
    expect(choice.scene.path).toBe('test_arm/test_arm.urdf');
    expect(choice.companions.map((m) => m.path)).toEqual(['test_arm/meshes/elbow_cap.stl', 'test_arm/meshes/forearm.obj', 'test_arm/meshes/wrist_shell.dae']);
    const two = [picked('a.usda', new Uint8Array(1)), picked('b.usda', new Uint8Array(1))];
    expect(chooseSceneFile(two)).toEqual({ error: '2 scene files were given (a.usda, b.usda); open one at a time: a URDF with its mesh files, or a USD layer or an MJCF model with the files it names in folders below it' });
    expect(chooseSceneFile([picked('x.stl', new Uint8Array(1)), picked('y.png', new Uint8Array(1))])).toEqual({ error: 'none of the 2 files given is a scene file (expected one of .usda, .usdc, .usd, .usdz, .json, .xml, .mjcf, .urdf)' });
  });

  it('opens a URDF folder with its meshes: only the missing mesh is a stand-in, and the studio works from the document with meshes', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, directSim().sim);
    await studio.openFiles(urdfFolder());
    const state = store.getState();
    expect(state.scene?.fileName).toBe('test_arm/test_arm.urdf');
    const standIns = state.messages.filter((m) => /using a stand-in/.test(m.text));
    expect(standIns.map((m) => m.text)).toEqual([expect.stringContaining('missing_gripper.stl" was not found')]);
    // Generation and the Robot tab get this document (JSON), the meshes in it.
    const source = JSON.parse(new TextDecoder().decode(state.scene!.source));
    expect(source.prims.find((p: { path: string }) => p.path === '/test_arm/hand/visual_2').geometry.kind).toBe('mesh');
  });

  it('opens a USD scene folder: the top layer is the scene, its references and textures are read from the others', async () => {
    const part = `#usda 1.0\n(\n    defaultPrim = "Part"\n    metersPerUnit = 1\n    upAxis = "Y"\n)\ndef Cube "Part" (prepend apiSchemas = ["MaterialBindingAPI"])\n{\n    double size = 0.2\n    rel material:binding = </Part/Look>\n    def Material "Look"\n    {\n        token outputs:surface.connect = </Part/Look/Surface.outputs:surface>\n        def Shader "Surface"\n        {\n            uniform token info:id = "UsdPreviewSurface"\n            color3f inputs:diffuseColor.connect = </Part/Look/Image.outputs:rgb>\n            token outputs:surface\n        }\n        def Shader "Image"\n        {\n            uniform token info:id = "UsdUVTexture"\n            asset inputs:file = @../textures/red.png@\n            float3 outputs:rgb\n        }\n    }\n}\n`;
    const scene = '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n)\ndef Xform "World"\n{\n    def "Part" (prepend references = @./assets/part.usda@) { }\n}\n';
    const red = encodePng({ width: 1, height: 1, channels: 3, depth: 8, data: new Uint8Array([255, 0, 0]) });
    const folder = [
      picked('kit/assets/part.usda', new TextEncoder().encode(part)),
      picked('kit/scene.usda', new TextEncoder().encode(scene)),
      picked('kit/textures/red.png', red),
    ];
    const choice = chooseSceneFile(folder);
    if ('error' in choice) throw new Error(choice.error);
    expect([choice.scene.path, choice.companions.map((c) => c.path)]).toEqual(['kit/scene.usda', ['kit/assets/part.usda', 'kit/textures/red.png']]);
    // Picked one by one (no folders): the layer no other names is the scene.
    const flat = [picked('part.usda', new TextEncoder().encode(part)), picked('scene.usda', new TextEncoder().encode(scene)), picked('red.png', red)];
    const flatChoice = chooseSceneFile(flat, { named: namedFiles([part, scene]) });
    expect('error' in flatChoice ? flatChoice.error : flatChoice.scene.path).toBe('scene.usda');
    const store = createStudioStore();
    const studio = createStudio(store, directSim().sim);
    await studio.openFiles(flat);
    expect(store.getState().scene?.document.prims.find((p) => p.path === '/World/Part')!.material?.image).toBe('textures/red.png');
    await studio.openFiles(folder);
    const state = store.getState();
    expect(state.messages.filter((m) => m.level !== 'info')).toEqual([]);
    expect(state.scene?.fileName).toBe('kit/scene.usda');
    const document = state.scene!.document;
    expect(document.references).toEqual([{ prim: '/World/Part', asset: 'assets/part.usda', target: null }]);
    expect(document.prims.find((p) => p.path === '/World/Part')!.material?.image).toBe('textures/red.png');
    expect(Object.keys(document.assets!).sort()).toEqual(['assets/part.usda', 'textures/red.png']);
    // Without the texture beside it, the scene still opens, and says what is missing.
    await studio.openFiles(folder.slice(0, 2));
    expect(store.getState().messages.map((m) => m.text)).toContainEqual(expect.stringMatching(/^\/World\/Part\/Look\/Image: texture file textures\/red\.png was not found/));
  });

  it('opens an MJCF model folder (the SO-101 as MuJoCo Menagerie lays it out): the model no other file includes, with its includes and meshes', async () => {
    const dir = '../../scenes/robots/so101/';
    const file = (name: string) => new Uint8Array(readFileSync(new URL(dir + name, import.meta.url)));
    const meshes = ['base_so101_v2.stl', 'sts3215_03a_v1.stl', 'upper_arm_so101_v1.stl'];
    const folder = [
      picked('so101/scene.xml', file('scene.xml')),
      picked('so101/so101_new_calib.xml', file('so101_new_calib.xml')),
      // A fragment of defaults (its root is <default>): not a model.
      picked('so101/joints_properties.xml', file('joints_properties.xml')),
      ...meshes.map((m) => picked(`so101/assets/${m}`, file(`assets/${m}`))),
    ];
    const store = createStudioStore();
    const studio = createStudio(store, directSim().sim);
    await studio.openFiles(folder);
    const state = store.getState();
    expect(state.messages.filter((m) => m.level === 'error')).toEqual([]);
    expect(state.scene?.fileName).toBe('so101/scene.xml');
    const document = state.scene!.document;
    expect(document.source.format).toBe('mjcf');
    expect(document.joints).toHaveLength(6);
    expect(document.prims.some((p) => p.path.startsWith('/scene/upper_arm/') && p.geometry?.kind === 'mesh')).toBe(true);
    // The meshes not given are named, one warning each; the rest opened.
    expect(state.messages.map((m) => m.text)).toContainEqual(expect.stringMatching(/<mesh file="moving_jaw_so101_v1.stl">: mesh file "assets\/moving_jaw_so101_v1.stl" was not found/));
  });

  it('says why when no scene can be chosen, and keeps the open scene', async () => {
    const store = createStudioStore();
    const studio = createStudio(store, directSim().sim);
    await studio.openBytes(tabletopBytes(), 'tabletop.usda');
    const scene = store.getState().scene;
    await studio.openFiles([picked('a.usda', new Uint8Array(1)), picked('b.usda', new Uint8Array(1))]);
    expect(store.getState().scene).toBe(scene);
    expect(store.getState().messages.at(-1)).toMatchObject({ level: 'error', text: 'Open: 2 scene files were given (a.usda, b.usda); open one at a time: a URDF with its mesh files, or a USD layer or an MJCF model with the files it names in folders below it' });
  });
});

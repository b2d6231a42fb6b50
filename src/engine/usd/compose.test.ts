/**
 * Composition of references against hand-written layers whose composed result is known: what the
 * referenced prim brings, what the referencing layer says over it, and the errors a reference
 * that cannot be followed gives.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { differences } from '../testing/roundTrip.ts';
import { exportUsdLayers } from './export.ts';
import { resolveAssetKey } from '../scene/assets.ts';
import { importUsd } from './import.ts';
import { packUsdz } from './usdz.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const HEADER = '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n    defaultPrim = "Robot"\n)\n';

const ROBOT = `${HEADER}
def Xform "Robot" (prepend apiSchemas = ["PhysicsArticulationRootAPI"])
{
    def Cube "Base" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"])
    {
        double size = 0.2
        float physics:mass = 3
    }
    def Cube "Arm" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 0.1
        double3 xformOp:translate = (0, 0.3, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def PhysicsRevoluteJoint "Hinge"
    {
        rel physics:body0 = </Robot/Base>
        rel physics:body1 = </Robot/Arm>
        uniform token physics:axis = "Z"
    }
    def Sphere "Lamp" { double radius = 0.05 }
    def "Tool" (prepend references = @./parts/gripper.usda@) { }
}
`;
const GRIPPER = '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n    defaultPrim = "Gripper"\n)\ndef Cube "Gripper" { double size = 0.04 }\n';
const NO_DEFAULT = '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n)\ndef Cube "Gripper" { double size = 0.04 }\n';
const ASSETS: Record<string, string> = { 'robots/robot.usda': ROBOT, 'robots/parts/gripper.usda': GRIPPER };
const resolve = (key: string) => (key in ASSETS ? utf8(ASSETS[key]!) : undefined);

const SCENE = `#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "World"
{
    def Xform "R1" (
        prepend references = @./robots/robot.usda@
        reorder nameChildren = ["Arm", "Base"]
    )
    {
        double3 xformOp:translate = (1, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
        over "Base"
        {
            float physics:mass = None
        }
        over "Arm" (delete apiSchemas = ["PhysicsCollisionAPI"])
        {
            double size = 0.25
        }
        over "Lamp" (active = false)
        {
        }
        def Sphere "Marker" { double radius = 0.1 }
    }
    def "R2" (prepend references = @robots/robot.usda@</Robot/Arm>) { }
    def "Copy" (prepend references = </World/R2>) { }
}
`;

describe('references', () => {
  const { document, warnings } = importUsd(SCENE, 'scene.usda', { resolve });
  const prim = (path: string) => document.prims.find((p) => p.path === path);

  it('bring the referenced subtree under the referencing prim, nested references and joint bodies included', () => {
    expect(warnings).toEqual([]);
    expect(prim('/World/R1')!.transform.position).toEqual([1, 0, 0]);
    expect(prim('/World/R1')!.articulationRoot).toBe(true);
    expect(prim('/World/R1/Tool')!.geometry).toEqual({ kind: 'box', size: [0.04, 0.04, 0.04] });
    expect(document.joints.map((j) => [j.path, j.body0, j.body1])).toEqual([['/World/R1/Hinge', '/World/R1/Base', '/World/R1/Arm']]);
    // A reference to a prim other than the default one, and one within the layer.
    expect(prim('/World/R2')!.geometry).toEqual({ kind: 'box', size: [0.1, 0.1, 0.1] });
    expect(prim('/World/R2')!.transform.position).toEqual([0, 0.3, 0]);
    expect(prim('/World/Copy')!.geometry).toEqual(prim('/World/R2')!.geometry);
  });

  it('take the referencing layer`s opinions over them: values, blocks, deactivation, API schemas, new prims, child order', () => {
    expect(prim('/World/R1/Base')!.mass).toBeUndefined();
    expect(prim('/World/R1/Arm')!.geometry).toEqual({ kind: 'box', size: [0.25, 0.25, 0.25] });
    expect(prim('/World/R1/Arm')!.collider).toBeUndefined();
    expect(prim('/World/R1/Base')!.collider).toBeDefined();
    expect(prim('/World/R1/Lamp')).toBeUndefined();
    // Sdf's reorder: each named child takes along the unnamed ones that followed it.
    expect(document.prims.filter((p) => p.path.startsWith('/World/R1/') && p.path.split('/').length === 4).map((p) => p.path)).toEqual([
      '/World/R1/Arm',
      '/World/R1/Hinge',
      '/World/R1/Tool',
      '/World/R1/Marker',
      '/World/R1/Base',
    ]);
  });

  it('are kept in the document with the layers they reach', () => {
    expect(document.references).toEqual([
      { prim: '/World/R1', asset: 'robots/robot.usda', target: null },
      { prim: '/World/R2', asset: 'robots/robot.usda', target: '/Robot/Arm' },
    ]);
    expect(Object.keys(document.assets!).sort()).toEqual(['robots/parts/gripper.usda', 'robots/robot.usda']);
    expect(document.assets!['robots/robot.usda']).toBe(ROBOT);
  });

  it('resolve inside a USDZ package against its own files', () => {
    const usdz = packUsdz([
      { name: 'scene.usda', bytes: utf8(SCENE) },
      { name: 'robots/robot.usda', bytes: utf8(ROBOT) },
      { name: 'robots/parts/gripper.usda', bytes: utf8(GRIPPER) },
    ]);
    const packed = importUsd(usdz, 'scene.usdz');
    expect(packed.document.prims).toEqual(document.prims);
    expect(packed.document.references).toEqual(document.references);
  });

  it('that cannot be followed are warnings naming the layer, the prim and the arc; the rest still composes', () => {
    const warned = (text: string, files: Record<string, string> = {}) => {
      const result = importUsd(text, 'scene.usda', { resolve: (k) => (k in files ? utf8(files[k]!) : undefined) });
      expect(result.document.prims.map((p) => p.path)).toContain('/A');
      return result.warnings;
    };
    expect(warned('#usda 1.0\ndef Xform "A" (prepend references = @gone.usda@) { }\n')).toContain(
      'scene.usda: /A references @gone.usda@: gone.usda was not given (choose it together with the scene, or open a folder or .usdz package that holds it); its opinions are missing',
    );
    expect(warned('#usda 1.0\ndef Xform "A" (prepend references = @a.usda@) { }\n', { 'a.usda': NO_DEFAULT })).toContain(
      'scene.usda: /A references @a.usda@: a.usda names no defaultPrim, so the reference must name a prim',
    );
    const loop = '#usda 1.0\n(\n    defaultPrim = "L"\n)\ndef Xform "L" (prepend references = @./b.usda@) { }\n';
    const cycle = warned('#usda 1.0\ndef Xform "A" (prepend references = @a.usda@) { }\n', { 'a.usda': loop, 'b.usda': loop.replace('b.usda', 'a.usda') });
    expect(cycle.some((w) => /\/A: a reference to <\/L> in (a|b)\.usda makes a composition cycle; it is skipped/.test(w))).toBe(true);
    // A reference to a prim the layer does not have brings nothing, as in OpenUSD.
    const { document } = importUsd('#usda 1.0\ndef Xform "A" (prepend references = @a.usda@</Nope>) { }\n', 'scene.usda', { resolve: () => utf8(GRIPPER) });
    expect(document.prims.map((p) => p.path)).toEqual(['/A']);
  });

  it('resolve asset paths against the layer that writes them', () => {
    expect(resolveAssetKey('', './robots/robot.usda')).toBe('robots/robot.usda');
    expect(resolveAssetKey('robots/robot.usda', './parts/gripper.usda')).toBe('robots/parts/gripper.usda');
    expect(resolveAssetKey('robots/robot.usda', '../shared/table.usda')).toBe('shared/table.usda');
    expect(resolveAssetKey('', '../outside.usda')).toBe('../outside.usda');
  });
});

describe('what composition does not follow is a warning naming the layer, the prim and the arc', () => {
  it('relocates (layer and prim) and value clips', () => {
    const { document, warnings } = importUsd(
      `#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Y"
    relocates = {
        </Rig/Arm>: </Rig/Anim/Arm>
    }
)
def Xform "Rig" (
    relocates = {
        <Hand>: <Anim/Hand>
    }
)
{
    def Cube "Arm" { }
    def Cube "Hand" { }
}
def Xform "Shot" (
    clips = {
        dictionary default = {
            asset[] assetPaths = [@./clip.usda@]
            string primPath = "/Shot"
        }
    }
)
{
}
`,
      'rig.usda',
    );
    expect(document.prims.map((p) => p.path)).toEqual(['/Rig', '/Rig/Arm', '/Rig/Hand', '/Shot']);
    expect(warnings).toContain('rig.usda: layer relocates are not composed; the prims stay where they are authored');
    expect(warnings).toContain('rig.usda: /Rig: relocates are not composed; the prims stay where they are authored');
    expect(warnings).toContain('rig.usda: /Shot: value clips are not read; the attributes keep their own values');
  });
});

describe('export of a composed scene', () => {
  const folder = new URL('../../../scenes/fixtures/variants/', import.meta.url);
  const resolve = (key: string) => {
    const url = new URL(key, folder);
    return existsSync(url) ? new Uint8Array(readFileSync(url)) : undefined;
  };
  const open = (variants: { prim: string; set: string; selection: string }[] = []) =>
    importUsd(readFileSync(new URL('scene.usda', folder)), 'scene.usda', { resolve, variants }).document;

  it('keeps the references when references alone compose the root layer, and writes the variant chosen flattened', () => {
    const authored = open();
    expect(authored.references).toEqual([{ prim: '/World/Block', asset: 'assets/block.usda', target: null }]);
    const ball = open([{ prim: '/World/Block', set: 'shape', selection: 'ball' }]);
    expect(ball.references).toBeUndefined();
    const layers = exportUsdLayers(ball);
    expect(Object.keys(layers.assets)).toEqual([]);
    // Written flattened, it imports back as the same scene (its variant sets are gone: nothing is left to switch).
    const back = importUsd(layers.root, 'exported.usda').document;
    const { variantSets: _gone, ...flattened } = ball;
    expect(differences(back, flattened)).toEqual([]);
    expect(back.prims.find((p) => p.path === '/World/Block/Body')!.geometry).toEqual({ kind: 'sphere', radius: 0.25 });
  });
});

describe('PointInstancer instances', () => {
  it('are made for every instance but the inactive ones (inactiveIds), the invisible ones hidden (invisibleIds)', () => {
    const { document } = importUsd(
      `#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Y"
)
def PointInstancer "Scatter" (
    inactiveIds = [1]
)
{
    point3f[] positions = [(0, 0, 0), (1, 0, 0), (2, 0, 0)]
    int[] protoIndices = [0, 0, 0]
    int64[] invisibleIds = [2]
    rel prototypes = </Scatter/Box>
    def Cube "Box" { double size = 0.5 }
}
`,
      'scatter.usda',
    );
    const prim = (path: string) => document.prims.find((p) => p.path === path);
    expect(document.prims.map((p) => p.path)).toEqual(['/Scatter', '/Scatter/instance_0', '/Scatter/instance_0/Box', '/Scatter/instance_2', '/Scatter/instance_2/Box']);
    expect(prim('/Scatter/instance_0')!.visible).toBe(true);
    expect(prim('/Scatter/instance_2')!.visible).toBe(false);
    expect(prim('/Scatter/instance_2')!.transform.position).toEqual([2, 0, 0]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { inspectScene, type InspectReport } from '../report/contract.ts';
import { primIndex } from '../scene/hierarchy.ts';
import { EARTH_GRAVITY, type SceneDocument } from '../scene/schema.ts';
import { addPrim } from '../scene/edit.ts';
import { emptyDocument } from '../scene/document.ts';
import { approxDiff } from '../testing/approx.ts';
import { canonicalQuat, differences } from '../testing/roundTrip.ts';
import { randomScene } from '../testing/randomScene.ts';
import { importSnippet } from '../testing/usda.ts';
import { resolverFromAssets } from './compose.ts';
import { exportUsda } from './export.ts';
import { importUsd } from './import.ts';
import { BOX_SIDES_OP, TEXTURE_ATTRIBUTE } from './xform.ts';

const DEG = Math.PI / 180;

function roundTrip(doc: SceneDocument) {
  const text = exportUsda(doc);
  const back = importUsd(text, 'exported.usda', { resolve: resolverFromAssets(doc.assets ?? {}) });
  return { text, document: back.document, warnings: back.warnings };
}

/** The inspect report's physics and camera content, orientations made comparable. */
function reportContent(r: InspectReport) {
  return {
    gravity: r.gravity,
    bodies: r.bodies.map((b) => ({ ...b, orientation: canonicalQuat(b.orientation) })),
    joints: r.joints,
    cameras: r.cameras.map((c) => ({ ...c, orientation: canonicalQuat(c.orientation) })),
    warnings: r.warnings,
  };
}

async function expectSameReports(actual: SceneDocument, expected: SceneDocument, importWarnings: string[]) {
  const a = await inspectScene(actual, 'scene', importWarnings);
  const e = await inspectScene(expected, 'scene', []);
  // Reports are rounded to 7 digits; a value on a rounding boundary may land either side.
  expect(approxDiff(reportContent(a), reportContent(e), { rel: 1e-6, abs: 1e-9 })).toEqual([]);
  // The report's labels, masses and materials are those of the document.
  expect(a.bodies.map((b) => [b.path, b.type, b.label, b.mass, b.colliders.length])).toEqual(e.bodies.map((b) => [b.path, b.type, b.label, b.mass, b.colliders.length]));
}

const BUNDLED = [
  'scenes/tabletop.usda',
  'scenes/pendulum.usda',
  'scenes/panda_tabletop.usda',
  'scenes/fixtures/tabletop.usdz',
  'scenes/fixtures/hinge-cm-zup.usdc',
  'scenes/fixtures/isaac-style.usda',
  'scenes/fixtures/urdf/test_arm.urdf',
];

describe('exportUsda round trip on the bundled scenes', () => {
  for (const file of BUNDLED) {
    it(`${file}: importing the exported USDA gives the same document and the same inspect report`, async () => {
      const { document: original } = await loadSceneFile(readFileSync(file), file);
      const back = roundTrip(original);
      expect(back.warnings).toEqual([]);
      expect(back.document.prims.map((p) => p.path)).toEqual(original.prims.map((p) => p.path));
      expect(differences(back.document, original)).toEqual([]);
      expect(back.document.source).toEqual({ file: 'exported.usda', format: 'usda', metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Y' });
      await expectSameReports(back.document, original, back.warnings);
    });
  }

  it('keeps what is not a transform bit for bit: geometry, looks, masses, materials, labels, cameras, lights', async () => {
    for (const file of BUNDLED) {
      const { document: original } = await loadSceneFile(readFileSync(file), file);
      const back = roundTrip(original).document;
      const strip = (d: SceneDocument) => d.prims.map(({ transform: _t, body: _b, ...rest }) => rest);
      expect(strip(back)).toEqual(strip(original));
      expect(back.physicsMaterials).toEqual(original.physicsMaterials);
      expect(back.collisionGroups).toEqual(original.collisionGroups);
      expect(back.filteredPairs).toEqual(original.filteredPairs);
    }
  });
});

describe('exportUsda round trip on generated scenes', () => {
  const COUNT = 120;
  const scenes = Array.from({ length: COUNT }, (_, i) => randomScene(20240611, i));

  it('the generated scenes use every geometry kind, body type, joint type and the other features', () => {
    const kinds = new Set(scenes.flatMap((d) => d.prims.map((p) => p.geometry?.kind)).filter(Boolean));
    expect([...kinds].sort()).toEqual(['box', 'capsule', 'cone', 'cylinder', 'mesh', 'plane', 'sphere']);
    expect(new Set(scenes.flatMap((d) => d.prims.map((p) => p.body?.type)).filter(Boolean)).size).toBe(3);
    expect(new Set(scenes.flatMap((d) => d.joints.map((j) => j.type))).size).toBe(6);
    const all = scenes.flatMap((d) => d.prims);
    expect(new Set(all.map((p) => p.collider?.approximation).filter(Boolean)).size).toBe(6);
    expect(all.some((p) => p.geometry?.kind === 'box' && p.geometry.size[0] !== p.geometry.size[1])).toBe(true);
    expect(all.some((p) => p.material && p.material.roughness !== 0.5)).toBe(true);
    expect(new Set(all.map((p) => p.material?.texture).filter(Boolean)).size).toBeGreaterThan(4);
    expect(all.some((p) => p.labels['odd-taxonomy'])).toBe(true);
    expect(all.some((p) => p.camera) && all.some((p) => p.light)).toBe(true);
    expect(all.some((p) => p.camera?.resolution) && all.some((p) => p.camera && !p.camera.resolution)).toBe(true);
    const joints = scenes.flatMap((d) => d.joints);
    expect(joints.some((j) => j.limits.some((l) => l.low === null)) && joints.some((j) => j.drives.some((d) => d.maxForce === null))).toBe(true);
    expect(scenes.some((d) => d.collisionGroups.length) && scenes.some((d) => d.filteredPairs.length)).toBe(true);
    expect(scenes.some((d) => d.physicsMaterials.some((m) => m.frictionCombine !== 'average'))).toBe(true);
    const prims = scenes.flatMap((d) => d.prims);
    expect(new Set(prims.map((p) => p.material?.image).filter(Boolean))).toEqual(new Set(['textures/checker.png', 'textures/photos/grain.jpg']));
    expect(prims.some((p) => p.geometry?.kind === 'mesh' && p.geometry.uvs) && prims.some((p) => p.geometry?.kind === 'mesh' && !p.geometry.uvs)).toBe(true);
  });

  it(`${COUNT} random scenes come back equal, with no import warnings`, () => {
    const failures: string[] = [];
    scenes.forEach((doc, i) => {
      const back = roundTrip(doc);
      const diff = differences(back.document, doc);
      if (diff.length || back.warnings.length) failures.push(`scene ${i}: ${[...diff.slice(0, 3), ...back.warnings.slice(0, 3)].join('; ')}`);
    });
    expect(failures).toEqual([]);
  });

  it('and their inspect reports agree on bodies, colliders, masses, materials, labels, joints and cameras', async () => {
    for (const doc of scenes) {
      const back = roundTrip(doc);
      await expectSameReports(back.document, doc, back.warnings);
    }
  });
});

describe('the USDA text', () => {
  const { document } = importSnippet(
    `def Xform "World"
     {
         def PhysicsScene "Physics" { }
         def Cube "Base" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI", "SemanticsLabelsAPI:class"])
         {
             double size = 0.5
             float physics:mass = 2
             bool physics:kinematicEnabled = 1
             token[] semantics:labels:class = ["base"]
         }
         def Sphere "Arm" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
         {
             double radius = 0.1
             vector3f physics:angularVelocity = (0, 90, 0)
             quatd xformOp:orient = (0.5, 0.5, 0.5, 0.5)
             double3 xformOp:translate = (1, 0, 0)
             uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:orient"]
         }
         def PhysicsRevoluteJoint "Hinge" (prepend apiSchemas = ["PhysicsDriveAPI:angular"])
         {
             rel physics:body0 = </World/Base>
             rel physics:body1 = </World/Arm>
             uniform token physics:axis = "Z"
             float physics:lowerLimit = -45
             float physics:upperLimit = 90
             float drive:angular:physics:targetPosition = 30
             float drive:angular:physics:stiffness = 10
         }
         def Camera "Camera" { float focalLength = 24 }
         def SphereLight "Lamp" { float inputs:intensity = 300 }
         def Cube "Hidden" { token visibility = "invisible" }
     }`,
  );
  const text = exportUsda(document);

  it('is a metre, kilogram, Y-up layer', () => {
    expect(text.startsWith('#usda 1.0\n(\n    defaultPrim = "World"\n')).toBe(true);
    expect(text).toMatch(/^\s+metersPerUnit = 1$/m);
    expect(text).toMatch(/^\s+kilogramsPerUnit = 1$/m);
    expect(text).toMatch(/^\s+upAxis = "Y"$/m);
  });

  it('uses the standard UsdPhysics names, with angles in degrees', () => {
    expect(text).toContain('prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI", "PhysicsCollisionAPI", "SemanticsLabelsAPI:class"]');
    expect(text).toContain('float physics:mass = 2');
    expect(text).toContain('bool physics:kinematicEnabled = 1');
    expect(text).toContain('def PhysicsRevoluteJoint "Hinge"');
    expect(text).toContain('rel physics:body0 = </World/Base>');
    expect(text).toContain('rel physics:body1 = </World/Arm>');
    expect(text).toContain('uniform token physics:axis = "Z"');
    expect(text).toContain('float physics:lowerLimit = -45');
    expect(text).toContain('float physics:upperLimit = 90');
    expect(text).toContain('float drive:angular:physics:targetPosition = 30');
    // Stiffness per degree, as authored.
    expect(text).toContain('float drive:angular:physics:stiffness = 10');
    expect(text).toMatch(/vector3f physics:angularVelocity = \(0, 90, 0\)/);
    expect(text).toContain('vector3f physics:gravityDirection = (0, -1, 0)');
    expect(text).toContain('float physics:gravityMagnitude = 9.80665');
    expect(text).toContain('token[] semantics:labels:class = ["base"]');
    const hinge = document.joints[0]!;
    expect(hinge.limits).toEqual([{ dof: 'angular', low: -45 * DEG, high: 90 * DEG }]);
  });

  it('writes quaternions real part first, cameras, lights and visibility', () => {
    expect(text).toContain('quatd xformOp:orient = (0.5, 0.5, 0.5, 0.5)');
    expect(text).toContain('uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:orient"]');
    expect(text).toContain('float focalLength = 24');
    expect(text).toContain('float2 clippingRange = (1, 1000000)');
    expect(text).toContain('token projection = "perspective"');
    expect(text).toContain('def SphereLight "Lamp"');
    expect(text).toContain('float inputs:intensity = 300');
    expect(text).toContain('token visibility = "invisible"');
    const turned = roundTrip({ ...document, prims: document.prims.map((p) => (p.path === '/World/Arm' ? { ...p, transform: { ...p.transform, orientation: [0, 0, Math.SQRT1_2, Math.SQRT1_2] } } : p)) });
    expect(turned.text).toContain(`quatd xformOp:orient = (${Math.SQRT1_2}, 0, 0, ${Math.SQRT1_2})`);
  });

  it('quotes and escapes labels; labels that need it use the legacy Isaac form', () => {
    const labelled = structuredClone(document);
    const base = primIndex(labelled).get('/World/Base')!;
    base.labels = { class: ['say "hi"', 'C:\\path'], shape: ['a(b)'], 'not-an-identifier': ['x'] };
    const back = roundTrip(labelled);
    expect(back.text).toContain('token[] semantics:labels:class = ["say \\"hi\\"", "C:\\\\path"]');
    expect(back.text).toContain('string semantic:Semantics:params:semanticData = "a(b)"');
    expect(back.text).toContain('string semantic:Semantics:params:semanticType = "shape"');
    expect(back.text).toContain('string semantic:Semantics_1:params:semanticType = "not-an-identifier"');
    expect(primIndex(back.document).get('/World/Base')!.labels).toEqual(base.labels);
  });

  it('writes floats with every digit of the double, so values come back exactly', () => {
    const precise = structuredClone(document);
    primIndex(precise).get('/World/Base')!.mass = { mass: 0.1 + 0.2 };
    const back = roundTrip(precise);
    expect(back.text).toContain('float physics:mass = 0.30000000000000004');
    expect(primIndex(back.document).get('/World/Base')!.mass).toEqual({ mass: 0.1 + 0.2 });
  });
});

const armDocument = (await loadSceneFile(readFileSync('scenes/fixtures/urdf/test_arm.urdf'), 'test_arm.urdf')).document;

describe('what the document has that plain USD has not', () => {
  const base = armDocument;

  it('a box with unequal sides is a Cube of size 1 scaled by a last xformOp, read back as the box', () => {
    const finger = primIndex(base).get('/test_arm/finger_left/visual_0')!;
    expect(finger.geometry).toEqual({ kind: 'box', size: [0.04, 0.01, 0.02] });
    const text = exportUsda(base);
    const block = text.slice(text.indexOf('def Cube "visual_0"', text.indexOf('def Xform "finger_left"')));
    expect(block).toContain('double size = 1');
    expect(block).toContain(`double3 ${BOX_SIDES_OP} = (0.04, 0.01, 0.02)`);
    expect(block).toContain(`uniform token[] xformOpOrder = ["xformOp:translate", "${BOX_SIDES_OP}"]`);
    const back = primIndex(importUsd(text, 'arm.usda').document).get(finger.path)!;
    expect(back.geometry).toEqual(finger.geometry);
    expect(approxDiff(back.transform.scale, [1, 1, 1], { rel: 1e-12 })).toEqual([]);
  });

  it('a bundled texture is a simloop:texture token on the gprim; an unknown name is left out with a warning', () => {
    const finger = '/test_arm/finger_left/visual_0';
    const textured = { ...base, prims: base.prims.map((p) => (p.path === finger ? { ...p, material: { color: [0.8, 0.2, 0.1] as [number, number, number], roughness: 0.5, metallic: 0, opacity: 1, texture: 'bricks' as const } } : p)) };
    const text = exportUsda(textured);
    expect(text).toContain(`token ${TEXTURE_ATTRIBUTE} = "bricks"`);
    expect(primIndex(importUsd(text, 'arm.usda').document).get(finger)!.material).toEqual({ color: [0.8, 0.2, 0.1], roughness: 0.5, metallic: 0, opacity: 1, texture: 'bricks' });
    const unknown = importUsd(text.replace('"bricks"', '"tartan"'), 'arm.usda');
    expect(primIndex(unknown.document).get(finger)!.material!.texture).toBeUndefined();
    expect(unknown.warnings).toEqual([`${finger}: ${TEXTURE_ATTRIBUTE} "tartan" is not a bundled texture (checker, stripes, dots, grid, bricks, noise, wood, marble); left untextured`]);
  });

  it('a camera`s resolution is a UsdRender RenderProduct naming it, in a scope the importer leaves out', () => {
    const camera = { projection: 'perspective' as const, fovY: 0.8, aspect: 4 / 3, near: 0.05, far: 100, focalLength: 18, horizontalAperture: 20.955, verticalAperture: 15.716, resolution: [640, 480] as [number, number] };
    const doc = { ...base, prims: [...base.prims, { path: '/Cam', type: 'Camera', transform: { position: [0, 1, 2] as [number, number, number], orientation: [0, 0, 0, 1] as [number, number, number, number], scale: [1, 1, 1] as [number, number, number] }, visible: true, labels: {}, articulationRoot: false, camera }] };
    const text = exportUsda(doc);
    expect(text).toMatch(/def Scope "Render"[\s\S]*def RenderProduct "Product_0"[\s\S]*rel camera = <\/Cam>[\s\S]*uniform int2 resolution = \(640, 480\)/);
    const back = importUsd(text, 'cam.usda');
    expect(back.warnings).toEqual([]);
    expect(back.document.prims.map((p) => p.path)).toEqual(doc.prims.map((p) => p.path));
    expect(primIndex(back.document).get('/Cam')!.camera!.resolution).toEqual([640, 480]);
    // A product with an unusable size is reported, and the camera keeps none.
    const bad = importUsd(text.replace('(640, 480)', '(640, 0)'), 'cam.usda');
    expect(primIndex(bad.document).get('/Cam')!.camera!.resolution).toBeUndefined();
    expect(bad.warnings).toEqual(['/Render/Product_0: resolution must be two whole numbers of pixels > 0, got [640,0]; /Cam keeps no resolution']);
  });

  it('the importer treats that op as an ordinary scale on a Cube with children (where it would reach them)', () => {
    const { document } = importSnippet(
      `def Cube "Box"
       {
           double size = 1
           double3 ${BOX_SIDES_OP} = (2, 3, 4)
           uniform token[] xformOpOrder = ["${BOX_SIDES_OP}"]
           def Xform "Child" { }
       }`,
    );
    const box = primIndex(document).get('/Box')!;
    expect(box.geometry).toEqual({ kind: 'box', size: [1, 1, 1] });
    expect(box.transform.scale).toEqual([2, 3, 4]);
  });

  it('refuses a box with unequal sides that has child prims, naming it', () => {
    const doc = structuredClone(base);
    const finger = doc.prims.findIndex((p) => p.path === '/test_arm/finger_left/visual_0');
    doc.prims.splice(finger + 1, 0, { ...doc.prims[finger]!, path: '/test_arm/finger_left/visual_0/Child', geometry: undefined, material: undefined, type: 'Xform' });
    expect(() => exportUsda(doc)).toThrow(InputError);
    expect(() => exportUsda(doc)).toThrow(/\/test_arm\/finger_left\/visual_0: a box with unequal sides/);
  });

  it('refuses a prim name USD cannot hold, naming the prim', () => {
    const doc = structuredClone(base);
    doc.prims.push({ ...doc.prims[0]!, path: '/test_arm/bad-name' });
    expect(() => exportUsda(doc)).toThrow('test_arm.urdf: /test_arm/bad-name: "bad-name" is not a USD prim name');
  });

  it('a look that needs a shader, in a scene without Material prims, gets a Material under a /Looks scope the importer leaves out', () => {
    const doc = structuredClone(base);
    const look = { color: [0.1, 0.2, 0.3] as [number, number, number], roughness: 0.25, metallic: 1, opacity: 0.5 };
    primIndex(doc).get('/test_arm/hand/visual_0')!.material = look;
    const back = roundTrip(doc);
    expect(back.text).toContain('rel material:binding = </Looks/Look_0>');
    expect(back.text).toMatch(/def Scope "Looks"\s*\{\s*bool simloop:generatedLooks = true/);
    expect(back.text).toContain('token outputs:surface.connect') ;
    // The scope is not part of the scene: the round trip adds no prims.
    expect(back.document.prims.map((p) => p.path)).toEqual(doc.prims.map((p) => p.path));
    expect(primIndex(back.document).get('/test_arm/hand/visual_0')!.material).toEqual(look);
  });

  it('a gprim without a look under a bound one is bound to a marked grey Material, so it inherits no look, in USD or back', () => {
    let doc = addPrim(emptyDocument('nested.json', [0, -EARTH_GRAVITY, 0]), null, 'World');
    doc = addPrim(doc, '/World', 'Base', { type: 'Sphere', geometry: { kind: 'sphere', radius: 1 }, material: { color: [1, 0, 0], roughness: 0.2, metallic: 0, opacity: 1 } });
    doc = addPrim(doc, '/World/Base', 'Knob', { type: 'Sphere', geometry: { kind: 'sphere', radius: 0.1 } });
    doc = addPrim(doc, '/World/Base/Knob', 'Tag', { type: 'Sphere', geometry: { kind: 'sphere', radius: 0.05 }, material: { color: [0, 1, 0], roughness: 0.5, metallic: 0, opacity: 1 } });
    const back = roundTrip(doc);
    expect(back.text).toMatch(/def Sphere "Knob" \(\n\s+prepend apiSchemas = \["MaterialBindingAPI"\]\n\s+\)\n\s+\{\n\s+double radius = 0.1\n\s+rel material:binding = <\/Looks\/NoLook>/);
    expect(back.text).toMatch(/def Material "NoLook"\n\s+\{\n\s+bool simloop:noLook = true/);
    expect(back.warnings).toEqual([]);
    expect(differences(back.document, doc)).toEqual([]);
  });

  it('gravity other than Earth’s, in a scene without a PhysicsScene, gets one', () => {
    const doc = { ...structuredClone(base), gravity: [0, -1.62, 0] as [number, number, number] };
    const back = roundTrip(doc);
    expect(back.document.gravity).toEqual([0, -1.62, 0]);
    expect(primIndex(back.document).get('/PhysicsScene')?.type).toBe('PhysicsScene');
    // Earth's gravity is the default and needs no prim.
    expect(exportUsda(base)).not.toContain('PhysicsScene');
  });
});

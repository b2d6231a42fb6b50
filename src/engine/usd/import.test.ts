import { readFileSync } from 'node:fs';
import { Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { primIndex, worldMatrices } from '../scene/hierarchy.ts';
import type { Prim, SceneDocument } from '../scene/schema.ts';
import { importSnippet } from '../testing/usda.ts';
import { importUsd } from './import.ts';

const DEG = Math.PI / 180;

function prim(doc: SceneDocument, path: string): Prim {
  const p = primIndex(doc).get(path);
  if (!p) throw new Error(`no prim ${path}`);
  return p;
}

/** World position of a point given in a prim's local frame. */
function worldPoint(doc: SceneDocument, path: string, local: [number, number, number] = [0, 0, 0]): number[] {
  const v = new Vector3(...local).applyMatrix4(worldMatrices(doc).get(path)!);
  return [v.x, v.y, v.z];
}

function expectClose(actual: readonly number[], expected: readonly number[], digits = 6) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, digits));
}

describe('stage metrics', () => {
  it('converts a centimetre, Z-up, gram stage to metres, Y-up and kilograms', () => {
    const { document } = importSnippet(
      `def Cube "Box" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"])
       {
           double size = 10
           float physics:mass = 500
           float physics:density = 2
           double3 xformOp:translate = (10, 20, 100)
           uniform token[] xformOpOrder = ["xformOp:translate"]
       }`,
      { metersPerUnit: 0.01, kilogramsPerUnit: 0.001, upAxis: 'Z' },
    );
    // Z-up (x, y, z) is Y-up (x, z, -y).
    expectClose(worldPoint(document, '/Box'), [0.1, 1.0, -0.2]);
    // The box's local +Z (USD up) must point along world +Y.
    const up = new Vector3(...worldPoint(document, '/Box', [0, 0, 1])).sub(new Vector3(...worldPoint(document, '/Box')));
    expectClose([up.x, up.y, up.z], [0, 1, 0]);
    expect(prim(document, '/Box').geometry).toEqual({ kind: 'box', size: [0.1, 0.1, 0.1] });
    expect(prim(document, '/Box').mass?.mass).toBeCloseTo(0.5, 9);
    // 2 g/cm³ = 2000 kg/m³
    expect(prim(document, '/Box').mass?.density).toBeCloseTo(2000, 6);
    expect(document.source).toMatchObject({ metersPerUnit: 0.01, kilogramsPerUnit: 0.001, upAxis: 'Z' });
  });

  it('leaves a metre, Y-up stage as authored', () => {
    const { document } = importSnippet(`def Sphere "Ball" { double radius = 0.5\n double3 xformOp:translate = (1, 2, 3)\n uniform token[] xformOpOrder = ["xformOp:translate"] }`);
    expectClose(worldPoint(document, '/Ball'), [1, 2, 3]);
    expect(prim(document, '/Ball').geometry).toEqual({ kind: 'sphere', radius: 0.5 });
  });

  it('uses the USD fallback of centimetres when metersPerUnit is not authored, and says so', () => {
    const { document, warnings } = importUsd('#usda 1.0\n\ndef Cube "C" { double size = 100 }\n', 'bare.usda');
    expect(prim(document, '/C').geometry).toEqual({ kind: 'box', size: [1, 1, 1] });
    expect(warnings.some((w) => w.includes('metersPerUnit'))).toBe(true);
  });
});

describe('xformOps', () => {
  const child = (ops: string, parentOps = '') =>
    importSnippet(`def Xform "P" {\n ${parentOps}\n def Xform "C" {\n ${ops}\n }\n }`).document;

  it('composes translate and rotateZ in xformOpOrder', () => {
    const doc = child('double3 xformOp:translate = (1, 0, 0)\n uniform token[] xformOpOrder = ["xformOp:translate"]', 'double3 xformOp:translate = (1, 0, 0)\n float xformOp:rotateZ = 90\n uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:rotateZ"]');
    expectClose(worldPoint(doc, '/P/C'), [1, 1, 0]);
  });

  it('reads rotateX and rotateY in degrees', () => {
    const x = child('float xformOp:rotateX = 90\n uniform token[] xformOpOrder = ["xformOp:rotateX"]');
    expectClose(worldPoint(x, '/P/C', [0, 1, 0]), [0, 0, 1]);
    const y = child('float xformOp:rotateY = 90\n uniform token[] xformOpOrder = ["xformOp:rotateY"]');
    expectClose(worldPoint(y, '/P/C', [0, 0, 1]), [1, 0, 0]);
  });

  it('reads orient as a (w, x, y, z) quaternion', () => {
    const doc = child('quatf xformOp:orient = (0.70710677, 0, 0.70710677, 0)\n uniform token[] xformOpOrder = ["xformOp:orient"]');
    expectClose(worldPoint(doc, '/P/C', [1, 0, 0]), [0, 0, -1]);
  });

  it('applies scale', () => {
    const doc = child('double3 xformOp:translate = (1, 1, 1)\n uniform token[] xformOpOrder = ["xformOp:translate"]', 'float3 xformOp:scale = (2, 3, 4)\n uniform token[] xformOpOrder = ["xformOp:scale"]');
    expectClose(worldPoint(doc, '/P/C'), [2, 3, 4]);
    expectClose(prim(doc, '/P').transform.scale, [2, 3, 4]);
  });

  it('rotateXYZ rotates about X first, then Y, then Z; rotateZYX the other way round', () => {
    const xyz = child('float3 xformOp:rotateXYZ = (90, 0, 90)\n uniform token[] xformOpOrder = ["xformOp:rotateXYZ"]');
    expectClose(worldPoint(xyz, '/P/C', [0, 1, 0]), [0, 0, 1]);
    const zyx = child('float3 xformOp:rotateZYX = (90, 0, 90)\n uniform token[] xformOpOrder = ["xformOp:rotateZYX"]');
    expectClose(worldPoint(zyx, '/P/C', [0, 1, 0]), [-1, 0, 0]);
  });

  it('reads xformOp:transform as a row-vector matrix with translation in the last row', () => {
    const doc = child('matrix4d xformOp:transform = ( (0, 1, 0, 0), (-1, 0, 0, 0), (0, 0, 1, 0), (5, 6, 7, 1) )\n uniform token[] xformOpOrder = ["xformOp:transform"]');
    expectClose(worldPoint(doc, '/P/C'), [5, 6, 7]);
    // Row vectors: the first row is where local +X goes, i.e. +Y.
    expectClose(worldPoint(doc, '/P/C', [1, 0, 0]), [5, 7, 7]);
  });

  it('supports pivots through !invert!', () => {
    const doc = child(
      'double3 xformOp:translate:pivot = (1, 0, 0)\n float xformOp:rotateZ = 180\n uniform token[] xformOpOrder = ["xformOp:translate:pivot", "xformOp:rotateZ", "!invert!xformOp:translate:pivot"]',
    );
    expectClose(worldPoint(doc, '/P/C'), [2, 0, 0]);
  });

  it('honours !resetXformStack!', () => {
    const doc = child('double3 xformOp:translate = (0, 1, 0)\n uniform token[] xformOpOrder = ["!resetXformStack!", "xformOp:translate"]', 'double3 xformOp:translate = (10, 0, 0)\n uniform token[] xformOpOrder = ["xformOp:translate"]');
    expectClose(worldPoint(doc, '/P/C'), [0, 1, 0]);
  });

  it('warns about ops it cannot evaluate, naming the prim', () => {
    const { warnings } = importSnippet('def Xform "X" { double3 xformOp:shear = (1, 0, 0)\n uniform token[] xformOpOrder = ["xformOp:shear"] }');
    expect(warnings.some((w) => w.startsWith('/X:') && w.includes('xformOp:shear'))).toBe(true);
  });
});

describe('geometry', () => {
  const { document } = importSnippet(
    `def Cube "Cube" { double size = 50 }
     def Sphere "Sphere" { double radius = 10 }
     def Cylinder "Cylinder" { double radius = 5\n double height = 20\n uniform token axis = "X" }
     def Capsule "Capsule" { }
     def Cone "Cone" { double radius = 3\n double height = 9\n uniform token axis = "Y" }
     def Plane "Plane" { double width = 400\n double length = 300\n uniform token axis = "Y" }
     def Mesh "Quad" { int[] faceVertexCounts = [4]\n int[] faceVertexIndices = [0, 1, 2, 3]\n point3f[] points = [(0, 0, 0), (100, 0, 0), (100, 100, 0), (0, 100, 0)] }
     def Mesh "Lefty" { int[] faceVertexCounts = [4]\n int[] faceVertexIndices = [0, 1, 2, 3]\n point3f[] points = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]\n uniform token orientation = "leftHanded" }`,
    { metersPerUnit: 0.01 },
  );

  it('reads every implicit prim with its authored or fallback dimensions, in metres', () => {
    expect(prim(document, '/Cube').geometry).toEqual({ kind: 'box', size: [0.5, 0.5, 0.5] });
    expect(prim(document, '/Sphere').geometry).toEqual({ kind: 'sphere', radius: 0.1 });
    expect(prim(document, '/Cylinder').geometry).toEqual({ kind: 'cylinder', radius: 0.05, height: 0.2, axis: 'X' });
    // Capsule fallbacks: radius 0.5, height 1, axis Z.
    expect(prim(document, '/Capsule').geometry).toEqual({ kind: 'capsule', radius: 0.005, height: 0.01, axis: 'Z' });
    expect(prim(document, '/Cone').geometry).toMatchObject({ kind: 'cone', radius: 0.03, axis: 'Y' });
    expect((prim(document, '/Cone').geometry as { height: number }).height).toBeCloseTo(0.09, 12);
    expect(prim(document, '/Plane').geometry).toEqual({ kind: 'plane', width: 4, length: 3, axis: 'Y' });
  });

  it('triangulates meshes, flipping winding for leftHanded orientation', () => {
    expect(prim(document, '/Quad').geometry).toEqual({ kind: 'mesh', points: [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0], indices: [0, 1, 2, 0, 2, 3] });
    expect((prim(document, '/Lefty').geometry as { indices: number[] }).indices).toEqual([0, 2, 1, 0, 3, 2]);
  });

  it('drops a mesh whose indices point outside its points, with a warning naming it', () => {
    const { document: d, warnings } = importSnippet('def Mesh "Bad" { int[] faceVertexCounts = [3]\n int[] faceVertexIndices = [0, 1, 7]\n point3f[] points = [(0, 0, 0), (1, 0, 0), (0, 1, 0)] }');
    expect(prim(d, '/Bad').geometry).toBeUndefined();
    expect(warnings.some((w) => w.startsWith('/Bad:') && w.includes('outside'))).toBe(true);
  });

  it('reads displayColor and UsdPreviewSurface through material:binding', () => {
    const { document: d } = importSnippet(`
      def Material "Red" {
          token outputs:surface.connect = </Red/PBR.outputs:surface>
          def Shader "PBR" {
              uniform token info:id = "UsdPreviewSurface"
              color3f inputs:diffuseColor = (0.8, 0.1, 0.05)
              float inputs:roughness = 0.25
              float inputs:metallic = 1
          }
      }
      def Xform "Group" {
          rel material:binding = </Red>
          def Cube "Bound" { }
      }
      def Sphere "Painted" { color3f[] primvars:displayColor = [(0, 0.5, 1)] }`);
    expect(prim(d, '/Group/Bound').material).toEqual({ color: [0.8, 0.1, 0.05], roughness: 0.25, metallic: 1, opacity: 1 });
    expect(prim(d, '/Painted').material?.color).toEqual([0, 0.5, 1]);
  });
});

describe('UsdPhysics', () => {
  it('reads body types, initial velocities (angular in degrees per second) in world space', () => {
    const { document } = importSnippet(
      `def Sphere "Dyn" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) {
           vector3f physics:velocity = (0, 0, 100)
           vector3f physics:angularVelocity = (0, 0, 180)
       }
       def Sphere "Kin" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { bool physics:kinematicEnabled = 1 }
       def Sphere "Off" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { bool physics:rigidBodyEnabled = 0 }`,
      { metersPerUnit: 0.01, upAxis: 'Z' },
    );
    const dyn = prim(document, '/Dyn').body!;
    expect(dyn.type).toBe('dynamic');
    expectClose(dyn.linearVelocity, [0, 1, 0]);
    expectClose(dyn.angularVelocity, [0, Math.PI, 0]);
    expect(prim(document, '/Kin').body!.type).toBe('kinematic');
    expect(prim(document, '/Off').body!.type).toBe('static');
  });

  it('resolves physics materials through material:binding:physics, inherited from ancestors', () => {
    const { document, warnings } = importSnippet(`
      def Material "Ice" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {
          float physics:staticFriction = 0.05
          float physics:dynamicFriction = 0.02
          float physics:restitution = 0.1
          token physxMaterial:frictionCombineMode = "min"
      }
      def Material "Rubber" (prepend apiSchemas = ["PhysicsMaterialAPI"]) { float physics:dynamicFriction = 0.9 }
      def Xform "Parent" {
          rel material:binding:physics = </Ice>
          def Cube "Inherits" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { }
          def Cube "Own" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { rel material:binding:physics = </Rubber> }
      }
      def Cube "General" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { rel material:binding = </Rubber> }
      def Cube "Dangling" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { rel material:binding:physics = </Nowhere> }`);
    expect(prim(document, '/Parent/Inherits').collider?.physicsMaterial).toBe('/Ice');
    expect(prim(document, '/Parent/Own').collider?.physicsMaterial).toBe('/Rubber');
    expect(prim(document, '/General').collider?.physicsMaterial).toBe('/Rubber');
    expect(prim(document, '/Dangling').collider?.physicsMaterial).toBeNull();
    expect(warnings.some((w) => w.startsWith('/Dangling:') && w.includes('/Nowhere'))).toBe(true);
    expect(document.physicsMaterials.find((m) => m.path === '/Ice')).toEqual({
      path: '/Ice',
      staticFriction: 0.05,
      dynamicFriction: 0.02,
      restitution: 0.1,
      frictionCombine: 'min',
      restitutionCombine: 'average',
    });
  });

  it('reads mass properties with unit conversion', () => {
    const { document } = importSnippet(
      `def Cube "B" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI"]) {
           float physics:mass = 2000
           point3f physics:centerOfMass = (0, 10, 0)
           float3 physics:diagonalInertia = (1000, 2000, 3000)
       }`,
      { metersPerUnit: 0.01, kilogramsPerUnit: 0.001 },
    );
    const mass = prim(document, '/B').mass!;
    expect(mass.mass).toBeCloseTo(2, 9);
    expectClose(mass.centerOfMass!, [0, 0.1, 0]);
    // g·cm² → kg·m²: × 1e-3 × 1e-4
    expectClose(mass.diagonalInertia!, [1e-4, 2e-4, 3e-4], 12);
  });

  it('reads a revolute joint: bodies, frames in metres, limits and drive in SI units', () => {
    const { document, warnings } = importSnippet(
      `def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { double3 xformOp:translate = (0, 100, 0)\n uniform token[] xformOpOrder = ["xformOp:translate"] }
       def Cube "B" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) {
           double3 xformOp:translate = (0, 50, 0)
           float3 xformOp:scale = (2, 2, 2)
           uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
       }
       def PhysicsRevoluteJoint "Hinge" (prepend apiSchemas = ["PhysicsDriveAPI:angular"]) {
           rel physics:body0 = </A>
           rel physics:body1 = </B>
           point3f physics:localPos0 = (0, -25, 0)
           point3f physics:localPos1 = (0, 12.5, 0)
           quatf physics:localRot0 = (1, 0, 0, 0)
           quatf physics:localRot1 = (1, 0, 0, 0)
           uniform token physics:axis = "Z"
           float physics:lowerLimit = -30
           float physics:upperLimit = 45
           float drive:angular:physics:stiffness = 10
           float drive:angular:physics:damping = 1
           float drive:angular:physics:targetPosition = 20
       }`,
      { metersPerUnit: 0.01 },
    );
    expect(warnings).toEqual([]);
    const j = document.joints[0]!;
    expect(j).toMatchObject({ path: '/Hinge', type: 'revolute', body0: '/A', body1: '/B', axis: 'Z', collisionEnabled: false });
    expectClose(j.localPos0, [0, -0.25, 0]);
    // Authored in B's frame, which is scaled by 2.
    expectClose(j.localPos1, [0, 0.25, 0]);
    expect(j.limits).toHaveLength(1);
    expect(j.limits[0]!.low).toBeCloseTo(-30 * DEG, 9);
    expect(j.limits[0]!.high).toBeCloseTo(45 * DEG, 9);
    const drive = j.drives[0]!;
    // Torque per degree in kg·cm²/s² → N·m per radian: × 1e-4 × 180/π.
    expect(drive.stiffness).toBeCloseTo(10 * 1e-4 * (180 / Math.PI), 9);
    expect(drive.damping).toBeCloseTo(1e-4 * (180 / Math.PI), 9);
    expect(drive.targetPosition).toBeCloseTo(20 * DEG, 9);
    expect(drive.type).toBe('force');
  });

  it('reads a limit authored on one side only as unbounded on the other', () => {
    const { document, warnings } = importSnippet(`
      def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { }
      def PhysicsRevoluteJoint "Stop" { rel physics:body1 = </A>\n float physics:lowerLimit = -90 }
      def PhysicsJoint "D6" (prepend apiSchemas = ["PhysicsLimitAPI:rotZ"]) { rel physics:body1 = </A>\n float limit:rotZ:physics:high = 10 }`);
    expect(warnings).toEqual([]);
    expect(document.joints[0]!.limits).toEqual([{ dof: 'angular', low: expect.closeTo(-Math.PI / 2, 9), high: null }]);
    expect(document.joints[1]!.limits).toEqual([{ dof: 'rotZ', low: null, high: expect.closeTo(10 * DEG, 9) }]);
  });

  it('reads the other joint types and per-axis limits of generic joints', () => {
    const { document } = importSnippet(`
      def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { }
      def Cube "B" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { }
      def PhysicsPrismaticJoint "Slide" { rel physics:body0 = </A>\n rel physics:body1 = </B>\n uniform token physics:axis = "Y"\n float physics:lowerLimit = -10\n float physics:upperLimit = 20 }
      def PhysicsSphericalJoint "Ball" { rel physics:body1 = </B>\n float physics:coneAngle0Limit = 30\n float physics:coneAngle1Limit = 20 }
      def PhysicsFixedJoint "Weld" { rel physics:body0 = </A>\n rel physics:body1 = </B> }
      def PhysicsDistanceJoint "Rope" { rel physics:body0 = </A>\n rel physics:body1 = </B>\n float physics:minDistance = 5\n float physics:maxDistance = 50 }
      def PhysicsJoint "D6" (prepend apiSchemas = ["PhysicsLimitAPI:transX", "PhysicsLimitAPI:rotY", "PhysicsDriveAPI:rotY"]) {
          rel physics:body0 = </A>
          rel physics:body1 = </B>
          float limit:transX:physics:low = 1
          float limit:transX:physics:high = -1
          float limit:rotY:physics:low = -15
          float limit:rotY:physics:high = 15
          float drive:rotY:physics:stiffness = 5
          token drive:rotY:physics:type = "acceleration"
      }`, { metersPerUnit: 0.01 });
    const byPath = new Map(document.joints.map((j) => [j.path, j]));
    expect([...byPath.values()].map((j) => j.type)).toEqual(['prismatic', 'spherical', 'fixed', 'distance', 'd6']);
    expect(byPath.get('/Slide')!.limits[0]).toMatchObject({ dof: 'linear' });
    expect(byPath.get('/Slide')!.limits[0]!.low).toBeCloseTo(-0.1, 12);
    expect(byPath.get('/Ball')!).toMatchObject({ body0: null, body1: '/B' });
    expect(byPath.get('/Ball')!.coneAngle0).toBeCloseTo(30 * DEG, 9);
    expect(byPath.get('/Rope')!.minDistance).toBeCloseTo(0.05, 12);
    expect(byPath.get('/Rope')!.maxDistance).toBeCloseTo(0.5, 12);
    const d6 = byPath.get('/D6')!;
    expect(d6.limits.find((l) => l.dof === 'transX')).toMatchObject({ low: 0.01, high: -0.01 });
    expect(d6.limits.find((l) => l.dof === 'rotY')!.high).toBeCloseTo(15 * DEG, 9);
    // Acceleration drives: (deg/s²)/deg = (rad/s²)/rad, so the gain is unchanged.
    expect(d6.drives[0]).toMatchObject({ dof: 'rotY', type: 'acceleration', stiffness: 5 });
  });

  it('reads collision groups, filtered groups and filtered pairs', () => {
    const { document } = importSnippet(`
      def Cube "A" (prepend apiSchemas = ["PhysicsCollisionAPI", "PhysicsFilteredPairsAPI"]) { rel physics:filteredPairs = </B> }
      def Cube "B" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { }
      def PhysicsCollisionGroup "GroupA" (prepend apiSchemas = ["CollectionAPI:colliders"]) {
          prepend rel collection:colliders:includes = [</A>, </B>]
          rel physics:filteredGroups = </GroupB>
      }
      def PhysicsCollisionGroup "GroupB" { rel collection:colliders:includes = </C> }
      def Cube "C" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { }`);
    expect(document.filteredPairs).toEqual([['/A', '/B']]);
    expect(document.collisionGroups).toEqual([
      { path: '/GroupA', members: ['/A', '/B'], filteredGroups: ['/GroupB'], invertFilteredGroups: false },
      { path: '/GroupB', members: ['/C'], filteredGroups: [], invertFilteredGroups: false },
    ]);
  });

  it('reads gravity from PhysicsScene, defaulting to Earth gravity along -up', () => {
    expect(importSnippet('def Xform "W" { }').document.gravity).toEqual([0, -9.80665, 0]);
    expect(importSnippet('def Xform "W" { }', { upAxis: 'Z' }).document.gravity).toEqual([0, -9.80665, 0]);
    const cm = importSnippet('def PhysicsScene "S" { vector3f physics:gravityDirection = (0, 0, -1)\n float physics:gravityMagnitude = 981 }', { metersPerUnit: 0.01, upAxis: 'Z' });
    expectClose(cm.document.gravity, [0, -9.81, 0]);
    const sideways = importSnippet('def PhysicsScene "S" { vector3f physics:gravityDirection = (1, 0, 0)\n float physics:gravityMagnitude = 2 }');
    expectClose(sideways.document.gravity, [2, 0, 0]);
  });

  it('marks articulation roots', () => {
    const { document } = importSnippet('def Xform "Robot" (prepend apiSchemas = ["PhysicsArticulationRootAPI"]) { }');
    expect(prim(document, '/Robot').articulationRoot).toBe(true);
  });

  it('skips a joint whose body relationship dangles, with a warning naming both paths', () => {
    const { document, warnings } = importSnippet('def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { }\n def PhysicsFixedJoint "J" { rel physics:body0 = </A>\n rel physics:body1 = </Ghost> }');
    expect(document.joints).toEqual([]);
    expect(warnings).toContain('/J: physics:body1 targets /Ghost, which does not exist; joint skipped');
  });

  it('skips a joint that connects a body to itself', () => {
    const { document, warnings } = importSnippet('def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { }\n def PhysicsFixedJoint "J" { rel physics:body0 = </A>\n rel physics:body1 = </A> }');
    expect(document.joints).toEqual([]);
    expect(warnings.some((w) => w.startsWith('/J:') && w.includes('same body'))).toBe(true);
  });
});

describe('semantics, cameras and lights', () => {
  it('reads both the legacy Isaac semantics and SemanticsLabelsAPI', () => {
    const { document } = importSnippet(`
      def Cube "Legacy" (prepend apiSchemas = ["SemanticsAPI:Semantics"]) {
          string semantic:Semantics:params:semanticType = "class"
          string semantic:Semantics:params:semanticData = "mug"
      }
      def Cube "Modern" (prepend apiSchemas = ["SemanticsLabelsAPI:class", "SemanticsLabelsAPI:material"]) {
          token[] semantics:labels:class = ["bottle", "container"]
          token[] semantics:labels:material = ["glass"]
      }`);
    expect(prim(document, '/Legacy').labels).toEqual({ class: ['mug'] });
    expect(prim(document, '/Modern').labels).toEqual({ class: ['bottle', 'container'], material: ['glass'] });
  });

  it('turns a UsdGeomCamera into a vertical field of view and clipping range in metres', () => {
    const { document } = importSnippet('def Camera "Cam" { float focalLength = 24\n float horizontalAperture = 36\n float verticalAperture = 24\n float2 clippingRange = (1, 1000) }', { metersPerUnit: 0.01 });
    const cam = prim(document, '/Cam').camera!;
    expect(cam.fovY).toBeCloseTo(2 * Math.atan(24 / 48), 9);
    expect(cam.aspect).toBeCloseTo(1.5, 9);
    expect(cam.near).toBeCloseTo(0.01, 12);
    expect(cam.far).toBeCloseTo(10, 9);
  });

  it('reads UsdLux lights', () => {
    const { document } = importSnippet('def SphereLight "Bulb" { float inputs:intensity = 500\n color3f inputs:color = (1, 0.5, 0.25) }');
    expect(prim(document, '/Bulb').light).toEqual({ kind: 'sphere', color: [1, 0.5, 0.25], intensity: 500, exposure: 0 });
  });
});

describe('unsupported content is reported, never dropped silently', () => {
  it('warns about unknown prim types and unknown API schemas, naming each prim', () => {
    const { warnings } = importSnippet(`
      def Volume "Smoke" { }
      def Cube "Tuned" (prepend apiSchemas = ["PhysxRigidBodyAPI"]) { }`);
    expect(warnings.some((w) => w.startsWith('/Smoke:') && w.includes('"Volume"'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('/Tuned:') && w.includes('PhysxRigidBodyAPI'))).toBe(true);
  });

  it('falls back, with a warning, on values a type allows but the schema does not', () => {
    const { document, warnings } = importSnippet('def Cylinder "Y" { uniform token axis = "W" }');
    expect(prim(document, '/Y').geometry).toMatchObject({ axis: 'Z' });
    expect(warnings.some((w) => w.startsWith('/Y:') && w.includes('"W"'))).toBe(true);
  });

  it('refuses a value of the wrong type, naming the file, the line and the attribute', () => {
    expect(() => importSnippet('def Cube "C" { double size = "large" }')).toThrow(InputError);
    expect(() => importSnippet('def Cube "C" { double size = "large" }')).toThrow(/^snippet\.usda: line \d+: .*size/);
  });
});

describe('the bundled tabletop scene', () => {
  const file = new URL('../../../scenes/tabletop.usda', import.meta.url);
  const { document, warnings } = importUsd(readFileSync(file), 'scenes/tabletop.usda');

  it('imports without warnings', () => {
    expect(warnings).toEqual([]);
  });

  it('has a static table, labelled dynamic objects of different shapes and materials, and a camera', () => {
    const prims = primIndex(document);
    expect(prims.get('/World/Table')!.body!.type).toBe('static');
    const objects = document.prims.filter((p) => p.body?.type === 'dynamic');
    expect(objects.map((o) => o.labels['class']?.[0])).toEqual(['cube', 'ball', 'can', 'capsule', 'cone', 'wedge']);
    expect(new Set(objects.map((o) => o.geometry!.kind))).toEqual(new Set(['box', 'sphere', 'cylinder', 'capsule', 'cone', 'mesh']));
    expect(new Set(objects.map((o) => o.collider!.physicsMaterial)).size).toBeGreaterThanOrEqual(4);
    expect(document.prims.filter((p) => p.camera)).toHaveLength(1);
    // The table top surface is 0.775 m above the floor, in Y-up.
    expect(worldPoint(document, '/World/Table/Top', [0, 0, 0.5])[1]).toBeCloseTo(0.775, 9);
  });
});

describe('bad files', () => {
  it('rejects non-USD bytes with an InputError naming the file', () => {
    expect(() => importUsd(new Uint8Array([1, 2, 3, 4]), 'noise.usda')).toThrow(InputError);
    expect(() => importUsd(new Uint8Array([1, 2, 3, 4]), 'noise.usda')).toThrow(/^noise\.usda: /);
    expect(() => importUsd('hello world', 'hello.usda')).toThrow(/hello\.usda: not a USD file/);
    expect(() => importUsd(new Uint8Array(0), 'empty.usda')).toThrow(/empty\.usda: file is empty/);
    expect(() => importUsd(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), 'bad.usdz')).toThrow(/bad\.usdz: corrupt or truncated USDZ/);
    expect(() => importUsd(new TextEncoder().encode('PXR-USDC\u0000\u0000garbage'), 'bad.usdc')).toThrow(/bad\.usdc: corrupt or truncated USDC/);
  });
});

describe('a stage written the way Isaac Sim writes them (scenes/fixtures/isaac-style.usda)', () => {
  const { document, warnings } = importUsd(readFileSync(new URL('../../../scenes/fixtures/isaac-style.usda', import.meta.url)), 'isaac-style.usda');

  it('reads through layer dictionaries, attribute metadata, custom attributes and time samples', () => {
    // centimetres, Z-up: translate (0, 0, 100) is 1 m up.
    expectClose(worldPoint(document, '/World/Crate'), [0, 1, 0]);
    expect(prim(document, '/World/Crate').mass?.mass).toBe(2.5);
    // The instance name of legacy semantics is arbitrary.
    expect(prim(document, '/World/Crate').labels).toEqual({ class: ['crate'] });
    expectClose(document.gravity, [0, -9.81, 0]);
  });

  it('keeps a guide-purpose collision proxy as an invisible collider, and the visual mesh as geometry', () => {
    const proxy = prim(document, '/World/Crate/CollisionProxy');
    expect(proxy.visible).toBe(false);
    expect(proxy.collider?.enabled).toBe(true);
    const visual = prim(document, '/World/Crate/Visual').geometry as { points: number[]; indices: number[]; normals?: number[] };
    expect(visual.points).toHaveLength(24);
    expect(visual.indices).toHaveLength(36);
    // Face-varying normals do not map onto vertices: left for the renderer to compute.
    expect(visual.normals).toBeUndefined();
    expect(prim(document, '/World/Typeless').type).toBe('');
  });

  it('warns about the PhysX schemas and the animation it does not simulate, naming each prim', () => {
    expect(warnings).toEqual([
      '/World/PhysicsScene: API schemas not supported, ignored: PhysxSceneAPI',
      '/World/Crate: API schemas not supported, ignored: PhysxRigidBodyAPI',
      '/World/Crate: animated attributes are read at their first time sample: xformOp:translate',
      '/World/Crate/CollisionProxy: API schemas not supported, ignored: PhysxCollisionAPI',
    ]);
  });
});

describe('list forms the text parser mangles', () => {
  it('reads relationships with several targets, in one line or many', () => {
    const { document } = importSnippet(`
      def PhysicsCollisionGroup "G" {
          rel collection:colliders:includes = [</A>, </B>]
          rel physics:filteredGroups = [
              </H>,
          ]
      }
      def PhysicsCollisionGroup "H" { }
      def Cube "A" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { }
      def Cube "B" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { }`);
    expect(document.collisionGroups[0]).toMatchObject({ members: ['/A', '/B'], filteredGroups: ['/H'] });
  });

  it('reads an explicit apiSchemas list, not only prepend and append', () => {
    const { document } = importSnippet(`
      def Cube "A" (
          apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]
      ) { }
      def Cube "B" (
          append apiSchemas = ["PhysicsCollisionAPI"]
      ) { }`);
    expect(prim(document, '/A').body?.type).toBe('dynamic');
    expect(prim(document, '/A').collider).toBeDefined();
    expect(prim(document, '/B').collider).toBeDefined();
  });
});

describe('prims that need composition', () => {
  it('warns about an over that nothing defines, and reads class prims only through the prims that inherit them', () => {
    const { document, warnings } = importSnippet(`
      def Xform "Real" (inherits = </Template>) { }
      over "Tweak" { }
      class Xform "Template" {
          double3 xformOp:translate = (1, 2, 3)
          uniform token[] xformOpOrder = ["xformOp:translate"]
      }`);
    expect(document.prims.map((p) => p.path)).toEqual(['/Real']);
    expect(prim(document, '/Real').transform.position).toEqual([1, 2, 3]);
    expect(warnings).toContain('/Tweak: only "over" opinions, nothing defines it (no def in this layer or one it reaches); skipped');
  });
});

describe('joint frames on scaled bodies', () => {
  it('scales localPos by the body scale but keeps localRot a pure rotation', () => {
    const { document } = importSnippet(`
      def Cube "Body" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) {
          float3 xformOp:scale = (1, 4, 1)
          uniform token[] xformOpOrder = ["xformOp:scale"]
      }
      def PhysicsRevoluteJoint "J" {
          rel physics:body1 = </Body>
          point3f physics:localPos1 = (0, 0.5, 0)
          quatf physics:localRot1 = (0.70710677, 0, 0, 0.70710677)
      }`);
    const j = document.joints[0]!;
    expectClose(j.localPos1, [0, 2, 0]);
    // 90° about Z, unchanged by the body's non-uniform scale.
    expectClose(j.localRot1, [0, 0, Math.SQRT1_2, Math.SQRT1_2]);
  });
});

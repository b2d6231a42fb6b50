/**
 * Test support: the USD scenes behind the committed binary fixtures in scenes/fixtures/, built
 * with our own USDC writer and USDZ packer. `scripts/make-fixtures.ts` writes them; a test checks
 * the committed files still equal what this module produces.
 */
import { writeUsdc, type UsdcLayer } from './usdcWriter.ts';
import { packUsdz } from '../usd/usdz.ts';

const S = Math.SQRT1_2;

/**
 * A hinge authored the way a centimetre/gram, Z-up pipeline writes it: a kinematic base and a
 * scaled, rotated arm joined by a revolute joint with limits (degrees) and an angular force drive,
 * both bound to a physics material, two collision groups that filter each other, and a physics
 * scene with gravity in cm/s².
 */
export const HINGE_CM_ZUP: UsdcLayer = {
  metadata: {
    documentation: 'Simloop fixture: revolute joint authored in centimetres and grams, Z-up.',
    defaultPrim: 'World',
    metersPerUnit: 0.01,
    kilogramsPerUnit: 0.001,
    upAxis: 'Z',
  },
  prims: [
    { path: '/World', typeName: 'Xform' },
    {
      path: '/World/PhysicsScene',
      typeName: 'PhysicsScene',
      attributes: [
        { name: 'physics:gravityDirection', typeName: 'vector3f', value: [0, 0, -1] },
        { name: 'physics:gravityMagnitude', typeName: 'float', value: 981 },
      ],
    },
    { path: '/World/Looks', typeName: 'Scope' },
    {
      path: '/World/Looks/Aluminium',
      typeName: 'Material',
      apiSchemas: ['PhysicsMaterialAPI'],
      attributes: [
        { name: 'physics:staticFriction', typeName: 'float', value: 0.6 },
        { name: 'physics:dynamicFriction', typeName: 'float', value: 0.45 },
        { name: 'physics:restitution', typeName: 'float', value: 0.25 },
        { name: 'physics:density', typeName: 'float', value: 2.7 }, // g/cm³
      ],
    },
    {
      path: '/World/Base',
      typeName: 'Cube',
      apiSchemas: ['PhysicsRigidBodyAPI', 'PhysicsCollisionAPI', 'MaterialBindingAPI'],
      attributes: [
        { name: 'size', typeName: 'double', value: 10 },
        { name: 'physics:kinematicEnabled', typeName: 'bool', value: true },
        { name: 'xformOp:translate', typeName: 'double3', value: [0, 0, 5] },
        { name: 'xformOpOrder', typeName: 'token[]', value: ['xformOp:translate'], uniform: true },
      ],
      relationships: [{ name: 'material:binding:physics', targets: ['/World/Looks/Aluminium'] }],
    },
    {
      path: '/World/Arm',
      typeName: 'Cube',
      apiSchemas: ['PhysicsRigidBodyAPI', 'PhysicsCollisionAPI', 'PhysicsMassAPI', 'MaterialBindingAPI'],
      attributes: [
        { name: 'size', typeName: 'double', value: 2 },
        { name: 'physics:mass', typeName: 'float', value: 500 }, // g
        { name: 'physics:centerOfMass', typeName: 'point3f', value: [1, 0, 0] },
        { name: 'physics:diagonalInertia', typeName: 'float3', value: [100, 200, 300] }, // g·cm²
        { name: 'physics:velocity', typeName: 'vector3f', value: [0, 0, 10] }, // cm/s
        { name: 'physics:angularVelocity', typeName: 'vector3f', value: [0, 0, 90] }, // deg/s
        { name: 'xformOp:translate', typeName: 'double3', value: [15, 0, 10] },
        { name: 'xformOp:orient', typeName: 'quatf', value: [0, 0, S, S] }, // 90° about Z
        { name: 'xformOp:scale', typeName: 'float3', value: [2, 1, 1] },
        { name: 'xformOpOrder', typeName: 'token[]', value: ['xformOp:translate', 'xformOp:orient', 'xformOp:scale'], uniform: true },
      ],
      relationships: [{ name: 'material:binding:physics', targets: ['/World/Looks/Aluminium'] }],
    },
    {
      path: '/World/Hinge',
      typeName: 'PhysicsRevoluteJoint',
      apiSchemas: ['PhysicsDriveAPI:angular'],
      attributes: [
        { name: 'physics:axis', typeName: 'token', value: 'Y', uniform: true },
        { name: 'physics:localPos0', typeName: 'point3f', value: [5, 0, 5] },
        { name: 'physics:localRot0', typeName: 'quatf', value: [S, 0, 0, S] }, // 90° about X
        { name: 'physics:localPos1', typeName: 'point3f', value: [-5, 0, 0] }, // in the arm's scaled frame
        { name: 'physics:localRot1', typeName: 'quatf', value: [0, 0, 0, 1] },
        { name: 'physics:lowerLimit', typeName: 'float', value: -45 },
        { name: 'physics:upperLimit', typeName: 'float', value: 90 },
        { name: 'drive:angular:physics:type', typeName: 'token', value: 'force', uniform: true },
        { name: 'drive:angular:physics:stiffness', typeName: 'float', value: 100 }, // g·cm²/s²/deg
        { name: 'drive:angular:physics:damping', typeName: 'float', value: 5 },
        { name: 'drive:angular:physics:targetPosition', typeName: 'float', value: 30 }, // deg
        { name: 'drive:angular:physics:targetVelocity', typeName: 'float', value: 10 }, // deg/s
        { name: 'drive:angular:physics:maxForce', typeName: 'float', value: 1000 }, // g·cm²/s²
      ],
      relationships: [
        { name: 'physics:body0', targets: ['/World/Base'] },
        { name: 'physics:body1', targets: ['/World/Arm'] },
      ],
    },
    { path: '/World/Groups', typeName: 'Scope' },
    {
      path: '/World/Groups/Arms',
      typeName: 'PhysicsCollisionGroup',
      relationships: [
        { name: 'collection:colliders:includes', targets: ['/World/Arm'] },
        { name: 'physics:filteredGroups', targets: ['/World/Groups/Bases'] },
      ],
    },
    {
      path: '/World/Groups/Bases',
      typeName: 'PhysicsCollisionGroup',
      relationships: [{ name: 'collection:colliders:includes', targets: ['/World/Base'] }],
    },
  ],
};

export interface FixtureFile {
  /** File name inside scenes/fixtures/. */
  name: string;
  bytes: Uint8Array;
}

/** The generated fixtures, from the text of scenes/tabletop.usda. */
export function buildUsdFixtures(tabletopUsda: string): FixtureFile[] {
  return [
    { name: 'hinge-cm-zup.usdc', bytes: writeUsdc(HINGE_CM_ZUP) },
    { name: 'tabletop.usdz', bytes: packUsdz([{ name: 'tabletop.usda', bytes: new TextEncoder().encode(tabletopUsda) }]) },
  ];
}

/**
 * The USD type names the scene document's prims carry for its geometry kinds and joint types
 * (what the USD importer reads, the URDF importer and the exporter write, and the studio shows),
 * and the rule for a USD prim name.
 */
import type { Geometry, Joint } from '../scene/schema.ts';

/** The UsdGeom type of each geometry kind. */
export const GPRIM_TYPES: Record<Geometry['kind'], string> = {
  box: 'Cube',
  sphere: 'Sphere',
  cylinder: 'Cylinder',
  capsule: 'Capsule',
  cone: 'Cone',
  plane: 'Plane',
  mesh: 'Mesh',
};

/** The UsdPhysics type of each joint type (a D6 joint is the generic PhysicsJoint). */
export const JOINT_TYPES: Record<Joint['type'], string> = {
  d6: 'PhysicsJoint',
  revolute: 'PhysicsRevoluteJoint',
  prismatic: 'PhysicsPrismaticJoint',
  spherical: 'PhysicsSphericalJoint',
  fixed: 'PhysicsFixedJoint',
  distance: 'PhysicsDistanceJoint',
};

/** A USD prim name: letters, digits and _, not starting with a digit. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `text` made a USD prim name: other characters become _, and a leading digit gets a _ before it. */
export function usdIdentifier(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/** USD-safe names, unique among those taken from one instance (a robot's prims under its root). */
export class UniqueNames {
  private readonly used = new Set<string>();

  take(wanted: string): string {
    const base = usdIdentifier(wanted);
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/**
 * Type names from before UsdPhysics was released (its preview schemas named joints
 * `<Kind>PhysicsJoint`), still found in files such as OpenUSD's own usdPhysicsDistanceJoint.usda,
 * and the names they have now.
 */
export const LEGACY_TYPE_NAMES: Readonly<Record<string, string>> = {
  DistancePhysicsJoint: 'PhysicsDistanceJoint',
  RevolutePhysicsJoint: 'PhysicsRevoluteJoint',
  PrismaticPhysicsJoint: 'PhysicsPrismaticJoint',
  SphericalPhysicsJoint: 'PhysicsSphericalJoint',
  FixedPhysicsJoint: 'PhysicsFixedJoint',
  PhysicsJoint: 'PhysicsJoint',
};

/**
 * The asset panel's primitives: the prim fields a new box, sphere, cylinder, capsule, cone, plane,
 * camera or light starts with, and a free name for it. Pure; the designer adds them through
 * engine/scene/edit.ts.
 *
 * A new solid is a dynamic rigid body with a collider, a mass that makes it about as dense as
 * wood, a neutral material and no label, resting on the ground (its lowest point at y = 0) where
 * it is put; a plane is a static ground. Everything can be changed in the inspector.
 */
import { addPrim, type PrimFields } from '../../engine/scene/edit.ts';
import { primName } from '../../engine/scene/hierarchy.ts';
import { emptyDocument } from '../../engine/scene/document.ts';
import { defaultLook, type Geometry, type Prim, type SceneDocument } from '../../engine/scene/schema.ts';
import { GPRIM_TYPES } from '../../engine/usd/typeNames.ts';

export const PRIMITIVE_KINDS = ['box', 'sphere', 'cylinder', 'capsule', 'cone', 'plane', 'camera', 'light'] as const;
export type PrimitiveKind = (typeof PRIMITIVE_KINDS)[number];

/** The USD type and the name stem of each kind. */
const USD_TYPE: Record<PrimitiveKind, string> = { ...GPRIM_TYPES, camera: 'Camera', light: 'DistantLight' };

const DENSITY = 600; // kg/m³, wood

function geometryOf(kind: PrimitiveKind): Geometry | undefined {
  switch (kind) {
    case 'box':
      return { kind: 'box', size: [0.1, 0.1, 0.1] };
    case 'sphere':
      return { kind: 'sphere', radius: 0.05 };
    case 'cylinder':
      return { kind: 'cylinder', radius: 0.04, height: 0.12, axis: 'Y' };
    case 'capsule':
      return { kind: 'capsule', radius: 0.03, height: 0.08, axis: 'Y' };
    case 'cone':
      return { kind: 'cone', radius: 0.05, height: 0.1, axis: 'Y' };
    case 'plane':
      return { kind: 'plane', width: 2, length: 2, axis: 'Y' };
    default:
      return undefined;
  }
}

/** Volume (m³) and half height (m, along Y) of a solid primitive. */
function extent(geometry: Geometry): { volume: number; halfHeight: number } {
  switch (geometry.kind) {
    case 'box':
      return { volume: geometry.size[0] * geometry.size[1] * geometry.size[2], halfHeight: geometry.size[1] / 2 };
    case 'sphere':
      return { volume: (4 / 3) * Math.PI * geometry.radius ** 3, halfHeight: geometry.radius };
    case 'cylinder':
      return { volume: Math.PI * geometry.radius ** 2 * geometry.height, halfHeight: geometry.height / 2 };
    case 'capsule':
      return { volume: Math.PI * geometry.radius ** 2 * (geometry.height + (4 / 3) * geometry.radius), halfHeight: geometry.height / 2 + geometry.radius };
    case 'cone':
      return { volume: (Math.PI * geometry.radius ** 2 * geometry.height) / 3, halfHeight: geometry.height / 2 };
    default:
      return { volume: 0, halfHeight: 0 };
  }
}

/**
 * The fields of a new primitive whose base sits at `at` (world frame, metres; the parent is
 * assumed to have no transform of its own, as /World usually has).
 */
export function primitiveFields(kind: PrimitiveKind, at: [number, number, number] = [0, 0, 0]): PrimFields {
  const geometry = geometryOf(kind);
  // addPrim starts from scene/prim.ts newPrim (visible, no labels, not an articulation root).
  const base: PrimFields = { type: USD_TYPE[kind] };
  if (kind === 'camera') {
    // Looking at the origin from the front, a little above, as a tabletop camera would.
    const fovY = (45 * Math.PI) / 180;
    const focalLength = 24;
    const verticalAperture = 2 * focalLength * Math.tan(fovY / 2);
    const aspect = 4 / 3;
    const pitch = -Math.atan2(0.5, 1.2) / 2;
    return {
      ...base,
      transform: { position: [at[0], at[1] + 0.5, at[2] + 1.2], orientation: [Math.sin(pitch), 0, 0, Math.cos(pitch)], scale: [1, 1, 1] },
      camera: { projection: 'perspective', fovY, aspect, near: 0.01, far: 100, focalLength, horizontalAperture: verticalAperture * aspect, verticalAperture },
    };
  }
  if (kind === 'light') {
    // Pointing down and a little forward.
    const tilt = -Math.PI / 3;
    return {
      ...base,
      transform: { position: [at[0], at[1] + 2, at[2]], orientation: [Math.sin(tilt / 2), 0, 0, Math.cos(tilt / 2)], scale: [1, 1, 1] },
      light: { kind: 'distant', color: [1, 1, 1], intensity: 2, exposure: 0 },
    };
  }
  const solid = geometry!;
  const { volume, halfHeight } = extent(solid);
  const fields: PrimFields = {
    ...base,
    transform: { position: [at[0], at[1] + halfHeight, at[2]], orientation: [0, 0, 0, 1], scale: [1, 1, 1] },
    geometry: solid,
    material: defaultLook(),
    collider: { enabled: true, approximation: 'none', physicsMaterial: null },
  };
  if (kind === 'plane') return { ...fields, body: { type: 'static', enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false } };
  return {
    ...fields,
    body: { type: 'dynamic', enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false },
    mass: { mass: Math.round(DENSITY * volume * 1e4) / 1e4 },
  };
}

/** "Cube", or "Cube_1", "Cube_2", … : the first name not taken among `parent`'s children. */
export function freeName(doc: SceneDocument, parent: string | null, stem: string): string {
  const taken = new Set(doc.prims.filter((p) => (p.path.slice(0, p.path.lastIndexOf('/')) || null) === parent).map((p) => primName(p.path)));
  if (!taken.has(stem)) return stem;
  for (let i = 1; ; i++) if (!taken.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

/** The stem a new primitive of `kind` is named from. */
export const primitiveStem = (kind: PrimitiveKind): string => (kind === 'light' ? 'Light' : USD_TYPE[kind]);

/** Where new prims go: the first root prim (/World in USD scenes), or the root when there is none. */
export function defaultParent(doc: SceneDocument): string | null {
  const root = doc.prims.find((p: Prim) => p.path.lastIndexOf('/') === 0);
  return root ? root.path : null;
}

/** A scene to start from: /World with a 4 m ground plane, a sun and a camera looking at the origin. */
export function starterScene(): SceneDocument {
  let doc = emptyDocument('untitled.json');
  doc = addPrim(doc, null, 'World');
  const ground = primitiveFields('plane');
  doc = addPrim(doc, '/World', 'Ground', { ...ground, geometry: { kind: 'plane', width: 4, length: 4, axis: 'Y' } });
  doc = addPrim(doc, '/World', 'Sun', primitiveFields('light'));
  return addPrim(doc, '/World', 'Camera', primitiveFields('camera'));
}

/**
 * Scene edits: each operation checked against hand-computed documents, with refusals naming the path
 * and field. A seeded fuzz test then runs random edit sequences through History on the bundled
 * scenes and checks that every version is a valid document, that undo and redo retrace the versions
 * exactly, and that no version was ever mutated.
 */
import { readFileSync } from 'node:fs';
import { Matrix4 } from 'three';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { unit } from '../randomize/draw.ts';
import { deepFreeze, emptyDocument, jointWith } from '../testing/documents.ts';
import { validateSceneDocument } from './document.ts';
import {
  addJoint,
  addPhysicsMaterial,
  addPrim,
  AttachedJointsError,
  EditError,
  insertScene,
  type JointPolicy,
  type PrimFields,
  removeJoint,
  removePhysicsMaterial,
  removePrim,
  renamePrim,
  reparentPrim,
  setPrimField,
  setTransform,
  updateJoint,
  updatePhysicsMaterial,
} from './edit.ts';
import { parentPath, transformToMatrix, worldMatrices } from './hierarchy.ts';
import { History } from './history.ts';
import {
  type Camera,
  type Geometry,
  type Joint,
  type JointLimit,
  type Prim,
  SCENE_SCHEMA_ID,
  SCENE_SCHEMA_VERSION,
  SceneDocument,
  type Transform,
} from './schema.ts';

// ------------------------------------------------------------------ fixtures

const S = Math.SQRT1_2;

function prim(path: string, fields: Partial<Prim> = {}): Prim {
  return {
    path,
    type: 'Xform',
    transform: { position: [0, 0, 0], orientation: [0, 0, 0, 1], scale: [1, 1, 1] },
    visible: true,
    labels: {},
    articulationRoot: false,
    ...fields,
  };
}

const BODY = { type: 'dynamic', enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false } as const satisfies Prim['body'];
const at = (position: [number, number, number], orientation: [number, number, number, number] = [0, 0, 0, 1], scale: [number, number, number] = [1, 1, 1]): Transform => ({ position, orientation, scale });

const joint = jointWith;

/**
 * A small workshop. /World/Arm is at (1, 0, 0), turned 90° about Z and scaled 2, so /World/Arm/Link
 * (0.5 m along the arm's x) sits at (1, 1, 0) in the world. /World/Arm/Hinge is a joint prim;
 * /World/Tether is a joint with no prim (as a JSON document may have).
 */
function workshop(): SceneDocument {
  return deepFreeze<SceneDocument>({
    schema: SCENE_SCHEMA_ID,
    version: SCENE_SCHEMA_VERSION,
    source: { file: 'workshop.json', format: 'json', metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Y' },
    gravity: [0, -9.81, 0],
    prims: [
      prim('/World'),
      prim('/World/Looks', { type: 'Scope' }),
      prim('/World/Looks/Rubber', { type: 'Material' }),
      prim('/World/Base', { transform: at([0, 1, 0]), body: { ...BODY, type: 'static' } }),
      prim('/World/Arm', { transform: at([1, 0, 0], [0, 0, S, S], [2, 2, 2]) }),
      prim('/World/Arm/Link', { transform: at([0.5, 0, 0]), body: BODY, mass: { mass: 1 } }),
      prim('/World/Arm/Link/Shape', {
        type: 'Cube',
        geometry: { kind: 'box', size: [0.1, 0.1, 0.1] },
        collider: { enabled: true, approximation: 'none', physicsMaterial: '/World/Looks/Rubber' },
      }),
      prim('/World/Arm/Hinge', { type: 'PhysicsRevoluteJoint' }),
      prim('/World/Box', {
        type: 'Cube',
        transform: at([0, 0, 2]),
        geometry: { kind: 'box', size: [0.2, 0.2, 0.2] },
        material: { color: [1, 0, 0], roughness: 0.5, metallic: 0, opacity: 1 },
        body: BODY,
        mass: { mass: 2 },
        collider: { enabled: true, approximation: 'none', physicsMaterial: '/World/Looks/Rubber' },
        labels: { class: ['box'] },
      }),
      prim('/World/Group', { type: 'PhysicsCollisionGroup' }),
    ],
    physicsMaterials: [
      { path: '/World/Looks/Rubber', staticFriction: 0.9, dynamicFriction: 0.8, restitution: 0.1, frictionCombine: 'average', restitutionCombine: 'average' },
    ],
    joints: [
      joint('/World/Arm/Hinge', { body0: '/World/Base', body1: '/World/Arm/Link', limits: [{ dof: 'angular', low: -1, high: 1 }] }),
      joint('/World/Tether', { type: 'distance', body0: '/World/Box', body1: '/World/Arm/Link', localPos1: [0.1, 0, 0], minDistance: 0, maxDistance: 0.5 }),
    ],
    collisionGroups: [{ path: '/World/Group', members: ['/World/Arm', '/World/Box'], filteredGroups: ['/World/Group'], invertFilteredGroups: false }],
    filteredPairs: [['/World/Box', '/World/Arm/Link']],
  });
}

const paths = (doc: SceneDocument) => doc.prims.map((p) => p.path);
const primOf = (doc: SceneDocument, path: string) => doc.prims.find((p) => p.path === path)!;

/** The EditError an edit throws (fails the test if it returns or throws anything else). */
function refusal(edit: () => unknown): EditError {
  try {
    edit();
  } catch (e) {
    if (e instanceof EditError) return e;
    throw e;
  }
  throw new Error('the edit was accepted');
}

function expectClose(actual: readonly number[], expected: readonly number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 12));
}

/** Parent-before-child order, and every parent present. */
function orderProblems(doc: SceneDocument): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const p of doc.prims) {
    const parent = parentPath(p.path);
    if (parent && !seen.has(parent)) problems.push(`${p.path} comes before its parent ${parent}`);
    if (seen.has(p.path)) problems.push(`${p.path} appears twice`);
    seen.add(p.path);
  }
  return problems;
}

// ------------------------------------------------------------------ operations

describe('the workshop fixture', () => {
  it('is a valid scene document', () => {
    expect(() => validateSceneDocument(workshop(), 'workshop.json')).not.toThrow();
  });
});

describe('addPrim', () => {
  it('adds the prim after its parent’s last descendant and shares everything else', () => {
    const doc = workshop();
    const next = addPrim(doc, '/World/Arm', 'Camera', { type: 'Camera', transform: at([0, 0.3, 0]) });
    expect(paths(next)).toEqual([
      '/World', '/World/Looks', '/World/Looks/Rubber', '/World/Base', '/World/Arm', '/World/Arm/Link', '/World/Arm/Link/Shape',
      '/World/Arm/Hinge', '/World/Arm/Camera', '/World/Box', '/World/Group',
    ]);
    const added = primOf(next, '/World/Arm/Camera');
    expect(added).toEqual(prim('/World/Arm/Camera', { type: 'Camera', transform: at([0, 0.3, 0]) }));
    // Structural sharing: the untouched prims and lists are the very same objects.
    doc.prims.forEach((p) => expect(primOf(next, p.path)).toBe(p));
    expect(next.joints).toBe(doc.joints);
    expect(next.physicsMaterials).toBe(doc.physicsMaterials);
    expect(doc.prims).toHaveLength(10);
  });

  it('adds a root prim at the end', () => {
    const next = addPrim(workshop(), null, 'Lights');
    expect(paths(next).at(-1)).toBe('/Lights');
  });

  it('refuses a duplicate path, a missing parent, a bad name and bad field values', () => {
    const doc = workshop();
    expect(refusal(() => addPrim(doc, '/World', 'Box')).message).toBe('/World/Box: already in use by a prim');
    expect(refusal(() => addPrim(doc, '/World', 'Tether')).message).toBe('/World/Tether: already in use by a joint');
    expect(refusal(() => addPrim(doc, '/World/Nope', 'Box')).message).toBe('/World/Nope: no prim has this path (adding "Box" under it)');
    expect(refusal(() => addPrim(doc, '/World', 'a/b')).message).toBe('/World: name must be a USD identifier (letters, digits and _, not starting with a digit), got "a/b"');
    expect(refusal(() => addPrim(doc, '/World', '2nd')).field).toBe('name');
    expect(refusal(() => addPrim(doc, '/World', 'Ball', { mass: { mass: 0 } })).message).toBe('/World/Ball: mass.mass must be a positive number of kilograms, got 0');
    expect(refusal(() => addPrim(doc, '/World', 'Ball', { path: '/Elsewhere' } as PrimFields)).message).toBe('/World/Ball: path is not a prim field an edit can set');
  });
});

describe('removePrim', () => {
  it('lists the joints outside the subtree that would lose a body, when no policy is given', () => {
    const error = refusal(() => removePrim(workshop(), '/World/Arm'));
    expect(error).toBeInstanceOf(AttachedJointsError);
    // The hinge lives under /World/Arm and goes with it; only the tether is outside.
    expect((error as AttachedJointsError).joints).toEqual(['/World/Tether']);
    expect(error.message).toContain('/World/Arm: cannot be removed while joints outside it attach to it: /World/Tether');
  });

  it("with 'remove-joints' removes the subtree, its joints, the attached joints and every reference", () => {
    const doc = workshop();
    const next = removePrim(doc, '/World/Arm', { joints: 'remove-joints' });
    expect(paths(next)).toEqual(['/World', '/World/Looks', '/World/Looks/Rubber', '/World/Base', '/World/Box', '/World/Group']);
    expect(next.joints).toEqual([]);
    expect(next.collisionGroups[0]!.members).toEqual(['/World/Box']);
    expect(next.collisionGroups[0]!.filteredGroups).toEqual(['/World/Group']);
    expect(next.filteredPairs).toEqual([]);
    expect(next.physicsMaterials).toBe(doc.physicsMaterials);
    expect(primOf(next, '/World/Box')).toBe(primOf(doc, '/World/Box'));
    expect(() => validateSceneDocument(next, 'edited')).not.toThrow();
  });

  it("with 'detach-joints' attaches that side to the world, keeping the anchor where it was", () => {
    const next = removePrim(workshop(), '/World/Arm', { joints: 'detach-joints' });
    const tether = next.joints.find((j) => j.path === '/World/Tether')!;
    expect(tether.body0).toBe('/World/Box');
    expect(tether.body1).toBeNull();
    // The link sat at (1, 1, 0), turned 90° about Z: its anchor 0.1 m along its x is at (1, 1.1, 0).
    expectClose(tether.localPos1, [1, 1.1, 0]);
    expectClose(tether.localRot1, [0, 0, S, S]);
    expect(tether.localPos0).toEqual([0, 0, 0]);
    expect(next.joints.map((j) => j.path)).toEqual(['/World/Tether']);
    expect(() => validateSceneDocument(next, 'edited')).not.toThrow();
  });

  it('removing a physics material prim unbinds the colliders that used it', () => {
    const next = removePrim(workshop(), '/World/Looks');
    expect(next.physicsMaterials).toEqual([]);
    expect(primOf(next, '/World/Box').collider!.physicsMaterial).toBeNull();
    expect(primOf(next, '/World/Arm/Link/Shape').collider!.physicsMaterial).toBeNull();
    expect(() => validateSceneDocument(next, 'edited')).not.toThrow();
  });

  it('removing a collision group prim drops it from the other groups’ filters', () => {
    const doc = addPrim(workshop(), '/World', 'Other');
    const withGroup = { ...doc, collisionGroups: [...doc.collisionGroups, { path: '/World/Other', members: [], filteredGroups: ['/World/Group'], invertFilteredGroups: false }] };
    const next = removePrim(withGroup, '/World/Group');
    expect(next.collisionGroups).toEqual([{ path: '/World/Other', members: [], filteredGroups: [], invertFilteredGroups: false }]);
  });

  it('refuses a missing prim', () => {
    expect(refusal(() => removePrim(workshop(), '/World/Nope')).message).toBe('/World/Nope: no prim has this path');
  });
});

describe('renamePrim', () => {
  it('renames the prim, its descendants and every reference to them', () => {
    const doc = workshop();
    const next = renamePrim(doc, '/World/Arm', 'Limb');
    expect(paths(next)).toEqual([
      '/World', '/World/Looks', '/World/Looks/Rubber', '/World/Base', '/World/Limb', '/World/Limb/Link', '/World/Limb/Link/Shape',
      '/World/Limb/Hinge', '/World/Box', '/World/Group',
    ]);
    expect(next.joints.map((j) => [j.path, j.body0, j.body1])).toEqual([
      ['/World/Limb/Hinge', '/World/Base', '/World/Limb/Link'],
      ['/World/Tether', '/World/Box', '/World/Limb/Link'],
    ]);
    expect(next.collisionGroups[0]!.members).toEqual(['/World/Limb', '/World/Box']);
    expect(next.filteredPairs).toEqual([['/World/Box', '/World/Limb/Link']]);
    expect(primOf(next, '/World/Box')).toBe(primOf(doc, '/World/Box'));
    expect(next.physicsMaterials).toBe(doc.physicsMaterials);
    expect(() => validateSceneDocument(next, 'edited')).not.toThrow();
  });

  it('renames physics materials under it and the colliders’ bindings', () => {
    const next = renamePrim(workshop(), '/World/Looks', 'Materials');
    expect(next.physicsMaterials.map((m) => m.path)).toEqual(['/World/Materials/Rubber']);
    expect(primOf(next, '/World/Box').collider!.physicsMaterial).toBe('/World/Materials/Rubber');
    expect(primOf(next, '/World/Arm/Link/Shape').collider!.physicsMaterial).toBe('/World/Materials/Rubber');
  });

  it('renames a collision group in its own filter list', () => {
    const next = renamePrim(workshop(), '/World/Group', 'NoSelf');
    expect(next.collisionGroups).toEqual([{ path: '/World/NoSelf', members: ['/World/Arm', '/World/Box'], filteredGroups: ['/World/NoSelf'], invertFilteredGroups: false }]);
  });

  it('leaves a sibling whose name merely starts with the same letters alone', () => {
    const doc = addPrim(workshop(), '/World', 'ArmRest');
    const next = renamePrim(doc, '/World/Arm', 'Limb');
    expect(paths(next)).toContain('/World/ArmRest');
    expect(primOf(next, '/World/ArmRest')).toBe(primOf(doc, '/World/ArmRest'));
  });

  it('returns the same document for the same name, and refuses a taken or invalid one', () => {
    const doc = workshop();
    expect(renamePrim(doc, '/World/Box', 'Box')).toBe(doc);
    expect(refusal(() => renamePrim(doc, '/World/Arm', 'Box')).message).toBe('/World/Box: already in use by a prim');
    expect(refusal(() => renamePrim(doc, '/World/Arm', '')).message).toBe('/World/Arm: name must be a USD identifier (letters, digits and _, not starting with a digit), got ""');
  });
});

describe('reparentPrim', () => {
  it('keeps the world transform: the new local transform is the parent’s inverse times the world matrix', () => {
    const doc = workshop();
    const next = reparentPrim(doc, '/World/Box', '/World/Arm');
    const box = primOf(next, '/World/Arm/Box');
    // Box at (0, 0, 2) seen from the arm: subtract (1, 0, 0) → (−1, 0, 2); turn −90° about Z →
    // (0, 1, 2); divide by the scale 2 → (0, 0.5, 1). Orientation −90° about Z, scale 1/2.
    expectClose(box.transform.position, [0, 0.5, 1]);
    expectClose(box.transform.orientation, [0, 0, -S, S]);
    expectClose(box.transform.scale, [0.5, 0.5, 0.5]);
    const before = worldMatrices(doc).get('/World/Box')!.elements;
    const after = worldMatrices(next).get('/World/Arm/Box')!.elements;
    expectClose(after, before);
    // The subtree goes after the arm's last descendant; references follow.
    expect(paths(next)).toEqual([
      '/World', '/World/Looks', '/World/Looks/Rubber', '/World/Base', '/World/Arm', '/World/Arm/Link', '/World/Arm/Link/Shape',
      '/World/Arm/Hinge', '/World/Arm/Box', '/World/Group',
    ]);
    expect(next.joints[1]!.body0).toBe('/World/Arm/Box');
    expect(next.filteredPairs).toEqual([['/World/Arm/Box', '/World/Arm/Link']]);
    expect(next.collisionGroups[0]!.members).toEqual(['/World/Arm', '/World/Arm/Box']);
    expect(() => validateSceneDocument(next, 'edited')).not.toThrow();
  });

  it('moves a subtree to the root with its world transform and its order kept', () => {
    const next = reparentPrim(workshop(), '/World/Arm/Link', null);
    expect(paths(next).slice(-2)).toEqual(['/Link', '/Link/Shape']);
    const link = primOf(next, '/Link');
    expectClose(link.transform.position, [1, 1, 0]);
    expectClose(link.transform.orientation, [0, 0, S, S]);
    expectClose(link.transform.scale, [2, 2, 2]);
    // The shape keeps its local transform; its world transform is unchanged because its parent's is.
    expect(primOf(next, '/Link/Shape').transform).toEqual(at([0, 0, 0]));
    expect(next.joints.map((j) => j.body1)).toEqual(['/Link', '/Link']);
    expect(orderProblems(next)).toEqual([]);
  });

  it('without keepWorldTransform keeps the local transform', () => {
    const doc = workshop();
    const next = reparentPrim(doc, '/World/Box', '/World/Arm', { keepWorldTransform: false });
    expect(primOf(next, '/World/Arm/Box').transform).toBe(primOf(doc, '/World/Box').transform);
  });

  it('refuses a move under itself or a descendant, a missing parent, a taken path, and shear', () => {
    const doc = workshop();
    expect(refusal(() => reparentPrim(doc, '/World/Arm', '/World/Arm/Link')).message).toBe(
      '/World/Arm: cannot move under /World/Arm/Link: that is this prim or one of its descendants',
    );
    expect(refusal(() => reparentPrim(doc, '/World/Arm', '/World/Arm')).field).toBeNull();
    expect(refusal(() => reparentPrim(doc, '/World/Box', '/World/Nope')).message).toBe('/World/Box: cannot move under /World/Nope: no prim has that path');
    const clash = addPrim(doc, '/World/Arm', 'Box');
    expect(refusal(() => reparentPrim(clash, '/World/Box', '/World/Arm')).message).toBe('/World/Arm/Box: already in use by a prim');
    // A prim turned 45° under a parent stretched along Y would need shear to stay where it is.
    const squashed = addPrim(addPrim(doc, '/World', 'Squash', { transform: at([0, 0, 0], [0, 0, 0, 1], [1, 2, 1]) }), '/World', 'Tilted', {
      transform: at([0, 0, 0], [0, 0, Math.sin(Math.PI / 8), Math.cos(Math.PI / 8)]),
    });
    const shear = refusal(() => reparentPrim(squashed, '/World/Tilted', '/World/Squash'));
    expect(shear.path).toBe('/World/Tilted');
    expect(shear.field).toBe('transform');
    expect(shear.message).toContain('shear');
    expect(() => reparentPrim(squashed, '/World/Tilted', '/World/Squash', { keepWorldTransform: false })).not.toThrow();
  });

  it('returns the same document when the parent does not change', () => {
    const doc = workshop();
    expect(reparentPrim(doc, '/World/Box', '/World')).toBe(doc);
  });
});

describe('setPrimField', () => {
  it('replaces one prim and shares the rest', () => {
    const doc = workshop();
    const next = setTransform(doc, '/World/Box', at([0, 0, 3]));
    expect(primOf(next, '/World/Box').transform.position).toEqual([0, 0, 3]);
    doc.prims.filter((p) => p.path !== '/World/Box').forEach((p) => expect(primOf(next, p.path)).toBe(p));
    expect(next.joints).toBe(doc.joints);
    expect(primOf(doc, '/World/Box').transform.position).toEqual([0, 0, 2]);
  });

  it('returns the same document for an unchanged value, and removes an optional field given undefined', () => {
    const doc = workshop();
    expect(setPrimField(doc, '/World/Box', 'visible', true)).toBe(doc);
    const next = setPrimField(doc, '/World/Box', 'mass', undefined);
    expect('mass' in primOf(next, '/World/Box')).toBe(false);
  });

  it('refuses invalid values with the path, the field and what was expected', () => {
    const doc = workshop();
    const message = (edit: () => unknown) => refusal(edit).message;
    expect(message(() => setPrimField(doc, '/World/Box', 'mass', { mass: -1 }))).toBe('/World/Box: mass.mass must be a positive number of kilograms, got -1');
    expect(message(() => setPrimField(doc, '/World/Box', 'mass', { mass: NaN }))).toBe('/World/Box: mass.mass must be a positive number of kilograms, got NaN');
    expect(message(() => setPrimField(doc, '/World/Box', 'mass', { diagonalInertia: [1, -1, 1] }))).toBe(
      '/World/Box: mass.diagonalInertia must be three non-negative numbers (kg·m²), got [1, -1, 1]',
    );
    expect(message(() => setTransform(doc, '/World/Box', at([0, NaN, 0])))).toBe(
      '/World/Box: transform.position must be three finite numbers (metres, relative to the parent), got [0, NaN, 0]',
    );
    expect(message(() => setTransform(doc, '/World/Box', at([0, Infinity, 0])))).toContain('got [0, Infinity, 0]');
    expect(message(() => setTransform(doc, '/World/Box', at([0, 0, 0], [0, 0, 1, 1])))).toBe('/World/Box: transform.orientation must be a unit quaternion [x, y, z, w], got [0, 0, 1, 1]');
    expect(message(() => setTransform(doc, '/World/Box', at([0, 0, 0], [0, 0, 0, 1], [1, 0, 1])))).toBe('/World/Box: transform.scale must be three finite, non-zero numbers, got [1, 0, 1]');
    expect(message(() => setPrimField(doc, '/World/Box', 'material', { color: [1, 0, 0], roughness: 1.5, metallic: 0, opacity: 1 }))).toBe(
      '/World/Box: material.roughness must be a number between 0 and 1, got 1.5',
    );
    expect(message(() => setPrimField(doc, '/World/Box', 'collider', { enabled: true, approximation: 'none', physicsMaterial: '/World/Looks/Steel' }))).toBe(
      '/World/Box: collider.physicsMaterial must be the path of a physics material in the scene, or null, got "/World/Looks/Steel"',
    );
    expect(message(() => setPrimField(doc, '/World/Box', 'geometry', { kind: 'sphere', radius: -0.1 }))).toBe('/World/Box: geometry.radius must be a non-negative number of metres, got -0.1');
    expect(message(() => setPrimField(doc, '/World/Box', 'labels', { class: [''] }))).toContain('/World/Box: labels must be');
    expect(message(() => setPrimField(doc, '/World/Nope', 'visible', false))).toBe('/World/Nope: no prim has this path');
  });

  it('checks a mesh’s indices against its points and a camera’s clipping planes', () => {
    const doc = workshop();
    const mesh: Geometry = { kind: 'mesh', points: [0, 0, 0, 1, 0, 0, 0, 1, 0], indices: [0, 1, 3] };
    expect(refusal(() => setPrimField(doc, '/World/Box', 'geometry', mesh)).message).toBe(
      '/World/Box: geometry.indices[2] must be a vertex index below 3 (the number of points), got 3',
    );
    const camera: Camera = { projection: 'perspective', fovY: 0.8, aspect: 1.5, near: 2, far: 1, focalLength: 18, horizontalAperture: 20.955, verticalAperture: 15.2908 };
    expect(refusal(() => setPrimField(doc, '/World/Box', 'camera', camera)).message).toBe('/World/Box: camera.far must be greater than camera.near (2), got 1');
    expect(primOf(setPrimField(doc, '/World/Box', 'camera', { ...camera, far: 100 }), '/World/Box').camera!.far).toBe(100);
  });

  it('refuses to remove the body of a prim that joints attach to', () => {
    expect(refusal(() => setPrimField(workshop(), '/World/Arm/Link', 'body', undefined)).message).toBe(
      '/World/Arm/Link: body cannot be removed while joints attach to it: /World/Arm/Hinge, /World/Tether (change or remove them first)',
    );
  });

  it('applies the stricter checks only to the values an edit changes', () => {
    // A document may hold an off-unit quaternion; moving the prim must still work.
    const doc = deepFreeze({ ...workshop(), prims: workshop().prims.map((p) => (p.path === '/World/Box' ? { ...p, transform: at([0, 0, 2], [0, 0, 0, 1.01]) } : p)) });
    const next = setTransform(doc, '/World/Box', at([0, 0, 3], [0, 0, 0, 1.01]));
    expect(primOf(next, '/World/Box').transform.position).toEqual([0, 0, 3]);
  });
});

describe('joints', () => {
  it('adds, updates and removes a joint', () => {
    const doc = workshop();
    const added = addJoint(doc, joint('/World/Slide', { type: 'prismatic', body0: '/World/Base', body1: '/World/Box', axis: 'X', limits: [{ dof: 'linear', low: 0, high: 0.3 }] }));
    expect(added.joints.map((j) => j.path)).toEqual(['/World/Arm/Hinge', '/World/Tether', '/World/Slide']);
    const updated = updateJoint(added, '/World/Slide', { enabled: false });
    expect(updated.joints[2]!.enabled).toBe(false);
    expect(updated.joints[0]).toBe(doc.joints[0]);
    expect(removeJoint(updated, '/World/Slide').joints).toEqual(doc.joints);
    expect(updateJoint(doc, '/World/Tether', { minDistance: 0 })).toBe(doc);
  });

  it('refuses bodies that are not rigid body prims, a body joined to itself, and a taken path', () => {
    const doc = workshop();
    expect(refusal(() => addJoint(doc, joint('/World/J', { body0: '/World/Nope' }))).message).toBe(
      '/World/J: body0 must be the path of a rigid body prim in the scene, or null (the world), got "/World/Nope" (no prim has that path)',
    );
    expect(refusal(() => updateJoint(doc, '/World/Tether', { body1: '/World/Arm' })).message).toBe(
      '/World/Tether: body1 must be the path of a rigid body prim in the scene, or null (the world), got "/World/Arm" (a prim without a rigid body)',
    );
    expect(refusal(() => updateJoint(doc, '/World/Tether', { body1: '/World/Box' })).field).toBe('body1');
    expect(refusal(() => addJoint(doc, joint('/World/Tether'))).message).toBe('/World/Tether: a joint with this path already exists');
    expect(refusal(() => updateJoint(doc, '/World/Nope', {})).message).toBe('/World/Nope: no joint has this path');
  });

  it('refuses reversed limits unless a lock is asked for', () => {
    const doc = workshop();
    const reversed: JointLimit[] = [{ dof: 'angular', low: 1, high: -1 }];
    expect(refusal(() => updateJoint(doc, '/World/Arm/Hinge', { limits: reversed })).message).toBe(
      '/World/Arm/Hinge: limits[0] must have low ≤ high, got low 1 > high -1 (low > high locks the degree of freedom: ask for a lock explicitly)',
    );
    const locked = updateJoint(doc, '/World/Arm/Hinge', { limits: reversed }, { allowLockedLimits: true });
    expect(locked.joints[0]!.limits).toEqual(reversed);
    // Editing another field of a locked joint does not re-litigate the lock.
    expect(updateJoint(locked, '/World/Arm/Hinge', { collisionEnabled: true }).joints[0]!.collisionEnabled).toBe(true);
    expect(refusal(() => updateJoint(doc, '/World/Arm/Hinge', { limits: [{ dof: 'angular', low: NaN, high: 1 }] })).message).toBe(
      '/World/Arm/Hinge: limits[0].low must be a finite number or null (unbounded), got NaN',
    );
    expect(refusal(() => updateJoint(doc, '/World/Tether', { minDistance: 1 })).message).toBe('/World/Tether: maxDistance must be at least minDistance (1), got 0.5');
  });

  it('refuses a drive with a negative stiffness', () => {
    const drive = { dof: 'angular', type: 'force', stiffness: -5, damping: 1, targetPosition: 0, targetVelocity: 0, maxForce: null } as const;
    expect(refusal(() => updateJoint(workshop(), '/World/Arm/Hinge', { drives: [drive] })).message).toBe(
      '/World/Arm/Hinge: drives[0].stiffness must be a non-negative number (N/m or N·m/rad), got -5',
    );
  });
});

describe('physics materials', () => {
  const steel = { path: '/World/Looks/Steel', staticFriction: 0.4, dynamicFriction: 0.3, restitution: 0.2, density: 7850, frictionCombine: 'average', restitutionCombine: 'average' } as const;

  it('adds, updates and removes a material; removal unbinds its colliders', () => {
    const doc = addPhysicsMaterial(workshop(), steel);
    expect(doc.physicsMaterials.map((m) => m.path)).toEqual(['/World/Looks/Rubber', '/World/Looks/Steel']);
    const bound = setPrimField(doc, '/World/Box', 'collider', { enabled: true, approximation: 'none', physicsMaterial: '/World/Looks/Steel' });
    const faster = updatePhysicsMaterial(bound, '/World/Looks/Steel', { dynamicFriction: 0.1, density: undefined });
    expect(faster.physicsMaterials[1]).toEqual({ ...steel, dynamicFriction: 0.1, density: undefined });
    expect('density' in faster.physicsMaterials[1]!).toBe(false);
    const removed = removePhysicsMaterial(faster, '/World/Looks/Steel');
    expect(removed.physicsMaterials.map((m) => m.path)).toEqual(['/World/Looks/Rubber']);
    expect(primOf(removed, '/World/Box').collider!.physicsMaterial).toBeNull();
    expect(primOf(removed, '/World/Arm/Link/Shape')).toBe(primOf(faster, '/World/Arm/Link/Shape'));
  });

  it('refuses negative friction and a taken path', () => {
    const doc = workshop();
    expect(refusal(() => updatePhysicsMaterial(doc, '/World/Looks/Rubber', { staticFriction: -0.1 })).message).toBe(
      '/World/Looks/Rubber: staticFriction must be a non-negative friction coefficient, got -0.1',
    );
    expect(refusal(() => addPhysicsMaterial(doc, { ...steel, path: '/World/Looks/Rubber' })).message).toBe('/World/Looks/Rubber: a physics material with this path already exists');
  });
});

// ------------------------------------------------------------------ fuzz

/** A seeded random document: a tree of bodies and shapes with joints, a material, a group and a filtered pair. */
function generatedDocument(seed: number): SceneDocument {
  const u = (k: number, what: string) => unit(seed, k, `generated:${what}`);
  let doc: SceneDocument = emptyDocument('generated.json');
  doc = addPrim(doc, null, 'Gen');
  doc = addPhysicsMaterial(doc, { path: '/Gen/Felt', staticFriction: 0.7, dynamicFriction: 0.6, restitution: 0, frictionCombine: 'max', restitutionCombine: 'min' });
  for (let k = 0; k < 14; k++) {
    const parent = pick(paths(doc), u(k, 'parent'));
    const isBody = u(k, 'body') < 0.6;
    doc = addPrim(doc, parent, `P${k}`, {
      transform: randomTransform((what) => u(k, what), u(k, 'uniform') < 0.7),
      ...(isBody ? { body: BODY, mass: { mass: 0.1 + u(k, 'mass') } } : {}),
      ...(u(k, 'shape') < 0.5 ? { geometry: { kind: 'sphere', radius: 0.05 }, collider: { enabled: true, approximation: 'none', physicsMaterial: u(k, 'felt') < 0.5 ? '/Gen/Felt' : null } } : {}),
    });
  }
  const bodies = doc.prims.filter((p) => p.body).map((p) => p.path);
  for (let k = 0; k + 1 < bodies.length && k < 4; k++) {
    doc = addJoint(doc, joint(`/Gen/J${k}`, { body0: bodies[k]!, body1: bodies[k + 1]!, limits: [{ dof: 'angular', low: -0.5, high: 0.5 }] }));
  }
  doc = { ...doc, collisionGroups: [{ path: '/Gen/Group', members: [paths(doc)[2]!, paths(doc)[5]!], filteredGroups: ['/Gen/Group'], invertFilteredGroups: false }] };
  doc = { ...doc, filteredPairs: [[paths(doc)[3]!, paths(doc)[7]!]] };
  return deepFreeze(doc);
}

function pick<T>(list: readonly T[], u: number): T {
  return list[Math.min(list.length - 1, Math.floor(u * list.length))]!;
}

function randomTransform(u: (what: string) => number, uniformScale: boolean): Transform {
  const q = [u('qx') - 0.5, u('qy') - 0.5, u('qz') - 0.5, u('qw') - 0.5];
  const n = Math.hypot(...q) || 1;
  const s = 0.5 + u('s0');
  return {
    position: [u('px') * 4 - 2, u('py') * 4 - 2, u('pz') * 4 - 2],
    orientation: [q[0]! / n, q[1]! / n, q[2]! / n, q[3]! / n],
    scale: uniformScale ? [s, s, s] : [s, 0.5 + u('s1'), 0.5 + u('s2')],
  };
}

const EDIT_KINDS = [
  'addPrim', 'removePrim', 'renamePrim', 'reparentPrim', 'transform', 'geometry', 'material', 'body', 'mass', 'collider', 'labels', 'camera', 'light',
  'visible', 'addJoint', 'updateJoint', 'removeJoint', 'addMaterial', 'updateMaterial', 'removeMaterial',
] as const;
type EditKind = (typeof EDIT_KINDS)[number];

interface RandomEdit {
  kind: EditKind;
  label: string;
  edit: (doc: SceneDocument) => SceneDocument;
  coalesce?: string;
}

const NAMES = ['A', 'B', 'Box', 'Link', 'Panda', 'Looks', 'x_1', '1bad', 'a/b', ''];

/**
 * One random edit of `doc`, drawn from (seed, step). About one in five is invalid (a bad value, a
 * missing path, a move under a descendant), to check that refusals leave the history alone.
 */
function randomEdit(doc: SceneDocument, seed: number, step: number): RandomEdit {
  const u = (what: string) => unit(seed, step, what);
  const kind = pick(EDIT_KINDS, u('kind'));
  const primPaths = paths(doc);
  const target = primPaths.length && u('missing') > 0.05 ? pick(primPaths, u('target')) : '/World/Missing';
  const bodies = doc.prims.filter((p) => p.body).map((p) => p.path);
  const anyPath = (what: string) => (u(`${what}:kind`) < 0.8 && bodies.length ? pick(bodies, u(what)) : u(`${what}:null`) < 0.5 ? null : pick([...primPaths, '/Nope'], u(what)));
  const number = (what: string, low: number, high: number) => (u(`${what}:nan`) < 0.03 ? NaN : low + (high - low) * u(what));
  const materials = doc.physicsMaterials.map((m) => m.path);
  const label = `${kind} ${target}`;
  switch (kind) {
    case 'addPrim': {
      const parent = u('root') < 0.15 ? null : target;
      const fields: PrimFields = u('withBody') < 0.4 ? { body: BODY, mass: { mass: number('mass', -0.5, 3) }, geometry: { kind: 'box', size: [0.1, 0.2, 0.3] } } : {};
      return { kind, label, edit: (d) => addPrim(d, parent, pick(NAMES, u('name')), fields) };
    }
    case 'removePrim': {
      const joints = pick<JointPolicy | undefined>([undefined, 'remove-joints', 'detach-joints'], u('policy'));
      return { kind, label, edit: (d) => removePrim(d, target, { joints }) };
    }
    case 'renamePrim':
      return { kind, label, edit: (d) => renamePrim(d, target, pick(NAMES, u('name'))) };
    case 'reparentPrim': {
      const parent = u('root') < 0.1 ? null : pick(primPaths.length ? primPaths : ['/Nope'], u('parent'));
      return { kind, label, edit: (d) => reparentPrim(d, target, parent, { keepWorldTransform: u('keep') < 0.7 }) };
    }
    case 'transform': {
      const t = randomTransform(u, u('uniform') < 0.5);
      if (u('invalid') < 0.1) t.position[1] = NaN;
      if (u('invalid') > 0.95) t.orientation = [0, 0, 0, 2];
      // Half of the transform edits are gizmo drags: consecutive ones on the same prim coalesce.
      return { kind, label, edit: (d) => setTransform(d, target, t), ...(u('drag') < 0.5 ? { coalesce: `transform:${target}` } : {}) };
    }
    case 'geometry': {
      const geometry: Geometry | undefined = pick<Geometry | undefined>(
        [undefined, { kind: 'sphere', radius: number('r', -0.1, 1) }, { kind: 'capsule', radius: 0.1, height: number('h', 0, 1), axis: 'Y' }, { kind: 'box', size: [number('x', -0.1, 1), 0.5, 0.5] }],
        u('geometry'),
      );
      return { kind, label, edit: (d) => setPrimField(d, target, 'geometry', geometry) };
    }
    case 'material': {
      const material = u('none') < 0.2 ? undefined : { color: [u('r'), u('g'), u('b')] as [number, number, number], roughness: number('roughness', -0.1, 1.1), metallic: u('metal'), opacity: 1 };
      return { kind, label, edit: (d) => setPrimField(d, target, 'material', material) };
    }
    case 'body': {
      const body = u('none') < 0.3 ? undefined : { ...BODY, type: pick(['dynamic', 'kinematic', 'static'] as const, u('type')), linearVelocity: [0, number('v', -1, 1), 0] as [number, number, number] };
      return { kind, label, edit: (d) => setPrimField(d, target, 'body', body) };
    }
    case 'mass': {
      const mass = u('none') < 0.2 ? undefined : { mass: number('mass', -1, 5), ...(u('inertia') < 0.3 ? { diagonalInertia: [0.1, number('i', -0.05, 0.2), 0.1] as [number, number, number] } : {}) };
      return { kind, label, edit: (d) => setPrimField(d, target, 'mass', mass) };
    }
    case 'collider': {
      const physicsMaterial = pick([null, ...materials, '/World/Looks/Missing'], u('material'));
      const collider = u('none') < 0.2 ? undefined : { enabled: u('enabled') < 0.8, approximation: 'convexHull' as const, physicsMaterial };
      return { kind, label, edit: (d) => setPrimField(d, target, 'collider', collider) };
    }
    case 'labels': {
      const labels: Record<string, string[]> = u('none') < 0.2 ? {} : { class: [pick(['cube', 'ball', 'robot', ''], u('label'))] };
      return { kind, label, edit: (d) => setPrimField(d, target, 'labels', labels) };
    }
    case 'camera': {
      const camera = u('none') < 0.2 ? undefined : { projection: 'perspective' as const, fovY: number('fov', 0.1, 3.5), aspect: 1.5, near: number('near', 0.01, 1), far: number('far', 0.5, 100), focalLength: 18, horizontalAperture: 20.955, verticalAperture: 15.2908 };
      return { kind, label, edit: (d) => setPrimField(d, target, 'camera', camera) };
    }
    case 'light': {
      const light = u('none') < 0.2 ? undefined : { kind: 'sphere' as const, color: [1, u('g') * 1.2, 1] as [number, number, number], intensity: number('intensity', -10, 1000), exposure: 0 };
      return { kind, label, edit: (d) => setPrimField(d, target, 'light', light) };
    }
    case 'visible':
      return { kind, label, edit: (d) => setPrimField(d, target, 'visible', u('visible') < 0.5) };
    case 'addJoint': {
      const path = u('taken') < 0.1 && doc.joints.length ? pick(doc.joints, u('which')).path : `/Joints/J${seed}_${step}`;
      const low = number('low', -2, 1);
      const high = number('high', -1, 2);
      const added = joint(path, { type: 'revolute', body0: anyPath('body0'), body1: anyPath('body1'), limits: u('limited') < 0.7 ? [{ dof: 'angular', low, high }] : [] });
      return { kind, label: `addJoint ${path}`, edit: (d) => addJoint(d, added, { allowLockedLimits: u('lock') < 0.2 }) };
    }
    case 'updateJoint': {
      const path = doc.joints.length && u('missing') > 0.05 ? pick(doc.joints, u('which')).path : '/Joints/Missing';
      const patches: Partial<Joint>[] = [
        { enabled: u('enabled') < 0.5 },
        { body0: anyPath('body0') },
        { body1: anyPath('body1') },
        { limits: [{ dof: 'angular', low: number('low', -2, 1), high: number('high', -1, 2) }] },
        { localRot1: u('unit') < 0.8 ? [0, 0, 0, 1] : [0, 0, 0.5, 0.5] },
        { drives: [{ dof: 'angular', type: 'force', stiffness: number('k', -10, 100), damping: 1, targetPosition: 0, targetVelocity: 0, maxForce: null }] },
      ];
      return { kind, label: `updateJoint ${path}`, edit: (d) => updateJoint(d, path, pick(patches, u('patch')), { allowLockedLimits: u('lock') < 0.2 }) };
    }
    case 'removeJoint': {
      const path = doc.joints.length && u('missing') > 0.05 ? pick(doc.joints, u('which')).path : '/Joints/Missing';
      return { kind, label: `removeJoint ${path}`, edit: (d) => removeJoint(d, path) };
    }
    case 'addMaterial': {
      const path = u('taken') < 0.1 && materials.length ? pick(materials, u('which')) : `/Materials/M${seed}_${step}`;
      const material = { path, staticFriction: number('mu', -0.1, 1), dynamicFriction: 0.5, restitution: 0.1, frictionCombine: 'average' as const, restitutionCombine: 'average' as const };
      return { kind, label: `addMaterial ${path}`, edit: (d) => addPhysicsMaterial(d, material) };
    }
    case 'updateMaterial': {
      const path = materials.length && u('missing') > 0.05 ? pick(materials, u('which')) : '/Materials/Missing';
      return { kind, label: `updateMaterial ${path}`, edit: (d) => updatePhysicsMaterial(d, path, { restitution: number('e', -0.1, 1), density: u('density') < 0.5 ? undefined : number('rho', -10, 2000) }) };
    }
    case 'removeMaterial': {
      const path = materials.length && u('missing') > 0.05 ? pick(materials, u('which')) : '/Materials/Missing';
      return { kind, label: `removeMaterial ${path}`, edit: (d) => removePhysicsMaterial(d, path) };
    }
  }
}

const loadBundled = async (file: string) => deepFreeze((await loadSceneFile(readFileSync(new URL(`../../../scenes/${file}`, import.meta.url)), file)).document);
const bundledTabletop = await loadBundled('tabletop.usda');
const bundledPanda = await loadBundled('panda_tabletop.usda');

describe('random edit sequences through History', () => {
  const sources: [string, SceneDocument][] = [
    ['tabletop.usda', bundledTabletop],
    ['panda_tabletop.usda', bundledPanda],
    ['workshop', workshop()],
    ['generated', generatedDocument(7)],
  ];
  // Taken before anything ran, to show afterwards that no edit mutated an input.
  const pristine = sources.map(([, doc]) => structuredClone(doc));
  const SEQUENCES = 240;

  it('every version is a valid document; undo retraces to the original and redo to the final one', () => {
    const accepted = new Map<EditKind, number>();
    const refused = new Map<EditKind, number>();
    for (let seed = 0; seed < SEQUENCES; seed++) {
      const [name, original] = sources[seed % sources.length]!;
      const history = new History(original);
      // versions[i] is the document after i undo steps from the start: versions[0] is the original.
      const versions: SceneDocument[] = [original];
      const length = 1 + Math.floor(unit(seed, 0, 'sequence length') * 60);
      for (let step = 0; step < length; step++) {
        const before = history.document;
        const labels = history.labels;
        const edit = randomEdit(before, seed, step);
        const where = `${name}, seed ${seed}, step ${step}: ${edit.label}`;
        try {
          history.apply(edit.label, edit.edit, edit.coalesce ? { coalesce: edit.coalesce } : {});
        } catch (e) {
          if (!(e instanceof EditError)) throw new Error(`${where}: not an EditError: ${String(e)}`, { cause: e });
          expect(history.document, where).toBe(before);
          expect(history.labels, where).toEqual(labels);
          refused.set(edit.kind, (refused.get(edit.kind) ?? 0) + 1);
          continue;
        }
        accepted.set(edit.kind, (accepted.get(edit.kind) ?? 0) + 1);
        const after = deepFreeze(history.document);
        // A new step, a step merged with a drag in progress, or a drag back to where it started.
        const grew = history.labels.length - labels.length;
        if (grew === 1) versions.push(after);
        else if (grew === 0) versions[versions.length - 1] = after;
        else if (grew === -1) {
          versions.pop();
          expect(after, where).toBe(versions.at(-1));
        } else throw new Error(`${where}: the undo stack changed by ${grew}`);
        expect(orderProblems(after), where).toEqual([]);
        expect(() => SceneDocument.parse(after), where).not.toThrow();
        expect(() => validateSceneDocument(after, where)).not.toThrow();
        expect(new Set(after.joints.map((j) => j.path)).size, where).toBe(after.joints.length);
        expect(new Set(after.physicsMaterials.map((m) => m.path)).size, where).toBe(after.physicsMaterials.length);
      }
      const final = history.document;
      expect(history.labels).toHaveLength(versions.length - 1);
      for (let i = versions.length - 2; i >= 0; i--) expect(history.undo(), `${name}, seed ${seed}: undo to ${i}`).toBe(versions[i]);
      expect(history.canUndo).toBe(false);
      expect(history.document).toEqual(pristine[seed % sources.length]);
      for (let i = 1; i < versions.length; i++) expect(history.redo(), `${name}, seed ${seed}: redo to ${i}`).toBe(versions[i]);
      expect(history.canRedo).toBe(false);
      expect(history.document).toBe(final);
    }
    sources.forEach(([, doc], i) => expect(doc).toStrictEqual(pristine[i]));
    // Every kind of edit was both exercised and accepted at least a few times.
    for (const kind of EDIT_KINDS) expect(accepted.get(kind) ?? 0, `${kind} accepted`).toBeGreaterThan(3);
    expect([...refused.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
  });

  it('every tabletop prim moved to the root stays where it was in the world', () => {
    // keepWorldTransform checked on a real scene: its root carries the stage's unit and up-axis conversion.
    const doc = sources[0]![1];
    const worlds = worldMatrices(doc);
    for (const p of doc.prims) {
      const name = p.path.slice(p.path.lastIndexOf('/'));
      if (parentPath(p.path) === null || doc.prims.some((o) => o.path === name)) continue;
      const moved = reparentPrim(doc, p.path, null);
      const matrix = transformToMatrix(primOf(moved, name).transform, new Matrix4());
      matrix.elements.forEach((e, k) => expect(e, `${p.path}[${k}]`).toBeCloseTo(worlds.get(p.path)!.elements[k]!, 9));
    }
  });
});

const tabletopDocument = (await loadSceneFile(readFileSync('scenes/tabletop.usda'), 'tabletop.usda')).document;
const pendulumDocument = (await loadSceneFile(readFileSync('scenes/pendulum.usda'), 'pendulum.usda')).document;

describe('inserting another scene (an imported asset)', () => {
  const base = tabletopDocument;
  const asset = pendulumDocument;

  it('puts the asset under a new prim, keeping its own paths below it, with joints and materials re-pathed', () => {
    const at = { position: [0.5, 0, 0] as [number, number, number], orientation: [0, 0, 0, 1] as [number, number, number, number], scale: [1, 1, 1] as [number, number, number] };
    const doc = insertScene(base, '/World', 'Pendulum', asset, at);
    expect(doc.prims.find((p) => p.path === '/World/Pendulum')).toMatchObject({ type: 'Xform', transform: at });
    for (const p of asset.prims) expect(doc.prims.some((q) => q.path === `/World/Pendulum${p.path}`)).toBe(true);
    expect(doc.joints).toHaveLength(base.joints.length + asset.joints.length);
    for (const j of asset.joints) {
      const moved = doc.joints.find((k) => k.path === `/World/Pendulum${j.path}`)!;
      expect(moved.body0).toBe(j.body0 === null ? null : `/World/Pendulum${j.body0}`);
      expect(moved.body1).toBe(j.body1 === null ? null : `/World/Pendulum${j.body1}`);
    }
    expect(doc.gravity).toEqual(base.gravity);
    // A valid document, parents before children, and the original untouched.
    expect(() => SceneDocument.parse(doc)).not.toThrow();
    expect(() => validateSceneDocument(doc, 'x')).not.toThrow();
    const seen = new Set<string>();
    for (const p of doc.prims) {
      const parent = p.path.slice(0, p.path.lastIndexOf('/'));
      if (parent) expect(seen.has(parent)).toBe(true);
      seen.add(p.path);
    }
    expect(base.prims.some((p) => p.path.startsWith('/World/Pendulum'))).toBe(false);
  });

  it('refuses a name in use and leaves the scene as it was', () => {
    expect(() => insertScene(base, '/World', 'Table', asset)).toThrow(EditError);
    expect(() => insertScene(base, '/Nowhere', 'P', asset)).toThrow(/\/Nowhere: no prim has this path/);
  });
});

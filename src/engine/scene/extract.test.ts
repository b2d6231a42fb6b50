import { readFileSync } from 'node:fs';
import { Matrix4, Vector3 } from 'three';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { PhysicsWorld } from '../physics/world.ts';
import { ROBOT_PHYSICS, RobotArm } from '../robot/arm.ts';
import { robotFromScene } from '../robot/model.ts';
import { deepFreeze, emptyDocument, jointWith } from '../testing/documents.ts';
import { exportUsda } from '../usd/export.ts';
import { importUsd } from '../usd/import.ts';
import { validateSceneDocument } from './document.ts';
import { addPrim, insertScene } from './edit.ts';
import { extractSubtree } from './extract.ts';
import { transformToMatrix, worldMatrices } from './hierarchy.ts';
import type { SceneDocument } from './schema.ts';

const FILE = 'scenes/panda_tabletop.usda';
const tabletop = deepFreeze((await loadSceneFile(readFileSync(FILE), FILE)).document);

const worlds: PhysicsWorld[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.free();
});

/** The tool point after `steps` control steps of moving +x and down, gripper closing. */
async function driveArm(doc: SceneDocument, steps: number): Promise<Vector3> {
  const world = await PhysicsWorld.create(doc, ROBOT_PHYSICS);
  worlds.push(world);
  const arm = new RobotArm(world, robotFromScene(doc), { controlHz: 20 });
  for (let i = 0; i < steps; i++) arm.step({ kind: 'ee_delta', dp: [0.004, -0.003, 0.002], drot: [0, 0, 0.02] }, 'close');
  return arm.measuredEe().position;
}

describe('extractSubtree', () => {
  it('takes the Panda off its table with the materials, collision group and joints it uses', () => {
    const panda = validateSceneDocument(extractSubtree(tabletop, '/World/Panda'), 'panda');
    const under = tabletop.prims.filter((p) => p.path === '/World/Panda' || p.path.startsWith('/World/Panda/'));
    const paths = panda.prims.map((p) => p.path);
    expect(paths.slice(0, under.length)).toEqual(under.map((p) => p.path.replace('/World/Panda', '/Panda')));
    // The finger pads' material (and its Looks scope) and the self-collision group come along; the table's wood does not.
    const bound = new Set(under.flatMap((p) => (p.collider?.physicsMaterial ? [p.collider.physicsMaterial] : [])));
    expect(paths.slice(under.length).sort()).toEqual(['/Panda/Looks', ...[...bound].map((m) => m.replace('/World', '/Panda')), '/Panda/RobotSelfCollision'].sort());
    expect(panda.physicsMaterials.map((m) => m.path).sort()).toEqual([...bound].map((m) => m.replace('/World', '/Panda')).sort());
    expect(paths).not.toContain('/Panda/Looks/Wood');
    expect(panda.collisionGroups).toEqual([{ path: '/Panda/RobotSelfCollision', members: ['/Panda'], filteredGroups: ['/Panda/RobotSelfCollision'], invertFilteredGroups: false }]);
    expect(panda.joints.map((j) => j.path)).toEqual(tabletop.joints.map((j) => j.path.replace('/World/Panda', '/Panda')));
    expect(panda.joints.every((j) => [j.body0, j.body1].every((b) => b === null || b.startsWith('/Panda/')))).toBe(true);
  });

  it('keeps the root where it was in the world', () => {
    const table = extractSubtree(tabletop, '/World/Table');
    const before = worldMatrices(tabletop);
    const after = worldMatrices(table);
    for (const p of tabletop.prims.filter((q) => q.path.startsWith('/World/Table'))) {
      expect(after.get(p.path.replace('/World/Table', '/Table'))!.equals(before.get(p.path)!)).toBe(true);
    }
    // A root under a moved parent takes the parent's transform into its own.
    const moved = addPrim(addPrim(emptyDocument(), null, 'Shelf', { transform: { position: [1, 2, 3], orientation: [0, 0, 0.6, 0.8], scale: [1, 1, 1] } }), '/Shelf', 'Box', { transform: { position: [0.5, 0, 0], orientation: [0, 0, 0, 1], scale: [1, 1, 1] } });
    const box = extractSubtree(moved, '/Shelf/Box').prims[0]!;
    expect(approxEqual(transformToMatrix(box.transform), worldMatrices(moved).get('/Shelf/Box')!)).toBe(true);
    expect(box.transform.position[0]).not.toBe(0.5);
  });

  it('the robot alone moves as it does on its table (it never touches the table)', async () => {
    const alone = await driveArm(extractSubtree(tabletop, '/World/Panda'), 40);
    const onTable = await driveArm(tabletop, 40);
    expect(alone.distanceTo(onTable)).toBeLessThan(1e-4);
    // And it moved: 40 steps of 4 mm in x.
    const home = await driveArm(tabletop, 0);
    expect(onTable.x - home.x).toBeGreaterThan(0.1);
  });

  it('round-trips through USDA, and goes into another scene as an asset', () => {
    const panda = extractSubtree(tabletop, '/World/Panda');
    const back = importUsd(exportUsda(panda), 'panda.usda');
    expect(back.warnings).toEqual([]);
    // A file of its own states its gravity: the exporter adds a PhysicsScene.
    expect(back.document.prims.map((p) => p.path)).toEqual([...panda.prims.map((p) => p.path), '/PhysicsScene']);
    expect(back.document.joints.length).toBe(panda.joints.length);
    const scene = insertScene(emptyDocument(), null, 'Robot', panda);
    validateSceneDocument(scene, 'scene');
    expect(robotFromScene(scene).armJoints.length).toBe(7);
  });

  it('cuts collision group members and joints down to the subtree', () => {
    const body = tabletop.prims.find((p) => p.path === '/World/Objects/RedCube')!.body!;
    let doc = addPrim(emptyDocument(), null, 'World');
    for (const name of ['A', 'B']) doc = addPrim(doc, '/World', name, { body });
    doc = addPrim(doc, '/World/A', 'Child', { body });
    doc = addPrim(doc, '/World', 'Group', {});
    doc = {
      ...doc,
      prims: doc.prims.map((p) => (p.path === '/World/Group' ? { ...p, type: 'PhysicsCollisionGroup' } : p)),
      collisionGroups: [{ path: '/World/Group', members: ['/World', '/World/B'], filteredGroups: [], invertFilteredGroups: false }],
      // A joint outside the subtree stays behind even when it joins bodies inside.
      joints: [
        jointWith('/World/A/hinge', { body0: '/World/A', body1: '/World/B' }),
        jointWith('/World/A/inner', { body0: '/World/A', body1: '/World/A/Child' }),
        jointWith('/World/B/far', { body0: '/World/B', body1: null }),
        jointWith('/World/B/between', { body0: '/World/A', body1: '/World/A/Child' }),
      ],
      filteredPairs: [['/World/A', '/World/A/Child'], ['/World/A', '/World/B']],
    };
    const a = extractSubtree(validateSceneDocument(doc, 'doc'), '/World/A');
    expect(a.collisionGroups).toEqual([{ path: '/A/Group', members: ['/A'], filteredGroups: [], invertFilteredGroups: false }]);
    expect(a.joints.map((j) => [j.path, j.body0, j.body1])).toEqual([
      ['/A/hinge', '/A', null],
      ['/A/inner', '/A', '/A/Child'],
    ]);
    expect(a.filteredPairs).toEqual([['/A', '/A/Child']]);
    validateSceneDocument(a, 'a');
  });

  it('names a missing root', () => {
    expect(() => extractSubtree(tabletop, '/World/Nope')).toThrow('/World/Nope: no prim has this path');
  });
});

function approxEqual(a: Matrix4, b: Matrix4): boolean {
  return a.elements.every((v, i) => Math.abs(v - b.elements[i]!) < 1e-12);
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../../engine/load.ts';
import { buildPrimTree, filterPrimTree, primIcon, visibleOrder, type PrimNode } from './primTree.ts';

const tabletop = (await loadSceneFile(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda')).document;

const find = (nodes: PrimNode[], path: string): PrimNode | undefined => {
  for (const node of nodes) {
    if (node.path === path) return node;
    const inside = find(node.children, path);
    if (inside) return inside;
  }
  return undefined;
};

describe('prim tree', () => {
  it('nests the tabletop prims by path under one root', () => {
    const roots = buildPrimTree(tabletop.prims);
    expect(roots.map((r) => r.path)).toEqual(['/World']);
    expect(find(roots, '/World/Table')!.children.map((c) => c.name)).toEqual(['Top', 'LegFL', 'LegFR', 'LegBL', 'LegBR']);
    expect(find(roots, '/World/Objects')!.children).toHaveLength(6);
  });

  it('shows type, body type and class label where the prim has them', () => {
    const roots = buildPrimTree(tabletop.prims);
    expect(find(roots, '/World/Table')).toMatchObject({ name: 'Table', type: 'Xform', body: 'static', classLabel: 'table' });
    expect(find(roots, '/World/Objects/BlueBall')).toMatchObject({ type: 'Sphere', body: 'dynamic', classLabel: 'ball' });
    expect(find(roots, '/World/Table/Top')).toMatchObject({ type: 'Cube', body: null, classLabel: null });
  });

  it('keeps prims whose parent is missing, as roots', () => {
    const [prim] = tabletop.prims.filter((p) => p.path === '/World/Objects/RedCube');
    expect(buildPrimTree([prim!]).map((n) => n.path)).toEqual(['/World/Objects/RedCube']);
  });

  it('lists joints as leaves under the prim their path is in, typed as USD names them', async () => {
    const panda = (await loadSceneFile(readFileSync(new URL('../../../scenes/panda_tabletop.usda', import.meta.url)), 'panda_tabletop.usda')).document;
    const roots = buildPrimTree(panda.prims, panda.joints);
    const joint = panda.joints.find((j) => j.type === 'revolute')!;
    const node = find(roots, joint.path)!;
    expect(node).toMatchObject({ kind: 'joint', type: 'PhysicsRevoluteJoint', children: [] });
    expect(primIcon(node)).toBe('⚭');
    expect(new Set(visibleOrder(roots)).size).toBe(new Set([...panda.prims, ...panda.joints].map((p) => p.path)).size);
  });

  it('filters by name, type or class label, keeping the ancestors of every match', () => {
    const roots = buildPrimTree(tabletop.prims);
    const balls = filterPrimTree(roots, 'BALL');
    expect(visibleOrder(balls)).toEqual(['/World', '/World/Objects', '/World/Objects/BlueBall']);
    const spheres = visibleOrder(filterPrimTree(roots, 'sphere'));
    expect(spheres).toContain('/World/Objects/BlueBall');
    expect(visibleOrder(filterPrimTree(roots, 'table'))).toEqual(['/World', '/World/Table']);
    expect(filterPrimTree(roots, 'no such thing')).toEqual([]);
    expect(filterPrimTree(roots, '  ')).toEqual(roots);
  });
});

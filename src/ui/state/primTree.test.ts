import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSceneFile } from '../../engine/load.ts';
import { buildPrimTree, type PrimNode } from './primTree.ts';

const tabletop = loadSceneFile(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda').document;

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
});

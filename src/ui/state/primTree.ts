/**
 * The prim tree shown in the left panel: prims nested by path, each with what a person looks for
 * first (type, body type, class label). Pure; built once per loaded scene.
 */
import { parentPath, primName } from '../../engine/scene/hierarchy.ts';
import type { BodyType, Prim } from '../../engine/scene/schema.ts';

export interface PrimNode {
  path: string;
  name: string;
  /** USD type name ("Xform", "Cube", ...); "" for typeless prims. */
  type: string;
  body: BodyType | null;
  /** The prim's own first "class" label. */
  classLabel: string | null;
  children: PrimNode[];
}

/** Roots of the prim forest. Prims must be in parent-before-child order; orphans become roots. */
export function buildPrimTree(prims: readonly Prim[]): PrimNode[] {
  const roots: PrimNode[] = [];
  const nodes = new Map<string, PrimNode>();
  for (const prim of prims) {
    const node: PrimNode = {
      path: prim.path,
      name: primName(prim.path),
      type: prim.type,
      body: prim.body?.type ?? null,
      classLabel: prim.labels['class']?.[0] ?? null,
      children: [],
    };
    nodes.set(prim.path, node);
    const parent = parentPath(prim.path);
    const parentNode = parent ? nodes.get(parent) : undefined;
    (parentNode ? parentNode.children : roots).push(node);
  }
  return roots;
}

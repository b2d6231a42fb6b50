/**
 * The prim tree shown in the left panel: prims nested by path, each with what a person looks for
 * first (type, body type, class label). Pure; built once per loaded scene.
 */
import { parentPath, primName } from '../../engine/scene/hierarchy.ts';
import type { AssetReference, BodyType, Joint, Prim } from '../../engine/scene/schema.ts';
import { JOINT_TYPES } from '../../engine/usd/typeNames.ts';

export interface PrimNode {
  /** Prims are edited in place; joints (listed under the prim their path is in) are inspected. */
  kind: 'prim' | 'joint';
  path: string;
  name: string;
  /** USD type name ("Xform", "Cube", ...); "" for typeless prims. */
  type: string;
  body: BodyType | null;
  /** The prim's own first "class" label. */
  classLabel: string | null;
  /** As authored (a hidden parent hides its children too). */
  visible: boolean;
  /** The asset layers the prim references (SceneDocument.references), by path. */
  references: string[];
  children: PrimNode[];
}

/**
 * Roots of the prim forest. Prims must be in parent-before-child order; orphans become roots.
 * Joints, when given, are marked as such (USD joints are prims, which the importer keeps); one
 * with no prim of its own becomes a leaf under the prim its path is in.
 */
export function buildPrimTree(prims: readonly Prim[], joints: readonly Joint[] = [], references: readonly AssetReference[] = []): PrimNode[] {
  const roots: PrimNode[] = [];
  const nodes = new Map<string, PrimNode>();
  const place = (node: PrimNode) => {
    const parent = parentPath(node.path);
    const parentNode = parent ? nodes.get(parent) : undefined;
    (parentNode ? parentNode.children : roots).push(node);
  };
  const jointPaths = new Set(joints.map((j) => j.path));
  for (const prim of prims) {
    const node: PrimNode = {
      kind: jointPaths.has(prim.path) ? 'joint' : 'prim',
      path: prim.path,
      name: primName(prim.path),
      type: prim.type,
      body: prim.body?.type ?? null,
      classLabel: prim.labels['class']?.[0] ?? null,
      visible: prim.visible,
      references: references.filter((r) => r.prim === prim.path).map((r) => r.asset),
      children: [],
    };
    nodes.set(prim.path, node);
    place(node);
  }
  for (const joint of joints) {
    if (nodes.has(joint.path)) continue; // the importer keeps joint prims as prims too
    place({ kind: 'joint', path: joint.path, name: primName(joint.path), type: JOINT_TYPES[joint.type], body: null, classLabel: null, visible: true, references: [], children: [] });
  }
  return roots;
}

/**
 * The tree cut down to the nodes whose name, type or class label contains `text` (any case), with
 * their ancestors kept so each match shows where it is. Empty text keeps everything.
 */
export function filterPrimTree(roots: readonly PrimNode[], text: string): PrimNode[] {
  const needle = text.trim().toLowerCase();
  if (!needle) return [...roots];
  const matches = (n: PrimNode) => [n.name, n.type, n.classLabel ?? ''].some((s) => s.toLowerCase().includes(needle));
  const walk = (nodes: readonly PrimNode[]): PrimNode[] =>
    nodes.flatMap((n) => {
      const children = walk(n.children);
      return matches(n) || children.length ? [{ ...n, children }] : [];
    });
  return walk(roots);
}

/** Paths in the order the tree shows them (depth first), for shift-click ranges and arrow keys. */
export function visibleOrder(roots: readonly PrimNode[]): string[] {
  const out: string[] = [];
  const walk = (nodes: readonly PrimNode[]) => {
    for (const n of nodes) {
      out.push(n.path);
      walk(n.children);
    }
  };
  walk(roots);
  return out;
}

/** A glyph for the prim's type in the outliner (decorative: the type is also written out). */
export function primIcon(node: Pick<PrimNode, 'kind' | 'type'>): string {
  if (node.kind === 'joint') return '⚭';
  switch (node.type) {
    case 'Cube':
      return '▣';
    case 'Sphere':
      return '●';
    case 'Cylinder':
    case 'Capsule':
      return '▮';
    case 'Cone':
      return '▲';
    case 'Plane':
      return '▭';
    case 'Mesh':
      return '◈';
    case 'Camera':
      return '◉';
    case 'Material':
    case 'Shader':
      return '◐';
    case 'Xform':
    case 'Scope':
    case '':
      return '◇';
    default:
      return /Light$/.test(node.type) ? '☀' : '◆';
  }
}

/** The prim tree: every prim of the loaded scene nested by path, with type, body type and class label. */
import { memo, useMemo, useState } from 'react';
import { buildPrimTree, type PrimNode } from '../state/primTree.ts';
import { useStudio } from '../state/store.ts';

const PrimRow = memo(function PrimRow({ node, depth }: { node: PrimNode; depth: number }) {
  const [open, setOpen] = useState(true);
  const hasChildren = node.children.length > 0;
  return (
    <li role="treeitem" aria-expanded={hasChildren ? open : undefined}>
      <div className="prim-row" data-testid="prim-row" data-path={node.path} title={node.path} style={{ paddingLeft: `${depth * 14 + 4}px` }}>
        <button type="button" className="twisty" aria-label={open ? 'Collapse' : 'Expand'} disabled={!hasChildren} onClick={() => setOpen(!open)}>
          {hasChildren ? (open ? '▾' : '▸') : ''}
        </button>
        <span className="prim-name">{node.name}</span>
        {node.type && <span className="badge badge-type" data-testid="prim-type">{node.type}</span>}
        {node.body && (
          <span className={`badge badge-body badge-${node.body}`} data-testid="prim-body">
            {node.body}
          </span>
        )}
        {node.classLabel && (
          <span className="badge badge-label" data-testid="prim-label" title="class label">
            {node.classLabel}
          </span>
        )}
      </div>
      {hasChildren && open && (
        <ul role="group">
          {node.children.map((child) => (
            <PrimRow key={child.path} node={child} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
});

export function PrimTree() {
  const prims = useStudio((s) => s.scene?.document.prims);
  const roots = useMemo(() => (prims ? buildPrimTree(prims) : []), [prims]);
  return (
    <nav className="prim-tree" data-testid="prim-tree" aria-label="Prims">
      <h2 className="panel-title">Prims</h2>
      {roots.length === 0 ? (
        <p className="panel-empty">No scene loaded</p>
      ) : (
        <ul role="tree">
          {roots.map((node) => (
            <PrimRow key={node.path} node={node} depth={0} />
          ))}
        </ul>
      )}
    </nav>
  );
}

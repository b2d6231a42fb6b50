/**
 * The outliner: every prim of the scene being designed, nested by path, with its type (icon and
 * name), body type and class label. Click selects (Ctrl/⌘-click toggles, Shift-click adds);
 * double-click or F2 renames; dragging a row onto another moves it there (onto the list's root
 * line: to the top level), keeping where it is in the world; the eye button hides and shows;
 * the search box filters by name, type or label.
 */
import { memo, useMemo, useState, type DragEvent, type KeyboardEvent, type MouseEvent } from 'react';
import { buildPrimTree, filterPrimTree, primIcon, type PrimNode } from '../state/primTree.ts';
import { useDesigner, useDesignerActions } from '../designer/store.ts';

const DRAG_TYPE = 'application/x-simloop-prim';

function RenameField({ node, onDone }: { node: PrimNode; onDone: () => void }) {
  const designer = useDesignerActions();
  const [text, setText] = useState(node.name);
  const [error, setError] = useState<string | null>(null);
  const commit = () => {
    if (text === node.name) return onDone();
    const reason = designer.rename(node.path, text.trim());
    if (reason) setError(reason);
    else onDone();
  };
  const key = (e: KeyboardEvent<HTMLInputElement>) => {
    e.stopPropagation();
    if (e.key === 'Enter') commit();
    if (e.key === 'Escape') onDone();
  };
  return (
    <span className="rename">
      <input
        aria-label={`New name for ${node.name}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `rename-error-${node.path}` : undefined}
        value={text}
        autoFocus
        onChange={(e) => setText(e.target.value)}
        onKeyDown={key}
        onBlur={commit}
      />
      {error && (
        <span className="field-error" role="alert" id={`rename-error-${node.path}`}>
          {error}
        </span>
      )}
    </span>
  );
}

const PrimRow = memo(function PrimRow({ node, depth, selected, renaming, setRenaming }: { node: PrimNode; depth: number; selected: ReadonlySet<string>; renaming: string | null; setRenaming: (path: string | null) => void }) {
  const designer = useDesignerActions();
  const [open, setOpen] = useState(true);
  const [dropTarget, setDropTarget] = useState(false);
  const hasChildren = node.children.length > 0;
  const isSelected = selected.has(node.path);
  const editable = node.kind === 'prim';

  const click = (e: MouseEvent) => designer.select(node.path, e.ctrlKey || e.metaKey ? 'toggle' : e.shiftKey ? 'add' : 'replace');
  const dragStart = (e: DragEvent) => {
    e.dataTransfer.setData(DRAG_TYPE, node.path);
    e.dataTransfer.effectAllowed = 'move';
  };
  const accepts = (e: DragEvent) => editable && e.dataTransfer.types.includes(DRAG_TYPE);
  const drop = (e: DragEvent) => {
    setDropTarget(false);
    const path = e.dataTransfer.getData(DRAG_TYPE);
    if (!path || !accepts(e)) return;
    e.preventDefault();
    e.stopPropagation();
    if (path !== node.path) designer.reparent(path, node.path);
  };

  return (
    <li role="treeitem" aria-expanded={hasChildren ? open : undefined} aria-selected={isSelected} aria-label={node.name}>
      <div
        className={`prim-row${isSelected ? ' selected' : ''}${dropTarget ? ' drop-target' : ''}${node.visible ? '' : ' hidden-prim'}`}
        data-testid={node.kind === 'joint' ? 'joint-row' : 'prim-row'}
        data-path={node.path}
        title={node.path}
        style={{ paddingLeft: `${depth * 14 + 4}px` }}
        draggable={editable && renaming !== node.path}
        onClick={click}
        onDoubleClick={() => editable && setRenaming(node.path)}
        onDragStart={dragStart}
        onDragOver={(e) => {
          if (!accepts(e)) return;
          e.preventDefault();
          setDropTarget(true);
        }}
        onDragLeave={() => setDropTarget(false)}
        onDrop={drop}
      >
        <button type="button" className="twisty" aria-label={open ? `Collapse ${node.name}` : `Expand ${node.name}`} disabled={!hasChildren} onClick={(e) => (e.stopPropagation(), setOpen(!open))}>
          {hasChildren ? (open ? '▾' : '▸') : ''}
        </button>
        <span className="prim-icon" aria-hidden="true">
          {primIcon(node)}
        </span>
        {renaming === node.path ? <RenameField node={node} onDone={() => setRenaming(null)} /> : <span className="prim-name">{node.name}</span>}
        {node.type && <span className="badge badge-type" data-testid="prim-type">{node.type}</span>}
        {node.body && (
          <span className={`badge badge-body badge-${node.body}`} data-testid="prim-body">
            {node.body}
          </span>
        )}
        {node.references.map((asset) => (
          <span key={asset} className="badge badge-reference" data-testid="prim-reference" title={`references the asset layer ${asset}`}>
            ↗ {asset.split('/').at(-1)}
          </span>
        ))}
        {node.classLabel && (
          <span className="badge badge-label" data-testid="prim-label" title="class label">
            {node.classLabel}
          </span>
        )}
        {editable && (
          <button
            type="button"
            className="eye"
            aria-label={`${node.visible ? 'Hide' : 'Show'} ${node.name}`}
            aria-pressed={!node.visible}
            onClick={(e) => (e.stopPropagation(), designer.toggleVisible(node.path))}
          >
            {node.visible ? '◉' : '○'}
          </button>
        )}
      </div>
      {hasChildren && open && (
        <ul role="group">
          {node.children.map((child) => (
            <PrimRow key={child.path} node={child} depth={depth + 1} selected={selected} renaming={renaming} setRenaming={setRenaming} />
          ))}
        </ul>
      )}
    </li>
  );
});

export function PrimTree() {
  const designer = useDesignerActions();
  const document = useDesigner((s) => s.document);
  const selection = useDesigner((s) => s.selection);
  const search = useDesigner((s) => s.search);
  const [renaming, setRenaming] = useState<string | null>(null);
  const roots = useMemo(() => (document ? buildPrimTree(document.prims, document.joints, document.references) : []), [document]);
  const shown = useMemo(() => filterPrimTree(roots, search), [roots, search]);
  const selected = useMemo(() => new Set(selection), [selection]);

  const key = (e: KeyboardEvent) => {
    const active = selection[selection.length - 1];
    if (e.key === 'F2' && active && renaming === null) {
      e.preventDefault();
      setRenaming(active);
    }
  };
  const dropOnRoot = (e: DragEvent) => {
    const path = e.dataTransfer.getData(DRAG_TYPE);
    if (!path) return;
    e.preventDefault();
    designer.reparent(path, null);
  };

  return (
    <nav className="prim-tree" data-testid="prim-tree" aria-label="Outliner" onKeyDown={key}>
      <h2 className="panel-title">Outliner</h2>
      {document && (
        <input className="outliner-search" type="search" aria-label="Search prims" placeholder="Search name, type, label" value={search} onChange={(e) => designer.setSearch(e.target.value)} />
      )}
      {roots.length === 0 ? (
        <p className="panel-empty">No scene loaded</p>
      ) : (
        <>
          <ul role="tree" aria-multiselectable="true" aria-label="Prims">
            {shown.map((node) => (
              <PrimRow key={node.path} node={node} depth={0} selected={selected} renaming={renaming} setRenaming={setRenaming} />
            ))}
          </ul>
          {shown.length === 0 && <p className="panel-empty">Nothing matches “{search}”</p>}
          <div
            className="root-drop"
            data-testid="root-drop"
            onDragOver={(e) => e.dataTransfer.types.includes(DRAG_TYPE) && e.preventDefault()}
            onDrop={dropOnRoot}
          >
            Drop here to move to the top level
          </div>
        </>
      )}
    </nav>
  );
}

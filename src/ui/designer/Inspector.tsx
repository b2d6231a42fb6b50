/**
 * The scene designer's inspector: the fields of the active selection (the last selected path) —
 * a prim's (PrimInspector.tsx) or a joint's (JointInspector.tsx), laid out with the fields of
 * inspectorFields.tsx.
 */
import { primName } from '../../engine/scene/hierarchy.ts';
import { inspectorTarget } from './inspectorModel.ts';
import { useDesigner } from './store.ts';
import { PrimInspector } from './PrimInspector.tsx';
import { JointInspector } from './JointInspector.tsx';

export function Inspector() {
  const document = useDesigner((s) => s.document);
  const selection = useDesigner((s) => s.selection);
  const target = inspectorTarget(document, selection);
  const path = target.kind === 'prim' ? target.prim.path : target.kind === 'joint' ? target.joint.path : null;
  return (
    <section className="inspector" aria-label="Inspector" data-testid="inspector">
      <h2 className="panel-title">Inspector</h2>
      {target.kind === 'none' || !document || path === null ? (
        <p className="panel-empty">Select a prim to inspect it</p>
      ) : (
        <div className="inspector-body">
          {target.count > 1 && (
            <p className="inspector-dim" data-testid="inspector-multi">
              {target.count} prims selected — showing {primName(path)}
            </p>
          )}
          {target.kind === 'prim' ? <PrimInspector key={path} doc={document} prim={target.prim} /> : <JointInspector key={path} doc={document} joint={target.joint} />}
        </div>
      )}
    </section>
  );
}

/**
 * The designer's controls outside the outliner and inspector: the edit bar (undo/redo, gizmo mode,
 * space and snapping, frame, save and export, help), the asset panel (primitives to add), the
 * delete confirmation, the shortcut overlay, and the keyboard shortcuts themselves.
 */
import { type ChangeEvent, useEffect, useMemo, useRef } from 'react';
import { describeError } from '../../engine/errors.ts';
import { ASSET_FILE_EXTENSIONS } from '../../engine/load.ts';
import { BUNDLED_ASSETS, type BundledAsset } from '../examples.ts';
import { useStudioActions } from '../state/store.ts';
import type { GizmoMode } from './designer.ts';
import { PRIMITIVE_KINDS, primitiveStem } from './primitives.ts';
import { SHORTCUTS, shortcutFor } from './shortcuts.ts';
import { useDesigner, useDesignerActions, useDesignerStore } from './store.ts';

/** Offers `data` as a file download named `name`. */
function download(name: string, data: string | Uint8Array, type: string): void {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function useDesignerFiles() {
  const designer = useDesignerActions();
  const studio = useStudioActions();
  return useMemo(() => {
    /** Downloads the file `make` gives; what goes wrong is one message naming the action. */
    const offer = (action: string, type: string, make: () => { name: string; data: string | Uint8Array }) => () => {
      try {
        const { name, data } = make();
        download(name, data, type);
      } catch (e) {
        studio.reportError(`${action}: ${describeError(e)}`);
      }
    };
    return {
      saveProject: offer('Save project', 'application/json', () => {
        const { name, text } = designer.projectFile();
        return { name, data: text };
      }),
      exportUsda: offer('Export USDA', 'model/vnd.usda', () => {
        const { name, text } = designer.usdaFile();
        return { name, data: text };
      }),
      exportUsdz: offer('Export USDZ', 'model/vnd.usdz+zip', () => {
        const { name, bytes } = designer.usdzFile();
        return { name, data: bytes };
      }),
    };
  }, [designer, studio]);
}

const MODES: { mode: GizmoMode; label: string; key: string }[] = [
  { mode: 'translate', label: 'Move', key: 'W' },
  { mode: 'rotate', label: 'Rotate', key: 'E' },
  { mode: 'scale', label: 'Scale', key: 'R' },
];

/** A snapping step: a positive number (anything else typed is ignored). */
function StepInput({ label, unit, min, step, value, onChange }: { label: string; unit: string; min: number; step: number; value: number; onChange: (value: number) => void }) {
  return (
    <label className="inline-number" title={label}>
      <input type="number" aria-label={label} min={min} step={step} value={value} onChange={(e) => Number(e.target.value) > 0 && onChange(Number(e.target.value))} />
      {unit}
    </label>
  );
}

export function DesignerBar() {
  const designer = useDesignerActions();
  const files = useDesignerFiles();
  const hasScene = useDesigner((s) => s.document !== null);
  const canUndo = useDesigner((s) => s.canUndo);
  const canRedo = useDesigner((s) => s.canRedo);
  const undoLabel = useDesigner((s) => s.undoLabel);
  const redoLabel = useDesigner((s) => s.redoLabel);
  const gizmo = useDesigner((s) => s.gizmo);
  const autosavedAt = useDesigner((s) => s.autosavedAt);
  const lookThrough = useDesigner((s) => s.lookThrough);
  const document = useDesigner((s) => s.document);
  const cameras = useMemo(() => (document ? document.prims.filter((p) => p.camera).map((p) => p.path) : []), [document]);
  return (
    <div className="designer-bar" role="toolbar" aria-label="Scene designer">
      <button type="button" aria-label="New scene" title="Start a new scene: a ground, a light and a camera" onClick={() => void designer.newScene()}>
        New
      </button>
      <button type="button" aria-label="Undo" title={undoLabel ? `Undo: ${undoLabel} (Ctrl+Z)` : 'Nothing to undo'} disabled={!canUndo} onClick={() => designer.undo()}>
        ↶
      </button>
      <button type="button" aria-label="Redo" title={redoLabel ? `Redo: ${redoLabel} (Ctrl+Shift+Z)` : 'Nothing to redo'} disabled={!canRedo} onClick={() => designer.redo()}>
        ↷
      </button>
      <span className="toolbar-separator" />
      {MODES.map(({ mode, label, key }) => (
        <button key={mode} type="button" aria-label={`${label} gizmo`} title={`${label} (${key})`} aria-pressed={gizmo.mode === mode} onClick={() => designer.setGizmo({ mode })}>
          {label}
        </button>
      ))}
      <button type="button" aria-label="Gizmo space" title="World or local axes (Q)" onClick={() => designer.setGizmo({ space: gizmo.space === 'world' ? 'local' : 'world' })}>
        {gizmo.space === 'world' ? 'World' : 'Local'}
      </button>
      <label className="inline-check" title="Snap to the grid and angle steps while dragging (X)">
        <input type="checkbox" aria-label="Snap" checked={gizmo.snap} onChange={(e) => designer.setGizmo({ snap: e.target.checked })} />
        Snap
      </label>
      <StepInput label="Grid step (m)" unit="m" min={0.001} step={0.01} value={gizmo.grid} onChange={(grid) => designer.setGizmo({ grid })} />
      <StepInput label="Angle step (degrees)" unit="°" min={1} step={5} value={gizmo.angle} onChange={(angle) => designer.setGizmo({ angle })} />
      <button type="button" aria-label="Frame selection" title="Frame the selection (F)" disabled={!hasScene} onClick={() => designer.frameSelection()}>
        Frame
      </button>
      <select aria-label="Look through camera" title="See the scene through one of its cameras" value={lookThrough ?? ''} disabled={!hasScene} onChange={(e) => designer.lookThrough(e.target.value || null)}>
        <option value="">Free camera</option>
        {cameras.map((path) => (
          <option key={path} value={path}>
            {path}
          </option>
        ))}
      </select>
      <span className="toolbar-separator" />
      <button type="button" aria-label="Save project" title="Download the scene as a Simloop project file (Ctrl+S)" disabled={!hasScene} onClick={files.saveProject}>
        Save project
      </button>
      <button type="button" aria-label="Export USDA" title="Download the scene as one USDA layer, with UsdPhysics and semantics (referenced assets copied in)" disabled={!hasScene} onClick={files.exportUsda}>
        Export USDA
      </button>
      <button type="button" aria-label="Export USDZ" title="Download the scene as a USDZ package: the scene layer keeps its references to the asset layers packed with it" disabled={!hasScene} onClick={files.exportUsdz}>
        Export USDZ
      </button>
      <button type="button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => designer.setHelp(true)}>
        ?
      </button>
      {autosavedAt !== null && (
        <span className="autosaved" data-testid="autosaved" title="Your edits are kept in this browser and restored after a reload or crash">
          autosaved {new Date(autosavedAt).toLocaleTimeString()}
        </span>
      )}
    </div>
  );
}

/** Asset files the panel imports (the scene importers' formats and model files: the importers' table, engine/load.ts). */
const ASSET_EXTENSIONS = ASSET_FILE_EXTENSIONS;

/**
 * The asset panel: primitives, the bundled robot and objects (parts of the bundled scenes), the
 * bundled scenes whole, and files picked from disk, each added to the scene under its own prim.
 */
export function AssetPanel() {
  const designer = useDesignerActions();
  const studio = useStudioActions();
  const hasScene = useDesigner((s) => s.document !== null);
  const addBundled = async (asset: BundledAsset) => {
    const { url, fileName } = asset.scene;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      await designer.importAsset(new Uint8Array(await response.arrayBuffer()), fileName, asset.subtree);
    } catch (e) {
      studio.reportError(`Import: ${fileName} could not be fetched (${describeError(e)}); the scene is unchanged`);
    }
  };
  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(event.target.files ?? []);
    event.target.value = '';
    for (const file of files) await designer.importAsset(new Uint8Array(await file.arrayBuffer()), file.name);
  };
  return (
    <section className="asset-panel" aria-label="Assets">
      <h2 className="panel-title">Add</h2>
      <div className="asset-grid">
        {PRIMITIVE_KINDS.map((kind) => (
          <button key={kind} type="button" aria-label={`Add ${primitiveStem(kind)}`} disabled={!hasScene} onClick={() => designer.add(kind)}>
            {primitiveStem(kind)}
          </button>
        ))}
      </div>
      <div className="asset-row">
        <select
          aria-label="Add a bundled asset"
          value=""
          disabled={!hasScene}
          onChange={(e) => {
            const asset = BUNDLED_ASSETS.find((a) => a.label === e.target.value);
            if (asset) void addBundled(asset);
          }}
        >
          <option value="">Bundled asset…</option>
          {BUNDLED_ASSETS.map((a) => (
            <option key={a.label} value={a.label}>
              {a.label}
            </option>
          ))}
        </select>
        <label className={`button${hasScene ? '' : ' disabled'}`} title="Add a USD, URDF, Simloop scene or model (glTF/GLB, STL, OBJ, COLLADA) file to the scene, under a prim of its own">
          Import asset…
          <input type="file" multiple className="visually-hidden" aria-label="Import asset file" accept={ASSET_EXTENSIONS.join(',')} disabled={!hasScene} onChange={(e) => void pick(e)} />
        </label>
      </div>
    </section>
  );
}

export function DeleteDialog() {
  const designer = useDesignerActions();
  const pending = useDesigner((s) => s.confirmDelete);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), [pending]);
  if (!pending) return null;
  const what = pending.paths.length === 1 ? pending.paths[0] : `${pending.paths.length} prims`;
  return (
    <div className="modal-backdrop">
      <div className="modal" role="alertdialog" aria-modal="true" aria-labelledby="delete-title" aria-describedby="delete-text">
        <h2 id="delete-title">Delete {what}?</h2>
        <p id="delete-text">
          {pending.joints.length === 1 ? 'A joint uses' : `${pending.joints.length} joints use`} it: {pending.joints.join(', ')}. Remove the joints too, or detach them (their other body stays jointed to the world where it is)?
        </p>
        <div className="modal-actions">
          <button type="button" ref={first} onClick={() => designer.resolveDelete('remove-joints')}>
            Delete and remove joints
          </button>
          <button type="button" onClick={() => designer.resolveDelete('detach-joints')}>
            Delete and detach joints
          </button>
          <button type="button" onClick={() => designer.resolveDelete('cancel')}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}

export function HelpOverlay() {
  const designer = useDesignerActions();
  const open = useDesigner((s) => s.help);
  if (!open) return null;
  return (
    <div className="modal-backdrop" onClick={() => designer.setHelp(false)}>
      <div className="modal" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.action}>
                <th scope="row">
                  <kbd>{s.keys}</kbd>
                </th>
                <td>{s.does}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>In the outliner: double-click or F2 renames, drag a row onto another to move it there, Ctrl-click and Shift-click select several.</p>
        <div className="modal-actions">
          <button type="button" autoFocus onClick={() => designer.setHelp(false)}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

/** The designer's keyboard shortcuts on the window. */
export function useDesignerShortcuts(): void {
  const designer = useDesignerActions();
  const store = useDesignerStore();
  const files = useDesignerFiles();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = shortcutFor({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, shiftKey: e.shiftKey, altKey: e.altKey, target: e.target as HTMLElement | null });
      if (!action) return;
      const state = store.getState();
      if (state.confirmDelete) return; // the dialog has the keyboard
      if (state.help && action !== 'help' && action !== 'deselect') return;
      e.preventDefault();
      switch (action) {
        case 'undo':
          return designer.undo();
        case 'redo':
          return designer.redo();
        case 'delete':
          return designer.deleteSelection();
        case 'translate':
        case 'rotate':
        case 'scale':
          return designer.setGizmo({ mode: action });
        case 'toggleSpace':
          return designer.setGizmo({ space: state.gizmo.space === 'world' ? 'local' : 'world' });
        case 'toggleSnap':
          return designer.setGizmo({ snap: !state.gizmo.snap });
        case 'frame':
          return designer.frameSelection();
        case 'hide':
          for (const path of state.selection) designer.toggleVisible(path);
          return;
        case 'deselect':
          if (state.help) return designer.setHelp(false);
          return designer.select(null);
        case 'save':
          return files.saveProject();
        case 'help':
          return designer.setHelp(!state.help);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [designer, store, files]);
}

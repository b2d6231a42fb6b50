/** The toolbar: open an example or a file, and play / pause / step / reset the simulation. */
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { SCENE_FILE_EXTENSIONS } from '../../engine/load.ts';
import { MESH_ASSET_EXTENSIONS } from '../../engine/meshAsset.ts';
import { IMAGE_EXTENSIONS } from '../../engine/scene/image.ts';
import { EXAMPLE_SCENES } from '../examples.ts';
import type { PickedFile } from '../studio.ts';
import { useStudio, useStudioActions } from '../state/store.ts';

function ExampleMenu() {
  const studio = useStudioActions();
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (event: PointerEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !menu.current?.contains(event.target as Node)) setOpen(false);
    };
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', close);
    };
  }, [open]);

  return (
    <div className="menu" ref={menu}>
      <button type="button" data-testid="open-example" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Open example ▾
      </button>
      {open && (
        <ul className="menu-list" role="menu">
          {EXAMPLE_SCENES.length === 0 && <li className="menu-empty">No bundled scenes</li>}
          {EXAMPLE_SCENES.map((scene) => (
            <li key={scene.fileName} role="none">
              <button
                type="button"
                role="menuitem"
                data-testid="example-item"
                data-file={scene.fileName}
                onClick={() => {
                  setOpen(false);
                  void studio.openExample(scene);
                }}
              >
                {scene.fileName}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The files an <input type="file"> holds, with their paths inside a picked folder where there is one. */
export function pickedFiles(list: FileList | null): PickedFile[] {
  return Array.from(list ?? []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

function OpenFileButton() {
  const studio = useStudioActions();
  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const files = pickedFiles(event.target.files);
    event.target.value = ''; // so picking the same file again reloads it
    if (files.length > 0) void studio.openFiles(files);
  };
  return (
    <>
      <label className="button" title="Open a scene file: USD, a scene document, or a URDF (pick its mesh files with it)">
        Open file…
        <input type="file" multiple className="visually-hidden" data-testid="file-input" accept={[...SCENE_FILE_EXTENSIONS, ...MESH_ASSET_EXTENSIONS, ...IMAGE_EXTENSIONS].join(',')} onChange={onChange} />
      </label>
      <label className="button" title="Open a folder holding one scene file: a robot description package (URDF and meshes), say">
        Open folder…
        <input type="file" className="visually-hidden" data-testid="folder-input" ref={(el) => el?.setAttribute('webkitdirectory', '')} onChange={onChange} />
      </label>
    </>
  );
}

export function Toolbar() {
  const studio = useStudioActions();
  const hasScene = useStudio((s) => s.scene !== null);
  const playing = useStudio((s) => s.status.playing);
  const fileName = useStudio((s) => s.scene?.fileName ?? null);
  const loading = useStudio((s) => s.loading);

  return (
    <header className="toolbar" role="toolbar" aria-label="Studio">
      <span className="brand">Simloop</span>
      <ExampleMenu />
      <OpenFileButton />
      <span className="toolbar-separator" />
      <button type="button" data-testid="play" disabled={!hasScene || playing} onClick={() => void studio.play()}>
        ▶ Play
      </button>
      <button type="button" data-testid="pause" disabled={!hasScene || !playing} onClick={() => void studio.pause()}>
        ❚❚ Pause
      </button>
      <button type="button" data-testid="step" disabled={!hasScene} onClick={() => void studio.step()} title="Advance one physics step">
        Step
      </button>
      <button type="button" data-testid="reset" disabled={!hasScene} onClick={() => void studio.reset()} title="Back to time 0">
        Reset
      </button>
      <span className="toolbar-scene" data-testid="scene-name" title={fileName ?? undefined}>
        {loading ? `Opening ${loading}…` : (fileName ?? 'No scene')}
      </span>
    </header>
  );
}

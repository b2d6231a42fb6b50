/**
 * The studio layout: toolbar, prim tree, viewport, messages, the synthetic-data panel, status bar;
 * and file drops anywhere.
 */
import { useEffect, useState } from 'react';
import { Messages } from './panels/Messages.tsx';
import { PrimTree } from './panels/PrimTree.tsx';
import { SdgPanel } from './sdg/SdgPanel.tsx';
import { StatusBar } from './panels/StatusBar.tsx';
import { Toolbar } from './panels/Toolbar.tsx';
import { useStudioActions } from './state/store.ts';
import { Viewport } from './viewport/Viewport.tsx';

const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;

/** Dropping a file anywhere on the window opens it. */
function useFileDrop(): boolean {
  const studio = useStudioActions();
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth++;
      setOver(true);
    };
    const overHandler = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const drop = (e: DragEvent) => {
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      void studio.openFile(file);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', overHandler);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', overHandler);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [studio]);
  return over;
}

export function App() {
  const dragging = useFileDrop();
  return (
    <div className="studio">
      <Toolbar />
      <aside className="side-panel">
        <PrimTree />
      </aside>
      <main className="centre">
        <Viewport />
        <Messages />
      </main>
      <SdgPanel />
      <StatusBar />
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay">
          Drop a scene file to open it
        </div>
      )}
    </div>
  );
}

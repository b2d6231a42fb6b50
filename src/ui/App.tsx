/**
 * The studio layout: toolbar; the designer's outliner, asset panel and inspector; the designer's
 * edit bar over the viewport; messages; the synthetic-data panel; status bar; the designer's
 * dialogs and keyboard shortcuts; and file drops anywhere.
 */
import { useEffect, useState } from 'react';
import { AssetPanel, DeleteDialog, DesignerBar, HelpOverlay, useDesignerShortcuts } from './designer/DesignerBar.tsx';
import { Inspector } from './designer/Inspector.tsx';
import { Messages } from './panels/Messages.tsx';
import { PrimTree } from './panels/PrimTree.tsx';
import { SdgPanel } from './sdg/SdgPanel.tsx';
import { StatusBar } from './panels/StatusBar.tsx';
import { Toolbar } from './panels/Toolbar.tsx';
import { useStudioActions } from './state/store.ts';
import type { PickedFile } from './studio.ts';
import { Viewport } from './viewport/Viewport.tsx';

const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;

/** Every file dropped, folders walked, with paths relative to what was dropped ("robot/meshes/arm.dae"). */
async function droppedFiles(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(transfer.items)
    .map((item) => item.webkitGetAsEntry?.() ?? null)
    .filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return Array.from(transfer.files).map((file) => ({ path: file.name, file }));
  const out: PickedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    const path = prefix + entry.name;
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries answers in batches until an empty one.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${path}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, '');
  return out;
}

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
      const transfer = e.dataTransfer;
      if (!transfer || transfer.files.length === 0) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      // The entries must be taken before this handler returns; reading them can wait.
      droppedFiles(transfer)
        .then((files) => studio.openFiles(files))
        .catch((error: unknown) => studio.reportError(`Drop: could not read the dropped files (${error instanceof Error ? error.message : String(error)})`));
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
  useDesignerShortcuts();
  return (
    <div className="studio">
      <Toolbar />
      <aside className="side-panel">
        <PrimTree />
        <AssetPanel />
        <Inspector />
      </aside>
      <main className="centre">
        <DesignerBar />
        <Viewport />
        <Messages />
      </main>
      <SdgPanel />
      <StatusBar />
      <DeleteDialog />
      <HelpOverlay />
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay">
          Drop a scene file (or a folder with a URDF and its meshes) to open it
        </div>
      )}
    </div>
  );
}

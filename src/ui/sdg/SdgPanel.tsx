/** The data side panel: tabs for the randomization spec, generation, the dataset viewer and robot teleoperation. */
import type { KeyboardEvent } from 'react';
import { DatasetViewer } from './DatasetViewer.tsx';
import { GeneratePanel } from './GeneratePanel.tsx';
import { RandomizePanel } from './RandomizePanel.tsx';
import { RobotPanel } from '../robot/RobotPanel.tsx';
import { PolicyPanel } from '../policy/PolicyPanel.tsx';
import type { SdgTab } from './sdgState.ts';
import { useSdg, useSdgActions } from './store.ts';

const TABS: { id: SdgTab; label: string }[] = [
  { id: 'randomize', label: 'Randomize' },
  { id: 'generate', label: 'Generate' },
  { id: 'dataset', label: 'Dataset' },
  { id: 'robot', label: 'Robot' },
  { id: 'policy', label: 'Policy' },
];

export function SdgPanel() {
  const sdg = useSdgActions();
  const tab = useSdg((s) => s.tab);
  const canPickFolders = useSdg((s) => s.generate.destinations.includes('directory'));
  const running = useSdg((s) => s.generate.run.status === 'running');
  const onKeyDown = (event: KeyboardEvent) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const i = TABS.findIndex((t) => t.id === tab);
    const next = TABS[(i + step + TABS.length) % TABS.length]!;
    sdg.selectTab(next.id);
    document.getElementById(`sdg-tab-${next.id}`)?.focus();
  };
  return (
    <aside className="sdg-panel" aria-label="Synthetic data" data-testid="sdg-panel">
      <div className="sdg-tabs" role="tablist" aria-label="Synthetic data" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`sdg-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`sdg-tabpanel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className="sdg-tab"
            onClick={() => sdg.selectTab(t.id)}
          >
            {t.label}
            {t.id === 'generate' && running && <span className="sdg-running" aria-hidden> ●</span>}
          </button>
        ))}
      </div>
      <div className="sdg-tabpanel" role="tabpanel" id={`sdg-tabpanel-${tab}`} aria-labelledby={`sdg-tab-${tab}`}>
        {tab === 'randomize' && <RandomizePanel />}
        {tab === 'generate' && <GeneratePanel />}
        {tab === 'dataset' && <DatasetViewer canPick={canPickFolders} />}
        {tab === 'robot' && <RobotPanel />}
        {tab === 'policy' && <PolicyPanel />}
      </div>
    </aside>
  );
}

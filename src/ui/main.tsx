/**
 * Studio entry point: creates the store, the simulation worker and the controller, mounts the
 * React app, and opens the default example scene.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { DEFAULT_SCENE } from './examples.ts';
import { startSimWorker } from './simWorker.ts';
import { createStudioStore, StudioProvider } from './state/store.ts';
import { withMessages } from './state/studioState.ts';
import { createStudio } from './studio.ts';
import { exposeTestHooks } from './testHooks.ts';
import './styles.css';

const store = createStudioStore();
const worker = startSimWorker((text) => store.setState((s) => withMessages(s, 'error', [text])));
const studio = createStudio(store, worker.api);
exposeTestHooks(store);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StudioProvider store={store} studio={studio}>
      <App />
    </StudioProvider>
  </StrictMode>,
);

if (DEFAULT_SCENE) void studio.openUrl(DEFAULT_SCENE.url, DEFAULT_SCENE.fileName);

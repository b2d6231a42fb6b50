/**
 * Studio entry point: creates the stores, the simulation worker and the controllers (studio and
 * synthetic data, robot, policy, designer), mounts the React app, and opens the scene being
 * edited before a reload (the designer's autosave) or else the default example scene.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { DEFAULT_SCENE } from './examples.ts';
import { startSimWorker } from './simWorker.ts';
import { createStudioStore, StudioProvider } from './state/store.ts';
import { withMessages } from './state/studioState.ts';
import { createStudio } from './studio.ts';
import { browserSdgHost } from './sdg/browserHost.ts';
import { hasDirectoryPicker, hasOpfs } from './sdg/datasetSource.ts';
import { createSdgStudio } from './sdg/sdgStudio.ts';
import { createSdgStore, SdgProvider } from './sdg/store.ts';
import { exposeTestHooks } from './testHooks.ts';
import { RobotProvider } from './robot/store.ts';
import { createTeleopStore, createTeleopStudio } from './robot/teleopStudio.ts';
import { createPolicyStore, createPolicyStudio } from './policy/policyStudio.ts';
import { PolicyProvider } from './policy/store.ts';
import type { PolicyWorkerApi } from '../protocol/policyWorker.ts';
import * as Comlink from 'comlink';
import { createDesigner, createDesignerStore } from './designer/designer.ts';
import { DesignerProvider } from './designer/store.ts';
import { withRenamedPrim } from './designer/randomized.ts';
import type { RandomizationSpecInput } from '../engine/randomize/spec.ts';
import { parseYamlText } from '../engine/yamlSpec.ts';
import { isEmptySpec } from './sdg/sdgState.ts';
import './styles.css';

const store = createStudioStore();
const worker = startSimWorker((text) => store.setState((s) => withMessages(s, 'error', [text])));
const studio = createStudio(store, worker.api);
const sdgStore = createSdgStore({ opfs: hasOpfs(), directoryPicker: hasDirectoryPicker() });
const sdg = createSdgStudio(sdgStore, store, browserSdgHost(studio.reportError));
const teleopStore = createTeleopStore();
const teleop = createTeleopStudio(teleopStore, store, worker.api);
const policyStore = createPolicyStore();
// The policy worker starts when a policy is first opened (onnxruntime-web is large).
const policy = createPolicyStudio(policyStore, store, worker.api, () => {
  const policyWorker = new Worker(new URL('../../workers/policy.worker.ts', import.meta.url), { type: 'module', name: 'simloop-policy' });
  policyWorker.addEventListener('error', (event) => {
    event.preventDefault();
    store.setState((s) => withMessages(s, 'error', [`Policy worker failed: ${event.message || 'could not start'}`]));
  });
  return Comlink.wrap<PolicyWorkerApi>(policyWorker);
});
const designerStore = createDesignerStore();
const designer = createDesigner(
  designerStore,
  store,
  {
    applyDocument: (document) => studio.applyDocument(document),
    openBytes: (bytes, fileName) => studio.openBytes(bytes, fileName),
    composeVariants: (variants) => studio.composeVariants(variants),
    randomization: () => specInput(sdgStore.getState().spec),
    sampleSeed: () => Number(sdgStore.getState().generate.form.seed) || 0,
    primMoved: (from, to) => {
      const text = sdgStore.getState().spec.text;
      const next = withRenamedPrim(text, from, to);
      if (next !== text) sdg.setSpecText(next);
    },
  },
  browserStorage(),
);
designer.attach();
// The spec is part of what autosave keeps (marks made in the inspector, edits in the Randomize tab).
sdgStore.subscribe((state, previous) => {
  if (state.spec.text !== previous.spec.text) designer.specChanged();
});

/** The Randomize tab's spec as a project holds it: null when it is empty; throws when it has an error. */
function specInput(spec: { text: string; file: string; error: string | null }): RandomizationSpecInput | null {
  if (isEmptySpec(spec.text)) return null;
  if (spec.error) throw new Error(`the randomization spec has an error: ${spec.error}`);
  return parseYamlText(spec.text, spec.file).value as RandomizationSpecInput;
}
exposeTestHooks(store);

/** localStorage, where the page may use it (not in some private modes). */
function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StudioProvider store={store} controller={studio}>
      <SdgProvider store={sdgStore} controller={sdg}>
        <RobotProvider store={teleopStore} controller={teleop}>
          <PolicyProvider store={policyStore} controller={policy}>
            <DesignerProvider store={designerStore} controller={designer}>
              <App />
            </DesignerProvider>
          </PolicyProvider>
        </RobotProvider>
      </SdgProvider>
    </StudioProvider>
  </StrictMode>,
);

// The scene being edited when the page was closed or crashed comes back; otherwise the example.
void designer.restoreAutosave().then((restored) => {
  if (!restored && DEFAULT_SCENE) void studio.openExample(DEFAULT_SCENE);
});

/**
 * The synthetic-data store: a vanilla zustand store holding `SdgState`, and its React layer
 * (ui/storeContext.ts). State and transitions live in sdgState.ts; the controller in sdgStudio.ts.
 */
import { createStore } from 'zustand/vanilla';
import { storeContext } from '../storeContext.ts';
import type { BrowserCapabilities } from './generateForm.ts';
import { initialSdgState, type SdgState, type SdgStore } from './sdgState.ts';
import type { SdgStudio } from './sdgStudio.ts';

export type { SdgStore };

export const createSdgStore = (caps?: BrowserCapabilities): SdgStore => createStore<SdgState>()(() => initialSdgState(caps));

const sdg = storeContext<SdgState, SdgStudio>('synthetic-data');

export const SdgProvider = sdg.Provider;
export const useSdg = sdg.useSelect;
export const useSdgActions = sdg.useController;

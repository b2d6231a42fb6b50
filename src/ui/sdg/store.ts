/**
 * The synthetic-data store: a vanilla zustand store holding `SdgState`, and the thin React layer
 * over it. State and transitions live in sdgState.ts; the controller in sdgStudio.ts.
 */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { BrowserCapabilities } from './generateForm.ts';
import { initialSdgState, type SdgState } from './sdgState.ts';
import type { SdgStudio } from './sdgStudio.ts';

import type { SdgStore } from './sdgState.ts';
export type { SdgStore };

export const createSdgStore = (caps?: BrowserCapabilities): SdgStore => createStore<SdgState>()(() => initialSdgState(caps));

interface SdgContextValue {
  store: SdgStore;
  sdg: SdgStudio;
}

const SdgContext = createContext<SdgContextValue | null>(null);

export function SdgProvider({ store, sdg, children }: SdgContextValue & { children: ReactNode }) {
  return createElement(SdgContext.Provider, { value: { store, sdg } }, children);
}

function useSdgContext(): SdgContextValue {
  const value = useContext(SdgContext);
  if (!value) throw new Error('synthetic-data panels must be inside <SdgProvider>');
  return value;
}

export function useSdg<T>(selector: (state: SdgState) => T): T {
  return useStore(useSdgContext().store, selector);
}

export const useSdgActions = (): SdgStudio => useSdgContext().sdg;

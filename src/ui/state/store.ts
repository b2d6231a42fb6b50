/**
 * The studio store: a vanilla zustand store holding `StudioState`, and the thin React layer over
 * it (a context plus hooks). Transitions live in studioState.ts; the controller in ../studio.ts.
 */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { initialStudioState, type StudioState } from './studioState.ts';
import type { Studio } from '../studio.ts';

import type { StudioStore } from './studioState.ts';
export type { StudioStore };

export const createStudioStore = (): StudioStore => createStore<StudioState>()(() => initialStudioState());

interface StudioContextValue {
  store: StudioStore;
  studio: Studio;
}

const StudioContext = createContext<StudioContextValue | null>(null);

export function StudioProvider({ store, studio, children }: StudioContextValue & { children: ReactNode }) {
  return createElement(StudioContext.Provider, { value: { store, studio } }, children);
}

function useStudioContext(): StudioContextValue {
  const value = useContext(StudioContext);
  if (!value) throw new Error('studio components must be inside <StudioProvider>');
  return value;
}

/** Subscribes a component to part of the studio state. */
export function useStudio<T>(selector: (state: StudioState) => T): T {
  return useStore(useStudioContext().store, selector);
}

/** The store itself, for views that follow state imperatively (the viewport's pose updates). */
export const useStudioStore = (): StudioStore => useStudioContext().store;

/** The studio's actions (open, play, pause, ...). */
export const useStudioActions = (): Studio => useStudioContext().studio;

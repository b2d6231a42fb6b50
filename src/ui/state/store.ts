/**
 * The studio store: a vanilla zustand store holding `StudioState`, and its React layer
 * (ui/storeContext.ts). Transitions live in studioState.ts; the controller in ../studio.ts.
 */
import { createStore } from 'zustand/vanilla';
import { storeContext } from '../storeContext.ts';
import type { Studio } from '../studio.ts';
import { initialStudioState, type StudioState, type StudioStore } from './studioState.ts';

export type { StudioStore };

export const createStudioStore = (): StudioStore => createStore<StudioState>()(() => initialStudioState());

const studio = storeContext<StudioState, Studio>('studio');

export const StudioProvider = studio.Provider;
/** Subscribes a component to part of the studio state. */
export const useStudio = studio.useSelect;
/** The store itself, for views that follow state imperatively (the viewport's pose updates). */
export const useStudioStore = studio.useStore;
/** The studio's actions (open, play, pause, ...). */
export const useStudioActions = studio.useController;

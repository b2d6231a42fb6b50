/** The scene designer's React layer: a context with its store and controller, and hooks. */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Designer, DesignerState, DesignerStore } from './designer.ts';

interface DesignerContextValue {
  store: DesignerStore;
  designer: Designer;
}

const DesignerContext = createContext<DesignerContextValue | null>(null);

export function DesignerProvider({ store, designer, children }: DesignerContextValue & { children: ReactNode }) {
  return createElement(DesignerContext.Provider, { value: { store, designer } }, children);
}

function useDesignerContext(): DesignerContextValue {
  const value = useContext(DesignerContext);
  if (!value) throw new Error('designer components must be inside <DesignerProvider>');
  return value;
}

export const useDesigner = <T,>(selector: (state: DesignerState) => T): T => useStore(useDesignerContext().store, selector);
export const useDesignerActions = (): Designer => useDesignerContext().designer;
export const useDesignerStore = (): DesignerStore => useDesignerContext().store;

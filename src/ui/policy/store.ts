/** The Policy tab's React layer: a context with the policy store and controller, and hooks. */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { PolicyState, PolicyStore, PolicyStudio } from './policyStudio.ts';

interface PolicyContextValue {
  store: PolicyStore;
  policy: PolicyStudio;
}

const PolicyContext = createContext<PolicyContextValue | null>(null);

export function PolicyProvider({ store, policy, children }: PolicyContextValue & { children: ReactNode }) {
  return createElement(PolicyContext.Provider, { value: { store, policy } }, children);
}

function usePolicyContext(): PolicyContextValue {
  const value = useContext(PolicyContext);
  if (!value) throw new Error('policy panels must be inside <PolicyProvider>');
  return value;
}

export const usePolicy = <T,>(selector: (state: PolicyState) => T): T => useStore(usePolicyContext().store, selector);
export const usePolicyActions = (): PolicyStudio => usePolicyContext().policy;

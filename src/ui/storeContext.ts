/**
 * The React layer of every part of the studio's state (studio, designer, synthetic data, robot,
 * policy): a context holding a vanilla zustand store and its controller, the provider, and hooks
 * to select state, to reach the store itself (views that follow it imperatively) and the controller.
 * State and transitions stay plain TypeScript beside each store; only this file knows React.
 */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';

export interface StoreContext<S, C> {
  Provider(props: { store: StoreApi<S>; controller: C; children: ReactNode }): ReactNode;
  /** Subscribes a component to part of the state. */
  useSelect<T>(selector: (state: S) => T): T;
  useStore(): StoreApi<S>;
  useController(): C;
}

/** A context for one store and controller; `name` says where a component was used outside it. */
export function storeContext<S, C>(name: string): StoreContext<S, C> {
  const Context = createContext<{ store: StoreApi<S>; controller: C } | null>(null);
  Context.displayName = name;
  const use = () => {
    const value = useContext(Context);
    if (!value) throw new Error(`${name} components must be inside its provider`);
    return value;
  };
  return {
    Provider: ({ store, controller, children }) => createElement(Context.Provider, { value: { store, controller } }, children),
    useSelect: (selector) => useStore(use().store, selector),
    useStore: () => use().store,
    useController: () => use().controller,
  };
}

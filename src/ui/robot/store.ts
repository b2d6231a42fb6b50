/** The Robot tab's React layer: a context with the teleoperation store and controller, and hooks. */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { TeleopState, TeleopStore, TeleopStudio } from './teleopStudio.ts';

interface RobotContextValue {
  store: TeleopStore;
  teleop: TeleopStudio;
}

const RobotContext = createContext<RobotContextValue | null>(null);

export function RobotProvider({ store, teleop, children }: RobotContextValue & { children: ReactNode }) {
  return createElement(RobotContext.Provider, { value: { store, teleop } }, children);
}

function useRobotContext(): RobotContextValue {
  const value = useContext(RobotContext);
  if (!value) throw new Error('robot panels must be inside <RobotProvider>');
  return value;
}

export const useTeleop = <T,>(selector: (state: TeleopState) => T): T => useStore(useRobotContext().store, selector);
export const useTeleopActions = (): TeleopStudio => useRobotContext().teleop;
export const useTeleopStore = (): TeleopStore => useRobotContext().store;

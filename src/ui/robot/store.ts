/** The Robot tab's React layer (ui/storeContext.ts): the teleoperation store and controller, and hooks. */
import { storeContext } from '../storeContext.ts';
import type { TeleopState, TeleopStudio } from './teleopStudio.ts';

const robot = storeContext<TeleopState, TeleopStudio>('robot');

export const RobotProvider = robot.Provider;
export const useTeleop = robot.useSelect;
export const useTeleopActions = robot.useController;
export const useTeleopStore = robot.useStore;

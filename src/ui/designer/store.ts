/** The scene designer's React layer (ui/storeContext.ts): its store and controller, and hooks. */
import { storeContext } from '../storeContext.ts';
import type { Designer, DesignerState } from './designer.ts';

const designer = storeContext<DesignerState, Designer>('designer');

export const DesignerProvider = designer.Provider;
export const useDesigner = designer.useSelect;
export const useDesignerActions = designer.useController;
export const useDesignerStore = designer.useStore;

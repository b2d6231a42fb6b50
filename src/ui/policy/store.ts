/** The Policy tab's React layer (ui/storeContext.ts): the policy store and controller, and hooks. */
import { storeContext } from '../storeContext.ts';
import type { PolicyState, PolicyStudio } from './policyStudio.ts';

const policy = storeContext<PolicyState, PolicyStudio>('policy');

export const PolicyProvider = policy.Provider;
export const usePolicy = policy.useSelect;
export const usePolicyActions = policy.useController;

/**
 * A USD variant choice as the user gives it (`--variant <primPath>:<set>=<name>`, a job spec's
 * `variants:`), apart from the composer so reading arguments does not load it.
 */
import { InputError } from '../errors.ts';

/** A variant choice: on the composed prim `prim`, variant set `set` selects `selection`. */
export interface VariantSelection {
  prim: string;
  set: string;
  selection: string;
}

/** Parses `--variant` values: `<primPath>:<set>=<name>`. */
export function parseVariantChoice(text: string): VariantSelection {
  const m = /^(\/[^:{}]*):([^=:]+)=(.*)$/.exec(text.trim());
  if (!m) throw new InputError('--variant', `expected <primPath>:<set>=<name> (e.g. /World/Robot:gripper=parallel), got "${text}"`);
  return { prim: m[1]!.replace(/\/+$/, '') || '/', set: m[2]!, selection: m[3]! };
}

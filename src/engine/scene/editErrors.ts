/**
 * The errors scene edits throw (edit.ts): every refusal names the prim, joint or material path, the
 * field, and what was expected.
 */

/** What happens to joints outside a removed subtree that attach to a body inside it. */
export type JointPolicy = 'remove-joints' | 'detach-joints';

/**
 * An edit the document cannot take. `path` is the prim, joint or material the edit addressed.
 * `field` is the field that was refused ("mass.mass", "limits[0]"), or null when the edit as a
 * whole is refused (a missing prim, a path in use).
 */
export class EditError extends Error {
  override readonly name: string = 'EditError';
  constructor(
    readonly path: string,
    readonly field: string | null,
    /** What is wrong, e.g. "must be a positive number of kilograms, got -1". */
    readonly detail: string,
  ) {
    super(field ? `${path}: ${field} ${detail}` : `${path}: ${detail}`);
  }
}

/**
 * Removing a prim would leave joints outside it attached to a body that no longer exists. The
 * caller must choose a JointPolicy, for example by asking the person. `joints` lists the joints'
 * paths.
 */
export class AttachedJointsError extends EditError {
  override readonly name: string = 'AttachedJointsError';
  constructor(
    path: string,
    readonly joints: readonly string[],
  ) {
    super(path, null, `cannot be removed while joints outside it attach to it: ${joints.join(', ')} (choose 'remove-joints' or 'detach-joints')`);
  }
}

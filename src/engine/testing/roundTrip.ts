/**
 * Comparing scene documents after a round trip (USD export and import, conversion): everything
 * but the source file, to 1e-9 relative, quaternions up to sign.
 */
import type { SceneDocument } from '../scene/schema.ts';
import { approxDiff } from './approx.ts';

/**
 * q and −q are the same rotation, and which one comes out of a matrix depends on rounding near
 * three's branch points: compare quaternions with their largest component positive.
 */
export function canonicalQuat(q: readonly number[]): number[] {
  const largest = q.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
  return largest < 0 ? q.map((c) => -c) : [...q];
}

function comparable(doc: SceneDocument): unknown {
  const copy = structuredClone(doc) as Partial<SceneDocument>;
  delete copy.source;
  for (const prim of copy.prims!) {
    prim.transform.orientation = canonicalQuat(prim.transform.orientation) as typeof prim.transform.orientation;
    if (prim.mass?.principalAxes) prim.mass.principalAxes = canonicalQuat(prim.mass.principalAxes) as typeof prim.mass.principalAxes;
  }
  for (const joint of copy.joints!) {
    joint.localRot0 = canonicalQuat(joint.localRot0) as typeof joint.localRot0;
    joint.localRot1 = canonicalQuat(joint.localRot1) as typeof joint.localRot1;
  }
  return copy;
}

/**
 * What the round trip must keep: everything, to 1e-9 relative. (Numbers that pass through the
 * importer's matrices — transforms, joint frames, velocities — come back to about 1e-15; angles go
 * through degrees and back. Everything else comes back bit for bit.)
 */
export function differences(actual: SceneDocument, expected: SceneDocument): string[] {
  return approxDiff(comparable(actual), comparable(expected), { rel: 1e-9, abs: 1e-12 });
}


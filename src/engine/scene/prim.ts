/** New prims and joints, spelled out once: every module that makes one starts from `newPrim` or `newJoint`. */
import { type Matrix4, Quaternion, Vector3 } from 'three';
import type { Joint, Prim, Transform } from './schema.ts';

export function identityTransform(): Transform {
  return { position: [0, 0, 0], orientation: [0, 0, 0, 1], scale: [1, 1, 1] };
}

/** A prim placed by a rigid pose (scale left at 1, the rotation normalised): how importers place links, shapes and joints. */
export function posedPrim(path: string, type: string, pose: Matrix4, visible = true): Prim {
  const position = new Vector3();
  const rotation = new Quaternion();
  pose.decompose(position, rotation, new Vector3());
  rotation.normalize();
  return newPrim(path, type, { transform: { position: [position.x, position.y, position.z], orientation: [rotation.x, rotation.y, rotation.z, rotation.w], scale: [1, 1, 1] }, visible });
}

/** A prim with only a path and a type (identity transform, visible, no labels), plus `fields`. */
export function newPrim(path: string, type = 'Xform', fields: Partial<Omit<Prim, 'path' | 'type'>> = {}): Prim {
  return { path, type, transform: identityTransform(), visible: true, labels: {}, articulationRoot: false, ...fields };
}

/** A joint between `body0` and `body1` (null: the world) with both frames at the bodies' origins, axis X, no limits or drives, plus `fields`. */
export function newJoint(path: string, type: Joint['type'], fields: Partial<Omit<Joint, 'path' | 'type'>> = {}): Joint {
  return {
    path,
    type,
    body0: null,
    body1: null,
    localPos0: [0, 0, 0],
    localRot0: [0, 0, 0, 1],
    localPos1: [0, 0, 0],
    localRot1: [0, 0, 0, 1],
    axis: 'X',
    enabled: true,
    collisionEnabled: false,
    excludeFromArticulation: false,
    limits: [],
    drives: [],
    coneAngle0: null,
    coneAngle1: null,
    minDistance: null,
    maxDistance: null,
    ...fields,
  };
}

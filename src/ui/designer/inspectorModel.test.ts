/**
 * The inspector's model against hand-computed values: Euler angles of quarter turns, the sRGB
 * transfer function at known points, a camera's field of view from its focal length and aperture,
 * the reasons a typed number is refused, and the document edits behind the physics and joint
 * fields.
 */
import { Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { addJoint, addPrim, setCollider } from '../../engine/scene/edit.ts';
import { emptyDocument, jointWith } from '../../engine/testing/documents.ts';
import { type Camera, type Geometry, type Joint, type SceneDocument, type Transform, type Vec3 } from '../../engine/scene/schema.ts';
import {
  cameraFovDegrees,
  classLabelText,
  colourFromHex,
  eulerDegreesToOrientation,
  eulerForDisplay,
  formatNumber,
  geometryNumbers,
  hexToLinear,
  inspectorTarget,
  labelPalette,
  limitBoundRule,
  limitRows,
  linearToHex,
  linearToSrgb,
  materialUsers,
  newDrive,
  orientationToEulerDegrees,
  ownMaterialPath,
  parseNumber,
  parseOptionalNumber,
  setColliderFriction,
  srgbToLinear,
  withBodyChoice,
  withCameraFov,
  withCenterOfMassAxis,
  withClassLabels,
  withDriveField,
  withEulerAxis,
  withFocalLength,
  withGeometryNumber,
  withHorizontalAperture,
  withLimitBound,
  withMassValue,
  withPositionAxis,
  withVerticalAperture,
  withTexture,
  TEXTURE_CHOICES,
  parseResolution,
  withResolution,
  formatResolution,
} from './inspectorModel.ts';
import { primitiveFields } from './primitives.ts';

const S = Math.SQRT1_2;
const DEG = Math.PI / 180;

function expectClose(actual: readonly number[], expected: readonly number[], digits = 9) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits));
}

/** The same rotation: q and −q are equal. */
function expectSameRotation(actual: readonly number[], expected: readonly number[]) {
  const dot = actual.reduce((sum, v, i) => sum + v * expected[i]!, 0);
  expectClose(dot < 0 ? actual.map((v) => -v) : actual, expected);
}


/** /World with a box "Cube" and a sphere "Ball", both dynamic bodies with colliders and no physics material. */
function tabletop(): SceneDocument {
  let doc = addPrim(emptyDocument(), null, 'World');
  doc = addPrim(doc, '/World', 'Cube', primitiveFields('box'));
  doc = addPrim(doc, '/World', 'Ball', primitiveFields('sphere'));
  return doc;
}

const transform = (orientation: [number, number, number, number]): Transform => ({ position: [1, 2, 3], orientation, scale: [1, 1, 1] });

describe('typed numbers', () => {
  it('accepts decimal and exponent notation, with spaces around', () => {
    expect(parseNumber(' 2.5 ')).toEqual({ ok: true, value: 2.5 });
    expect(parseNumber('-0.25')).toEqual({ ok: true, value: -0.25 });
    expect(parseNumber('1e-3')).toEqual({ ok: true, value: 0.001 });
    expect(parseNumber('.5')).toEqual({ ok: true, value: 0.5 });
  });

  it('refuses empty text, words, NaN and infinities, saying what was typed', () => {
    expect(parseNumber('')).toEqual({ ok: false, reason: 'expected a number, got nothing' });
    expect(parseNumber('abc')).toEqual({ ok: false, reason: 'expected a number, got "abc"' });
    expect(parseNumber('NaN')).toEqual({ ok: false, reason: 'expected a number, got "NaN"' });
    expect(parseNumber('1,5')).toEqual({ ok: false, reason: 'expected a number, got "1,5"' });
    expect(parseNumber('Infinity')).toEqual({ ok: false, reason: 'expected a finite number, got "Infinity"' });
    expect(parseNumber('-inf')).toEqual({ ok: false, reason: 'expected a finite number, got "-inf"' });
    expect(parseNumber('1e400')).toEqual({ ok: false, reason: 'expected a finite number, got "1e400"' });
  });

  it('refuses values outside the field’s range with the unit in the reason', () => {
    expect(parseNumber('-1', { exclusiveMin: 0, unit: 'kilograms' })).toEqual({ ok: false, reason: 'must be a positive number of kilograms, got -1' });
    expect(parseNumber('0', { exclusiveMin: 0, unit: 'kilograms' })).toEqual({ ok: false, reason: 'must be a positive number of kilograms, got 0' });
    expect(parseNumber('-0.1', { min: 0, unit: 'metres' })).toEqual({ ok: false, reason: 'must be a non-negative number of metres, got -0.1' });
    expect(parseNumber('2', { min: 0, max: 1 })).toEqual({ ok: false, reason: 'must be a number between 0 and 1, got 2' });
    expect(parseNumber('180', { exclusiveMin: 0, exclusiveMax: 180, unit: 'degrees' })).toEqual({
      ok: false,
      reason: 'must be a number of degrees greater than 0 and less than 180, got 180',
    });
    expect(parseNumber('0', { nonZero: true })).toEqual({ ok: false, reason: 'must be a non-zero number, got 0' });
    expect(parseNumber('0.5', { min: 0, max: 1 })).toEqual({ ok: true, value: 0.5 });
  });

  it('reads an empty optional field as "not set"', () => {
    expect(parseOptionalNumber('  ')).toEqual({ ok: true, value: null });
    expect(parseOptionalNumber('-2', { exclusiveMin: 0, unit: 'kilograms' })).toEqual({ ok: false, reason: 'must be a positive number of kilograms, got -2' });
  });

  it('shows at most four decimals without trailing zeros, and tiny values with four significant digits', () => {
    expect(formatNumber(45.00000001)).toBe('45');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(-0.00000001)).toBe('-1e-8');
    expect(formatNumber(0.0000123456)).toBe('0.00001235');
    expect(formatNumber(-0.00004)).toBe('-0.00004');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(-1e-5 + 1e-5)).toBe('0');
  });
});

describe('orientation as Euler angles (degrees, XYZ)', () => {
  it('reads a quarter turn about each axis', () => {
    expectClose(orientationToEulerDegrees([S, 0, 0, S]), [90, 0, 0]);
    expectClose(orientationToEulerDegrees([0, S, 0, S]), [0, 90, 0]);
    expectClose(orientationToEulerDegrees([0, 0, S, S]), [0, 0, 90]);
  });

  it('writes a quarter turn about each axis', () => {
    expectSameRotation(eulerDegreesToOrientation([90, 0, 0]), [S, 0, 0, S]);
    expectSameRotation(eulerDegreesToOrientation([0, 90, 0]), [0, S, 0, S]);
    expectSameRotation(eulerDegreesToOrientation([0, 0, 90]), [0, 0, S, S]);
  });

  it('composes X then Y then Z as Rx·Ry·Rz: X 90°, Z 90° is q = qx·qz = [½, −½, ½, ½], taking +X to +Z', () => {
    const q = eulerDegreesToOrientation([90, 0, 90]);
    expectSameRotation(q, [0.5, -0.5, 0.5, 0.5]);
    expectClose(new Vector3(1, 0, 0).applyQuaternion(new Quaternion(...q)).toArray(), [0, 0, 1]);
    expectClose(orientationToEulerDegrees([0.5, -0.5, 0.5, 0.5]), [90, 0, 90]);
  });

  it('round-trips a general orientation', () => {
    expectClose(orientationToEulerDegrees(eulerDegreesToOrientation([10, -20, 30])), [10, -20, 30]);
  });

  it('keeps the angles last typed while they describe the orientation (Y 120° does not flip to X 180°, Y 60°, Z 180°)', () => {
    const q = eulerDegreesToOrientation([0, 120, 0]);
    expectClose(orientationToEulerDegrees(q).map(Math.abs), [180, 60, 180]); // ±180° by rounding
    expect(eulerForDisplay(q, [0, 120, 0])).toEqual([0, 120, 0]);
    expectClose(eulerForDisplay(eulerDegreesToOrientation([0, 45, 0]), [0, 120, 0]), [0, 45, 0]);
  });

  it('changes one angle and keeps the exact values of the others', () => {
    const current: Vec3 = [10.123456789, 20, 30];
    const before = transform(eulerDegreesToOrientation(current));
    const after = withEulerAxis(before, 'x', 40, current);
    expectClose(orientationToEulerDegrees(after.orientation), [40, 20, 30]);
    expect(after.position).toBe(before.position);
    expect(Math.hypot(...after.orientation)).toBeCloseTo(1, 12);
    expect(withEulerAxis(before, 'y', 20, current)).toBe(before);
  });

  it('changes one position coordinate', () => {
    const before = transform([0, 0, 0, 1]);
    expect(withPositionAxis(before, 'y', -4).position).toEqual([1, -4, 3]);
    expect(withPositionAxis(before, 'z', 3)).toBe(before);
  });
});

describe('colour: linear ⇄ sRGB hex', () => {
  it('follows the sRGB transfer function at known points', () => {
    // 0.5 linear: 1.055 · 0.5^(1/2.4) − 0.055 = 0.73536 → 187.5 → 188 = 0xbc.
    expect(linearToSrgb(0.5)).toBeCloseTo(0.73536, 5);
    expect(linearToHex([0.5, 0.5, 0.5])).toBe('#bcbcbc');
    // The linear segment near black: 12.92 · 0.002 = 0.02584 → 6.6 → 7.
    expect(linearToHex([0.002, 0, 1])).toBe('#0700ff');
    // sRGB 128/255: ((0.50196 + 0.055) / 1.055)^2.4 = 0.21586.
    expect(srgbToLinear(128 / 255)).toBeCloseTo(0.21586, 5);
    expectClose(hexToLinear('#808080')!, [0.21586, 0.21586, 0.21586], 5);
    expect(hexToLinear('#FF0000')).toEqual([1, 0, 0]);
    expect(hexToLinear('red')).toBeNull();
  });

  it('clamps colours outside 0..1 for the picker', () => {
    expect(linearToHex([1.5, -0.2, 1])).toBe('#ff00ff');
  });

  it('keeps the exact linear colour when the picker reports the hex it was shown', () => {
    const current: Vec3 = [0.7, 0.7, 0.72];
    expect(colourFromHex(current, linearToHex(current))).toBe(current);
    expectClose(colourFromHex(current, '#000000')!, [0, 0, 0]);
  });
});

describe('camera', () => {
  const camera: Camera = { projection: 'perspective', fovY: 2 * Math.atan(0.5), aspect: 4 / 3, near: 0.01, far: 100, focalLength: 24, horizontalAperture: 32, verticalAperture: 24 };

  it('reads the vertical field of view: 2·atan(24 / (2·24)) = 53.13°', () => {
    expect(cameraFovDegrees(camera)).toBeCloseTo(53.1301, 4);
  });

  it('a 90° field of view on a 24 mm aperture needs a 12 mm focal length', () => {
    const wide = withCameraFov(camera, 90);
    expect(wide.focalLength).toBeCloseTo(12, 12);
    expect(wide.fovY).toBeCloseTo(Math.PI / 2, 12);
    expect(wide.verticalAperture).toBe(24);
  });

  it('a focal length sets the field of view', () => {
    expect(withFocalLength(camera, 12).fovY).toBeCloseTo(Math.PI / 2, 12);
  });

  it('a vertical aperture keeps horizontal = vertical · aspect and moves the field of view', () => {
    const next = withVerticalAperture(camera, 48);
    expect(next.horizontalAperture).toBeCloseTo(64, 12);
    expect(next.fovY).toBeCloseTo(Math.PI / 2, 12);
    expect(withHorizontalAperture(camera, 48).aspect).toBe(2);
  });
});

describe('geometry numbers', () => {
  it('lists the numbers of each kind and replaces one', () => {
    const box: Geometry = { kind: 'box', size: [0.1, 0.2, 0.3] };
    expect(geometryNumbers(box).map((n) => [n.label, n.value])).toEqual([
      ['Size X', 0.1],
      ['Size Y', 0.2],
      ['Size Z', 0.3],
    ]);
    expect(withGeometryNumber(box, 'size.y', 0.5)).toEqual({ kind: 'box', size: [0.1, 0.5, 0.3] });
    const cylinder: Geometry = { kind: 'cylinder', radius: 0.04, height: 0.12, axis: 'Y' };
    expect(geometryNumbers(cylinder).map((n) => n.param)).toEqual(['radius', 'height']);
    expect(withGeometryNumber(cylinder, 'height', 0.2)).toEqual({ ...cylinder, height: 0.2 });
    expect(withGeometryNumber(cylinder, 'width', 1)).toBe(cylinder);
    expect(geometryNumbers({ kind: 'plane', width: 2, length: 3, axis: 'Y' }).map((n) => n.label)).toEqual(['Width', 'Length']);
    expect(geometryNumbers({ kind: 'mesh', points: [], indices: [] })).toEqual([]);
  });
});

describe('semantic labels', () => {
  it('the palette is the sorted unique class labels of the scene', () => {
    let doc = tabletop();
    doc = addPrim(doc, '/World', 'Mug', { labels: { class: ['mug', 'cup'], colour: ['red'] } });
    doc = addPrim(doc, '/World', 'Table', { labels: { class: ['table'] } });
    doc = addPrim(doc, '/World', 'Mug2', { labels: { class: ['mug'] } });
    expect(labelPalette(doc)).toEqual(['cup', 'mug', 'table']);
  });

  it('the class field sets, replaces and removes class labels and leaves other taxonomies', () => {
    const labels = { class: ['mug'], colour: ['red'] };
    expect(classLabelText(labels)).toBe('mug');
    expect(withClassLabels(labels, ' cup , mug, cup ,')).toEqual({ class: ['cup', 'mug'], colour: ['red'] });
    expect(withClassLabels(labels, 'mug')).toBe(labels);
    expect(withClassLabels(labels, '  ')).toEqual({ colour: ['red'] });
    expect(withClassLabels({}, '')).toEqual({});
  });
});

describe('physics', () => {
  it("'none' removes the body and the mass; a type keeps the rest of the body", () => {
    const cube = tabletop().prims[1]!;
    expect(withBodyChoice(cube, 'none')).toEqual({ body: undefined, mass: undefined });
    const kinematic = withBodyChoice(cube, 'kinematic');
    expect(kinematic.body).toEqual({ ...cube.body, type: 'kinematic' });
    expect(kinematic.mass).toBe(cube.mass);
    expect(withBodyChoice({}, 'static').body).toEqual({ type: 'static', enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false });
  });

  it('mass and density can be set or cleared; the centre of mass starts at the origin', () => {
    expect(withMassValue({ mass: 1 }, 'density', 600)).toEqual({ mass: 1, density: 600 });
    expect(withMassValue({ mass: 1 }, 'mass', null)).toBeUndefined();
    expect(withCenterOfMassAxis(undefined, 'z', 0.1)).toEqual({ centerOfMass: [0, 0, 0.1] });
  });

  it('friction on a collider without a material creates one under the prim, bound to it, and edits it from then on', () => {
    const doc = tabletop();
    const first = setColliderFriction(doc, '/World/Cube', { staticFriction: 0.9 });
    const path = ownMaterialPath('/World/Cube');
    expect(path).toBe('/World/Cube/PhysicsMaterial');
    expect(first.physicsMaterials).toEqual([
      { path, staticFriction: 0.9, dynamicFriction: 0.5, restitution: 0, frictionCombine: 'average', restitutionCombine: 'average' },
    ]);
    expect(first.prims[1]!.collider).toEqual({ enabled: true, approximation: 'none', physicsMaterial: path });
    expect(doc.physicsMaterials).toEqual([]);

    const second = setColliderFriction(first, '/World/Cube', { restitution: 0.3 });
    expect(second.physicsMaterials).toHaveLength(1);
    expect(second.physicsMaterials[0]).toMatchObject({ staticFriction: 0.9, restitution: 0.3 });
  });

  it('friction on a collider bound to a shared material edits that material for every collider', () => {
    let doc = setColliderFriction(tabletop(), '/World/Cube', { dynamicFriction: 0.2 });
    const path = ownMaterialPath('/World/Cube');
    doc = setCollider(doc, '/World/Ball', { ...doc.prims[2]!.collider!, physicsMaterial: path });
    expect(materialUsers(doc, path)).toBe(2);
    const next = setColliderFriction(doc, '/World/Ball', { dynamicFriction: 0.8 });
    expect(next.physicsMaterials).toHaveLength(1);
    expect(next.physicsMaterials[0]!.dynamicFriction).toBe(0.8);
  });

  it('friction on a prim without a collider is refused with the prim and field named', () => {
    const doc = addPrim(tabletop(), '/World', 'Empty');
    expect(() => setColliderFriction(doc, '/World/Empty', { restitution: 0.5 })).toThrow('/World/Empty: collider is needed before friction or restitution can be set');
  });
});

describe('joints', () => {
  const hinge = (): { doc: SceneDocument; joint: Joint } => {
    const joint = jointWith('/World/Hinge', { body0: '/World/Cube', body1: '/World/Ball' });
    return { doc: addJoint(tabletop(), joint), joint };
  };

  it('a revolute joint without limits offers an unbounded angular row, shown in degrees', () => {
    const { joint } = hinge();
    expect(limitRows(joint)).toEqual([{ dof: 'angular', angular: true, low: null, high: null }]);
    const limits = withLimitBound(joint, 'angular', 'low', -90);
    expect(limits).toEqual([{ dof: 'angular', low: -Math.PI / 2, high: null }]);
    const limited = { ...joint, limits };
    expect(limitRows(limited)[0]!.low).toBeCloseTo(-90, 12);
    expect(withLimitBound(limited, 'angular', 'low', null)).toEqual([]);
    // low ≤ high is asked for in the units typed: degrees, rounded for reading.
    const rule = limitBoundRule({ ...limitRows(limited)[0]!, low: -57.29577951308232 }, 'high');
    expect(parseNumber('-100', rule)).toEqual({ ok: false, reason: 'must be a number of degrees at least -57.2958, got -100' });
  });

  it('linear dofs stay in metres', () => {
    const { joint } = hinge();
    const slider: Joint = { ...joint, type: 'prismatic' };
    expect(withLimitBound(slider, 'linear', 'high', 0.25)).toEqual([{ dof: 'linear', low: null, high: 0.25 }]);
    const d6: Joint = { ...joint, type: 'd6', limits: [{ dof: 'transX', low: -1, high: 1 }, { dof: 'rotY', low: -DEG * 30, high: DEG * 30 }] };
    expect(limitRows(d6).map((r) => [r.dof, r.angular])).toEqual([
      ['transX', false],
      ['rotY', true],
    ]);
  });

  it('a new drive does nothing until given gains; its target shows in degrees', () => {
    const { joint } = hinge();
    const drive = newDrive(joint)!;
    expect(drive).toEqual({ dof: 'angular', type: 'force', stiffness: 0, damping: 0, targetPosition: 0, targetVelocity: 0, maxForce: null });
    const driven = { ...joint, drives: [drive] };
    expect(newDrive(driven)).toBeNull();
    expect(withDriveField(driven, 'angular', 'targetPosition', 45)[0]!.targetPosition).toBeCloseTo(Math.PI / 4, 12);
    expect(withDriveField(driven, 'angular', 'stiffness', 100)[0]!.stiffness).toBe(100);
    expect(withDriveField(driven, 'angular', 'damping', 0)).toBe(driven.drives);
  });

  it('the active selection is inspected as a joint when it names one', () => {
    const { doc } = hinge();
    expect(inspectorTarget(doc, [])).toEqual({ kind: 'none' });
    expect(inspectorTarget(doc, ['/World/Cube', '/World/Hinge'])).toMatchObject({ kind: 'joint', count: 2 });
    expect(inspectorTarget(doc, ['/World/Hinge', '/World/Ball'])).toMatchObject({ kind: 'prim', count: 2, prim: { path: '/World/Ball' } });
    expect(inspectorTarget(doc, ['/World/Gone'])).toEqual({ kind: 'none' });
  });
});

describe('the texture field', () => {
  it('offers none and every bundled texture; none leaves the look without a texture field', () => {
    expect(TEXTURE_CHOICES).toEqual(['none', 'checker', 'stripes', 'dots', 'grid', 'bricks', 'noise', 'wood', 'marble']);
    const look = { color: [0.5, 0.4, 0.3] as [number, number, number], roughness: 0.6, metallic: 0, opacity: 1 };
    const textured = withTexture(look, 'bricks');
    expect(textured).toEqual({ ...look, texture: 'bricks' });
    expect(withTexture(textured, 'none')).toEqual(look);
    expect('texture' in withTexture(textured, 'none')).toBe(false);
  });
});

describe('a camera`s resolution', () => {
  const camera: Camera = { projection: 'perspective', fovY: 0.7, aspect: 1.5, near: 0.1, far: 100, focalLength: 24, horizontalAperture: 36, verticalAperture: 24 };

  it('keeps pixels square: the vertical aperture, aspect and field of view follow the size', () => {
    const sized = withResolution(camera, [640, 480]);
    expect(sized.resolution).toEqual([640, 480]);
    expect(sized.horizontalAperture).toBe(36);
    expect(sized.verticalAperture).toBeCloseTo(27, 12);
    expect(sized.aspect).toBeCloseTo(4 / 3, 12);
    expect(sized.fovY).toBeCloseTo(2 * Math.atan(27 / 48), 12);
    // None: the job's size again, the lens as it was left.
    const { resolution: _, ...unsized } = sized;
    expect(withResolution(sized, null)).toEqual(unsized);
    expect('resolution' in withResolution(sized, null)).toBe(false);
  });

  it('reads width×height, and refuses what is not', () => {
    expect(parseResolution('640×480')).toEqual({ ok: true, value: [640, 480] });
    expect(parseResolution(' 1280x720 ')).toEqual({ ok: true, value: [1280, 720] });
    expect(parseResolution('256 256')).toEqual({ ok: true, value: [256, 256] });
    expect(parseResolution('')).toEqual({ ok: true, value: null });
    expect(parseResolution('640')).toEqual({ ok: false, reason: 'expected width×height in pixels, like 640×480, got "640"' });
    expect(parseResolution('0×480')).toEqual({ ok: false, reason: 'both sides must be at least 1 pixel, got 0×480' });
    expect(parseResolution('20000×10')).toEqual({ ok: false, reason: 'at most 16384 pixels a side, got 20000×10' });
    expect(formatResolution([640, 480])).toBe('640×480');
    expect(formatResolution(undefined)).toBe('');
  });
});

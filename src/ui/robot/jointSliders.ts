/**
 * The Robot tab's joint panel as numbers: one slider per arm joint and one for the gripper, in the
 * units the robot's datasets record (its profile's features: the SO-101's degrees and 0 … 100
 * gripper), or radians and metres for a robot whose profile names no features. Pure functions
 * over what the simulation worker reports (engine/tasks/teleop.ts TeleopRobot and TeleopStatus);
 * RobotPanel.tsx draws them and sends what a slider asks for back as a joint goal (rad or m).
 */
import { fromFeature, toFeature } from '../../engine/robot/profile.ts';
import type { TeleopJoint, TeleopRobot } from '../../engine/tasks/teleop.ts';

type Feature = NonNullable<TeleopJoint['feature']>;

export interface JointSlider {
  /** What the slider is labelled (the joint's name) and its units ("°", "rad", "m", "" for a normalised range). */
  label: string;
  units: string;
  min: number;
  max: number;
  step: number;
  /** Where the slider stands: the joint goal being jogged to, else the joint's target now. */
  value: number;
  /** The joint's target now (what the arm is commanded to), in the same units. */
  reading: number;
}

const UNITS = { degrees: '°', radians: 'rad', metres: 'm' } as const;

/** A joint position (rad or m) in the slider's units, and back. */
export function toSliderUnits(joint: Pick<TeleopJoint, 'feature'>, value: number): number {
  return joint.feature ? toFeature(joint.feature, value) : value;
}

export function fromSliderUnits(joint: Pick<TeleopJoint, 'feature'>, value: number): number {
  return joint.feature ? fromFeature(joint.feature, value) : value;
}

function unitsOf(joint: Pick<TeleopJoint, 'feature' | 'type'>): string {
  const units = joint.feature?.units;
  if (units === undefined) return joint.type === 'prismatic' ? UNITS.metres : UNITS.radians;
  return typeof units === 'string' ? UNITS[units] : '';
}

/** A slider step fine enough to jog with: half a degree, a hundredth of a radian, a millimetre, 1/200 of a normalised range. */
function stepOf(joint: Pick<TeleopJoint, 'feature' | 'type'>, min: number, max: number): number {
  const units = joint.feature?.units;
  if (units === 'degrees') return 0.5;
  if (units === undefined || units === 'radians' || units === 'metres') return joint.type === 'prismatic' || units === 'metres' ? 0.001 : 0.01;
  return (max - min) / 200;
}

/** The arm's sliders: `targets` are the joints' targets now, `goal` the joint goal being jogged to (rad or m), if any. */
export function armSliders(robot: TeleopRobot, targets: readonly number[], goal: readonly number[] | null): JointSlider[] {
  return robot.joints.map((joint, i) => {
    const [a, b] = [toSliderUnits(joint, joint.lower), toSliderUnits(joint, joint.upper)];
    const step = stepOf(joint, Math.min(a, b), Math.max(a, b));
    // The ends on the step's grid, inside the limits, so every stop is a round value (a range input's stops are min + k·step).
    const [min, max] = [Math.ceil(Math.min(a, b) / step - 1e-6) * step, Math.floor(Math.max(a, b) / step + 1e-6) * step];
    const reading = toSliderUnits(joint, targets[i] ?? 0);
    return { label: joint.name, units: unitsOf(joint), min, max, step, value: goal ? toSliderUnits(joint, goal[i] ?? 0) : reading, reading };
  });
}

/**
 * The gripper's slider: two stops, closed and open, where the gripper's feature records them (the
 * SO-101's 0 and 100); 0 and 1 (the fraction open) when it has no feature. Teleoperation closes or
 * opens the gripper (as the Space key does); datasets record those two positions.
 */
export function gripperSlider(robot: TeleopRobot, closed: boolean): JointSlider | null {
  const gripper = robot.gripper;
  if (!gripper) return null;
  const feature: Feature | null = gripper.feature;
  const [shut, open] = feature ? [toFeature(feature, feature.span[0]), toFeature(feature, feature.span[1])] : [0, 1];
  const value = closed ? shut : open;
  return { label: gripper.name, units: feature ? unitsOf({ feature, type: 'revolute' }) : '', min: Math.min(shut, open), max: Math.max(shut, open), step: Math.abs(open - shut), value, reading: value };
}

/** Whether a value of the gripper's slider means closed (nearer its closed stop). */
export function gripperClosedAt(robot: TeleopRobot, value: number): boolean {
  const feature = robot.gripper?.feature;
  const [shut, open] = feature ? [toFeature(feature, feature.span[0]), toFeature(feature, feature.span[1])] : [0, 1];
  return Math.abs(value - shut) < Math.abs(value - open);
}

/** A value as the panel shows it: to the slider's step (degrees to 0.1°). */
export function formatJointValue(slider: Pick<JointSlider, 'step' | 'units'>, value: number): string {
  const digits = slider.step >= 1 ? 0 : slider.step >= 0.1 ? 1 : slider.step >= 0.01 ? 2 : 3;
  return `${value.toFixed(Math.max(digits, slider.units === '°' ? 1 : 0))}${slider.units === '°' ? '°' : slider.units ? ` ${slider.units}` : ''}`;
}

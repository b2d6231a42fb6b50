import { Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { countOutcomes, describeFailures, LIFT_HEIGHT, OutcomeTracker, type OutcomeState } from './outcome.ts';

/** A state with each object's rise and centre, and the tool point. */
function state(rise: Record<string, number>, tool: Vector3, centres: Record<string, Vector3>, closing = false): OutcomeState {
  return { rise: (p) => rise[p]!, tool: () => tool, position: (p) => centres[p]!, closing };
}
const A = '/World/A';
const B = '/World/B';
const at = (x: number) => new Vector3(x, 0, 0);

describe('episode outcomes', () => {
  it('classify by what happened over the episode, not only at its end', () => {
    const track = (steps: [Record<string, number>, number][], lifts = true) => {
      const t = new OutcomeTracker([A, B], A, 0.05, lifts);
      for (const [rise, toolX] of steps) t.observe(state(rise, at(toolX), { [A]: at(0), [B]: at(1) }));
      return t;
    };
    expect(track([[{ [A]: 0.2, [B]: 0 }, 0]]).classify(true)).toBe('success');
    // Far from A all along.
    expect(track([[{ [A]: 0, [B]: 0 }, 0.5], [{ [A]: 0, [B]: 0 }, 0.051]]).classify(false)).toBe('never_reached');
    // Came within 5 cm once, then went away; A never rose.
    expect(track([[{ [A]: 0, [B]: 0 }, 0.049], [{ [A]: 0.005, [B]: 0 }, 0.5]]).classify(false)).toBe('not_grasped');
    // A rose 3 cm, then fell back.
    expect(track([[{ [A]: 0.03, [B]: 0 }, 0], [{ [A]: 0, [B]: 0 }, 0]]).classify(false)).toBe('lost_target');
    // B rose more than A did.
    expect(track([[{ [A]: 0.021, [B]: 0.05 }, 1]]).classify(false)).toBe('wrong_object');
    // B nudged 1 cm up is not a lift of the wrong object.
    expect(track([[{ [A]: 0, [B]: LIFT_HEIGHT / 2 }, 0]]).classify(false)).toBe('not_grasped');
    // A push task that reached the target but did not finish.
    expect(track([[{ [A]: 0, [B]: 0 }, 0]], false).classify(false)).toBe('timed_out');
  });

  it('track the closest approach and each object`s peak rise', () => {
    const t = new OutcomeTracker([A, B], A, 0.05, true);
    t.observe(state({ [A]: 0.01, [B]: 0.002 }, at(0.3), { [A]: at(0), [B]: at(1) }));
    t.observe(state({ [A]: 0.04, [B]: 0 }, at(0.1), { [A]: at(0), [B]: at(1) }));
    t.observe(state({ [A]: 0.0, [B]: 0 }, at(0.2), { [A]: at(0), [B]: at(1) }));
    expect(t.closestApproach).toBeCloseTo(0.1, 12);
    expect(t.peakRise(A)).toBe(0.04);
    expect(t.peakRise(B)).toBe(0.002);
  });

  it('count grasp attempts and keep where the tool was when the gripper first closed', () => {
    const t = new OutcomeTracker([A, B], A, 0.05, true);
    const centres = { [A]: new Vector3(0, 0.02, 0), [B]: at(1) };
    const rest = { [A]: 0, [B]: 0 };
    expect(t.grasps).toEqual({ attempts: 0, firstOffset: null });
    t.observe(state(rest, new Vector3(0.01, 0.05, 0), centres, false));
    t.observe(state(rest, new Vector3(0.01, 0.03, -0.005), centres, true));
    t.observe(state(rest, new Vector3(0.01, 0.03, 0), centres, true));
    t.observe(state(rest, new Vector3(0, 0.03, 0), centres, false));
    t.observe(state(rest, new Vector3(0, 0.02, 0), centres, true));
    expect(t.grasps.attempts).toBe(2);
    expect(t.grasps.firstOffset!.map((v) => Number(v.toFixed(9)))).toEqual([0.01, 0.01, -0.005]);
  });

  it('reach tasks measure the approach to the goal', () => {
    const t = new OutcomeTracker([], null, 0.05, false, new Vector3(0, 1, 0));
    t.observe(state({}, new Vector3(0, 0.9, 0), {}));
    expect(t.closestApproach).toBeCloseTo(0.1, 12);
    expect(t.classify(false)).toBe('never_reached');
  });

  it('count outcomes in a fixed order without zero counts', () => {
    expect(countOutcomes(['wrong_object', 'success', 'wrong_object', 'errored'])).toEqual({ success: 1, errored: 1, wrong_object: 2 });
    expect(Object.keys(countOutcomes(['wrong_object', 'success']))).toEqual(['success', 'wrong_object']);
    expect(describeFailures({ success: 3, not_grasped: 2, wrong_object: 1 })).toEqual(['2 reached the target but did not lift it', '1 lifted another object']);
  });
});

/**
 * Why an episode failed, in categories a researcher reads off an evaluation at a glance (as
 * robomimic and LIBERO papers break failures down): the robot never got to the target, got there
 * and never lifted it, lifted it and lost it, or moved another object instead. The tracker watches
 * simulator state after every control step (object heights, the tool point's distance to the
 * target, the gripper) and classifies at the end; it never changes the episode.
 */
import type { Vector3 } from 'three';

export type Outcome =
  /** The success predicate held. */
  | 'success'
  /** The policy or expert stopped the episode with an error (set by the caller, not the tracker). */
  | 'errored'
  /** The tool point never came within reach of the target (or the goal, for reach tasks). */
  | 'never_reached'
  /** The tool point reached the target but the target never rose off the table. */
  | 'not_grasped'
  /** The target was lifted but the episode ended without success (dropped, or not placed). */
  | 'lost_target'
  /** Another object was lifted (more than the target was): the wrong object. */
  | 'wrong_object'
  /** Nothing above held and time ran out (e.g. a push that moved the target too little). */
  | 'timed_out';

/** Words for each outcome, for tables and tooltips. */
export const OUTCOME_WORDS: Record<Outcome, string> = {
  success: 'succeeded',
  errored: 'errored',
  never_reached: 'never reached the target',
  not_grasped: 'reached the target but did not lift it',
  lost_target: 'lifted the target, then lost it',
  wrong_object: 'lifted another object',
  timed_out: 'ran out of steps',
};

/** How far (m) beyond an object's half-size the tool point may be and still count as reaching it. */
export const REACH_MARGIN = 0.03;
/** How far (m) an object must rise above its start to count as lifted. */
export const LIFT_HEIGHT = 0.02;

/** What the tracker reads after each step. */
export interface OutcomeState {
  /** Each task object's height above its start (m). */
  rise(path: string): number;
  /** The tool point now. */
  tool(): Vector3;
  /** An object's centre now. */
  position(path: string): Vector3;
  /** Whether the gripper was commanded closed this step. */
  closing: boolean;
}

/** How grasping went, for reading failures: attempts and where the tool was at the first. */
export interface GraspRecord {
  /** Times the gripper command went from open to close. */
  attempts: number;
  /** The tool point minus the target's centre (world frame, m) when the gripper first closed; null if it never did. */
  firstOffset: [number, number, number] | null;
}

export class OutcomeTracker {
  private readonly peak = new Map<string, number>();
  private closest = Number.POSITIVE_INFINITY;
  private closing = false;
  private readonly grasp: GraspRecord = { attempts: 0, firstOffset: null };

  /**
   * `objects`: the task's objects; `target`: the one to manipulate (null for reach tasks);
   * `reachRadius`: the distance from the target's centre (or the goal) that counts as reaching it;
   * `lifts`: whether the task picks the target up (lift, place, stack) rather than pushing it.
   */
  constructor(
    private readonly objects: readonly string[],
    private readonly target: string | null,
    private readonly reachRadius: number,
    private readonly lifts: boolean,
    private readonly goal: Vector3 | null = null,
  ) {
    for (const path of objects) this.peak.set(path, 0);
  }

  /** Records the state after a control step. */
  observe(state: OutcomeState): void {
    for (const path of this.objects) this.peak.set(path, Math.max(this.peak.get(path)!, state.rise(path)));
    const aim = this.target ? state.position(this.target) : this.goal;
    if (aim) this.closest = Math.min(this.closest, state.tool().distanceTo(aim));
    if (state.closing && !this.closing) {
      this.grasp.attempts++;
      if (this.grasp.firstOffset === null && this.target) {
        const d = state.tool().clone().sub(state.position(this.target));
        this.grasp.firstOffset = [d.x, d.y, d.z];
      }
    }
    this.closing = state.closing;
  }

  /** Grasp attempts so far. */
  get grasps(): GraspRecord {
    return { attempts: this.grasp.attempts, firstOffset: this.grasp.firstOffset ? [...this.grasp.firstOffset] : null };
  }

  /** The closest the tool point came to the target (or goal), m. */
  get closestApproach(): number {
    return this.closest;
  }

  /** The highest each object rose above its start, m. */
  peakRise(path: string): number {
    return this.peak.get(path) ?? 0;
  }

  /** The episode's outcome, given whether it succeeded. */
  classify(success: boolean): Outcome {
    if (success) return 'success';
    const target = this.target;
    const targetPeak = target ? this.peakRise(target) : 0;
    const otherPeak = Math.max(0, ...this.objects.filter((p) => p !== target).map((p) => this.peakRise(p)));
    if (otherPeak >= LIFT_HEIGHT && otherPeak > targetPeak) return 'wrong_object';
    if (this.closest > this.reachRadius) return 'never_reached';
    if (!target || !this.lifts) return 'timed_out';
    if (targetPeak >= LIFT_HEIGHT) return 'lost_target';
    return 'not_grasped';
  }
}

/** Counts of each outcome over episodes, in OUTCOME_WORDS order, leaving out zero counts. */
export function countOutcomes(outcomes: readonly Outcome[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const key of Object.keys(OUTCOME_WORDS) as Outcome[]) {
    const n = outcomes.filter((o) => o === key).length;
    if (n > 0) counts[key] = n;
  }
  return counts;
}

/** The failures among counted outcomes in words, e.g. ["17 reached the target but did not lift it", "3 lifted the target, then lost it"]. */
export function describeFailures(counts: Partial<Record<Outcome, number>>): string[] {
  return (Object.entries(counts) as [Outcome, number][]).filter(([k]) => k !== 'success').map(([k, n]) => `${n} ${OUTCOME_WORDS[k]}`);
}

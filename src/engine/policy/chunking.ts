/**
 * From action chunks to one action per control step.
 *
 * Without ensembling (LeRobot's n_action_steps): a chunk of T actions is predicted, the first
 * n ≤ T are executed in order, then the policy runs again.
 *
 * With temporal ensembling (ACT, Zhao et al. 2023): the policy runs every step; each step's
 * action is the weighted mean of every prediction made for that step so far, weight wᵢ =
 * exp(−c·i) with i = 0 the oldest prediction — c > 0 trusts older predictions more (ACT's 0.01),
 * c = 0 is the plain mean (SimplerEnv's setting), c < 0 favours new ones. LeRobot's
 * ACTTemporalEnsembler computes the same online.
 */
export interface ActionSelector {
  /** True when the next step needs a new chunk from the policy. */
  needsInference(): boolean;
  /** A chunk of `horizon` actions of `dim` values each (row-major, already de-normalised). */
  push(chunk: ArrayLike<number>, horizon: number): void;
  /** The action for this step; throws if no chunk covers it. */
  next(): Float64Array;
  /** Forget everything (a new episode). */
  reset(): void;
}

/** Executes the first `nActionSteps` actions of each chunk (all of a shorter one). */
export class ChunkQueue implements ActionSelector {
  private queue: Float64Array[] = [];

  constructor(
    private readonly dim: number,
    private readonly nActionSteps: number,
  ) {
    if (!Number.isInteger(nActionSteps) || nActionSteps < 1) throw new RangeError(`n_action_steps must be a whole number ≥ 1, got ${nActionSteps}`);
  }

  needsInference(): boolean {
    return this.queue.length === 0;
  }

  push(chunk: ArrayLike<number>, horizon: number): void {
    checkChunk(chunk, horizon, this.dim);
    this.queue = [];
    // A chunk shorter than n (the real-time loop drops actions whose time has passed) runs whole.
    for (let t = 0; t < Math.min(this.nActionSteps, horizon); t++) this.queue.push(Float64Array.from({ length: this.dim }, (_, a) => chunk[t * this.dim + a]!));
  }

  next(): Float64Array {
    const action = this.queue.shift();
    if (!action) throw new Error('no action queued: run the policy first');
    return action;
  }

  reset(): void {
    this.queue = [];
  }
}

/** ACT's temporal ensembling: a chunk every step, each step's action the weighted mean of its predictions. */
export class TemporalEnsembler implements ActionSelector {
  /** For each future step (index 0 = the next): Σ wᵢ·aᵢ, Σ wᵢ and the number of predictions. */
  private pending: { sum: Float64Array; weight: number; count: number }[] = [];
  private fresh = false;

  constructor(
    private readonly dim: number,
    private readonly coefficient: number,
  ) {
    if (!Number.isFinite(coefficient)) throw new RangeError(`the temporal ensembling coefficient must be a finite number, got ${coefficient}`);
  }

  needsInference(): boolean {
    return !this.fresh;
  }

  push(chunk: ArrayLike<number>, horizon: number): void {
    checkChunk(chunk, horizon, this.dim);
    for (let t = 0; t < horizon; t++) {
      let entry = this.pending[t];
      if (!entry) {
        entry = { sum: new Float64Array(this.dim), weight: 0, count: 0 };
        this.pending[t] = entry;
      }
      const w = Math.exp(-this.coefficient * entry.count);
      for (let a = 0; a < this.dim; a++) entry.sum[a]! += w * chunk[t * this.dim + a]!;
      entry.weight += w;
      entry.count++;
    }
    this.fresh = true;
  }

  next(): Float64Array {
    const entry = this.pending.shift();
    if (!entry || !this.fresh) throw new Error('no action for this step: run the policy first (ensembling needs a chunk every step)');
    this.fresh = false;
    return entry.sum.map((v) => v / entry.weight);
  }

  reset(): void {
    this.pending = [];
    this.fresh = false;
  }
}

function checkChunk(chunk: ArrayLike<number>, horizon: number, dim: number): void {
  if (chunk.length !== horizon * dim) throw new RangeError(`an action chunk of ${horizon} × ${dim} needs ${horizon * dim} values, got ${chunk.length}`);
  for (let i = 0; i < chunk.length; i++) {
    if (!Number.isFinite(chunk[i]!)) throw new RangeError(`the action chunk has a value that is not a finite number (${chunk[i]}) at step ${Math.floor(i / dim)}, dimension ${i % dim}`);
  }
}

/**
 * The release verdict: one word for "may the candidate policy replace the baseline?", from a
 * comparison (compareSuccessRates, comparePaired or the like; the candidate is A).
 *
 * A test that is not significant is not evidence that nothing changed: with few episodes the
 * interval is wide enough to hide a large regression. So "held" needs the 95% interval of the
 * difference to lie within ±margin; a non-significant comparison with a wider interval is
 * "underpowered" — run more episodes (plan.ts says how many). docs/STATISTICS.md has the reasoning.
 */

export type ReleaseVerdict = 'improved' | 'regressed' | 'held' | 'underpowered';

export interface VerdictInput {
  /** candidate − baseline success rate. */
  difference: number;
  /** 95% interval for the difference. */
  ci95: [number, number];
  /** The test rejected "both succeed equally often". */
  significant: boolean;
}

/**
 * - regressed: significant, and the candidate does worse;
 * - improved: significant, and the candidate does better;
 * - held: not significant, and the whole interval lies within [−margin, +margin];
 * - underpowered: not significant, and the interval reaches beyond ±margin.
 */
export function releaseVerdict(comparison: VerdictInput, margin = 0.1): ReleaseVerdict {
  if (!(margin > 0 && margin < 1)) throw new RangeError(`releaseVerdict: margin: expected a number between 0 and 1, got ${margin}`);
  const { difference, ci95, significant } = comparison;
  if (significant) {
    if (difference < 0) return 'regressed';
    if (difference > 0) return 'improved';
  }
  return ci95[0] >= -margin && ci95[1] <= margin ? 'held' : 'underpowered';
}

/**
 * Occlusion as one number: the share of an object's unoccluded footprint that the renderer shows.
 * The footprint is counted on the CPU and the visible pixels on the GPU; pixel centres exactly on
 * an edge can fall differently, so the raw ratio may pass 1 by a hair and is clamped.
 */

/** visible / unoccluded in [0, 1]; 1 when something is visible that the footprint missed entirely, 0 when nothing is. */
export function visibleFraction(visible: number, unoccluded: number): number {
  if (!(visible > 0)) return 0;
  if (!(unoccluded > 0)) return 1;
  return Math.min(1, visible / unoccluded);
}

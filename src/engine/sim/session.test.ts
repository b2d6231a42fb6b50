import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimSession } from './session.ts';

describe('SimSession with robots held by their controllers', () => {
  it('keeps the Panda at its home pose (gravity compensated), where plain physics lets the wrist sag', async () => {
    const bytes = readFileSync(new URL('../../../scenes/panda_tabletop.usda', import.meta.url));
    const handAfter = async (robots: boolean) => {
      const session = new SimSession(undefined, { robots });
      const summary = await session.load(bytes, 'panda_tabletop.usda');
      const i = summary.movingBodies.indexOf('/World/Panda/hand');
      const before = Array.from(session.poses().slice(i * 7, i * 7 + 3));
      session.step(480);
      const after = Array.from(session.poses().slice(i * 7, i * 7 + 3));
      session.reset();
      session.step(240);
      const afterReset = Array.from(session.poses().slice(i * 7, i * 7 + 3));
      session.dispose();
      return { moved: Math.hypot(...after.map((v, k) => v - before[k]!)), movedAfterReset: Math.hypot(...afterReset.map((v, k) => v - before[k]!)) };
    };
    const held = await handAfter(true);
    expect(held.moved).toBeLessThan(1e-4);
    expect(held.movedAfterReset).toBeLessThan(1e-4);
    const plain = await handAfter(false);
    expect(plain.moved).toBeGreaterThan(held.moved);
  });
});

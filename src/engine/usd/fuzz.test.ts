/**
 * Malformed input never crashes or hangs the importer: every input either imports (perhaps with
 * warnings) or fails with an InputError naming the file. Mutations are seeded, so a failure here
 * reproduces exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { PhysicsWorld } from '../physics/world.ts';
import { seededRandom, usdaLayer } from '../testing/usda.ts';

const TABLETOP = readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url), 'utf8');
const FILE = 'fuzzed.usda';

async function outcome(bytes: Uint8Array): Promise<'imported' | 'rejected'> {
  try {
    await loadSceneFile(bytes, FILE);
    return 'imported';
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message.startsWith(`${FILE}: `)).toBe(true);
    // The importer's own bugs surface as "internal error"; malformed input must never reach one.
    expect((e as InputError).message).not.toMatch(/internal error/);
    return 'rejected';
  }
}

const encode = (s: string) => new TextEncoder().encode(s);

function mutate(text: string, random: () => number): string {
  const at = Math.floor(random() * text.length);
  const span = 1 + Math.floor(random() * 40);
  const tokens = ['{', '}', '(', ')', '[', ']', '"', '=', '<', '>', '@', '\n', 'def Cube "X"', '-inf', 'nan', '1e309', ',', ':', '#'];
  switch (Math.floor(random() * 5)) {
    case 0: // delete a span
      return text.slice(0, at) + text.slice(at + span);
    case 1: // insert a token
      return text.slice(0, at) + tokens[Math.floor(random() * tokens.length)] + text.slice(at);
    case 2: // duplicate a span elsewhere
      return text.slice(0, at) + text.slice(at, at + span) + text.slice(at);
    case 3: // truncate
      return text.slice(0, at);
    default: {
      // replace digits with other numbers, possibly absurd ones
      const values = ['0', '-1', '1e38', '-1e-30', '99999999'];
      return text.replace(/\d+(\.\d+)?/g, (m) => (random() < 0.05 ? values[Math.floor(random() * values.length)]! : m));
    }
  }
}

describe('fuzzing the USD importer', () => {
  it('survives 400 seeded mutations of the tabletop scene', async () => {
    const random = seededRandom(2026);
    const counts = { imported: 0, rejected: 0 };
    for (let i = 0; i < 400; i++) {
      let text = TABLETOP;
      const rounds = 1 + Math.floor(random() * 3);
      for (let r = 0; r < rounds; r++) text = mutate(text, random);
      const result = await outcome(encode(text));
      counts[result]++;
      // What imports must also build a physics world and step it without throwing.
      if (result === 'imported' && i % 20 === 0) {
        const world = await PhysicsWorld.create((await loadSceneFile(encode(text), FILE)).document);
        world.step(10);
        world.free();
      }
    }
    // Both paths are exercised: the fuzzer is neither too gentle nor too destructive.
    expect(counts.imported).toBeGreaterThan(20);
    expect(counts.rejected).toBeGreaterThan(20);
  });

  it('rejects random bytes of any length', async () => {
    const random = seededRandom(99);
    for (let i = 0; i < 200; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256));
      expect(await outcome(bytes)).toBe('rejected');
    }
  });

  it('rejects every truncation of a USDA file at a brace or inside a prim', async () => {
    for (let cut = 200; cut < TABLETOP.length - 10; cut += 97) {
      const text = TABLETOP.slice(0, cut);
      if (/\}\s*$/.test(text) && text.split('{').length === text.split('}').length) continue; // a whole prefix is valid USDA
      expect(await outcome(encode(text))).toBe('rejected');
    }
  });

  it('handles pathological structure: deep nesting, self references, huge and non-finite numbers', async () => {
    const deep = usdaLayer(`${'def Xform "X" {\n'.repeat(300)}${'}\n'.repeat(300)}`);
    await expect(loadSceneFile(encode(deep), FILE)).rejects.toThrow(/deeper than 256 levels/);

    const selfReferencing = usdaLayer(`
      def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsFilteredPairsAPI", "MaterialBindingAPI"]) {
          rel physics:filteredPairs = </A>
          rel material:binding:physics = </A>
          rel material:binding = </A>
      }
      def PhysicsFixedJoint "J" { rel physics:body0 = </J>\n rel physics:body1 = </A> }
      def PhysicsCollisionGroup "G" { rel collection:colliders:includes = </G>\n rel physics:filteredGroups = </G> }`);
    expect(await outcome(encode(selfReferencing))).toBe('imported');

    const absurd = usdaLayer(`
      def Sphere "S" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"]) {
          double radius = 1e309
          float physics:mass = -inf
          vector3f physics:velocity = (nan, inf, 0)
          double3 xformOp:translate = (1e308, -1e308, 0)
          uniform token[] xformOpOrder = ["xformOp:translate"]
      }`);
    // Values past the scene's bounds (a position of 1e308 m) are refused, naming the prim and field.
    expect(await outcome(encode(absurd))).toBe('rejected');
    await expect(loadSceneFile(encode(absurd), FILE)).rejects.toThrow(/^fuzzed\.usda: invalid scene document at prims\[0\]\.transform\.position\[0\]: .*1e\+30 \(\/S\)/);
  });
});

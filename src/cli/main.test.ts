import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { seededRandom, usdaLayer } from '../engine/testing/usda.ts';
import { runCli } from './testing/runCli.ts';

const TABLETOP = new URL('../../scenes/tabletop.usda', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'simloop-cli-'));

const run = runCli;

function file(name: string, content: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

describe('simloop inspect --json', () => {
  it('follows the documented contract on the tabletop scene', async () => {
    const { code, stdout, stderr } = await run('inspect', TABLETOP, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(Object.keys(r)).toEqual(['source', 'authored', 'gravity', 'bodies', 'joints', 'cameras', 'warnings']);
    expect(r.source).toBe(TABLETOP);
    expect(r.authored).toEqual({ metersPerUnit: 1, kilogramsPerUnit: 1, upAxis: 'Z' });
    expect(r.gravity).toEqual([0, -9.81, 0]);
    for (const b of r.bodies) {
      expect(Object.keys(b)).toEqual(['path', 'type', 'position', 'orientation', 'mass', 'label', 'colliders']);
      expect(b.position).toHaveLength(3);
      expect(b.orientation).toHaveLength(4);
      for (const c of b.colliders) {
        expect(['box', 'sphere', 'capsule', 'cylinder', 'cone', 'convexHull', 'trimesh', 'plane']).toContain(c.shape);
        expect(Object.keys(c)).toEqual(['shape', 'material']);
      }
    }
    const byPath = new Map(r.bodies.map((b: { path: string }) => [b.path, b]));
    // A table (static, 5 boxes, wooden), objects authored in Z-up now in Y-up metres.
    expect(byPath.get('/World/Table')).toMatchObject({ type: 'static', label: 'table', mass: null });
    expect((byPath.get('/World/Table') as { colliders: unknown[] }).colliders).toHaveLength(5);
    expect(byPath.get('/World/Objects/RedCube')).toMatchObject({
      type: 'dynamic',
      position: [-0.3, 0.9, -0.15],
      mass: 0.2,
      label: 'cube',
      colliders: [{ shape: 'box', material: { staticFriction: 0.9, dynamicFriction: 0.8, restitution: 0.1 } }],
    });
    // Steel density 7850 kg/m³ × π·0.033²·0.12 m³
    expect((byPath.get('/World/Objects/GreenCan') as { mass: number }).mass).toBeCloseTo(7850 * Math.PI * 0.033 ** 2 * 0.12, 3);
    expect(byPath.get('/World/GroundPlane')).toMatchObject({ type: 'static', colliders: [{ shape: 'plane', material: null }] });
    expect(byPath.get('/World/Objects/PurpleWedge')).toMatchObject({ colliders: [{ shape: 'convexHull' }] });
    expect(r.cameras).toHaveLength(1);
    expect(r.cameras[0].path).toBe('/World/Camera');
    expect(r.cameras[0].fovY).toBeCloseTo((2 * Math.atan(15.2908 / 48) * 180) / Math.PI, 3);
    expect(r.cameras[0].position).toEqual([1.6, 1.5, 1.6]);
    expect(r.warnings).toEqual([]);
  });

  it('reports joints with their bodies, and null for the world side', async () => {
    const path = file('hinge.usda', usdaLayer(`
      def Cube "Door" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) { }
      def PhysicsRevoluteJoint "Hinge" { rel physics:body1 = </Door> }`));
    const r = JSON.parse((await run('inspect', path, '--json')).stdout);
    expect(r.joints).toEqual([{ path: '/Hinge', type: 'revolute', body0: null, body1: '/Door' }]);
  });
});

describe('the same contract for every USD format', () => {
  const fixture = (name: string) => new URL(`../../scenes/fixtures/${name}`, import.meta.url).pathname;

  it('a USDZ package of the tabletop reports the same bodies, joints and cameras as the USDA', async () => {
    const usda = JSON.parse((await run('inspect', TABLETOP, '--json')).stdout);
    const usdz = JSON.parse((await run('inspect', fixture('tabletop.usdz'), '--json')).stdout);
    expect(usdz.bodies).toEqual(usda.bodies);
    expect(usdz.cameras).toEqual(usda.cameras);
    expect(usdz.authored).toEqual(usda.authored);
  });

  it('a USDC authored in centimetres and Z-up reports metres, Y-up and its joint', async () => {
    const { code, stdout } = await run('inspect', fixture('hinge-cm-zup.usdc'), '--json');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r.authored).toEqual({ metersPerUnit: 0.01, kilogramsPerUnit: 0.001, upAxis: 'Z' });
    expect(r.gravity).toEqual([0, -9.81, 0]);
    expect(r.joints.map((j: { type: string }) => j.type)).toContain('revolute');
  });

  it('a URDF reads its STL, OBJ and COLLADA meshes from beside it (package:// and relative paths); only the missing one is a stand-in', async () => {
    const { code, stdout } = await run('inspect', new URL('../../scenes/fixtures/urdf/test_arm.urdf', import.meta.url).pathname, '--json');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    const forearm = r.bodies.find((b: { path: string }) => b.path === '/test_arm/forearm');
    expect(forearm.colliders.map((c: { shape: string }) => c.shape)).toEqual(['convexHull']);
    const meshWarnings = r.warnings.filter((w: string) => / mesh "/.test(w));
    expect(meshWarnings).toEqual(['link "hand": visual mesh "package://test_arm/meshes/missing_gripper.stl" was not found; using a stand-in: the link\'s collision geometry']);
  });

  it('an MJCF model reads its meshes from its meshdir, and the text report says what robot Simloop infers', async () => {
    const model = new URL('../../scenes/robots/so101/so101_new_calib.xml', import.meta.url).pathname;
    const json = JSON.parse((await run('inspect', model, '--json')).stdout);
    expect(json.joints.map((j: { path: string }) => j.path)).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'].map((n) => `/so101_new_calib/joints/${n}`));
    expect(json.warnings.filter((w: string) => /not found/.test(w))).toEqual([]);
    const { code, stdout } = await run('inspect', model);
    expect(code).toBe(0);
    expect(stdout).toContain(
      [
        '  robot /so101_new_calib/base (inferred; a *.robot.yaml profile overrides):',
        '    arm: 5 joints from /so101_new_calib/base (the longest chain): shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, wrist_roll',
        '    gripper: revolute jaw gripper, open at 1.7453, closed at -0.1745',
        '    tool frame: /so101_new_calib/gripper/gripperframe',
      ].join('\n'),
    );
  });

  it('truncated USDZ and USDC files exit 2 with one line', async () => {
    for (const name of ['tabletop.usdz', 'hinge-cm-zup.usdc']) {
      const bytes = readFileSync(fixture(name));
      const r = await run('inspect', file(`cut-${name}`, bytes.subarray(0, Math.floor(bytes.length * 0.6))));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`cut-${name.replace('.', '\\.')}: corrupt or truncated`));
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('simloop simulate --json', () => {
  it('steps the tabletop: every object settles on the table top (0.775 m) at rest', async () => {
    const { code, stdout } = await run('simulate', TABLETOP, '--seconds', '2', '--json');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r.time).toBeCloseTo(2, 9);
    expect(r.bodies.map((b: { path: string }) => b.path)).toEqual([
      '/World/Objects/RedCube',
      '/World/Objects/BlueBall',
      '/World/Objects/GreenCan',
      '/World/Objects/YellowCapsule',
      '/World/Objects/OrangeCone',
      '/World/Objects/PurpleWedge',
    ]);
    const restingCentre: Record<string, number> = {
      '/World/Objects/RedCube': 0.775 + 0.03,
      '/World/Objects/BlueBall': 0.775 + 0.035,
      '/World/Objects/GreenCan': 0.775 + 0.06,
      '/World/Objects/YellowCapsule': 0.775 + 0.025,
      '/World/Objects/OrangeCone': 0.775 + 0.05,
      '/World/Objects/PurpleWedge': 0.775,
    };
    for (const b of r.bodies) {
      expect(Object.keys(b)).toEqual(['path', 'position', 'orientation', 'linearVelocity']);
      expect(Math.abs(b.position[1] - restingCentre[b.path]!)).toBeLessThan(0.005);
      expect(Math.hypot(...b.linearVelocity)).toBeLessThan(0.01);
    }
  });

  it('honours --dt, and an object in free fall in a centimetre Z-up file falls in metres', async () => {
    const path = file('fall-cm.usda', usdaLayer(`
      def Sphere "Ball" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
          double radius = 5
          double3 xformOp:translate = (0, 0, 1000)
          uniform token[] xformOpOrder = ["xformOp:translate"]
      }`, { metersPerUnit: 0.01, upAxis: 'Z' }));
    const r = JSON.parse((await run('simulate', path, '--seconds', '0.5', '--dt', '0.001', '--json')).stdout);
    expect(r.time).toBeCloseTo(0.5, 9);
    const [ball] = r.bodies;
    expect(ball.linearVelocity[1]).toBeCloseTo(-9.80665 * 0.5, 3);
    expect(ball.position[1]).toBeCloseTo(10 - 0.5 * 9.80665 * 0.25, 2);
  });
});

describe('bad input: one line on stderr naming the file, exit status 2', () => {
  const expectOneLine = (r: { code: number; stdout: string; stderr: string }, pattern: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('a missing file', async () => {
    expectOneLine(await run('inspect', '/nonexistent/scene.usda', '--json'), /\/nonexistent\/scene\.usda: no such file/);
  });

  it('a directory', async () => {
    expectOneLine(await run('inspect', tmp), /not a regular file/);
  });

  it('an empty file', async () => {
    expectOneLine(await run('inspect', file('empty.usda', '')), /empty\.usda: file is empty/);
  });

  it('random bytes', async () => {
    const random = seededRandom(7);
    const bytes = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256));
    expectOneLine(await run('inspect', file('noise.usdc', bytes)), /noise\.usdc: not a USD file/);
  });

  it('a truncated USDA', async () => {
    const text = readFileSync(TABLETOP, 'utf8');
    expectOneLine(await run('simulate', file('cut.usda', text.slice(0, text.length / 2)), '--seconds', '1'), /cut\.usda: line \d+: expected .*, found end of file \(truncated file\?\)/);
  });

  it('a file that is not USD at all', async () => {
    expectOneLine(await run('inspect', file('model.obj', 'v 0 0 0\nv 1 0 0\nf 1 2 3\n')), /model\.obj: not a USD file/);
  });

  it('a scene document with a wrong field', async () => {
    expectOneLine(await run('inspect', file('doc.json', JSON.stringify({ schema: 'simloop.scene', version: 1, gravity: 'down' }))), /doc\.json: invalid scene document at /);
  });

  it('bad arguments', async () => {
    expectOneLine(await run('simulate', TABLETOP), /--seconds is required/);
    expectOneLine(await run('simulate', TABLETOP, '--seconds', '0'), /--seconds must be a positive number/);
    expectOneLine(await run('simulate', TABLETOP, '--seconds', '-1'), /--seconds/);
    expectOneLine(await run('frobnicate', TABLETOP), /unknown command "frobnicate"/);
    expectOneLine(await run('inspect'), /exactly one scene file/);
  });
});

describe('the installed command', () => {
  it('runs through bin/simloop.mjs, as `npx simloop` does', async () => {
    const bin = new URL('../../bin/simloop.mjs', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'inspect', TABLETOP, '--json']);
    expect(JSON.parse(stdout).bodies).toHaveLength(8);
    const failure = await promisify(execFile)(process.execPath, [bin, 'inspect', '/nonexistent.usda']).catch((e) => e);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe('simloop: /nonexistent.usda: no such file\n');
  });

  it('runs from a JavaScript build of the sources, rebuilt when a source it was built from changes', async () => {
    const bin = new URL('../../bin/simloop.mjs', import.meta.url).pathname;
    const current = new URL('../../node_modules/.cache/simloop-cli/current.json', import.meta.url);
    const built = () => JSON.parse(readFileSync(current, 'utf8')) as { build: string; files: Record<string, string> };
    const help = (env: Record<string, string> = {}) => promisify(execFile)(process.execPath, [bin, '--help'], { env: { ...process.env, ...env } });
    const fromBuild = await help();
    const first = built();
    expect(Object.keys(first.files)).toEqual(expect.arrayContaining(['src/cli/main.ts', 'src/engine/errors.ts']));
    expect(existsSync(new URL(`../../node_modules/.cache/simloop-cli/${first.build}/main.mjs`, import.meta.url))).toBe(true);
    // The same output as the TypeScript sources run directly.
    expect(fromBuild.stdout).toBe((await help({ SIMLOOP_CLI_FROM_SOURCE: '1' })).stdout);
    expect(fromBuild.stdout).toMatch(/^usage:\n {2}simloop inspect/);
    // A source of the build changes (its modification time here): the next run builds again.
    const source = new URL('./inputFile.ts', import.meta.url);
    const { atime, mtime } = statSync(source);
    try {
      utimesSync(source, atime, new Date(mtime.getTime() + 5000));
      await help();
      expect(built().build).not.toBe(first.build);
    } finally {
      utimesSync(source, atime, mtime);
    }
  });
});

describe('simloop compare', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simloop-compare-'));
  let runs = 0;
  /** A results.json (and, given outcomes, the episodes.jsonl beside it) as simloop eval writes them. */
  const results = (name: string, successes: number, episodes: number, extra: { seed?: number; outcomes?: boolean[] } = {}) => {
    const folder = join(dir, `${name}-${runs++}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'results.json'), JSON.stringify({ task: 'pick-cube', policy: name, episodes, successes, success_rate: successes / episodes, ...(extra.seed !== undefined ? { seed: extra.seed } : {}) }));
    if (extra.outcomes) writeFileSync(join(folder, 'episodes.jsonl'), extra.outcomes.map((success, episode) => `${JSON.stringify({ episode, seed: extra.seed, success })}\n`).join(''));
    return join(folder, 'results.json');
  };

  it('compares unpaired runs with Fisher`s exact test and Newcombe`s interval, baseline first', async () => {
    // The tea-tasting table (Fisher 1935): 3 of 4 vs 1 of 4, p = 0.4857. Four episodes a side cannot tell.
    let r = await run('compare', results('tea-a', 3, 4), results('tea-b', 1, 4), '--json');
    expect(r.code).toBe(0);
    let json = JSON.parse(r.stdout);
    expect(json.p_value).toBeCloseTo(0.4857, 4);
    expect(json).toMatchObject({ kind: 'unpaired', difference: -0.5, significant: false, test: 'fisher-exact-two-sided', verdict: 'underpowered', baseline: { successes: 3, episodes: 4 }, candidate: { successes: 1, episodes: 4 } });
    expect(json.unpaired_because).toMatch(/no per-episode outcomes/);
    // 70 of 100 against 30 of 100: a clear regression, and the gate fails (exit 1).
    r = await run('compare', '--baseline', results('given', 70, 100), '--candidate', results('swapped', 30, 100));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^regressed: candidate 30\/100 \(30\.0%\) vs baseline 70\/100 \(70\.0%\), difference −40\.0 points \(95% CI −[\d.]+ to −[\d.]+\), unpaired \(.*\), Fisher's exact test p = [\d.e-]+; margin ±10 points\n$/);
    json = JSON.parse((await run('compare', results('given', 70, 100), results('swapped', 30, 100), '--json')).stdout);
    expect(json.p_value).toBeLessThan(1e-7);
  });

  it('pairs runs on the same seed: the same outcomes that Fisher cannot separate, McNemar does', async () => {
    // 40 seeds: both solve 20, neither 10, only the baseline 9, only the candidate 1.
    const baseline = [...Array(20).fill(true), ...Array(10).fill(false), ...Array(9).fill(true), false];
    const candidate = [...Array(20).fill(true), ...Array(10).fill(false), ...Array(9).fill(false), true];
    const a = results('base', 29, 40, { seed: 7, outcomes: baseline });
    const b = results('cand', 21, 40, { seed: 7, outcomes: candidate });
    const r = await run('compare', '--baseline', a, '--candidate', b, '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ kind: 'paired', test: 'mcnemar-exact', table: { both: 20, onlyA: 1, onlyB: 9, neither: 10 }, verdict: 'regressed', difference: -0.2 });
    // Exact McNemar: 2·P(X ≤ 1 | 10, ½) = 2·11/1024.
    expect(json.p_value).toBeCloseTo(22 / 1024, 12);
    // The same counts on different seeds are independent samples: not significant.
    const c = results('cand', 21, 40, { seed: 8, outcomes: candidate });
    const unpaired = JSON.parse((await run('compare', '--baseline', a, '--candidate', c, '--json')).stdout);
    expect(unpaired).toMatchObject({ kind: 'unpaired', significant: false, unpaired_because: 'different seeds (7, 8): different episodes' });
    expect(unpaired.p_value).toBeGreaterThan(0.05);
  });

  it('refuses files that are not eval results, in one line', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ episodes: 10, successes: 12 }));
    const r = await run('compare', bad, results('x', 1, 2));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`simloop: ${bad}: expected 0 ≤ successes ≤ episodes and episodes ≥ 1, got 12 of 10\n`);
    expect((await run('compare', results('x', 1, 2))).stderr).toMatch(/compare takes two results\.json files/);
    // episodes.jsonl that disagrees with its results.json.
    const wrong = results('w', 2, 3, { seed: 1, outcomes: [true, false, false] });
    expect((await run('compare', wrong, results('x', 1, 2))).stderr).toMatch(/episodes\.jsonl: 3 episodes with 1 successes; .*results\.json says 2 of 3\n$/);
  });
});

describe('simloop eval --plan', () => {
  it('says how many episodes find a difference (R power.prop.test and Connor 1987)', async () => {
    // R: power.prop.test(p1 = .50, p2 = .75, power = .90) → n = 76.65, so 77 per policy.
    const r = await run('eval', '--plan', '--difference', '0.25', '--power', '0.9', '--rate', '0.5', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).unpaired_per_policy).toBe(77);
    const text = await run('eval', '--plan', '--difference', '0.1', '--power', '0.8', '--rate', '0.8', '--discordance', '0.15');
    expect(text.stdout).toMatch(/^to detect a change of 0\.1 from a success rate of 0\.8 .* (\d+) seeds run by both policies \(paired, McNemar; discordance 0\.15\), or (\d+) episodes per policy on separate seeds \(unpaired\)\n$/);
    const bad = await run('eval', '--plan', '--difference', '1.5', '--power', '0.8');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--difference: expected a number between 0 and 1, got 1\.5/);
  });
});

describe('--variant chooses a USD variant on the commands that read scenes', () => {
  const scene = new URL('../../scenes/fixtures/variants/scene.usda', import.meta.url).pathname;
  const shapes = (report: { bodies: { path: string; colliders: { shape: string }[] }[] }) =>
    Object.fromEntries(report.bodies.map((b) => [b.path, b.colliders.map((c) => c.shape)]));

  it('inspect reads the authored selection, and the one --variant names instead', async () => {
    const authored = await run('inspect', scene, '--json');
    expect(authored.code).toBe(0);
    expect(shapes(JSON.parse(authored.stdout))['/World/Block/Body']).toEqual(['box']);
    const ball = await run('inspect', scene, '--variant', '/World/Block:shape=ball', '--variant', '/World/Block:look=green', '--json');
    expect(ball.code).toBe(0);
    expect(shapes(JSON.parse(ball.stdout))['/World/Block/Body']).toEqual(['sphere']);
  });

  it('a variant that does not exist, or a malformed choice, is one line naming it and what exists', async () => {
    const missing = await run('inspect', scene, '--variant', '/World/Block:shape=cone');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`simloop: ${scene}: variant /World/Block:shape=cone: "shape" has no variant "cone" (choose one of "box", "ball")\n`);
    const malformed = await run('simulate', scene, '--seconds', '0.1', '--variant', 'shape=ball');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe('simloop: --variant: expected <primPath>:<set>=<name> (e.g. /World/Robot:gripper=parallel), got "shape=ball"\n');
  });
});

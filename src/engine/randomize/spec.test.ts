/** Randomization specs: the bundled one parses, JSON works as well as YAML, and mistakes name their field. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { checkSpecAgainstScene, parseRandomizationSpec, specCameraPaths, specLabels } from './spec.ts';
import { globToRegExp, matchPrims, selectPrims } from './select.ts';

const SPEC_FILE = 'tabletop.randomize.yaml';
const specText = readFileSync(new URL('../../../scenes/tabletop.randomize.yaml', import.meta.url), 'utf8');
const tabletop = (await loadSceneFile(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda')).document;

/** The InputError message a spec text produces (parsing, then checking against the tabletop). */
function problem(text: string): string {
  try {
    checkSpecAgainstScene(parseRandomizationSpec(text, SPEC_FILE), tabletop, SPEC_FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).message;
  }
  throw new Error(`expected a problem with:\n${text}`);
}

const objects = (entry: string) => `version: 1\nobjects:\n  - prims: /World/Objects/*\n${entry}`;

describe('the bundled tabletop spec', () => {
  it('parses and fits the tabletop scene', () => {
    const spec = parseRandomizationSpec(specText, SPEC_FILE);
    expect(() => checkSpecAgainstScene(spec, tabletop, SPEC_FILE)).not.toThrow();
    expect(spec.version).toBe(1);
    expect(spec.sequence_length).toBe(8);
    expect(spec.objects[0]!.prims).toEqual(['/World/Objects/*']);
    expect(spec.objects[0]!.scatter).toMatchObject({ surface: '/World/Table/Top', margin: 0.04, spacing: 0.01, lift: 0.002, attempts: 50, per: 'frame' });
    expect(spec.objects[0]!.rotation!.yaw).toEqual({ kind: 'uniform', min: -180, max: 180, per: 'frame' });
    expect(spec.objects[0]!.material).toEqual({ kind: 'choice', values: ['authored', 'matte_plastic', 'glossy_plastic', 'brushed_metal'], weights: [4, 2, 2, 1], per: 'frame' });
    expect(spec.objects[1]!.texture).toEqual({ kind: 'choice', values: ['wood', 'noise', 'marble'], weights: null, per: 'sequence' });
    expect(spec.physics.gravity).toEqual({ kind: 'normal', mean: [0, -9.81, 0], std: [0, 0.1, 0], min: [0, -10.1, 0], max: [0, -9.5, 0], per: 'frame' });
    expect(spec.cameras[0]!.look_at!.jitter).toEqual({ kind: 'normal', mean: [0, 0, 0], std: [0.03, 0.03, 0.03], min: [-0.08, -0.08, -0.08], max: [0.08, 0.08, 0.08], per: 'frame' });
    expect(spec.settle).toEqual({ seconds: 0.5, rate: 240, until_rest: true });
    expect(specCameraPaths(tabletop, spec)).toEqual(['/World/Camera']);
    expect(specLabels(spec)).toEqual(['distractor']);
  });

  it('reads the same from its JSON equivalent', () => {
    const json = JSON.stringify(parseYaml(specText), null, 2);
    expect(parseRandomizationSpec(json, 'tabletop.randomize.json')).toEqual(parseRandomizationSpec(specText, SPEC_FILE));
  });

  it('fills defaults for a minimal spec', () => {
    const spec = parseRandomizationSpec('version: 1\n', SPEC_FILE);
    expect(spec).toMatchObject({ sequence_length: 1, objects: [], distractors: [], lights: [], cameras: [], materials: {}, settle: { seconds: 0.5, rate: 240 } });
    expect(specCameraPaths(tabletop, spec)).toEqual(['/World/Camera']);
    expect(specCameraPaths(tabletop, null)).toEqual(['/World/Camera']);
  });

  it('accepts every distribution form', () => {
    const spec = parseRandomizationSpec(
      objects(`    scale: 1.1
    roughness: { constant: 0.3, per: sequence }
    metallic: { sequence: [0, 1] }
    color: { normal: { mean: 0.5, std: 0.2, min: 0, max: 1 } }
    texture: checker
`),
      SPEC_FILE,
    );
    const g = spec.objects[0]!;
    expect(g.scale).toEqual({ kind: 'constant', value: 1.1, per: 'frame' });
    expect(g.roughness).toEqual({ kind: 'constant', value: 0.3, per: 'sequence' });
    expect(g.metallic).toEqual({ kind: 'sequence', values: [0, 1], per: 'frame' });
    expect(g.color).toEqual({ kind: 'normal', mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], min: [0, 0, 0], max: [1, 1, 1], per: 'frame' });
    expect(g.texture).toEqual({ kind: 'constant', value: 'checker', per: 'frame' });
  });
});

describe('mistakes are reported with file, field and line', () => {
  it('a prim path that is not one (the schema)', () => {
    expect(problem(objects('    scatter:\n      surface: World/Table\n'))).toBe('tabletop.randomize.yaml: objects[0].scatter.surface: expected a prim path like "/World/Table" (line 5)');
  });

  it('a value of the wrong type', () => {
    expect(problem(objects('    scale: big\n'))).toMatch(/^tabletop\.randomize\.yaml: objects\[0\]\.scale: expected a number > 0 or a distribution such as \{ uniform: \[min, max\] \}/);
    expect(problem(objects('    color: { uniform: [[0, 0, 0], [1, "red", 1]] }\n'))).toMatch(/objects\[0\]\.color\.uniform\[1\]: expected \[x, y, z\] \(or one number for all three\)/);
    expect(problem('version: 1\nsettle: { seconds: soon }\n')).toMatch(/settle\.seconds: expected a number/);
  });

  it('an unknown distribution kind', () => {
    expect(problem(objects('    scale: { gaussian: [1, 0.1] }\n'))).toBe(
      'tabletop.randomize.yaml: objects[0].scale: unknown distribution "gaussian" (expected one of constant, uniform, normal, choice, sequence) (line 4)',
    );
  });

  it('a negative count', () => {
    const scatter = '    scatter: { surface: /World/Table/Top }\n';
    expect(problem(`version: 1\ndistractors:\n  - count: -1\n${scatter}`)).toBe('tabletop.randomize.yaml: distractors[0].count: expected a count ≥ 0 (line 3)');
    expect(problem(`version: 1\ndistractors:\n  - count: { uniform: [-2, 3] }\n${scatter}`)).toBe('tabletop.randomize.yaml: distractors[0].count.uniform[0]: expected a count ≥ 0 (line 3)');
  });

  it('a prim path or pattern the scene does not have', () => {
    expect(problem(objects('    scatter: { surface: /World/Tabel/Top }\n'))).toBe('tabletop.randomize.yaml: objects[0].scatter.surface: /World/Tabel/Top is not a prim in the scene');
    expect(problem('version: 1\nobjects:\n  - prims: /World/Things/*\n    scale: 2\n')).toBe('tabletop.randomize.yaml: objects[0].prims: "/World/Things/*" matches no prim');
    expect(problem('version: 1\ncameras:\n  - prim: /World/Sun\n')).toBe('tabletop.randomize.yaml: cameras[0].prim: /World/Sun is not a camera');
    expect(problem('version: 1\nlights:\n  - prims: /World/Objects/*\n')).toBe('tabletop.randomize.yaml: lights[0].prims: "/World/Objects/*" matches no light');
    expect(problem(objects('    scatter: { surface: /World/Looks }\n'))).toBe('tabletop.randomize.yaml: objects[0].scatter.surface: /World/Looks has no geometry to take bounds from');
    expect(problem('version: 1\ndistractors:\n  - count: 1\n    shape: { choice: [box, /World/Objects/Teapot] }\n    scatter: { surface: /World/Table/Top }\n')).toBe(
      'tabletop.randomize.yaml: distractors[0].shape: /World/Objects/Teapot is not a prim in the scene',
    );
  });

  it('a label no prim carries', () => {
    expect(problem('version: 1\nobjects:\n  - label: banana\n    scale: 2\n')).toBe(
      'tabletop.randomize.yaml: objects[0].label: no prim is labelled "banana" (labels in the scene: ball, can, capsule, cone, cube, table, wedge)',
    );
  });

  it('a misspelt field, an unknown texture or material, inconsistent choices and bounds', () => {
    expect(problem(objects('    scater: { surface: /World/Table/Top }\n'))).toBe('tabletop.randomize.yaml: objects[0].scater: unknown field (line 4)');
    expect(problem(objects('    texture: { choice: [checker, plaid] }\n'))).toMatch(/objects\[0\]\.texture\.choice\[1\]: expected a bundled texture \(checker, stripes/);
    expect(problem(objects('    material: steel\n'))).toBe('tabletop.randomize.yaml: objects[0].material: unknown material "steel" (define it under materials) (line 4)');
    expect(problem(objects('    roughness: { choice: [0.1, 0.2], weights: [1] }\n'))).toMatch(/objects\[0\]\.roughness\.weights: expected 2 weights, one per choice/);
    expect(problem(objects('    scale: { uniform: [2, 1] }\n'))).toMatch(/objects\[0\]\.scale\.uniform: expected min ≤ max/);
    expect(problem(objects('    texture: { uniform: [0, 1] }\n'))).toMatch(/objects\[0\]\.texture\.uniform: a uniform distribution needs numbers/);
    expect(problem(objects('    rotation: { yaw: 10, free: true }\n'))).toMatch(/objects\[0\]\.rotation: give exactly one of yaw/);
    expect(problem(objects('    mass: 1\n    mass_scale: 2\n'))).toMatch(/objects\[0\]\.mass_scale: give mass or mass_scale, not both/);
    expect(problem(objects('    scatter: { surface: /World/Table/Top, volume: /World/Table }\n'))).toMatch(/objects\[0\]\.scatter: give either surface or volume/);
  });

  it('a prim scattered twice, or onto itself', () => {
    const scatter = '    scatter: { surface: /World/Table/Top }\n';
    expect(problem(`version: 1\nobjects:\n  - prims: /World/Objects/RedCube\n${scatter}  - label: cube\n${scatter}`)).toBe(
      'tabletop.randomize.yaml: objects[1].label: /World/Objects/RedCube is already scattered by objects[0]',
    );
    expect(problem(`version: 1\nobjects:\n  - prims: /World/Table\n    scatter: { surface: /World/Table/Top }\n`)).toMatch(/objects\[0\]\.scatter: \/World\/Table cannot be scattered on itself/);
  });

  it('a missing or wrong version, a file that is not a mapping, and broken YAML', () => {
    expect(problem('objects: []\n')).toBe('tabletop.randomize.yaml: version: missing (expected 1, the randomization spec version this Simloop writes) (line 1)');
    expect(problem('version: 2\n')).toBe('tabletop.randomize.yaml: version: 2: this randomization spec was written by a newer Simloop (this one reads versions up to 1); update Simloop to open it (line 1)');
    expect(problem('version: one\n')).toBe('tabletop.randomize.yaml: version: expected a randomization spec version, a whole number from 1 to 1, got "one" (line 1)');
    expect(problem('')).toBe('tabletop.randomize.yaml: a randomization spec must be a mapping starting with "version: 1"');
    expect(problem('version: 1\nobjects:\n  - prims: [/World/Objects/*\n')).toMatch(/^tabletop\.randomize\.yaml: invalid YAML at line \d+, column \d+:/);
    expect(problem('{"version": 1, "objects": [{"prims": "/World/Objects/*", "scale": {"uniform": [1]}}]}')).toMatch(/objects\[0\]\.scale\.uniform: expected \[min, max\]/);
  });
});

describe('prim patterns and labels', () => {
  const paths = (pattern: string) => matchPrims(tabletop.prims, pattern);

  it('* matches within one segment, ** across segments, ? one character', () => {
    expect(paths('/World/Objects/*')).toEqual([
      '/World/Objects/RedCube',
      '/World/Objects/BlueBall',
      '/World/Objects/GreenCan',
      '/World/Objects/YellowCapsule',
      '/World/Objects/OrangeCone',
      '/World/Objects/PurpleWedge',
    ]);
    expect(paths('/World/Table/Leg??')).toEqual(['/World/Table/LegFL', '/World/Table/LegFR', '/World/Table/LegBL', '/World/Table/LegBR']);
    expect(paths('/World/*/Surface')).toEqual([]);
    expect(paths('/World/**/Surface')).toEqual(['/World/Looks/Wood/Surface', '/World/Looks/Floor/Surface']);
    expect(paths('/World/Objects/*Cube')).toEqual(['/World/Objects/RedCube']);
    expect(paths('/World/Camera')).toEqual(['/World/Camera']);
    expect(globToRegExp('/a.b/*').test('/aXb/c')).toBe(false);
  });

  it('selects by label, each prim once, in document order', () => {
    expect(selectPrims(tabletop.prims, { label: ['ball', 'cube'] })).toEqual(['/World/Objects/RedCube', '/World/Objects/BlueBall']);
    expect(selectPrims(tabletop.prims, { prims: ['/World/Objects/BlueBall', '/World/Objects/*Ball'], label: ['ball'] })).toEqual(['/World/Objects/BlueBall']);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import { loadSceneFile } from './load.ts';
import { parseYamlText } from './yamlSpec.ts';
import type { RandomizationSpecInput } from './randomize/spec.ts';
import { makeProject, parseProject, projectRandomization, serializeProject } from './project.ts';

const scene = (await loadSceneFile(readFileSync('scenes/tabletop.usda'), 'scenes/tabletop.usda')).document;
const spec = parseYamlText(readFileSync('scenes/tabletop.randomize.yaml', 'utf8'), 'tabletop.randomize.yaml').value as RandomizationSpecInput;

function failure(text: string): string {
  try {
    parseProject(text, 'my.simloop.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).message;
  }
  throw new Error('parsed');
}

describe('the project file', () => {
  it('reads back what it writes: the scene and the spec as written', () => {
    const project = makeProject(scene, spec);
    const text = serializeProject(project);
    const back = parseProject(new TextEncoder().encode(text), 'my.simloop.json');
    expect(back).toEqual(project);
    expect(serializeProject(back)).toBe(text);
    expect(projectRandomization(back, 'my.simloop.json')?.objects.length).toBeGreaterThan(0);
  });

  it('writes the envelope in order, 2-space indented, keys sorted inside, whatever order they were built in', () => {
    const text = serializeProject(makeProject(scene, null));
    expect(text.split('\n').slice(0, 4)).toEqual(['{', '  "schema": "simloop.project",', '  "version": 1,', '  "scene": {']);
    expect(text.endsWith('  "randomize": null\n}\n')).toBe(true);
    const shuffled = { ...scene, prims: scene.prims.map((p) => Object.fromEntries(Object.entries(p).reverse())) } as typeof scene;
    expect(serializeProject(makeProject(shuffled, null))).toBe(text);
  });

  it('names the file and the field for bad input', () => {
    const good = JSON.parse(serializeProject(makeProject(scene, spec)));
    const with_ = (change: (p: Record<string, any>) => void) => {
      const p = structuredClone(good);
      change(p);
      return JSON.stringify(p);
    };
    expect(failure('{ nope')).toMatch(/^my\.simloop\.json: not a Simloop project: invalid JSON/);
    expect(failure('[]')).toBe('my.simloop.json: not a Simloop project: expected a JSON object');
    expect(failure(with_((p) => (p['schema'] = 'simloop.scene')))).toBe('my.simloop.json: schema: expected "simloop.project", got "simloop.scene"');
    expect(failure(with_((p) => (p['version'] = 2)))).toBe('my.simloop.json: version: 2: this project was written by a newer Simloop (this one reads versions up to 1); update Simloop to open it');
    expect(failure(with_((p) => (p['extra'] = 1)))).toMatch(/^my\.simloop\.json: extra: unknown field/);
    expect(failure(with_((p) => delete p['scene']))).toBe('my.simloop.json: scene: missing (expected a scene document)');
    expect(failure(with_((p) => (p['scene'].prims[3].transform.position[0] = 'far')))).toMatch(/^my\.simloop\.json: scene\.prims\[3\]\.transform\.position\[0\]: .* \(\/World\/Looks\/Rubber\)$/);
    expect(failure(with_((p) => p['scene'].prims.push({ ...p['scene'].prims[1] })))).toMatch(/^my\.simloop\.json: scene\.prims\[\d+\]\.path: duplicate prim path \/World\/physicsScene$/);
    expect(failure(with_((p) => (p['scene'].version = 9)))).toMatch(/^my\.simloop\.json: scene\.version: /);
    expect(failure(with_((p) => (p['randomize'].version = 3)))).toMatch(/^my\.simloop\.json: randomize\.version: 3: this randomization spec was written by a newer Simloop/);
    expect(failure(with_((p) => (p['randomize'].objects[0].scatter.margin = -1)))).toMatch(/^my\.simloop\.json: randomize\.objects\[0\]\.scatter\.margin: /);
    // The spec is checked against the project's own scene.
    expect(failure(with_((p) => (p['randomize'].cameras = [{ prim: '/World/Nowhere' }])))).toBe('my.simloop.json: randomize.cameras[0].prim: /World/Nowhere is not a prim in the scene');
  });

  it('takes a missing spec as none', () => {
    const { randomize: _, ...rest } = makeProject(scene, null);
    expect(parseProject(JSON.stringify(rest), 'p.simloop.json').randomize).toBeNull();
  });

  it('opens as a scene wherever scene files open (loadSceneFile: the studio, generate, inspect), with its errors', async () => {
    const text = serializeProject(makeProject(scene, spec));
    expect((await loadSceneFile(new TextEncoder().encode(text), 'my.simloop.json')).document).toEqual(scene);
    const broken = JSON.parse(text);
    broken.scene.prims[3].transform.position[0] = 'far';
    await expect(loadSceneFile(new TextEncoder().encode(JSON.stringify(broken)), 'my.simloop.json')).rejects.toThrow(/^my\.simloop\.json: scene\.prims\[3\]\.transform\.position\[0\]/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Vector3 } from 'three';
import { loadSceneFile } from '../../engine/load.ts';
import { worldMatrices } from '../../engine/scene/hierarchy.ts';
import { sampleFrame } from '../../engine/randomize/sample.ts';
import { checkSpecAgainstScene, parseRandomizationSpec } from '../../engine/randomize/spec.ts';
import { listRandomized, RANDOMIZABLE, randomizedValue, withRandomized, withRenamedPrim } from './randomized.ts';

const tabletop = (await loadSceneFile(readFileSync('scenes/tabletop.usda'), 'tabletop.usda')).document;
const bundled = readFileSync('scenes/tabletop.randomize.yaml', 'utf8');
const prim = (path: string) => tabletop.prims.find((p) => p.path === path)!;
const valid = (text: string) => checkSpecAgainstScene(parseRandomizationSpec(text, 'r.yaml'), tabletop, 'r.yaml');

describe('randomization marked in the inspector', () => {
  it('adds an entry naming the prim, which the spec parser accepts and generation can run', () => {
    const cube = prim('/World/Objects/RedCube');
    const color = RANDOMIZABLE.find((r) => r.key === 'color')!;
    const text = withRandomized('', 'objects', cube.path, 'color', color.initial(cube, tabletop));
    valid(text);
    const spec = parseRandomizationSpec(text, 'r.yaml');
    expect(spec.objects).toHaveLength(1);
    expect(spec.objects[0]!.prims).toEqual(['/World/Objects/RedCube']);
    const [lo, hi] = (randomizedValue(text, 'objects', cube.path, 'color') as { uniform: number[][] }).uniform;
    cube.material!.color.forEach((c, i) => {
      expect(lo![i]).toBeCloseTo(Math.max(0, c - 0.15), 4);
      expect(hi![i]).toBeCloseTo(Math.min(1, c + 0.15), 4);
    });
  });

  it('keeps the rest of an existing spec, comments included, lists what it randomizes, and edits an entry already there', () => {
    // The bundled spec already randomizes the sun's intensity in an entry of its own: the inspector shows it.
    expect(randomizedValue(bundled, 'lights', '/World/Sun', 'intensity')).toEqual({ uniform: [1.5, 3.0] });
    const withMass = withRandomized(bundled, 'objects', '/World/Objects/RedCube', 'mass', { uniform: [0.1, 0.3] });
    const both = withRandomized(withMass, 'lights', '/World/Sun', 'intensity', { uniform: [1, 3] });
    valid(both);
    const firstComment = bundled.split('\n').find((l) => l.trim().startsWith('#'))!;
    expect(both).toContain(firstComment.trim());
    expect(both).toMatch(/temperature: \{ ?uniform: \[3500, 7500\] ?\}/);
    const parsed = parseRandomizationSpec(both, 'r.yaml');
    expect(parsed.objects.length).toBe(parseRandomizationSpec(bundled, 'r.yaml').objects.length + 1);
    expect(listRandomized(both).filter((r) => r.path === '/World/Objects/RedCube' || r.path === '/World/Sun')).toEqual([
      { group: 'objects', path: '/World/Objects/RedCube', key: 'mass', distribution: { uniform: [0.1, 0.3] } },
      { group: 'lights', path: '/World/Sun', key: 'intensity', distribution: { uniform: [1, 3] } },
    ]);
    // Unmarking removes the key, and the entry once nothing is left in it.
    const back = withRandomized(withMass, 'objects', '/World/Objects/RedCube', 'mass', null);
    expect(parseRandomizationSpec(back, 'r.yaml')).toEqual(parseRandomizationSpec(bundled, 'r.yaml'));
  });

  it('offers each property only where the prim has it', () => {
    const keys = (path: string) => RANDOMIZABLE.filter((r) => r.applies(prim(path))).map((r) => r.key);
    expect(keys('/World/Objects/RedCube')).toEqual(expect.arrayContaining(['color', 'mass', 'friction', 'scale']));
    expect(keys('/World/Sun')).toEqual(['intensity']);
    expect(keys('/World/Camera')).toEqual(['fov']);
    const text = withRandomized('', 'cameras', '/World/Camera', 'fov', { uniform: [40, 50] });
    valid(text);
    expect(listRandomized(text)).toEqual([{ group: 'cameras', path: '/World/Camera', key: 'fov', distribution: { uniform: [40, 50] } }]);
  });

  it('randomizes the texture among the bundled ones, starting with the one it has; the draw replaces the authored texture', async () => {
    const cube = { ...prim('/World/Objects/RedCube'), material: { ...prim('/World/Objects/RedCube').material!, texture: 'wood' as const } };
    const doc = { ...tabletop, prims: tabletop.prims.map((p) => (p.path === cube.path ? cube : p)) };
    const texture = RANDOMIZABLE.find((r) => r.key === 'texture')!;
    const initial = texture.initial(cube, doc) as { choice: string[] };
    expect(initial.choice[0]).toBe('wood');
    expect([...initial.choice].sort()).toEqual(['bricks', 'checker', 'dots', 'grid', 'marble', 'noise', 'none', 'stripes', 'wood']);
    const spec = parseRandomizationSpec(withRandomized('', 'objects', cube.path, 'texture', initial), 'r.yaml');
    const drawn = new Set<string>();
    for (let frame = 0; frame < 40; frame++) {
      const sample = await sampleFrame(doc, spec, { seed: 3, frame });
      const look = sample.scene.prims.find((p) => p.path === cube.path)!.material!;
      // The document carries the draw, and the record agrees; "none" takes the authored one away.
      expect(look.texture ?? 'none').toBe(sample.textures[cube.path] ?? 'none');
      drawn.add(look.texture ?? 'none');
    }
    expect(drawn.size).toBeGreaterThan(6);
    expect(drawn.has('none')).toBe(true);
  });

  it('refuses to rewrite a spec that is not valid YAML, saying where to fix it', () => {
    expect(() => withRandomized('objects: [', 'objects', '/World/Objects/RedCube', 'mass', { uniform: [1, 2] })).toThrow(/not valid YAML .*Randomize panel/);
    expect(listRandomized('objects: [')).toEqual([]);
  });

  it('randomizes pose: placed in a box around where the object stands, and turned about the vertical', () => {
    const cube = prim('/World/Objects/RedCube');
    const property = (key: string) => RANDOMIZABLE.find((r) => r.key === key)!;
    let text = withRandomized('', 'objects', cube.path, 'scatter', property('scatter').initial(cube, tabletop));
    text = withRandomized(text, 'objects', cube.path, 'rotation', property('rotation').initial(cube, tabletop));
    valid(text);
    const entry = parseRandomizationSpec(text, 'r.yaml').objects.find((o) => o.prims?.[0] === cube.path)!;
    const world = new Vector3().setFromMatrixPosition(worldMatrices(tabletop).get(cube.path)!);
    expect(entry.scatter!.volume).toEqual({ min: [expect.closeTo(world.x - 0.05, 4), expect.closeTo(world.y, 4), expect.closeTo(world.z - 0.05, 4)], max: [expect.closeTo(world.x + 0.05, 4), expect.closeTo(world.y, 4), expect.closeTo(world.z + 0.05, 4)] });
    expect(entry.rotation!.yaw).toMatchObject({ kind: 'uniform', min: -180, max: 180 });
    // The spec check says when another entry already places the object (the bundled spec scatters all objects).
    expect(() => valid(withRandomized(bundled, 'objects', cube.path, 'scatter', property('scatter').initial(cube, tabletop)))).toThrow(/already scattered by objects\[0\]/);
  });

  it('renames a prim in the entries that name it or what is under it, patterns included', () => {
    const text = withRandomized(bundled, 'objects', '/World/Objects/RedCube', 'mass', { uniform: [0.1, 0.3] });
    const renamed = withRenamedPrim(text, '/World/Objects', '/World/Things');
    expect(listRandomized(renamed).some((r) => r.path === '/World/Things/RedCube' && r.key === 'mass')).toBe(true);
    expect(renamed).toContain('- prims: /World/Things/*');
    valid(renamed.replaceAll('/World/Things', '/World/Objects'));
    expect(withRenamedPrim(text, '/World/Nothing', '/World/Else')).toBe(text);
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encode as encodePng } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAssetFile, loadSceneFile } from '../engine/load.ts';
import { parseProject, serializeProject, makeProject } from '../engine/project.ts';
import type { SceneDocument } from '../engine/scene/schema.ts';
import { approxDiff } from '../engine/testing/approx.ts';
import { glbBytes } from '../engine/testing/gltf.ts';
import { importUsd } from '../engine/usd/import.ts';
import { extractSubtree } from '../engine/scene/extract.ts';
import { assetLayer } from '../engine/usd/reference.ts';
import { sceneOptionsForFile } from './meshes.ts';

const tmp = mkdtempSync(join(tmpdir(), 'simloop-convert-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BIN = new URL('../../bin/simloop.mjs', import.meta.url).pathname;
const TABLETOP = 'scenes/tabletop.usda';

/** Runs `simloop …` as a person would (bin/simloop.mjs in a child process). */
async function simloop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The document without its `source`, to 1e-9 (transforms pass through matrices on import). */
function sameScene(actual: SceneDocument, expected: SceneDocument): string[] {
  const strip = ({ source: _, ...rest }: SceneDocument) => rest;
  return approxDiff(strip(actual), strip(expected), { rel: 1e-9, abs: 1e-12 });
}

const original = (await loadSceneFile(readFileSync(TABLETOP), TABLETOP)).document;

describe('simloop convert', () => {

  it('USDA → project → USDA gives the scene back, and says what it wrote', async () => {
    const project = join(tmp, 'tabletop.simloop.json');
    const usda = join(tmp, 'tabletop.usda');
    const first = await simloop('convert', TABLETOP, project, '--json');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const bodies = original.prims.filter((p) => p.body).length;
    expect(JSON.parse(first.stdout)).toEqual({ in: TABLETOP, out: project, prims: original.prims.length, bodies, joints: 0, assets: [] });

    const saved = parseProject(readFileSync(project), project);
    expect(saved.randomize).toBeNull();
    expect(approxDiff(saved.scene, original, { rel: 0, abs: 0 })).toEqual([]);

    const second = await simloop('convert', project, usda);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`wrote ${usda}: ${original.prims.length} prims, ${bodies} bodies, 0 joints from ${project}\n`);
    const back = importUsd(readFileSync(usda), usda);
    expect(back.warnings).toEqual([]);
    expect(sameScene(back.document, original)).toEqual([]);
    expect(readdirSync(tmp).sort()).toEqual(['tabletop.simloop.json', 'tabletop.usda']);
  });

  it('keeps references: USDA with its asset layers beside it, USDZ packed, a project holding them; all open to the same scene', async () => {
    // A scene whose robot is a reference to a layer in a folder of its own, with an edit over it.
    const dir = join(tmp, 'referencing');
    mkdirSync(join(dir, 'robots'), { recursive: true });
    const panda = extractSubtree((await loadSceneFile(readFileSync('scenes/panda_tabletop.usda'), 'panda')).document, '/World/Panda');
    writeFileSync(join(dir, 'robots', 'panda.usda'), assetLayer(panda, 'Robot'));
    writeFileSync(
      join(dir, 'scene.usda'),
      '#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n)\ndef Xform "World"\n{\n    def Xform "Arm" (\n        prepend references = @./robots/panda.usda@\n    )\n    {\n        double3 xformOp:translate = (1, 0, 0)\n        uniform token[] xformOpOrder = ["xformOp:translate"]\n        over "Panda" { over "link1" { float physics:mass = 9 } }\n    }\n}\n',
    );
    const source = (await loadSceneFile(readFileSync(join(dir, 'scene.usda')), 'scene.usda', sceneOptionsForFile(join(dir, 'scene.usda')))).document;
    expect(source.references).toEqual([{ prim: '/World/Arm', asset: 'robots/panda.usda', target: null }]);
    expect(source.prims.find((p) => p.path === '/World/Arm/Panda/link1')!.mass).toEqual({ mass: 9 });

    mkdirSync(join(tmp, 'out'));
    const out = join(tmp, 'out', 'scene.usda');
    const usda = await simloop('convert', join(dir, 'scene.usda'), out, '--json');
    expect(usda.code).toBe(0);
    expect(JSON.parse(usda.stdout).assets).toEqual([join(tmp, 'out', 'robots', 'panda.usda')]);
    const root = readFileSync(out, 'utf8');
    expect(root).toContain('prepend references = @./robots/panda.usda@');
    expect(root).toContain('float physics:mass = 9');
    expect(root).not.toContain('panda_link'); // the robot's own prims stay in its layer
    const back = (await loadSceneFile(readFileSync(out), out, sceneOptionsForFile(out))).document;
    expect(sameScene(back, source)).toEqual([]);

    const project = join(tmp, 'out', 'scene.simloop.json');
    expect((await simloop('convert', out, project)).code).toBe(0);
    expect(sameScene(parseProject(readFileSync(project), project).scene, source)).toEqual([]);
    const usdz = join(tmp, 'out', 'scene.usdz');
    expect((await simloop('convert', project, usdz)).code).toBe(0);
    expect(sameScene(importUsd(readFileSync(usdz), 'scene.usdz').document, source)).toEqual([]);

    const flat = join(tmp, 'out', 'flat.usda');
    expect((await simloop('convert', out, flat, '--flatten')).code).toBe(0);
    expect(readFileSync(flat, 'utf8')).not.toContain('references');
    const { references: _r, assets: _a, ...content } = source;
    expect(sameScene(importUsd(readFileSync(flat), 'flat.usda').document, content as SceneDocument)).toEqual([]);
  });

  it('a reference to a layer that is not there is a warning naming the layer, the prim and the file; the rest converts', async () => {
    const dir = join(tmp, 'dangling');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'scene.usda'), '#usda 1.0\ndef Xform "World" (\n    prepend references = @./missing.usda@\n)\n{\n    def Cube "Box" {\n    }\n}\n');
    const result = await simloop('convert', join(dir, 'scene.usda'), join(dir, 'out.usda'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('warning: scene.usda: /World references @./missing.usda@: missing.usda was not given (choose it together with the scene, or open a folder or .usdz package that holds it); its opinions are missing');
    expect(readFileSync(join(dir, 'out.usda'), 'utf8')).toContain('def Cube "Box"');
  });

  it('converts a glTF model to USDA: one body, a Mesh prim per part', async () => {
    const glb = join(tmp, 'crate.glb');
    writeFileSync(glb, glbBytes([{ name: 'Body', size: [0.1, 0.2, 0.3], color: [0.8, 0.1, 0.05, 1] }, { name: 'Lid', size: [0.1, 0.02, 0.3], translation: [0, 0.2, 0], color: [0.1, 0.2, 0.9, 1] }]));
    const usda = join(tmp, 'crate.usda');
    const result = await simloop('convert', glb, usda);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const back = importUsd(readFileSync(usda), usda).document;
    expect(back.prims.filter((p) => p.path.startsWith('/crate')).map((p) => [p.path, p.type, p.body?.type ?? null, p.collider?.approximation ?? null])).toEqual([
      ['/crate', 'Xform', 'dynamic', null],
      ['/crate/Body', 'Mesh', null, 'convexHull'],
      ['/crate/Lid', 'Mesh', null, 'convexHull'],
    ]);
    expect(back.prims.find((p) => p.path === '/crate/Lid')!.material!.color).toEqual([0.1, 0.2, 0.9]);
    rmSync(glb);
    rmSync(usda);
  });

  it('a textured glTF model: its image is written beside the USDA, flattened or not, and in the USDZ; all read back the same', async () => {
    const png = encodePng({ width: 2, height: 1, channels: 3, depth: 8, data: new Uint8Array([250, 10, 10, 10, 10, 250]) });
    const dir = join(tmp, 'textured');
    mkdirSync(dir);
    const glb = join(dir, 'crate.glb');
    writeFileSync(glb, glbBytes([{ name: 'Body', size: [0.1, 0.2, 0.3], color: [1, 1, 1, 1] }], { texture: png }));
    const model = (await loadAssetFile(new Uint8Array(readFileSync(glb)), glb)).document;
    // The model's prims and files (USD adds a PhysicsScene for its gravity, 9.81 rather than Earth's).
    const sameModel = (doc: SceneDocument) => approxDiff([doc.prims.filter((p) => p.path.startsWith('/crate')), doc.assets], [model.prims, model.assets], { rel: 1e-9, abs: 1e-12 });
    for (const [out, flags] of [[join(dir, 'out/crate.usda'), []], [join(dir, 'flat/crate.usda'), ['--flatten']]] as const) {
      const result = await simloop('convert', glb, out, ...flags, '--json');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout).assets).toEqual([join(out, '..', 'textures/albedo.png')]);
      expect(new Uint8Array(readFileSync(join(out, '..', 'textures/albedo.png')))).toEqual(png);
      const back = await loadSceneFile(readFileSync(out), out, sceneOptionsForFile(out));
      expect(back.warnings).toEqual([]);
      expect(sameModel(back.document)).toEqual([]);
    }
    const usdz = join(dir, 'crate.usdz');
    expect((await simloop('convert', glb, usdz)).code).toBe(0);
    expect(sameModel((await loadSceneFile(readFileSync(usdz), usdz)).document)).toEqual([]);
  });

  it('keeps a project’s randomization spec in a project, and says it is dropped from USD', async () => {
    const spec = { version: 1 as const, cameras: [{ prim: '/World/Camera' }] };
    const input = join(tmp, 'with-spec.simloop.json');
    writeFileSync(input, serializeProject(makeProject(original, spec)));
    const copy = join(tmp, 'copy.simloop.json');
    expect((await simloop('convert', input, copy)).code).toBe(0);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(input, 'utf8'));

    const usda = await simloop('convert', input, join(tmp, 'with-spec.usda'));
    expect(usda.code).toBe(0);
    expect(usda.stdout).toContain(`warning: ${input}: the randomization spec has no place in USD`);
  });

  it('refuses an output format it does not write: status 2, one line naming the file, nothing written', async () => {
    for (const [name, message] of [
      ['scene.usdc', 'USDC output is not supported; write .usda or .usdz'],
      ['scene.obj', 'cannot tell the output format from the name; write .usda or .usdz (USD) or .simloop.json (Simloop project)'],
    ] as const) {
      const out = join(tmp, name);
      const result = await simloop('convert', TABLETOP, out);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`simloop: ${out}: ${message}\n`);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('an unreadable input is one line naming it, and leaves no output (not even a partial one)', async () => {
    const garbage = join(tmp, 'garbage.usda');
    writeFileSync(garbage, '#usda 1.0\ndef Xform "World" {\n  def Cube "Box" {\n');
    const badProject = join(tmp, 'bad.simloop.json');
    writeFileSync(badProject, JSON.stringify({ schema: 'simloop.project', version: 1, scene: { ...original, gravity: 'down' }, randomize: null }));
    const cases = [
      [join(tmp, 'missing.usda'), 'no such file'],
      [garbage, 'line 4: expected "}" to close prim "/World/Box", found end of file (truncated file?)'],
      [badProject, 'scene.gravity: '],
    ] as const;
    for (const [input, message] of cases) {
      const out = join(tmp, 'never.usda');
      const result = await simloop('convert', input, out);
      expect(result.code).toBe(2);
      const lines = result.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.startsWith(`simloop: ${input}: ${message}`)).toBe(true);
      expect(existsSync(out)).toBe(false);
    }
    expect(readdirSync(tmp).filter((n) => n.includes('never') || n.includes('.tmp-'))).toEqual([]);
  });

  it('a destination that cannot be written is one line naming it, status 1, and no temporary file is left', async () => {
    const out = join(tmp, 'no-such-folder', 'scene.usda');
    const result = await simloop('convert', TABLETOP, out);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`simloop: ${out}: cannot write (no such file or folder (ENOENT))\n`);
    expect(readdirSync(tmp).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('wants exactly an input and an output', async () => {
    const result = await simloop('convert', TABLETOP);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('simloop: convert takes an input file and an output file (.usda, .usdz or .simloop.json) (see simloop --help)\n');
  });
});

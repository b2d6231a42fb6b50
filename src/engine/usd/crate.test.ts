/**
 * The USDC crate reader (crate.ts): OpenUSD's own crate files read to the exact specs their USDA
 * twins and tests describe; a round trip through the repo's crate writer; every value type of
 * crate version 0.11 from hand-built crates; and malformed input (hostile claims, truncations,
 * random flips) failing as InputError, quickly, without a word on the console.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { InputError } from '../errors.ts';
import { seededRandom } from '../testing/usda.ts';
import { readCrate, readCrateWithWarnings } from './crate.ts';
import { SPEC_TYPE, VALUE_BLOCK, type SdfSpec, type SdfSpecs } from './sdf.ts';
import { encodeIntegers, lz4Frame, writeUsdc, type UsdcAttribute, type UsdcLayer } from '../testing/usdcWriter.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/openusd/${name}`, import.meta.url)));
const asObject = (specs: SdfSpecs): Record<string, SdfSpec> => Object.fromEntries(specs);
const f32 = Math.fround;

// Nothing the reader does may reach the console.
const consoleSpies: MockInstance[] = [];
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) consoleSpies.push(vi.spyOn(console, method));
});
afterAll(() => {
  for (const spy of consoleSpies) {
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  }
});

function rejects(bytes: Uint8Array, pattern?: RegExp): InputError {
  try {
    readCrate(bytes, 'bad.usdc');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).file).toBe('bad.usdc');
    if (pattern) expect((e as InputError).detail).toMatch(pattern);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

// ---------------------------------------------------------------- OpenUSD's crate files

describe('OpenUSD crate files', () => {
  it('clean.usdc (0.8.0): layer metadata, sublayers with offsets, a prepended reference — as its USDA twin clean.usd says', () => {
    expect(asObject(readCrate(fixture('clean.usdc'), 'clean.usdc'))).toEqual({
      '/': {
        specType: SPEC_TYPE.pseudoRoot,
        fields: {
          defaultPrim: 'World',
          metersPerUnit: 0.01,
          subLayers: ['./geom.usdc'],
          subLayerOffsets: [{ offset: 0, scale: 1 }],
          upAxis: 'Y',
          primChildren: ['World'],
        },
      },
      '/World': {
        specType: SPEC_TYPE.prim,
        fields: {
          specifier: 'def',
          references: { listOp: true, prepended: [{ assetPath: './shading.usda', primPath: '/World' }] },
          primChildren: ['scope', 'camera'],
        },
      },
      '/World/scope': { specType: SPEC_TYPE.prim, fields: { specifier: 'def', typeName: 'Scope' } },
      '/World/camera': { specType: SPEC_TYPE.prim, fields: { specifier: 'def', typeName: 'Camera' } },
    });
  });

  it('variants.usdc: variant sets, variants and prims inside variants get Sdf paths', () => {
    const specs = readCrate(fixture('variants.usdc'), 'variants.usdc');
    expect(specs.get('/World')).toEqual({
      specType: SPEC_TYPE.prim,
      fields: {
        specifier: 'def',
        typeName: 'Xform',
        variantSelection: { modeling: 'X' },
        variantSetNames: { listOp: true, added: ['shading', 'modeling'] },
        variantSetChildren: ['shading', 'modeling'],
      },
    });
    expect(specs.get('/World{modeling=}')).toEqual({ specType: SPEC_TYPE.variantSet, fields: { variantChildren: ['X', 'Y'] } });
    expect(specs.get('/World{shading=}')).toEqual({ specType: SPEC_TYPE.variantSet, fields: { variantChildren: ['A', 'B', 'C'] } });
    expect(specs.get('/World{modeling=X}')).toEqual({ specType: SPEC_TYPE.variant, fields: { primChildren: ['X'] } });
    // usdchecker's baseline (variants_failedChecks.txt) names the PointInstancers </World/X/pi>,
    // </World/Y/pi>, </World/A/pi>, </World/B/pi>, </World/C/pi>: one per variant.
    for (const [set, sel] of [['modeling', 'X'], ['modeling', 'Y'], ['shading', 'A'], ['shading', 'B'], ['shading', 'C']]) {
      expect(specs.get(`/World{${set}=${sel}}${sel}`)).toEqual({ specType: SPEC_TYPE.prim, fields: { specifier: 'def', typeName: 'Xform', primChildren: ['pi'] } });
      expect(specs.get(`/World{${set}=${sel}}${sel}/pi`)).toEqual({ specType: SPEC_TYPE.prim, fields: { specifier: 'def', typeName: 'PointInstancer' } });
    }
    expect(specs.size).toBe(19);
  });

  it('crate07SinglePayload.usdc (0.7.0): single payloads read as payload list-ops, as testUsdCratePayloadConversionFromVersion07 expects', () => {
    // singlePayload.usda: payload = @Payload.usda@</Parent>; @Payload2.usda@</Parent>; None; no opinion.
    expect(asObject(readCrate(fixture('crate07SinglePayload.usdc'), 'crate07SinglePayload.usdc'))).toEqual({
      '/': { specType: SPEC_TYPE.pseudoRoot, fields: { primChildren: ['PayloadRef1', 'PayloadRef2', 'PayloadRefNone', 'PayloadNoOpinion'] } },
      '/PayloadRef1': { specType: SPEC_TYPE.prim, fields: { specifier: 'def', payload: { listOp: true, explicit: [{ assetPath: 'Payload.usda', primPath: '/Parent' }] } } },
      '/PayloadRef2': { specType: SPEC_TYPE.prim, fields: { specifier: 'def', payload: { listOp: true, explicit: [{ assetPath: 'Payload2.usda', primPath: '/Parent' }] } } },
      '/PayloadRefNone': { specType: SPEC_TYPE.prim, fields: { specifier: 'def', payload: { listOp: true, explicit: [] } } },
      '/PayloadNoOpinion': { specType: SPEC_TYPE.prim, fields: { specifier: 'def' } },
    });
  });

  it('testUsdCrateRelocates: layer relocates (0.11.0) as testUsdCrateRelocates.py expects, none in the 0.9.0 twin', () => {
    const withRelocates = readCrate(fixture('root_with_relocates.usdc'), 'root_with_relocates.usdc');
    expect(withRelocates.get('/')!.fields['layerRelocates']).toEqual([
      ['/World/Char/Rig/Body/Anim', '/World/Char/Anim/Body'],
      ['/World/Char/Rig/Head/Anim', '/World/Char/Anim/Head'],
    ]);
    const without = readCrate(fixture('root_no_relocates.usdc'), 'root_no_relocates.usdc');
    expect(without.get('/')!.fields).toEqual({ primChildren: ['World'] });
    // Identical otherwise.
    const { '/': _a, ...restWith } = asObject(withRelocates);
    const { '/': _b, ...restWithout } = asObject(without);
    expect(restWith).toEqual(restWithout);
    expect(without.get('/World/Char')!.fields['references']).toEqual({ listOp: true, explicit: [{ assetPath: 'model.usdc', primPath: '/Model' }] });
    // model.usdc: the prims the test traverses under /World/Char once referenced.
    const model = readCrate(fixture('relocates_model.usdc'), 'relocates_model.usdc');
    expect([...model.keys()].sort()).toEqual(['/', '/Model', '/Model/Rig', '/Model/Rig/Body', '/Model/Rig/Body/Anim', '/Model/Rig/Body/Geom', '/Model/Rig/Head', '/Model/Rig/Head/Anim', '/Model/Rig/Head/Geom']);
    expect(model.get('/Model/Rig/Body')!.fields).toEqual({ specifier: 'def', typeName: 'Xform', primChildren: ['Geom', 'Anim'] });
    expect(model.get('/Model/Rig/Head/Geom')!.fields).toEqual({ specifier: 'def', typeName: 'Mesh' });
  });

  it('computeAllDependencies crate.usdc: every asset path its USDA twin ascii.usda writes', () => {
    expect(asObject(readCrate(fixture('computeAllDependencies_crate.usdc'), 'crate.usdc'))).toEqual({
      '/': {
        specType: SPEC_TYPE.pseudoRoot,
        fields: {
          customLayerData: { baseAsset: './base_a.usd', nonExistentAsset: './base_nonexist.usd' },
          subLayers: ['./sub_a.usd', './sub_nonexist.usd'],
          subLayerOffsets: [
            { offset: 0, scale: 1 },
            { offset: 0, scale: 1 },
          ],
          primChildren: ['foo'],
        },
      },
      '/foo': {
        specType: SPEC_TYPE.prim,
        fields: {
          specifier: 'def',
          assetInfo: { meta_a: './meta_a.usd', meta_a_2: './meta_a_nonexist.usd', meta_b: ['./meta_b.usd', './meta_nonexist.usd'] },
          payload: {
            listOp: true,
            explicit: [
              { assetPath: './payload_a.usd', primPath: '' },
              { assetPath: './payload_nonexist.usd', primPath: '' },
              { assetPath: '', primPath: '/LocalPayload' },
            ],
          },
          variantSetNames: { listOp: true, explicit: ['standin'] },
          variantSetChildren: ['standin'],
          primChildren: ['bar'],
          properties: ['attr_a', 'attr_a_2', 'attr_b'],
        },
      },
      '/foo/bar': {
        specType: SPEC_TYPE.prim,
        fields: {
          specifier: 'def',
          clips: { default: { templateAssetPath: './clip.###.usd' } },
          references: {
            listOp: true,
            explicit: [
              { assetPath: './ref_a.usd', primPath: '' },
              { assetPath: './ref_nonexist.usd', primPath: '' },
              { assetPath: '', primPath: '/LocalReference' },
            ],
          },
        },
      },
      '/foo{standin=}': { specType: SPEC_TYPE.variantSet, fields: { variantChildren: ['full'] } },
      '/foo{standin=full}': {
        specType: SPEC_TYPE.variant,
        fields: {
          assetInfo: { v_meta_a: './v_meta_a.usd', v_meta_a_2: './v_meta_a_nonexist.usd', v_meta_b: ['./v_meta_b.usd', './v_meta_nonexist.usd'] },
          references: { listOp: true, explicit: [{ assetPath: './v_ref_a.usd', primPath: '' }] },
          properties: ['v_attr_a', 'v_attr_a_2', 'v_attr_b'],
        },
      },
      '/foo.attr_a': { specType: SPEC_TYPE.attribute, fields: { custom: false, typeName: 'asset', variability: 'varying', default: './attr_a.txt' } },
      '/foo.attr_a_2': { specType: SPEC_TYPE.attribute, fields: { custom: false, typeName: 'asset', variability: 'varying', default: './attr_a_nonexist.txt' } },
      '/foo.attr_b': { specType: SPEC_TYPE.attribute, fields: { custom: false, typeName: 'asset[]', variability: 'varying', default: ['./attr_b.usd', './attr_nonexist.usd'] } },
      '/foo{standin=full}.v_attr_a': { specType: SPEC_TYPE.attribute, fields: { custom: false, typeName: 'asset', variability: 'varying', default: './v_attr_a.txt' } },
      '/foo{standin=full}.v_attr_a_2': { specType: SPEC_TYPE.attribute, fields: { custom: false, typeName: 'asset', variability: 'varying', default: './v_attr_a_nonexist.txt' } },
      '/foo{standin=full}.v_attr_b': { specType: SPEC_TYPE.attribute, fields: { custom: false, typeName: 'asset[]', variability: 'varying', default: ['./v_attr_b.usd', './v_attr_nonexist.usd'] } },
    });
  });

  it('testHasDefiningSpecifier.usdc (0.0.1, uncompressed sections): the def/over tree of its USDA twin', () => {
    const specs = readCrate(fixture('testHasDefiningSpecifier.usdc'), 'testHasDefiningSpecifier.usdc');
    const expected: Record<string, [string, string[]]> = {
      '/a1': ['def', ['a2']],
      '/a1/a2': ['def', ['a3']],
      '/a1/a2/a3': ['over', []],
      '/b1': ['over', ['b2']],
      '/b1/b2': ['def', ['b3']],
      '/b1/b2/b3': ['over', ['b4']],
      '/b1/b2/b3/b4': ['over', ['b5']],
      '/b1/b2/b3/b4/b5': ['over', ['b6']],
      '/b1/b2/b3/b4/b5/b6': ['def', []],
      '/c1': ['def', ['c2']],
      '/c1/c2': ['def', ['c3']],
      '/c1/c2/c3': ['def', ['c4']],
      '/c1/c2/c3/c4': ['over', []],
    };
    expect(specs.get('/')).toEqual({ specType: SPEC_TYPE.pseudoRoot, fields: { primChildren: ['a1', 'b1', 'c1'] } });
    expect(specs.size).toBe(Object.keys(expected).length + 1);
    for (const [path, [specifier, children]] of Object.entries(expected)) {
      expect(specs.get(path)).toEqual({ specType: SPEC_TYPE.prim, fields: children.length ? { specifier, primChildren: children } : { specifier } });
    }
  });

  it('clean_arkit.usdc, clean_flat.usdc and geom.usdc: prims, relationships and attributes', () => {
    const geom = readCrate(fixture('geom.usdc'), 'geom.usdc');
    const flat = readCrate(fixture('clean_flat.usdc'), 'clean_flat.usdc');
    const arkit = readCrate(fixture('clean_arkit.usdc'), 'clean_arkit.usdc');
    // geom.usdc is clean.usd's sublayer: an over of /World holding the geometry.
    expect(geom.get('/World')!.fields).toEqual({
      specifier: 'over',
      apiSchemas: { listOp: true, prepended: ['MaterialBindingAPI'] },
      primChildren: ['geom'],
      properties: ['material:binding:collection:preview:subsets'],
    });
    expect(geom.get('/World/geom')!.fields['primChildren']).toEqual(['mesh', 'sphere', 'cylinder', 'cone', 'points', 'basisCurves', 'capsule', 'cube', 'nurbsCurves']);
    expect(geom.get('/World.material:binding:collection:preview:subsets')).toEqual({
      specType: SPEC_TYPE.relationship,
      fields: { variability: 'uniform', targetPaths: { listOp: true, explicit: ['/World/geom.collection:subsetColl', '/World/material'] } },
    });
    // clean_flat.usdc is the flattened clean.usd: geom.usdc's prims as defs, with the same types ...
    for (const [path, spec] of geom) {
      if (spec.specType !== SPEC_TYPE.prim || path === '/World') continue;
      expect(flat.get(path)?.fields['typeName'], path).toEqual(spec.fields['typeName']);
    }
    expect(flat.get('/World')!.fields['specifier']).toBe('def');
    // ... and shading.usda's shaders with the ids shading.usda gives them.
    const ids: Record<string, string> = {
      '/World/material/nodeGraph/PreviewShader': 'UsdPreviewSurface',
      '/World/material/nodeGraph/PrimvarSt1': 'UsdPrimvarReader_float2',
      '/World/material/pngTex': 'UsdUVTexture',
      '/World/material/jpgTex': 'UsdUVTexture',
      '/World/material/PrimvarSt': 'UsdPrimvarReader_float2',
      '/World/material/PrimvarOcclusion': 'UsdPrimvarReader_float',
    };
    for (const [prim, id] of Object.entries(ids)) {
      expect(flat.get(prim)!.fields['typeName']).toBe('Shader');
      expect(flat.get(`${prim}.info:id`)).toEqual({ specType: SPEC_TYPE.attribute, fields: { custom: false, typeName: 'token', variability: 'uniform', default: id } });
    }
    expect(flat.get('/World/material/pngTex.inputs:file')!.fields).toEqual({ custom: false, typeName: 'asset', variability: 'varying', default: './mat_png.png' });
    expect(flat.get('/World/material/nodeGraph')!.fields['typeName']).toBe('NodeGraph');
    // clean_arkit.usdc: the same scene with the shaders directly under the material.
    expect(arkit.get('/World/material')!.fields['primChildren']).toEqual(['PreviewShader', 'PrimvarSt1', 'pngTex', 'jpgTex', 'PrimvarSt', 'PrimvarOcclusion']);
    expect(arkit.get('/World/geom')!.fields['apiSchemas']).toEqual({ listOp: true, explicit: ['CollectionAPI:subsetColl'] });
    expect(arkit.get('/World/material/jpgTex.inputs:file')!.fields['default']).toBe('./mat_jpg.jpg');
    expect(arkit.get('/')!.fields).toEqual({ defaultPrim: 'World', metersPerUnit: 0.01, upAxis: 'Y', primChildren: ['World'] });
  });

  it('top.geom.usd (0.4.0): time-sampled mesh arrays that agree with one another', () => {
    const specs = readCrate(fixture('top.geom.usd'), 'top.geom.usd');
    expect(specs.get('/')!.fields).toEqual({ defaultPrim: 'Top', endTimeCode: 48, startTimeCode: 48, upAxis: 'Z', primChildren: ['Top'] });
    expect(specs.get('/Top')!.fields).toEqual({ specifier: 'def', typeName: 'Xform', customData: { zUp: false }, kind: 'fxAsset', primChildren: ['mesh_0'] });
    const mesh = '/Top/mesh_0';
    expect(specs.get(mesh)!.fields['properties']).toEqual(['extent', 'faceVertexCounts', 'faceVertexIndices', 'orientation', 'points', 'primvars:displayColor']);
    const sampled = (name: string) => {
      const ts = specs.get(`${mesh}.${name}`)!.fields['timeSamples'] as { times: number[]; values: number[][] };
      expect(ts.times).toEqual([48]);
      return ts.values[0]!;
    };
    const counts = sampled('faceVertexCounts');
    const indices = sampled('faceVertexIndices');
    const points = sampled('points');
    const extent = sampled('extent');
    const colors = sampled('primvars:displayColor');
    expect(counts.length).toBeGreaterThan(100);
    expect(indices.length).toBe(counts.reduce((a, b) => a + b, 0));
    expect(points.length % 3).toBe(0);
    expect(Math.max(...indices)).toBe(points.length / 3 - 1);
    expect(Math.min(...indices)).toBe(0);
    expect(colors.length).toBe(indices.length * 3); // faceVarying
    expect(specs.get(`${mesh}.primvars:displayColor`)!.fields['interpolation']).toBe('faceVarying');
    // The extent bounds the points.
    for (let axis = 0; axis < 3; axis++) {
      const coords = points.filter((_, i) => i % 3 === axis);
      expect(Math.min(...coords)).toBe(extent[axis]);
      expect(Math.max(...coords)).toBeCloseTo(extent[axis + 3]!, 6);
    }
    expect(specs.get(`${mesh}.orientation`)!.fields).toEqual({ custom: false, typeName: 'token', variability: 'uniform', default: 'leftHanded' });
  });

  it('corrupt.usd (testUsdReadOutOfBounds, which OpenUSD refuses to open) is rejected', () => {
    rejects(fixture('corrupt.usd'), /^corrupt or truncated USDC crate file \(/);
  });
});

// ---------------------------------------------------------------- round trip through the repo's writer

describe('round trip with writeUsdc', () => {
  const attrs: UsdcAttribute[] = [
    { name: 'b', typeName: 'bool', value: true },
    { name: 'bs', typeName: 'bool[]', value: [true, false, true] },
    { name: 'uc', typeName: 'uchar', value: 200 },
    { name: 'ucs', typeName: 'uchar[]', value: [0, 255, 7] },
    { name: 'i', typeName: 'int', value: -42 },
    { name: 'is', typeName: 'int[]', value: Array.from({ length: 20 }, (_, k) => k * k - 50) },
    { name: 'u', typeName: 'uint', value: 4_000_000_000 },
    { name: 'us', typeName: 'uint[]', value: Array.from({ length: 20 }, (_, k) => 4_000_000_000 - k * 1000) },
    { name: 'i64', typeName: 'int64', value: -(2 ** 40) + 3 },
    { name: 'i64small', typeName: 'int64', value: -7 },
    { name: 'i64s', typeName: 'int64[]', value: [2 ** 45, -5, 7] },
    { name: 'u64', typeName: 'uint64', value: 2 ** 50 },
    { name: 'u64s', typeName: 'uint64[]', value: [1, 2 ** 52] },
    { name: 'f', typeName: 'float', value: 1.1 },
    { name: 'fs', typeName: 'float[]', value: [0.5, -1.25, 3.3] },
    { name: 'd', typeName: 'double', value: 0.1 },
    { name: 'dsmall', typeName: 'double', value: 0.25 },
    { name: 'ds', typeName: 'double[]', value: [1e300, -0.5] },
    { name: 's', typeName: 'string', value: 'héllo "q"' },
    { name: 'ss', typeName: 'string[]', value: ['a', 'b', 'a'] },
    { name: 't', typeName: 'token', value: 'tok' },
    { name: 'ts', typeName: 'token[]', value: ['x', 'y'] },
    { name: 'a', typeName: 'asset', value: './tex.png' },
    { name: 'as', typeName: 'asset[]', value: ['./a.png', './b c.png'] },
    { name: 'f2', typeName: 'float2', value: [1.5, -2] },
    { name: 'f3', typeName: 'float3', value: [1, 2, 3] },
    { name: 'f4', typeName: 'float4', value: [0.1, 0.2, 0.3, 0.4] },
    { name: 'f3s', typeName: 'float3[]', value: [[1, 2, 3], [4.5, 5, 6]] },
    { name: 'd2', typeName: 'double2', value: [1, -2] },
    { name: 'd3', typeName: 'double3', value: [0.5, 1e10, -3] },
    { name: 'd4', typeName: 'double4', value: [1, 2, 3, 4] },
    { name: 'd3s', typeName: 'double3[]', value: [0, 0.5, 1, 2, 3, 4] },
    { name: 'i2', typeName: 'int2', value: [1, -2] },
    { name: 'i3', typeName: 'int3', value: [100, 200, 300] },
    { name: 'i4', typeName: 'int4', value: [1, 2, 3, 4] },
    { name: 'i3s', typeName: 'int3[]', value: [1, 2, 3, -4, -5, -6] },
    { name: 'qf', typeName: 'quatf', value: [0.1, 0.2, 0.3, 0.9] },
    { name: 'qd', typeName: 'quatd', value: [0, 0, 0.7071067811865476, 0.7071067811865476] },
    { name: 'qfs', typeName: 'quatf[]', value: [0, 0, 0, 1, 0.5, 0.5, 0.5, 0.5] },
    { name: 'm2', typeName: 'matrix2d', value: [1, 2, 3, 4] },
    { name: 'm3', typeName: 'matrix3d', value: [2, 0, 0, 0, 3, 0, 0, 0, -4] },
    { name: 'm4', typeName: 'matrix4d', value: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 10.5, -2, 3, 1] },
    { name: 'm4s', typeName: 'matrix4d[]', value: [...Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 1 : 0)), ...Array.from({ length: 16 }, (_, k) => k)] },
    { name: 'points', typeName: 'point3f[]', value: [0, 0, 0, 1, 0, 0, 0, 1, 0] },
    { name: 'color', typeName: 'color3f', value: [0.2, 0.4, 0.6] },
    { name: 'st', typeName: 'texCoord2f[]', value: [0, 0, 1, 1] },
    { name: 'empty', typeName: 'float[]', value: [] },
    { name: 'declared', typeName: 'float' },
    { name: 'uni', typeName: 'token', value: 'catmullClark', uniform: true },
    { name: 'cust', typeName: 'double', value: 2, custom: true },
    { name: 'inputs:x', typeName: 'float', connections: ['/World/Src.outputs:out'] },
  ];
  const layer: UsdcLayer = {
    metadata: { defaultPrim: 'World', metersPerUnit: 0.01, kilogramsPerUnit: 2, upAxis: 'Z', documentation: 'a doc' },
    prims: [
      { path: '/World', typeName: 'Xform', kind: 'component', apiSchemas: ['MaterialBindingAPI'], attributes: attrs, relationships: [{ name: 'material:binding', targets: ['/World/Mat'] }] },
      { path: '/World/Src', typeName: 'Shader', specifier: 'over', active: false, apiSchemas: { explicit: ['A', 'B'], deleted: [] } },
      { path: '/World/Mat', specifier: 'class', relationships: [{ name: 'r', targets: ['/World', '/World/Src.outputs:out'], custom: true }] },
    ],
  };

  /** What each attribute reads back as: float precision applied, tuples flattened. */
  function expectedDefault(attr: UsdcAttribute): unknown {
    const flat = Array.isArray(attr.value) ? (attr.value as unknown[]).flat() : attr.value;
    const single = /^(float|half)|^(point|normal|vector|color|texCoord)\d+f|quatf/.test(attr.typeName);
    if (single) return Array.isArray(flat) ? (flat as number[]).map(f32) : f32(flat as number);
    return flat;
  }

  for (const openUsdInlining of [false, true]) {
    it(`reads back every value type the writer writes (openUsdInlining: ${openUsdInlining})`, () => {
      const { specs, warnings } = readCrateWithWarnings(writeUsdc(layer, { openUsdInlining }), 'roundtrip.usdc');
      expect(warnings).toEqual([]);
      expect(specs.get('/')).toEqual({
        specType: SPEC_TYPE.pseudoRoot,
        fields: { documentation: 'a doc', defaultPrim: 'World', metersPerUnit: 0.01, kilogramsPerUnit: 2, upAxis: 'Z', primChildren: ['World'] },
      });
      expect(specs.get('/World')).toEqual({
        specType: SPEC_TYPE.prim,
        fields: {
          specifier: 'def',
          typeName: 'Xform',
          apiSchemas: { listOp: true, prepended: ['MaterialBindingAPI'] },
          kind: 'component',
          properties: [...attrs.map((a) => a.name), 'material:binding'],
          primChildren: ['Src', 'Mat'],
        },
      });
      expect(specs.get('/World/Src')!.fields).toEqual({ specifier: 'over', typeName: 'Shader', apiSchemas: { listOp: true, explicit: ['A', 'B'] }, active: false });
      expect(specs.get('/World/Mat')!.fields).toEqual({ specifier: 'class', properties: ['r'] });
      for (const attr of attrs) {
        const fields: Record<string, unknown> = { typeName: attr.typeName };
        if (attr.custom) fields['custom'] = true;
        if (attr.uniform) fields['variability'] = 'uniform';
        if (attr.value !== undefined) fields['default'] = expectedDefault(attr);
        if (attr.connections) fields['connectionPaths'] = { listOp: true, explicit: attr.connections };
        expect(specs.get(`/World.${attr.name}`), attr.name).toEqual({ specType: SPEC_TYPE.attribute, fields });
      }
      expect(specs.get('/World.material:binding')).toEqual({ specType: SPEC_TYPE.relationship, fields: { targetPaths: { listOp: true, explicit: ['/World/Mat'] } } });
      expect(specs.get('/World/Mat.r')).toEqual({ specType: SPEC_TYPE.relationship, fields: { custom: true, targetPaths: { listOp: true, explicit: ['/World', '/World/Src.outputs:out'] } } });
      expect(specs.size).toBe(4 + attrs.length + 2);
    });
  }
});

// ---------------------------------------------------------------- hand-built crates, for what those files lack

const ARRAY = 0x80000000;
const INLINED = 0x40000000;
const COMPRESSED = 0x20000000;

/** Crate type numbers (crateDataTypes.h). */
const TY = {
  Bool: 1, UChar: 2, Int: 3, UInt: 4, Int64: 5, UInt64: 6, Half: 7, Float: 8, Double: 9, String: 10, Token: 11, AssetPath: 12,
  Matrix2d: 13, Matrix3d: 14, Matrix4d: 15, Quatd: 16, Quatf: 17, Quath: 18, Vec2d: 19, Vec2f: 20, Vec2h: 21, Vec2i: 22, Vec3d: 23,
  Vec3f: 24, Vec3h: 25, Vec3i: 26, Vec4d: 27, Vec4f: 28, Vec4h: 29, Vec4i: 30, Dictionary: 31, TokenListOp: 32, StringListOp: 33,
  PathListOp: 34, ReferenceListOp: 35, IntListOp: 36, Int64ListOp: 37, UIntListOp: 38, UInt64ListOp: 39, PathVector: 40,
  TokenVector: 41, Specifier: 42, Permission: 43, Variability: 44, VariantSelectionMap: 45, TimeSamples: 46, Payload: 47,
  DoubleVector: 48, LayerOffsetVector: 49, StringVector: 50, ValueBlock: 51, Value: 52, UnregisteredValue: 53,
  UnregisteredValueListOp: 54, PayloadListOp: 55, TimeCode: 56, PathExpression: 57, Relocates: 58, Spline: 59, AnimationBlock: 60,
} as const;

interface Rep {
  hi: number;
  lo: number;
}

class Sink {
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);
  length = 0;
  private room(n: number): number {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  /** Reserves `n` bytes first, then writes through the (possibly grown) view. */
  private put(n: number, write: (view: DataView, at: number) => void) {
    const at = this.room(n);
    write(this.view, at);
  }
  u8 = (v: number) => this.put(1, (d, at) => d.setUint8(at, v));
  u16 = (v: number) => this.put(2, (d, at) => d.setUint16(at, v, true));
  i16 = (v: number) => this.put(2, (d, at) => d.setInt16(at, v, true));
  u32 = (v: number) => this.put(4, (d, at) => d.setUint32(at, v >>> 0, true));
  i32 = (v: number) => this.put(4, (d, at) => d.setInt32(at, v, true));
  u64 = (v: number) => this.put(8, (d, at) => d.setBigUint64(at, BigInt(v), true));
  i64 = (v: number) => this.put(8, (d, at) => d.setBigInt64(at, BigInt(v), true));
  f32 = (v: number) => this.put(4, (d, at) => d.setFloat32(at, v, true));
  f64 = (v: number) => this.put(8, (d, at) => d.setFloat64(at, v, true));
  raw = (b: Uint8Array) => this.put(b.length, (_, at) => this.bytes.set(b, at));
  rep = (r: Rep) => (this.u32(r.lo), this.u32(r.hi));
  align = () => {
    while (this.length % 8) this.u8(0);
  };
  out = () => this.bytes.slice(0, this.length);
}

/** `uint64 size` + LZ4-framed integer coding, as crate stores compressed integers. */
function compressedInts(w: Sink, values: readonly number[]) {
  const framed = lz4Frame(encodeIntegers(values));
  w.u64(framed.length);
  w.raw(framed);
}

/** 64-bit integer coding (int64 common delta, here 0; int16/int32/int64 deltas), for compressed int64 arrays. */
function compressedInts64(w: Sink, values: readonly bigint[]) {
  const enc = new Sink();
  enc.i64(0);
  const codes = new Uint8Array(Math.floor((values.length * 2 + 7) / 8));
  const ints = new Sink();
  values.forEach((v, i) => {
    const d = BigInt.asIntN(64, v - (i ? values[i - 1]! : 0n));
    let code = 0;
    if (d === 0n) code = 0;
    else if (d >= -32768n && d <= 32767n) (code = 1), ints.i16(Number(d));
    else if (d >= -(2n ** 31n) && d < 2n ** 31n) (code = 2), ints.i32(Number(d));
    else (code = 3), ints.raw(new Uint8Array(new BigInt64Array([d]).buffer));
    codes[i >> 2] = codes[i >> 2]! | (code << ((i & 3) * 2));
  });
  enc.raw(codes);
  enc.raw(ints.out());
  const framed = lz4Frame(enc.out());
  w.u64(framed.length);
  w.raw(framed);
}

const halfBits = (v: number): number => {
  const table: Record<string, number> = { '1': 0x3c00, '-2': 0xc000, '0.5': 0x3800, '65504': 0x7bff, Infinity: 0x7c00, '0': 0, '0.25': 0x3400, '3': 0x4200 };
  const bits = table[String(v)];
  if (bits === undefined) throw new Error(`no half bits for ${v}`);
  return bits;
};

interface PathNode {
  index: number;
  token: string;
  isProperty: boolean;
  children: PathNode[];
}

/**
 * Builds crate files by hand, element by element, the way OpenUSD's CrateFile writes them (values
 * first, then TOKENS, STRINGS, FIELDS, FIELDSETS, PATHS, SPECS and the table of contents), in the
 * compressed layout of 0.4.0 on or the plain one before.
 */
class TestCrate {
  readonly w = new Sink();
  private readonly tokens: string[] = [];
  private readonly strings: number[] = [];
  private readonly root: PathNode = { index: 0, token: '', isProperty: false, children: [] };
  private readonly pathIndex = new Map<string, PathNode>([['/', this.root]]);
  private readonly specs: { path: number; type: number; fields: [string, Rep][] }[] = [];

  constructor(readonly version: readonly [number, number, number] = [0, 11, 0]) {
    this.w.raw(new Uint8Array(88));
    this.token('');
  }

  ver(minor: number) {
    return this.version[1] >= minor;
  }

  private readonly tokenIndex = new Map<string, number>();
  token(s: string): number {
    let i = this.tokenIndex.get(s);
    if (i === undefined) this.tokenIndex.set(s, (i = this.tokens.push(s) - 1));
    return i;
  }
  string(s: string): number {
    const t = this.token(s);
    const i = this.strings.indexOf(t);
    return i >= 0 ? i : this.strings.push(t) - 1;
  }
  /** A slot in the path table that no tree entry fills: OpenUSD's empty SdfPath. */
  emptyPath(): number {
    const index = this.pathIndex.size;
    this.pathIndex.set(`<empty ${index}>`, { index, token: '', isProperty: false, children: [] });
    return index;
  }
  /** Index of a path ("/A{v=x}B.p", "/A.rel[/T]"), adding its ancestors. */
  path(p: string): number {
    const known = this.pathIndex.get(p);
    if (known) return known.index;
    let parent: string;
    let token: string;
    let isProperty = false;
    const last = Math.max(p.lastIndexOf('/'), p.lastIndexOf('}'), p.lastIndexOf(']'));
    const dot = p.indexOf('.', last + 1);
    if (p.endsWith(']')) [parent, token] = [p.slice(0, p.lastIndexOf('[')), p.slice(p.lastIndexOf('['))];
    else if (dot >= 0) [parent, token, isProperty] = [p.slice(0, dot), p.slice(dot + 1), true];
    else if (p.endsWith('}')) [parent, token] = [p.slice(0, p.lastIndexOf('{')), p.slice(p.lastIndexOf('{'))];
    else [parent, token] = [p.slice(0, last + (p[last] === '}' ? 1 : 0)) || '/', p.slice(last + 1)];
    this.path(parent);
    this.token(token);
    const node: PathNode = { index: this.pathIndex.size, token, isProperty, children: [] };
    this.pathIndex.get(parent)!.children.push(node);
    this.pathIndex.set(p, node);
    return node.index;
  }

  inline(type: number, lo: number, flags = 0): Rep {
    return { hi: (INLINED | flags | (type << 16)) >>> 0, lo: lo >>> 0 };
  }
  /** A value written at the current end (8-aligned); `write` appends its bytes. */
  at(type: number, write: (w: Sink) => void, flags = 0): Rep {
    this.w.align();
    const at = this.w.length;
    write(this.w);
    return { hi: (flags | (type << 16) | Math.floor(at / 2 ** 32)) >>> 0, lo: at >>> 0 };
  }
  /** The count that starts an array: a rank before 0.5.0, 32 bits before 0.7.0. */
  arrayCount(w: Sink, n: number) {
    if (!this.ver(5)) w.u32(1);
    if (this.ver(7)) w.u64(n);
    else w.u32(n);
  }
  /** A VtValue in line: an offset to the rep that follows. */
  vtValue(w: Sink, rep: Rep) {
    w.i64(8);
    w.rep(rep);
  }

  spec(path: string, type: number, fields: Record<string, Rep>) {
    this.specs.push({ path: this.path(path), type, fields: Object.entries(fields) });
  }

  /** The file; `patch` replaces the field set table and the specs' field set indexes (for hostile files). */
  build(patch: { fieldSets?: number[]; specFieldSets?: number[] } = {}): Uint8Array {
    const w = this.w;
    const legacy = !this.ver(4);
    const v001 = this.version[1] === 0 && this.version[2] === 1;
    const sections: [string, number, number][] = [];
    const section = (name: string, write: () => void) => {
      w.align();
      const start = w.length;
      write();
      sections.push([name, start, w.length - start]);
    };
    const fieldTokens: number[] = [];
    const fieldReps: Rep[] = [];
    const fieldSets: number[] = [];
    const specFieldSets = this.specs.map((s) => {
      const start = fieldSets.length;
      for (const [name, rep] of s.fields) {
        fieldSets.push(fieldTokens.push(this.token(name)) - 1);
        fieldReps.push(rep);
      }
      fieldSets.push(-1);
      return start;
    });
    if (patch.fieldSets) fieldSets.splice(0, fieldSets.length, ...patch.fieldSets);
    if (patch.specFieldSets) specFieldSets.splice(0, specFieldSets.length, ...patch.specFieldSets);
    const blob = new Sink();
    for (const t of this.tokens) blob.raw(new TextEncoder().encode(`${t}\0`));

    section('TOKENS', () => {
      w.u64(this.tokens.length);
      w.u64(blob.length);
      if (legacy) w.raw(blob.out());
      else {
        const framed = lz4Frame(blob.out());
        w.u64(framed.length);
        w.raw(framed);
      }
    });
    section('STRINGS', () => {
      w.u64(this.strings.length);
      this.strings.forEach(w.u32);
    });
    section('FIELDS', () => {
      w.u64(fieldTokens.length);
      if (legacy) {
        fieldTokens.forEach((t, i) => (w.u32(0), w.u32(t), w.rep(fieldReps[i]!)));
        return;
      }
      compressedInts(w, fieldTokens);
      const reps = new Sink();
      fieldReps.forEach(reps.rep);
      const framed = lz4Frame(reps.out());
      w.u64(framed.length);
      w.raw(framed);
    });
    section('FIELDSETS', () => {
      w.u64(fieldSets.length);
      if (legacy) fieldSets.forEach(w.u32);
      else compressedInts(w, fieldSets);
    });
    section('PATHS', () => {
      w.u64(this.pathIndex.size);
      if (legacy) return this.writePathTree(w, v001);
      const indexes: number[] = [];
      const elements: number[] = [];
      const jumps: number[] = [];
      const visit = (siblings: PathNode[]) =>
        siblings.forEach((node, i) => {
          const entry = indexes.length;
          indexes.push(node.index);
          elements.push(node.isProperty ? -this.token(node.token) : this.token(node.token));
          jumps.push(0);
          const hasChild = node.children.length > 0;
          const hasSibling = i < siblings.length - 1;
          if (hasChild) visit(node.children);
          jumps[entry] = hasChild && hasSibling ? indexes.length - entry : hasChild ? -1 : hasSibling ? 0 : -2;
        });
      visit([this.root]);
      w.u64(indexes.length);
      compressedInts(w, indexes);
      compressedInts(w, elements);
      compressedInts(w, jumps);
    });
    section('SPECS', () => {
      w.u64(this.specs.length);
      if (legacy) {
        this.specs.forEach((s, i) => (v001 && w.u32(0), w.u32(s.path), w.u32(specFieldSets[i]!), w.u32(s.type)));
        return;
      }
      compressedInts(w, this.specs.map((s) => s.path));
      compressedInts(w, specFieldSets);
      compressedInts(w, this.specs.map((s) => s.type));
    });
    w.align();
    const toc = w.length;
    w.u64(sections.length);
    for (const [name, start, size] of sections) {
      const field = new Uint8Array(16);
      field.set(new TextEncoder().encode(name));
      w.raw(field);
      w.i64(start);
      w.i64(size);
    }
    const out = w.out();
    out.set(new TextEncoder().encode('PXR-USDC'), 0);
    out.set(this.version, 8);
    new DataView(out.buffer).setBigInt64(16, BigInt(toc), true);
    return out;
  }

  /** The pre-0.4.0 path tree: headers, with an absolute sibling offset where a node has both. */
  private writePathTree(w: Sink, v001: boolean) {
    const visit = (siblings: PathNode[]) =>
      siblings.forEach((node, i) => {
        const hasChild = node.children.length > 0;
        const hasSibling = i < siblings.length - 1;
        if (v001) w.u32(0);
        w.u32(node.index);
        w.u32(this.token(node.token));
        w.u8((hasChild ? 1 : 0) | (hasSibling ? 2 : 0) | (node.isProperty ? 4 : 0));
        w.raw(new Uint8Array(3));
        let patch = -1;
        if (hasChild && hasSibling) {
          patch = w.length;
          w.i64(0);
        }
        if (hasChild) visit(node.children);
        if (patch >= 0) w.view.setBigInt64(patch, BigInt(w.length), true);
      });
    visit([this.root]);
  }
}

/** A crate with one attribute "/A.x" whose `default` is the rep `make` returns. */
function oneValue(make: (c: TestCrate) => Rep, version?: readonly [number, number, number]): { value: unknown; warnings: string[] } {
  const c = new TestCrate(version);
  const rep = make(c);
  c.spec('/', SPEC_TYPE.pseudoRoot, { primChildren: c.at(TY.TokenVector, (w) => (w.u64(1), w.u32(c.token('A')))) });
  c.spec('/A', SPEC_TYPE.prim, { specifier: c.inline(TY.Specifier, 0) });
  c.spec('/A.x', SPEC_TYPE.attribute, { default: rep });
  const { specs, warnings } = readCrateWithWarnings(c.build(), 'made.usdc');
  return { value: specs.get('/A.x')!.fields['default'], warnings };
}
const read = (make: (c: TestCrate) => Rep, version?: readonly [number, number, number]) => oneValue(make, version).value;

/** Writes `values` as one crate element each of `kind`. */
function put(w: Sink, kind: 'u8' | 'i32' | 'u32' | 'i64' | 'u64' | 'f16' | 'f32' | 'f64', values: readonly number[]) {
  for (const v of values) {
    if (kind === 'f16') w.u16(halfBits(v));
    else w[kind](v);
  }
}

describe('value types', () => {
  it('inlined scalars', () => {
    const bits = new DataView(new ArrayBuffer(4));
    const floatBits = (v: number) => (bits.setFloat32(0, v, true), bits.getUint32(0, true));
    expect(read((c) => c.inline(TY.Bool, 1))).toBe(true);
    expect(read((c) => c.inline(TY.Bool, 0))).toBe(false);
    expect(read((c) => c.inline(TY.UChar, 250))).toBe(250);
    expect(read((c) => c.inline(TY.Int, -5))).toBe(-5);
    expect(read((c) => c.inline(TY.UInt, 4_000_000_000))).toBe(4_000_000_000);
    expect(read((c) => c.inline(TY.Int64, -7))).toBe(-7);
    expect(read((c) => c.inline(TY.UInt64, 3_000_000_000))).toBe(3_000_000_000);
    expect(read((c) => c.inline(TY.Half, 0x3c00))).toBe(1);
    expect(read((c) => c.inline(TY.Half, 0xc000))).toBe(-2);
    expect(read((c) => c.inline(TY.Half, 0x0001))).toBe(2 ** -24);
    expect(read((c) => c.inline(TY.Half, 0x7c00))).toBe(Infinity);
    expect(read((c) => c.inline(TY.Half, 0x7e00))).toBeNaN();
    expect(read((c) => c.inline(TY.Float, floatBits(1.5)))).toBe(1.5);
    expect(read((c) => c.inline(TY.Double, floatBits(-0.25)))).toBe(-0.25); // a double that is exactly a float
    expect(read((c) => c.inline(TY.String, c.string('a string')))).toBe('a string');
    expect(read((c) => c.inline(TY.Token, c.token('aToken')))).toBe('aToken');
    expect(read((c) => c.inline(TY.AssetPath, c.token('./a.usd')))).toBe('./a.usd');
    expect(read((c) => c.inline(TY.ValueBlock, 0))).toBe(VALUE_BLOCK);
    expect(read((c) => c.inline(TY.Specifier, 2))).toBe('class');
    expect(read((c) => c.inline(TY.Permission, 1))).toBe('private');
    expect(read((c) => c.inline(TY.Permission, 0))).toBe('public');
    expect(read((c) => c.inline(TY.Variability, 0))).toBe('varying');
    expect(read((c) => c.inline(TY.Variability, 2))).toBe('uniform'); // legacy "config"
    expect(read((c) => c.inline(TY.Dictionary, 0))).toEqual({});
  });

  it('inlined vectors (int8 components) and matrices (int8 diagonal)', () => {
    const int8s = (...v: number[]) => v.reduce((word, x, i) => word | ((x & 0xff) << (8 * i)), 0) >>> 0;
    for (const type of [TY.Vec2d, TY.Vec2f, TY.Vec2h, TY.Vec2i]) expect(read((c) => c.inline(type, int8s(-1, 127)))).toEqual([-1, 127]);
    for (const type of [TY.Vec3d, TY.Vec3f, TY.Vec3h, TY.Vec3i]) expect(read((c) => c.inline(type, int8s(1, -128, 3)))).toEqual([1, -128, 3]);
    for (const type of [TY.Vec4d, TY.Vec4f, TY.Vec4h, TY.Vec4i]) expect(read((c) => c.inline(type, int8s(0, 1, 2, -3)))).toEqual([0, 1, 2, -3]);
    expect(read((c) => c.inline(TY.Matrix2d, int8s(2, -1)))).toEqual([2, 0, 0, -1]);
    expect(read((c) => c.inline(TY.Matrix3d, int8s(1, 1, 1)))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(read((c) => c.inline(TY.Matrix4d, int8s(1, 2, 3, 1)))).toEqual([1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1]);
  });

  it('scalars, vectors, quaternions and matrices stored out of line', () => {
    expect(read((c) => c.at(TY.Int64, (w) => w.i64(-(2 ** 40))))).toBe(-(2 ** 40));
    expect(read((c) => c.at(TY.UInt64, (w) => w.u64(2 ** 52 + 2)))).toBe(2 ** 52 + 2);
    expect(read((c) => c.at(TY.Double, (w) => w.f64(0.1)))).toBe(0.1);
    expect(read((c) => c.at(TY.TimeCode, (w) => w.f64(24.5)))).toBe(24.5);
    expect(read((c) => c.at(TY.Vec2d, (w) => put(w, 'f64', [0.5, 1e10])))).toEqual([0.5, 1e10]);
    expect(read((c) => c.at(TY.Vec3f, (w) => put(w, 'f32', [0.5, -0.25, 300])))).toEqual([0.5, -0.25, 300]);
    expect(read((c) => c.at(TY.Vec4h, (w) => put(w, 'f16', [0.5, 65504, -2, 1])))).toEqual([0.5, 65504, -2, 1]);
    expect(read((c) => c.at(TY.Vec3i, (w) => put(w, 'i32', [1000, -1000, 2 ** 31 - 1])))).toEqual([1000, -1000, 2 ** 31 - 1]);
    // GfQuat stores its imaginary part, then its real part: [x, y, z, w] as sdf.ts keeps it.
    expect(read((c) => c.at(TY.Quatd, (w) => put(w, 'f64', [0.1, 0.2, 0.3, 0.9])))).toEqual([0.1, 0.2, 0.3, 0.9]);
    expect(read((c) => c.at(TY.Quatf, (w) => put(w, 'f32', [0.5, 0.25, 0, 1])))).toEqual([0.5, 0.25, 0, 1]);
    expect(read((c) => c.at(TY.Quath, (w) => put(w, 'f16', [0, 0.5, 0.25, 1])))).toEqual([0, 0.5, 0.25, 1]);
    const m4 = Array.from({ length: 16 }, (_, i) => i + 0.5);
    expect(read((c) => c.at(TY.Matrix4d, (w) => put(w, 'f64', m4)))).toEqual(m4);
    expect(read((c) => c.at(TY.Matrix3d, (w) => put(w, 'f64', [1, 2, 3, 4, 5, 6, 7, 8, 9.5])))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9.5]);
    expect(read((c) => c.at(TY.Matrix2d, (w) => put(w, 'f64', [1.5, 2, 3, 4])))).toEqual([1.5, 2, 3, 4]);
    expect(read((c) => c.at(TY.PathExpression, (w) => w.u32(c.string('/A//B'))))).toBe('/A//B');
  });

  it('arrays of every numeric type, plain', () => {
    const array = (type: number, kind: Parameters<typeof put>[1], values: number[], n = 1) => (c: TestCrate) =>
      c.at(type, (w) => (c.arrayCount(w, values.length / n), put(w, kind, values)), ARRAY);
    expect(read(array(TY.Bool, 'u8', [1, 0, 1]))).toEqual([true, false, true]);
    expect(read(array(TY.UChar, 'u8', [0, 255]))).toEqual([0, 255]);
    expect(read(array(TY.Int, 'i32', [-1, 2]))).toEqual([-1, 2]);
    expect(read(array(TY.UInt, 'u32', [4e9, 1]))).toEqual([4e9, 1]);
    expect(read(array(TY.Int64, 'i64', [-(2 ** 50), 3]))).toEqual([-(2 ** 50), 3]);
    expect(read(array(TY.UInt64, 'u64', [2 ** 53 - 1]))).toEqual([2 ** 53 - 1]);
    expect(read(array(TY.Half, 'f16', [1, 0.5, -2]))).toEqual([1, 0.5, -2]);
    expect(read(array(TY.Float, 'f32', [1.5, -0.5]))).toEqual([1.5, -0.5]);
    expect(read(array(TY.Double, 'f64', [0.1, 0.2]))).toEqual([0.1, 0.2]);
    expect(read(array(TY.TimeCode, 'f64', [1, 2.5]))).toEqual([1, 2.5]);
    expect(read(array(TY.Vec2h, 'f16', [1, 3, 0.25, 0.5], 2))).toEqual([1, 3, 0.25, 0.5]);
    expect(read(array(TY.Vec4i, 'i32', [1, 2, 3, 4, -5, -6, -7, -8], 4))).toEqual([1, 2, 3, 4, -5, -6, -7, -8]);
    expect(read(array(TY.Vec3d, 'f64', [0.5, 1, 2], 3))).toEqual([0.5, 1, 2]);
    expect(read(array(TY.Quath, 'f16', [0, 0, 0, 1, 0.5, 0.5, 0.5, 0.5], 4))).toEqual([0, 0, 0, 1, 0.5, 0.5, 0.5, 0.5]);
    expect(read(array(TY.Quatd, 'f64', [0.1, 0.2, 0.3, 0.9], 4))).toEqual([0.1, 0.2, 0.3, 0.9]);
    expect(read(array(TY.Matrix2d, 'f64', [1, 2, 3, 4, 5, 6, 7, 8], 4))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(read((c) => c.at(TY.String, (w) => (c.arrayCount(w, 2), w.u32(c.string('s1')), w.u32(c.string('s2'))), ARRAY))).toEqual(['s1', 's2']);
    expect(read((c) => c.at(TY.Token, (w) => (c.arrayCount(w, 2), w.u32(c.token('t1')), w.u32(c.token('t2'))), ARRAY))).toEqual(['t1', 't2']);
    // Asset path and path expression arrays hold string indices (an inlined asset path holds a token index).
    expect(read((c) => c.at(TY.AssetPath, (w) => (c.arrayCount(w, 1), w.u32(c.string('@x.usd'))), ARRAY))).toEqual(['@x.usd']);
    expect(read((c) => c.at(TY.PathExpression, (w) => (c.arrayCount(w, 1), w.u32(c.string('/A/*'))), ARRAY))).toEqual(['/A/*']);
    // Payload 0: the empty array.
    expect(read((c) => ({ hi: (ARRAY | (TY.Float << 16)) >>> 0, lo: 0 }))).toEqual([]);
    // Before 0.7.0 counts are 32-bit; before 0.5.0 a rank comes first.
    expect(read(array(TY.Float, 'f32', [1, 2]), [0, 6, 0])).toEqual([1, 2]);
    expect(read(array(TY.Int, 'i32', [3, 4]), [0, 3, 0])).toEqual([3, 4]);
  });

  it('compressed arrays: integers, 64-bit integers, floats as integers and as a lookup table', () => {
    const ints = Array.from({ length: 40 }, (_, i) => (i % 7) * 1000 - 3000 + i);
    expect(read((c) => c.at(TY.Int, (w) => (c.arrayCount(w, ints.length), compressedInts(w, ints)), ARRAY | COMPRESSED))).toEqual(ints);
    const uints = Array.from({ length: 20 }, (_, i) => 4_000_000_000 + i * 3);
    expect(read((c) => c.at(TY.UInt, (w) => (c.arrayCount(w, uints.length), compressedInts(w, uints)), ARRAY | COMPRESSED))).toEqual(uints);
    const int64s = Array.from({ length: 20 }, (_, i) => BigInt(i % 2 ? -(2 ** 40) : 5 * i) + BigInt(i));
    expect(read((c) => c.at(TY.Int64, (w) => (c.arrayCount(w, int64s.length), compressedInts64(w, int64s)), ARRAY | COMPRESSED))).toEqual(int64s.map(Number));
    const uint64s = Array.from({ length: 16 }, (_, i) => 2n ** 63n + BigInt(i) * 2048n);
    expect(read((c) => c.at(TY.UInt64, (w) => (c.arrayCount(w, uint64s.length), compressedInts64(w, uint64s)), ARRAY | COMPRESSED))).toEqual(uint64s.map(Number));
    // Fewer than 16 elements: stored plain even when marked compressed.
    expect(read((c) => c.at(TY.Int, (w) => (c.arrayCount(w, 2), put(w, 'i32', [7, 8])), ARRAY | COMPRESSED))).toEqual([7, 8]);
    const integral = Array.from({ length: 20 }, (_, i) => i * 2 - 10);
    for (const type of [TY.Half, TY.Float, TY.Double]) {
      expect(read((c) => c.at(type, (w) => (c.arrayCount(w, integral.length), w.u8(0x69), compressedInts(w, integral)), ARRAY | COMPRESSED))).toEqual(integral);
    }
    const lut = [0.5, -0.25, 1e10];
    const indexes = Array.from({ length: 30 }, (_, i) => (i * 7) % 3);
    expect(read((c) => c.at(TY.Double, (w) => (c.arrayCount(w, 30), w.u8(0x74), w.u32(3), put(w, 'f64', lut), compressedInts(w, indexes)), ARRAY | COMPRESSED))).toEqual(indexes.map((i) => lut[i]));
    expect(read((c) => c.at(TY.Float, (w) => (c.arrayCount(w, 30), w.u8(0x74), w.u32(2), put(w, 'f32', [0.5, 2]), compressedInts(w, indexes.map((i) => i % 2))), ARRAY | COMPRESSED))).toEqual(indexes.map((i) => [0.5, 2][i % 2]));
    expect(read((c) => c.at(TY.Half, (w) => (c.arrayCount(w, 30), w.u8(0x74), w.u32(3), put(w, 'f16', [0.25, 3, 65504]), compressedInts(w, indexes)), ARRAY | COMPRESSED))).toEqual(indexes.map((i) => [0.25, 3, 65504][i]));
  });

  it('dictionaries, nested values and unregistered values', () => {
    const value = read((c) => {
      const inner = c.at(TY.Dictionary, (w) => (w.u64(1), w.u32(c.string('deep')), c.vtValue(w, c.inline(TY.Bool, 1))));
      const ints = c.at(TY.Int, (w) => (c.arrayCount(w, 3), put(w, 'i32', [1, 2, 3])), ARRAY);
      const vec = c.at(TY.Vec3d, (w) => put(w, 'f64', [0.5, 1.5, 2.5]));
      const tokens = c.at(TY.Token, (w) => (c.arrayCount(w, 1), w.u32(c.token('tk'))), ARRAY);
      return c.at(TY.Dictionary, (w) => {
        w.u64(7);
        w.u32(c.string('inner'));
        c.vtValue(w, inner);
        w.u32(c.string('ints'));
        c.vtValue(w, ints);
        w.u32(c.string('vec'));
        c.vtValue(w, vec);
        w.u32(c.string('str'));
        c.vtValue(w, c.inline(TY.String, c.string('text')));
        w.u32(c.string('tokens'));
        c.vtValue(w, tokens);
        w.u32(c.string('__proto__'));
        c.vtValue(w, c.inline(TY.Int, 1));
        w.u32(c.string('empty'));
        c.vtValue(w, c.inline(TY.Dictionary, 0));
      });
    }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['inner', 'ints', 'vec', 'str', 'tokens', '__proto__', 'empty']);
    expect({ ...value }).toEqual({ inner: { deep: true }, ints: [1, 2, 3], vec: [0.5, 1.5, 2.5], str: 'text', tokens: ['tk'], empty: {}, ['__proto__']: 1 });
    // Value: a VtValue behind a rep; UnregisteredValue: a string, dictionary or list-op behind one.
    expect(read((c) => c.at(TY.Value, (w) => c.vtValue(w, c.inline(TY.Float, 0x3fc00000))))).toBe(1.5);
    expect(read((c) => c.at(TY.UnregisteredValue, (w) => c.vtValue(w, c.inline(TY.String, c.string('raw text')))))).toBe('raw text');
    expect(
      read((c) => {
        const dict = c.at(TY.Dictionary, (w) => (w.u64(1), w.u32(c.string('k')), c.vtValue(w, c.inline(TY.Int, 3))));
        return c.at(TY.UnregisteredValueListOp, (w) => (w.u8(0x20), w.u64(2), c.vtValue(w, c.inline(TY.String, c.string('a'))), c.vtValue(w, dict)));
      }),
    ).toEqual({ listOp: true, prepended: ['a', { k: 3 }] });
  });

  it('list-ops of every item type', () => {
    const paths = (c: TestCrate, ...p: string[]) => (w: Sink) => (w.u64(p.length), p.forEach((x) => w.u32(c.path(x))));
    expect(read((c) => c.at(TY.TokenListOp, (w) => w.u8(0x01)))).toEqual({ listOp: true, explicit: [] }); // `x = None`
    expect(read((c) => c.at(TY.TokenListOp, (w) => (w.u8(0x03), w.u64(2), w.u32(c.token('a')), w.u32(c.token('b')))))).toEqual({ listOp: true, explicit: ['a', 'b'] });
    expect(
      read((c) =>
        c.at(TY.StringListOp, (w) => {
          w.u8(0x04 | 0x08 | 0x10 | 0x20 | 0x40);
          for (const s of ['added', 'prepended', 'appended', 'deleted', 'ordered']) w.u64(1), w.u32(c.string(s));
        }),
      ),
    ).toEqual({ listOp: true, added: ['added'], prepended: ['prepended'], appended: ['appended'], deleted: ['deleted'], ordered: ['ordered'] });
    expect(read((c) => c.at(TY.PathListOp, (w) => (w.u8(0x20), paths(c, '/A', '/B.x')(w), paths(c, '/C')(w))))).toEqual({ listOp: true, prepended: ['/A', '/B.x'] });
    expect(read((c) => c.at(TY.IntListOp, (w) => (w.u8(0x40), w.u64(2), w.i32(-1), w.i32(5))))).toEqual({ listOp: true, appended: [-1, 5] });
    expect(read((c) => c.at(TY.UIntListOp, (w) => (w.u8(0x08), w.u64(1), w.u32(4e9))))).toEqual({ listOp: true, deleted: [4e9] });
    expect(read((c) => c.at(TY.Int64ListOp, (w) => (w.u8(0x03), w.u64(1), w.i64(-(2 ** 40)))))).toEqual({ listOp: true, explicit: [-(2 ** 40)] });
    expect(read((c) => c.at(TY.UInt64ListOp, (w) => (w.u8(0x04), w.u64(1), w.u64(2 ** 50))))).toEqual({ listOp: true, added: [2 ** 50] });
    expect(
      read((c) => {
        const customData = () => (w: Sink) => (w.u64(1), w.u32(c.string('note')), c.vtValue(w, c.inline(TY.String, c.string('hi'))));
        return c.at(TY.ReferenceListOp, (w) => {
          w.u8(0x20);
          w.u64(3);
          // assetPath, primPath, layer offset (offset, scale), customData
          const empty = c.emptyPath();
          for (const [asset, path, offset, scale] of [['./a.usd', c.path('/Model'), 10, 2], ['', c.path('/Local'), 0, 1], ['./b.usd', empty, 0, 1]] as const) {
            w.u32(c.string(asset));
            w.u32(path);
            w.f64(offset);
            w.f64(scale);
            if (asset === './a.usd') customData()(w);
            else w.u64(0);
          }
        });
      }),
    ).toEqual({
      listOp: true,
      prepended: [
        { assetPath: './a.usd', primPath: '/Model', layerOffset: { offset: 10, scale: 2 }, customData: { note: 'hi' } },
        { assetPath: '', primPath: '/Local' },
        { assetPath: './b.usd', primPath: '' },
      ],
    });
    expect(
      read((c) =>
        c.at(TY.PayloadListOp, (w) => {
          w.u8(0x40);
          w.u64(2);
          for (const [asset, path, offset] of [['p.usd', '/P', 5], ['q.usd', '/Q', 0]] as const) {
            w.u32(c.string(asset));
            w.u32(c.path(path));
            w.f64(offset);
            w.f64(1);
          }
        }),
      ),
    ).toEqual({ listOp: true, appended: [{ assetPath: 'p.usd', primPath: '/P', layerOffset: { offset: 5, scale: 1 } }, { assetPath: 'q.usd', primPath: '/Q' }] });
  });

  it('vectors, maps, payloads and relocates', () => {
    expect(read((c) => c.at(TY.PathVector, (w) => (w.u64(2), w.u32(c.path('/A/B')), w.u32(c.path('/A.x')))))).toEqual(['/A/B', '/A.x']);
    expect(read((c) => c.at(TY.TokenVector, (w) => (w.u64(1), w.u32(c.token('t')))))).toEqual(['t']);
    expect(read((c) => c.at(TY.StringVector, (w) => (w.u64(2), w.u32(c.string('x')), w.u32(c.string('y')))))).toEqual(['x', 'y']);
    expect(read((c) => c.at(TY.DoubleVector, (w) => (w.u64(2), w.f64(1.5), w.f64(-2))))).toEqual([1.5, -2]);
    expect(read((c) => c.at(TY.LayerOffsetVector, (w) => (w.u64(2), w.f64(0), w.f64(1), w.f64(10), w.f64(0.5))))).toEqual([
      { offset: 0, scale: 1 },
      { offset: 10, scale: 0.5 },
    ]);
    expect(read((c) => c.at(TY.VariantSelectionMap, (w) => (w.u64(2), w.u32(c.string('shading')), w.u32(c.string('red')), w.u32(c.string('lod')), w.u32(c.string('high')))))).toEqual({ shading: 'red', lod: 'high' });
    expect(read((c) => c.at(TY.Relocates, (w) => (w.u64(1), w.u32(c.path('/A/B')), w.u32(c.path('/A/C')))))).toEqual([['/A/B', '/A/C']]);
    expect(read((c) => c.at(TY.Payload, (w) => (w.u32(c.string('p.usd')), w.u32(c.path('/P')), w.f64(3), w.f64(2))))).toEqual({ assetPath: 'p.usd', primPath: '/P', layerOffset: { offset: 3, scale: 2 } });
    // Before 0.8.0 a payload has no layer offset.
    expect(read((c) => c.at(TY.Payload, (w) => (w.u32(c.string('p.usd')), w.u32(c.path('/P')))), [0, 7, 0])).toEqual({ assetPath: 'p.usd', primPath: '/P' });
  });

  it('time samples: shared times, array and blocked values', () => {
    const c = new TestCrate();
    const times = c.at(TY.DoubleVector, (w) => (w.u64(3), w.f64(0), w.f64(12.5), w.f64(24)));
    const pts = (v: number) => c.at(TY.Vec3f, (w) => (c.arrayCount(w, 1), put(w, 'f32', [v, v, v])), ARRAY);
    const a = [pts(0), pts(1), c.inline(TY.ValueBlock, 0)];
    const samplesA = c.at(TY.TimeSamples, (w) => (w.i64(8), w.rep(times), w.i64(8), w.u64(3), a.forEach(w.rep)));
    const samplesB = c.at(TY.TimeSamples, (w) => (w.i64(8), w.rep(times), w.i64(8), w.u64(3), [c.inline(TY.Float, 0x3f800000), c.inline(TY.Float, 0), c.inline(TY.Float, 0x40000000)].forEach(w.rep)));
    c.spec('/', SPEC_TYPE.pseudoRoot, {});
    c.spec('/A.points', SPEC_TYPE.attribute, { timeSamples: samplesA, typeName: c.inline(TY.Token, c.token('point3f[]')) });
    c.spec('/A.w', SPEC_TYPE.attribute, { timeSamples: samplesB });
    const specs = readCrate(c.build(), 'samples.usdc');
    expect(specs.get('/A.points')!.fields).toEqual({ timeSamples: { times: [0, 12.5, 24], values: [[0, 0, 0], [1, 1, 1], VALUE_BLOCK] }, typeName: 'point3f[]' });
    expect(specs.get('/A.w')!.fields['timeSamples']).toEqual({ times: [0, 12.5, 24], values: [1, 0, 2] });
  });

  it('drops values of types it cannot read, with a warning naming the spec, field and type', () => {
    const { value, warnings } = oneValue((c) => ({ hi: (TY.Spline << 16) >>> 0, lo: 64 }));
    expect(value).toBeUndefined();
    expect(warnings).toEqual(['/A.x: field default: value of type Spline is not read']);
    expect(oneValue((c) => c.inline(TY.AnimationBlock, 0)).warnings).toEqual(['/A.x: field default: value of type AnimationBlock is not read']);
    expect(oneValue((c) => c.inline(99, 0)).warnings).toEqual(['/A.x: field default: value of type #99 is not read']);
    // Inside a dictionary only the entry goes; inside time samples the field.
    const inDict = oneValue((c) =>
      c.at(TY.Dictionary, (w) => (w.u64(2), w.u32(c.string('spline')), c.vtValue(w, c.inline(TY.Spline, 0)), w.u32(c.string('ok')), c.vtValue(w, c.inline(TY.Int, 1)))),
    );
    expect(inDict).toEqual({ value: { ok: 1 }, warnings: ['/A.x: field default: dictionary entry "spline": value of type Spline is not read'] });
    const inSamples = oneValue((c) => {
      const times = c.at(TY.DoubleVector, (w) => (w.u64(1), w.f64(0)));
      return c.at(TY.TimeSamples, (w) => (w.i64(8), w.rep(times), w.i64(8), w.u64(1), w.rep(c.inline(TY.AnimationBlock, 0))));
    });
    expect(inSamples).toEqual({ value: undefined, warnings: ['/A.x: field default: value of type AnimationBlock is not read'] });
    expect(readCrateWithWarnings(fixture('clean.usdc'), 'clean.usdc').warnings).toEqual([]);
  });

  it('keeps a field named __proto__ as a field', () => {
    const c = new TestCrate();
    c.spec('/', SPEC_TYPE.pseudoRoot, { ['__proto__']: c.inline(TY.Int, 3) });
    const fields = readCrate(c.build(), 'proto.usdc').get('/')!.fields;
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value).toBe(3);
  });
});

// ---------------------------------------------------------------- paths

describe('paths', () => {
  const variantLayer = (version?: readonly [number, number, number]) => {
    const c = new TestCrate(version);
    const specifier = c.inline(TY.Specifier, 0);
    const all = [
      ['/', SPEC_TYPE.pseudoRoot],
      ['/A', SPEC_TYPE.prim],
      ['/A{set=}', SPEC_TYPE.variantSet],
      ['/A{set=sel}', SPEC_TYPE.variant],
      ['/A{set=sel}.vx', SPEC_TYPE.attribute],
      ['/A{set=sel}B', SPEC_TYPE.prim],
      ['/A{set=sel}B.x', SPEC_TYPE.attribute],
      ['/A{set=sel}B/C', SPEC_TYPE.prim],
      ['/A{set=sel}{inner=}', SPEC_TYPE.variantSet],
      ['/A{set=sel}{inner=y}', SPEC_TYPE.variant],
      ['/A{set=sel}{inner=y}D', SPEC_TYPE.prim],
      ['/A.x', SPEC_TYPE.attribute],
      ['/A.rel', SPEC_TYPE.relationship],
      ['/A.rel[/A/E]', SPEC_TYPE.relationshipTarget],
      ['/A/E', SPEC_TYPE.prim],
      ['/A/E.ns:a:b', SPEC_TYPE.attribute],
    ] as const;
    for (const [path, type] of all) c.spec(path, type, type === SPEC_TYPE.prim ? { specifier } : {});
    return { bytes: c.build(), paths: all.map(([p]) => p) };
  };

  for (const version of [[0, 11, 0], [0, 4, 0], [0, 3, 0], [0, 0, 1]] as const) {
    it(`builds variant, property and target paths from the path tree (version ${version.join('.')})`, () => {
      const { bytes, paths } = variantLayer(version);
      const specs = readCrate(bytes, 'variants.usdc');
      expect([...specs.keys()]).toEqual(paths);
      expect(specs.get('/A{set=sel}B')).toEqual({ specType: SPEC_TYPE.prim, fields: { specifier: 'def' } });
      expect(specs.get('/A{set=sel}{inner=y}')!.specType).toBe(SPEC_TYPE.variant);
    });
  }

  it('reads an empty layer (only the pseudo-root)', () => {
    const c = new TestCrate();
    c.spec('/', SPEC_TYPE.pseudoRoot, {});
    expect(asObject(readCrate(c.build(), 'empty.usdc'))).toEqual({ '/': { specType: SPEC_TYPE.pseudoRoot, fields: {} } });
  });
});

// ---------------------------------------------------------------- malformed input

describe('malformed input', () => {
  const base = () => {
    const c = new TestCrate();
    c.spec('/', SPEC_TYPE.pseudoRoot, {});
    return c;
  };

  it('rejects what is not a crate, or a crate of another major version', () => {
    expect(rejects(new Uint8Array(0)).detail).toMatch(/not a USDC crate file/);
    expect(rejects(new TextEncoder().encode('#usda 1.0\n')).detail).toMatch(/not a USDC crate file/);
    const bytes = base().build();
    bytes[8] = 1;
    expect(rejects(bytes).detail).toMatch(/unsupported USDC crate version 1\.11\.0/);
    expect(rejects(bytes.slice(0, 60), /too small/).detail).toMatch(/^corrupt or truncated USDC crate file/);
  });

  it('names what is wrong', () => {
    const bytes = base().build();
    const view = new DataView(bytes.buffer);
    const toc = Number(view.getBigInt64(16, true));
    // Section PATHS: the fifth TOC entry; point it past the end of the file.
    const paths = toc + 8 + 4 * 32;
    expect(new TextDecoder().decode(bytes.subarray(paths, paths + 5))).toBe('PATHS');
    const moved = bytes.slice();
    new DataView(moved.buffer).setBigInt64(paths + 16, BigInt(bytes.length), true);
    rejects(moved, /^corrupt or truncated USDC crate file \(section PATHS lies outside the file\)$/);
    const noToc = bytes.slice();
    new DataView(noToc.buffer).setBigInt64(16, 10n ** 12n, true);
    rejects(noToc, /table of contents/);
    const noSpecs = bytes.slice();
    noSpecs.set(new TextEncoder().encode('XPECS'), toc + 8 + 5 * 32);
    rejects(noSpecs, /section SPECS is missing/);
  });

  it('rejects bad indexes, spec types, repeated specs and tree loops', () => {
    const badToken = base();
    badToken.spec('/A', SPEC_TYPE.prim, { typeName: badToken.inline(TY.Token, 9999) });
    rejects(badToken.build(), /token index 9999 out of range/);
    const badType = base();
    badType.spec('/A', 12, {});
    rejects(badType.build(), /invalid spec type 12/);
    const twice = base();
    twice.spec('/A', SPEC_TYPE.prim, {});
    twice.spec('/A', SPEC_TYPE.prim, {});
    rejects(twice.build(), /spec <\/A> appears twice/);
    const badSpecifier = base();
    badSpecifier.spec('/A', SPEC_TYPE.prim, { specifier: badSpecifier.inline(TY.Specifier, 7) });
    rejects(badSpecifier.build(), /invalid specifier 7/);
    // A 0.3.0 path tree whose sibling offset points back at its own header.
    const c = new TestCrate([0, 3, 0]);
    c.spec('/', SPEC_TYPE.pseudoRoot, {});
    c.spec('/A', SPEC_TYPE.prim, {});
    c.spec('/A/B', SPEC_TYPE.prim, {});
    c.spec('/C', SPEC_TYPE.prim, {});
    const bytes = c.build();
    const view = new DataView(bytes.buffer);
    const toc = Number(view.getBigInt64(16, true));
    const pathsStart = Number(view.getBigInt64(toc + 8 + 4 * 32 + 16, true));
    // Layout: u64 count, root header (12), "/A" header (12) with both bits, then its sibling offset.
    const aHeader = pathsStart + 8 + 12;
    expect(bytes[aHeader + 8]).toBe(3);
    view.setBigInt64(aHeader + 12, BigInt(aHeader), true);
    rejects(bytes, /path tree refers back/);
  });

  it('rejects values that claim to contain themselves, nest without end or claim absurd sizes, quickly', () => {
    // A Value whose VtValue offset leads back to a rep naming the same place.
    const selfRef = oneValueBytes((c) => {
      c.w.align();
      const at = c.w.length;
      const rep = { hi: (TY.Value << 16) >>> 0, lo: at };
      c.w.i64(8);
      c.w.rep(rep);
      return rep;
    });
    rejects(selfRef, /contain itself/);
    // 100 nested Values.
    const deep = oneValueBytes((c) => {
      let rep = c.inline(TY.Int, 1);
      for (let i = 0; i < 100; i++) {
        const inner = rep;
        rep = c.at(TY.Value, (w) => c.vtValue(w, inner));
      }
      return rep;
    });
    rejects(deep, /nest more than/);
    for (const [type, flags, write] of [
      [TY.Float, ARRAY, (w: Sink) => w.u64(2 ** 40)],
      [TY.Int, ARRAY | COMPRESSED, (w: Sink) => (w.u64(2 ** 31), w.u64(3), w.raw(new Uint8Array([0, 0x10, 0])))],
      [TY.TokenVector, 0, (w: Sink) => w.u64(2 ** 50)],
      [TY.Dictionary, 0, (w: Sink) => w.u64(123_456_789)],
      [TY.TokenListOp, 0, (w: Sink) => (w.u8(0x02), w.u64(2 ** 33))],
      [TY.Double, ARRAY | COMPRESSED, (w: Sink) => (w.u64(100), w.u8(0x74), w.u32(2 ** 31))],
      [TY.Double, ARRAY | COMPRESSED, (w: Sink) => (w.u64(100), w.u8(0x41))],
    ] as const) {
      const t0 = performance.now();
      rejects(oneValueBytes((c) => c.at(type, write, flags)));
      expect(performance.now() - t0).toBeLessThan(200);
    }
    // 20,000 specs sharing one field set of 20,000 fields and no end: 4e8 fields, if nothing stopped it.
    const shared = new TestCrate();
    shared.spec('/', SPEC_TYPE.pseudoRoot, { a: shared.inline(TY.Int, 1) });
    for (let i = 0; i < 20_000; i++) shared.spec(`/P${i}`, SPEC_TYPE.prim, {});
    const sharedBytes = shared.build({ fieldSets: new Array(20_000).fill(0), specFieldSets: new Array(20_001).fill(0) });
    const t0 = performance.now();
    rejects(sharedBytes, /expand to more than/);
    expect(performance.now() - t0).toBeLessThan(1000);
    // A lookup-table index past the table.
    rejects(
      oneValueBytes((c) => c.at(TY.Float, (w) => (c.arrayCount(w, 16), w.u8(0x74), w.u32(1), w.f32(1), compressedInts(w, new Array(16).fill(1))), ARRAY | COMPRESSED)),
      /lookup table index 1 is out of range/,
    );
    // LZ4 data whose match reaches before the start of its output.
    rejects(oneValueBytes((c) => c.at(TY.Int, (w) => (c.arrayCount(w, 16), w.u64(4), w.raw(new Uint8Array([0, 0x00, 0x05, 0x00]))), ARRAY | COMPRESSED)), /LZ4/);
  });

  // Every truncation of a small file, and seeded random damage to every vendored file: each read
  // either succeeds or fails with an InputError, within a second.
  const files = ['clean.usdc', 'clean_arkit.usdc', 'clean_flat.usdc', 'geom.usdc', 'variants.usdc', 'relocates_model.usdc', 'root_no_relocates.usdc', 'root_with_relocates.usdc', 'crate07SinglePayload.usdc', 'computeAllDependencies_crate.usdc', 'testHasDefiningSpecifier.usdc', 'top.geom.usd'];

  function outcome(bytes: Uint8Array): 'read' | 'rejected' {
    const t0 = performance.now();
    try {
      readCrate(bytes, 'fuzzed.usdc');
      return 'read';
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message.startsWith('fuzzed.usdc: ')).toBe(true);
      return 'rejected';
    } finally {
      expect(performance.now() - t0).toBeLessThan(1000);
    }
  }

  it('every truncation of clean.usdc and variants.usdc', () => {
    for (const name of ['clean.usdc', 'variants.usdc']) {
      const bytes = fixture(name);
      const tally = { read: 0, rejected: 0 };
      for (let n = 0; n < bytes.length; n++) tally[outcome(bytes.slice(0, n))]++;
      // The table of contents is at the end: nothing shorter than the whole file reads.
      expect(tally).toEqual({ read: 0, rejected: bytes.length });
    }
  });

  it('seeded random byte flips and truncations of every vendored file', () => {
    const random = seededRandom(20240808);
    const tally = { read: 0, rejected: 0 };
    for (const name of files) {
      const original = fixture(name);
      for (let round = 0; round < 250; round++) {
        const bytes = original.slice();
        const mode = Math.floor(random() * 4);
        if (mode === 0) {
          for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
            const at = Math.floor(random() * bytes.length);
            bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
          }
        } else if (mode === 1) {
          for (let k = 1 + Math.floor(random() * 8); k > 0; k--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        } else if (mode === 2) {
          // An 8-byte run (a count, offset or rep) set to an extreme.
          const at = Math.floor(random() * (bytes.length - 8));
          bytes.fill([0xff, 0x7f, 0x00, 0x80][Math.floor(random() * 4)]!, at, at + 8);
        } else {
          tally[outcome(bytes.slice(0, Math.floor(random() * bytes.length)))]++;
          continue;
        }
        tally[outcome(bytes)]++;
      }
    }
    expect(tally.read + tally.rejected).toBe(files.length * 250);
    expect(tally.read).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(100);
  });
});

/** The bytes of `oneValue`'s crate. */
function oneValueBytes(make: (c: TestCrate) => Rep): Uint8Array {
  const c = new TestCrate();
  const rep = make(c);
  c.spec('/', SPEC_TYPE.pseudoRoot, {});
  c.spec('/A.x', SPEC_TYPE.attribute, { default: rep });
  return c.build();
}

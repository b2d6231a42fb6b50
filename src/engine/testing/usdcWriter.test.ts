import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../errors.ts';
import { approxDiff } from './approx.ts';
import { buildUsdFixtures, HINGE_CM_ZUP } from './usd-fixtures.ts';
import { seededRandom } from './usda.ts';
import { importUsd } from '../usd/import.ts';
import { layerMetadata, readUsdLayer } from '../usd/layer.ts';
import { lz4Frame, usdaToUsdc, usdcLayerFromUsdLayer, writeUsdc, type UsdcAttribute, type UsdcLayer } from './usdcWriter.ts';

const repo = (p: string) => new URL(`../../../${p}`, import.meta.url);
/**
 * A copy of a file's bytes. Small files come back from readFileSync as views into Node's shared
 * Buffer pool, and layer.ts's toArrayBuffer copies with Buffer#slice, which for a Buffer is a view:
 * the parser would then read the whole pool (see the importer report).
 */
const readBytes = (p: string) => new Uint8Array(readFileSync(repo(p)));
const TABLETOP = readFileSync(repo('scenes/tabletop.usda'), 'utf8');
const f32 = (xs: number[]) => xs.map(Math.fround);
const DEG = Math.PI / 180;
const S = Math.SQRT1_2;

/** Exact comparison, typed arrays and plain arrays alike. */
const exact = (actual: unknown, expected: unknown) => approxDiff(actual, expected, { rel: 0, abs: 0 });

function layerWith(attributes: UsdcAttribute[]): UsdcLayer {
  return { metadata: { metersPerUnit: 1, upAxis: 'Y' }, prims: [{ path: '/Values', typeName: 'Xform', attributes }] };
}

describe('writeUsdc: values read back through the crate reader (via readUsdLayer)', () => {
  const wideInts = [0, 1, -1, 127, -128, 128, -129, 32767, -32768, 32768, -32769, 2147483647, -2147483648, 5, 5, 5, 5, 0, 1_000_000];
  const m = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0.5, -2.25, 3.125, 1];
  // [typeName, value, what three hands back]
  const cases: [string, UsdcAttribute['value'], unknown][] = [
    ['bool', true, true],
    ['bool', false, false],
    ['uchar', 200, 200],
    ['int', 123456, 123456],
    ['uint', 4_000_000_000, 4_000_000_000],
    ['int64', -5, -5],
    ['int64', 2 ** 40 + 3, 2 ** 40 + 3],
    ['uint64', 2 ** 53 - 1, 2 ** 53 - 1],
    ['float', 0.1, Math.fround(0.1)],
    ['float', -1e30, Math.fround(-1e30)],
    ['double', 0.1, 0.1],
    ['double', 0.5, 0.5],
    ['double', 1e300, 1e300],
    ['double', -Infinity, -Infinity],
    ['token', 'physics:mass', 'physics:mass'],
    ['string', 'héllo "wörld"\n✓', 'héllo "wörld"\n✓'],
    ['asset', './textures/wood.png', './textures/wood.png'],
    ['float2', [0.25, 100.1], f32([0.25, 100.1])],
    ['float3', [1.5, 2, 3.3], f32([1.5, 2, 3.3])],
    ['float3', [1, -2, 3], [1, -2, 3]],
    ['vector3f', [0, 0, -1], [0, 0, -1]],
    ['point3f', [0.05, -0.04, 0.06], f32([0.05, -0.04, 0.06])],
    ['normal3f', [0, 1, 0], [0, 1, 0]],
    ['color3f', [0.85, 0.12, 0.1], f32([0.85, 0.12, 0.1])],
    ['float4', [1, 2, 3, 4.5], [1, 2, 3, 4.5]],
    ['double2', [0.1, 0.2], [0.1, 0.2]],
    ['double3', [0.1, 0.2, 0.3], [0.1, 0.2, 0.3]],
    ['double3', [0, 0, 1], [0, 0, 1]],
    ['point3d', [-0.3, 0.15, 0.9], [-0.3, 0.15, 0.9]],
    ['double4', [1e-3, 2, 3, 4], [1e-3, 2, 3, 4]],
    ['int2', [1, 2], [1, 2]],
    ['int3', [1, 2, 300], [1, 2, 300]],
    ['quatf', [0.545317, 0.225878, 0.308911, 0.745777], f32([0.545317, 0.225878, 0.308911, 0.745777])],
    ['quatd', [0.1, 0.2, 0.3, Math.sqrt(1 - 0.14)], [0.1, 0.2, 0.3, Math.sqrt(1 - 0.14)]],
    ['matrix4d', m, m],
    ['matrix4d', [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]],
    ['frame4d', [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]],
    ['int[]', [3, 3, 4], [3, 3, 4]],
    ['int[]', wideInts, wideInts], // ≥ 16 elements: compressed, every code width
    ['int[]', [], []],
    ['uint[]', Array.from({ length: 20 }, (_, i) => i * 1000), Array.from({ length: 20 }, (_, i) => i * 1000)],
    ['float[]', [0.1, -2, 1e6], f32([0.1, -2, 1e6])],
    ['double[]', [0.1, -2, 1e300], [0.1, -2, 1e300]],
    ['float2[]', [[0.01, 100], [1, 2]], f32([0.01, 100, 1, 2])],
    ['texCoord2f[]', [0, 0, 1, 0.5], [0, 0, 1, 0.5]],
    ['point3f[]', [[-0.05, -0.04, 0], [0.05, -0.04, 0.06]], f32([-0.05, -0.04, 0, 0.05, -0.04, 0.06])],
    ['color3f[]', [[0.85, 0.12, 0.1]], f32([0.85, 0.12, 0.1])],
    ['vector3f[]', new Float32Array([1, 2, 3]), [1, 2, 3]],
    ['normal3f[]', [0, 0, 1, 0, 1, 0], [0, 0, 1, 0, 1, 0]],
    ['float4[]', [1, 2, 3, 4], [1, 2, 3, 4]],
    ['quatf[]', [0, 0, S, S, 1, 0, 0, 0], f32([0, 0, S, S, 1, 0, 0, 0])],
    ['matrix4d[]', [...m, ...m], [...m, ...m]],
    ['token[]', ['xformOp:translate', 'xformOp:orient', 'xformOp:translate'], ['xformOp:translate', 'xformOp:orient', 'xformOp:translate']],
    ['token[]', [], []],
  ];
  const bytes = writeUsdc(layerWith(cases.map(([typeName, value], i) => ({ name: `v${i}`, typeName, value }))));
  const layer = readUsdLayer(bytes, 'values.usdc');

  it.each(cases.map((c, i) => [i, ...c] as const))('v%i %s', (i, typeName, _value, expected) => {
    const spec = layer.specs.get(`/Values.v${i}`)!;
    expect(spec.specType).toBe(1);
    expect(spec.fields['typeName']).toBe(typeName);
    expect(exact(spec.fields['default'], expected)).toEqual([]);
  });

  it('writes the other array types (double3[], int2[], quatd[], int64[], bool[], string[], asset[]) in the crate layout', () => {
    const extra: [string, UsdcAttribute['value'], unknown][] = [
      ['double3[]', [[0.1, 0.2, 0.3], [1, 2, 3]], [0.1, 0.2, 0.3, 1, 2, 3]],
      ['point3d[]', [1e-9, 2, 3], [1e-9, 2, 3]],
      ['double2[]', [0.5, 0.25], [0.5, 0.25]],
      ['double4[]', [1, 2, 3, 0.1], [1, 2, 3, 0.1]],
      ['int2[]', [1, -2, 3, -4], [1, -2, 3, -4]],
      ['int3[]', [1, 2, 3], [1, 2, 3]],
      ['quatd[]', [0, 0, 0, 1], [0, 0, 0, 1]],
      ['int64[]', [-(2 ** 40), 7], [-(2 ** 40), 7]],
      ['bool[]', [true, false, true], [true, false, true]],
      ['string[]', ['a', 'b c', 'a'], ['a', 'b c', 'a']],
      ['asset[]', ['x.png', 'y.png'], ['x.png', 'y.png']],
    ];
    const crate = writeUsdc(layerWith(extra.map(([typeName, value], i) => ({ name: `a${i}`, typeName, value }))));
    const read = readUsdLayer(crate, 'extra.usdc').specs;
    extra.forEach(([typeName, , expected], i) => {
      expect(exact(read.get(`/Values.a${i}`)!.fields['default'], expected), typeName).toEqual([]);
    });
  });

  it('keeps layer metadata, specifiers, apiSchemas list-ops, relationship targets and connections', () => {
    const crate = writeUsdc({
      metadata: { defaultPrim: 'World', metersPerUnit: 0.01, kilogramsPerUnit: 0.001, upAxis: 'Z', documentation: 'doc ✓' },
      prims: [
        { path: '/World', typeName: 'Xform', kind: 'assembly', apiSchemas: ['PhysicsArticulationRootAPI'] },
        { path: '/World/A', typeName: 'Cube', apiSchemas: { prepended: ['PhysicsRigidBodyAPI', 'SemanticsLabelsAPI:class'], appended: ['MaterialBindingAPI'] } },
        { path: '/World/B', typeName: 'Sphere', specifier: 'over', active: false, apiSchemas: { explicit: ['PhysicsCollisionAPI'] } },
        { path: '/World/C', specifier: 'class' },
        {
          path: '/World/J',
          typeName: 'PhysicsFixedJoint',
          attributes: [
            { name: 'inputs:x', typeName: 'float', connections: ['/World/A.outputs:y'] },
            { name: 'userProp', typeName: 'token', value: 'u', custom: true, uniform: true },
          ],
          relationships: [
            { name: 'physics:body0', targets: ['/World/A'] },
            { name: 'physics:body1', targets: ['/Elsewhere/NotInLayer'] },
            { name: 'collection:colliders:includes', targets: ['/World/A', '/World/B', '/World/B.extent'] },
            { name: 'empty', targets: [] },
          ],
        },
      ],
    });
    const layer = readUsdLayer(crate, 'meta.usdc');
    expect(layer.format).toBe('usdc');
    expect(layerMetadata(layer.specs)).toEqual({ metersPerUnit: 0.01, kilogramsPerUnit: 0.001, upAxis: 'Z', defaultPrim: 'World' });
    const root = layer.specs.get('/')!;
    expect(root.specType).toBe(7);
    expect(root.fields['documentation']).toBe('doc ✓');
    expect(root.fields['primChildren']).toEqual(['World']);
    const f = (p: string) => layer.specs.get(p)!.fields;
    expect(f('/World')).toMatchObject({ specifier: 'def', typeName: 'Xform', kind: 'assembly', apiSchemas: { listOp: true, prepended: ['PhysicsArticulationRootAPI'] }, primChildren: ['A', 'B', 'C', 'J'] });
    expect(f('/World/A')['apiSchemas']).toEqual({ listOp: true, prepended: ['PhysicsRigidBodyAPI', 'SemanticsLabelsAPI:class'], appended: ['MaterialBindingAPI'] });
    expect(f('/World/B')).toMatchObject({ specifier: 'over', active: false, apiSchemas: { listOp: true, explicit: ['PhysicsCollisionAPI'] } });
    expect(f('/World/C')).toEqual({ specifier: 'class' });
    expect(f('/World/J')['properties']).toEqual(['inputs:x', 'userProp', 'physics:body0', 'physics:body1', 'collection:colliders:includes', 'empty']);
    expect(f('/World/J.inputs:x')).toEqual({ typeName: 'float', connectionPaths: { listOp: true, explicit: ['/World/A.outputs:y'] } });
    expect(f('/World/J.userProp')).toEqual({ typeName: 'token', custom: true, variability: 'uniform', default: 'u' });
    expect(layer.specs.get('/World/J.physics:body0')).toEqual({ specType: 8, fields: { targetPaths: { listOp: true, explicit: ['/World/A'] } } });
    expect(f('/World/J.physics:body1')['targetPaths']).toEqual({ listOp: true, explicit: ['/Elsewhere/NotInLayer'] });
    expect(f('/World/J.collection:colliders:includes')['targetPaths']).toEqual({ listOp: true, explicit: ['/World/A', '/World/B', '/World/B.extent'] });
    // Paths that are only targets get no spec.
    expect(layer.specs.get('/Elsewhere/NotInLayer')).toBeUndefined();
  });

  it('is deterministic, and re-writes a layer it read back byte for byte', () => {
    const first = usdaToUsdc(TABLETOP, 'tabletop.usda');
    expect(usdaToUsdc(TABLETOP, 'tabletop.usda')).toEqual(first);
    const again = writeUsdc(usdcLayerFromUsdLayer(readUsdLayer(first, 'tabletop.usdc')));
    expect(again).toEqual(first);
    const hinge = writeUsdc(HINGE_CM_ZUP);
    const hingeAgain = writeUsdc({ ...usdcLayerFromUsdLayer(readUsdLayer(hinge, 'h.usdc')), metadata: HINGE_CM_ZUP.metadata! });
    expect(hingeAgain).toEqual(hinge);
  });

  it('rejects descriptions it cannot write, naming the prim or attribute', () => {
    const attempt = (layer: UsdcLayer) => () => writeUsdc(layer);
    expect(attempt(layerWith([{ name: 'h', typeName: 'half', value: 1 }]))).toThrow(/\/Values\.h: value type "half" is not supported/);
    expect(attempt(layerWith([{ name: 'p', typeName: 'float3', value: [1, 2] }]))).toThrow(/\/Values\.p.*expected 3 components/);
    expect(attempt(layerWith([{ name: 'p', typeName: 'point3f[]', value: [1, 2, 3, 4] }]))).toThrow(/not a multiple of 3/);
    expect(attempt(layerWith([{ name: 'i', typeName: 'int', value: 0.5 }]))).toThrow(/0\.5 is not a valid int/);
    expect(attempt(layerWith([{ name: 't', typeName: 'token', value: 3 }]))).toThrow(/expected a string/);
    expect(attempt(layerWith([{ name: 'x', typeName: 'int', value: 1 }, { name: 'x', typeName: 'int', value: 2 }]))).toThrow(/listed twice/);
    expect(attempt({ prims: [{ path: '/A/B' }] })).toThrow(/has no parent prim \/A/);
    expect(attempt({ prims: [{ path: 'Relative' }] })).toThrow(/not an absolute/);
    expect(attempt({ prims: [{ path: '/A', relationships: [{ name: 'r', targets: ['not a path'] }] }] })).toThrow(/\/A\.r target "not a path"/);
  });

  // OpenUSD always inlines `int` and inlines every GfVec whose components are small integers.
  // three 0.187's USDCParser read these wrong (a real file's `double3 xformOp:scale = (1, 1, 1)` came
  // back as the number 65793, `int x = -1` as 4294967295); layer.ts's CrateParser decodes them.
  const inlined: [string, string, UsdcAttribute['value']][] = [
    ['a negative int', 'int', -1],
    ['an OpenUSD-inlined double3', 'double3', [1, 1, 1]],
    ['an OpenUSD-inlined negative double3', 'double3', [-2, 0, 127]],
    ['an OpenUSD-inlined negative int64', 'int64', -5],
  ];
  for (const [what, typeName, value] of inlined) {
    it(`reads ${what}`, () => {
      const crate = writeUsdc(layerWith([{ name: 'v', typeName, value }]), { openUsdInlining: true });
      expect(readUsdLayer(crate, 'inlined.usdc').specs.get('/Values.v')!.fields['default']).toEqual(value);
    });
  }
});

describe('lz4Frame', () => {
  /** LZ4 block decoding for literal runs only, written from the block format description. */
  function decodeLiteralFrame(frame: Uint8Array): Uint8Array {
    expect(frame[0]).toBe(0); // one chunk
    let at = 1;
    const token = frame[at++]!;
    expect(token & 0x0f).toBe(0);
    let length = token >> 4;
    if (length === 15) {
      let b: number;
      do length += b = frame[at++]!;
      while (b === 255);
    }
    expect(at + length).toBe(frame.length);
    return frame.subarray(at);
  }
  it.each([0, 1, 14, 15, 16, 269, 270, 271, 524, 525, 4000])('frames %i bytes as one literal run', (n) => {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);
    expect(decodeLiteralFrame(lz4Frame(data))).toEqual(data);
  });
});

describe('USDA → USDC', () => {
  it('tabletop.usda imports to the same scene from USDA and from USDC', () => {
    const fromText = importUsd(TABLETOP, 'tabletop.usda');
    const fromCrate = importUsd(usdaToUsdc(TABLETOP, 'tabletop.usda'), 'tabletop.usdc');
    expect(fromCrate.document.source).toEqual({ ...fromText.document.source, file: 'tabletop.usdc', format: 'usdc' });
    expect(fromCrate.warnings).toEqual(fromText.warnings);
    const pick = ({ prims, physicsMaterials, joints, gravity, collisionGroups, filteredPairs }: typeof fromText.document) => ({ prims, physicsMaterials, joints, gravity, collisionGroups, filteredPairs });
    expect(approxDiff(pick(fromCrate.document), pick(fromText.document))).toEqual([]);
    // The scene really carries what this comparison is about.
    const doc = fromCrate.document;
    const prim = (p: string) => doc.prims.find((x) => x.path === p)!;
    expect(doc.prims).toHaveLength(fromText.document.prims.length);
    expect(prim('/World/Objects/RedCube').labels).toEqual({ class: ['cube'] });
    expect(prim('/World/Objects/BlueBall').labels).toEqual({ class: ['ball'] });
    expect(prim('/World/Table').body?.type).toBe('static');
    expect(prim('/World/Objects/PurpleWedge').collider).toEqual({ enabled: true, approximation: 'convexHull', physicsMaterial: '/World/Looks/Wood' });
    expect(prim('/World/Objects/PurpleWedge').geometry?.kind).toBe('mesh');
    expect(doc.physicsMaterials.map((m) => m.path)).toEqual(['/World/Looks/Rubber', '/World/Looks/Steel', '/World/Looks/BouncyPlastic', '/World/Looks/Wood']);
    expect(approxDiff(doc.gravity, [0, -9.81, 0])).toEqual([]);
  });

  it('converts a USDA layer: prepend apiSchemas, xformOpOrder, bools, multi-target rels', () => {
    const text = `#usda 1.0
(
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "W" (
    prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI"]
)
{
    bool physics:kinematicEnabled = 1
    double3 xformOp:translate = (1, 2, 3)
    uniform token[] xformOpOrder = ["xformOp:translate"]
    rel physics:filteredPairs = [</W/A>, </W/B>]
    def Cube "A" {}
    def Cube "B" {}
}
`;
    const layer = usdcLayerFromUsdLayer(readUsdLayer(text, 'q.usda'));
    expect(layer.prims.map((p) => p.path)).toEqual(['/W', '/W/A', '/W/B']);
    const w = layer.prims[0]!;
    expect(w.apiSchemas).toEqual({ prepended: ['PhysicsRigidBodyAPI', 'PhysicsMassAPI'] });
    expect(w.attributes).toContainEqual({ name: 'physics:kinematicEnabled', typeName: 'bool', value: true });
    expect(w.attributes).toContainEqual({ name: 'xformOpOrder', typeName: 'token[]', value: ['xformOp:translate'], uniform: true });
    expect(w.relationships).toEqual([{ name: 'physics:filteredPairs', targets: ['/W/A', '/W/B'] }]);
    const crate = readUsdLayer(writeUsdc(layer), 'q.usdc');
    expect(crate.specs.get('/W.physics:filteredPairs')!.fields['targetPaths']).toEqual({ listOp: true, explicit: ['/W/A', '/W/B'] });
  });

  it('refuses content it cannot carry over, with an InputError naming the file and prim', () => {
    const text = `#usda 1.0
def Xform "W" (
    prepend references = @other.usda@
)
{
}
`;
    expect(() => usdaToUsdc(text, 'refs.usda')).toThrow(InputError);
    expect(() => usdaToUsdc(text, 'refs.usda')).toThrow(/^refs\.usda: \/W: prim field "references" is not supported/);
  });
});

describe('hinge in centimetres, grams, Z-up (scenes/fixtures/hinge-cm-zup.usdc)', () => {
  const bytes = readBytes('scenes/fixtures/hinge-cm-zup.usdc');
  const { document: doc, warnings } = importUsd(bytes, 'hinge-cm-zup.usdc');
  const prim = (p: string) => doc.prims.find((x) => x.path === p)!;
  const close = (actual: unknown, expected: unknown) => expect(approxDiff(actual, expected)).toEqual([]);

  it('imports without warnings, with the stage metrics', () => {
    expect(warnings).toEqual([]);
    expect(doc.source).toEqual({ file: 'hinge-cm-zup.usdc', format: 'usdc', metersPerUnit: 0.01, kilogramsPerUnit: 0.001, upAxis: 'Z' });
  });

  it('gravity: 981 cm/s² along −Z becomes 9.81 m/s² along −Y', () => close(doc.gravity, [0, -9.81, 0]));

  it('transforms: the root takes the Z-up → Y-up rotation, translations become metres', () => {
    close(prim('/World').transform, { position: [0, 0, 0], orientation: [-S, 0, 0, S], scale: [1, 1, 1] });
    close(prim('/World/Base').transform, { position: [0, 0, 0.05], orientation: [0, 0, 0, 1], scale: [1, 1, 1] });
    close(prim('/World/Arm').transform, { position: [0.15, 0, 0.1], orientation: [0, 0, S, S], scale: [2, 1, 1] });
    close(prim('/World/Base').geometry, { kind: 'box', size: [0.1, 0.1, 0.1] });
    close(prim('/World/Arm').geometry, { kind: 'box', size: [0.02, 0.02, 0.02] });
  });

  it('bodies: kinematic base; arm mass in kg, inertia in kg·m², velocities in world Y-up m/s and rad/s', () => {
    expect(prim('/World/Base').body?.type).toBe('kinematic');
    const arm = prim('/World/Arm');
    expect(arm.body?.type).toBe('dynamic');
    close(arm.body?.linearVelocity, [0, 0.1, 0]); // (0, 0, 10) cm/s, Z-up
    close(arm.body?.angularVelocity, [0, 90 * DEG, 0]); // (0, 0, 90) °/s
    close(arm.mass, { mass: 0.5, centerOfMass: [0.01, 0, 0], diagonalInertia: [100e-7, 200e-7, 300e-7] });
  });

  it('physics material: bound through material:binding:physics, density from g/cm³ to kg/m³', () => {
    close(doc.physicsMaterials, [
      { path: '/World/Looks/Aluminium', staticFriction: 0.6, dynamicFriction: 0.45, restitution: 0.25, density: 2700, frictionCombine: 'average', restitutionCombine: 'average' },
    ]);
    expect(prim('/World/Base').collider?.physicsMaterial).toBe('/World/Looks/Aluminium');
    expect(prim('/World/Arm').collider?.physicsMaterial).toBe('/World/Looks/Aluminium');
  });

  it('revolute joint: frames in metres (arm side through its scale), limits and drive in SI and radians', () => {
    expect(doc.joints).toHaveLength(1);
    const j = doc.joints[0]!;
    expect(j).toMatchObject({ path: '/World/Hinge', type: 'revolute', body0: '/World/Base', body1: '/World/Arm', axis: 'Y', enabled: true, collisionEnabled: false });
    close(j.localPos0, [0.05, 0, 0.05]);
    close(j.localRot0, [S, 0, 0, S]);
    close(j.localPos1, [-0.1, 0, 0]); // (−5, 0, 0) cm in the arm's frame, scaled ×2 along X
    close(j.localRot1, [0, 0, 0, 1]);
    close(j.limits, [{ dof: 'angular', low: -45 * DEG, high: 90 * DEG }]);
    // g·cm²/s² per degree → kg·m²/s² per radian: × 1e-3 × 1e-4 × 180/π
    const perRadian = 1e-7 / DEG;
    close(j.drives, [{ dof: 'angular', type: 'force', stiffness: 100 * perRadian, damping: 5 * perRadian, targetPosition: 30 * DEG, targetVelocity: 10 * DEG, maxForce: 1000e-7 }]);
  });

  it('collision groups: members and filtered groups', () => {
    expect(doc.collisionGroups).toEqual([
      { path: '/World/Groups/Arms', members: ['/World/Arm'], filteredGroups: ['/World/Groups/Bases'], invertFilteredGroups: false },
      { path: '/World/Groups/Bases', members: ['/World/Base'], filteredGroups: [], invertFilteredGroups: false },
    ]);
  });
});

describe('committed fixtures', () => {
  it('scenes/fixtures/* equal what scripts/make-fixtures.ts produces (run it after changing the writer)', () => {
    for (const { name, bytes } of buildUsdFixtures(TABLETOP)) {
      const committed = readBytes(`scenes/fixtures/${name}`);
      expect(committed.length, name).toBe(bytes.length);
      expect(Buffer.compare(committed, bytes), name).toBe(0);
    }
  });
});

describe('corrupt crate files give an InputError naming the file', () => {
  const good = usdaToUsdc(TABLETOP, 'tabletop.usda');
  const tocOffset = Number(new DataView(good.buffer).getBigUint64(16, true));
  beforeEach(() => {
    // three's parser warns about the unknown value types it meets in random bytes.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => vi.restoreAllMocks());

  const expectInputError = (bytes: Uint8Array, file: string) => {
    let error: unknown;
    try {
      importUsd(bytes, file);
    } catch (e) {
      error = e;
    }
    expect(error, `${file}: ${String(error)}`).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe(file);
    expect((error as InputError).message.startsWith(`${file}: `)).toBe(true);
  };

  it('truncated at the header, inside values, inside each section and in the table of contents', () => {
    const cuts = new Set([0, 4, 8, 9, 12, 16, 20, 24, 87, 88, 89, 200, tocOffset - 1, tocOffset, tocOffset + 8, tocOffset + 100, good.length - 1]);
    for (let n = 0; n < good.length; n += 97) cuts.add(n);
    for (const n of cuts) expectInputError(good.slice(0, n), `cut-${n}.usdc`);
  }, 10_000);

  it('random bytes after a valid bootstrap header, or between a valid header and table of contents', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = seededRandom(seed);
      const all = good.slice();
      for (let i = 88; i < all.length; i++) all[i] = Math.floor(random() * 256);
      expectInputError(all, `random-${seed}.usdc`);
      const sections = good.slice();
      for (let i = 88; i < tocOffset; i++) sections[i] = Math.floor(random() * 256);
      expectInputError(sections, `sections-${seed}.usdc`);
    }
  }, 10_000);

  /** Start offset of a named section, from the file's table of contents. */
  const sectionStart = (bytes: Uint8Array, name: string): number => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const toc = Number(view.getBigUint64(16, true));
    const count = Number(view.getBigUint64(toc, true));
    for (let i = 0; i < count; i++) {
      const entry = toc + 8 + i * 32;
      const label = new TextDecoder().decode(bytes.subarray(entry, entry + 16)).replace(/\0+$/, '');
      if (label === name) return Number(view.getBigUint64(entry + 16, true));
    }
    throw new Error(`no section ${name}`);
  };

  // Found by flipping single bytes: three's reader trusted these counts and aborted the process
  // (tokens) or exhausted the heap (fields). CrateParser checks every claimed count first.
  it('an absurd element count in the TOKENS or FIELDS section', () => {
    for (const section of ['TOKENS', 'FIELDS', 'FIELDSETS', 'PATHS', 'SPECS']) {
      const bytes = good.slice();
      bytes[sectionStart(bytes, section) + 4] = 0xff;
      expectInputError(bytes, `count-${section}.usdc`);
    }
  });

  it('any single corrupted byte: imports or fails with an InputError, never crashes or hangs', () => {
    const hinge = readBytes('scenes/fixtures/hinge-cm-zup.usdc');
    let rejected = 0;
    for (let i = 0; i < hinge.length; i++) {
      const bytes = new Uint8Array(hinge);
      bytes[i]! ^= 0xff;
      try {
        importUsd(bytes, 'flipped.usdc');
      } catch (e) {
        expect(e, `byte ${i}: ${String(e)}`).toBeInstanceOf(InputError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  }, 30_000);
});

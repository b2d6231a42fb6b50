/**
 * Composition arcs one at a time, on small hand-written layers whose composed result is what
 * OpenUSD gives: LIVRPS strength order, sublayers, references and payloads (list-ops, internal
 * references, asset paths, USDC and USDZ layers, relationship targets), inherits and specializes
 * (implied classes), variant sets (authored, nested, across references, the user's choice),
 * instancing, PointInstancer expansion, prim metadata composed across arcs, and the errors that
 * must be warnings (cycles, missing layers, plugin formats) rather than failures or hangs.
 *
 * Values are read from the flat spec table composeUsd returns (what the importer reads) or, where
 * the behaviour is about the scene, from importUsd's document.
 */
import { readFileSync } from 'node:fs';
import { Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../errors.ts';
import { primIndex, worldMatrices } from '../../scene/hierarchy.ts';
import type { SceneDocument } from '../../scene/schema.ts';
import { composeUsd, type CompositionResult, type VariantSelection } from '../compose.ts';
import { importUsd } from '../import.ts';
import { readUsdLayer } from '../layer.ts';
import { usdaToUsdc } from '../../testing/usdcWriter.ts';
import { packUsdz } from '../usdz.ts';

// ---------------------------------------------------------------- helpers

type Files = Record<string, string | Uint8Array>;

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A USDA layer in metres, Y-up, with extra layer metadata lines. */
function usda(body: string, ...metadata: string[]): string {
  return `#usda 1.0\n(\n    metersPerUnit = 1\n    upAxis = "Y"\n${metadata.map((m) => `    ${m}\n`).join('')})\n\n${body}\n`;
}

function resolverOf(files: Files) {
  return (key: string) => {
    const f = files[key];
    return f === undefined ? undefined : typeof f === 'string' ? utf8(f) : f;
  };
}

/** Composes `files[root]` with every other file of `files` reachable by key. */
function compose(files: Files, options: { root?: string; variants?: VariantSelection[] } = {}): CompositionResult {
  const root = options.root ?? 'root.usda';
  const layer = readUsdLayer(files[root]!, root);
  return composeUsd(layer, { resolve: resolverOf(files), ...(options.variants ? { variants: options.variants } : {}) });
}

function importFiles(files: Files, root = 'root.usda', variants?: VariantSelection[]) {
  return importUsd(files[root]!, root, { resolve: resolverOf(files), ...(variants ? { variants } : {}) });
}

/** The composed default value of a property. */
const value = (r: CompositionResult, path: string): unknown => r.layer.specs[path]?.fields['default'];
const field = (r: CompositionResult, path: string, name: string): unknown => r.layer.specs[path]?.fields[name];
const children = (r: CompositionResult, path: string): unknown => r.layer.specs[path]?.fields['primChildren'];
const targets = (r: CompositionResult, path: string): unknown => r.layer.specs[path]?.fields['targetPaths'];
const primPaths = (r: CompositionResult): string[] => Object.keys(r.layer.specs).filter((p) => p !== '/' && !p.includes('.'));

/** World position of a point given in a prim's local frame. */
function worldPoint(doc: SceneDocument, path: string, local: [number, number, number] = [0, 0, 0]): number[] {
  const m = worldMatrices(doc).get(path);
  if (!m) throw new Error(`no prim ${path} in the document`);
  const v = new Vector3(...local).applyMatrix4(m);
  return [v.x, v.y, v.z];
}

function expectClose(actual: readonly number[], expected: readonly number[], digits = 5) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `component ${i} of [${actual.join(', ')}]`).toBeCloseTo(expected[i]!, digits));
}

// ---------------------------------------------------------------- LIVRPS

describe('strength order (LIVRPS)', () => {
  type Source = 'local' | 'inherit' | 'variant' | 'reference' | 'payload' | 'specialize';
  const ORDER: Source[] = ['local', 'inherit', 'variant', 'reference', 'payload', 'specialize'];
  const VALUE: Record<Source, number> = { local: 1, inherit: 2, variant: 3, reference: 4, payload: 5, specialize: 6 };

  /** Every arc is authored on /Prim; only the sources in `opinions` author `x`. */
  function livrps(opinions: ReadonlySet<Source>): Files {
    const x = (s: Source) => (opinions.has(s) ? `double x = ${VALUE[s]}` : '');
    return {
      'root.usda': usda(`
class "_Inherited"
{
    ${x('inherit')}
}

class "_Specialized"
{
    ${x('specialize')}
}

def Xform "Prim" (
    inherits = </_Inherited>
    variants = {
        string v = "on"
    }
    prepend variantSets = "v"
    references = @ref.usda@
    payload = @payload.usda@
    specializes = </_Specialized>
)
{
    ${x('local')}
    double marker = 0
    variantSet "v" = {
        "on" {
            ${x('variant')}
        }
    }
}
`),
      'ref.usda': usda(`def Xform "Ref"\n{\n    ${x('reference')}\n}`, 'defaultPrim = "Ref"'),
      'payload.usda': usda(`def Xform "Payload"\n{\n    ${x('payload')}\n}`, 'defaultPrim = "Payload"'),
    };
  }

  it('local beats inherits beats variants beats references beats payloads beats specializes, removing the strongest one at a time', () => {
    const winners: Array<[string, unknown]> = [];
    for (let i = 0; i <= ORDER.length; i++) {
      const opinions = new Set(ORDER.slice(i));
      const r = compose(livrps(opinions));
      expect(r.warnings).toEqual([]);
      expect(value(r, '/Prim.marker')).toBe(0);
      winners.push([i < ORDER.length ? ORDER[i]! : 'none', value(r, '/Prim.x')]);
    }
    expect(winners).toEqual([
      ['local', 1],
      ['inherit', 2],
      ['variant', 3],
      ['reference', 4],
      ['payload', 5],
      ['specialize', 6],
      ['none', undefined],
    ]);
  });

  it('each weaker source alone still supplies the value when every stronger one is silent', () => {
    for (const only of ORDER) {
      const r = compose(livrps(new Set([only])));
      expect([only, value(r, '/Prim.x')]).toEqual([only, VALUE[only]]);
    }
  });
});

// ---------------------------------------------------------------- sublayers

describe('subLayers', () => {
  it('an earlier sublayer is stronger than a later one, and the root layer is stronger than both', () => {
    const r = compose({
      'root.usda': usda('over "P"\n{\n    double w = 0\n}', 'subLayers = [@strong.usda@, @weak.usda@]'),
      'strong.usda': usda('def Xform "P"\n{\n    double w = 1\n    double x = 1\n}'),
      'weak.usda': usda('def Cube "P"\n{\n    double w = 2\n    double x = 2\n    double y = 2\n}'),
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/P.w'), value(r, '/P.x'), value(r, '/P.y')]).toEqual([0, 1, 2]);
    expect(field(r, '/P', 'typeName')).toBe('Xform');
  });

  it('a nested sublayer sits right below the layer that names it: weaker than it, stronger than that layer`s later siblings', () => {
    const r = compose({
      'root.usda': usda('', 'subLayers = [@strong.usda@, @weak.usda@]'),
      'strong.usda': usda('def Xform "P"\n{\n}', 'subLayers = [@layers/nested.usda@]'),
      'layers/nested.usda': usda('over "P"\n{\n    double y = 3\n    double z = 3\n}', 'subLayers = [@./deeper.usda@]'),
      'layers/deeper.usda': usda('over "P"\n{\n    double z = 4\n    double d = 4\n}'),
      'weak.usda': usda('over "P"\n{\n    double y = 2\n    double z = 2\n    double d = 2\n    double only = 2\n}'),
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/P.y'), value(r, '/P.z'), value(r, '/P.d'), value(r, '/P.only')]).toEqual([3, 3, 4, 2]);
  });

  it('a payload to a layer with no prims of its own composes what its sublayers hold (asset → payload → [look, geom])', () => {
    const files: Files = {
      'root.usda': usda('def Xform "World"\n{\n    def "Chair" (prepend references = @assets/chair/chair.usda@)\n    {\n        double3 xformOp:translate = (2, 0, 0)\n        uniform token[] xformOpOrder = ["xformOp:translate"]\n    }\n}'),
      'assets/chair/chair.usda': usda('def Xform "Chair" (\n    kind = "component"\n    prepend payload = @./payload.usda@\n)\n{\n}', 'defaultPrim = "Chair"'),
      'assets/chair/payload.usda': usda('', 'defaultPrim = "Chair"', 'subLayers = [@./look.usda@, @./geom.usda@]'),
      'assets/chair/look.usda': usda('over "Chair"\n{\n    over "Seat"\n    {\n        color3f[] primvars:displayColor = [(1, 0, 0)]\n    }\n}'),
      'assets/chair/geom.usda': usda(
        'def Xform "Chair"\n{\n    def Cube "Seat"\n    {\n        double size = 0.5\n        color3f[] primvars:displayColor = [(0, 0, 1)]\n        double3 xformOp:translate = (0, 0.25, 0)\n        uniform token[] xformOpOrder = ["xformOp:translate"]\n    }\n}',
      ),
    };
    const r = compose(files);
    expect(r.warnings).toEqual([]);
    expect(children(r, '/World/Chair')).toEqual(['Seat']);
    expect(field(r, '/World/Chair', 'kind')).toBe('component');
    expect(field(r, '/World/Chair/Seat', 'typeName')).toBe('Cube');
    expect(value(r, '/World/Chair/Seat.size')).toBe(0.5);
    expect(value(r, '/World/Chair/Seat.primvars:displayColor')).toEqual([1, 0, 0]);

    const { document } = importFiles(files);
    const seat = primIndex(document).get('/World/Chair/Seat');
    expect(seat?.geometry).toEqual({ kind: 'box', size: [0.5, 0.5, 0.5] });
    expectClose(worldPoint(document, '/World/Chair/Seat'), [2, 0.25, 0]);
  });

  it('layer offsets on sublayers and references move time samples into the root layer`s time', () => {
    const r = compose({
      'root.usda': usda('def Xform "Ref" (references = @anim.usda@ (offset = 3))\n{\n}', 'subLayers = [@anim.usda@ (offset = 10; scale = 2)]'),
      'anim.usda': usda('def Xform "Anim"\n{\n    double x.timeSamples = {\n        0: 1,\n        5: 2,\n    }\n}', 'defaultPrim = "Anim"'),
    });
    expect(r.warnings).toEqual([]);
    expect(field(r, '/Anim.x', 'timeSamples')).toEqual({ times: [10, 20], values: [1, 2] });
    expect(field(r, '/Ref.x', 'timeSamples')).toEqual({ times: [3, 8], values: [1, 2] });
  });

  it('a sublayer`s offset applies to the reference offsets its layer authors (offset 10, scale 2 then offset 5: t → 20 + 2t)', () => {
    const r = compose({
      'root.usda': usda('', 'subLayers = [@mid.usda@ (offset = 10; scale = 2)]'),
      'mid.usda': usda('def Xform "R" (references = @anim.usda@ (offset = 5))\n{\n}'),
      'anim.usda': usda('def Xform "Anim"\n{\n    double x.timeSamples = {\n        0: 1,\n        5: 2,\n    }\n}', 'defaultPrim = "Anim"'),
    });
    expect(field(r, '/R.x', 'timeSamples')).toEqual({ times: [20, 30], values: [1, 2] });
  });

  it('a referenced layer authored at another timeCodesPerSecond is scaled into the referencing layer`s time', () => {
    const r = compose({
      'root.usda': usda('def Xform "R" (references = @anim.usda@)\n{\n}', 'timeCodesPerSecond = 24'),
      'anim.usda': usda('def Xform "Anim"\n{\n    double x.timeSamples = {\n        0: 1,\n        48: 2,\n    }\n}', 'defaultPrim = "Anim"', 'timeCodesPerSecond = 48'),
    });
    expect(field(r, '/R.x', 'timeSamples')).toEqual({ times: [0, 24], values: [1, 2] });
  });
});

// ---------------------------------------------------------------- references and payloads

describe('references and payloads', () => {
  const LIB = usda(
    ['A', 'B', 'C', 'D']
      .map((n, i) => `def Xform "${n}"\n{\n    double x = ${i + 1}\n    double from${n} = 1\n    def "Child${n}"\n    {\n    }\n}`)
      .join('\n\n'),
    'defaultPrim = "A"',
  );

  it('a reference`s opinions are weaker than the referencing layer`s, and it brings the whole subtree', () => {
    const r = compose({
      'root.usda': usda('def "P" (references = @lib.usda@</B>)\n{\n    double fromB = 7\n    def "Local"\n    {\n    }\n}'),
      'lib.usda': LIB,
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/P.x'), value(r, '/P.fromB')]).toEqual([2, 7]);
    expect(field(r, '/P', 'typeName')).toBe('Xform');
    // Children: weaker sites' names first, then the new ones of stronger sites.
    expect(children(r, '/P')).toEqual(['ChildB', 'Local']);
  });

  it('a value block (= None) in the referencing layer hides the referenced value', () => {
    const r = compose({ 'root.usda': usda('def "P" (references = @lib.usda@</B>)\n{\n    double x = None\n}'), 'lib.usda': LIB });
    expect(value(r, '/P.x')).toBeUndefined();
    expect(value(r, '/P.fromB')).toBe(1);
  });

  it('a reference without a prim path brings the layer`s default prim; one with a path brings that prim', () => {
    const r = compose({
      'root.usda': usda('def "ByDefault" (references = @lib.usda@)\n{\n}\n\ndef "ByPath" (references = @lib.usda@</C>)\n{\n}'),
      'lib.usda': LIB,
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/ByDefault.x'), value(r, '/ByPath.x')]).toEqual([1, 3]);
    expect(children(r, '/ByDefault')).toEqual(['ChildA']);
    expect(children(r, '/ByPath')).toEqual(['ChildC']);
  });

  it('reference list-ops compose across sublayers as Sdf applies them: delete, add, prepend, append (weak layer first)', () => {
    const r = compose({
      'root.usda': usda('def Xform "P"\n{\n}', 'subLayers = [@strong.usda@, @weak.usda@]'),
      'weak.usda': usda('over "P" (\n    prepend references = [@lib.usda@</A>, @lib.usda@</B>]\n)\n{\n}'),
      'strong.usda': usda(
        'over "P" (\n    delete references = @lib.usda@</A>\n    add references = @lib.usda@</C>\n    prepend references = @lib.usda@</D>\n    append references = @lib.usda@</B>\n)\n{\n}',
      ),
      'lib.usda': LIB,
    });
    expect(r.warnings).toEqual([]);
    // [A, B] → delete A → [B] → add C → [B, C] → prepend D → [D, B, C] → append B → [D, C, B]
    expect(value(r, '/P.fromA')).toBeUndefined();
    expect(primPaths(r)).not.toContain('/P/ChildA');
    expect(value(r, '/P.x')).toBe(4);
    expect(children(r, '/P')).toEqual(['ChildB', 'ChildC', 'ChildD']);
  });

  it('payloads compose list-ops the same way, and a deleted payload brings nothing', () => {
    const r = compose({
      'root.usda': usda('def Xform "P"\n{\n}', 'subLayers = [@strong.usda@, @weak.usda@]'),
      'weak.usda': usda('over "P" (\n    prepend payload = [@lib.usda@</A>, @lib.usda@</B>]\n)\n{\n}'),
      'strong.usda': usda('over "P" (\n    delete payload = @lib.usda@</B>\n    append payload = @lib.usda@</C>\n)\n{\n}'),
      'lib.usda': LIB,
    });
    expect(r.warnings).toEqual([]);
    expect(value(r, '/P.fromB')).toBeUndefined();
    expect(value(r, '/P.x')).toBe(1);
    expect(children(r, '/P')).toEqual(['ChildC', 'ChildA']);
  });

  it('an explicit reference list in a stronger sublayer replaces the weaker layer`s list', () => {
    const r = compose({
      'root.usda': usda('def Xform "P"\n{\n}', 'subLayers = [@strong.usda@, @weak.usda@]'),
      'weak.usda': usda('over "P" (\n    prepend references = [@lib.usda@</A>, @lib.usda@</B>]\n)\n{\n}'),
      'strong.usda': usda('over "P" (\n    references = @lib.usda@</C>\n)\n{\n}'),
      'lib.usda': LIB,
    });
    expect(children(r, '/P')).toEqual(['ChildC']);
    expect(value(r, '/P.x')).toBe(3);
  });

  it('an internal reference (</Path>) copies a prim of the same layer stack; the source stays', () => {
    const r = compose({
      'root.usda': usda(
        'def Xform "Src"\n{\n    double x = 7\n    def Cube "Kid"\n    {\n        double size = 2\n    }\n}\n\ndef "Copy" (references = </Src>)\n{\n}\n\ndef "Edited" (references = </Src>)\n{\n    double x = 8\n    over "Kid"\n    {\n        double size = 3\n    }\n}',
      ),
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/Src.x'), value(r, '/Copy.x'), value(r, '/Edited.x')]).toEqual([7, 7, 8]);
    expect(field(r, '/Copy', 'typeName')).toBe('Xform');
    expect([value(r, '/Src/Kid.size'), value(r, '/Copy/Kid.size'), value(r, '/Edited/Kid.size')]).toEqual([2, 2, 3]);
  });

  it('an internal reference inside a referenced layer reads that layer, not the referencing one', () => {
    const r = compose({
      'root.usda': usda('def Xform "Lib"\n{\n    double x = 99\n}\n\ndef "Thing" (references = @asset.usda@)\n{\n}'),
      'asset.usda': usda('def Xform "Lib"\n{\n    double x = 1\n}\n\ndef Xform "Asset" (references = </Lib>)\n{\n}', 'defaultPrim = "Asset"'),
    });
    expect(r.warnings).toEqual([]);
    expect(value(r, '/Thing.x')).toBe(1);
    expect(value(r, '/Lib.x')).toBe(99);
  });

  it('asset paths resolve against the layer that writes them (a subfolder layer naming @../other/x.usda@)', () => {
    const r = compose({
      'root.usda': usda('def "A" (references = @sub/a.usda@)\n{\n}'),
      'sub/a.usda': usda('def Xform "A" (references = @../other/x.usda@)\n{\n    double fromA = 1\n    asset texture = @./wood.png@\n}', 'defaultPrim = "A"'),
      'other/x.usda': usda('def Xform "X"\n{\n    double x = 3\n}', 'defaultPrim = "X"'),
      // Where the path would land if it were resolved against the root layer instead.
      'sub/other/x.usda': usda('def Xform "X"\n{\n    double x = -1\n}', 'defaultPrim = "X"'),
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/A.fromA'), value(r, '/A.x')]).toEqual([1, 3]);
    // Asset-valued attributes too: the key of the file, relative to the root layer's folder.
    expect(value(r, '/A.texture')).toBe('sub/wood.png');
  });

  it('a USDA layer references a USDC layer (made with usdaToUsdc) as it would a USDA one', () => {
    const asset = usda('def Xform "Asset"\n{\n    double x = 5\n    def Sphere "Ball"\n    {\n        double radius = 0.25\n    }\n}', 'defaultPrim = "Asset"');
    const root = usda('def Xform "World"\n{\n    def "A" (references = @assets/asset.usdc@)\n    {\n        double y = 1\n    }\n}');
    const binary = compose({ 'root.usda': root, 'assets/asset.usdc': usdaToUsdc(asset, 'asset.usda') });
    const text = compose({ 'root.usda': root.replace('asset.usdc', 'asset.usda'), 'assets/asset.usda': asset });
    for (const r of [binary, text]) {
      expect(r.warnings).toEqual([]);
      expect([value(r, '/World/A.x'), value(r, '/World/A.y'), value(r, '/World/A/Ball.radius')]).toEqual([5, 1, 0.25]);
      expect(field(r, '/World/A/Ball', 'typeName')).toBe('Sphere');
    }
    expect(binary.layer.specs).toEqual(text.layer.specs);
  });

  // usdaToUsdc cannot write composition arcs, so USDC layers that author them are OpenUSD's own test files.
  const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../testdata/openusd/${name}`, import.meta.url)));

  it('a USDC layer OpenUSD wrote (usdchecker`s clean.usdc) references a USDA layer and sublayers a USDC one', () => {
    const r = compose(
      {
        'clean.usdc': fixture('clean.usdc'),
        'geom.usdc': fixture('usdcheckerClean/geom.usdc'),
        'shading.usda': '#usda 1.0\n\ndef "World"\n{\n    double fromShading = 1\n    def Scope "scope"\n    {\n        double fromShading = 2\n    }\n}\n',
      },
      { root: 'clean.usdc' },
    );
    expect(r.layer.format).toBe('usdc');
    expect(r.warnings.filter((w) => /cycle|missing|not given/.test(w))).toEqual([]);
    expect([value(r, '/World.fromShading'), value(r, '/World/scope.fromShading')]).toEqual([1, 2]);
    // Child names: the reference's first (weakest), then the sublayer's, then the root layer's new ones.
    expect(children(r, '/World')).toEqual(['scope', 'geom', 'camera']);
    expect(field(r, '/World/scope', 'typeName')).toBe('Scope');
    expect(field(r, '/World/geom/cube', 'typeName')).toBe('Cube');
    expect(field(r, '/World', 'apiSchemas')).toEqual(['MaterialBindingAPI']);
  });

  it('a USDC layer references another USDC layer (OpenUSD`s testUsdCrateRelocates root_no_relocates.usdc → model.usdc)', () => {
    const r = compose({ 'root.usdc': fixture('root_no_relocates.usdc'), 'model.usdc': fixture('relocates_model.usdc') }, { root: 'root.usdc' });
    expect(r.warnings.filter((w) => /cycle|missing|not given/.test(w))).toEqual([]);
    expect(children(r, '/World/Char')).toEqual(['Rig', 'Anim']);
    expect(children(r, '/World/Char/Rig')).toEqual(['Body', 'Head']);
    expect(field(r, '/World/Char/Rig/Body/Geom', 'typeName')).toBe('Mesh');
    expect(field(r, '/World/Char/Anim', 'typeName')).toBe('Scope');
  });

  it('references inside a USDZ package resolve against the package`s files, from a USDA layer in a subfolder to a USDC layer', () => {
    const usdz = packUsdz([
      { name: 'scene.usda', bytes: utf8(usda('def Xform "World"\n{\n    def "Robot" (references = @assets/robot.usda@)\n    {\n    }\n}')) },
      { name: 'assets/robot.usda', bytes: utf8(usda('def Xform "Robot"\n{\n    double x = 1\n    def "Hand" (references = @./parts/hand.usdc@)\n    {\n    }\n}', 'defaultPrim = "Robot"')) },
      { name: 'assets/parts/hand.usdc', bytes: usdaToUsdc(usda('def Cube "Hand"\n{\n    double size = 0.1\n}', 'defaultPrim = "Hand"'), 'hand.usda') },
    ]);
    const r = composeUsd(readUsdLayer(usdz, 'scene.usdz'));
    expect(r.warnings).toEqual([]);
    expect(value(r, '/World/Robot.x')).toBe(1);
    expect(field(r, '/World/Robot/Hand', 'typeName')).toBe('Cube');
    expect(value(r, '/World/Robot/Hand.size')).toBe(0.1);
    const { document } = importUsd(usdz, 'scene.usdz');
    expect(primIndex(document).get('/World/Robot/Hand')?.geometry).toEqual({ kind: 'box', size: [0.1, 0.1, 0.1] });
  });

  it('a USDZ package OpenUSD wrote (clean_usdc.usdz): its USDC root layer references shading.usda inside the package', () => {
    const r = composeUsd(readUsdLayer(fixture('usdcheckerClean/clean_usdc.usdz'), 'clean_usdc.usdz'));
    expect(r.warnings.filter((w) => /cycle|missing|not given/.test(w))).toEqual([]);
    expect(children(r, '/World')).toEqual(['material', 'geom', 'scope', 'camera']);
    expect(field(r, '/World/material', 'typeName')).toBe('Material');
    expect(value(r, '/World/material/pngTex.inputs:file')).toBe('0/mat_png.png');
    expect(field(r, '/World/material/nodeGraph.inputs:nodeGraphIn1', 'connectionPaths')).toEqual(['/World/material/pngTex.outputs:rgb']);
  });

  const ROBOT = usda(
    'def Xform "Robot"\n{\n    def Xform "Base"\n    {\n    }\n    def Xform "Arm"\n    {\n        rel parent = </Robot/Base>\n    }\n    rel links = [</Robot/Base>, </Robot/Arm>, </Robot/Arm.attr>]\n    rel outside = [</Elsewhere>, </Robot/Base>]\n}\n\ndef Xform "Elsewhere"\n{\n}',
    'defaultPrim = "Robot"',
  );

  it('relationship targets inside the referenced prim are mapped into the referencing namespace', () => {
    const r = compose({ 'root.usda': usda('def Xform "World"\n{\n    def "R" (references = @robot.usda@)\n    {\n    }\n}'), 'robot.usda': ROBOT });
    expect(targets(r, '/World/R.links')).toEqual(['/World/R/Base', '/World/R/Arm', '/World/R/Arm.attr']);
    expect(targets(r, '/World/R/Arm.parent')).toEqual(['/World/R/Base']);
    expect(primPaths(r)).not.toContain('/Elsewhere');
  });

  it('an internal reference keeps targets outside the referenced prim (its map has the root identity), unlike an external one', () => {
    const r = compose({
      'root.usda': usda('def Scope "Looks"\n{\n    def Material "Red"\n    {\n    }\n}\n\ndef Xform "Src"\n{\n    def "Part"\n    {\n    }\n    rel material:binding = [</Looks/Red>, </Src/Part>]\n}\n\ndef "Copy" (references = </Src>)\n{\n}'),
    });
    expect(targets(r, '/Copy.material:binding')).toEqual(['/Looks/Red', '/Copy/Part']);
    expect(r.warnings).toEqual([]);
  });

  it('a reference to a prim below the root brings what its ancestors` arcs and variants give it (subroot reference)', () => {
    const r = compose({
      'root.usda': usda('def "Sub" (references = @lib.usda@</A/Kid>)\n{\n}'),
      'lib.usda': usda(
        'def Xform "A" (\n    references = @base.usda@\n    variants = {\n        string v = "one"\n    }\n    prepend variantSets = "v"\n)\n{\n    def Xform "Kid"\n    {\n        double own = 1\n    }\n    variantSet "v" = {\n        "one" {\n            over "Kid"\n            {\n                double fromVariant = 2\n            }\n        }\n    }\n}\n\ndef Xform "B"\n{\n    double fromB = 1\n}',
      ),
      'base.usda': usda('def Xform "Base"\n{\n    def Cube "Kid"\n    {\n        double fromBase = 3\n        def "Grandkid"\n        {\n        }\n    }\n}', 'defaultPrim = "Base"'),
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/Sub.own'), value(r, '/Sub.fromVariant'), value(r, '/Sub.fromBase'), value(r, '/Sub.fromB')]).toEqual([1, 2, 3, undefined]);
    expect(field(r, '/Sub', 'typeName')).toBe('Xform');
    expect(children(r, '/Sub')).toEqual(['Grandkid']);
  });

  it('relationship target list-ops compose across a reference: the referencing layer prepends and deletes mapped targets', () => {
    const r = compose({
      'root.usda': usda(
        'def Xform "World"\n{\n    def "R" (references = @robot.usda@)\n    {\n        prepend rel links = </World/R/Extra>\n        delete rel links = </World/R/Base>\n        def "Extra"\n        {\n        }\n    }\n}',
      ),
      'robot.usda': ROBOT,
    });
    expect(targets(r, '/World/R.links')).toEqual(['/World/R/Extra', '/World/R/Arm', '/World/R/Arm.attr']);
  });

  it('a relationship target outside the referenced prim is dropped with a warning naming it', () => {
    const r = compose({ 'root.usda': usda('def Xform "World"\n{\n    def "R" (references = @robot.usda@)\n    {\n    }\n}'), 'robot.usda': ROBOT });
    expect(targets(r, '/World/R.outside')).toEqual(['/World/R/Base']);
    expect(r.warnings.filter((w) => w.includes('</Elsewhere>'))).toEqual([
      'robot.usda: /Robot.outside targets </Elsewhere>, which lies outside what its arc brings in; the target is ignored',
    ]);
  });
});

// ---------------------------------------------------------------- inherits and specializes

describe('inherits and specializes', () => {
  it('a class supplies what its instances do not say, the instance`s own opinion wins, and the class prim is not imported', () => {
    const files: Files = {
      'root.usda': usda('class Sphere "_Ball"\n{\n    double radius = 2\n    double mass = 5\n}\n\ndef "A" (inherits = </_Ball>)\n{\n    double radius = 1\n}\n\ndef "B" (inherits = </_Ball>)\n{\n}'),
    };
    const r = compose(files);
    expect(r.warnings).toEqual([]);
    expect(primPaths(r)).toEqual(['/A', '/B']);
    expect([value(r, '/A.radius'), value(r, '/A.mass'), value(r, '/B.radius')]).toEqual([1, 5, 2]);
    expect(field(r, '/A', 'typeName')).toBe('Sphere');
    const { document } = importFiles(files);
    expect(document.prims.map((p) => p.path)).toEqual(['/A', '/B']);
    expect(primIndex(document).get('/B')?.geometry).toEqual({ kind: 'sphere', radius: 2 });
  });

  it('prims defined under a class are not imported either; the instance gets them as its children', () => {
    const r = compose({ 'root.usda': usda('class "_Lamp"\n{\n    def Sphere "Bulb"\n    {\n        double radius = 0.1\n    }\n}\n\ndef Xform "Lamp" (inherits = </_Lamp>)\n{\n}') });
    expect(primPaths(r)).toEqual(['/Lamp', '/Lamp/Bulb']);
    expect(value(r, '/Lamp/Bulb.radius')).toBe(0.1);
  });

  it('a class may itself reference an asset; its instances get that content', () => {
    const r = compose({
      'root.usda': usda('class "_Tree" (references = @tree.usda@)\n{\n    double height = 2\n}\n\ndef "Oak" (inherits = </_Tree>)\n{\n}'),
      'tree.usda': usda('def Xform "Tree"\n{\n    double height = 1\n    token species = "generic"\n    def Cylinder "Trunk"\n    {\n    }\n}', 'defaultPrim = "Tree"'),
    });
    expect([value(r, '/Oak.height'), value(r, '/Oak.species')]).toEqual([2, 'generic']);
    expect(field(r, '/Oak', 'typeName')).toBe('Xform');
    expect(children(r, '/Oak')).toEqual(['Trunk']);
    expect(primPaths(r)).toEqual(['/Oak', '/Oak/Trunk']);
  });

  it('edits to a class in the root layer reach instances two references deep', () => {
    const r = compose({
      'root.usda': usda('over "_Wheel"\n{\n    double radius = 7\n}\n\ndef Xform "World"\n{\n    def "Garage" (references = @garage.usda@)\n    {\n    }\n}'),
      'garage.usda': usda('def Xform "Garage"\n{\n    def "Car" (references = @car.usda@)\n    {\n    }\n}', 'defaultPrim = "Garage"'),
      'car.usda': CAR,
    });
    expect([value(r, '/World/Garage/Car/W1.radius'), value(r, '/World/Garage/Car/W2.radius')]).toEqual([7, 7]);
  });

  it('an `over` on a class in a stronger layer edits the class, which stays a class', () => {
    const r = compose({
      'root.usda': usda('over "_Ball"\n{\n    double radius = 3\n}\n\ndef Sphere "A" (inherits = </_Ball>)\n{\n}', 'subLayers = [@classes.usda@]'),
      'classes.usda': usda('class "_Ball"\n{\n    double radius = 2\n    double mass = 5\n}'),
    });
    expect(r.warnings).toEqual([]);
    expect(primPaths(r)).toEqual(['/A']);
    expect([value(r, '/A.radius'), value(r, '/A.mass')]).toEqual([3, 5]);
  });

  const CAR = usda(
    'class "_Wheel"\n{\n    double radius = 1\n}\n\nclass "_Paint"\n{\n    token color = "grey"\n}\n\ndef Xform "Car"\n{\n    def Sphere "W1" (inherits = </_Wheel>)\n    {\n    }\n    def Sphere "W2" (inherits = </_Wheel>)\n    {\n        double radius = 3\n    }\n    def Xform "Body" (specializes = </_Paint>)\n    {\n        token color = "blue"\n    }\n    def Xform "Trim" (specializes = </_Paint>)\n    {\n    }\n}',
    'defaultPrim = "Car"',
  );

  it('edits to a class in the root layer reach instances inside a referenced asset (implied inherits), even over the asset`s own opinion', () => {
    const r = compose({
      'root.usda': usda('over "_Wheel"\n{\n    double radius = 5\n}\n\ndef Xform "World"\n{\n    def "Car" (references = @car.usda@)\n    {\n    }\n}'),
      'car.usda': CAR,
    });
    expect(r.warnings.filter((w) => /cycle|missing|outside|not given/.test(w))).toEqual([]);
    expect(value(r, '/World/Car/W1.radius')).toBe(5);
    // The implied class in the root layer stack is an inherit: stronger than the whole reference.
    expect(value(r, '/World/Car/W2.radius')).toBe(5);
    // The asset's class is not a prim of the stage.
    expect(primPaths(r).filter((p) => p.includes('_Wheel'))).toEqual([]);
  });

  it('without a root-layer edit, the referenced asset`s class and local opinions compose as in the asset', () => {
    const r = compose({ 'root.usda': usda('def Xform "World"\n{\n    def "Car" (references = @car.usda@)\n    {\n    }\n}'), 'car.usda': CAR });
    expect([value(r, '/World/Car/W1.radius'), value(r, '/World/Car/W2.radius')]).toEqual([1, 3]);
    expect([value(r, '/World/Car/Body.color'), value(r, '/World/Car/Trim.color')]).toEqual(['blue', 'grey']);
  });

  it('inheriting a class does not make the instance a class: a referenced def beats a root-layer `class` reached by an implied inherit', () => {
    // OpenUSD's UsdStage composes the specifier so that a class specifier due to a direct inherit is
    // weaker than any def (see _GetPrimSpecifierImpl in pxr/usd/usd/stage.cpp, whose comment has this case).
    // Simloop's flatten (composedSpecifier) takes the strongest def-or-class, so the implied root-layer
    // class makes W1 and W2 classes and they are dropped.
    const r = compose({
      'root.usda': usda('class "_Wheel"\n{\n    double radius = 5\n}\n\ndef Xform "World"\n{\n    def "Car" (references = @car.usda@)\n    {\n    }\n}'),
      'car.usda': CAR,
    });
    expect(children(r, '/World/Car')).toEqual(['W1', 'W2', 'Body', 'Trim']);
    expect(field(r, '/World/Car/W1', 'typeName')).toBe('Sphere');
    expect([value(r, '/World/Car/W1.radius'), value(r, '/World/Car/W2.radius')]).toEqual([5, 5]);
    expect(primPaths(r).filter((p) => p.includes('_Wheel'))).toEqual([]);
  });

  it('inheriting a class does not make the instance a class: OpenUSD`s own example (over A referencing B, which inherits C; C a class in both layers)', () => {
    const r = compose({
      'root.usda': usda('class "C"\n{\n}\n\nover "A" (references = @other.usda@</B>)\n{\n}'),
      'other.usda': usda('class "C"\n{\n    double x = 1\n}\n\ndef Xform "B" (inherits = </C>)\n{\n}'),
    });
    expect(primPaths(r)).toEqual(['/A']);
    expect(field(r, '/A', 'typeName')).toBe('Xform');
    expect(value(r, '/A.x')).toBe(1);
  });

  it('a class inside the referenced prim is mapped with it: the referencing layer edits it at its new path', () => {
    const r = compose({
      'root.usda': usda('def Xform "World"\n{\n    def "Car" (references = @car2.usda@)\n    {\n        over "_Part"\n        {\n            double x = 2\n        }\n    }\n}'),
      'car2.usda': usda('def Xform "Car"\n{\n    class "_Part"\n    {\n        double x = 1\n        double y = 1\n    }\n    def Xform "P1" (inherits = </Car/_Part>)\n    {\n    }\n}', 'defaultPrim = "Car"'),
    });
    expect([value(r, '/World/Car/P1.x'), value(r, '/World/Car/P1.y')]).toEqual([2, 1]);
    expect(children(r, '/World/Car')).toEqual(['P1']);
  });

  it('specializes are weaker than the referenced asset`s own opinion while inherits are stronger (the classic difference)', () => {
    const r = compose({
      'root.usda': usda('over "_Wheel"\n{\n    double radius = 5\n}\n\nover "_Paint"\n{\n    token color = "red"\n}\n\ndef Xform "World"\n{\n    def "Car" (references = @car.usda@)\n    {\n    }\n}'),
      'car.usda': CAR,
    });
    expect(value(r, '/World/Car/W2.radius')).toBe(5);
    expect(value(r, '/World/Car/Body.color')).toBe('blue');
    // Where the asset says nothing, the root layer's edit to the specialized class still reaches it.
    expect(value(r, '/World/Car/Trim.color')).toBe('red');
  });

  it('a specialized prim`s opinions are weaker than every opinion of the specializing prim, even a referenced one', () => {
    const r = compose({
      'root.usda': usda('def Xform "Base"\n{\n    double x = 1\n    double y = 1\n}\n\ndef Xform "P" (\n    specializes = </Base>\n    references = @ref.usda@\n)\n{\n}'),
      'ref.usda': usda('def Xform "R"\n{\n    double x = 2\n}', 'defaultPrim = "R"'),
    });
    expect([value(r, '/P.x'), value(r, '/P.y')]).toEqual([2, 1]);
    // A specialized def is a prim of the stage itself, unlike a class.
    expect(value(r, '/Base.x')).toBe(1);
  });
});

// ---------------------------------------------------------------- variant sets

describe('variant sets', () => {
  const COLORS = `
def Xform "Thing" (
    variants = {
        string color = "red"
    }
    prepend variantSets = "color"
)
{
    variantSet "color" = {
        "blue" {
            token color = "blue"
        }
        "green" {
            token color = "green"
            def Cube "Leaf"
            {
            }
        }
        "red" {
            token color = "red"
        }
    }
}`;

  it('the authored selection picks the variant whose opinions apply', () => {
    const r = compose({ 'root.usda': usda(COLORS) });
    expect(r.warnings).toEqual([]);
    expect(value(r, '/Thing.color')).toBe('red');
    expect(children(r, '/Thing')).toEqual([]);
    const green = compose({ 'root.usda': usda(COLORS.replace('string color = "red"', 'string color = "green"')) });
    expect(value(green, '/Thing.color')).toBe('green');
    expect(children(green, '/Thing')).toEqual(['Leaf']);
  });

  const NESTED = `
def Xform "P" (
    variants = {
        string outer = "a"
    }
    prepend variantSets = "outer"
)
{
    variantSet "outer" = {
        "a" (
            variants = {
                string inner = "y"
            }
            prepend variantSets = "inner"
        ) {
            double fromOuter = 1
            variantSet "inner" = {
                "x" {
                    double fromInner = 10
                }
                "y" {
                    double fromInner = 20
                }
            }
        }
        "b" {
            double fromOuter = 2
        }
    }
}`;

  it('a variant may hold a variant set of its own, selected inside the variant', () => {
    const r = compose({
      'root.usda': usda(NESTED),
    });
    expect(r.warnings).toEqual([]);
    expect([value(r, '/P.fromOuter'), value(r, '/P.fromInner')]).toEqual([1, 20]);
    expect(r.variantSets).toEqual([
      { prim: '/P', set: 'outer', options: ['a', 'b'], selection: 'a' },
      { prim: '/P', set: 'inner', options: ['x', 'y'], selection: 'y' },
    ]);
  });

  it('a referencing layer may select the inner set of a nested variant set in the referenced asset', () => {
    const r = compose({
      'root.usda': usda('def "Q" (\n    references = @nested.usda@\n    variants = {\n        string inner = "x"\n    }\n)\n{\n}'),
      'nested.usda': usda(NESTED, 'defaultPrim = "P"'),
    });
    expect([value(r, '/Q.fromOuter'), value(r, '/Q.fromInner')]).toEqual([1, 10]);
  });

  it('an instance`s selection picks a variant of a set its class defines', () => {
    const r = compose({
      'root.usda': usda(
        'class "_C" (\n    variants = {\n        string v = "a"\n    }\n    prepend variantSets = "v"\n)\n{\n    variantSet "v" = {\n        "a" {\n            double x = 1\n        }\n        "b" {\n            double x = 2\n        }\n    }\n}\n\ndef "I" (\n    inherits = </_C>\n    variants = {\n        string v = "b"\n    }\n)\n{\n}\n\ndef "J" (inherits = </_C>)\n{\n}',
      ),
    });
    expect([value(r, '/I.x'), value(r, '/J.x')]).toEqual([2, 1]);
  });

  it('a variant may bring a payload, which only the selected variant loads', () => {
    const files: Files = {
      'root.usda': usda(
        'def Xform "M" (\n    variants = {\n        string lod = "high"\n    }\n    prepend variantSets = "lod"\n)\n{\n    variantSet "lod" = {\n        "high" (\n            prepend payload = @high.usda@\n        ) {\n        }\n        "low" (\n            prepend payload = @low.usda@\n        ) {\n        }\n    }\n}',
      ),
      'high.usda': usda('def Xform "H"\n{\n    def Sphere "Detail"\n    {\n    }\n}', 'defaultPrim = "H"'),
      'low.usda': usda('def Xform "L"\n{\n    def Cube "Proxy"\n    {\n    }\n}', 'defaultPrim = "L"'),
    };
    expect(children(compose(files), '/M')).toEqual(['Detail']);
    expect(children(compose(files, { variants: [{ prim: '/M', set: 'lod', selection: 'low' }] }), '/M')).toEqual(['Proxy']);
  });

  const ASSET = usda(COLORS, 'defaultPrim = "Thing"');
  const referencing = (selection?: string) =>
    usda(`def Xform "World"\n{\n    def "Thing" (\n        references = @thing.usda@\n${selection ? `        variants = {\n            string color = "${selection}"\n        }\n` : ''}    )\n    {\n    }\n}`);

  it('a variant set inside a referenced layer takes the referenced layer`s selection when the referencing layer makes none', () => {
    const r = compose({ 'root.usda': referencing(), 'thing.usda': ASSET });
    expect(r.warnings).toEqual([]);
    expect(value(r, '/World/Thing.color')).toBe('red');
    expect(r.variantSets).toEqual([{ prim: '/World/Thing', set: 'color', options: ['blue', 'green', 'red'], selection: 'red' }]);
  });

  it('the referencing layer`s selection is stronger than the referenced layer`s', () => {
    const r = compose({ 'root.usda': referencing('blue'), 'thing.usda': ASSET });
    expect(r.warnings).toEqual([]);
    expect(value(r, '/World/Thing.color')).toBe('blue');
    expect(r.variantSets).toEqual([{ prim: '/World/Thing', set: 'color', options: ['blue', 'green', 'red'], selection: 'blue' }]);
  });

  it('the user`s selection (composeUsd variants) beats both the referencing and the referenced layer`s', () => {
    const r = compose({ 'root.usda': referencing('blue'), 'thing.usda': ASSET }, { variants: [{ prim: '/World/Thing', set: 'color', selection: 'green' }] });
    expect(r.warnings).toEqual([]);
    expect(value(r, '/World/Thing.color')).toBe('green');
    expect(children(r, '/World/Thing')).toEqual(['Leaf']);
    expect(r.variantSets).toEqual([{ prim: '/World/Thing', set: 'color', options: ['blue', 'green', 'red'], selection: 'green' }]);
    const { document } = importFiles({ 'root.usda': referencing('blue'), 'thing.usda': ASSET }, 'root.usda', [{ prim: '/World/Thing', set: 'color', selection: 'green' }]);
    expect(document.prims.map((p) => p.path)).toContain('/World/Thing/Leaf');
  });

  it('an unknown variant set or selection is an InputError naming the prim, the set and the options', () => {
    const files = { 'root.usda': referencing('blue'), 'thing.usda': ASSET };
    const error = (variants: VariantSelection[]): InputError => {
      try {
        compose(files, { variants });
      } catch (e) {
        if (e instanceof InputError) return e;
        throw e;
      }
      throw new Error('no InputError');
    };
    const badSelection = error([{ prim: '/World/Thing', set: 'color', selection: 'purple' }]);
    expect(badSelection.message).toContain('/World/Thing');
    expect(badSelection.message).toContain('"color"');
    expect(badSelection.message).toContain('"purple"');
    expect(badSelection.message).toContain('"blue", "green", "red"');
    const badSet = error([{ prim: '/World/Thing', set: 'size', selection: 'big' }]);
    expect(badSet.message).toContain('/World/Thing');
    expect(badSet.message).toContain('"size"');
    expect(badSet.message).toContain('"color"');
    const badPrim = error([{ prim: '/World/Nope', set: 'color', selection: 'red' }]);
    expect(badPrim.message).toContain('/World/Nope');
    expect(badPrim.message).toContain('/World/Thing');
  });

  it('variantSets lists every set with its options and the selection in effect ("" when none)', () => {
    const r = compose({
      'root.usda': usda(`
def Xform "A" (
    prepend variantSets = ["lod", "look"]
    variants = {
        string look = "shiny"
    }
)
{
    variantSet "lod" = {
        "high" {
        }
        "low" {
        }
    }
    variantSet "look" = {
        "matte" {
        }
        "shiny" {
        }
    }
}`),
    });
    expect(r.variantSets).toEqual([
      { prim: '/A', set: 'lod', options: ['high', 'low'], selection: '' },
      { prim: '/A', set: 'look', options: ['matte', 'shiny'], selection: 'shiny' },
    ]);
  });
});

// ---------------------------------------------------------------- instancing

describe('instancing', () => {
  // The box's size is authored only inside the variants: a variant is weaker than the asset's local opinions.
  const ASSET = usda(
    'def Xform "Asset" (\n    variants = {\n        string size = "small"\n    }\n    prepend variantSets = "size"\n)\n{\n    def Cube "Box"\n    {\n    }\n    variantSet "size" = {\n        "big" {\n            over "Box"\n            {\n                double size = 4\n            }\n        }\n        "small" {\n            over "Box"\n            {\n                double size = 1\n            }\n        }\n    }\n}',
    'defaultPrim = "Asset"',
  );
  const SCENE = usda(`
def Xform "World"
{
    def "A" (
        instanceable = true
        references = @asset.usda@
    )
    {
        double3 xformOp:translate = (1, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
        over "Box"
        {
            double size = 9
        }
    }
    def "B" (
        instanceable = true
        references = @asset.usda@
    )
    {
        double3 xformOp:translate = (0, 0, 5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def "Big" (
        instanceable = true
        references = @asset.usda@
        variants = {
            string size = "big"
        }
    )
    {
    }
}`);
  const files: Files = { 'root.usda': SCENE, 'asset.usda': ASSET };

  it('local overrides on an instance`s descendants are ignored, as USD does', () => {
    const r = compose(files);
    expect(value(r, '/World/A/Box.size')).toBe(1);
    expect(field(r, '/World/A', 'instanceable')).toBe(true);
  });

  it('prims a referencing layer adds under an instance are ignored too', () => {
    const r = compose({ 'root.usda': SCENE.replace('over "Box"', 'def Sphere "Added"\n        {\n        }\n        over "Box"'), 'asset.usda': ASSET });
    expect(children(r, '/World/A')).toEqual(['Box']);
    expect(primPaths(r)).not.toContain('/World/A/Added');
  });

  it('a stronger `instanceable = false` makes the descendants editable again', () => {
    const r = compose({ 'root.usda': SCENE.replace('instanceable = true', 'instanceable = false'), 'asset.usda': ASSET });
    expect(value(r, '/World/A/Box.size')).toBe(9);
    expect(value(r, '/World/B/Box.size')).toBe(1);
  });

  it('overrides on the instance root itself apply', () => {
    const r = compose(files);
    expect(value(r, '/World/A.xformOp:translate')).toEqual([1, 0, 0]);
    expect(value(r, '/World/B.xformOp:translate')).toEqual([0, 0, 5]);
    const { document } = importFiles(files);
    expectClose(worldPoint(document, '/World/A/Box'), [1, 0, 0]);
    expectClose(worldPoint(document, '/World/B/Box'), [0, 0, 5]);
  });

  it('two instances of the same asset share their content; a different variant selection makes another prototype', () => {
    const r = compose(files);
    const under = (root: string) =>
      Object.fromEntries(
        Object.entries(r.layer.specs)
          .filter(([p]) => p.startsWith(`${root}/`))
          .map(([p, s]) => [p.slice(root.length), s]),
      );
    expect(Object.keys(under('/World/A'))).toEqual(['/Box', '/Box.size']);
    expect(under('/World/A')).toEqual(under('/World/B'));
    expect(children(r, '/World/A')).toEqual(children(r, '/World/B'));
    expect(value(r, '/World/Big/Box.size')).toBe(4);
  });
});

// ---------------------------------------------------------------- PointInstancer

describe('PointInstancer expansion', () => {
  const SCENE = usda(`
def Xform "World"
{
    def PointInstancer "Trees"
    {
        double3 xformOp:translate = (0, 0, 10)
        uniform token[] xformOpOrder = ["xformOp:translate"]
        rel prototypes = [</World/Trees/Protos/Pine>, </World/Trees/Protos/Oak>]
        int[] protoIndices = [0, 1, 0]
        point3f[] positions = [(1, 0, 0), (0, 2, 0), (0, 0, 3)]
        quath[] orientations = [(1, 0, 0, 0), (0.7071068, 0, 0, 0.7071068), (1, 0, 0, 0)]
        float3[] scales = [(1, 1, 1), (2, 2, 2), (1, 1, 1)]
        int64[] ids = [10, 20, 30]
        int64[] invisibleIds = [30]

        def Scope "Protos"
        {
            def Xform "Pine" (
                prepend apiSchemas = ["SemanticsLabelsAPI:class"]
            )
            {
                token[] semantics:labels:class = ["pine"]
                def Cube "Trunk"
                {
                    double size = 0.5
                    double3 xformOp:translate = (1, 0, 0)
                    uniform token[] xformOpOrder = ["xformOp:translate"]
                }
            }
            def Xform "Oak" (
                prepend apiSchemas = ["SemanticsAPI:Semantics"]
            )
            {
                string semantic:Semantics:params:semanticType = "class"
                string semantic:Semantics:params:semanticData = "oak"
                double3 xformOp:translate = (0, 1, 0)
                uniform token[] xformOpOrder = ["xformOp:translate"]
                def Sphere "Crown"
                {
                    double radius = 0.5
                    double3 xformOp:translate = (1, 0, 0)
                    uniform token[] xformOpOrder = ["xformOp:translate"]
                }
            }
        }
    }
}`);

  it('makes one prim <instancer>/instance_<id> per instance holding a copy of its prototype', () => {
    const r = compose({ 'root.usda': SCENE });
    expect(children(r, '/World/Trees')).toEqual(['Protos', 'instance_10', 'instance_20', 'instance_30']);
    expect(children(r, '/World/Trees/instance_10')).toEqual(['Pine']);
    expect(children(r, '/World/Trees/instance_20')).toEqual(['Oak']);
    expect(children(r, '/World/Trees/instance_30')).toEqual(['Pine']);
    expect(value(r, '/World/Trees/instance_20/Oak/Crown.radius')).toBe(0.5);
    expect(value(r, '/World/Trees/instance_30.visibility')).toBe('invisible');
    expect(value(r, '/World/Trees/instance_10.visibility')).toBeUndefined();
  });

  it('does not import the prototypes under the instancer on their own', () => {
    const { document } = importUsd(SCENE, 'root.usda');
    const paths = document.prims.map((p) => p.path);
    expect(paths.filter((p) => p.includes('/Protos/'))).toEqual([]);
    expect(paths.filter((p) => p.includes('/instance_'))).toEqual([
      '/World/Trees/instance_10',
      '/World/Trees/instance_10/Pine',
      '/World/Trees/instance_10/Pine/Trunk',
      '/World/Trees/instance_20',
      '/World/Trees/instance_20/Oak',
      '/World/Trees/instance_20/Oak/Crown',
      '/World/Trees/instance_30',
      '/World/Trees/instance_30/Pine',
      '/World/Trees/instance_30/Pine/Trunk',
    ]);
  });

  it('places each instance at instancer · T · R (quath written w,x,y,z) · S · prototype root', () => {
    const { document } = importUsd(SCENE, 'root.usda');
    // instance 10: Pine at (1,0,0); Trunk at +1 x in Pine's frame.
    expectClose(worldPoint(document, '/World/Trees/instance_10/Pine/Trunk'), [2, 0, 10], 3);
    // instance 20: T (0,2,0), R 90° about Z, S 2; Oak's own translate (0,1,0), Crown +1 x.
    // Crown origin in instance frame: (1, 1, 0) → scaled (2, 2, 0) → rotated (-2, 2, 0) → + (0, 2, 0) + (0, 0, 10)
    expectClose(worldPoint(document, '/World/Trees/instance_20/Oak/Crown'), [-2, 4, 10], 3);
    expectClose(worldPoint(document, '/World/Trees/instance_20/Oak'), [-2, 2, 10], 3);
    // instance 30: Pine at (0,0,3).
    expectClose(worldPoint(document, '/World/Trees/instance_30/Pine/Trunk'), [1, 0, 13], 3);
    const prims = primIndex(document);
    expect(prims.get('/World/Trees/instance_30')!.visible).toBe(false);
    expect(prims.get('/World/Trees/instance_10')!.visible).toBe(true);
  });

  it('only the prototype root`s own transform counts, not its parents` (as UsdGeomPointInstancer computes it)', () => {
    const moved = SCENE.replace('def Scope "Protos"\n        {', 'def Xform "Protos"\n        {\n            double3 xformOp:translate = (50, 0, 0)\n            uniform token[] xformOpOrder = ["xformOp:translate"]');
    const { document } = importUsd(moved, 'root.usda');
    expectClose(worldPoint(document, '/World/Trees/instance_20/Oak/Crown'), [-2, 4, 10], 3);
    expectClose(worldPoint(document, '/World/Trees/instance_10/Pine/Trunk'), [2, 0, 10], 3);
  });

  it('gives each instance its prototype`s semantic labels, modern and legacy', () => {
    const { document } = importUsd(SCENE, 'root.usda');
    const prims = primIndex(document);
    expect(prims.get('/World/Trees/instance_10/Pine')!.labels).toEqual({ class: ['pine'] });
    expect(prims.get('/World/Trees/instance_30/Pine')!.labels).toEqual({ class: ['pine'] });
    expect(prims.get('/World/Trees/instance_20/Oak')!.labels).toEqual({ class: ['oak'] });
  });

  it('expands an instancer inside a referenced asset, its prototype targets mapped into the referencing namespace', () => {
    const files: Files = {
      'root.usda': usda('def Xform "World"\n{\n    def "Forest" (references = @forest.usda@)\n    {\n        double3 xformOp:translate = (100, 0, 0)\n        uniform token[] xformOpOrder = ["xformOp:translate"]\n    }\n}'),
      'forest.usda': SCENE.replace('def Xform "World"', 'def Xform "Forest"').replaceAll('</World/Trees/', '</Forest/Trees/').replace('upAxis = "Y"', 'upAxis = "Y"\n    defaultPrim = "Forest"'),
    };
    const r = compose(files);
    expect(targets(r, '/World/Forest/Trees.prototypes')).toEqual(['/World/Forest/Trees/Protos/Pine', '/World/Forest/Trees/Protos/Oak']);
    expect(children(r, '/World/Forest/Trees')).toEqual(['Protos', 'instance_10', 'instance_20', 'instance_30']);
    const { document } = importFiles(files);
    expectClose(worldPoint(document, '/World/Forest/Trees/instance_20/Oak/Crown'), [98, 4, 10], 3);
  });

  it('without ids, instances are numbered by their index', () => {
    const r = compose({ 'root.usda': SCENE.replace('int64[] ids = [10, 20, 30]', '').replace('int64[] invisibleIds = [30]', 'int64[] invisibleIds = [1]') });
    expect(children(r, '/World/Trees')).toEqual(['Protos', 'instance_0', 'instance_1', 'instance_2']);
    expect(value(r, '/World/Trees/instance_1.visibility')).toBe('invisible');
    expect(children(r, '/World/Trees/instance_1')).toEqual(['Oak']);
  });
});

// ---------------------------------------------------------------- prim metadata

describe('prim metadata across arcs', () => {
  const ASSET = usda(
    'def Xform "Asset" (\n    kind = "component"\n    prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]\n)\n{\n    def Cube "A"\n    {\n    }\n    def Cube "B"\n    {\n        def Cube "Deep"\n        {\n        }\n    }\n    def Cube "C"\n    {\n    }\n    def Cube "D"\n    {\n    }\n}',
    'defaultPrim = "Asset"',
  );

  it('kind: the referencing layer`s opinion is stronger than the asset`s', () => {
    const same = compose({ 'root.usda': usda('def "X" (references = @asset.usda@)\n{\n}'), 'asset.usda': ASSET });
    expect(field(same, '/X', 'kind')).toBe('component');
    const over = compose({ 'root.usda': usda('def "X" (\n    kind = "assembly"\n    references = @asset.usda@\n)\n{\n}'), 'asset.usda': ASSET });
    expect(field(over, '/X', 'kind')).toBe('assembly');
  });

  it('active = false removes the prim and its whole subtree', () => {
    const r = compose({ 'root.usda': usda('def "X" (references = @asset.usda@)\n{\n    over "B" (active = false)\n    {\n    }\n}'), 'asset.usda': ASSET });
    expect(children(r, '/X')).toEqual(['A', 'C', 'D']);
    expect(primPaths(r).filter((p) => p.startsWith('/X/B'))).toEqual([]);
  });

  it('a stronger active = true brings back a prim the asset deactivated', () => {
    const inactive = ASSET.replace('def Cube "C"\n    {', 'def Cube "C" (active = false)\n    {');
    const off = compose({ 'root.usda': usda('def "X" (references = @asset.usda@)\n{\n}'), 'asset.usda': inactive });
    expect(children(off, '/X')).toEqual(['A', 'B', 'D']);
    const on = compose({ 'root.usda': usda('def "X" (references = @asset.usda@)\n{\n    over "C" (active = true)\n    {\n    }\n}'), 'asset.usda': inactive });
    expect(children(on, '/X')).toEqual(['A', 'B', 'C', 'D']);
  });

  it('apiSchemas list-ops compose across a reference: prepend in the referencing layer, delete removing one the asset has', () => {
    const r = compose({
      'root.usda': usda('def "X" (\n    references = @asset.usda@\n    prepend apiSchemas = ["PhysicsMassAPI"]\n    delete apiSchemas = ["PhysicsCollisionAPI"]\n)\n{\n}'),
      'asset.usda': ASSET,
    });
    expect(field(r, '/X', 'apiSchemas')).toEqual(['PhysicsMassAPI', 'PhysicsRigidBodyAPI']);
  });

  it('reorder nameChildren moves each named child with the unnamed ones that follow it (Sdf`s reorder)', () => {
    const r = compose({ 'root.usda': usda('def "X" (\n    references = @asset.usda@\n    reorder nameChildren = ["C", "A"]\n)\n{\n}'), 'asset.usda': ASSET });
    // [A, B, C, D] ordered by [C, A]: C takes D along, A takes B along.
    expect(children(r, '/X')).toEqual(['C', 'D', 'A', 'B']);
  });
});

// ---------------------------------------------------------------- errors

describe('errors are warnings, never failures or hangs', () => {
  it('a layer that references itself: a warning naming the arc, and the import completes', () => {
    const files: Files = { 'root.usda': usda('def Xform "A" (references = @root.usda@)\n{\n    double x = 1\n}', 'defaultPrim = "A"') };
    const r = compose(files);
    expect(value(r, '/A.x')).toBe(1);
    expect(r.warnings.filter((w) => /reference/.test(w) && /cycle/.test(w))).toEqual(['/A: a reference to </A> in root.usda makes a composition cycle; it is skipped']);
    const { document } = importFiles(files);
    expect(document.prims.map((p) => p.path)).toEqual(['/A']);
  });

  it('two layers referencing each other: a cycle warning; what composes, composes', () => {
    const files: Files = {
      'root.usda': usda('def Xform "World"\n{\n    def "A" (references = @a.usda@)\n    {\n    }\n}'),
      'a.usda': usda('def Xform "A" (references = @b.usda@)\n{\n    double fromA = 1\n}', 'defaultPrim = "A"'),
      'b.usda': usda('def Xform "B" (references = @a.usda@)\n{\n    double fromB = 2\n}', 'defaultPrim = "B"'),
    };
    const r = compose(files);
    expect([value(r, '/World/A.fromA'), value(r, '/World/A.fromB')]).toEqual([1, 2]);
    expect(r.warnings.some((w) => /reference/.test(w) && /cycle/.test(w) && w.includes('/World/A'))).toBe(true);
    expect(importFiles(files).document.prims.map((p) => p.path)).toEqual(['/World', '/World/A']);
  });

  it('a sublayer cycle: a warning naming the layers, and each layer is used once', () => {
    const r = compose({
      'root.usda': usda('', 'subLayers = [@a.usda@]'),
      'a.usda': usda('def Xform "P"\n{\n    double x = 1\n}', 'subLayers = [@b.usda@]'),
      'b.usda': usda('over "P"\n{\n    double y = 2\n}', 'subLayers = [@a.usda@]'),
    });
    expect([value(r, '/P.x'), value(r, '/P.y')]).toEqual([1, 2]);
    expect(r.warnings.filter((w) => w.includes('sublayer'))).toEqual(['b.usda: sublayer @a.usda@ makes a cycle (root.usda → a.usda → b.usda → a.usda); it is skipped']);
  });

  it('a missing layer: a warning naming the layer, the prim and the arc', () => {
    const r = compose({ 'root.usda': usda('def Xform "World"\n{\n    def "A" (references = @parts/gone.usda@)\n    {\n    }\n    def "B" (payload = @gone2.usda@</X>)\n    {\n    }\n}') });
    expect(primPaths(r)).toEqual(['/World', '/World/A', '/World/B']);
    const refWarning = r.warnings.find((w) => w.includes('parts/gone.usda'));
    expect(refWarning).toMatch(/^root\.usda: \/World\/A references @parts\/gone\.usda@: parts\/gone\.usda was not given/);
    const payloadWarning = r.warnings.find((w) => w.includes('gone2.usda'));
    expect(payloadWarning).toMatch(/^root\.usda: \/World\/B payloads @gone2\.usda@<\/X>: gone2\.usda was not given/);
    const sub = compose({ 'root.usda': usda('def Xform "P"\n{\n}', 'subLayers = [@missing.usda@]') });
    expect(sub.warnings.filter((w) => w.includes('missing.usda'))).toEqual([
      'root.usda: sublayer @missing.usda@ (missing.usda) was not given (choose it together with the scene, or open a folder or .usdz package that holds it); its opinions are missing',
    ]);
  });

  it('a MaterialX reference: a warning saying it needs a plugin', () => {
    const r = compose({
      'root.usda': usda('def Xform "World"\n{\n    def "Looks" (references = @./materials/looks.mtlx@</MaterialX>)\n    {\n    }\n}'),
      'materials/looks.mtlx': '<?xml version="1.0"?>\n<materialx version="1.38"/>\n',
    });
    expect(primPaths(r)).toEqual(['/World', '/World/Looks']);
    expect(r.warnings).toEqual([
      'root.usda: /World/Looks references @./materials/looks.mtlx@</MaterialX>: materials/looks.mtlx is a MaterialX document, which OpenUSD reads through a plugin Simloop does not have; its opinions are missing',
    ]);
  });

  it('deep nesting: a chain of 40 layers, each referencing the next, composes', () => {
    const files: Files = { 'root.usda': usda('def "Top" (references = @chain/l0.usda@)\n{\n}') };
    for (let i = 0; i < 40; i++) {
      const next = i < 39 ? `references = @l${i + 1}.usda@` : '';
      files[`chain/l${i}.usda`] = usda(`def Xform "L${i}" (${next})\n{\n    double x = ${i}\n    double level${i} = ${i}\n}`, `defaultPrim = "L${i}"`);
    }
    const started = Date.now();
    const r = compose(files);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.warnings).toEqual([]);
    expect(value(r, '/Top.x')).toBe(0);
    expect(value(r, '/Top.level39')).toBe(39);
    expect(value(r, '/Top.level20')).toBe(20);
  });
});

// ---------------------------------------------------------------- schemas

describe('legacy type names', () => {
  it('a legacy UsdPhysics DistancePhysicsJoint is read as PhysicsDistanceJoint (a distance joint in document.joints)', () => {
    const { document } = importUsd(
      usda(`
def Xform "World"
{
    def Cube "A" (prepend apiSchemas = ["PhysicsRigidBodyAPI"])
    {
    }
    def Cube "B" (prepend apiSchemas = ["PhysicsRigidBodyAPI"])
    {
        double3 xformOp:translate = (0, 0, 2)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def DistancePhysicsJoint "Rope"
    {
        rel physics:body0 = </World/A>
        rel physics:body1 = </World/B>
        float physics:minDistance = 1
        float physics:maxDistance = 3
    }
}`),
      'root.usda',
    );
    expect(document.joints.map((j) => [j.path, j.type, j.body0, j.body1, j.minDistance, j.maxDistance])).toEqual([['/World/Rope', 'distance', '/World/A', '/World/B', 1, 3]]);
  });
});

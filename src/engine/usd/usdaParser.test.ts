/**
 * The USDA parser reads OpenUSD's text format into sdf.ts's spec table: what each construct
 * becomes (exact spec tables for small layers), the value conventions, and the one kind of failure
 * it has, an InputError naming the line and what was expected.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { seededRandom } from '../testing/usda.ts';
import { SPEC_TYPE, VALUE_BLOCK, type SdfSpec, type SdfSpecs } from './sdf.ts';
import { parseUsda } from './usdaParser.ts';

const layer = (body: string) => parseUsda(`#usda 1.0\n${body}`, 'test.usda');
const table = (specs: SdfSpecs): Record<string, SdfSpec> => Object.fromEntries(specs);
const prim = (fields: Record<string, unknown>): SdfSpec => ({ specType: SPEC_TYPE.prim, fields });
const attr = (fields: Record<string, unknown>): SdfSpec => ({ specType: SPEC_TYPE.attribute, fields });
const rel = (fields: Record<string, unknown>): SdfSpec => ({ specType: SPEC_TYPE.relationship, fields });
const root = (fields: Record<string, unknown>): SdfSpec => ({ specType: SPEC_TYPE.pseudoRoot, fields });

/** The detail of the InputError that parsing `text` throws. */
function failure(text: string, file = 'bad.usda'): string {
  try {
    parseUsda(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe(file);
    return (error as InputError).detail;
  }
  throw new Error('expected an InputError');
}

describe('the layer: header and metadata', () => {
  it('reads an empty layer as a pseudo-root with no children', () => {
    expect(table(parseUsda('#usda 1.0\n', 'empty.usda'))).toEqual({ '/': root({ primChildren: [] }) });
    // OpenUSD's own test files use the older "sdf" cookie.
    expect(table(parseUsda('#sdf 1.4.32', 'old.sdf'))).toEqual({ '/': root({ primChildren: [] }) });
    expect(table(parseUsda('\ufeff#usda 1.0\r\n', 'bom.usda'))).toEqual({ '/': root({ primChildren: [] }) });
  });

  it('keeps the layer metadata in the fields of "/"', () => {
    const specs = layer(`(
    """The layer's documentation."""
    defaultPrim = "World"
    upAxis = "Z"
    metersPerUnit = 0.01
    kilogramsPerUnit = 1
    startTimeCode = 1
    endTimeCode = 240
    timeCodesPerSecond = 24
    framesPerSecond = 24
    comment = "a comment"
    customLayerData = {
        string creator = "simloop"
        dictionary nested = {
            int count = 3
        }
    }
    subLayers = [
        @./anim.usda@ (offset = 10; scale = 2),
        @./base.usda@
    ]
    relocates = {
        </A/B>: </A/C>,
        </A/D>: <>
    }
    expressionVariables = {
        string SHOT = "s01"
    }
    owner = "someone"
)
`);
    expect(table(specs)).toEqual({
      '/': root({
        primChildren: [],
        documentation: "The layer's documentation.",
        defaultPrim: 'World',
        upAxis: 'Z',
        metersPerUnit: 0.01,
        kilogramsPerUnit: 1,
        startTimeCode: 1,
        endTimeCode: 240,
        timeCodesPerSecond: 24,
        framesPerSecond: 24,
        comment: 'a comment',
        customLayerData: { creator: 'simloop', nested: { count: 3 } },
        subLayers: ['./anim.usda', './base.usda'],
        subLayerOffsets: [
          { offset: 10, scale: 2 },
          { offset: 0, scale: 1 },
        ],
        layerRelocates: [
          ['/A/B', '/A/C'],
          ['/A/D', ''],
        ],
        expressionVariables: { SHOT: 's01' },
        owner: 'someone',
      }),
    });
  });

  it('takes `doc = ...` as the documentation too, and comments of every kind anywhere', () => {
    const specs = layer(`( # the metadata
    doc = """Line one
line two"""  // a C++ comment
    /* a block
       comment */ upAxis = "Y"
)
# a root prim follows
def "A" /* inline */ {
}
`);
    expect(table(specs)).toEqual({
      '/': root({ primChildren: ['A'], documentation: 'Line one\nline two', upAxis: 'Y' }),
      '/A': prim({ specifier: 'def' }),
    });
  });

  it('reads `reorder rootPrims` as the order of the root prims', () => {
    const specs = layer('reorder rootPrims = ["B", "A"]\ndef "A" {\n}\ndef "B" {\n}\n');
    expect(specs.get('/')!.fields).toEqual({ primChildren: ['A', 'B'], primOrder: ['B', 'A'] });
  });
});

describe('prims', () => {
  it('reads specifiers, type names, children in order and prim metadata', () => {
    const specs = layer(`
def Xform "World" (
    "World's documentation"
    kind = "assembly"
    active = true
    instanceable = 0
    hidden = false
    permission = private
    customData = { bool flag = 1 }
    assetInfo = { asset identifier = @./world.usda@; string name = "world" }
    symmetryFunction =
    symmetricPeer = "Other"
    displayName = "The world"
    myCustomKey = 42
)
{
    def Scope "Child" {
    }
    over "Overridden"
    {
    }
    class "_class_Thing"
    {
    }
    def Some.Python.Type "Dotted"
    {
    }
}
`);
    expect(table(specs)).toEqual({
      '/': root({ primChildren: ['World'] }),
      '/World': prim({
        specifier: 'def',
        typeName: 'Xform',
        documentation: "World's documentation",
        kind: 'assembly',
        active: true,
        instanceable: false,
        hidden: false,
        permission: 'private',
        customData: { flag: true },
        assetInfo: { identifier: './world.usda', name: 'world' },
        symmetryFunction: '',
        symmetricPeer: 'Other',
        displayName: 'The world',
        myCustomKey: 42,
        primChildren: ['Child', 'Overridden', '_class_Thing', 'Dotted'],
      }),
      '/World/Child': prim({ specifier: 'def', typeName: 'Scope' }),
      '/World/Overridden': prim({ specifier: 'over' }),
      '/World/_class_Thing': prim({ specifier: 'class' }),
      '/World/Dotted': prim({ specifier: 'def', typeName: 'Some.Python.Type' }),
    });
  });

  it('reads `reorder nameChildren` and `reorder properties` as primOrder and propertyOrder', () => {
    const specs = layer(`def "P"
{
    reorder nameChildren = ["b", "a"]
    reorder properties = ["y", "x"]
    def "a" {
    }
    def "b" {
    }
}
`);
    expect(specs.get('/P')).toEqual(prim({ specifier: 'def', primOrder: ['b', 'a'], propertyOrder: ['y', 'x'], primChildren: ['a', 'b'] }));
  });

  it('reads the rarer prim metadata and C++-namespaced type names', () => {
    const specs = layer(`def Foo::Bar "A" (
    prefix = "L_"
    suffix = "_x"
    prefixSubstitutions = { "L_": "R_", "left": "right" }
    suffixSubstitutions = {}
    symmetryArguments = { string axis = "x" }
    clips = {
        dictionary default = {
            double2[] active = [(0, 0), (10, 1)]
            asset[] assetPaths = [@./clip1.usda@, @./clip2.usda@]
            string primPath = "/Model"
        }
    }
    payloadAssetDependencies = [@./dep.usda@]
)
{
}
`);
    expect(specs.get('/A')).toEqual(
      prim({
        specifier: 'def',
        typeName: 'Foo::Bar',
        prefix: 'L_',
        suffix: '_x',
        prefixSubstitutions: { L_: 'R_', left: 'right' },
        suffixSubstitutions: {},
        symmetryArguments: { axis: 'x' },
        clips: { default: { active: [0, 0, 10, 1], assetPaths: ['./clip1.usda', './clip2.usda'], primPath: '/Model' } },
        payloadAssetDependencies: ['./dep.usda'],
      }),
    );
  });

  it('accepts Unicode prim and property names', () => {
    const specs = layer('def "Süßigkeiten" {\n    string utf8_情報 = "ok"\n}\n');
    expect(specs.get('/Süßigkeiten.utf8_情報')).toEqual(attr({ typeName: 'string', default: 'ok' }));
  });
});

describe('composition metadata', () => {
  it('reads references, payloads, inherits, specializes, variant sets, selections, API schemas and relocates', () => {
    const specs = layer(`def "A" (
    references = [
        @./a.usda@</Model> (offset = 5; scale = 2),
        </Internal>,
        @./b.usda@ (
            customData = { string why = "test" }
        ),
    ]
    prepend payload = @./payload.usda@
    append inherits = </_class_A>
    delete inherits = [<../Gone>]
    specializes = None
    add variantSets = ["shape", "color"]
    variants = { string shape = "cube" }
    variants = {
        string color = "red"
    }
    prepend apiSchemas = ["PhysicsRigidBodyAPI"]
    delete apiSchemas = "OldAPI"
    clipSets = ["default"]
    relocates = { <Inner>: <Moved> }
)
{
}
`);
    expect(specs.get('/A')).toEqual(
      prim({
        specifier: 'def',
        references: {
          listOp: true,
          explicit: [
            { assetPath: './a.usda', primPath: '/Model', layerOffset: { offset: 5, scale: 2 } },
            { assetPath: '', primPath: '/Internal' },
            { assetPath: './b.usda', primPath: '', customData: { why: 'test' } },
          ],
        },
        payload: { listOp: true, prepended: [{ assetPath: './payload.usda', primPath: '' }] },
        inheritPaths: { listOp: true, appended: ['/_class_A'], deleted: ['/Gone'] },
        specializes: { listOp: true, explicit: [] },
        variantSetNames: { listOp: true, added: ['shape', 'color'] },
        variantSelection: { shape: 'cube', color: 'red' },
        apiSchemas: { listOp: true, prepended: ['PhysicsRigidBodyAPI'], deleted: ['OldAPI'] },
        clipSets: { listOp: true, explicit: ['default'] },
        relocates: [['/A/Inner', '/A/Moved']],
      }),
    );
  });

  it('accumulates list-edits but, like Sdf, starts afresh when switching between explicit and list-editing', () => {
    const specs = layer(`def "A" (
    references = </X>
    prepend references = </Y>
    append references = </Z>
    inherits = </C>
    delete inherits = </D>
    inherits = [</E>, </F>]
)
{
}
`);
    expect(specs.get('/A')!.fields['references']).toEqual({ listOp: true, prepended: [{ assetPath: '', primPath: '/Y' }], appended: [{ assetPath: '', primPath: '/Z' }] });
    expect(specs.get('/A')!.fields['inheritPaths']).toEqual({ listOp: true, explicit: ['/E', '/F'] });
  });

  it('reads asset paths written @@@...@@@, which may hold "@"', () => {
    const specs = layer('def "A" (\n    references = @@@odd@name.usda@@@</B>\n)\n{\n}\n');
    expect(specs.get('/A')!.fields['references']).toEqual({ listOp: true, explicit: [{ assetPath: 'odd@name.usda', primPath: '/B' }] });
  });
});

describe('variant sets', () => {
  it('keeps each variant as a spec under "/A{set=name}", with prims, properties and nested sets inside', () => {
    const specs = layer(`def "A" (
    variantSets = "shape"
)
{
    variantSet "shape" = {
        "cube" (
            kind = "component"
        ) {
            float size = 2
            def "Child"
            {
                rel r = <../Other>
                def "Grand"
                {
                }
            }
            variantSet "color" = {
                "red" {
                    color3f c = (1, 0, 0)
                }
            }
        }
        "2-sphere" {
        }
    }
    variantSet "shape" = {
        "cube" {
            float size.timeSamples = { 0: 1 }
        }
        "cone" {
        }
    }
}
`);
    expect(table(specs)).toEqual({
      '/': root({ primChildren: ['A'] }),
      '/A': prim({ specifier: 'def', variantSetNames: { listOp: true, explicit: ['shape'] }, variantSetChildren: ['shape'] }),
      '/A{shape=}': { specType: SPEC_TYPE.variantSet, fields: { variantChildren: ['cube', '2-sphere', 'cone'] } },
      '/A{shape=cube}': { specType: SPEC_TYPE.variant, fields: { kind: 'component', properties: ['size'], primChildren: ['Child'], variantSetChildren: ['color'] } },
      '/A{shape=cube}.size': attr({ typeName: 'float', default: 2, timeSamples: { times: [0], values: [1] } }),
      '/A{shape=cube}Child': prim({ specifier: 'def', properties: ['r'], primChildren: ['Grand'] }),
      // Relative targets are anchored at the prim's namespace path, variant selections stripped.
      '/A{shape=cube}Child.r': rel({ targetPaths: { listOp: true, explicit: ['/A/Other'] } }),
      '/A{shape=cube}Child/Grand': prim({ specifier: 'def' }),
      '/A{shape=cube}{color=}': { specType: SPEC_TYPE.variantSet, fields: { variantChildren: ['red'] } },
      '/A{shape=cube}{color=red}': { specType: SPEC_TYPE.variant, fields: { properties: ['c'] } },
      '/A{shape=cube}{color=red}.c': attr({ typeName: 'color3f', default: [1, 0, 0] }),
      '/A{shape=2-sphere}': { specType: SPEC_TYPE.variant, fields: {} },
      '/A{shape=cone}': { specType: SPEC_TYPE.variant, fields: {} },
    });
  });
});

describe('attributes and their values', () => {
  it('follows the value conventions of sdf.ts for every value type', () => {
    const specs = layer(`def "V"
{
    bool b = true
    bool b0 = 0
    uchar u8 = 255
    int i = -3
    int64 big = 9007199254740991
    half h = 0.5
    float f = 1.5e3
    double d = -inf
    double n = nan
    double pinf = inf
    timecode t = 12
    string s = "text"
    token tk = 'single'
    asset a = @./tex.png@
    opaque o
    pathExpression pe = "/World//Cube"
    float3 v = (1, 2, 3)
    double2 d2 = (0.5, -.5)
    int3 i3 = (1, 2, 3)
    quatf q = (1, 0, 0.5, 0)
    matrix2d m2 = ((1, 2), (3, 4))
    matrix4d m = ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (10, 20, 30, 1))
    color4f c4 = (0.1, 0.2, 0.3, 1)
    texCoord2f st = (0, 1)
    point3f[] points = [(0, 0, 0), (1, 0, 0),
        (1, 1, 0),]
    int[] indices = [0, 1, 2]
    quath[] qs = [(1, 0, 0, 0), (0, 1, 0, 0)]
    bool[] flags = [true, false, 1]
    token[] names = ["a", "b"]
    string[] empty = []
    asset[] files = [@a.png@, @b.png@]
    dictionary dict = {
        string k = "v"
        double3[] p = [(1, 2, 3)]
    }
}
`);
    const value = (name: string) => specs.get(`/V.${name}`)!.fields['default'];
    expect(value('b')).toBe(true);
    expect(value('b0')).toBe(false);
    expect(value('u8')).toBe(255);
    expect(value('i')).toBe(-3);
    expect(value('big')).toBe(9007199254740991);
    expect(value('h')).toBe(0.5);
    expect(value('f')).toBe(1500);
    expect(value('d')).toBe(-Infinity);
    expect(value('n')).toBeNaN();
    expect(value('pinf')).toBe(Infinity);
    expect(value('t')).toBe(12);
    expect(value('s')).toBe('text');
    expect(value('tk')).toBe('single');
    expect(value('a')).toBe('./tex.png');
    expect(specs.get('/V.o')).toEqual(attr({ typeName: 'opaque' }));
    expect(value('pe')).toBe('/World//Cube');
    expect(value('v')).toEqual([1, 2, 3]);
    expect(value('d2')).toEqual([0.5, -0.5]);
    expect(value('i3')).toEqual([1, 2, 3]);
    // Quaternions are written (w, x, y, z) and held [x, y, z, w].
    expect(value('q')).toEqual([0, 0.5, 0, 1]);
    expect(value('m2')).toEqual([1, 2, 3, 4]);
    expect(value('m')).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 10, 20, 30, 1]);
    expect(value('c4')).toEqual([0.1, 0.2, 0.3, 1]);
    expect(value('st')).toEqual([0, 1]);
    // Arrays of tuples are one flat array; trailing commas are allowed.
    expect(value('points')).toEqual([0, 0, 0, 1, 0, 0, 1, 1, 0]);
    expect(value('indices')).toEqual([0, 1, 2]);
    expect(value('qs')).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect(value('flags')).toEqual([true, false, true]);
    expect(value('names')).toEqual(['a', 'b']);
    expect(value('empty')).toEqual([]);
    expect(value('files')).toEqual(['a.png', 'b.png']);
    expect(value('dict')).toEqual({ k: 'v', p: [1, 2, 3] });
    expect(specs.get('/V')!.fields['properties']).toHaveLength(32);
  });

  it('reads qualifiers, None (a value block) and attribute metadata', () => {
    const specs = layer(`def "P"
{
    custom uniform token mode = "fast" (
        allowedTokens = ["fast", "slow"]
        interpolation = "constant"
        elementSize = 1
        doc = "The mode"
        displayName = "Mode"
        displayGroup = "Settings"
        customData = { int version = 2 }
        colorSpace = "raw"
        connectability = "interfaceOnly"
        renderType = "terminal"
        hidden = true
        permission = public
        symmetricPeer = "otherMode"
        myOwnKey = "mine"
    )
    float blocked = None
    varying float vary = 1
    config double legacy = 2
    float default = 1 (interpolation = "vertex"; elementSize = 3)
    custom float declared
}
`);
    expect(table(specs)).toEqual({
      '/': root({ primChildren: ['P'] }),
      '/P': prim({ specifier: 'def', properties: ['mode', 'blocked', 'vary', 'legacy', 'default', 'declared'] }),
      '/P.mode': attr({
        typeName: 'token',
        custom: true,
        variability: 'uniform',
        default: 'fast',
        allowedTokens: ['fast', 'slow'],
        interpolation: 'constant',
        elementSize: 1,
        documentation: 'The mode',
        displayName: 'Mode',
        displayGroup: 'Settings',
        customData: { version: 2 },
        colorSpace: 'raw',
        connectability: 'interfaceOnly',
        renderType: 'terminal',
        hidden: true,
        permission: 'public',
        symmetricPeer: 'otherMode',
        myOwnKey: 'mine',
      }),
      '/P.blocked': attr({ typeName: 'float', default: VALUE_BLOCK }),
      '/P.vary': attr({ typeName: 'float', default: 1 }),
      '/P.legacy': attr({ typeName: 'double', variability: 'uniform', default: 2 }),
      '/P.default': attr({ typeName: 'float', default: 1, interpolation: 'vertex', elementSize: 3 }),
      '/P.declared': attr({ typeName: 'float', custom: true }),
    });
  });

  it('reads connections, time samples and splines, accumulating statements on one attribute', () => {
    const specs = layer(`def "Shader"
{
    float inputs:a.connect = </Other.outputs:out>
    float inputs:b = 1
    float inputs:b.connect = [<.inputs:a>, <../Sibling.outputs:x>]
    prepend float inputs:c.connect = </P.x>
    delete float inputs:c.connect = </P.y>
    float inputs:d.connect = None
    double3 xformOp:translate.timeSamples = {
        0: (0, 0, 0),
        10.5: (1, 2, 3),
        20: None,
    }
    float shuffled.timeSamples = { 2: 1, 1: 0, 2: 5 }
    float spun.spline = {
        bezier,
        1: 5; post held,
        2: 18 & 20; pre (0, 0),
    }
}
`);
    expect(table(specs)).toEqual({
      '/': root({ primChildren: ['Shader'] }),
      '/Shader': prim({ specifier: 'def', properties: ['inputs:a', 'inputs:b', 'inputs:c', 'inputs:d', 'xformOp:translate', 'shuffled', 'spun'] }),
      '/Shader.inputs:a': attr({ typeName: 'float', connectionPaths: { listOp: true, explicit: ['/Other.outputs:out'] } }),
      '/Shader.inputs:b': attr({ typeName: 'float', default: 1, connectionPaths: { listOp: true, explicit: ['/Shader.inputs:a', '/Sibling.outputs:x'] } }),
      '/Shader.inputs:c': attr({ typeName: 'float', connectionPaths: { listOp: true, prepended: ['/P.x'], deleted: ['/P.y'] } }),
      '/Shader.inputs:d': attr({ typeName: 'float', connectionPaths: { listOp: true, explicit: [] } }),
      '/Shader.xformOp:translate': attr({ typeName: 'double3', timeSamples: { times: [0, 10.5, 20], values: [[0, 0, 0], [1, 2, 3], VALUE_BLOCK] } }),
      // Out of order or repeated times: sorted, the last sample written winning.
      '/Shader.shuffled': attr({ typeName: 'float', timeSamples: { times: [1, 2], values: [0, 5] } }),
      // Splines are read past, not kept.
      '/Shader.spun': attr({ typeName: 'float' }),
    });
  });
});

describe('relationships', () => {
  it('reads targets as list-ops of absolute paths', () => {
    const specs = layer(`def "R"
{
    rel plain
    rel one = </Target>
    custom rel many = [</A>, </B.attr>, <Child>]
    rel none = None
    rel empty = []
    prepend rel edited = </X>
    delete rel edited = </Y>
    append rel edited = </Z>
    add rel edited = </W>
    reorder rel edited = [</Z>, </X>]
    uniform rel u = </U> (
        doc = "a uniform rel"
        customData = { bool yes = 1 }
    )
    varying rel v
    rel old[</T>] {
        float weight = 1
    }
    rel withAttrs = [</T> {
        float weight = 1
    }]
    rel targetPath = </A.rel[</B>]>
}
`);
    const targets = (explicit: string[]) => ({ targetPaths: { listOp: true, explicit } });
    expect(table(specs)).toEqual({
      '/': root({ primChildren: ['R'] }),
      '/R': prim({ specifier: 'def', properties: ['plain', 'one', 'many', 'none', 'empty', 'edited', 'u', 'v', 'old', 'withAttrs', 'targetPath'] }),
      // Declared without a value: no targetPaths field.
      '/R.plain': rel({}),
      '/R.one': rel(targets(['/Target'])),
      '/R.many': rel({ custom: true, ...targets(['/A', '/B.attr', '/R/Child']) }),
      '/R.none': rel(targets([])),
      '/R.empty': rel(targets([])),
      '/R.edited': rel({ targetPaths: { listOp: true, prepended: ['/X'], deleted: ['/Y'], appended: ['/Z'], added: ['/W'], ordered: ['/Z', '/X'] } }),
      '/R.u': rel({ variability: 'uniform', documentation: 'a uniform rel', customData: { yes: true }, ...targets(['/U']) }),
      '/R.v': rel({}),
      // Old files' relational attributes are read past.
      '/R.old': rel({}),
      '/R.withAttrs': rel(targets(['/T'])),
      '/R.targetPath': rel(targets(['/A.rel[</B>]'])),
    });
  });
});

describe('strings and dictionaries', () => {
  it('reads every quoting, Sdf escapes and Unicode', () => {
    const specs = layer(`def "S"
{
    string esc = "tab\\there \\"quoted\\" back\\\\slash \\x41\\xc3\\xa9 \\101 \\q"
    string single = 'it\\'s'
    string multi = """line one
line "two" """
    string multi2 = '''a ''b'' c'''
    string empty = ""
    string unicode = "日本語 ✓"
}
`);
    const value = (name: string) => specs.get(`/S.${name}`)!.fields['default'];
    expect(value('esc')).toBe('tab\there "quoted" back\\slash Aé A q');
    expect(value('single')).toBe("it's");
    expect(value('multi')).toBe('line one\nline "two" ');
    expect(value('multi2')).toBe("a ''b'' c");
    expect(value('empty')).toBe('');
    expect(value('unicode')).toBe('日本語 ✓');
  });

  it('reads typed dictionaries: quoted keys, nested dictionaries, typed values', () => {
    const specs = layer(`def "D" (
    customData = {
        dictionary nested = {
            dictionary deeper = {
                quatd q = (1, 0, 0, 0)
            }
            int[] list = [1, 2]
        }
        float3 "rtx:debug:color" = (0, 1e18, 0)
        bool flag = "yes"
        token def = "keyword keys are fine"
    }
)
{
}
`);
    expect(specs.get('/D')!.fields['customData']).toEqual({
      nested: { deeper: { q: [0, 0, 0, 1] }, list: [1, 2] },
      'rtx:debug:color': [0, 1e18, 0],
      flag: true,
      def: 'keyword keys are fine',
    });
  });

  it('keeps a "__proto__" key as data', () => {
    const specs = layer('def "D" (\n    customData = { int __proto__ = 1 }\n)\n{\n}\n');
    const data = specs.get('/D')!.fields['customData'] as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });
});

describe('malformed input', () => {
  it('names the line and what was expected', () => {
    expect(failure('PXR-USDC\u0000\u0000', 'scene.usdc')).toBe("line 1: not a USDA layer: expected '#usda 1.0'");
    expect(failure('#usda1.0\n')).toBe("line 1: not a USDA layer: expected '#usda 1.0'");
    expect(failure('#usda 1.0\ndef "Foo" {\n    float a = 1\n')).toBe('line 4: expected "}" to close prim "/Foo", found end of file (truncated file?)');
    expect(failure('#usda 1.0\ndef "Foo" {\n    float a = 1\n    1.5\n}\n')).toBe('line 4: expected "}" to close prim "/Foo", found "1.5"');
    expect(failure('#usda 1.0\ndef "Foo" {\n    float a = 1 float b = 2\n}\n')).toBe('line 3: expected a new line or ";" after a property, found "float"');
    expect(failure('#usda 1.0\ndef "Foo" (\n    kind = "x"\n{\n}\n')).toBe('line 4: expected metadata or ")" to close the metadata of prim "/Foo", found "{"');
    expect(failure('#usda 1.0\ndef "A" {\n}\ndef "A" {\n}\n')).toBe('line 4: duplicate prim "/A"');
    expect(failure('#usda 1.0\ndef "A" {\n    float3 v = (1, 2)\n}\n')).toBe('line 3: expected "," and 3 values in a tuple for "/A.v" (float3), found ")"');
    expect(failure('#usda 1.0\ndef "A" {\n    float3[] v = (1, 2, 3)\n}\n')).toBe('line 3: expected "[" to open the float3[] value of "/A.v", found "("');
    expect(failure('#usda 1.0\ndef "A" {\n    float x = "one"\n}\n')).toBe('line 3: expected a number for "/A.x" (float), found the string "one"');
    expect(failure('#usda 1.0\ndef "A" {\n    uchar x = 256\n}\n')).toBe('line 3: 256 is not a uchar value, for "/A.x"');
    expect(failure('#usda 1.0\ndef "A" {\n    float x = 1\n    double x.connect = </B.y>\n}\n')).toBe('line 4: attribute "/A.x" already has type "float", cannot change to "double"');
    expect(failure('#usda 1.0\ndef "A" {\n    float x\n    rel x\n}\n')).toBe('line 4: "/A.x" is already an attribute');
    expect(failure('#usda 1.0\ndef "A" {\n    add rel r = None\n}\n')).toBe('line 3: None or [] only sets the targets of "/A.r" outright, it cannot be used with "add"');
    // A target listed twice is kept once (OpenUSD refuses the file).
    expect(layer('def "A" {\n    rel r = [</B>, </B>]\n}\n').get('/A.r')!.fields['targetPaths']).toEqual({ listOp: true, explicit: ['/B'] });
    expect(failure('#usda 1.0\ndef "A" (\n    inherits = </B.attr>\n)\n{\n}\n')).toBe('line 3: </B.attr> in "inherits" of prim "/A" is not a prim path');
    expect(failure('#usda 1.0\ndef "A" (\n    inherits = <../../B>\n)\n{\n}\n')).toBe('line 3: <../../B> in "inherits" of prim "/A" reaches above the root from </A>');
    expect(failure('#usda 1.0\ndef "A" {\n    rel r = </B?>\n}\n')).toBe('line 3: </B?> is not a valid path in the targets of "/A.r"');
    expect(failure('#usda 1.0\ndef "A" {\n    rel r = </B{v=x}C>\n}\n')).toBe('line 3: </B{v=x}C> in the targets of "/A.r" may not hold a variant selection');
    expect(failure('#usda 1.0\ndef "A" (\n    active = "perhaps"\n)\n{\n}\n')).toBe('line 3: metadata "active" must be true or false');
    expect(failure('#usda 1.0\ndef "A" (\n    permission = secret\n)\n{\n}\n')).toBe('line 3: "secret" is not a permission (expected public or private)');
    expect(failure('#usda 1.0\ndef "A" {\n    variantSet "v" = {\n        "a:b" {\n        }\n    }\n}\n')).toBe('line 4: "a:b" is not a valid variant name');
    expect(failure('#usda 1.0\ndef "1st" {\n}\n')).toBe('line 2: "1st" is not a valid prim name');
    expect(failure('#usda 1.0\ndef "A" {\n    opaque o = 1\n}\n')).toBe('line 3: "/A.o" is opaque and cannot have a value');
    expect(failure('#usda 1.0\ndef "A" {\n    float x = 1 ~\n}\n')).toBe('line 3: unexpected character "~"');
  });

  it('counts lines through multi-line strings and comments', () => {
    expect(failure('#usda 1.0\n(\n    doc = """a\nb\nc"""\n    /* x\n    y */\n    upAxis = "Y" "Z"\n)\n')).toBe('line 8: expected a new line, ";" or ")" after metadata "upAxis", found the string "Z"');
    expect(failure('#usda 1.0\r\ndef "A" {\r\n    string s = "open\r\n}\r\n')).toBe('line 3: unterminated string (a string in single quotes ends on its line)');
    expect(failure('#usda 1.0\ndef "A" {\n    asset a = @open\n}\n')).toBe('line 3: unterminated @ asset path');
  });

  it('keeps to the line structure the format requires, as OpenUSD does', () => {
    expect(failure('#usda 1.0\ndef Xform\n"A" {\n}\n')).toBe('line 2: expected the prim name after "def Xform" on the same line, found a line break');
    expect(failure('#usda 1.0\ndef "A" {\n    double\n    x = 1\n}\n')).toBe('line 3: expected an attribute name after "double" on the same line, found a line break');
    expect(failure('#usda 1.0\ndef "A" {\n    double x =\n        1\n}\n')).toBe('line 3: expected a value after "x =" on the same line, found a line break');
    expect(failure('#usda 1.0\ndef "A" {\n    double[] x = [1\n        , 2]\n}\n')).toBe('line 3: expected "," in the double[] value of "/A.x" on the same line, found a line break');
    expect(failure('#usda 1.0\ndef "A" {\n    double x = 1 double y = 2\n}\n')).toBe('line 3: expected a new line or ";" after a property, found "double"');
    // More lenient than OpenUSD: the last statement may end on the "}" that closes the body.
    expect(layer('def "A" {\n    double x = 1 }\ndef "B" { def "C" { } }\n').get('/A.x')!.fields['default']).toBe(1);
    // A ";" ends a statement as a line break does.
    expect(layer('def "A" {\n    double x = 1; double y = 2; }\n').get('/A')!.fields['properties']).toEqual(['x', 'y']);
  });

  it('limits nesting instead of exhausting the stack', () => {
    const deep = (n: number) => `#usda 1.0\n${'def "A" {\n'.repeat(n)}${'}\n'.repeat(n)}`;
    expect(parseUsda(deep(300), 'deep.usda').size).toBe(301);
    expect(failure(deep(1000))).toBe('line 402: nesting deeper than 400 levels');
    expect(failure(`#usda 1.0\n(\n    x = ${'['.repeat(100000)}\n)\n`)).toBe('line 3: nesting deeper than 400 levels');
  });
});

describe('real layers', () => {
  const scenes = new URL('../../../scenes/', import.meta.url);
  const files = [
    ...readdirSync(scenes)
      .filter((name) => name.endsWith('.usda'))
      .map((name) => new URL(name, scenes)),
    new URL('fixtures/isaac-style.usda', scenes),
    new URL('fixtures/third-party/cartpole.usda', scenes),
  ];

  it.each(files.map((url) => [url.pathname.split('/scenes/')[1]!, url] as const))('parses scenes/%s', (_name, url) => {
    const specs = parseUsda(readFileSync(url, 'utf8'), url.pathname);
    const rootFields = specs.get('/')!.fields;
    expect(typeof rootFields['defaultPrim']).toBe('string');
    expect(specs.has(`/${String(rootFields['defaultPrim'])}`)).toBe(true);
    // Every child a spec lists exists, and every prim is listed by its parent.
    for (const [path, spec] of specs) {
      for (const child of (spec.fields['primChildren'] as string[] | undefined) ?? []) expect(specs.has(path === '/' ? `/${child}` : `${path}/${child}`)).toBe(true);
      for (const property of (spec.fields['properties'] as string[] | undefined) ?? []) expect(specs.get(`${path}.${property}`)?.specType).toBeDefined();
    }
  });

  it('reads the Isaac-style fixture as written', () => {
    const specs = parseUsda(readFileSync(new URL('fixtures/isaac-style.usda', scenes), 'utf8'), 'isaac-style.usda');
    const rootFields = specs.get('/')!.fields;
    expect(rootFields['customLayerData']).toMatchObject({ renderSettings: { 'rtx:debugView:pixelDebug:textColor': [0, 1e18, 0] } });
    expect(rootFields['upAxis']).toBe('Z');
    expect(specs.get('/World/Crate')!.fields).toMatchObject({
      apiSchemas: { listOp: true, prepended: ['PhysicsRigidBodyAPI', 'PhysxRigidBodyAPI', 'PhysicsMassAPI', 'SemanticsAPI:Semantics_x7Qa'] },
      kind: 'component',
      instanceable: false,
    });
    expect(specs.get('/World/Crate.physics:mass')!.fields).toEqual({ typeName: 'float', default: 2.5, customData: { source: 'measured' }, documentation: 'Mass in kilograms.' });
  });

  it('parses 3 MB of mesh points in well under a second', () => {
    const random = seededRandom(7);
    const count = 100_000;
    const points = Array.from({ length: count }, () => `(${random().toFixed(6)}, ${(random() * 100 - 50).toFixed(5)}, ${random().toExponential(4)})`);
    const indices = Array.from({ length: count }, (_, i) => i);
    const text = `#usda 1.0\ndef Mesh "M" {\n    point3f[] points = [${points.join(', ')}]\n    int[] faceVertexIndices = [${indices.join(', ')}]\n}\n`;
    expect(text.length).toBeGreaterThan(3_000_000);
    const start = performance.now();
    const specs = parseUsda(text, 'mesh.usda');
    const ms = performance.now() - start;
    expect((specs.get('/M.points')!.fields['default'] as number[]).length).toBe(3 * count);
    expect(specs.get('/M.faceVertexIndices')!.fields['default']).toEqual(indices);
    expect(ms).toBeLessThan(1000);
  });

  it('either parses or throws an InputError for every mutation of a real scene, quickly', () => {
    const text = readFileSync(new URL('panda_tabletop.usda', scenes), 'utf8');
    const random = seededRandom(2026);
    const inserts = ['{', '}', '(', ')', '[', ']', '"', '"""', '=', '<', '>', '@', '@@@', '\n', 'def Cube "X"', '-inf', 'nan', '1e309', ',', ':', ';', '#', '/*', '\\', 'None', 'variantSet "v" = {', '(((', '[[['];
    let parsed = 0;
    const start = performance.now();
    for (let i = 0; i < 300; i++) {
      let mutated = text;
      for (let round = 0; round < 1 + Math.floor(random() * 3); round++) {
        const at = Math.floor(random() * mutated.length);
        const span = 1 + Math.floor(random() * 40);
        const kind = Math.floor(random() * 4);
        if (kind === 0) mutated = mutated.slice(0, at) + mutated.slice(at + span);
        else if (kind === 1) mutated = mutated.slice(0, at) + inserts[Math.floor(random() * inserts.length)]! + mutated.slice(at);
        else if (kind === 2) mutated = mutated.slice(0, at) + mutated.slice(at, at + span) + mutated.slice(at);
        else mutated = mutated.slice(0, at);
      }
      try {
        parseUsda(mutated, 'fuzzed.usda');
        parsed++;
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).detail).toMatch(/^line \d+: /);
        expect((error as InputError).detail).not.toMatch(/internal error|nested too deeply/);
      }
    }
    expect(parsed).toBeGreaterThan(0);
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

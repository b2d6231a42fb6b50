/**
 * Image textures through USD: texture coordinates (primvars:st with each interpolation, indexed,
 * seams), the UsdPreviewSurface ← UsdUVTexture ← UsdPrimvarReader_float2 network, asset paths
 * resolved against the layer that writes them, and the files kept in the document, exported beside
 * the layers, packed into USDZ and read back.
 */
import { encode as encodePng } from 'fast-png';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { addPrim, removePrim, setLookImage, setVisualMaterial } from '../scene/edit.ts';
import { emptyDocument } from '../scene/document.ts';
import { EARTH_GRAVITY, type SceneDocument } from '../scene/schema.ts';
import { differences } from '../testing/roundTrip.ts';
import { usdaLayer } from '../testing/usda.ts';
import { assetText } from '../scene/assets.ts';
import { resolverFromAssets } from './compose.ts';
import { exportUsda, exportUsdLayers } from './export.ts';
import { importUsd } from './import.ts';
import { insertReference } from './reference.ts';
import { packUsdz } from './usdz.ts';

const png = (rgb: number[]) => encodePng({ width: rgb.length / 3, height: 1, channels: 3, depth: 8, data: Uint8Array.from(rgb) });
const RED_BLUE = png([255, 0, 0, 0, 0, 255]);
const GREEN = png([0, 255, 0]);
const files = (entries: Record<string, Uint8Array | string>) => (key: string) => {
  const v = entries[key];
  return v === undefined ? undefined : typeof v === 'string' ? new TextEncoder().encode(v) : v;
};

/** Two unit quads side by side sharing the edge x = 1 (points 1 and 4). */
const QUADS = `
        point3f[] points = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (1, 1, 0), (2, 0, 0), (2, 1, 0)]
        int[] faceVertexCounts = [4, 4]
        int[] faceVertexIndices = [0, 1, 2, 3, 1, 5, 6, 2]`;

describe('texture coordinates', () => {
  it('face-varying st keeps points in place and copies a point only at a seam', () => {
    // The second quad maps x = 1 to u = 0 (a seam at points 1 and 2); the first maps it to u = 1.
    const { document, warnings } = importUsd(
      usdaLayer(`def Mesh "M"
    {${QUADS}
        texCoord2f[] primvars:st = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 0), (1, 1), (0, 1)] (
            interpolation = "faceVarying"
        )
    }`),
      'quads.usda',
    );
    expect(warnings).toEqual([]);
    const g = document.prims[0]!.geometry!;
    if (g.kind !== 'mesh') throw new Error('not a mesh');
    // Points 0..6 as authored, then copies of 1 and 2 with the second quad's uvs.
    expect(g.points.length / 3).toBe(9);
    expect(g.points.slice(21)).toEqual([1, 0, 0, 1, 1, 0]);
    expect(g.uvs).toEqual([0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1]);
    // Fan triangulation: (0,1,2) (0,2,3) | (1',5,6) (1',6,2').
    expect(g.indices).toEqual([0, 1, 2, 0, 2, 3, 7, 5, 6, 7, 6, 8]);
  });

  it('reads indexed and per-vertex st, and decides the interpolation by count when none is authored', () => {
    const indexed = importUsd(
      usdaLayer(`def Mesh "M"
    {${QUADS}
        texCoord2f[] primvars:st = [(0, 0), (0.5, 0), (0.5, 1), (0, 1), (1, 0), (1, 1)]
        int[] primvars:st:indices = [0, 1, 2, 3, 1, 4, 5, 2]
    }`),
      'indexed.usda',
    ).document.prims[0]!.geometry!;
    expect(indexed.kind === 'mesh' && indexed.uvs).toEqual([0, 0, 0.5, 0, 0.5, 1, 0, 1, 0, 0, 1, 0, 1, 1]);
    expect(indexed.kind === 'mesh' && indexed.points.length).toBe(21);

    const perVertex = importUsd(
      usdaLayer(`def Mesh "M"
    {${QUADS}
        texCoord2f[] primvars:uv0 = [(0, 0), (0.5, 0), (0.5, 1), (0, 1), (9, 9), (1, 0), (1, 1)] (interpolation = "vertex")
    }`),
      'vertex.usda',
    ).document.prims[0]!.geometry!;
    expect(perVertex.kind === 'mesh' && perVertex.uvs).toEqual([0, 0, 0.5, 0, 0.5, 1, 0, 1, 9, 9, 1, 0, 1, 1]);
    expect(perVertex.kind === 'mesh' && perVertex.indices).toEqual([0, 1, 2, 0, 2, 3, 1, 5, 6, 1, 6, 2]);
  });

  it('warns and leaves the mesh without uvs when their count fits no interpolation', () => {
    const { document, warnings } = importUsd(usdaLayer(`def Mesh "M"\n    {${QUADS}\n        texCoord2f[] primvars:st = [(0, 0), (1, 1)]\n    }`), 'bad.usda');
    const g = document.prims[0]!.geometry!;
    expect(g.kind === 'mesh' && g.uvs).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^\/M: primvars:st has 2 values with no interpolation \(expected 7 per vertex or 8 per face-vertex\)/)]);
  });
});

const TEXTURED_PART = `#usda 1.0
(
    defaultPrim = "Part"
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "Part"
{
    def Cube "Box" (prepend apiSchemas = ["MaterialBindingAPI"])
    {
        double size = 0.5
        rel material:binding = </Part/Looks/Paint>
    }
    def Scope "Looks"
    {
        def Material "Paint"
        {
            token outputs:surface.connect = </Part/Looks/Paint/Surface.outputs:surface>
            def Shader "Surface"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor = (0.2, 0.2, 0.2)
                color3f inputs:diffuseColor.connect = </Part/Looks/Paint/Image.outputs:rgb>
                float inputs:roughness = 0.8
                token outputs:surface
            }
            def Shader "Image"
            {
                uniform token info:id = "UsdUVTexture"
                asset inputs:file = @../textures/red blue.png@
                float4 inputs:scale = (0.5, 1, 1, 1)
                float3 outputs:rgb
            }
        }
    }
}
`;

describe('UsdUVTexture', () => {
  it('follows diffuseColor to the texture, resolves its file against the layer that names it, and tints by scale', () => {
    const root = usdaLayer('def Xform "World"\n{\n    def "Part" (prepend references = @./parts/part.usda@) { }\n}');
    const { document, warnings } = importUsd(root, 'scene.usda', { resolve: files({ 'parts/part.usda': TEXTURED_PART, 'textures/red blue.png': RED_BLUE }) });
    expect(warnings).toEqual([]);
    const box = document.prims.find((p) => p.path === '/World/Part/Box')!;
    expect(box.material).toEqual({ color: [0.5, 1, 1], roughness: 0.8, metallic: 0, opacity: 1, image: 'textures/red blue.png' });
    expect(document.assets?.['textures/red blue.png']).toBe(assetText(RED_BLUE));
    expect(document.assets?.['parts/part.usda']).toBe(TEXTURED_PART);
  });

  it('keeps the constant colour, with a warning, when the file is missing or not an image', () => {
    const missing = importUsd(TEXTURED_PART, 'parts/part.usda');
    expect(missing.document.prims.find((p) => p.path === '/Part/Box')!.material).toEqual({ color: [0.2, 0.2, 0.2], roughness: 0.8, metallic: 0, opacity: 1 });
    expect(missing.warnings).toEqual([expect.stringMatching(/^\/Part\/Looks\/Paint\/Image: texture file \.\.\/textures\/red blue\.png was not found/)]);
    const broken = importUsd(TEXTURED_PART.replace('../textures/red blue.png', 'notes.png'), 'part.usda', { resolve: files({ 'notes.png': 'not an image' }) });
    expect(broken.warnings).toEqual([expect.stringMatching(/^\/Part\/Looks\/Paint\/Image: notes\.png: not an image Simloop reads: expected PNG or JPEG bytes; using the constant colour$/)]);
    expect(broken.document.assets).toBeUndefined();
  });

  it('keeps a file outside the scene folder under textures/', () => {
    const { document } = importUsd(TEXTURED_PART, 'part.usda', { resolve: files({ '../textures/red blue.png': RED_BLUE }) });
    expect(document.prims.find((p) => p.path === '/Part/Box')!.material?.image).toBe('textures/red_blue.png');
    expect(Object.keys(document.assets ?? {})).toEqual(['textures/red_blue.png']);
  });
});

/** A table with a textured top and a textured mesh, edited in the document. */
function texturedScene(): SceneDocument {
  let doc = emptyDocument('table.json', [0, -EARTH_GRAVITY, 0]);
  doc = addPrim(doc, null, 'World');
  doc = addPrim(doc, '/World', 'Top', { type: 'Cube', geometry: { kind: 'box', size: [1, 0.05, 0.6] } });
  doc = setLookImage(doc, '/World/Top', 'textures/wood.png', assetText(RED_BLUE));
  doc = addPrim(doc, '/World', 'Tile', {
    type: 'Mesh',
    geometry: { kind: 'mesh', points: [0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1], indices: [0, 2, 1, 0, 3, 2], uvs: [0, 0, 2, 0, 2, 2, 0, 2] },
  });
  return setLookImage(doc, '/World/Tile', 'textures/wood.png', assetText(GREEN));
}

describe('image looks in the document and on export', () => {
  it('setLookImage keeps the file, renames a different file with the same name, and drops files nothing shows', () => {
    const doc = texturedScene();
    expect(doc.prims.find((p) => p.path === '/World/Top')!.material).toEqual({ color: [1, 1, 1], roughness: 0.5, metallic: 0, opacity: 1, image: 'textures/wood.png' });
    expect(doc.prims.find((p) => p.path === '/World/Tile')!.material?.image).toBe('textures/wood_1.png');
    expect(Object.keys(doc.assets!).sort()).toEqual(['textures/wood.png', 'textures/wood_1.png']);
    const untextured = setVisualMaterial(doc, '/World/Top', { color: [1, 0, 0], roughness: 0.5, metallic: 0, opacity: 1, texture: 'checker' });
    expect(Object.keys(untextured.assets!)).toEqual(['textures/wood_1.png']);
    expect(removePrim(untextured, '/World/Tile').assets).toBeUndefined();
    expect(() => setVisualMaterial(doc, '/World/Top', { color: [1, 1, 1], roughness: 0.5, metallic: 0, opacity: 1, image: 'textures/nope.png' })).toThrow(
      /\/World\/Top: material\.image must be an image among the scene's assets, got "textures\/nope\.png"/,
    );
  });

  it('writes UsdUVTexture and primvars:st, and the files beside the layer, and reads them back', () => {
    const doc = texturedScene();
    const { root, assets } = exportUsdLayers(doc);
    expect(root).toContain('asset inputs:file = @./textures/wood.png@');
    expect(root).toContain('texCoord2f[] primvars:st = [(0, 0), (2, 0), (2, 2), (0, 2)] (');
    expect(assets.map((a) => a.name)).toEqual(['textures/wood.png', 'textures/wood_1.png']);
    const back = importUsd(root, 'table.usda', { resolve: files(Object.fromEntries(assets.map((a) => [a.name, a.bytes]))) });
    expect(back.warnings).toEqual([]);
    expect(differences(back.document, doc)).toEqual([]);
    // USDZ: the package holds the images, and opens alone.
    const usdz = packUsdz([{ name: 'table.usda', bytes: new TextEncoder().encode(root) }, ...assets]);
    expect(Object.keys(unzipSync(usdz))).toEqual(['table.usda', 'textures/wood.png', 'textures/wood_1.png']);
    expect(differences(importUsd(usdz, 'table.usdz').document, doc)).toEqual([]);
  });

  it('a referenced asset with an image: its layer names the file relative to itself, and edits over it round-trip', () => {
    const asset = texturedScene();
    let doc = addPrim(emptyDocument('scene.json', [0, -EARTH_GRAVITY, 0]), null, 'World');
    doc = insertReference(doc, '/World', 'Table', asset, undefined, 'Table');
    const layer = doc.assets!['assets/Table.usda']!;
    expect(layer).toContain('@../textures/wood.png@');
    expect(doc.prims.find((p) => p.path === '/World/Table/World/Tile')!.material?.image).toBe('textures/wood_1.png');
    // An edit over the reference: another tint on the top.
    const top = doc.prims.find((p) => p.path === '/World/Table/World/Top')!;
    doc = setVisualMaterial(doc, top.path, { ...top.material!, color: [0.5, 0.5, 0.5] });
    const { root, assets } = exportUsdLayers(doc);
    expect(root).toContain('prepend references = @./assets/Table.usda@');
    expect(root).not.toContain('UsdUVTexture');
    expect(assets.map((a) => a.name)).toEqual(['assets/Table.usda', 'textures/wood.png', 'textures/wood_1.png']);
    const back = importUsd(root, 'scene.usda', { resolve: files(Object.fromEntries(assets.map((a) => [a.name, a.bytes]))) });
    expect(back.warnings).toEqual([]);
    expect(differences(back.document, doc)).toEqual([]);
    // The flattened layer names the same files.
    expect(differences(importUsd(exportUsda(doc), 'flat.usda', { resolve: resolverFromAssets(doc.assets!) }).document, { ...doc, references: undefined } as SceneDocument).filter((d) => !d.startsWith('$.references') && !d.startsWith('$.assets'))).toEqual([]);
  });
});

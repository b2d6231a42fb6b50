/**
 * USD that other people wrote, opened as a new user would open it (scenes/fixtures/third-party,
 * with its sources and licences): the USD Working Group's Open Chess Set (the canonical asset
 * structure: asset.usd → payload → a layer of sublayers [look, geom], inherits to classes, a
 * shading variant set chosen per instance, crate geometry, MaterialX looks, pawns from a
 * PointInstancer), its teapot asset, its subdivision pyramids (per-instance variants), and OpenUSD's own UsdPhysics examples. The expected values
 * are read from the files themselves (the layer that authors them), not from Simloop's output.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Vector3 } from 'three';
import { describe, expect, it, vi } from 'vitest';
import { worldMatrices } from '../scene/hierarchy.ts';
import { simulateScene } from '../report/contract.ts';
import { importUsd } from './import.ts';
import { readUsdLayer } from './layer.ts';

const THIRD_PARTY = new URL('../../../scenes/fixtures/third-party/', import.meta.url);
const folderResolver = (folder: URL) => (key: string) => {
  const url = new URL(key, folder);
  return existsSync(url) ? new Uint8Array(readFileSync(url)) : undefined;
};

/** Quads and triangles of a mesh as its layer authors them: the triangles a fan makes of its faces. */
function authoredTriangles(file: URL, mesh: string): number {
  const counts = readUsdLayer(readFileSync(file), file.pathname).specs.get(`${mesh}.faceVertexCounts`)!.fields['default'] as number[];
  return counts.reduce((n, c) => n + Math.max(0, c - 2), 0);
}

const worldPosition = (world: Map<string, import('three').Matrix4>, path: string) => new Vector3().setFromMatrixPosition(world.get(path)!).toArray();

describe('the Open Chess Set (usd-wg/assets)', () => {
  const folder = new URL('OpenChessSet/', THIRD_PARTY);
  const open = (variants: { prim: string; set: string; selection: string }[] = []) =>
    importUsd(readFileSync(new URL('chess_set.usda', folder)), 'chess_set.usda', { resolve: folderResolver(folder), variants });
  const { document, warnings } = open();
  const paths = document.prims.map((p) => p.path);
  const world = worldMatrices(document);
  const SIDES = ['Black', 'White'];
  const PIECES = ['King', 'Queen', 'BishopL', 'BishopR', 'KnightL', 'KnightR', 'RookL', 'RookR'];

  it('composes the board and every piece through payloads and sublayers, and no class prims', () => {
    expect(paths).toContain('/ChessSet/Chessboard/Geom/Render');
    for (const side of SIDES) for (const piece of PIECES) expect(paths).toContain(`/ChessSet/${side}/${piece}/Geom/Render`);
    expect(paths.filter((p) => p.includes('__class__'))).toEqual([]);
  });

  it('gives each piece the geometry its crate layer holds (a triangle fan per quad)', () => {
    const mesh = (path: string) => document.prims.find((p) => p.path === path)!.geometry!;
    const triangles = (path: string) => {
      const g = mesh(path);
      return g.kind === 'mesh' ? g.indices.length / 3 : -1;
    };
    expect(triangles('/ChessSet/Chessboard/Geom/Render')).toBe(authoredTriangles(new URL('assets/Chessboard/Chessboard_geom.usd', folder), '/Chessboard/Geom/Render'));
    expect(triangles('/ChessSet/White/King/Geom/Render')).toBe(authoredTriangles(new URL('assets/King/King_geom.usd', folder), '/King/Geom/Render'));
    expect(triangles('/ChessSet/Black/Pawns/instance_3/Pawn/Geom_Body/Render')).toBe(authoredTriangles(new URL('assets/Pawn/Pawn_geom.usd', folder), '/Pawn/Geom_Body/Render'));
  });

  it('places pieces where chess_set.usda puts them (metres, Y up)', () => {
    // Black is translated (0, 0, 0.188125); its King (-0.03142297640442848, 0.011370822787284851, 0.03196573942).
    const king = worldPosition(world, '/ChessSet/Black/King');
    [-0.03142297640442848, 0.011370822787284851, 0.188125 + 0.03196573942].forEach((v, i) => expect(king[i]).toBeCloseTo(v, 9));
    // A rook placed by a matrix: its translation row (0.21962326392531395, 0.015547847375273705, 0.03147086814).
    const rook = worldPosition(world, '/ChessSet/Black/RookR');
    [0.21962326392531395, 0.015547847375273705, 0.188125 + 0.03147086814].forEach((v, i) => expect(rook[i]).toBeCloseTo(v, 9));
  });

  it('makes a prim of each PointInstancer instance: 8 pawns a side, at the instancer positions, each a copy of the Pawn asset', () => {
    for (const side of SIDES) {
      const instances = paths.filter((p) => new RegExp(`^/ChessSet/${side}/Pawns/instance_\\d+$`).test(p));
      expect(instances).toHaveLength(8);
      // The prototype under the instancer is drawn only through it.
      expect(paths).not.toContain(`/ChessSet/${side}/Pawns/Pawn`);
    }
    // White's seventh pawn: positions[6] = (0.09375, 0, 0.094375), White translated (0, 0, -0.188125).
    const p = worldPosition(world, '/ChessSet/White/Pawns/instance_6');
    [0.09375, 0, 0.094375 - 0.188125].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 6));
    expect(paths).toContain('/ChessSet/White/Pawns/instance_6/Pawn/Geom_Top/Render');
  });

  it('lists each piece’s shading variant set with the selection chess_set.usda makes, and --variant makes another', () => {
    const king = document.variantSets!.find((v) => v.prim === '/ChessSet/Black/King')!;
    expect(king).toEqual({ prim: '/ChessSet/Black/King', set: 'shadingVariant', options: ['Black', 'White'], selection: 'Black' });
    expect(document.variantSets!.find((v) => v.prim === '/ChessSet/White/Queen')!.selection).toBe('White');
    // The variant binds the look (from the MaterialX file, which is not read): the binding names it.
    expect(warnings).toContain('/ChessSet/Black/King/Geom/Render: material:binding targets /ChessSet/Black/King/Materials/M_King_B, which does not exist');
    const white = open([{ prim: '/ChessSet/Black/King', set: 'shadingVariant', selection: 'White' }]);
    expect(white.document.variantSets!.find((v) => v.prim === '/ChessSet/Black/King')!.selection).toBe('White');
    expect(white.warnings).toContain('/ChessSet/Black/King/Geom/Render: material:binding targets /ChessSet/Black/King/Materials/M_King_W, which does not exist');
  });

  it('names each MaterialX file it cannot read once, with the prim and the arc that reach it', () => {
    const mtlx = warnings.filter((w) => w.includes('.mtlx'));
    expect(mtlx).toHaveLength(7);
    expect(mtlx).toContain(
      'assets/King/King_look.usd: /King/Materials references @./King_mat.mtlx@</MaterialX/Materials>: assets/King/King_mat.mtlx is a MaterialX document, which OpenUSD reads through a plugin Simloop does not have; its opinions are missing',
    );
  });
});

describe('the usd-wg teapot asset: a payload to a layer of sublayers that references the geometry', () => {
  const folder = new URL('teapot/', THIRD_PARTY);
  const { document, warnings } = importUsd(readFileSync(new URL('teapot.usd', folder)), 'teapot.usd', { resolve: folderResolver(folder) });

  it('brings the mesh through teapot.usd → payload.usd → (sublayer) mtl.usd → geo.usd → geo/UtahTeapot.usd', () => {
    const body = document.prims.find((p) => p.path === '/teapot/geo/default/Body')!;
    expect(body.type).toBe('Mesh');
    expect(body.geometry!.kind === 'mesh' && body.geometry!.indices.length / 3).toBe(authoredTriangles(new URL('geo/UtahTeapot.usd', folder), '/UtahTeapot/Body'));
    expect(document.prims.map((p) => p.path)).toContain('/teapot/mtl/default_material');
    expect(warnings).toEqual([]);
  });
});

describe('the usd-wg subdivision pyramids: three instanceable references to one asset, each with its own variant', () => {
  const folder = new URL('SubdivisionSurfaces/', THIRD_PARTY);
  const open = (variants: { prim: string; set: string; selection: string }[] = []) =>
    importUsd(readFileSync(new URL('Creases_SpinningPyramids.usda', folder)), 'Creases_SpinningPyramids.usda', { resolve: folderResolver(folder), variants });
  const { document, warnings } = open();
  const world = worldMatrices(document);
  const geo = new URL('Pyramid/geo.usda', folder);
  const PYRAMIDS = { Pyramid_NoCreases: [-2, 0, -52], Pyramid_EdgeCreases: [0, 0, -52], Pyramid_CornerCreases: [2, 0, -52] };

  it('composes each pyramid through reference → payload → references → internal references → the geo variant, at its authored place', () => {
    for (const [name, position] of Object.entries(PYRAMIDS)) {
      const shape = document.prims.find((p) => p.path === `/World/${name}/geo/shape`)!;
      expect(shape.type).toBe('Mesh');
      expect(shape.geometry!.kind === 'mesh' && shape.geometry!.indices.length / 3).toBe(authoredTriangles(geo, '/ASSET_geo_variant_0/ASSET{geo=quad_creases}geo/shape'));
      // The material comes from mtl.usda's class-inheriting Material, bound inside the mtl variant.
      expect(document.prims.map((p) => p.path)).toContain(`/World/${name}/mtl/PyramidMaterial`);
      worldPosition(world, `/World/${name}`).forEach((x, i) => expect(x).toBeCloseTo(position[i]!, 9));
    }
    // No class prims and no prototype sources come through.
    expect(document.prims.filter((p) => /__class|ASSET_/.test(p.path))).toEqual([]);
    expect(warnings.filter((w) => !/first time sample|UsdPrimvarReader_float3/.test(w))).toEqual([]);
  });

  it('gives each instance the creases variant its own prim selects, below the selection geo.usda nests it in', () => {
    const creases = Object.fromEntries(document.variantSets!.filter((v) => v.set === 'creases').map((v) => [v.prim, v.selection]));
    expect(creases).toEqual({ '/World/Pyramid_NoCreases': 'none', '/World/Pyramid_EdgeCreases': 'edges', '/World/Pyramid_CornerCreases': 'corners' });
    const geoSet = document.variantSets!.find((v) => v.prim === '/World/Pyramid_EdgeCreases' && v.set === 'geo')!;
    expect(geoSet.options).toEqual(['quad_creases', 'quad_holes']);
    expect(geoSet.selection).toBe('quad_creases');
  });

  it('switches one instance to the quad_holes geometry, leaving out the faces its holeIndices name', () => {
    const holes = open([{ prim: '/World/Pyramid_EdgeCreases', set: 'geo', selection: 'quad_holes' }]).document;
    const mesh = (path: string) => holes.prims.find((p) => p.path === path)!.geometry!;
    const layer = readUsdLayer(readFileSync(geo), geo.pathname);
    const spec = '/ASSET_geo_variant_1/ASSET{geo=quad_holes}geo/shape';
    const counts = layer.specs.get(`${spec}.faceVertexCounts`)!.fields['default'] as number[];
    const holeFaces = new Set(layer.specs.get(`${spec}.holeIndices`)!.fields['default'] as number[]);
    expect(holeFaces.size).toBeGreaterThan(0);
    const drawn = counts.reduce((n, c, f) => n + (holeFaces.has(f) ? 0 : c - 2), 0);
    const edge = mesh('/World/Pyramid_EdgeCreases/geo/shape');
    expect(edge.kind === 'mesh' && edge.indices.length / 3).toBe(drawn);
    expect(drawn).toBeLessThan(authoredTriangles(geo, spec));
    const other = mesh('/World/Pyramid_NoCreases/geo/shape');
    expect(other.kind === 'mesh' && other.indices.length / 3).toBe(authoredTriangles(geo, '/ASSET_geo_variant_0/ASSET{geo=quad_creases}geo/shape'));
  });
});

describe('OpenUSD’s UsdPhysics examples (pxr/usd/usdPhysics/examples)', () => {
  const folder = new URL('usdPhysics/', THIRD_PARTY);
  const load = (name: string) => importUsd(readFileSync(new URL(name, folder)), name);

  it('all open without a warning', () => {
    const files = readdirSync(folder).filter((f) => f.endsWith('.usda'));
    expect(files).toHaveLength(7);
    for (const file of files) expect(load(file).warnings, file).toEqual([]);
  });

  it('reads the legacy joint type DistancePhysicsJoint as a distance joint, its limits in metres', () => {
    const joint = load('usdPhysicsDistanceJoint.usda').document.joints[0]!;
    expect(joint.type).toBe('distance');
    expect(joint.minDistance).toBeCloseTo(0.1, 9); // 10 cm
    expect(joint.maxDistance).toBeCloseTo(0.5, 9); // 50 cm
  });

  it('turns the body of a D6 joint with a velocity drive (rotZ, damping only) at the target speed about the joint axis', async () => {
    const { document } = load('usdPhysicsJoints.usda');
    // The anchor: StaticBox at (0, 0, 1000) cm plus localPos0 (0, 60, 0) cm, Z up → Y up: (0, 10, -0.6) m.
    const angleAt = async (t: number) => {
      const body = (await simulateScene(document, t)).bodies.find((b) => b.path === '/World/DynamicBox')!;
      const [x, y, z] = body.position;
      expect(y).toBeCloseTo(10, 3);
      expect(Math.hypot(x, z + 0.6)).toBeCloseTo(0.6, 2);
      return Math.atan2(-x, -(z + 0.6));
    };
    // 10°/s about +Z (USD): once the damping drive has spun the body up, it keeps that rate.
    const rate = ((await angleAt(4)) - (await angleAt(3))) / 1;
    expect(rate).toBeCloseTo((10 * Math.PI) / 180, 2);
  });
});

describe('the files OpenUSD’s usdchecker calls clean (pxr/usd/bin/usdchecker/testenv/testUsdChecker/clean)', () => {
  const folder = new URL('testdata/openusd/usdcheckerClean/', import.meta.url);
  const files = readdirSync(folder).filter((f) => /\.usd[acz]?$/.test(f));
  const open = (file: string) => importUsd(readFileSync(new URL(file, folder)), file, { resolve: folderResolver(folder) });

  it('all open, every value type of their crate files read, and nothing is printed', () => {
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) => vi.spyOn(console, m));
    try {
      expect(files).toHaveLength(13);
      for (const file of files) expect(() => open(file), file).not.toThrow();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('compose clean.usd from its sublayer (geom.usdc) and its reference (shading.usda), as its crate and package twins hold it', () => {
    const paths = (file: string) => open(file).document.prims.map((p) => p.path);
    const composed = paths('clean.usd');
    expect(composed).toEqual(expect.arrayContaining(['/World/geom/sphere', '/World/geom/cube', '/World/material/nodeGraph/PreviewShader', '/World/camera']));
    expect(paths('clean.usdc')).toEqual(composed);
    expect(paths('clean.usdz')).toEqual(composed);
    expect(paths('clean_usdc.usdz')).toEqual(composed);
  });
});

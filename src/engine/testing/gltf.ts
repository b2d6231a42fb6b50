import { embeddedGltfToGlb } from '../gltfAsset.ts';

/**
 * Small glTF 2.0 files for tests, written here (no exporter runs in Node without a DOM): boxes as
 * indexed triangle meshes, one node each, with a base colour, as GLB bytes or as .gltf JSON with
 * the buffer embedded as a data: URI.
 */

export interface GltfBox {
  name: string;
  /** Full edge lengths, metres. */
  size: [number, number, number];
  translation?: [number, number, number];
  rotation?: [number, number, number, number];
  scale?: [number, number, number];
  color: [number, number, number, number];
  metallic?: number;
  roughness?: number;
}

/** 24 vertices (4 per face, with normals) and 12 triangles, counter-clockwise from outside. */
function boxArrays(size: [number, number, number]) {
  const [hx, hy, hz] = size.map((s) => s / 2) as [number, number, number];
  const positions: number[] = [];
  const normals: number[] = [];
  const indices: number[] = [];
  const faces: [number[], number[], number[]][] = [
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    [[-1, 0, 0], [0, 0, 1], [0, 1, 0]],
    [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
    [[0, -1, 0], [1, 0, 0], [0, 0, 1]],
    [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
    [[0, 0, -1], [0, 1, 0], [1, 0, 0]],
  ];
  for (const [n, u, v] of faces) {
    const base = positions.length / 3;
    for (const [a, b] of [[-1, -1], [1, -1], [1, 1], [-1, 1]] as const) {
      const p = [0, 1, 2].map((k) => (n[k]! + a * u[k]! + b * v[k]!) * [hx, hy, hz][k]!);
      positions.push(...p);
      normals.push(...n);
    }
    indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  return { positions, normals, indices };
}

/** The glTF JSON and its one binary buffer. */
function gltfBoxes(boxes: GltfBox[], options: { texture?: boolean } = {}): { json: Record<string, unknown>; bin: Uint8Array } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const bufferViews: object[] = [];
  const accessors: object[] = [];
  const add = (bytes: Uint8Array, accessor: object) => {
    bufferViews.push({ buffer: 0, byteOffset: offset, byteLength: bytes.length });
    accessors.push({ bufferView: bufferViews.length - 1, ...accessor });
    chunks.push(bytes);
    offset += bytes.length;
  };
  const meshes = boxes.map((box, i) => {
    const { positions, normals, indices } = boxArrays(box.size);
    const min = [0, 1, 2].map((k) => -box.size[k]! / 2);
    const max = [0, 1, 2].map((k) => box.size[k]! / 2);
    add(new Uint8Array(new Float32Array(positions).buffer), { componentType: 5126, count: positions.length / 3, type: 'VEC3', min, max });
    add(new Uint8Array(new Float32Array(normals).buffer), { componentType: 5126, count: normals.length / 3, type: 'VEC3' });
    add(new Uint8Array(new Uint16Array(indices).buffer), { componentType: 5123, count: indices.length, type: 'SCALAR' });
    return { name: box.name, primitives: [{ attributes: { POSITION: 3 * i, NORMAL: 3 * i + 1 }, indices: 3 * i + 2, material: i }] };
  });
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bin.set(c, at);
    at += c.length;
  }
  const json: Record<string, unknown> = {
    asset: { version: '2.0', generator: 'simloop tests' },
    scene: 0,
    scenes: [{ nodes: boxes.map((_, i) => i) }],
    nodes: boxes.map((box, i) => ({ name: box.name, mesh: i, ...(box.translation ? { translation: box.translation } : {}), ...(box.rotation ? { rotation: box.rotation } : {}), ...(box.scale ? { scale: box.scale } : {}) })),
    meshes,
    materials: boxes.map((box) => ({
      pbrMetallicRoughness: { baseColorFactor: box.color, metallicFactor: box.metallic ?? 0, roughnessFactor: box.roughness ?? 1, ...(options.texture ? { baseColorTexture: { index: 0 } } : {}) },
      ...(box.color[3] < 1 ? { alphaMode: 'BLEND' } : {}),
    })),
    ...(options.texture ? { textures: [{ source: 0 }], images: [{ uri: 'albedo.png' }] } : {}),
    buffers: [{ byteLength: bin.length }],
    bufferViews,
    accessors,
  };
  return { json, bin };
}

/** As a .gltf file with the buffer embedded. */
export function gltfText(boxes: GltfBox[], options: { texture?: boolean } = {}): Uint8Array {
  const { json, bin } = gltfBoxes(boxes, options);
  const buffers = [{ byteLength: bin.length, uri: `data:application/octet-stream;base64,${Buffer.from(bin).toString('base64')}` }];
  return new TextEncoder().encode(JSON.stringify({ ...json, buffers }));
}

/** As a .glb file (through the importer's own .gltf → GLB step, which GLTFLoader then reads). */
export function glbBytes(boxes: GltfBox[], options: { texture?: boolean } = {}): Uint8Array {
  return new Uint8Array(embeddedGltfToGlb(new TextDecoder().decode(gltfText(boxes, options)), 'test.gltf'));
}

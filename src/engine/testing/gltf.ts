import { embeddedGltfToGlb } from '../gltfAsset.ts';

/**
 * Small glTF 2.0 files for tests, written here (no exporter runs in Node without a DOM): boxes as
 * indexed triangle meshes, one node each, with a base colour (and an image, embedded or not), as
 * GLB bytes or as .gltf JSON with the buffer embedded as a data: URI.
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

/**
 * 24 vertices (4 per face, with normals and texture coordinates) and 12 triangles, counter-clockwise
 * from outside. Each face maps the whole image, glTF's way: (0, 0) is the image's top left corner.
 */
function boxArrays(size: [number, number, number]) {
  const [hx, hy, hz] = size.map((s) => s / 2) as [number, number, number];
  const positions: number[] = [];
  const normals: number[] = [];
  const uvs: number[] = [];
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
      uvs.push((a + 1) / 2, (1 - b) / 2);
    }
    indices.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  return { positions, normals, uvs, indices };
}

/** The glTF JSON and its one binary buffer. */
/** `texture`: the base colour image, embedded in the buffer (bytes) or named as another file ('external'). */
export interface GltfOptions {
  texture?: Uint8Array | 'external';
}

function gltfBoxes(boxes: GltfBox[], options: GltfOptions = {}): { json: Record<string, unknown>; bin: Uint8Array } {
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
    const { positions, normals, uvs, indices } = boxArrays(box.size);
    const min = [0, 1, 2].map((k) => -box.size[k]! / 2);
    const max = [0, 1, 2].map((k) => box.size[k]! / 2);
    add(new Uint8Array(new Float32Array(positions).buffer), { componentType: 5126, count: positions.length / 3, type: 'VEC3', min, max });
    add(new Uint8Array(new Float32Array(normals).buffer), { componentType: 5126, count: normals.length / 3, type: 'VEC3' });
    add(new Uint8Array(new Uint16Array(indices).buffer), { componentType: 5123, count: indices.length, type: 'SCALAR' });
    add(new Uint8Array(new Float32Array(uvs).buffer), { componentType: 5126, count: uvs.length / 2, type: 'VEC2' });
    return { name: box.name, primitives: [{ attributes: { POSITION: 4 * i, NORMAL: 4 * i + 1, TEXCOORD_0: 4 * i + 3 }, indices: 4 * i + 2, material: i }] };
  });
  let image: object | undefined;
  if (options.texture instanceof Uint8Array) {
    bufferViews.push({ buffer: 0, byteOffset: offset, byteLength: options.texture.length });
    chunks.push(options.texture);
    offset += options.texture.length;
    image = { name: 'albedo', bufferView: bufferViews.length - 1, mimeType: 'image/png' };
  } else if (options.texture === 'external') {
    image = { uri: 'albedo.png' };
  }
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
      pbrMetallicRoughness: { baseColorFactor: box.color, metallicFactor: box.metallic ?? 0, roughnessFactor: box.roughness ?? 1, ...(image ? { baseColorTexture: { index: 0 } } : {}) },
      ...(box.color[3] < 1 ? { alphaMode: 'BLEND' } : {}),
    })),
    ...(image ? { textures: [{ source: 0 }], images: [image] } : {}),
    buffers: [{ byteLength: bin.length }],
    bufferViews,
    accessors,
  };
  return { json, bin };
}

/** As a .gltf file with the buffer embedded. */
export function gltfText(boxes: GltfBox[], options: GltfOptions = {}): Uint8Array {
  const { json, bin } = gltfBoxes(boxes, options);
  const buffers = [{ byteLength: bin.length, uri: `data:application/octet-stream;base64,${Buffer.from(bin).toString('base64')}` }];
  return new TextEncoder().encode(JSON.stringify({ ...json, buffers }));
}

/** As a .glb file (through the importer's own .gltf → GLB step, which GLTFLoader then reads). */
export function glbBytes(boxes: GltfBox[], options: GltfOptions = {}): Uint8Array {
  return new Uint8Array(embeddedGltfToGlb(new TextDecoder().decode(gltfText(boxes, options)), 'test.gltf'));
}

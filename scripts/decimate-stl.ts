/**
 * Decimates STL meshes by vertex clustering, for the bundled robots' visuals (the CAD exports the
 * vendors publish hold ~10⁵ triangles per part, more than a browser tab needs): vertices are merged
 * per cube of `cell` metres (each cluster at its vertices' mean), triangles that collapse are
 * dropped. Writes binary STL with three's STLExporter.
 *
 *   npx tsx scripts/decimate-stl.ts <cell metres> <out folder> <file.stl>...
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BufferAttribute, BufferGeometry, Mesh } from 'three';
import { STLExporter } from 'three/examples/jsm/exporters/STLExporter.js';
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js';

export function clusterDecimate(positions: ArrayLike<number>, cell: number): { positions: Float32Array; triangles: number } {
  const clusterOf = new Map<string, number>();
  const sums: number[] = [];
  const counts: number[] = [];
  const vertexCluster: number[] = [];
  for (let i = 0; i < positions.length; i += 3) {
    const key = `${Math.floor(positions[i]! / cell)},${Math.floor(positions[i + 1]! / cell)},${Math.floor(positions[i + 2]! / cell)}`;
    let c = clusterOf.get(key);
    if (c === undefined) {
      c = counts.length;
      clusterOf.set(key, c);
      sums.push(0, 0, 0);
      counts.push(0);
    }
    sums[3 * c]! += positions[i]!;
    sums[3 * c + 1]! += positions[i + 1]!;
    sums[3 * c + 2]! += positions[i + 2]!;
    counts[c]!++;
    vertexCluster.push(c);
  }
  const seen = new Set<string>();
  const out: number[] = [];
  for (let t = 0; t + 2 < vertexCluster.length; t += 3) {
    const [a, b, c] = [vertexCluster[t]!, vertexCluster[t + 1]!, vertexCluster[t + 2]!];
    if (a === b || b === c || a === c) continue;
    const key = [a, b, c].sort((x, y) => x - y).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    for (const v of [a, b, c]) out.push(sums[3 * v]! / counts[v]!, sums[3 * v + 1]! / counts[v]!, sums[3 * v + 2]! / counts[v]!);
  }
  return { positions: Float32Array.from(out), triangles: out.length / 9 };
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const [cellText, outDir, ...files] = process.argv.slice(2);
  const cell = Number(cellText);
  if (!(cell > 0) || !outDir || files.length === 0) {
    console.error('usage: npx tsx scripts/decimate-stl.ts <cell metres> <out folder> <file.stl>...');
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  for (const file of files) {
    const bytes = readFileSync(file);
    const geometry = new STLLoader().parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const source = geometry.getAttribute('position').array;
    const { positions, triangles } = clusterDecimate(source, cell);
    const decimated = new BufferGeometry();
    decimated.setAttribute('position', new BufferAttribute(positions, 3));
    const data = new STLExporter().parse(new Mesh(decimated), { binary: true }) as DataView;
    writeFileSync(join(outDir, basename(file)), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    console.log(`${basename(file)}: ${source.length / 9} → ${triangles} triangles`);
  }
}

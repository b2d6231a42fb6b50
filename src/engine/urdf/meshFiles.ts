/**
 * Finding a URDF's mesh files among files the user supplied (a dropped folder, several picked files,
 * a zip): `<mesh filename>` is "package://<pkg>/<path>", "file://<absolute path>" or a path relative
 * to the URDF, and what the user gave is a set of relative paths ("my_robot/meshes/arm.dae") whose
 * root is wherever they picked. Pure: the browser and Node both use it.
 *
 * Matching, most specific first:
 * 1. relative to the URDF's folder ("meshes/arm.stl" next to "urdf/robot.urdf" is "urdf/meshes/arm.stl");
 * 2. the longest path suffix: for package://my_robot/meshes/arm.dae, a file ending in
 *    "my_robot/meshes/arm.dae", else in "meshes/arm.dae" (a package folder picked as the root);
 * 3. the file name alone, when exactly one file has it (files picked without their folders).
 * Several equally good matches are an error naming them: guessing could give a link the wrong mesh.
 */

export type MeshResolver = (uri: string) => Uint8Array | null;

/** The path a mesh URI names, as segments: the package name kept first for package:// URIs. */
export function meshUriSegments(uri: string): { segments: string[]; package: string | null } {
  const trimmed = uri.trim();
  const pkg = /^package:\/\/([^/]+)\/(.*)$/.exec(trimmed);
  if (pkg) return { segments: [pkg[1]!, ...splitPath(pkg[2]!)], package: pkg[1]! };
  const file = /^file:\/\/(.*)$/.exec(trimmed);
  return { segments: splitPath(file ? file[1]! : trimmed), package: null };
}

function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const part of decodeURIComponentSafe(path).split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A resolver over supplied files. `files` maps relative paths ("/" separated) to bytes;
 * `urdfPath` is the URDF's own path among them (or just its name).
 */
export function meshResolverFromFiles(files: ReadonlyMap<string, Uint8Array>, urdfPath: string): MeshResolver {
  const entries = [...files.entries()].map(([path, bytes]) => ({ path, segments: splitPath(path), bytes }));
  const urdfFolder = splitPath(urdfPath).slice(0, -1);
  const endsWith = (segments: string[], tail: string[]) => tail.length > 0 && tail.length <= segments.length && tail.every((s, i) => segments[segments.length - tail.length + i] === s);
  const pick = (uri: string, found: typeof entries): Uint8Array | null => {
    if (found.length === 1) return found[0]!.bytes;
    if (found.length > 1) throw new Error(`${found.length} supplied files could be "${uri}" (${found.map((f) => f.path).join(', ')}); supply only one`);
    return null;
  };
  return (uri) => {
    const { segments, package: pkg } = meshUriSegments(uri);
    if (segments.length === 0) return null;
    if (!pkg && !/^file:\/\//.test(uri.trim())) {
      const relative = splitPath([...urdfFolder, ...segments].join('/'));
      const hit = entries.find((e) => e.segments.length === relative.length && endsWith(e.segments, relative));
      if (hit) return hit.bytes;
    }
    for (let length = segments.length; length >= 2; length--) {
      const tail = segments.slice(segments.length - length);
      const found = entries.filter((e) => endsWith(e.segments, tail));
      if (found.length > 0) return pick(uri, found);
    }
    return pick(uri, entries.filter((e) => e.segments[e.segments.length - 1] === segments[segments.length - 1]));
  };
}

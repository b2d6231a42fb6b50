/**
 * `simloop convert <in> <out>`: any scene Simloop opens (USD, URDF, scene JSON) or a project file
 * to USDA, USDZ or a project file (`.simloop.json`), the format chosen by the output's extension.
 * A scene with references keeps them: USDA output writes the asset layers beside it (at the paths
 * the references name), USDZ output packs them; `--flatten` copies them into one layer instead.
 * Reads and converts everything in memory first, then writes each file under a temporary name and
 * renames it into place, so a failure never leaves a partial file. Format work is the engine's.
 */
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../engine/errors.ts';
import { loadAssetFile } from '../engine/load.ts';
import { makeProject, parseProject, PROJECT_FILE_EXTENSION, PROJECT_SCHEMA_ID, serializeProject } from '../engine/project.ts';
import type { SceneDocument } from '../engine/scene/schema.ts';
import type { RandomizationSpecInput } from '../engine/randomize/spec.ts';
import { exportUsdLayers } from '../engine/usd/export.ts';
import { packUsdz } from '../engine/usd/usdz.ts';
import { readInputFile } from './inputFile.ts';
import { sceneOptionsForFile } from './meshes.ts';
import type { VariantSelection } from '../engine/usd/compose.ts';
import { describeErrno, tempPathFor } from './sinks/fsSink.ts';

/** The `--json` summary (docs/CLI.md). */
export interface ConvertSummary {
  in: string;
  out: string;
  prims: number;
  /** Prims with a rigid body (PhysicsRigidBodyAPI). */
  bodies: number;
  joints: number;
  /** Asset layers written beside a USDA output, relative to its folder. */
  assets: string[];
}

type OutputFormat = 'usda' | 'usdz' | 'project';

/** The output format from the file name; anything else is refused before the input is read. */
function outputFormat(file: string): OutputFormat {
  const name = file.toLowerCase();
  if (name.endsWith(PROJECT_FILE_EXTENSION)) return 'project';
  if (name.endsWith('.usda')) return 'usda';
  if (name.endsWith('.usdz')) return 'usdz';
  if (/\.(usdc|usd)$/.test(name)) throw new InputError(file, 'USDC output is not supported; write .usda or .usdz');
  throw new InputError(file, `cannot tell the output format from the name; write .usda or .usdz (USD) or ${PROJECT_FILE_EXTENSION} (Simloop project)`);
}

/** A project file by name, or JSON whose `schema` says so. */
function isProject(bytes: Uint8Array, file: string): boolean {
  if (file.toLowerCase().endsWith(PROJECT_FILE_EXTENSION)) return true;
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first !== 0x7b /* { */) return false;
  try {
    return (JSON.parse(new TextDecoder().decode(bytes)) as { schema?: unknown }).schema === PROJECT_SCHEMA_ID;
  } catch {
    return false;
  }
}

/** Writes `data` to `file` whole or not at all. */
async function writeWhole(file: string, data: string | Uint8Array, makeFolder = false): Promise<void> {
  const temp = tempPathFor(file);
  try {
    // The output's own folder must exist; the asset folders beside it are made.
    if (makeFolder) await mkdir(dirname(file), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw new Error(`${file}: cannot write (${describeErrno(e)})`);
  }
}

/** Converts `input` into `output`; returns the summary and the import's warnings. */
export async function runConvert(input: string, output: string, options: { flatten?: boolean; variants?: VariantSelection[] } = {}): Promise<{ summary: ConvertSummary; warnings: string[] }> {
  const format = outputFormat(output);
  const bytes = await readInputFile(input);
  let scene: SceneDocument;
  let randomize: RandomizationSpecInput | null = null;
  let warnings: string[] = [];
  if (isProject(bytes, input)) {
    const project = parseProject(bytes, input);
    scene = project.scene;
    randomize = project.randomize;
    if (randomize !== null && format === 'usda') warnings = [`${input}: the randomization spec has no place in USD; ${output} holds the scene only`];
  } else {
    ({ document: scene, warnings } = await loadAssetFile(bytes, input, sceneOptionsForFile(input, options.variants ?? [])));
  }
  let files: { name: string; data: string | Uint8Array }[];
  try {
    if (format === 'project') {
      files = [{ name: output, data: serializeProject(makeProject(scene, randomize)) }];
    } else {
      const layers = exportUsdLayers(scene, { flatten: options.flatten });
      if (format === 'usdz') {
        const root = { name: `${basename(output).replace(/\.usdz$/i, '')}.usda`, bytes: new TextEncoder().encode(layers.root) };
        files = [{ name: output, data: packUsdz([root, ...layers.assets]) }];
      } else {
        files = [{ name: output, data: layers.root }, ...layers.assets.map((a) => ({ name: join(dirname(output), a.name), data: a.bytes }))];
      }
    }
  } catch (e) {
    // The exporter names the scene's original source; the person gave us `input`.
    if (e instanceof InputError) throw new InputError(input, e.detail);
    throw e;
  }
  // The assets first: the scene is written last, once what it references is in place.
  for (const file of files.slice(1)) await writeWhole(file.name, file.data, true);
  await writeWhole(files[0]!.name, files[0]!.data);
  return {
    summary: {
      in: input,
      out: output,
      prims: scene.prims.length,
      bodies: scene.prims.filter((p) => p.body).length,
      joints: scene.joints.length,
      assets: format === 'usda' ? files.slice(1).map((f) => f.name) : [],
    },
    warnings,
  };
}

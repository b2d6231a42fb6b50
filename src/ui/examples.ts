/**
 * What the studio bundles from scenes/ (the source of truth), each file by Vite as a URL or, for
 * small text files, inline: the example scenes of the "Open example" menu, the task files the
 * Robot and Policy tabs start and the robot profiles they name, and the randomization specs.
 *
 * An example scene is one file in scenes/ (adding a scene there adds it to the menu), or a scene
 * in a robot's folder (scenes/robots/<robot>/) that a bundled task names: an MJCF model with the
 * model it includes and its meshes. Such a scene goes with every file of its folder and the
 * folders below it, as when a person opens that folder in the studio.
 */
import { resolveAssetKey } from '../engine/scene/assets.ts';

/** A glob key ("../../scenes/robots/so101/x.xml") as its path in the repository ("scenes/robots/so101/x.xml"). */
const repoPath = (key: string) => key.slice('../../'.length);
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);

const urls = import.meta.glob<string>('../../scenes/*.{usda,usdc,usd,usdz,json}', { query: '?url', import: 'default', eager: true });
/** Robot folders' files: scene files, the files they include or reference, meshes and textures. */
const robotFileUrls = import.meta.glob<string>('../../scenes/robots/**/*.{xml,mjcf,urdf,usda,usdc,usd,usdz,stl,obj,dae,png,jpg,jpeg}', { query: '?url', import: 'default', eager: true });
const taskTexts = import.meta.glob<string>('../../scenes/tasks/*.task.yaml', { query: '?raw', import: 'default', eager: true });
const profileTexts = import.meta.glob<string>('../../scenes/robots/**/*.robot.{yaml,yml}', { query: '?raw', import: 'default', eager: true });

export interface ExampleScene {
  /** The name the menu shows and the scene opens under. */
  fileName: string;
  /** Its path in the repository ("scenes/tabletop.usda", "scenes/robots/so101/so101_tabletop.xml"). */
  path: string;
  url: string;
  /** Files that go with the scene, by path relative to the scene's folder → URL; empty for a one-file scene. */
  companions: Readonly<Record<string, string>>;
}

/** A bundled task file: its path in the repository, file name and text. */
export interface BundledTaskFile {
  path: string;
  fileName: string;
  text: string;
}

/** A field of a task file, read without parsing it all (the worker parses and checks the task). */
const taskField = (text: string, field: string) => new RegExp(`^${field}:\\s*["']?([^"'\\s#]+)`, 'm').exec(text)?.[1] ?? null;

export const BUNDLED_TASK_FILES: readonly BundledTaskFile[] = Object.entries(taskTexts)
  .map(([key, text]) => ({ path: repoPath(key), fileName: baseName(key), text }))
  .sort((a, b) => a.fileName.localeCompare(b.fileName));

/** The repository path of a file a task names (`scene:`, `profile:`), relative to the task file; null when it names none. */
export function taskFilePath(task: BundledTaskFile, field: 'scene' | 'profile'): string | null {
  const named = taskField(task.text, field);
  return named === null ? null : resolveAssetKey(task.path, named);
}

function folderScene(path: string): ExampleScene | null {
  const url = robotFileUrls[`../../${path}`];
  if (!url) return null;
  const folder = folderOf(path);
  const companions = Object.fromEntries(
    Object.entries(robotFileUrls)
      .map(([key, fileUrl]) => [repoPath(key), fileUrl] as const)
      .filter(([file]) => file !== path && file.startsWith(folder))
      .map(([file, fileUrl]) => [file.slice(folder.length), fileUrl]),
  );
  return { fileName: baseName(path), path, url, companions };
}

const folderScenePaths = [...new Set(BUNDLED_TASK_FILES.map((t) => taskFilePath(t, 'scene')).filter((p): p is string => p !== null && p.startsWith('scenes/robots/')))];

export const EXAMPLE_SCENES: readonly ExampleScene[] = [
  ...Object.entries(urls).map(([key, url]) => ({ fileName: baseName(key), path: repoPath(key), url, companions: {} })),
  ...folderScenePaths.map(folderScene).filter((s): s is ExampleScene => s !== null),
].sort((a, b) => a.fileName.localeCompare(b.fileName));

/** The scene the studio opens on start. */
export const DEFAULT_SCENE: ExampleScene | undefined = EXAMPLE_SCENES.find((s) => s.fileName === 'tabletop.usda') ?? EXAMPLE_SCENES[0];

/** The bundled example scene at a repository path, or null. */
export const exampleSceneAt = (path: string): ExampleScene | null => EXAMPLE_SCENES.find((s) => s.path === path) ?? null;

/** The bundled robot profile at a repository path (its text and file name), or null. */
export function bundledProfileAt(path: string): { text: string; file: string } | null {
  const text = profileTexts[`../../${path}`];
  return text === undefined ? null : { text, file: baseName(path) };
}

/** An example scene's bytes and its companion files' bytes (by path relative to the scene's folder). */
export async function fetchExampleScene(scene: ExampleScene): Promise<{ bytes: ArrayBuffer; companions: Record<string, ArrayBuffer> }> {
  const get = async (url: string, name: string) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    return response.arrayBuffer();
  };
  const paths = Object.keys(scene.companions);
  const [bytes, ...files] = await Promise.all([get(scene.url, scene.fileName), ...paths.map((p) => get(scene.companions[p]!, p))]);
  return { bytes: bytes!, companions: Object.fromEntries(paths.map((p, i) => [p, files[i]!])) };
}

/**
 * The bundled randomization specs: `scenes/<stem>.randomize.yaml` goes with `scenes/<stem>.*`.
 * Small text files, bundled inline so the randomize panel has the spec as soon as the scene opens.
 */
const specTexts = import.meta.glob<string>('../../scenes/*.randomize.{yaml,yml}', { query: '?raw', import: 'default', eager: true });

export interface ExampleSpec {
  fileName: string;
  text: string;
}

export const EXAMPLE_SPECS: readonly ExampleSpec[] = Object.entries(specTexts)
  .map(([path, text]) => ({ fileName: path.slice(path.lastIndexOf('/') + 1), text }))
  .sort((a, b) => a.fileName.localeCompare(b.fileName));

/** The bundled spec of a scene file ("tabletop.usda" → tabletop.randomize.yaml), or null. */
export function bundledSpecFor(sceneFileName: string): ExampleSpec | null {
  const stem = sceneFileName.replace(/\.[^.]*$/, '');
  return EXAMPLE_SPECS.find((s) => s.fileName === `${stem}.randomize.yaml` || s.fileName === `${stem}.randomize.yml`) ?? null;
}

/**
 * What the designer's asset panel offers from the bundled scenes: parts of a scene (the robot off
 * its table, the table) as well as whole scenes. A part is a prim's subtree with what it needs
 * (scene/extract.ts).
 */
export interface BundledAsset {
  label: string;
  scene: ExampleScene;
  /** The prim whose subtree is the asset; null for the whole scene. */
  subtree: string | null;
}

const PARTS: readonly { label: string; fileName: string; subtree: string }[] = [
  { label: 'Franka Panda robot', fileName: 'panda_tabletop.usda', subtree: '/World/Panda' },
  { label: 'Table', fileName: 'panda_tabletop.usda', subtree: '/World/Table' },
  { label: 'Three cubes', fileName: 'panda_tabletop.usda', subtree: '/World/Objects' },
];

/** The designer imports one file: scenes that go with other files (a robot's folder) are not offered. */
export const BUNDLED_ASSETS: readonly BundledAsset[] = [
  ...PARTS.flatMap((p) => {
    const scene = EXAMPLE_SCENES.find((s) => s.fileName === p.fileName);
    return scene ? [{ label: p.label, scene, subtree: p.subtree }] : [];
  }),
  ...EXAMPLE_SCENES.filter((scene) => Object.keys(scene.companions).length === 0).map((scene) => ({ label: `${scene.fileName} (whole scene)`, scene, subtree: null })),
];

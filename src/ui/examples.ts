/**
 * The bundled example scenes: every scene file in scenes/ (the source of truth), bundled by Vite
 * as a URL. Adding a scene there adds it to the "Open example" menu.
 */
const urls = import.meta.glob<string>('../../scenes/*.{usda,usdc,usd,usdz,json}', { query: '?url', import: 'default', eager: true });

export interface ExampleScene {
  fileName: string;
  url: string;
}

export const EXAMPLE_SCENES: readonly ExampleScene[] = Object.entries(urls)
  .map(([path, url]) => ({ fileName: path.slice(path.lastIndexOf('/') + 1), url }))
  .sort((a, b) => a.fileName.localeCompare(b.fileName));

/** The scene the studio opens on start. */
export const DEFAULT_SCENE: ExampleScene | undefined = EXAMPLE_SCENES.find((s) => s.fileName === 'tabletop.usda') ?? EXAMPLE_SCENES[0];

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

export const BUNDLED_ASSETS: readonly BundledAsset[] = [
  ...PARTS.flatMap((p) => {
    const scene = EXAMPLE_SCENES.find((s) => s.fileName === p.fileName);
    return scene ? [{ label: p.label, scene, subtree: p.subtree }] : [];
  }),
  ...EXAMPLE_SCENES.map((scene) => ({ label: `${scene.fileName} (whole scene)`, scene, subtree: null })),
];

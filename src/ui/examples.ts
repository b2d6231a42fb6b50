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

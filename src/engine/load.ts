/**
 * Opens a scene file of any supported format: the one registry of scene importers. Adding a
 * format means one entry here and one module beside the others.
 */
import { InputError } from './errors.ts';
import { parseSceneDocument } from './scene/document.ts';
import type { SceneDocument } from './scene/schema.ts';
import { importUrdf } from './urdf/import.ts';
import { importUsd } from './usd/import.ts';

export interface LoadedScene {
  document: SceneDocument;
  warnings: string[];
}

interface SceneImporter {
  name: string;
  /** Decides from the bytes (not the file name, which may lie). */
  accepts(bytes: Uint8Array): boolean;
  load(bytes: Uint8Array, file: string): LoadedScene;
}

const firstNonSpace = (bytes: Uint8Array) => bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);

const IMPORTERS: SceneImporter[] = [
  {
    name: 'Simloop scene document (JSON)',
    accepts: (bytes) => firstNonSpace(bytes) === 0x7b /* { */,
    load(bytes, file) {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch (e) {
        throw new InputError(file, `invalid JSON (${(e as Error).message})`);
      }
      return { document: parseSceneDocument(json, file), warnings: [] };
    },
  },
  {
    // XML: USD layers start with "#usda", "PXR-USDC" or a zip header, never "<". Meshes named by
    // the URDF are not available here, so they load as stand-ins (with warnings).
    name: 'URDF robot (XML)',
    accepts: (bytes) => firstNonSpace(bytes) === 0x3c /* < */,
    load: (bytes, file) => importUrdf(bytes, file),
  },
  {
    name: 'USD (usda, usdc, usdz)',
    accepts: () => true,
    load: (bytes, file) => importUsd(bytes, file),
  },
];

export const SCENE_FILE_EXTENSIONS = ['.usda', '.usdc', '.usd', '.usdz', '.json', '.urdf'];

export function loadSceneFile(data: Uint8Array | ArrayBuffer, file: string): LoadedScene {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length === 0) throw new InputError(file, 'file is empty');
  const importer = IMPORTERS.find((i) => i.accepts(bytes))!;
  return importer.load(bytes, file);
}

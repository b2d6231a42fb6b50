/**
 * The Simloop project file (`<name>.simloop.json`): one scene document and, optionally, the
 * randomization spec that goes with it. Owns the versioned envelope, its validation (errors name
 * the file and the field path, e.g. `scene.prims[3].transform.position[0]: …`) and the stable text
 * form. The scene and the spec are validated by their own modules (document.ts, randomize/spec.ts).
 *
 * The spec is kept as written (its input form, before defaults are filled in), so a project reads
 * and writes back without growing every default field; `projectRandomization` gives the parsed spec.
 */
import { upgradeDocument, versionedFormat } from './versioned.ts';
import { InputError } from './errors.ts';
import { checkSpecAgainstScene, type RandomizationSpec, type RandomizationSpecInput, validateRandomizationSpec } from './randomize/spec.ts';
import { parseSceneDocument } from './scene/document.ts';
import type { SceneDocument } from './scene/schema.ts';

export const PROJECT_SCHEMA_ID = 'simloop.project';
export const PROJECT_SCHEMA_VERSION = 1;
export const PROJECT_FILE_EXTENSION = '.simloop.json';

export interface SimloopProject {
  schema: typeof PROJECT_SCHEMA_ID;
  version: typeof PROJECT_SCHEMA_VERSION;
  scene: SceneDocument;
  /** The randomization spec as written in the file, or null for none. */
  randomize: RandomizationSpecInput | null;
}

export const PROJECT_FIELDS = ['schema', 'version', 'scene', 'randomize'] as const;

/** Version and migrations (engine/versioned.ts); version 1 is the first. */
export const PROJECT_FORMAT = versionedFormat({ name: 'project', field: 'version', current: PROJECT_SCHEMA_VERSION, migrations: {} });

/** A project around a scene (and a spec), as `simloop convert` writes one. */
export function makeProject(scene: SceneDocument, randomize: RandomizationSpecInput | null = null): SimloopProject {
  return { schema: PROJECT_SCHEMA_ID, version: PROJECT_SCHEMA_VERSION, scene, randomize };
}

/**
 * An error from a nested validator (document.ts, spec.ts), re-anchored at `field` of the project:
 * "prims[2].path: …" becomes "scene.prims[2].path: …".
 */
function nested(file: string, field: string, e: unknown): never {
  if (!(e instanceof InputError)) throw e;
  const detail = e.detail.replace(/^invalid scene document at /, '');
  const located = /^(\(root\)|\(top level\)|[^\s:]+): ([\s\S]*)$/.exec(detail);
  if (!located) throw new InputError(file, `${field}: ${detail}`);
  const [, where, message] = located;
  const path = where === '(root)' || where === '(top level)' ? field : `${field}${where!.startsWith('[') ? '' : '.'}${where}`;
  throw new InputError(file, `${path}: ${message}`);
}

/**
 * Reads a project file. Throws an InputError naming `file` and the field path for anything that is
 * not a valid project: bad JSON, a wrong schema or version, an unknown field, an invalid scene, an
 * invalid spec, or a spec that names prims or labels the scene does not have.
 */
export function parseProject(bytes: Uint8Array | string, file: string): SimloopProject {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new InputError(file, `not a Simloop project: invalid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(file, 'not a Simloop project: expected a JSON object');
  if ((json as Record<string, unknown>)['schema'] !== PROJECT_SCHEMA_ID) throw new InputError(file, `schema: expected "${PROJECT_SCHEMA_ID}", got ${JSON.stringify((json as Record<string, unknown>)['schema']) ?? 'nothing'}`);
  const project = upgradeDocument(PROJECT_FORMAT, json, file);
  const unknown = Object.keys(project).filter((k) => !(PROJECT_FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw new InputError(file, `${unknown[0]}: unknown field (expected ${PROJECT_FIELDS.join(', ')})`);
  if (!('scene' in project)) throw new InputError(file, 'scene: missing (expected a scene document)');

  let scene: SceneDocument;
  try {
    scene = parseSceneDocument(project['scene'], file);
  } catch (e) {
    nested(file, 'scene', e);
  }
  // An absent spec is no spec.
  const randomize = (project['randomize'] ?? null) as RandomizationSpecInput | null;
  if (randomize !== null) {
    try {
      checkSpecAgainstScene(validateRandomizationSpec(randomize, file), scene, file);
    } catch (e) {
      nested(file, 'randomize', e);
    }
  }
  return { schema: PROJECT_SCHEMA_ID, version: PROJECT_SCHEMA_VERSION, scene, randomize };
}

/** The project's randomization spec, parsed (defaults filled in), or null. */
export function projectRandomization(project: SimloopProject, file: string): RandomizationSpec | null {
  return project.randomize === null ? null : validateRandomizationSpec(project.randomize, file);
}

/** Object keys in a fixed order: the envelope's as declared, everything inside sorted. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, stable(v)]));
}

/**
 * The text of a project file: JSON with 2-space indentation and a stable key order (schema,
 * version, scene, randomize; inside them keys sorted), so the same project always gives the same
 * bytes and diffs stay small. Numbers are JavaScript's shortest round-trip form.
 */
export function serializeProject(project: SimloopProject): string {
  const ordered = { schema: project.schema, version: project.version, scene: stable(project.scene), randomize: stable(project.randomize) };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

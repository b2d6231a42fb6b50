/**
 * Every format Simloop persists, read the same way (engine/versioned.ts): a named version, a
 * migration from every older one, a newer document refused with a message saying so, unknown
 * fields refused rather than dropped — and a fingerprint of each schema at its current version,
 * so a schema change without a new version (and its migration) fails here.
 */
import { parseRobotProfile, ROBOT_PROFILE_FORMAT, RobotProfile } from './robot/profile.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import { JOB_FILE_FORMAT, JobFile, parseJobFile } from './jobs/jobFile.ts';
import { DatasetManifest, MANIFEST_FORMAT, parseManifest } from './jobs/manifest.ts';
import { DATASET_STATE_FORMAT, DatasetState, parseDatasetState } from './jobs/state.ts';
import { loadSceneFile } from './load.ts';
import { manifestSchema, parseAnyPolicyManifest, parsePolicyManifest, POLICY_MANIFEST_FORMAT, remoteManifestSchema } from './policy/manifest.ts';
import { parseProject, PROJECT_FIELDS, PROJECT_FORMAT, serializeProject } from './project.ts';
import { parseRandomizationSpec, RANDOMIZATION_SPEC_FORMAT, RandomizationSpec } from './randomize/spec.ts';
import { parseSceneDocument, SCENE_FORMAT } from './scene/document.ts';
import { SceneDocument, SCENE_SCHEMA_VERSION } from './scene/schema.ts';
import { parseTaskSpec, TASK_SPEC_FORMAT, TaskSpec } from './tasks/spec.ts';
import { upgradeDocument, type VersionedFormat, versionedFormat } from './versioned.ts';
import { DEMOS_MANIFEST_FORMAT, DemosManifest, parseDemosManifest } from './tasks/demosManifest.ts';
import { Lineage, LINEAGE_FORMAT, parseLineage } from './workflow/lineage.ts';
import { parseWorkflow, Workflow, WORKFLOW_FORMAT } from './workflow/workflow.ts';

const repo = (path: string) => new URL(`../../${path}`, import.meta.url);
const text = (path: string) => readFileSync(repo(path), 'utf8');
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const errorOf = (read: () => unknown): string => {
  try {
    read();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
};

const tabletop = (await loadSceneFile(readFileSync(repo('scenes/tabletop.usda')), 'tabletop.usda')).document;
const sha = 'ab'.repeat(32);
const state: DatasetState = {
  schema: 'simloop.dataset-state',
  version: 2,
  scene_sha256: sha,
  randomization_sha256: null,
  seed: 1,
  frames: 2,
  width: 4,
  height: 4,
  formats: ['coco'],
  shadows: false,
  quality: 'default',
  shard: { index: 0, count: 1 },
  info: { classes: [{ id: 1, name: 'cube' }], cameras: ['/World/Camera'], width: 4, height: 4, frames: 2 },
};
const manifest: DatasetManifest = {
  schema: 'simloop.dataset-manifest',
  version: 1,
  simloop_version: '0.1.0',
  scene: { file: 'tabletop.usda', sha256: sha },
  randomization: null,
  seed: 1,
  frames: { total: 2, range: [0, 2] },
  resolution: [4, 4],
  cameras: ['/World/Camera'],
  classes: [{ id: 1, name: 'cube' }],
  annotators: ['rgb'],
  formats: ['coco'],
  shards: [{ index: 0, count: 1, range: [0, 2], complete_frames: 2, complete: true, finished_at: null }],
  complete: true,
};
const policy = JSON.parse(text('scenes/fixtures/policy/tiny/policy.json')) as Record<string, unknown>;

interface Case {
  format: VersionedFormat;
  /** Reads the document given as a JSON-like value (a YAML format gets it as JSON text, which is YAML). */
  read(doc: Record<string, unknown>): unknown;
  valid: Record<string, unknown>;
  /** The schema whose fingerprint is recorded below. */
  schema: z.ZodType;
}

const CASES: Record<string, Case> = {
  'scene document': { format: SCENE_FORMAT, read: (d) => parseSceneDocument(d, 'scene.json'), valid: tabletop, schema: SceneDocument },
  project: {
    format: PROJECT_FORMAT,
    read: (d) => parseProject(JSON.stringify(d), 'my.simloop.json'),
    valid: JSON.parse(serializeProject({ schema: 'simloop.project', version: 1, scene: tabletop, randomize: null })),
    schema: z.strictObject(Object.fromEntries(PROJECT_FIELDS.map((f) => [f, z.unknown()]))),
  },
  'randomization spec': {
    format: RANDOMIZATION_SPEC_FORMAT,
    read: (d) => parseRandomizationSpec(JSON.stringify(d), 'spec.yaml'),
    valid: { version: 1, objects: [{ prims: '/World/Objects/*', scale: { uniform: [0.9, 1.1] } }] },
    schema: RandomizationSpec,
  },
  'task spec': {
    format: TASK_SPEC_FORMAT,
    read: (d) => parseTaskSpec(JSON.stringify(d), 'scenes/tasks/pick-cube.task.yaml'),
    valid: parseYaml(text('scenes/tasks/pick-cube.task.yaml')),
    schema: TaskSpec,
  },
  'robot profile': {
    format: ROBOT_PROFILE_FORMAT,
    read: (d) => parseRobotProfile(JSON.stringify(d), 'so101.robot.yaml'),
    valid: parseYaml(text('scenes/robots/so101/so101.robot.yaml')),
    schema: RobotProfile,
  },
  'policy manifest': { format: POLICY_MANIFEST_FORMAT, read: (d) => parsePolicyManifest(JSON.stringify(d), 'policy.json'), valid: policy, schema: manifestSchema },
  'remote policy manifest': { format: POLICY_MANIFEST_FORMAT, read: (d) => parseAnyPolicyManifest(JSON.stringify(d), 'remote.json'), valid: JSON.parse(text('public/policies/pick-cube/remote.json')), schema: remoteManifestSchema },
  'dataset manifest': { format: MANIFEST_FORMAT, read: (d) => parseManifest(json(d), 'manifest.json'), valid: manifest, schema: DatasetManifest },
  'generation state': { format: DATASET_STATE_FORMAT, read: (d) => parseDatasetState(json(d), '.simloop/dataset.json'), valid: state, schema: DatasetState },
  'job file': {
    format: JOB_FILE_FORMAT,
    read: (d) => parseJobFile(JSON.stringify(d), 'cube-sdg.job.yaml'),
    valid: { simloop_job: 1, name: 'cube-sdg', command: 'generate', args: { scene: 'tabletop.usda', frames: 6, format: 'coco,basic' }, shards: 3, parallelism: 2, resources: { cpus: 2, memory: '4Gi', gpus: 0, time: '02:00:00' }, output: 'out/cube-sdg' },
    schema: JobFile,
  },
  'demonstration manifest': {
    format: DEMOS_MANIFEST_FORMAT,
    read: (d) => parseDemosManifest(json(d), 'manifest.json'),
    valid: {
      schema: 'simloop.demos-manifest',
      version: 1,
      simloop_version: '0.1.0',
      task: { file: 'pick-cube.task.yaml', sha256: 'a'.repeat(64), id: 'pick-cube' },
      scene: { file: 'panda_tabletop.usda', sha256: 'b'.repeat(64) },
      robot: null,
      seed: 4,
      episodes: { total: 3, range: [1, 3] },
      formats: ['lerobot', 'hdf5'],
      fps: 20,
      cameras: [{ key: 'wrist', path: '/World/Panda/wrist_camera', width: 64, height: 48 }],
      noise: null,
      variants: [],
      shard: { index: 1, count: 2 },
      recorded: 2,
      successes: 2,
    },
    schema: DemosManifest,
  },
  lineage: {
    format: LINEAGE_FORMAT,
    read: (d) => parseLineage(json(d), 'lineage.json'),
    valid: {
      schema: 'simloop.lineage',
      version: 1,
      simloop_version: '0.1.0',
      workflow: { file: '/w/demo-policy.workflow.yaml', name: 'demo-policy', sha256: 'c'.repeat(64) },
      step: 'train',
      run: 'command',
      command: ['python3', 'train_vla.py', '--hdf5', '/w/out/demos/robomimic.hdf5', '--out', '/w/out/train'],
      key: 'd'.repeat(64),
      inputs: [{ role: 'hdf5', path: '/w/out/demos/robomimic.hdf5', kind: 'file', sha256: 'e'.repeat(64), from: '/w/out/demos' }],
      outputs: [{ path: 'policy.json', bytes: 1234, sha256: 'f'.repeat(64) }],
      started_at: '2026-12-06T19:00:00.000Z',
      seconds: 41.7,
    },
    schema: Lineage,
  },
  workflow: {
    format: WORKFLOW_FORMAT,
    read: (d) => parseWorkflow(parseYaml(JSON.stringify(d)), 'demo-policy.workflow.yaml'),
    valid: parseYaml(text('workflows/demo-policy.workflow.yaml')),
    schema: Workflow,
  },
};

/**
 * sha256 (first 16 hex digits) of each schema's JSON Schema, at the version named. When a schema
 * changes, give the format a new version and a migration from the old one (engine/versioned.ts),
 * then record the new fingerprint here. (A zod upgrade that changes its JSON Schema output also
 * lands here: check nothing else changed, and re-record.)
 */
const FINGERPRINTS: Record<string, [version: number, fingerprint: string]> = {
  'scene document': [3, '71b2cd9504164141'],
  project: [1, '4ea3961bd03f49b3'],
  'randomization spec': [1, '7e1308ce03df9295'],
  'task spec': [2, '37cb9337ada00a09'],
  'policy manifest': [2, '9fb1a5cbf417138a'],
  'remote policy manifest': [2, 'c3337b255b97dd5d'],
  'dataset manifest': [1, '7f4c022c7e45fa1e'],
  'generation state': [2, '9b05e04866ccca0b'],
  'robot profile': [2, '96d3ac6fca334b93'],
  'job file': [1, 'a7dea2ef4e8717bc'],
  'demonstration manifest': [1, '242377eca2f5e079'],
  lineage: [1, '5f7e6f42640580cf'],
  workflow: [1, 'ee6c6c2f4fe6b3fa'],
};

const fingerprint = (schema: z.ZodType) => createHash('sha256').update(JSON.stringify(z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }))).digest('hex').slice(0, 16);

describe('every persisted format', () => {
  for (const [name, c] of Object.entries(CASES)) {
    describe(name, () => {
      it('reads a document at the current version', () => {
        expect(() => c.read(c.valid)).not.toThrow();
      });

      it('refuses a document from a newer Simloop, saying so', () => {
        const newer = c.format.current + 1;
        const message = errorOf(() => c.read({ ...c.valid, [c.format.field]: newer }));
        expect(message).toContain(`${c.format.field}: ${newer}: this ${c.format.name} was written by a newer Simloop (this one reads versions up to ${c.format.current}); update Simloop to open it`);
      });

      it('refuses a document without a version', () => {
        const { [c.format.field]: _, ...unversioned } = c.valid;
        expect(errorOf(() => c.read(unversioned))).toContain(`${c.format.field}: missing`);
      });

      it('refuses a field it does not define instead of dropping it', () => {
        expect(errorOf(() => c.read({ ...c.valid, colour_of_the_day: 'blue' }))).toMatch(/colour_of_the_day/);
      });

      it('has a migration from every older version', () => {
        for (let v = 1; v < c.format.current; v++) expect(typeof c.format.migrations[v], `${name}: migration from version ${v}`).toBe('function');
      });

      it('has the schema recorded for its version (a change needs a new version and a migration)', () => {
        const [version, recorded] = FINGERPRINTS[name]!;
        expect(c.format.current, `${name}: the version changed; record the new schema's fingerprint`).toBe(version);
        expect(fingerprint(c.schema), `${name}: the schema changed at version ${version}; give it version ${version + 1} and a migration (see engine/versioned.ts)`).toBe(recorded);
      });
    });
  }
});

describe('scene document versions', () => {
  const written = (version: number) => new URL(`./testdata/tabletop-scene-v${version}.simloop.json`, import.meta.url);

  it('reads projects and scenes written by the version-1 and version-2 builds (simloop convert at ba5ec65 and e374dad) as the same scene', () => {
    for (const version of [1, 2]) {
      const file = JSON.parse(readFileSync(written(version), 'utf8'));
      expect([file.version, file.scene.version]).toEqual([1, version]);
      const project = parseProject(readFileSync(written(version)), `tabletop-v${version}.simloop.json`);
      expect(project.scene.version).toBe(SCENE_SCHEMA_VERSION);
      // The same document this build imports from the USD (the file was converted as scenes/tabletop.usda).
      expect(project.scene).toEqual({ ...tabletop, source: { ...tabletop.source, file: 'scenes/tabletop.usda' } });
      expect({ ...file.scene, version: SCENE_SCHEMA_VERSION }).toEqual(JSON.parse(JSON.stringify(project.scene)));
    }
  });

  it('is what this build writes: version 3, which can say a scene came from MJCF', () => {
    expect(tabletop.version).toBe(3);
    expect(JSON.parse(serializeProject({ schema: 'simloop.project', version: 1, scene: tabletop, randomize: null })).scene.version).toBe(3);
    const mjcf = { ...JSON.parse(JSON.stringify(tabletop)), source: { ...tabletop.source, format: 'mjcf' } };
    expect(parseSceneDocument(mjcf, 'scene.json').source.format).toBe('mjcf');
  });

  it('refuses unknown fields inside prims too (version 1 dropped them unnoticed)', () => {
    const doc = JSON.parse(JSON.stringify(tabletop));
    doc.prims[3].transform.shear = [0, 0, 0];
    expect(errorOf(() => parseSceneDocument(doc, 'scene.json'))).toMatch(/^scene\.json: invalid scene document at prims\[3\]\.transform: .*shear/);
  });
});

describe('the migration helper', () => {
  const format = versionedFormat({
    name: 'example',
    field: 'version',
    current: 3,
    migrations: { 1: (d) => ({ ...d, size: [d['size'], d['size']] }), 2: ({ colour, ...d }) => ({ ...d, color: colour }) },
  });

  it('applies the migrations from the document version up, in order', () => {
    expect(upgradeDocument(format, { version: 1, size: 2, colour: 'red' }, 'x')).toEqual({ version: 3, size: [2, 2], color: 'red' });
    expect(upgradeDocument(format, { version: 2, size: [1, 3], colour: 'red' }, 'x')).toEqual({ version: 3, size: [1, 3], color: 'red' });
    expect(upgradeDocument(format, { version: 3, size: [1, 3], color: 'red' }, 'x')).toEqual({ version: 3, size: [1, 3], color: 'red' });
  });

  it('names a format with a missing migration, or one out of range, when it is declared', () => {
    expect(() => versionedFormat({ name: 'broken', field: 'version', current: 3, migrations: { 1: (d) => d } })).toThrow('broken: no migration from version 2 to 3');
    expect(() => versionedFormat({ name: 'broken', field: 'version', current: 1, migrations: { 1: (d) => d } })).toThrow('broken: a migration from version 1, outside 1..0');
  });

  it('says what is wrong with a version that is not one', () => {
    expect(errorOf(() => upgradeDocument(format, { version: 0 }, 'x.json'))).toBe('x.json: version: expected a example version, a whole number from 1 to 3, got 0');
    expect(errorOf(() => upgradeDocument(format, [], 'x.json'))).toBe('x.json: a example must be an object with "version: 3"');
  });
});

/**
 * Task definitions: a declarative file (YAML or JSON, `scenes/tasks/*.task.yaml`) saying which
 * scene and robot, what varies per episode (a randomization spec, named colours, which object is
 * the target, where the goal is), the language instructions (templates naming the target's
 * attributes), the success predicate (evaluated on simulator state, predicates.ts), the episode
 * length and the control rate. The field reference is docs/TASKS.md; keep the two in step.
 *
 * Conventions as in randomization specs: the scene document's world frame (Y up, metres).
 */
import { upgradeDocument, versionedFormat } from '../versioned.ts';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { validateRandomizationSpec } from '../randomize/spec.ts';
import { matchPrims } from '../randomize/select.ts';
import type { RandomizationSpec } from '../randomize/spec.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { fieldPath, parseYamlText, validateWithSchema } from '../yamlSpec.ts';

export const TASK_SPEC_VERSION = 2;
/**
 * Version and migrations (engine/versioned.ts). Version 2 added `profile` (the robot's profile
 * file); a version-1 task reads unchanged (its robot's profile is inferred).
 */
export const TASK_SPEC_FORMAT = versionedFormat({ name: 'task spec', field: 'version', current: TASK_SPEC_VERSION, migrations: { 1: (task) => task } });

const num = (what = 'a number') => z.number({ error: `expected ${what}` });
const positive = (what: string) => num(what).positive(`expected ${what} > 0`);
const Vec3 = z.tuple([num(), num(), num()], { error: 'expected [x, y, z]' });
const Box = z.strictObject({ min: Vec3, max: Vec3 }).refine((b) => b.min.every((v, i) => v <= b.max[i]!), { error: 'expected min ≤ max in every component' });
const Pattern = z.string({ error: 'expected a prim path or pattern like "/World/Objects/*"' }).regex(/^(\/[^/]+)+$/, 'expected a prim path or pattern like "/World/Objects/*"');
const Colour = z.tuple([num().min(0).max(1), num().min(0).max(1), num().min(0).max(1)], { error: 'expected a linear RGB colour [r, g, b] in 0 … 1' });

/** Where an object counts as placed or pushed: a rectangle on the table, drawn per episode. */
const Region = z.strictObject({
  /** The rectangle's centre is drawn uniformly in this box (world frame). */
  center: Box,
  /** Its size along world X and Z (m). */
  size: z.tuple([positive('a size'), positive('a size')], { error: 'expected [size x, size z] in metres' }),
  /** Drawn this far from every object's start (m), so the task is never done at the start. */
  clearance: num().min(0).default(0.08),
});

export const Success = z.union(
  [
    z.strictObject({ reach: z.strictObject({ tolerance: positive('a tolerance in metres').default(0.02) }) }),
    z.strictObject({ lift: z.strictObject({ height: positive('a height in metres').default(0.1), others_below: positive('a height in metres').default(0.02) }) }),
    z.strictObject({ place: z.strictObject({ released: z.boolean().default(true) }) }),
    z.strictObject({ stack: z.strictObject({ tolerance: positive('a tolerance in metres').default(0.02), released: z.boolean().default(true) }) }),
    z.strictObject({ push: z.strictObject({}) }),
  ],
  { error: 'expected one of reach, lift, place, stack, push' },
);
export type Success = z.infer<typeof Success>;

export const TaskSpec = z.strictObject({
  version: z.literal(TASK_SPEC_VERSION, { error: `expected version: ${TASK_SPEC_VERSION}` }),
  id: z.string({ error: 'expected a task id' }).regex(/^[a-z][a-z0-9-]*$/, 'expected a task id in lower-case-with-dashes'),
  description: z.string().default(''),
  /** The scene file, relative to the task file. */
  scene: z.string({ error: 'expected the scene file (relative to this file)' }).min(1),
  /** The robot's articulation root (default: the scene's only one). */
  robot: Pattern.optional(),
  /**
   * The robot's profile (`*.robot.yaml`, relative to this file): its arm, gripper, tool frame, home
   * pose, mounted cameras and dataset features. Without one the profile is inferred (robot/profile.ts).
   */
  profile: z.string({ error: 'expected a robot profile file (relative to this file)' }).regex(/\.robot\.ya?ml$/i, 'expected a robot profile file ending in .robot.yaml').optional(),
  control_hz: positive('a control rate in Hz').default(20),
  max_steps: z.number({ error: 'expected a whole number of control steps' }).int('expected a whole number of control steps').positive('expected at least 1 step'),
  /** What varies per episode besides the task's own draws: the randomization spec format. */
  randomize: z.unknown().optional(),
  /** Named colours given to these objects, all different, drawn per episode; the name becomes the `color` label. */
  palette: z
    .strictObject({
      objects: Pattern,
      colors: z.record(z.string().regex(/^[a-z]+$/, 'expected colour names in lower case'), Colour),
    })
    .optional(),
  /** The object the instruction names, drawn per episode; `support` is the one it goes on (stack). */
  target: z.strictObject({ objects: Pattern, support: z.boolean().default(false) }).optional(),
  /** A marked point drawn per episode in this box (reach). */
  goal: z.strictObject({ volume: Box, radius: positive('a radius').default(0.02) }).optional(),
  region: Region.optional(),
  /** Templates: {color}, {object} (the target's), {support_color}, {support_object}. */
  instructions: z.array(z.string().min(1), { error: 'expected a list of instruction templates' }).min(1, 'expected at least one instruction'),
  success: Success,
});
export type TaskSpec = z.infer<typeof TaskSpec> & { randomizeSpec: RandomizationSpec | null };

/** Parses a task file's text; errors name the file, the field and the line. */
export function parseTaskSpec(text: string, file: string): TaskSpec {
  const { value, lineOf } = parseYamlText(text, file);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(file, `a task must be a mapping starting with "version: ${TASK_SPEC_VERSION}"`);
  const task = validateWithSchema(TaskSpec, upgradeDocument(TASK_SPEC_FORMAT, value, file, lineOf), file, lineOf);
  const randomizeSpec = task.randomize === undefined ? null : validateRandomizationSpec(task.randomize, `${file}: randomize`);
  const fields = (name: string) => new Set([...task.instructions.join(' ').matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!)).has(name);
  const problem = (path: PropertyKey[], message: string) => {
    const line = lineOf(path);
    return new InputError(file, `${fieldPath(path)}: ${message}${line ? ` (line ${line})` : ''}`);
  };
  for (const name of [...task.instructions.join(' ').matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!)) {
    if (!['color', 'object', 'support_color', 'support_object'].includes(name)) throw problem(['instructions'], `unknown placeholder {${name}} (use {color}, {object}, {support_color}, {support_object})`);
  }
  if ((fields('color') || fields('support_color')) && !task.palette) throw problem(['instructions'], 'names a colour, but the task has no palette');
  if ((fields('color') || fields('object')) && !task.target) throw problem(['instructions'], 'names the target, but the task has no target');
  const kind = Object.keys(task.success)[0]!;
  if (kind === 'reach' && !task.goal) throw problem(['success', 'reach'], 'needs a goal: { volume }');
  if (kind !== 'reach' && !task.target) throw problem(['success', kind], 'needs a target: { objects }');
  if ((kind === 'place' || kind === 'push') && !task.region) throw problem(['success', kind], 'needs a region: { center, size }');
  if (kind === 'stack' && !task.target?.support) throw problem(['target', 'support'], 'stack needs target.support: true (a second object to stack on)');
  return { ...task, randomizeSpec };
}

/** What a schema cannot know: that the prims the task names exist in the scene, in sufficient number. */
export function checkTaskAgainstScene(task: TaskSpec, doc: SceneDocument, file: string): void {
  const count = (pattern: string) => matchPrims(doc.prims, pattern).length;
  if (task.palette) {
    const n = count(task.palette.objects);
    if (n === 0) throw new InputError(file, `palette.objects: no prim matches ${task.palette.objects}`);
    const colours = Object.keys(task.palette.colors).length;
    if (colours < n) throw new InputError(file, `palette.colors: ${colours} colours for ${n} objects; every object needs its own`);
  }
  if (task.target) {
    const n = count(task.target.objects);
    if (n === 0) throw new InputError(file, `target.objects: no prim matches ${task.target.objects}`);
    if (task.target.support && n < 2) throw new InputError(file, 'target.support: needs at least two objects to choose from');
    for (const path of matchPrims(doc.prims, task.target.objects)) {
      if (doc.prims.find((p) => p.path === path)?.body?.type !== 'dynamic') throw new InputError(file, `target.objects: ${path} is not a dynamic rigid body`);
    }
  }
}

/** Randomization groups an evaluation may switch off; placing the task's objects always applies. */
export const OPTIONAL_RANDOMIZATIONS = ['distractors', 'lights', 'cameras', 'background', 'physics'] as const;
export type OptionalRandomization = (typeof OPTIONAL_RANDOMIZATIONS)[number];

/** The task with the named randomization groups off: those properties keep their authored values. */
export function withoutRandomizations(task: TaskSpec, off: readonly OptionalRandomization[]): TaskSpec {
  if (!task.randomizeSpec || off.length === 0) return task;
  const spec = { ...task.randomizeSpec };
  for (const group of off) {
    if (group === 'background' || group === 'physics') spec[group] = {};
    else spec[group] = [];
  }
  return { ...task, randomizeSpec: spec };
}

/**
 * Workflows (`simloop workflow run <workflow.yaml>`): named steps — a Simloop command (generate,
 * demos, eval, merge, compare), training the demo policy (train: training/train_vla.py) or any
 * program (command) — whose arguments name earlier steps'
 * outputs as `${step}` (that step's output directory) and the step's own as `${output}`. The file's
 * schema and version, the order the steps run in (dependencies from the references), and the
 * content key that says whether a finished step must run again. DOM-free and pure: the host
 * (src/cli/workflow.ts) runs processes, hashes files and writes lineage.
 *
 *   simloop_workflow: 1
 *   name: demo-policy
 *   out: out/demo-policy             # default: out/<name> beside the file; step outputs <out>/<step>
 *   steps:
 *     demos:   { run: demos, args: { task: pick-cube, episodes: 4, seed: 9, format: hdf5 } }
 *     train:   { run: train, args: { hdf5: "${demos}/robomimic.hdf5", steps: 40 } }
 *     eval:    { run: eval, args: { policy: "${train}/policy.json", task: pick-cube, episodes: 4, seed: 100 } }
 *     compare: { run: compare, args: { baseline: "${shipped}/results.json", candidate: "${eval}/results.json", json: true }, stdout: compare.json, exit_codes: [0, 1] }
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { describeZodIssues } from '../jobs/job.ts';
import { upgradeDocument, versionedFormat } from '../versioned.ts';

export const WORKFLOW_VERSION = 1;
/** Version and migrations (engine/versioned.ts); version 1 is the first. */
export const WORKFLOW_FORMAT = versionedFormat({ name: 'workflow', field: 'simloop_workflow', current: WORKFLOW_VERSION, migrations: {} });

/** Simloop commands a step can run (each gets `--out <its output>` unless it writes to stdout). */
export const SIMLOOP_STEPS = ['generate', 'demos', 'eval', 'merge', 'compare'] as const;
/**
 * `run: train` runs Simloop's trainer (training/train_vla.py, with its flags as args; a list is one
 * flag followed by its values, as argparse's nargs='+' takes them). The host puts its Python and
 * the script's path in place of this first word.
 */
export const TRAIN_PROGRAM = 'simloop-train';
/** Commands without an --out of their own: their stdout is the result (kept as `stdout:`). */
export const STDOUT_STEPS: readonly string[] = ['compare'];

const NAME = /^[a-z][a-z0-9_-]*$/;
const ArgValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);

const Step = z
  .strictObject({
    run: z.enum([...SIMLOOP_STEPS, 'train', 'command']),
    /** A Simloop step's flags (long names without "--"): a value, true for a bare flag, a list for a repeatable one. */
    args: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a flag name such as "episodes" or "image-size"'), ArgValue).default({}),
    /** A command step's program and arguments. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Steps this one waits for besides those its arguments name. */
    after: z.array(z.string().regex(NAME)).default([]),
    /** Keep the step's standard output as this file in its output directory. */
    stdout: z.string().regex(/^[^/\\]+$/, 'a file name').optional(),
    /** Exit statuses that count as success (default [0]; `compare` exits 1 for a regression, a verdict). */
    exit_codes: z.array(z.number().int().min(0).max(255)).min(1).default([0]),
  })
  .superRefine((step, ctx) => {
    if (step.run === 'command' && !step.command) ctx.addIssue({ code: 'custom', message: 'a command step needs command: [program, args…]' });
    if (step.run !== 'command' && step.command) ctx.addIssue({ code: 'custom', message: `command: only for run: command (a ${step.run} step takes args)` });
    for (const key of ['out', 'shard'] as const) if (key in step.args) ctx.addIssue({ code: 'custom', path: ['args', key], message: `the workflow sets --${key} (the step's output is \${output})` });
  });
export type WorkflowStep = z.infer<typeof Step>;

export const Workflow = z.strictObject({
  simloop_workflow: z.literal(WORKFLOW_VERSION),
  name: z.string().regex(NAME, 'lower-case letters, digits, "-" and "_", starting with a letter'),
  out: z.string().min(1).optional(),
  steps: z.record(z.string().regex(NAME, 'a step name: lower-case letters, digits, "-" and "_"'), Step).refine((s) => Object.keys(s).length > 0, 'at least one step'),
});
export type Workflow = z.infer<typeof Workflow>;

const REFERENCE = /\$\{([a-z][a-z0-9_-]*)\}/g;

/** The steps a step's arguments name (`${step}`), and those in `after`. */
export function stepDependencies(step: WorkflowStep): string[] {
  const text = [...Object.values(step.args).flatMap((v) => (Array.isArray(v) ? v : [v])), ...(step.command ?? [])].filter((v): v is string => typeof v === 'string');
  const named = text.flatMap((t) => [...t.matchAll(REFERENCE)].map((m) => m[1]!)).filter((n) => n !== 'output');
  return [...new Set([...named, ...step.after])];
}

/** The workflow (from parsed YAML), checked: references to steps that exist, no cycles. */
export function parseWorkflow(value: unknown, file: string): Workflow {
  const upgraded = upgradeDocument(WORKFLOW_FORMAT, value, file);
  const result = Workflow.safeParse(upgraded);
  if (!result.success) throw new InputError(file, describeZodIssues(result.error));
  const workflow = result.data;
  for (const [name, step] of Object.entries(workflow.steps)) {
    for (const dep of stepDependencies(step)) {
      if (dep === name) throw new InputError(file, `steps.${name}: names its own output as \${${dep}} (use \${output})`);
      if (!(dep in workflow.steps)) throw new InputError(file, `steps.${name}: names \${${dep}}, but there is no step "${dep}" (steps: ${Object.keys(workflow.steps).join(', ')})`);
    }
  }
  workflowOrder(workflow, file);
  return workflow;
}

/** Steps in an order where each comes after the steps it depends on (file order among independent ones). */
export function workflowOrder(workflow: Workflow, file = 'workflow'): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new InputError(file, `steps form a cycle: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const dep of stepDependencies(workflow.steps[name]!)) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(workflow.steps)) visit(name, []);
  return order;
}

/** `${step}` → that step's output directory, `${output}` → this step's. Throws on an unknown name. */
export function substitute(text: string, outputs: Record<string, string>, own: string): string {
  return text.replace(REFERENCE, (_, name: string) => {
    if (name === 'output') return own;
    const path = outputs[name];
    if (path === undefined) throw new Error(`\${${name}} is not a step`);
    return path;
  });
}

/**
 * The program and arguments a step runs: a Simloop step as `simloop <run> --<flag> <value>…` (plus
 * `--out <output>` unless its result is its stdout), a train step as `simloop-train --<flag>
 * <values>… --out <output>`, a command step as written; references substituted. `simloop` and
 * `simloop-train` are left as the first word for the host to replace with the programs they stand for.
 */
export function stepArgv(step: WorkflowStep, outputs: Record<string, string>, own: string): string[] {
  const sub = (v: string | number) => substitute(String(v), outputs, own);
  if (step.run === 'command') return step.command!.map(sub);
  const train = step.run === 'train';
  const argv = train ? [TRAIN_PROGRAM] : ['simloop', step.run];
  for (const [key, value] of Object.entries(step.args)) {
    if (value === false) continue;
    if (value === true) argv.push(`--${key}`);
    else if (Array.isArray(value)) {
      if (train) argv.push(`--${key}`, ...value.map(sub));
      else for (const v of value) argv.push(`--${key}`, sub(v));
    } else argv.push(`--${key}`, sub(value));
  }
  if (!STDOUT_STEPS.includes(step.run)) argv.push('--out', own);
  return argv;
}

/**
 * The content key of a step: what it runs (with step outputs named by step, not by path, so moving
 * the workflow's output folder keeps its keys) and the content hashes of everything it reads.
 * Unchanged key and intact outputs: the step need not run again.
 */
export function stepKey(parts: { step: string; argv: readonly string[]; inputs: readonly { path: string; sha256: string }[]; simloopVersion: string }): string {
  return JSON.stringify({ step: parts.step, argv: parts.argv, inputs: [...parts.inputs].map((i) => [i.path, i.sha256]).sort(), simloop: parts.simloopVersion });
}

/**
 * Lineage (`<output>/lineage.json`, written by `simloop workflow run` for every step's output):
 * which step made the output, the exact command, Simloop's version, the content hash of every input
 * (scene and task files, specs, policy files, datasets — a directory as the hash of its files'
 * hashes) with, for an input another step made, where that step's lineage is; and the sha256 of
 * each of the output's own files. `simloop lineage <output>` follows the inputs back to the scenes
 * and demonstrations an evaluation came from; `--verify` hashes everything again and names what
 * changed. Versioned; the one place that builds and reads it.
 */
import { z } from 'zod';
import { parseRunFile } from '../jobs/manifest.ts';
import { versionedFormat } from '../versioned.ts';

export const LINEAGE_PATH = 'lineage.json';
export const LINEAGE_SCHEMA_ID = 'simloop.lineage';
export const LINEAGE_VERSION = 1;
/** Version and migrations (engine/versioned.ts); version 1 is the first. */
export const LINEAGE_FORMAT = versionedFormat({ name: 'lineage', field: 'version', current: LINEAGE_VERSION, migrations: {} });

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/);

export const LineageInput = z.strictObject({
  /** What the step calls it (the flag, or "argument 3" of a command). */
  role: z.string(),
  /** Absolute path when the step ran. */
  path: z.string(),
  kind: z.enum(['file', 'directory']),
  sha256: SHA256,
  /** The output directory of the step that made it (whose lineage.json continues the chain), or null. */
  from: z.string().nullable(),
});
export type LineageInput = z.infer<typeof LineageInput>;

export const LineageFile = z.strictObject({ path: z.string(), bytes: z.number().int().nonnegative(), sha256: SHA256 });
export type LineageFile = z.infer<typeof LineageFile>;

export const Lineage = z.strictObject({
  schema: z.literal(LINEAGE_SCHEMA_ID),
  version: z.literal(LINEAGE_VERSION),
  simloop_version: z.string(),
  workflow: z.strictObject({ file: z.string(), name: z.string(), sha256: SHA256 }).nullable(),
  step: z.string(),
  run: z.string(),
  /** The exact program and arguments that ran. */
  command: z.array(z.string()),
  /** sha256 of the step's content key (workflow.ts stepKey): unchanged → the step need not run again. */
  key: SHA256,
  inputs: z.array(LineageInput),
  /** The output's own files (lineage.json aside), by path inside it. */
  outputs: z.array(LineageFile),
  started_at: z.string(),
  seconds: z.number().nonnegative(),
});
export type Lineage = z.infer<typeof Lineage>;

export const parseLineage = (bytes: Uint8Array, file: string): Lineage => parseRunFile(bytes, file, LINEAGE_SCHEMA_ID, LINEAGE_FORMAT, Lineage);

export function encodeLineage(lineage: Lineage): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(lineage, null, 2)}\n`);
}

/** The hash of a directory: sha256 over its files' "path sha256" lines in path order (the host hashes that text). */
export function directoryDigestText(files: readonly { path: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.path} ${f.sha256}\n`)
    .join('');
}

/** One output in a chain, with what it came from. */
export interface LineageNode {
  dir: string;
  lineage: Lineage;
  /** Inputs made by other steps, followed. */
  parents: { input: LineageInput; node: LineageNode }[];
}

/** The chain of `dir`'s lineage back through every input another step made (each output once). */
export async function lineageChain(dir: string, read: (dir: string) => Promise<Lineage>, seen = new Map<string, LineageNode>()): Promise<LineageNode> {
  const known = seen.get(dir);
  if (known) return known;
  const node: LineageNode = { dir, lineage: await read(dir), parents: [] };
  seen.set(dir, node);
  for (const input of node.lineage.inputs) {
    // One parent per output, however many of its files the step read.
    if (input.from && !node.parents.some((p) => p.node.dir === input.from)) node.parents.push({ input, node: await lineageChain(input.from, read, seen) });
  }
  return node;
}

/** The chain as indented text: each output, its step and command, then its inputs, its parents' chains below. */
export function formatLineage(root: LineageNode, short: (path: string) => string = (p) => p): string {
  const lines: string[] = [];
  const printed = new Set<string>();
  const walk = (node: LineageNode, indent: string) => {
    const l = node.lineage;
    lines.push(`${indent}${l.step} (${l.run}) → ${short(node.dir)}`);
    if (printed.has(node.dir)) {
      lines.push(`${indent}  (shown above)`);
      return;
    }
    printed.add(node.dir);
    lines.push(`${indent}  command: ${l.command.map((a) => (/\s/.test(a) ? JSON.stringify(a) : short(a))).join(' ')}`);
    lines.push(`${indent}  simloop ${l.simloop_version}${l.workflow ? ` · workflow ${l.workflow.name} (${short(l.workflow.file)})` : ''} · ${l.outputs.length} files · ${l.started_at} · ${l.seconds.toFixed(1)} s`);
    for (const input of l.inputs) lines.push(`${indent}  ${input.role}: ${short(input.path)} ${input.kind === 'directory' ? '(folder) ' : ''}sha256 ${input.sha256.slice(0, 12)}…${input.from ? ` ← step output ${short(input.from)}` : ''}`);
    for (const parent of node.parents) walk(parent.node, `${indent}    `);
  };
  walk(root, '');
  return lines.join('\n');
}

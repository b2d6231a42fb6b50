/**
 * `simloop lineage <output> [--verify] [--json]`: the chain from an output (a folder with
 * lineage.json, or a file in one) back through the steps that made its inputs — to the scenes,
 * tasks and demonstrations an evaluation came from. `--verify` hashes every output file and every
 * input of the chain again and names what changed or went missing.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../engine/errors.ts';
import { formatLineage, type LineageNode, lineageChain, LINEAGE_PATH, parseLineage } from '../engine/workflow/lineage.ts';
import { hashFiles, hashPath } from './workflow.ts';

/** The output folder holding `path`: the nearest folder at or above it with a lineage.json. */
async function outputOf(path: string): Promise<string> {
  let dir = resolve(path);
  if (existsSync(dir) && !(await stat(dir)).isDirectory()) dir = dirname(dir);
  for (;;) {
    if (existsSync(join(dir, LINEAGE_PATH))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new InputError(path, `no ${LINEAGE_PATH} here or in a folder above (lineage is recorded for the outputs of simloop workflow run)`);
    dir = up;
  }
}

async function readLineage(dir: string) {
  const file = join(dir, LINEAGE_PATH);
  const bytes = await readFile(file).catch(() => {
    throw new InputError(file, 'missing: the output this chain names has no lineage (moved or deleted?)');
  });
  return parseLineage(new Uint8Array(bytes), file);
}

export interface LineageProblem {
  path: string;
  problem: string;
}

/** Every file of every output in the chain and every input, hashed again: what differs from the record. */
export async function verifyChain(root: LineageNode): Promise<LineageProblem[]> {
  const problems: LineageProblem[] = [];
  const seen = new Set<string>();
  const visit = async (node: LineageNode) => {
    if (seen.has(node.dir)) return;
    seen.add(node.dir);
    const now = new Map((await hashFiles(node.dir).catch(() => [])).map((f) => [f.path, f]));
    for (const f of node.lineage.outputs) {
      const found = now.get(f.path);
      if (!found) problems.push({ path: join(node.dir, f.path), problem: 'missing' });
      else if (found.sha256 !== f.sha256) problems.push({ path: join(node.dir, f.path), problem: `changed (sha256 ${found.sha256.slice(0, 12)}…, recorded ${f.sha256.slice(0, 12)}…)` });
      now.delete(f.path);
    }
    for (const path of now.keys()) problems.push({ path: join(node.dir, path), problem: 'added since the step ran' });
    for (const input of node.lineage.inputs) {
      if (!existsSync(input.path)) problems.push({ path: input.path, problem: `missing (input ${input.role} of step ${node.lineage.step})` });
      else {
        const { sha256 } = await hashPath(input.path);
        if (sha256 !== input.sha256) problems.push({ path: input.path, problem: `changed since step ${node.lineage.step} read it (input ${input.role})` });
      }
    }
    for (const parent of node.parents) await visit(parent.node);
  };
  await visit(root);
  return problems;
}

export interface LineageReport {
  text: string;
  chain: LineageNode;
  problems: LineageProblem[] | null;
}

export async function lineageCommand(path: string, verify: boolean): Promise<LineageReport> {
  const chain = await lineageChain(await outputOf(path), readLineage);
  const cwd = process.cwd();
  const short = (p: string) => (p.startsWith('/') && !relative(cwd, p).startsWith('..') ? relative(cwd, p) || '.' : p);
  const problems = verify ? await verifyChain(chain) : null;
  let text = formatLineage(chain, short);
  if (problems) text += problems.length ? `\n\nverify: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${short(p.path)}: ${p.problem}`).join('\n')}` : '\n\nverify: every file and input is as recorded';
  return { text, chain, problems };
}

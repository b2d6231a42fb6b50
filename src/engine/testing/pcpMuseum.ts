/**
 * Runs one of OpenUSD's composition museum cases (pxr/usd/pcp/testenv/testPcpMuseum_*) through
 * Simloop's composer and prints the result in the layout of OpenUSD's testPcpCompositionResults.py
 * (layer stack, then per prim: prim stack, time offsets, variant selections, child names, property
 * names and stacks, relationship targets, attribute connections), so it can be compared line for
 * line with the baseline OpenUSD ships.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseUsda } from '../usd/usdaParser.ts';
import { buildLayerStack, type LayerStack, type PcpLayer } from '../usd/pcp/layerStack.ts';
import { ARC_NAMES, PcpCache, type PcpNode } from '../usd/pcp/primIndex.ts';
import { ComposedStage } from '../usd/pcp/stage.ts';
import { childPath, propertyPath, variantSelectionOf, SPEC_TYPE } from '../usd/sdf.ts';

export interface MuseumTest {
  name: string;
  args: string[];
  baseline: string;
  testenv: string;
  env?: string[];
}

export const MUSEUM_DIR = new URL('../usd/testdata/openusd/pcpMuseum/', import.meta.url).pathname;

export function museumTests(): MuseumTest[] {
  return JSON.parse(readFileSync(join(MUSEUM_DIR, 'tests.json'), 'utf8')) as MuseumTest[];
}

export function museumBaseline(test: MuseumTest): string {
  return readFileSync(join(MUSEUM_DIR, `${test.testenv}.testenv`, 'baseline', test.baseline), 'utf8');
}

const RULE = '-'.repeat(72);
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const pyList = (names: readonly string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;
const fixed = (x: number) => (Math.round(x * 100) / 100).toFixed(2);

/** The output of testPcpCompositionResults.py for the test's arguments. Unsupported options throw. */
export function runMuseumTest(test: MuseumTest): string {
  const dir = join(MUSEUM_DIR, `${test.testenv}.testenv`);
  const args = [...test.args];
  let session: string | undefined;
  let payloads = '.*';
  let fallbacks: Record<string, string[]> = { standin: ['render'] };
  const layers: string[] = [];
  while (args.length) {
    const a = args.shift()!;
    if (a === '--usd') continue;
    else if (a === '--session') session = args.shift();
    else if (a === '--payloads') payloads = args.shift()!;
    else if (a === '--errorFile') args.shift();
    else if (a === '--variantFallbacks') fallbacks = JSON.parse(args.shift()!.replace(/'/g, '"')) as Record<string, string[]>;
    else if (a === '--dumpPath' || a === '--dumpMaps' || a === '--layerStackOnly') throw new Error(`${a} is not supported`);
    else layers.push(a);
  }
  const out: string[] = [];
  if (session) out.push(`Loading session @${session}@`, '');
  for (const rootArg of layers) {
    const caseDir = rootArg.includes('/') ? rootArg.slice(0, rootArg.lastIndexOf('/') + 1) : '';
    const rootKey = rootArg.slice(caseDir.length);
    const sessionKey = session ? (session.startsWith(caseDir) ? session.slice(caseDir.length) : session) : undefined;
    const cache = new Map<string, PcpLayer | null>();
    const load = (key: string): PcpLayer | null => {
      if (cache.has(key)) return cache.get(key)!;
      const file = join(dir, caseDir, key);
      let layer: PcpLayer | null = null;
      if (existsSync(file)) {
        try {
          layer = { key, specs: parseUsda(readFileSync(file, 'utf8'), key) };
        } catch {
          layer = null;
        }
      }
      cache.set(key, layer);
      return layer;
    };
    const errors: string[] = [];
    const stacks = new Map<string, LayerStack | null>();
    const timeScaling = !(test.env ?? []).includes('PCP_DISABLE_TIME_SCALING_BY_LAYER_TCPS=1');
    const stackOf = (key: string) => {
      if (!stacks.has(key)) stacks.set(key, buildLayerStack(key, load, errors, undefined, timeScaling));
      return stacks.get(key)!;
    };
    const rootStack = buildLayerStack(rootKey, load, errors, sessionKey, timeScaling);
    if (!rootStack) throw new Error(`cannot open ${rootArg}`);
    if (!sessionKey) stacks.set(rootKey, rootStack);
    const payloadRe = new RegExp(`^(?:${payloads})`);
    const pcp = new PcpCache(rootStack, {
      layerStack: stackOf,
      variantFallbacks: fallbacks,
      includePayload: (path) => payloadRe.test(path),
      instancing: true,
      timeScaling,
    });
    const stage = new ComposedStage(pcp);
    out.push(`Loading @${rootArg}@`, '', RULE, 'Layer Stack:');
    for (const layer of rootStack.layers) out.push(`     ${layer.key}`);
    out.push('');
    const pending = stage.childNames(stage.index('/')).map((n) => childPath('/', n));
    while (pending.length) {
      const path = pending.shift()!;
      const index = stage.index(path);
      out.push(RULE, `Results for composing <${path}>`, '', 'Prim Stack:');
      for (const entry of stage.primStack(index)) out.push(`    ${pad(entry.layer.key, 20)} ${entry.path}`);
      const nodes = allNodes(index.root);
      if (nodes.some((n) => !isIdentity(n.mapToParent.offset) || n.layerStack.offsets.some((o) => !isIdentity(o)))) {
        out.push('', 'Time Offsets:');
        for (const n of nodes) {
          const o = n.mapToRoot.offset;
          out.push(`    ${pad(n.layerStack.layers[0]!.key, 20)} ${pad(n.path, 15)} ${pad(ARC_NAMES[n.arc], 10)} (offset=${fixed(o.offset)}, scale=${fixed(o.scale)})`);
          n.layerStack.layers.forEach((layer, i) => {
            const lo = n.layerStack.offsets[i]!;
            if (!isIdentity(lo)) out.push(`        ${pad(layer.key, 32)} ${pad('sublayer', 10)} (offset=${fixed(lo.offset)}, scale=${fixed(lo.scale)})`);
          });
        }
      }
      const selections = new Map<string, string>();
      for (const n of nodes) {
        const s = variantSelectionOf(n.path);
        if (s && !selections.has(s[0])) selections.set(s[0], s[1]);
      }
      if (selections.size) {
        out.push('', 'Variant Selections:');
        for (const set of [...selections.keys()].sort()) out.push(`    {${set} = ${selections.get(set)}}`);
      }
      const children = stage.childNames(index);
      pending.unshift(...children.map((n) => childPath(path, n)));
      if (children.length) out.push('', 'Child names:', `     ${pyList(children)}`);
      const properties = stage.propertyNames(index);
      if (properties.length) out.push('', 'Property names:', `     ${pyList(properties)}`);
      const stacksOut: string[] = [];
      const targets: string[] = [];
      const connections: string[] = [];
      const deleted: string[] = [];
      for (const name of [...properties].sort()) {
        const stack = stage.propertyStack(index, name);
        if (!stack.length) continue;
        const prop = propertyPath(path, name);
        stacksOut.push(`${prop}:`, ...stack.map((e) => `    ${pad(e.layer.key, 20)} ${e.path}`));
        const isRel = stack[0]!.spec.specType === SPEC_TYPE.relationship;
        const composed = stage.targets(index, stack, isRel ? 'targetPaths' : 'connectionPaths');
        if (composed.paths.length) (isRel ? targets : connections).push(`${prop}:`, ...composed.paths.map((p) => `    ${p}`));
        if (composed.deleted.length) deleted.push(`${prop}:`, ...composed.deleted.map((p) => `    ${p}`));
      }
      if (stacksOut.length) out.push('', 'Property stacks:', ...stacksOut);
      if (targets.length) out.push('', 'Relationship targets:', ...targets);
      if (connections.length) out.push('', 'Attribute connections:', ...connections);
      if (deleted.length) out.push('', 'Deleted target paths:', ...deleted);
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}

function isIdentity(o: { offset: number; scale: number }): boolean {
  return o.offset === 0 && o.scale === 1;
}

function allNodes(root: PcpNode): PcpNode[] {
  const out: PcpNode[] = [];
  const walk = (n: PcpNode) => {
    out.push(n);
    n.children.forEach(walk);
  };
  walk(root);
  return out;
}

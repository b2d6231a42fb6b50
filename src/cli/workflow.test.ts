/**
 * `simloop workflow run` with command steps (Node one-liners, so the runner itself is what is
 * tested; e2e/workflow.test.mjs runs the bundled demos → train → eval → compare workflow): order
 * and parallelism, ${step} references, content-hash resume after a failure, lineage written and
 * verified, and bad workflow files refused with one line naming the field.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job as K8sJob } from 'kubernetes-models/batch/v1';
import { PersistentVolumeClaim } from 'kubernetes-models/v1';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './testing/runCli.ts';
import { parseWorkflow, stepArgv, stepDependencies } from '../engine/workflow/workflow.ts';

const tmp = mkdtempSync(join(tmpdir(), 'simloop-workflow-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

const node = JSON.stringify(process.execPath);
/** A step that appends its name to the run log, then writes its output from its inputs. */
const js = (body: string) => `[${node}, "-e", ${JSON.stringify(body)}]`;
const input = join(tmp, 'input.txt');
writeFileSync(input, 'seed words\n');
const marker = join(tmp, 'allow-c');
const history = join(tmp, 'history.txt');
const log = (name: string) => `require('fs').appendFileSync(${JSON.stringify(history)}, '${name}\\n');`;

const WORKFLOW = `simloop_workflow: 1
name: chain
steps:
  a:
    run: command
    command: ${js(`${log('a')} const fs = require('fs'); fs.writeFileSync(process.argv[2] + '/a.txt', fs.readFileSync(process.argv[1], 'utf8').toUpperCase());`).replace(/\]$/, `, "input.txt", "\${output}"]`)}
  b:
    run: command
    command: ${js(`${log('b')} const fs = require('fs'); fs.writeFileSync(process.argv[2] + '/b.txt', 'b saw ' + fs.readFileSync(process.argv[1], 'utf8'));`).replace(/\]$/, `, "\${a}/a.txt", "\${output}"]`)}
  c:
    run: command
    command: ${js(`${log('c')} const fs = require('fs'); if (!fs.existsSync(${JSON.stringify(marker)})) { console.error('c is not allowed yet'); process.exit(3); } fs.writeFileSync(process.argv[1] + '/c.txt', 'c');`).replace(/\]$/, `, "\${output}"]`)}
    after: [a]
  d:
    run: command
    command: ${js(`${log('d')} const fs = require('fs'); fs.writeFileSync(process.argv[3] + '/d.txt', fs.readFileSync(process.argv[1], 'utf8') + fs.readFileSync(process.argv[2], 'utf8'));`).replace(/\]$/, `, "\${b}/b.txt", "\${c}/c.txt", "\${output}"]`)}
`;
const file = join(tmp, 'chain.workflow.yaml');
writeFileSync(file, WORKFLOW);
const out = join(tmp, 'out');
const ran = () => readFileSync(history, 'utf8').trim().split('\n');

describe('simloop workflow run', () => {
  it('runs steps after the steps they name, stops at a failure with the step`s log, and resumes without rerunning finished steps', async () => {
    const first = await run('workflow', 'run', file, '--out', out, '--json');
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ ran: ['a', 'b'], failed: 'c' });
    expect(first.stderr).toMatch(/✗ c: exit status 3: c is not allowed yet \(log: .*logs\/c\.log\)/);
    expect(existsSync(join(out, 'd'))).toBe(false);
    expect(readFileSync(join(out, 'b', 'b.txt'), 'utf8')).toBe('b saw SEED WORDS\n');

    writeFileSync(marker, '');
    writeFileSync(history, '');
    const second = await run('workflow', 'run', file, '--out', out, '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ ran: ['c', 'd'], skipped: ['a', 'b'], failed: null });
    expect(ran().sort()).toEqual(['c', 'd']);
    expect(second.stderr).toMatch(/= a: unchanged/);
    expect(readFileSync(join(out, 'd', 'd.txt'), 'utf8')).toBe('b saw SEED WORDS\nc');
  });

  it('reruns a step whose input changed, and the steps after it; one whose output was tampered with', async () => {
    writeFileSync(history, '');
    writeFileSync(input, 'other words\n');
    const r = await run('workflow', 'run', file, '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ skipped: ['c'] });
    expect(ran().sort()).toEqual(['a', 'b', 'd']);

    writeFileSync(history, '');
    writeFileSync(join(out, 'b', 'b.txt'), 'forged');
    expect((await run('workflow', 'run', file, '--out', out)).code).toBe(0);
    // b's output no longer matched its lineage: b ran again, and gave the same bytes, so d stayed.
    expect(ran()).toEqual(['b']);
  });

  it('writes lineage that `simloop lineage` follows back to the first input, and --verify names a changed file', async () => {
    const lineage = JSON.parse(readFileSync(join(out, 'd', 'lineage.json'), 'utf8'));
    expect(lineage).toMatchObject({ schema: 'simloop.lineage', version: 1, step: 'd', run: 'command', workflow: { name: 'chain' } });
    expect(lineage.inputs.map((i: { role: string; from: string | null }) => [i.role, i.from])).toEqual([
      ['argument 3', join(out, 'b')],
      ['argument 4', join(out, 'c')],
    ]);
    expect(lineage.outputs.map((f: { path: string }) => f.path)).toEqual(['d.txt']);

    const ok = await run('lineage', join(out, 'd', 'd.txt'), '--verify');
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^d \(command\) → /);
    expect(ok.stdout).toMatch(/ {4}b \(command\) →[\s\S]*a \(command\) →[\s\S]*input\.txt sha256/);
    expect(ok.stdout).toMatch(/verify: every file and input is as recorded/);

    writeFileSync(join(out, 'a', 'a.txt'), 'tampered');
    const bad = await run('lineage', join(out, 'd'), '--verify');
    expect(bad.code).toBe(1);
    // a's output changed, and so did what b read.
    expect(bad.stdout).toMatch(/verify: 2 problems\n/);
    expect(bad.stdout).toMatch(/\n .*a\/a\.txt: changed \(sha256 [0-9a-f]{12}…, recorded [0-9a-f]{12}…\)/);
    expect(bad.stdout).toMatch(/\n .*a\/a\.txt: changed since step b read it \(input argument 3\)/);
  });

  it('refuses bad workflows with one line naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['simloop_workflow: 1\nname: x\nsteps:\n  a: { run: command, command: [echo, "${b}"] }\n', /steps\.a: names \$\{b\}, but there is no step "b"/],
      ['simloop_workflow: 1\nname: x\nsteps:\n  a: { run: command, command: [echo, "${b}"] }\n  b: { run: command, command: [echo, "${a}"] }\n', /steps form a cycle: a → b → a/],
      ['simloop_workflow: 1\nname: x\nsteps:\n  a: { run: demos, args: { out: here } }\n', /steps\.a\.args\.out: the workflow sets --out/],
      ['simloop_workflow: 1\nname: x\nsteps:\n  a: { run: teach }\n', /steps\.a\.run: /],
      ['simloop_workflow: 7\nname: x\nsteps: {}\n', /simloop_workflow/],
    ];
    for (const [k, [text, message]] of cases.entries()) {
      const bad = join(tmp, `bad-${k}.yaml`);
      writeFileSync(bad, text);
      const r = await run('workflow', 'run', bad);
      expect(r.code, text).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('workflow steps as commands', () => {
  it('runs a train step as Simloop`s trainer with its flags (a list as one flag and its values), and a Simloop step with --out', () => {
    const workflow = parseWorkflow(
      parseYaml('simloop_workflow: 1\nname: x\nsteps:\n  d: { run: demos, args: { task: pick-cube, episodes: 2, variant: ["/A:s=a", "/B:s=b"], no-cameras: true, json: false } }\n  t: { run: train, args: { hdf5: ["${d}/robomimic.hdf5", other.hdf5], steps: 3 } }\n'),
      'x.yaml',
    );
    const outputs = { d: '/o/d', t: '/o/t' };
    expect(stepArgv(workflow.steps.d!, outputs, '/o/d')).toEqual(['simloop', 'demos', '--task', 'pick-cube', '--episodes', '2', '--variant', '/A:s=a', '--variant', '/B:s=b', '--no-cameras', '--out', '/o/d']);
    expect(stepArgv(workflow.steps.t!, outputs, '/o/t')).toEqual(['simloop-train', '--hdf5', '/o/d/robomimic.hdf5', 'other.hdf5', '--steps', '3', '--out', '/o/t']);
    expect(stepDependencies(workflow.steps.t!)).toEqual(['d']);
  });
});

describe('simloop workflow run --engine k8s', () => {
  it('writes one Job per step (valid Kubernetes objects), each waiting for the lineage of the steps it needs, on one shared volume', async () => {
    const k8sOut = join(tmp, 'k8s-demo');
    const r = await run('workflow', 'run', 'workflows/demo-policy.workflow.yaml', '--engine', 'k8s', '--dry-run', '--out', k8sOut, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ engine: 'k8s', applied: false, message: 'dry run: nothing applied' });
    const objects = (result.files as string[]).map((f) => parseYaml(readFileSync(f, 'utf8')));
    expect(() => new PersistentVolumeClaim(objects[0]).validate()).not.toThrow();
    const jobs = objects.slice(1);
    for (const job of jobs) expect(() => new K8sJob(job).validate()).not.toThrow();
    // A broken one fails the same check (so the check can fail).
    const broken = JSON.parse(JSON.stringify(jobs[0]));
    broken.spec.template.spec.containers[0].resources.limits.cpu = { many: true };
    expect(() => new K8sJob(broken).validate()).toThrow();

    const byStep = Object.fromEntries(jobs.map((j) => [j.metadata.labels['simloop.dev/step'], j]));
    expect(Object.keys(byStep)).toEqual(['demos', 'train', 'evaluate', 'shipped', 'compare']);
    expect(byStep.evaluate.spec.template.spec.containers[0].args).toEqual(['workflow', 'run', '/app/workflows/demo-policy.workflow.yaml', '--out', '/data/demo-policy', '--step', 'evaluate']);
    expect(byStep.demos.spec.template.spec.initContainers).toBeUndefined();
    const waits = (step: string) => byStep[step].spec.template.spec.initContainers[0].command[2] as string;
    expect(waits('compare')).toMatch(/until \[ -f "\/data\/demo-policy\/shipped\/lineage\.json" \][\s\S]*until \[ -f "\/data\/demo-policy\/evaluate\/lineage\.json" \]/);
    expect(waits('train')).toMatch(/^until \[ -f "\/data\/demo-policy\/demos\/lineage\.json" \]; do echo "waiting for step demos"; sleep \d+; done$/);
    expect(byStep.train.spec.template.spec.volumes[0]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'demo-policy-data' } });
  });

  it('refuses a workflow outside the checkout (the pods run the image`s copy)', async () => {
    const r = await run('workflow', 'run', file, '--engine', 'k8s', '--dry-run', '--out', join(tmp, 'k8s-chain'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/chain\.workflow\.yaml: is outside this checkout/);
  });
});

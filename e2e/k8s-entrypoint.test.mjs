/**
 * `simloop submit --engine k8s` without a cluster: the manifests are written and printed, nothing
 * applied. Then what the cluster would run, run here: the Indexed Job's container (its command,
 * args, working directory and JOB_COMPLETION_INDEX) once per index, the merge Job's initContainer
 * (it waits until every shard's marker is on the volume) and its container — with the image's /app
 * mapped to this checkout and the volume and ConfigMap mounts to a temporary folder. The merged
 * dataset equals one unsharded run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { main } from '../src/cli/main.ts';
import { ROOT, datasetFiles } from './harness.mjs';

const ARGS = { scene: join(ROOT, 'scenes/tabletop.usda'), randomize: join(ROOT, 'scenes/tabletop.randomize.yaml'), frames: 4, seed: 3, width: 64, height: 48, format: 'coco,yolo', workers: 1, json: true };

const files = datasetFiles;

/** Runs a container's process here; resolves with its exit status and output. */
function runProcess(argv, { cwd, env }, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

test('the Kubernetes manifests, run here container by container, give the same dataset as one run', { timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-k8s-'));
  try {
    const jobFile = join(tmp, 'k8s-sdg.job.yaml');
    writeFileSync(jobFile, `simloop_job: 1\ncommand: generate\nargs: ${JSON.stringify(ARGS)}\nshards: 2\nresources: { cpus: 1, memory: 2Gi, time: "00:10:00", storage: 1Gi }\noutput: out/k8s-sdg\n`);
    // No cluster configured: the manifests are written and printed, and it says so.
    const submit = spawnSync(process.execPath, [join(ROOT, 'bin/simloop.mjs'), 'submit', '--engine', 'k8s', jobFile], { cwd: tmp, env: { ...process.env, KUBECONFIG: join(tmp, 'no-kubeconfig') }, encoding: 'utf8' });
    assert.equal(submit.status, 0, submit.stderr);
    const dir = join(tmp, 'out/k8s-sdg.k8s');
    assert.deepEqual(readdirSync(dir).sort(), ['00-volume.yaml', '01-job-file.yaml', '02-shards.yaml', '03-merge.yaml']);
    assert.match(submit.stdout, /(no Kubernetes cluster configured|kubectl is not on PATH).*nothing applied/);
    assert.match(submit.stdout, new RegExp(`kubectl apply -f ${dir}`));
    assert.match(submit.stdout, /kind: Job\n/);
    const [volume, configMap, shards, merge] = readdirSync(dir).sort().map((f) => parseYaml(readFileSync(join(dir, f), 'utf8')));
    assert.equal(volume.kind, 'PersistentVolumeClaim');
    assert.equal(shards.spec.completionMode, 'Indexed');
    assert.equal(shards.spec.template.spec.containers[0].image, `simloop:${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}`);

    // The pods' filesystem, here: the image's /app is this checkout; the volume and the ConfigMap are folders.
    const data = join(tmp, 'volume');
    const jobDir = join(tmp, 'configmap');
    mkdirSync(data);
    mkdirSync(jobDir);
    const mounts = {};
    for (const pod of [shards.spec.template.spec, merge.spec.template.spec]) {
      for (const m of pod.containers[0].volumeMounts) {
        const volumeOf = pod.volumes.find((v) => v.name === m.name);
        if (volumeOf.persistentVolumeClaim) mounts[m.mountPath] = data;
        else if (volumeOf.configMap) mounts[m.mountPath] = jobDir;
      }
    }
    assert.deepEqual(Object.keys(mounts).sort(), ['/data', '/job']);
    const local = (text) => Object.entries({ ...mounts, '/app': ROOT.replace(/\/$/, '') }).reduce((s, [from, to]) => s.replaceAll(`${from}/`, `${to}/`).replace(new RegExp(`${from}$`), to), text);
    for (const [name, text] of Object.entries(configMap.data)) writeFileSync(join(jobDir, name), local(text));

    const container = shards.spec.template.spec.containers[0];
    const argv = [...container.command, ...container.args].map(local);
    assert.equal(argv[0], 'node');
    argv[0] = process.execPath;
    const env = Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, local(e.value)]));
    assert.deepEqual(container.env.map((e) => e.name), ['JOB_COMPLETION_INDEX']);

    // The merge's initContainer waits while markers are missing…
    const init = merge.spec.template.spec.initContainers[0];
    const wait = init.command.map(local);
    const early = await runProcess(wait, { cwd: tmp, env: {} }, 1500);
    assert.equal(early.signal, 'SIGTERM', `the wait ended with no shard done: ${early.output}`);
    assert.match(early.output, /waiting for shard 0\/2/);

    // …the Indexed Job runs each index (Kubernetes sets JOB_COMPLETION_INDEX)…
    for (let index = 0; index < shards.spec.completions; index++) {
      const started = Date.now();
      const r = await runProcess(argv, { cwd: local(container.workingDir), env: { ...env, JOB_COMPLETION_INDEX: String(index) } }, 240_000);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, new RegExp(`shard ${index}/2 of k8s-sdg`));
      t.diagnostic(`index ${index}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    // …then the wait ends, and the merge container joins the shards on the volume.
    const done = await runProcess(wait, { cwd: tmp, env: {} }, 10_000);
    assert.equal(done.code, 0, done.output);
    assert.match(done.output, /all shards done/);
    const mergeContainer = merge.spec.template.spec.containers[0];
    const mergeArgv = [...mergeContainer.command, ...mergeContainer.args].map(local);
    mergeArgv[0] = process.execPath;
    const merged = await runProcess(mergeArgv, { cwd: local(mergeContainer.workingDir), env: {} }, 60_000);
    assert.equal(merged.code, 0, merged.output);
    assert.match(merged.output, new RegExp(`merged 2 shards, 4 frames into ${join(data, 'k8s-sdg')}`));

    const single = join(tmp, 'single');
    const stdout = [];
    const stderr = [];
    const flags = Object.entries(ARGS).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));
    const code = await main(['generate', ...flags, '--out', single], { write: (s) => stdout.push(s) }, { write: (s) => stderr.push(s) });
    assert.equal(code, 0, stderr.join(''));
    const a = files(join(data, 'k8s-sdg'));
    const e = files(single);
    assert.deepEqual([...a.keys()].sort(), [...e.keys()].sort(), 'same file names');
    for (const [name, bytes] of e) assert.ok(bytes.equals(a.get(name)), `${name} differs`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

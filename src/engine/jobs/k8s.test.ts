import { Job as K8sJob } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../cli/main.ts';
import { InputError } from '../errors.ts';
import { parseJobFile, shardArgv } from './jobFile.ts';
import { APP_DIR, BACKOFF_PER_INDEX, DATA_DIR, JOB_FILE_IN_POD, k8sManifests, manifestText, waitForShardsScript } from './k8s.ts';

const ROOT = '/repo';
const read = (text: string) => parseJobFile(text, '/repo/jobs/cube-sdg.job.yaml', { resolvePath: (p) => posix.resolve('/repo/jobs', p), flags: OPTIONS });

const JOB = `simloop_job: 1
command: generate
args: { scene: ../scenes/tabletop.usda, randomize: ../scenes/tabletop.randomize.yaml, frames: 300, seed: 7, format: "coco,basic" }
shards: 3
parallelism: 2
resources: { cpus: 2, memory: 4Gi, gpus: 1, time: "02:00:00", storage: 50Gi }
output: ../out/cube-sdg
`;

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking into plain manifests
type Any = Record<string, any>;

describe('Kubernetes manifests', () => {
  const job = read(JOB);
  const m = k8sManifests(job, { image: 'simloop:0.1.0', root: ROOT });

  it('are valid Kubernetes objects (kubernetes-models’ schemas)', () => {
    expect(() => new PersistentVolumeClaim(m.volume).validate()).not.toThrow();
    expect(() => new ConfigMap(m.jobFile).validate()).not.toThrow();
    expect(() => new K8sJob(m.shards).validate()).not.toThrow();
    expect(() => new K8sJob(m.merge).validate()).not.toThrow();
    // And as the YAML that is written and applied.
    for (const object of [m.volume, m.jobFile, m.shards, m.merge]) expect(parseYaml(manifestText(object))).toEqual(object);
  });

  it('fail validation when broken (so the check above can fail)', () => {
    const broken: [string, () => void][] = [
      ['completions not a number', () => new K8sJob({ ...clone(m.shards), spec: { ...(clone(m.shards)['spec'] as Any), completions: 'three' } } as Any).validate()],
      ['no pod template', () => new K8sJob({ ...clone(m.merge), spec: { backoffLimit: 2 } } as Any).validate()],
      ['a cpu that is no quantity', () => {
        const bad = clone(m.shards) as Any;
        bad.spec.template.spec.containers[0].resources.limits.cpu = 'two';
        new K8sJob(bad).validate();
      }],
      ['a container without a name', () => {
        const bad = clone(m.merge) as Any;
        delete bad.spec.template.spec.containers[0].name;
        new K8sJob(bad).validate();
      }],
      ['access modes not a list', () => new PersistentVolumeClaim({ ...clone(m.volume), spec: { accessModes: 'ReadWriteMany' } } as Any).validate()],
      ['config data not strings', () => new ConfigMap({ ...clone(m.jobFile), data: { 'job.yaml': 3 } } as Any).validate()],
    ];
    for (const [what, validate] of broken) expect(validate, what).toThrow();
  });

  it('run one pod per shard, P at once, each `simloop shard` on the job file for its index', () => {
    const spec = (m.shards as Any).spec;
    expect(spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 2, backoffLimitPerIndex: BACKOFF_PER_INDEX, maxFailedIndexes: 0 });
    const pod = spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.activeDeadlineSeconds).toBe(7200);
    const [container] = pod.containers;
    expect(container).toMatchObject({ image: 'simloop:0.1.0', workingDir: APP_DIR, command: ['node', `${APP_DIR}/bin/simloop.mjs`], args: ['shard', JOB_FILE_IN_POD] });
    expect(container.env).toEqual([{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
    expect(container.resources).toEqual({ requests: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' }, limits: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' } });
    expect(container.volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: DATA_DIR }, { name: 'job', mountPath: '/job', readOnly: true }]));
    expect(pod.volumes).toEqual(expect.arrayContaining([{ name: 'data', persistentVolumeClaim: { claimName: 'cube-sdg-data' } }, { name: 'job', configMap: { name: 'cube-sdg-job' } }]));
    expect((m.volume as Any).spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '50Gi' } } });
    // Without GPUs, no GPU resource.
    const cpuOnly = k8sManifests(read(JOB.replace('gpus: 1', 'gpus: 0')), { image: 'x', root: ROOT });
    expect(Object.keys((cpuOnly.shards as Any).spec.template.spec.containers[0].resources.limits)).toEqual(['cpu', 'memory']);
  });

  it('give the pods the job file with paths in the container: the checkout as /app, the output on the volume', () => {
    const text = (m.jobFile as Any).data['job.yaml'] as string;
    const inPod = parseJobFile(text, JOB_FILE_IN_POD, { flags: OPTIONS });
    expect(inPod.args).toEqual({ scene: '/app/scenes/tabletop.usda', randomize: '/app/scenes/tabletop.randomize.yaml', frames: 300, seed: 7, format: 'coco,basic' });
    expect(inPod.output).toBe('/data/cube-sdg');
    expect(inPod).toMatchObject({ name: 'cube-sdg', shards: 3, parallelism: 2, image: null });
    expect(shardArgv(inPod, 1).slice(-4)).toEqual(['--shard', '1/3', '--out', '/data/cube-sdg.shards/1']);
    // A bundled task id is no path; an input outside the checkout cannot be reached from a pod.
    const evalJob = parseJobFile('simloop_job: 1\ncommand: eval\nargs: { policy: /repo/public/policies/pick-cube/policy.json, task: reach, episodes: 4, seed: 1 }\nshards: 2\noutput: /tmp/ev\n', 'e.yaml', { flags: OPTIONS });
    expect(k8sManifests(evalJob, { image: 'x', root: ROOT }).clusterJob.args).toMatchObject({ policy: '/app/public/policies/pick-cube/policy.json', task: 'reach' });
    const outside = read(JOB.replace('../scenes/tabletop.usda', '/home/me/scene.usda'));
    expect(() => k8sManifests(outside, { image: 'x', root: ROOT })).toThrow(InputError);
    expect(() => k8sManifests(outside, { image: 'x', root: ROOT })).toThrow(/args\.scene: \/home\/me\/scene\.usda is outside this checkout \(\/repo\)/);
    expect(k8sManifests(read(JOB.replace('../scenes/tabletop.usda', '/data/inputs/scene.usda')), { image: 'x', root: ROOT }).clusterJob.args['scene']).toBe('/data/inputs/scene.usda');
  });

  it('merge once every shard’s marker is on the volume', () => {
    const pod = (m.merge as Any).spec.template.spec;
    expect(pod.initContainers[0].command).toEqual(['sh', '-c', waitForShardsScript(m.clusterJob)]);
    expect(waitForShardsScript(m.clusterJob)).toContain('-lt 3 ]');
    expect(waitForShardsScript(m.clusterJob)).toContain('/data/cube-sdg.shards/$i.done');
    expect(pod.containers[0]).toMatchObject({ command: ['node', '/app/bin/simloop.mjs'], args: ['merge', '--job', JOB_FILE_IN_POD] });
    // Two waves of shards, each with its retries, then the merge.
    expect((m.merge as Any).spec.activeDeadlineSeconds).toBe(7200 * 2 * (BACKOFF_PER_INDEX + 1) + 7200);
  });
});

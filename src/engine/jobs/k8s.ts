/**
 * Kubernetes objects for a job file (jobFile.ts), as plain objects; cli/submit.ts writes them as
 * YAML into <output>.k8s/ and applies them with kubectl.
 *
 *   00-volume.yaml   PersistentVolumeClaim <name>-data (ReadWriteMany, resources.storage): shard
 *                    outputs, completion markers and the merged output, mounted at /data
 *   01-job-file.yaml ConfigMap <name>-job: the job file as the pods read it, mounted at /job
 *   02-shards.yaml   Indexed Job <name>: completions N, parallelism P, each pod runs
 *                    `simloop shard /job/job.yaml` for JOB_COMPLETION_INDEX
 *   03-merge.yaml    Job <name>-merge: an initContainer waits until every shard's marker
 *                    (/data/<output>.shards/<i>.done) exists, then `simloop merge --job /job/job.yaml`
 *
 * Kubernetes has no "afterok": the merge Job is applied with the others and waits on the shared
 * volume, so nothing outside the cluster has to stay up. A shard that fails for good (its index
 * out of retries) leaves its marker missing; the merge Job then stops at its deadline.
 *
 * In the pods the checkout is the image's /app (Dockerfile), so the job file's paths are mapped:
 * inputs inside this checkout → /app/…, the output → /data/<its folder name>. An input outside the
 * checkout cannot be reached from a pod (put it in the checkout and rebuild the image, or on the
 * volume and name it by its /data/… path).
 */
import { stringify } from 'yaml';
import { InputError } from '../errors.ts';
import { FILE_FLAGS, type Job, jobFileValue, isTaskFile, SHARDS_SUFFIX, timeLimitSeconds } from './jobFile.ts';

export const APP_DIR = '/app';
export const DATA_DIR = '/data';
export const JOB_DIR = '/job';
export const JOB_FILE_IN_POD = `${JOB_DIR}/job.yaml`;
/** Retries of one shard (Indexed Job backoffLimitPerIndex). */
export const BACKOFF_PER_INDEX = 2;
/** How often the merge's initContainer looks for the shards' markers. */
export const WAIT_POLL_SECONDS = 15;

export const K8S_FILES = { volume: '00-volume.yaml', jobFile: '01-job-file.yaml', shards: '02-shards.yaml', merge: '03-merge.yaml' } as const;

type Obj = Record<string, unknown>;

export interface K8sManifests {
  /** The job as the pods see it (paths mapped). */
  clusterJob: Job;
  volume: Obj;
  jobFile: Obj;
  shards: Obj;
  merge: Obj;
}

/** The job with its paths as the pods see them; `root` is this checkout (absolute). */
export function clusterJob(job: Job, root: string): Job {
  const base = root.replace(/\/+$/, '');
  const map = (key: string, path: string): string => {
    if (path === base || path.startsWith(`${base}/`)) return `${APP_DIR}${path.slice(base.length)}`;
    if (path.startsWith(`${DATA_DIR}/`)) return path;
    throw new InputError(job.file, `args.${key}: ${path} is outside this checkout (${base}); a pod sees the checkout as ${APP_DIR} (the image) and the volume as ${DATA_DIR}: move the file into the checkout and rebuild the image, or copy it to the volume and give its ${DATA_DIR}/… path`);
  };
  const args = Object.fromEntries(
    Object.entries(job.args).map(([key, value]) => {
      const isFile = FILE_FLAGS[job.command].includes(key) && typeof value === 'string' && (key !== 'task' || isTaskFile(value));
      return [key, isFile ? map(key, value as string) : value];
    }),
  );
  const folder = job.output.replace(/\/+$/, '').split('/').pop() || job.name;
  return { ...job, file: JOB_FILE_IN_POD, args, output: `${DATA_DIR}/${folder}` };
}

const labels = (job: Job, part: string) => ({ 'app.kubernetes.io/name': 'simloop', 'app.kubernetes.io/component': part, 'simloop.dev/job': job.name });

function quantity(value: string | number): string {
  return typeof value === 'number' ? String(value) : value;
}

/** The shell loop of the merge's initContainer: every shard's marker, in index order. */
export function waitForShardsScript(job: Job): string {
  const markers = `${job.output}${SHARDS_SUFFIX}`;
  return [
    `i=0; while [ "$i" -lt ${job.shards} ]; do`,
    `  if [ -f "${markers}/$i.done" ]; then i=$((i + 1)); continue; fi`,
    `  echo "waiting for shard $i/${job.shards} (${markers}/$i.done)"; sleep ${WAIT_POLL_SECONDS}`,
    'done; echo "all shards done"',
  ].join('\n');
}

/** Every object for the job; `image` is the container image, `root` this checkout (absolute). */
export function k8sManifests(job: Job, options: { image: string; root: string }): K8sManifests {
  const pod = clusterJob(job, options.root);
  const r = job.resources;
  const claim = `${job.name}-data`;
  const configMap = `${job.name}-job`;
  const shardSeconds = timeLimitSeconds(r.time);
  const compute: Obj = { cpu: String(r.cpus), memory: quantity(r.memory), ...(r.gpus > 0 ? { 'nvidia.com/gpu': String(r.gpus) } : {}) };
  const volumes = [
    { name: 'data', persistentVolumeClaim: { claimName: claim } },
    { name: 'job', configMap: { name: configMap } },
    // Chromium's shared memory: the container runtime's default /dev/shm (64 MiB) is too small.
    { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
  ];
  const mounts = [
    { name: 'data', mountPath: DATA_DIR },
    { name: 'job', mountPath: JOB_DIR, readOnly: true },
    { name: 'shm', mountPath: '/dev/shm' },
  ];
  const simloop = ['node', `${APP_DIR}/bin/simloop.mjs`];
  const container = (name: string, args: string[], resources: Obj) => ({
    name,
    image: options.image,
    imagePullPolicy: 'IfNotPresent',
    workingDir: APP_DIR,
    command: simloop,
    args,
    resources,
    volumeMounts: mounts,
  });

  const volume = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, labels: labels(job, 'data') },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: quantity(r.storage) } } },
  };
  const jobFile = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMap, labels: labels(job, 'job-file') },
    data: { 'job.yaml': podJobFileText(pod) },
  };
  const shards = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: job.name, labels: labels(job, 'shards') },
    spec: {
      completionMode: 'Indexed',
      completions: job.shards,
      parallelism: job.parallelism,
      backoffLimitPerIndex: BACKOFF_PER_INDEX,
      // One shard out of retries and the merge cannot succeed: stop the rest.
      maxFailedIndexes: 0,
      template: {
        metadata: { labels: labels(job, 'shards') },
        spec: {
          restartPolicy: 'Never',
          // Per pod, as Slurm's --time is per array task.
          activeDeadlineSeconds: shardSeconds,
          containers: [
            {
              ...container('shard', ['shard', JOB_FILE_IN_POD], { requests: compute, limits: compute }),
              // Kubernetes sets JOB_COMPLETION_INDEX in Indexed Jobs; said here too, from the pod's annotation.
              env: [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }],
            },
          ],
          volumes,
        },
      },
    },
  };
  const mergeCompute: Obj = { cpu: '1', memory: quantity(r.memory) };
  const waves = Math.ceil(job.shards / job.parallelism);
  const merge = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${job.name}-merge`, labels: labels(job, 'merge') },
    spec: {
      backoffLimit: 2,
      // Waiting included: every wave of shards with all its retries, then the merge itself.
      activeDeadlineSeconds: shardSeconds * waves * (BACKOFF_PER_INDEX + 1) + shardSeconds,
      template: {
        metadata: { labels: labels(job, 'merge') },
        spec: {
          restartPolicy: 'Never',
          initContainers: [
            {
              name: 'wait-for-shards',
              image: options.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', waitForShardsScript(pod)],
              resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
              volumeMounts: [{ name: 'data', mountPath: DATA_DIR }],
            },
          ],
          containers: [container('merge', ['merge', '--job', JOB_FILE_IN_POD], { requests: mergeCompute, limits: mergeCompute })],
          volumes,
        },
      },
    },
  };
  return { clusterJob: pod, volume, jobFile, shards, merge };
}

/** The job file a ConfigMap carries: the job as the pods read it (no image: the pod is in it). */
export function podJobFileText(pod: Job): string {
  const { image: _image, ...rest } = jobFileValue(pod);
  return `# The job file as the pods read it (simloop submit --engine k8s; paths mapped into the container).\n${stringify(rest, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** One object as a YAML document. */
export function manifestText(object: Record<string, unknown>): string {
  return stringify(object, { lineWidth: 0, aliasDuplicateObjects: false });
}

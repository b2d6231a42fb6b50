/**
 * A workflow as Kubernetes Jobs (`simloop workflow run --engine k8s`), as plain objects: one Job per
 * step, each running `simloop workflow run <file> --out /data/<workflow> --step <step>` in the
 * Simloop image (the Dockerfile: this checkout at /app), on one shared volume. Kubernetes has no
 * job dependencies: a step's pod starts with an initContainer that waits until every step it needs
 * has written its lineage.json on the volume (written only when a step succeeds), so all Jobs are
 * applied at once and nothing outside the cluster has to stay up. A step resumes as on any engine:
 * a Job rerun finds finished inputs unchanged.
 */
import { APP_DIR, DATA_DIR, WAIT_POLL_SECONDS } from '../jobs/k8s.ts';
import { LINEAGE_PATH } from './lineage.ts';
import { stepDependencies, type Workflow, workflowOrder } from './workflow.ts';

type Obj = Record<string, unknown>;

/** A Kubernetes object name from a workflow or step name (DNS-1123: lower-case, digits, '-'). */
export const k8sName = (...parts: string[]) => parts.join('-').replace(/_/g, '-').slice(0, 63).replace(/-+$/, '');

export interface WorkflowK8s {
  volume: Obj;
  /** Per step, in dependency order. */
  jobs: { step: string; job: Obj }[];
  /** The workflow's output folder on the volume. */
  out: string;
}

/**
 * `file` is the workflow file's path inside the image (under /app); `resources` what each step's
 * pod requests (and is limited to).
 */
export function workflowK8sManifests(workflow: Workflow, options: { image: string; file: string; storage?: string; cpus?: number; memory?: string }): WorkflowK8s {
  const out = `${DATA_DIR}/${workflow.name}`;
  const claim = k8sName(workflow.name, 'data');
  const labels = (step: string | null) => ({ 'app.kubernetes.io/name': 'simloop', 'app.kubernetes.io/component': step === null ? 'data' : 'workflow-step', 'simloop.dev/workflow': workflow.name, ...(step ? { 'simloop.dev/step': k8sName(step) } : {}) });
  const compute = { cpu: String(options.cpus ?? 2), memory: options.memory ?? '4Gi' };
  const volume = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, labels: labels(null) },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: options.storage ?? '20Gi' } } },
  };
  const mounts = [
    { name: 'data', mountPath: DATA_DIR },
    { name: 'shm', mountPath: '/dev/shm' },
  ];
  const jobs = workflowOrder(workflow).map((step) => {
    const needs = stepDependencies(workflow.steps[step]!);
    const wait = needs.length
      ? [
          {
            name: 'wait-for-steps',
            image: options.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', needs.map((d) => `until [ -f "${out}/${d}/${LINEAGE_PATH}" ]; do echo "waiting for step ${d}"; sleep ${WAIT_POLL_SECONDS}; done`).join('\n')],
            resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
            volumeMounts: [{ name: 'data', mountPath: DATA_DIR }],
          },
        ]
      : [];
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: k8sName(workflow.name, step), labels: labels(step), annotations: { 'simloop.dev/needs': needs.join(',') } },
      spec: {
        backoffLimit: 1,
        template: {
          metadata: { labels: labels(step) },
          spec: {
            restartPolicy: 'Never',
            ...(wait.length ? { initContainers: wait } : {}),
            containers: [
              {
                name: 'step',
                image: options.image,
                imagePullPolicy: 'IfNotPresent',
                workingDir: APP_DIR,
                command: ['node', `${APP_DIR}/bin/simloop.mjs`],
                args: ['workflow', 'run', options.file, '--out', out, '--step', step],
                resources: { requests: compute, limits: compute },
                volumeMounts: mounts,
              },
            ],
            volumes: [
              { name: 'data', persistentVolumeClaim: { claimName: claim } },
              // Chromium's shared memory: the container runtime's default /dev/shm (64 MiB) is too small.
              { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
            ],
          },
        },
      },
    };
    return { step, job };
  });
  return { volume, jobs, out };
}

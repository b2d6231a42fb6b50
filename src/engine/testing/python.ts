/**
 * The Python that interop tests read Simloop's files with (the tools researchers use: numpy,
 * Pillow, h5py, PyAV, PyYAML, pycocotools, PyTorch), and which of those modules it has.
 *
 * A check whose module is missing is skipped with the reason in its name, so a run shows what it
 * did not check. Where SIMLOOP_REQUIRE_PYTHON=1 (.ci/run sets it, after installing the Debian
 * packages) a missing module that Debian packages is a failure instead: CI cannot go green having
 * skipped them. SIMLOOP_SKIP_PYTHON=1 skips every Python check on purpose.
 * Python: $SIMLOOP_PYTHON, else /usr/bin/python3 when it exists, else python3 on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = process.env.SIMLOOP_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** The Debian 12 package of each module the tests use; pycocotools has none (pip only). */
const DEBIAN_PACKAGES: Readonly<Record<string, string | null>> = {
  numpy: 'python3-numpy',
  PIL: 'python3-pil',
  h5py: 'python3-h5py',
  av: 'python3-av',
  yaml: 'python3-yaml',
  torch: 'python3-torch',
  onnx: 'python3-onnx',
  msgpack: 'python3-msgpack',
  websockets: 'python3-websockets',
  pycocotools: null,
};

const probed = new Map<string, string | null>();

/** Why `module` cannot be imported, or null when it can. */
function importProblem(module: string): string | null {
  if (!probed.has(module)) {
    const run = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
    probed.set(module, run.status === 0 ? null : (run.error?.message ?? run.stderr.trim().split('\n').pop() ?? `exit ${run.status}`));
  }
  return probed.get(module)!;
}

export interface PythonModules {
  /** Every module imports. */
  available: boolean;
  /** Skip the checks, with this reason (a test name suffix); false to run them. */
  skip: false | string;
  /** What is missing and how to install it, for a failure message. */
  missing: string;
}

/**
 * Whether the checks needing `modules` run. They run when every module imports, and also where
 * SIMLOOP_REQUIRE_PYTHON=1 and each missing one is a Debian package (so the test fails, naming it:
 * call `requirePython` first).
 */
export function pythonModules(...modules: string[]): PythonModules {
  if (process.env.SIMLOOP_SKIP_PYTHON === '1') return { available: false, skip: 'skipped: SIMLOOP_SKIP_PYTHON=1', missing: '' };
  const missing = modules.filter((m) => importProblem(m) !== null);
  if (missing.length === 0) return { available: true, skip: false, missing: '' };
  const install = missing.map((m) => DEBIAN_PACKAGES[m] ?? `pip install ${m}`).join(', ');
  const description = `${PYTHON} cannot import ${missing.join(', ')} (${importProblem(missing[0]!)}); install ${install}`;
  const required = process.env.SIMLOOP_REQUIRE_PYTHON === '1' && missing.every((m) => DEBIAN_PACKAGES[m]);
  return { available: false, skip: required ? false : `skipped: ${description}`, missing: description };
}

/** Throws, naming what is missing, unless every module imports (the first line of a required check). */
export function requirePython(modules: PythonModules): void {
  if (!modules.available) throw new Error(`SIMLOOP_REQUIRE_PYTHON=1 but ${modules.missing}`);
}

/** A test title with the skip reason after it, when skipped. */
export function titled(title: string, modules: PythonModules): string {
  return modules.skip ? `${title} — ${modules.skip}` : title;
}

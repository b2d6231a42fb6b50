/**
 * A task as the commands that run one read it (`simloop demos`, `simloop eval`): the task file,
 * its scene (with USD variant choices), and its robot — the task's own profile (`profile:` in the
 * task file), or the one `--robot` names: a profile (`*.robot.yaml`), or a robot description
 * (URDF, MJCF, USD) that replaces the scene's robot, its profile inferred. A profile whose robot
 * the scene lacks brings its description along. Everything is checked here, so bad input is one
 * line naming the file and field before any episode runs.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../engine/errors.ts';
import { loadSceneFile } from '../engine/load.ts';
import { parseRobotProfile, resolveProfile, type RobotProfile } from '../engine/robot/profile.ts';
import { swapRobot } from '../engine/robot/swap.ts';
import type { SceneDocument } from '../engine/scene/schema.ts';
import { checkTaskAgainstScene, parseTaskSpec, type TaskSpec } from '../engine/tasks/spec.ts';
import type { VariantSelection } from '../engine/usd/compose.ts';
import { ROOT } from './headlessJob.ts';
import { sceneBytesForPage, sceneOptionsForFile } from './meshes.ts';

export const TASKS_DIR = resolve(ROOT, 'scenes/tasks');

/** The bundled task ids (scenes/tasks/<id>.task.yaml). */
export async function bundledTasks(): Promise<string[]> {
  return (await readdir(TASKS_DIR)).filter((f) => f.endsWith('.task.yaml')).map((f) => f.slice(0, -'.task.yaml'.length)).sort();
}

/** A task by bundled id or by file path. */
export async function taskFile(task: string): Promise<string> {
  if (/\.(ya?ml|json)$/i.test(task)) return resolve(task);
  const ids = await bundledTasks();
  if (!ids.includes(task)) throw new InputError(task, `no such task; bundled tasks: ${ids.join(', ')} (or give a .task.yaml file)`);
  return resolve(TASKS_DIR, `${task}.task.yaml`);
}

export async function read(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    throw new InputError(file, `cannot read the ${what} file`);
  }
}

export interface TaskInput {
  /** The task file (absolute) and its parsed spec. */
  file: string;
  task: TaskSpec;
  taskBytes: Uint8Array;
  scenePath: string;
  scene: SceneDocument;
  /** The scene as a page loads it (a swapped robot: the scene document as JSON). */
  sceneBytes: Uint8Array;
  /** The robot's profile, its file name (for messages) and bytes (for pages), when there is one. */
  robot?: { profile: RobotProfile; file: string; bytes: Uint8Array };
}

/** Reads a task (bundled id or file), its scene and its robot; `robot` is `--robot`. */
export async function readTaskInput(taskArg: string, options: { robot?: string; variants?: VariantSelection[] } = {}): Promise<TaskInput> {
  const file = await taskFile(taskArg);
  const taskBytes = await read(file, 'task');
  const task = parseTaskSpec(new TextDecoder().decode(taskBytes), basename(file));
  const scenePath = resolve(dirname(file), task.scene);
  let sceneBytes = await sceneBytesForPage(await read(scenePath, 'scene'), scenePath, options.variants ?? []);
  let scene = (await loadSceneFile(sceneBytes, scenePath)).document;
  checkTaskAgainstScene(task, scene, basename(file));
  /** The task's scene with its robot replaced by the one `path` describes (URDF, MJCF, USD). */
  const withRobot = async (path: string) => {
    const { document } = await loadSceneFile(await read(path, 'robot description'), path, sceneOptionsForFile(path));
    scene = swapRobot(scene, document, task.robot);
    sceneBytes = new TextEncoder().encode(JSON.stringify(scene));
  };
  const profilePath = options.robot !== undefined ? (/\.robot\.ya?ml$/i.test(options.robot) ? resolve(options.robot) : null) : task.profile !== undefined ? resolve(dirname(file), task.profile) : null;
  let robot: TaskInput['robot'];
  if (profilePath) {
    const bytes = await read(profilePath, 'robot profile');
    const name = basename(profilePath);
    const profile = parseRobotProfile(new TextDecoder().decode(bytes), name);
    // Fail fast here, naming the profile's field, rather than in the first episode.
    try {
      resolveProfile(profile, scene, name);
    } catch (error) {
      if (!profile.description) throw error;
      await withRobot(resolve(dirname(profilePath), profile.description));
      resolveProfile(profile, scene, name);
    }
    robot = { profile, file: name, bytes };
  } else if (options.robot !== undefined) {
    // A robot description: it replaces the scene's robot, its profile inferred.
    await withRobot(options.robot);
  }
  return { file, task, taskBytes, scenePath, scene, sceneBytes, ...(robot ? { robot } : {}) };
}

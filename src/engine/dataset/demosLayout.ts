/**
 * Where `simloop demos` (and the studio's teleoperation export) put a demonstration dataset, one
 * place for the writer (engine/tasks/demos.ts) and the readers (lerobotReader.ts, the CLI, tests):
 *
 *   <out>/episodes.jsonl     one line per episode: seed, draw, instruction, success, steps, …;
 *                            written last, so the episodes it lists are complete
 *   <out>/lerobot/           a LeRobot v3.0 dataset root (lerobot.ts: data/, meta/, videos/)
 *   <out>/robomimic.hdf5     robomimic-style HDF5 (robomimic.ts)
 *   <out>/manifest.json      what made it and which block of the job's episodes it holds
 *                            (tasks/demosManifest.ts); written last, by the CLI
 */
export const DEMOS_EPISODES_PATH = 'episodes.jsonl';
export const DEMOS_LEROBOT_DIR = 'lerobot';
export const DEMOS_ROBOMIMIC_PATH = 'robomimic.hdf5';
export const DEMOS_MANIFEST_PATH = 'manifest.json';

/** A file of the LeRobot dataset, by its path under the LeRobot root, as a path under `<out>/`. */
export const demosLeRobotPath = (path: string) => `${DEMOS_LEROBOT_DIR}/${path}`;

/**
 * The robot profile a demos or eval job brings (Node serves it as the input "robot"). Apart from
 * pageJob.ts so the generate page does not load the robot and physics modules it never uses.
 */
import { readRobotProfileFile, type RobotProfileFile } from '../engine/tasks/episode.ts';
import { fetchInput } from './pageJob.ts';

/** The robot profile Node sent as the input "robot" (its file name in the request), or null without one. */
export async function fetchRobotProfile(file: string | null): Promise<RobotProfileFile | null> {
  return file ? readRobotProfileFile(new TextDecoder().decode(await fetchInput('robot')), file) : null;
}

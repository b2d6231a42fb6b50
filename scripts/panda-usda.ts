/**
 * Writes scenes/panda_tabletop.usda: a 7-DoF arm with the Franka Emika Panda's published
 * kinematics (modified DH, src/engine/robot/pandaDh.ts) and joint limits, built from primitive
 * shapes, with a parallel two-finger gripper, a wrist camera and a scene camera, mounted on a
 * table with three coloured cubes. Run: npx tsx scripts/panda-usda.ts. A unit test fails when the
 * committed file differs from what this produces, so edit this script, not the .usda.
 *
 * Authored as Isaac Sim writes robots: Z-up, metres, kilograms; links are sibling rigid bodies
 * posed in the home configuration, joints are UsdPhysics joints whose frames follow the DH table
 * (joint i turns about its own +Z), drives are PhysicsDriveAPI:angular / :linear.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildPandaTabletopUsda } from '../src/engine/robot/pandaUsda.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const text = buildPandaTabletopUsda();
writeFileSync(`${root}scenes/panda_tabletop.usda`, text);
console.log(`scenes/panda_tabletop.usda: ${text.length} characters`);

/**
 * The page `simloop demos` opens in headless Chromium (demos.html) when camera streams are
 * recorded: the same demonstration runner as in Node (src/engine/tasks/demos.ts), with the robot's
 * cameras rendered by three.js (WebGL) and encoded by WebCodecs into MP4. Node serves the task and
 * scene and owns the output directory (src/cli/headlessJob.ts; this side is src/pages/pageJob.ts).
 */
import { loadSceneFile } from '../engine/load.ts';
import type { ActionNoise } from '../engine/tasks/experts.ts';
import { type DemoCamera, type DemoFormat, type DemoProgress, type DemoSummary, runDemos } from '../engine/tasks/demos.ts';
import { parseTaskSpec } from '../engine/tasks/spec.ts';
import type { DemosPageRequest } from '../protocol/pages.ts';
import { CameraStack } from '../browser/cameraStack.ts';
import { fetchInput, outputSink, runPageJob } from './pageJob.ts';
import { fetchRobotProfile } from './robotInput.ts';

runPageJob<DemosPageRequest, DemoProgress, DemoSummary>(async (request, onProgress) => {
  const parsed = parseTaskSpec(new TextDecoder().decode(await fetchInput('task')), request.taskFile);
  const task = request.fps ? { ...parsed, control_hz: request.fps } : parsed;
  const scene = (await loadSceneFile(await fetchInput('scene'), request.sceneFile)).document;
  const robot = await fetchRobotProfile(request.robotFile);
  const first = request.cameras[0];
  if (!first) throw new Error('demos page: no cameras to record');
  const stack = new CameraStack(first.width, first.height);
  try {
    return await runDemos(
      {
        task,
        scene,
        episodes: request.episodes,
        firstEpisode: request.firstEpisode,
        seed: request.seed,
        formats: request.formats,
        ...(request.noise ? { noise: request.noise } : {}),
        ...(robot ? { robot } : {}),
        cameras: await stack.demoCameras(request.cameras),
      },
      outputSink(),
      onProgress,
    );
  } finally {
    stack.dispose();
  }
});

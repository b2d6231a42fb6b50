/**
 * The robot's cameras in a browser context (a page or a worker), assembled in one place for the
 * demos page, the eval page and the simulation worker (teleoperation and policy runs): a
 * FrameRenderer on an OffscreenCanvas of the cameras' size, a RobotCameraRig per episode over it,
 * and the video codec WebCodecs encodes with here (AV1 where it can, else H.264: videoTrack.ts),
 * chosen on first use.
 */
import { FrameRenderer } from '../engine/render/frameRenderer.ts';
import { RobotCameraRig } from '../engine/robot/cameraRig.ts';
import type { DemoCamera, DemoCameras, VideoCodec } from '../engine/tasks/demos.ts';
import type { Episode } from '../engine/tasks/episode.ts';
import { browserVideoCodec, pickVideoCodec } from './videoTrack.ts';

export class CameraStack {
  readonly renderer: FrameRenderer;
  private codec: Promise<VideoCodec> | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.renderer = new FrameRenderer(new OffscreenCanvas(width, height), width, height);
  }

  /** True when this stack renders at `width` × `height` (a stack is kept while the size stays). */
  fits(width: number, height: number): boolean {
    return this.width === width && this.height === height;
  }

  /** The rig that renders `cameras` (scene and robot cameras) of one episode's scene. */
  rig(episode: Episode, cameras: readonly DemoCamera[]): RobotCameraRig {
    return new RobotCameraRig(this.renderer, episode.doc, episode.world, [...cameras]);
  }

  /** The codec episodes' videos are encoded with (throws where the browser can encode neither). */
  video(): Promise<VideoCodec> {
    this.codec ??= pickVideoCodec(this.width, this.height).then(browserVideoCodec);
    return this.codec;
  }

  /** What a demonstration run records with: these cameras, rigs from this stack, its codec. */
  async demoCameras(cameras: readonly DemoCamera[]): Promise<DemoCameras> {
    return { cameras: [...cameras], rig: (episode) => this.rig(episode, cameras), video: await this.video() };
  }

  dispose(): void {
    this.renderer.dispose();
  }
}

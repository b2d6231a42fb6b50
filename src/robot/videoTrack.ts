/**
 * Camera streams as MP4, in the browser: frames (RGBA8, top row first) are encoded with WebCodecs
 * (AV1, or H.264 where AV1 cannot be encoded) and muxed with mediabunny, one file per camera per
 * LeRobot video file. Key frames every 2 frames (LeRobot's `g=2`) and at the start of every episode,
 * so an episode's frames decode from its own first frame. The encoder converts to yuv420p.
 */
import { BufferTarget, canEncodeVideo, Mp4OutputFormat, Output, QUALITY_HIGH, VideoSample, VideoSampleSource } from 'mediabunny';
import { atEpoch } from '../engine/dataset/epochClock.ts';
import type { VideoTrackWriter } from '../engine/tasks/demos.ts';

export type VideoCodecName = 'av1' | 'avc';

/** The codec LeRobot prefers (AV1) when this browser can encode it at this size, else H.264. */
export async function pickVideoCodec(width: number, height: number): Promise<VideoCodecName> {
  if (await canEncodeVideo('av1', { width, height })) return 'av1';
  if (await canEncodeVideo('avc', { width, height })) return 'avc';
  throw new Error(`this browser can encode neither AV1 nor H.264 video at ${width}×${height} (WebCodecs)`);
}

/** LeRobot's name for the codec in info.json. */
export const lerobotCodecName = (codec: VideoCodecName) => (codec === 'av1' ? 'av1' : 'h264');

/** One MP4 video track being written. */
export async function mp4VideoTrack(width: number, height: number, fps: number, codec: VideoCodecName): Promise<VideoTrackWriter> {
  const target = new BufferTarget();
  // The muxer stamps its creation time into the file: made at the epoch for identical bytes.
  const output = atEpoch(() => new Output({ format: new Mp4OutputFormat({ fastStart: 'in-memory' }), target }));
  let encodedBytes = 0;
  // Key frames are chosen per frame in add(); the interval here only keeps the encoder from adding its own.
  const source = new VideoSampleSource({ codec, bitrate: QUALITY_HIGH, keyFrameInterval: 1e6, onEncodedPacket: (packet) => void (encodedBytes += packet.byteLength) });
  output.addVideoTrack(source, { frameRate: fps });
  await output.start();
  let frames = 0;
  return {
    codec: lerobotCodecName(codec),
    async add(rgba, keyFrame) {
      if (rgba.length !== width * height * 4) throw new RangeError(`video frame: ${rgba.length} bytes for ${width}×${height} RGBA`);
      const sample = new VideoSample(rgba as Uint8Array<ArrayBuffer>, { format: 'RGBA', codedWidth: width, codedHeight: height, timestamp: frames / fps, duration: 1 / fps });
      try {
        // LeRobot's g=2: a key frame every second frame of the file, and at every episode start.
        await source.add(sample, { keyFrame: keyFrame || frames % 2 === 0 });
      } finally {
        sample.close();
      }
      frames++;
    },
    get frames() {
      return frames;
    },
    get encodedBytes() {
      return encodedBytes;
    },
    async finish() {
      await output.finalize();
      return new Uint8Array(target.buffer!);
    },
  };
}

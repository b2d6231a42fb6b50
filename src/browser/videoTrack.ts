/**
 * Camera streams as MP4, in the browser. Each episode's frames (RGBA8, top row first) are encoded
 * on their own with WebCodecs (AV1, or H.264 where AV1 cannot be encoded) — a key frame every 2
 * frames (LeRobot's `g=2`), the first one included — and kept as encoded packets; a LeRobot video
 * file is then muxed by mediabunny from its episodes' packets, time-shifted one after another
 * (engine/dataset/mp4.ts, which `simloop merge` also uses).
 * Muxing is cheap, so the file can be written again after every episode (finished episodes stay
 * readable if a later one fails) without encoding anything twice. The encoder converts to yuv420p.
 */
import { canEncodeVideo, QUALITY_HIGH, VideoSample, VideoSampleSource } from 'mediabunny';
import { type EpisodePackets, mp4Output, muxEpisodes } from '../engine/dataset/mp4.ts';
import type { EncodedEpisode, VideoCodec } from '../engine/tasks/demos.ts';

export type VideoCodecName = 'av1' | 'avc';

/** The codec LeRobot prefers (AV1) when this browser can encode it at this size, else H.264. */
export async function pickVideoCodec(width: number, height: number): Promise<VideoCodecName> {
  if (await canEncodeVideo('av1', { width, height })) return 'av1';
  if (await canEncodeVideo('avc', { width, height })) return 'avc';
  throw new Error(`this browser can encode neither AV1 nor H.264 video at ${width}×${height} (WebCodecs)`);
}

/** LeRobot's name for the codec in info.json. */
export const lerobotCodecName = (codec: VideoCodecName) => (codec === 'av1' ? 'av1' : 'h264');

/** Encodes one episode's frames; its packets are muxed into files by `muxEpisodes`. */
async function encodeEpisode(frames: readonly Uint8Array[], width: number, height: number, fps: number, codec: VideoCodecName): Promise<EncodedEpisode> {
  const encoded: EpisodePackets = { packets: [], decoderConfig: undefined };
  const { output } = mp4Output();
  const source = new VideoSampleSource({
    codec,
    bitrate: QUALITY_HIGH,
    // Key frames are chosen per frame below; this only keeps the encoder from adding its own.
    keyFrameInterval: 1e6,
    onEncodedPacket: (packet, meta) => {
      encoded.packets.push(packet);
      encoded.decoderConfig ??= meta?.decoderConfig;
    },
  });
  output.addVideoTrack(source, { frameRate: fps });
  await output.start();
  for (let t = 0; t < frames.length; t++) {
    const rgba = frames[t]!;
    if (rgba.length !== width * height * 4) throw new RangeError(`video frame ${t}: ${rgba.length} bytes for ${width}×${height} RGBA`);
    const sample = new VideoSample(rgba as Uint8Array<ArrayBuffer>, { format: 'RGBA', codedWidth: width, codedHeight: height, timestamp: t / fps, duration: 1 / fps });
    try {
      // LeRobot's g=2: a key frame every second frame, starting with the episode's first.
      await source.add(sample, { keyFrame: t % 2 === 0 });
    } finally {
      sample.close();
    }
  }
  await output.finalize();
  return { frames: frames.length, bytes: encoded.packets.reduce((n, p) => n + p.byteLength, 0), data: encoded };
}

/** The `DemoCameras.video` implementation for a codec. */
export function browserVideoCodec(codec: VideoCodecName): VideoCodec {
  return {
    name: lerobotCodecName(codec),
    encode: (frames, width, height, fps) => encodeEpisode(frames, width, height, fps, codec),
    mux: (episodes, fps) => muxEpisodes(episodes, fps, codec),
  };
}

/**
 * LeRobot video files as MP4, packet level (no encoding or decoding, so it runs the same in Node
 * and in any browser context): a file muxed from episodes' encoded packets played back to back, and
 * a file split back into its episodes' packets. The encoder is the browser's (src/browser/videoTrack.ts);
 * `simloop merge` uses both halves here to join demonstration shards without re-encoding, so the
 * merged files hold exactly the packets a single run would have written.
 */
import { ALL_FORMATS, BufferSource, BufferTarget, EncodedPacket, EncodedPacketSink, EncodedVideoPacketSource, Input, Mp4OutputFormat, Output } from 'mediabunny';
import { atEpoch } from './epochClock.ts';
import type { EncodedEpisode } from '../tasks/demos.ts';

/** mediabunny's codec names for the two codecs LeRobot records ("av1", "h264" in info.json). */
export type Mp4VideoCodec = 'av1' | 'avc';

/** What an EncodedEpisode's `data` holds: its packets (timestamps from 0) and the decoder's configuration. */
export interface EpisodePackets {
  packets: EncodedPacket[];
  decoderConfig: VideoDecoderConfig | undefined;
}

/** A new MP4 output in memory. The muxer stamps its creation time: made at the epoch for identical bytes. */
export function mp4Output(): { output: Output; target: BufferTarget } {
  const target = new BufferTarget();
  const output = atEpoch(() => new Output({ format: new Mp4OutputFormat({ fastStart: 'in-memory' }), target }));
  return { output, target };
}

/** LeRobot's info.json codec name → mediabunny's. */
export function mp4Codec(lerobotName: string): Mp4VideoCodec {
  if (lerobotName === 'av1') return 'av1';
  if (lerobotName === 'h264') return 'avc';
  throw new RangeError(`video codec "${lerobotName}": expected av1 or h264`);
}

/** One MP4 file of episodes played back to back (each episode's packets shifted to its start). */
export async function muxEpisodes(episodes: readonly EncodedEpisode[], fps: number, codec: Mp4VideoCodec): Promise<Uint8Array> {
  const { output, target } = mp4Output();
  const source = new EncodedVideoPacketSource(codec);
  output.addVideoTrack(source, { frameRate: fps });
  await output.start();
  let frames = 0;
  let first = true;
  for (const episode of episodes) {
    const { packets, decoderConfig } = episode.data as EpisodePackets;
    const offset = frames / fps;
    for (const p of packets) {
      await source.add(new EncodedPacket(p.data, p.type, p.timestamp + offset, p.duration), first && decoderConfig ? { decoderConfig } : undefined);
      first = false;
    }
    frames += episode.frames;
  }
  await output.finalize();
  return new Uint8Array(target.buffer!);
}

/**
 * The episodes of one MP4 file written by `muxEpisodes`, given each one's number of frames in
 * order: every packet goes to the episode whose frames it shows (by its timestamp at `fps`), with
 * its timestamp made relative to that episode's start again. Throws if the file's frames do not
 * add up to the episodes'.
 */
export async function splitEpisodes(file: Uint8Array, frameCounts: readonly number[], fps: number, where: string): Promise<EncodedEpisode[]> {
  const input = new Input({ source: new BufferSource(file), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new RangeError(`${where}: no video track`);
    const decoderConfig = (await track.getDecoderConfig()) ?? undefined;
    const sink = new EncodedPacketSink(track);
    const starts: number[] = [];
    let total = 0;
    for (const n of frameCounts) {
      starts.push(total);
      total += n;
    }
    const episodes: EpisodePackets[] = frameCounts.map(() => ({ packets: [], decoderConfig }));
    let count = 0;
    for await (const packet of sink.packets()) {
      const frame = Math.round(packet.timestamp * fps);
      // The last episode starting at or before this frame.
      let k = starts.length - 1;
      while (k > 0 && starts[k]! > frame) k--;
      if (frame < 0 || frame >= total) throw new RangeError(`${where}: a packet at ${packet.timestamp.toFixed(4)} s lies outside the episodes' ${total} frames`);
      // As the encoder stamped it (WebCodecs counts whole microseconds), so muxing again shifts exactly the same numbers.
      const micro = (seconds: number) => Math.round(seconds * 1e6) / 1e6;
      episodes[k]!.packets.push(new EncodedPacket(packet.data, packet.type, micro((frame - starts[k]!) / fps), micro(1 / fps)));
      count++;
    }
    if (count !== total) throw new RangeError(`${where}: ${count} video frames, but its episodes have ${total}`);
    return episodes.map((e, k) => ({ frames: frameCounts[k]!, bytes: e.packets.reduce((n, p) => n + p.byteLength, 0), data: e }));
  } finally {
    input.dispose();
  }
}

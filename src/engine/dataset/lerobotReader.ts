/**
 * A LeRobot v3.0 dataset read back (the reader beside lerobot.ts, its writer): from a zip, a
 * folder or any map of its files — its info, the episodes with their instructions, frame ranges
 * and video spans, and one episode's states and actions. Parquet is read with hyparquet. Pure
 * functions over bytes: the studio's episode viewer and the tests use it.
 */
import { parquetReadObjects } from 'hyparquet';
import { DEMOS_EPISODES_PATH, DEMOS_LEROBOT_DIR } from './demosLayout.ts';
import { fillPath } from './pathTemplate.ts';

export interface DatasetEpisode {
  index: number;
  instruction: string;
  length: number;
  from: number;
  /** Per camera key (e.g. observation.images.wrist): the video file and the span in it (seconds). */
  videos: Record<string, { path: string; from: number; to: number }>;
  /** From episodes.jsonl when present. */
  success: boolean | null;
}

export interface OpenedDataset {
  fps: number;
  stateNames: string[];
  actionNames: string[];
  cameras: string[];
  episodes: DatasetEpisode[];
  /** The file bytes by path relative to the LeRobot root. */
  files: Map<string, Uint8Array>;
}

export interface EpisodeSeries {
  state: number[][];
  action: number[][];
}

const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : Number(v));
const buffer = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/**
 * The dataset in `files` (paths as in a `simloop demos` output or a studio export: a `lerobot/`
 * folder next to episodes.jsonl, or the LeRobot root itself). Throws with the missing file named.
 */
export async function openDataset(all: Map<string, Uint8Array>): Promise<OpenedDataset> {
  const prefix = [...all.keys()].find((p) => p.endsWith('meta/info.json'))?.slice(0, -'meta/info.json'.length);
  if (prefix === undefined) throw new Error('not a LeRobot dataset: no meta/info.json');
  const files = new Map([...all].filter(([p]) => p.startsWith(prefix)).map(([p, b]) => [p.slice(prefix.length), b]));
  const info = JSON.parse(new TextDecoder().decode(files.get('meta/info.json')));
  if (info.codebase_version !== 'v3.0') throw new Error(`meta/info.json: codebase_version ${info.codebase_version}, expected v3.0`);
  const cameras = Object.entries(info.features as Record<string, { dtype: string }>)
    .filter(([, f]) => f.dtype === 'video')
    .map(([k]) => k);
  const episodeFiles = [...files.keys()].filter((p) => p.startsWith('meta/episodes/') && p.endsWith('.parquet')).sort();
  if (!episodeFiles.length) throw new Error('not a LeRobot dataset: no meta/episodes/*.parquet');
  const rows = (await Promise.all(episodeFiles.map((p) => parquetReadObjects({ file: buffer(files.get(p)!) })))).flat();
  // Successes from episodes.jsonl beside the lerobot folder, when there is one.
  const jsonl = all.get(`${prefix.endsWith(`${DEMOS_LEROBOT_DIR}/`) ? prefix.slice(0, -DEMOS_LEROBOT_DIR.length - 1) : prefix}${DEMOS_EPISODES_PATH}`);
  const success = new Map<number, boolean>(
    jsonl
      ? new TextDecoder()
          .decode(jsonl)
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const o = JSON.parse(l) as { episode: number; success: boolean };
            return [o.episode, o.success];
          })
      : [],
  );
  const episodes: DatasetEpisode[] = rows
    .map((r) => {
      const index = num(r['episode_index']);
      const videos: DatasetEpisode['videos'] = {};
      for (const key of cameras) {
        const path = fillPath(info.video_path, { video_key: key, chunk_index: num(r[`videos/${key}/chunk_index`]), file_index: num(r[`videos/${key}/file_index`]) });
        videos[key] = { path, from: num(r[`videos/${key}/from_timestamp`]), to: num(r[`videos/${key}/to_timestamp`]) };
      }
      return { index, instruction: String((r['tasks'] as string[])[0] ?? ''), length: num(r['length']), from: num(r['dataset_from_index']), videos, success: success.get(index) ?? null };
    })
    .sort((a, b) => a.index - b.index);
  return { fps: info.fps, stateNames: info.features['observation.state'].names, actionNames: info.features.action.names, cameras, episodes, files };
}

/** One episode's states and actions, frame by frame. */
export async function episodeSeries(dataset: OpenedDataset, episode: DatasetEpisode): Promise<EpisodeSeries> {
  const state: number[][] = [];
  const action: number[][] = [];
  for (const path of [...dataset.files.keys()].filter((p) => p.startsWith('data/') && p.endsWith('.parquet')).sort()) {
    const rows = await parquetReadObjects({ file: buffer(dataset.files.get(path)!), columns: ['observation.state', 'action', 'episode_index', 'frame_index'] });
    for (const r of rows) {
      if (num(r['episode_index']) !== episode.index) continue;
      const t = num(r['frame_index']);
      state[t] = Array.from(r['observation.state'] as number[], Number);
      action[t] = Array.from(r['action'] as number[], Number);
    }
  }
  if (state.length !== episode.length) throw new Error(`episode ${episode.index}: ${state.length} frames in the data files, ${episode.length} in its metadata`);
  return { state, action };
}

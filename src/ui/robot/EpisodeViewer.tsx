/**
 * The episode viewer: open a demonstration dataset (a zip of `simloop demos` output or of a Robot
 * tab export), pick an episode, and see its camera videos beside its state and action plots, all
 * at the same frame: the slider (or Play) moves one cursor, and every video seeks to that frame.
 */
import { unzipSync } from 'fflate';
import { useEffect, useMemo, useRef, useState, type ChangeEvent } from 'react';
import { describeError } from '../../engine/errors.ts';
import { type DatasetEpisode, type EpisodeSeries, type OpenedDataset, episodeSeries, openDataset } from '../../engine/dataset/lerobotReader.ts';
import { plotLines } from '../../engine/report/plot.ts';

const PLOT = { width: 280, height: 90 };
const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#469990'];

function Plot({ title, rows, names, frame }: { title: string; rows: number[][]; names: string[]; frame: number }) {
  const lines = useMemo(() => plotLines(rows, PLOT.width, PLOT.height), [rows]);
  const x = rows.length > 1 ? (frame / (rows.length - 1)) * PLOT.width : 0;
  return (
    <figure className="episode-plot">
      <figcaption>{title}</figcaption>
      <svg width={PLOT.width} height={PLOT.height} role="img" aria-label={`${title} over the episode`} data-testid={`plot-${title}`}>
        {lines.map((points, j) => (
          <polyline key={names[j] ?? j} points={points} fill="none" stroke={COLOURS[j % COLOURS.length]} strokeWidth={1.2}>
            <title>{names[j]}</title>
          </polyline>
        ))}
        <line x1={x} x2={x} y1={0} y2={PLOT.height} stroke="#fff" strokeWidth={1} data-testid={`cursor-${title}`} />
      </svg>
    </figure>
  );
}

function Video({ dataset, episode, camera, frame }: { dataset: OpenedDataset; episode: DatasetEpisode; camera: string; frame: number }) {
  const span = episode.videos[camera]!;
  const url = useMemo(() => {
    const bytes = dataset.files.get(span.path);
    return bytes ? URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'video/mp4' })) : null;
  }, [dataset, span.path]);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    // The middle of the frame's interval, so a decoder rounding either way lands on it.
    if (video.current) video.current.currentTime = span.from + (frame + 0.5) / dataset.fps;
  }, [frame, span.from, dataset.fps, url]);
  if (!url) return <p>{span.path} is not in the dataset</p>;
  return (
    <figure className="episode-video">
      <figcaption>{camera.replace('observation.images.', '')}</figcaption>
      <video ref={video} src={url} muted playsInline preload="auto" data-testid={`video-${camera}`} />
    </figure>
  );
}

export function EpisodeViewer({ onError }: { onError: (text: string) => void }) {
  const [dataset, setDataset] = useState<OpenedDataset | null>(null);
  const [episode, setEpisode] = useState<DatasetEpisode | null>(null);
  const [series, setSeries] = useState<EpisodeSeries | null>(null);
  const [frame, setFrame] = useState(0);
  const [playing, setPlaying] = useState(false);

  const open = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    try {
      const files = unzipSync(new Uint8Array(await file.arrayBuffer()));
      const opened = await openDataset(new Map(Object.entries(files)));
      setDataset(opened);
      setEpisode(null);
      setSeries(null);
    } catch (error) {
      onError(`${file.name}: ${describeError(error)}`);
    }
  };

  const pick = async (index: number) => {
    if (!dataset) return;
    const e = dataset.episodes.find((x) => x.index === index) ?? null;
    setEpisode(e);
    setFrame(0);
    setPlaying(false);
    try {
      setSeries(e ? await episodeSeries(dataset, e) : null);
    } catch (error) {
      onError(describeError(error));
    }
  };

  useEffect(() => {
    if (!playing || !episode || !dataset) return;
    const timer = setInterval(() => setFrame((f) => (f + 1 < episode.length ? f + 1 : (setPlaying(false), f))), 1000 / dataset.fps);
    return () => clearInterval(timer);
  }, [playing, episode, dataset]);

  return (
    <section className="episode-viewer" aria-label="Episode viewer" data-testid="episode-viewer">
      <label>
        Open a demonstrations zip <input type="file" accept=".zip,application/zip" aria-label="Open demonstrations zip" data-testid="episode-open" onChange={(e) => void open(e)} />
      </label>
      {dataset && (
        <label>
          Episode{' '}
          <select aria-label="Dataset episode" value={episode?.index ?? ''} onChange={(e) => void pick(Number(e.target.value))}>
            <option value="" disabled>
              {dataset.episodes.length} episodes
            </option>
            {dataset.episodes.map((e) => (
              <option key={e.index} value={e.index}>
                {e.index}: {e.instruction} ({e.length} frames{e.success === null ? '' : e.success ? ', success' : ', failure'})
              </option>
            ))}
          </select>
        </label>
      )}
      {dataset && episode && series && (
        <div className="episode-view">
          <div className="episode-videos">
            {dataset.cameras.map((c) => (
              <Video key={c} dataset={dataset} episode={episode} camera={c} frame={frame} />
            ))}
          </div>
          <div className="episode-plots">
            <Plot title="state" rows={series.state} names={dataset.stateNames} frame={frame} />
            <Plot title="action" rows={series.action} names={dataset.actionNames} frame={frame} />
          </div>
          <div className="episode-scrub">
            <button type="button" data-testid="episode-play" onClick={() => setPlaying((p) => !p)}>
              {playing ? 'Pause' : 'Play'}
            </button>
            <input type="range" aria-label="Frame" min={0} max={episode.length - 1} value={frame} data-testid="episode-frame" onChange={(e) => setFrame(Number(e.target.value))} />
            <span data-testid="episode-frame-label">
              frame {frame} / {episode.length - 1} · {(frame / dataset.fps).toFixed(2)} s
            </span>
          </div>
        </div>
      )}
    </section>
  );
}

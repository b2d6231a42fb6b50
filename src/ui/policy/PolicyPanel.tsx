/**
 * The Policy tab: open a policy (bundled, URL, files) or connect to a policy server, run it live on
 * a task episode (what it sees, its actions and the robot state plotted, inference latency — a
 * served policy's round trip beside the server's own time — and the control rate), and
 * evaluate it over many episodes (progress, success rate with its 95% Wilson interval, where it
 * fails by randomized factor, every episode with its video, failures first; two runs compared,
 * paired on shared episodes when they can be, with a release verdict).
 */
import { useEffect, useMemo, useRef, useState, type ChangeEvent } from 'react';
import type { RgbaImage } from '../../engine/policy/image.ts';
import { describeFailures, OUTCOME_WORDS } from '../../engine/tasks/outcome.ts';
import { plotLines } from '../../engine/report/plot.ts';
import { TaskSelect } from '../robot/TaskSelect.tsx';
import { FactorChart } from './FactorChart.tsx';
import { percent as pct } from './factorChart.ts';
import {
  COMPARE_MARGIN,
  comparison,
  comparisonTest,
  describeServerMetadata,
  differenceText,
  errorHeadline,
  failuresFirst,
  formatMs as ms,
  latencyRows,
  type OpenPolicy,
  OPTIONAL_RANDOMIZATIONS,
  outcomeText,
  type EvalRun,
  type LiveEpisode,
  timingText,
  verdictMeaning,
  type UntilChoice,
} from './policyStudio.ts';
import { usePolicy, usePolicyActions } from './store.ts';

const PLOT = { width: 280, height: 80 };
const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#469990'];

/** Columns of `rows` over the episode; `legend` names them (in their colours) when given. */
function LivePlot({ title, rows, caption, legend }: { title: string; rows: number[][]; caption?: string; legend?: string[] }) {
  const lines = useMemo(() => plotLines(rows, PLOT.width, PLOT.height), [rows]);
  return (
    <figure className="episode-plot">
      <figcaption>
        {caption ?? title}
        {legend?.map((name, j) => (
          <span key={name} className="plot-legend" style={{ color: COLOURS[j % COLOURS.length] }}>
            {' '}
            ■ {name}
          </span>
        ))}
      </figcaption>
      <svg width={PLOT.width} height={PLOT.height} role="img" aria-label={`${title} over the episode`} data-testid={`policy-plot-${title}`}>
        {lines.map((points, j) => (
          <polyline key={j} points={points} fill="none" stroke={COLOURS[j % COLOURS.length]} strokeWidth={1.2} />
        ))}
      </svg>
    </figure>
  );
}

/** An RGBA image drawn into a canvas, scaled up without smoothing. */
function View({ name, image }: { name: string; image: RgbaImage }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data as Uint8Array), image.width, image.height), 0, 0);
  }, [image]);
  return (
    <figure className="policy-view">
      <figcaption>
        {name} ({image.width}×{image.height})
      </figcaption>
      <canvas ref={canvas} width={image.width} height={image.height} aria-label={`What the policy sees: ${name} camera`} data-testid={`policy-view-${name}`} />
    </figure>
  );
}

/** Inference latency per request: one line, or a served policy's round trip and the server's own time. */
function LatencyPlot({ live }: { live: LiveEpisode }) {
  const rows = useMemo(() => latencyRows(live), [live.latencies, live.serverLatencies]);
  const values = rows.flat();
  const range = values.length ? ` ${ms(Math.min(...values))} – ${ms(Math.max(...values))}` : '';
  const legend = rows[0]?.length === 2 ? ['round trip', 'server'] : [live.served ? 'round trip' : 'inference'];
  return <LivePlot title="latency" caption={`latency${range}`} rows={rows} legend={legend} />;
}

function Live({ live }: { live: LiveEpisode }) {
  const error = live.result?.error ?? null;
  const outcome = outcomeText(live);
  return (
    <div className="policy-live" aria-live="polite">
      <p data-testid="policy-instruction">
        Told: “{live.instruction}”{live.instruction !== live.target && <> · the episode's target: “{live.target}”</>}
      </p>
      <p data-testid="policy-steps">
        Episode {live.index} · step {live.steps} of {live.maxSteps} · <strong data-testid="policy-outcome" title={error ?? undefined}>
          {outcome}
        </strong>
      </p>
      <p data-testid="policy-timing">{timingText(live)}</p>
      <div className="policy-views">
        {Object.entries(live.views).map(([name, image]) => (
          <View key={name} name={name} image={image} />
        ))}
      </div>
      <LivePlot title="action" rows={live.actions} />
      <LivePlot title="state" rows={live.states} />
      <LatencyPlot live={live} />
    </div>
  );
}

function RunTable({ run }: { run: EvalRun }) {
  const { summary } = run;
  return (
    <details className="policy-run" open data-testid={`policy-run-${run.id}`}>
      <summary>{run.label}</summary>
      <p data-testid="policy-run-summary">
        {summary.successes} of {summary.episodes} succeeded: <strong>{pct(summary.success_rate)}</strong> (95% CI {pct(summary.ci95[0])}–{pct(summary.ci95[1])}) · mean {summary.mean_steps.toFixed(1)} steps · inference p50 {ms(summary.inference_ms.p50)}, p95 {ms(summary.inference_ms.p95)} on {summary.ep}
        {summary.server_ms && <> (server p50 {ms(summary.server_ms.p50)})</>}
        {summary.errored > 0 && <> · {summary.errored} errored</>}
      </p>
      {summary.successes < summary.episodes && (
        <p className="policy-outcomes" data-testid="policy-outcomes">
          Failures: {describeFailures(summary.outcomes).join(' · ')}
        </p>
      )}
      {run.until && (
        <p className="policy-until" data-testid="policy-run-until">
          {run.until.stop ? `Stopped after ${summary.episodes} episodes` : `Ran all ${summary.episodes} episodes`}
          {run.until.baseline ? ` (against ${run.until.baseline})` : ''}: {run.until.reason}
        </p>
      )}
      <FactorChart summary={summary} />
      <table className="policy-episodes">
        <thead>
          <tr>
            <th scope="col">episode</th>
            <th scope="col">result</th>
            <th scope="col">steps</th>
            <th scope="col">time</th>
            <th scope="col">video</th>
          </tr>
        </thead>
        <tbody>
          {failuresFirst(run.episodes).map((e) => (
            <tr key={e.index} data-testid="policy-episode-row">
              <td>{e.index}</td>
              <td title={e.instruction}>{e.success ? 'success' : e.error ? `errored (${errorHeadline(e.error)})` : `failure: ${OUTCOME_WORDS[e.outcome]}`}</td>
              <td>{e.steps}</td>
              <td>{e.seconds.toFixed(1)} s</td>
              <td>{e.videoUrl ? <video src={e.videoUrl} controls muted playsInline preload="metadata" className="policy-video" aria-label={`episode ${e.index} video`} /> : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** The two runs side by side, how they were compared, the difference and the verdict. */
function ComparisonTable({ baseline, candidate, result: c }: NonNullable<ReturnType<typeof comparison>>) {
  const side = (s: typeof c.baseline) => (
    <>
      {s.successes}/{s.episodes} = {pct(s.success_rate)} (95% CI {pct(s.ci95[0])}–{pct(s.ci95[1])})
    </>
  );
  return (
    <table data-testid="policy-compare">
      <tbody>
        <tr>
          <th scope="row">baseline</th>
          <td>
            {baseline.label}: {side(c.baseline)}
          </td>
        </tr>
        <tr>
          <th scope="row">candidate</th>
          <td>
            {candidate.label}: {side(c.candidate)}
          </td>
        </tr>
        <tr>
          <th scope="row">test</th>
          <td>
            <span className="badge compare-kind" data-testid="policy-compare-kind">
              {c.kind}
            </span>{' '}
            <span data-testid="policy-compare-test">{comparisonTest(c)}</span>
            {c.kind === 'paired' && <> · the rates above are over the shared episodes</>}
          </td>
        </tr>
        <tr>
          <th scope="row">candidate − baseline</th>
          <td data-testid="policy-compare-difference">{differenceText(c)} (Newcombe)</td>
        </tr>
        <tr>
          <th scope="row">verdict</th>
          <td>
            <span className={`badge verdict verdict-${c.verdict}`} data-testid="policy-compare-verdict">
              {c.verdict}
            </span>{' '}
            {verdictMeaning(c)} · margin ±{Math.round(100 * COMPARE_MARGIN)} points
          </td>
        </tr>
      </tbody>
    </table>
  );
}

function Compare() {
  const policy = usePolicyActions();
  const runs = usePolicy((s) => s.runs);
  const compare = usePolicy((s) => s.compare);
  const result = comparison(runs, compare);
  if (runs.length < 2) return null;
  const select = (slot: 0 | 1) => (
    <select aria-label={`Compare run ${slot === 0 ? 'A' : 'B'}`} value={compare[slot] ?? ''} onChange={(e) => policy.setCompare(slot, e.target.value ? Number(e.target.value) : null)}>
      <option value="">–</option>
      {runs.map((r) => (
        <option key={r.id} value={r.id}>
          {r.label}
        </option>
      ))}
    </select>
  );
  return (
    <section className="policy-compare" aria-label="Compare two runs">
      <h3>Compare</h3>
      <p>
        A {select(0)} B {select(1)} <span className="robot-note">(the earlier run is the baseline)</span>
      </p>
      {result && <ComparisonTable {...result} />}
    </section>
  );
}

function Evaluate() {
  const policy = usePolicyActions();
  const form = usePolicy((s) => s.evalForm);
  const progress = usePolicy((s) => s.progress);
  const running = usePolicy((s) => s.running);
  const open = usePolicy((s) => s.policy !== null);
  const runs = usePolicy((s) => s.runs);
  const elapsed = progress ? (performance.now() - progress.startedAt) / 1000 : 0;
  const eta = progress && progress.done > 0 ? (elapsed / progress.done) * (progress.total - progress.done) : null;
  return (
    <section className="policy-eval" aria-label="Evaluation">
      <h3>Evaluate</h3>
      <fieldset disabled={running !== null || !open}>
        <label>
          Episodes <input aria-label="Evaluation episodes" type="number" min={1} value={form.episodes} onChange={(e) => policy.setEvalForm({ episodes: Math.trunc(Number(e.target.value) || 0) })} />
        </label>{' '}
        <label>
          Seed <input aria-label="Evaluation seed" type="number" value={form.seed} onChange={(e) => policy.setEvalForm({ seed: Math.trunc(Number(e.target.value) || 0) })} />
        </label>{' '}
        <label>
          Clock{' '}
          <select aria-label="Evaluation clock" value={form.clock} onChange={(e) => policy.setEvalForm({ clock: e.target.value as 'sim' | 'real' })}>
            <option value="sim">sim-time</option>
            <option value="real">real-time</option>
          </select>
        </label>{' '}
        <label>
          Instructions{' '}
          <select aria-label="Evaluation instructions" value={form.instructions} onChange={(e) => policy.setEvalForm({ instructions: e.target.value as 'given' | 'swapped' })}>
            <option value="given">as given</option>
            <option value="swapped">swapped (ablation)</option>
          </select>
        </label>{' '}
        <label>
          <input type="checkbox" checked={form.videos} onChange={(e) => policy.setEvalForm({ videos: e.target.checked })} /> videos
        </label>{' '}
        <label>
          Stop{' '}
          <select aria-label="Evaluation stops" value={form.until} onChange={(e) => policy.setEvalForm({ until: e.target.value as UntilChoice })}>
            <option value="episodes">after the episodes</option>
            <option value="ci-width">once the 95% interval is narrow</option>
            <option value="decided">once the comparison with the latest run is decided</option>
          </select>
        </label>
        {form.until === 'ci-width' && (
          <label>
            {' '}
            width <input aria-label="Evaluation interval width" type="number" min={0.01} max={1} step={0.05} value={form.width} onChange={(e) => policy.setEvalForm({ width: Number(e.target.value) || 0.3 })} />
          </label>
        )}
        <div className="policy-randomizations" role="group" aria-label="Randomizations that apply">
          Randomize:{' '}
          {OPTIONAL_RANDOMIZATIONS.map((group) => (
            <label key={group}>
              <input
                type="checkbox"
                checked={!form.randomizationsOff.includes(group)}
                onChange={(e) => policy.setEvalForm({ randomizationsOff: e.target.checked ? form.randomizationsOff.filter((g) => g !== group) : [...form.randomizationsOff, group] })}
              />{' '}
              {group}
            </label>
          ))}{' '}
          <span className="robot-note">(object placement and colours always apply)</span>
        </div>
        <button type="button" data-testid="policy-evaluate" onClick={() => void policy.evaluate()}>
          Evaluate
        </button>
      </fieldset>
      {progress && (
        <div className="policy-progress" data-testid="policy-progress">
          <progress max={progress.total} value={progress.done} aria-label="Evaluation progress" /> {progress.done} / {progress.total} · {progress.successes} succeeded
          {running === 'eval' && eta !== null && <> · about {Math.ceil(eta)} s left</>}
          {running === 'eval' && (
            <button type="button" onClick={() => void policy.stop()}>
              Stop
            </button>
          )}
        </div>
      )}
      {[...runs].reverse().map((run) => (
        <RunTable key={run.id} run={run} />
      ))}
      <Compare />
    </section>
  );
}

/** The open policy: where it runs (the worker's provider, or the server and what it said about itself) and what it sees and does. */
function PolicyInfo({ policy: open }: { policy: OpenPolicy }) {
  const { runner } = open;
  const io = (
    <>
      {open.space}
      {open.chunk !== null && <>, chunk {open.chunk}</>} at {open.hz} Hz · cameras {open.cameras.join(', ')} at {open.imageSize.join('×')}
    </>
  );
  if (runner.kind === 'server') {
    return (
      <p data-testid="policy-info">
        <strong>{open.name}</strong> on <strong data-testid="policy-provider">{runner.provider}</strong> · served by <span data-testid="policy-server">{runner.url}</span> · {io}
        <br />
        <span className="robot-note" data-testid="policy-server-metadata">
          Server: {describeServerMetadata(runner.metadata)}
        </span>
      </p>
    );
  }
  const { opened } = runner;
  return (
    <p data-testid="policy-info">
      <strong>{open.name}</strong> on <strong data-testid="policy-provider">{opened.provider}</strong>
      {opened.provider === 'wasm' && <> ({opened.threads} thread{opened.threads === 1 ? '' : 's'})</>} · {io}
      {opened.fallbacks.length > 0 && <> · fell back: {opened.fallbacks.join('; ')}</>}
    </p>
  );
}

export function PolicyPanel() {
  const policy = usePolicyActions();
  const state = usePolicy((s) => s);
  const { policy: open, busy, running, live } = state;
  const files = useRef<HTMLInputElement>(null);
  const [, tick] = useState(0);
  // Progress and ETA text refresh while an evaluation runs.
  useEffect(() => {
    if (running !== 'eval') return;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
  const pick = (e: ChangeEvent<HTMLInputElement>) => {
    const list = Array.from(e.target.files ?? []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    e.target.value = '';
    if (list.length) void policy.loadFiles(list);
  };
  return (
    <div className="robot-panel policy-panel" data-testid="policy-panel">
      <fieldset disabled={busy !== null || running !== null}>
        <div className="robot-buttons">
          <button type="button" data-testid="policy-load-bundled" onClick={() => void policy.loadBundled()}>
            Load bundled policy
          </button>
          <button type="button" onClick={() => files.current?.click()}>
            Open files…
          </button>
          <input ref={files} type="file" multiple hidden onChange={pick} data-testid="policy-files" aria-label="Policy files" />
          <label>
            on{' '}
            <select aria-label="Execution provider" value={state.provider} onChange={(e) => policy.setForm({ provider: e.target.value as 'auto' | 'webgpu' | 'wasm' })}>
              <option value="auto">WebGPU, else WASM</option>
              <option value="webgpu">WebGPU</option>
              <option value="wasm">WASM</option>
            </select>
          </label>
        </div>
        <div className="robot-buttons">
          <input aria-label="Policy URL" placeholder="https://…/policy.json" value={state.url} onChange={(e) => policy.setForm({ url: e.target.value })} />
          <button type="button" onClick={() => void policy.loadUrl(state.url)}>
            Load URL
          </button>
        </div>
        <form
          className="robot-buttons policy-server"
          onSubmit={(e) => {
            e.preventDefault();
            void policy.connect();
          }}
        >
          <input aria-label="Policy server URL" placeholder="ws://host:port" value={state.serverUrl} onChange={(e) => policy.setForm({ serverUrl: e.target.value })} />
          <button type="submit" data-testid="policy-connect" title="An openpi WebSocket policy server (training/serve_policy.py serves the bundled policy)">
            Connect to server
          </button>
        </form>
      </fieldset>
      {busy && <p>{busy}…</p>}
      {open && <PolicyInfo policy={open} />}
      <fieldset disabled={running !== null || open === null}>
        <TaskSelect label="Policy task" value={state.taskId} onChange={(id) => policy.setForm({ taskId: id })} />{' '}
        <label>
          Seed <input aria-label="Policy seed" type="number" value={state.seed} onChange={(e) => policy.setForm({ seed: Math.trunc(Number(e.target.value) || 0) })} />
        </label>{' '}
        <label>
          Episode <input aria-label="Policy episode" type="number" min={0} value={state.episode} onChange={(e) => policy.setForm({ episode: Math.max(0, Math.trunc(Number(e.target.value) || 0)) })} />
        </label>{' '}
        <label>
          Clock{' '}
          <select aria-label="Policy clock" value={state.clock} onChange={(e) => policy.setForm({ clock: e.target.value as 'sim' | 'real' })}>
            <option value="sim">sim-time</option>
            <option value="real">real-time</option>
          </select>
        </label>
        <label className="policy-instruction-input">
          Instruction{' '}
          <input aria-label="Instruction" placeholder="the episode's own (e.g. pick up the red cube)" value={state.instruction} onChange={(e) => policy.setForm({ instruction: e.target.value })} />
        </label>
      </fieldset>
      <div className="robot-buttons">
        <button type="button" data-testid="policy-run" disabled={open === null || running !== null} onClick={() => void policy.run()}>
          Run
        </button>
        <button type="button" data-testid="policy-stop" disabled={running === null} onClick={() => void policy.stop()}>
          Stop
        </button>
        <button type="button" data-testid="policy-reset" disabled={open === null || running === 'eval'} onClick={() => void policy.reset()}>
          Reset
        </button>
      </div>
      {live && <Live live={live} />}
      <Evaluate />
    </div>
  );
}

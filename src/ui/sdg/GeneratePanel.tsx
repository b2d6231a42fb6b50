/**
 * The generate tab: the job's settings (frames, seed, resolution, formats, workers, quality), where the
 * dataset goes (browser storage, a folder, a zip download), Generate / Cancel / Resume, progress
 * with frames/s and ETA, and the result or the error.
 */
import { FORMATS, type DatasetFormat, type GenerateJob } from '../../engine/jobs/job.ts';
import { DESTINATION_LABEL, QUALITY_LABEL, canResume, type GenerateForm } from './generateForm.ts';
import { progressFraction, progressLine, resultLine, stageLine } from './progressText.ts';
import { useSdg, useSdgActions } from './store.ts';

const FORMAT_LABEL: Record<DatasetFormat, string> = {
  coco: 'COCO',
  basic: 'Basic (Replicator)',
  yolo: 'YOLO',
  kitti: 'KITTI',
};

function NumberField({ field, label, min, disabled }: { field: 'frames' | 'seed' | 'width' | 'height' | 'workers'; label: string; min: number; disabled: boolean }) {
  const sdg = useSdgActions();
  const value = useSdg((s) => s.generate.form[field]);
  return (
    <label className="sdg-field">
      {label}
      <input type="number" min={min} step={1} value={value} disabled={disabled} onChange={(e) => sdg.setForm({ [field]: e.target.value } as Partial<GenerateForm>)} />
    </label>
  );
}

function Settings({ disabled }: { disabled: boolean }) {
  const sdg = useSdgActions();
  const formats = useSdg((s) => s.generate.form.formats);
  const quality = useSdg((s) => s.generate.form.quality);
  const toggle = (format: DatasetFormat, on: boolean) => sdg.setForm({ formats: FORMATS.filter((f) => (f === format ? on : formats.includes(f))) });
  return (
    <div className="sdg-section">
      <div className="sdg-grid">
        <NumberField field="frames" label="Frames" min={1} disabled={disabled} />
        <NumberField field="seed" label="Seed" min={0} disabled={disabled} />
        <NumberField field="width" label="Width" min={1} disabled={disabled} />
        <NumberField field="height" label="Height" min={1} disabled={disabled} />
        <NumberField field="workers" label="Workers" min={1} disabled={disabled} />
      </div>
      <fieldset className="sdg-fieldset" disabled={disabled}>
        <legend>Formats</legend>
        {FORMATS.map((format) => (
          <label key={format} className="sdg-check">
            <input type="checkbox" checked={formats.includes(format)} onChange={(e) => toggle(format, e.target.checked)} /> {FORMAT_LABEL[format]}
          </label>
        ))}
      </fieldset>
      <fieldset className="sdg-fieldset" disabled={disabled}>
        <legend>Quality</legend>
        {(Object.keys(QUALITY_LABEL) as GenerateJob['quality'][]).map((preset) => (
          <label key={preset} className="sdg-check">
            <input type="radio" name="sdg-quality" value={preset} checked={quality === preset} onChange={() => sdg.setForm({ quality: preset })} /> {QUALITY_LABEL[preset]}
          </label>
        ))}
      </fieldset>
    </div>
  );
}

function Destination({ disabled }: { disabled: boolean }) {
  const sdg = useSdgActions();
  const destinations = useSdg((s) => s.generate.destinations);
  const destination = useSdg((s) => s.generate.form.destination);
  const datasetName = useSdg((s) => s.generate.form.datasetName);
  const folderName = useSdg((s) => s.generate.folderName);
  return (
    <fieldset className="sdg-fieldset sdg-section" disabled={disabled}>
      <legend>Destination</legend>
      {destinations.map((kind) => (
        <label key={kind} className="sdg-check sdg-block">
          <input type="radio" name="sdg-destination" value={kind} checked={destination === kind} onChange={() => sdg.setForm({ destination: kind })} /> {DESTINATION_LABEL[kind]}
        </label>
      ))}
      {destination === 'directory' ? (
        <div className="sdg-row">
          <button type="button" onClick={() => void sdg.chooseFolder()}>
            Choose folder…
          </button>
          <span className="sdg-dim" data-testid="folder-name">
            {folderName ?? 'no folder chosen'}
          </span>
        </div>
      ) : (
        <label className="sdg-field">
          Dataset name
          <input type="text" value={datasetName} spellCheck={false} onChange={(e) => sdg.setForm({ datasetName: e.target.value })} />
        </label>
      )}
    </fieldset>
  );
}

function RunStatus() {
  const sdg = useSdgActions();
  const run = useSdg((s) => s.generate.run);
  const fraction = run.progress ? progressFraction(run.progress) : 0;
  return (
    <div className="sdg-section" data-testid="generate-status" data-status={run.status}>
      {run.progress && (
        <>
          <progress className="sdg-progress" aria-label="Generation progress" max={1} value={fraction} />
          <p className="sdg-dim" data-testid="generate-progress" aria-live="polite">
            {run.status === 'cancelling' ? 'Cancelling… ' : ''}
            {progressLine(run.progress)}
          </p>
        </>
      )}
      {run.destination && run.status !== 'idle' && <p className="sdg-dim">Writing to {run.destination}</p>}
      {run.error && (
        <p className="sdg-error" role="alert" data-testid="generate-error">
          {run.error}
        </p>
      )}
      {run.result && (
        <div className="sdg-result" data-testid="generate-result">
          <p>{resultLine(run.result)}</p>
          {Object.keys(run.result.stageMs).length > 0 && <p className="sdg-dim">Per frame: {stageLine(run.result.stageMs)}</p>}
          {run.status === 'cancelled' && canResume(run.kind ?? 'zip') && <p className="sdg-dim">Resume continues with the frames that are missing.</p>}
          {run.status === 'complete' && run.datasetName && (
            <button
              type="button"
              onClick={() => {
                sdg.selectTab('dataset');
                void sdg.openDataset(run.datasetName!);
              }}
            >
              Open in viewer
            </button>
          )}
          {run.download && (
            <a className="button" href={run.download.url} download={run.download.fileName}>
              Download {run.download.fileName} ({(run.download.bytes / 1024 / 1024).toFixed(1)} MiB)
            </a>
          )}
        </div>
      )}
    </div>
  );
}

export function GeneratePanel() {
  const sdg = useSdgActions();
  const status = useSdg((s) => s.generate.run.status);
  const destination = useSdg((s) => s.generate.form.destination);
  const hasScene = useSdg((s) => s.sceneGeneration !== null);
  const specError = useSdg((s) => s.spec.error);
  const running = status === 'running' || status === 'cancelling';
  return (
    <>
      <Settings disabled={running} />
      <Destination disabled={running} />
      {specError && (
        <p className="sdg-error" data-testid="generate-spec-error">
          Fix the randomization spec first: {specError}
        </p>
      )}
      <div className="sdg-row sdg-section">
        <button type="button" className="sdg-primary" disabled={running || !hasScene} onClick={() => void sdg.generate()}>
          Generate
        </button>
        <button type="button" disabled={status !== 'running'} onClick={() => sdg.cancel()}>
          Cancel
        </button>
        <button type="button" disabled={running || !hasScene || !canResume(destination)} onClick={() => void sdg.resume()} title="Continue a dataset: only its missing frames are made">
          Resume
        </button>
      </div>
      <RunStatus />
    </>
  );
}

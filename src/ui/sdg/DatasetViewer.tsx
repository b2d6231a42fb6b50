/**
 * The dataset tab: open a dataset from browser storage or a folder, step through its frames with
 * the boxes and instance mask drawn over the image, and a bar chart of objects per class.
 */
import { useEffect, useMemo, useState } from 'react';
import { classColour } from './overlay.ts';
import { LabelledImage, OverlayToggleBar } from './LabelledImage.tsx';
import type { ViewerDataset } from './sdgState.ts';
import { useSdg, useSdgActions } from './store.ts';

function Source({ canPick }: { canPick: boolean }) {
  const sdg = useSdgActions();
  const datasets = useSdg((s) => s.viewer.datasets);
  const selected = useSdg((s) => s.viewer.selected);
  const loading = useSdg((s) => s.viewer.status === 'loading');
  useEffect(() => {
    void sdg.refreshDatasets();
  }, [sdg]);
  return (
    <div className="sdg-section">
      <div className="sdg-row">
        <label className="sdg-field sdg-grow">
          Dataset in browser storage
          <select aria-label="Dataset in browser storage" value={selected ?? ''} onChange={(e) => sdg.selectDataset(e.target.value)} disabled={datasets.length === 0}>
            {datasets.length === 0 && <option value="">none yet</option>}
            {datasets.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="sdg-row">
        <button type="button" disabled={!selected || loading} onClick={() => void sdg.openDataset()}>
          Open
        </button>
        <button type="button" onClick={() => void sdg.refreshDatasets()} title="List the datasets in browser storage again">
          Refresh
        </button>
        <button
          type="button"
          disabled={!selected || loading}
          onClick={() => {
            if (selected && window.confirm(`Delete the dataset "${selected}" from browser storage?`)) void sdg.deleteDataset(selected);
          }}
        >
          Delete…
        </button>
        {canPick && (
          <button type="button" disabled={loading} onClick={() => void sdg.openFolder()}>
            Open folder…
          </button>
        )}
      </div>
    </div>
  );
}

function ClassCounts({ dataset }: { dataset: ViewerDataset }) {
  const max = Math.max(1, ...dataset.classCounts.map((c) => c.count));
  return (
    <div className="sdg-section">
      <h3 className="sdg-subtitle" id="sdg-class-counts-title">
        Objects per class
      </h3>
      {dataset.classCounts.length === 0 ? (
        <p className="sdg-dim">No labelled objects in this dataset.</p>
      ) : (
        <ul className="sdg-bars" aria-labelledby="sdg-class-counts-title" data-testid="class-counts">
          {dataset.classCounts.map(({ label, count, id }) => (
            <li key={label} className="sdg-bar-row" data-label={label} data-count={count} aria-label={`${label}: ${count}`}>
              <span className="sdg-bar-label" title={label}>
                {label}
              </span>
              <span className="sdg-bar-track" aria-hidden>
                <span className="sdg-bar" style={{ width: `${(100 * count) / max}%`, background: classColour(label, id) }} />
              </span>
              <span className="sdg-bar-count">{count}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function FrameStepper({ dataset, position }: { dataset: ViewerDataset; position: number }) {
  const sdg = useSdgActions();
  const [text, setText] = useState(String(position + 1));
  useEffect(() => setText(String(position + 1)), [position]);
  const go = (p: number) => void sdg.showFrame(p);
  return (
    <div className="sdg-row">
      <button type="button" aria-label="Previous frame" disabled={position <= 0} onClick={() => go(position - 1)}>
        ◀
      </button>
      <label className="sdg-field sdg-narrow">
        <span className="visually-hidden">Frame number</span>
        <input
          type="number"
          min={1}
          max={dataset.lines}
          aria-label="Frame number"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (Number.isFinite(e.target.valueAsNumber)) go(e.target.valueAsNumber - 1);
          }}
        />
      </label>
      <span className="sdg-dim">of {dataset.lines}</span>
      <button type="button" aria-label="Next frame" disabled={position >= dataset.lines - 1} onClick={() => go(position + 1)}>
        ▶
      </button>
    </div>
  );
}

export function DatasetViewer({ canPick }: { canPick: boolean }) {
  const sdg = useSdgActions();
  const viewer = useSdg((s) => s.viewer);
  const overlay = useSdg((s) => s.overlay);
  const { dataset, current } = viewer;
  const objects = useMemo(() => current?.line.objects.map((o) => ({ ...o, instanceId: o.instance_id ?? o.instanceId, classId: o.class_id })) ?? [], [current]);
  return (
    <>
      <Source canPick={canPick} />
      {viewer.status === 'loading' && <p className="sdg-dim">Reading the dataset…</p>}
      {viewer.error && (
        <p className="sdg-error" role="alert" data-testid="viewer-error">
          {viewer.error}
        </p>
      )}
      {dataset && (
        <div className="sdg-section" data-testid="viewer" data-dataset={dataset.name} data-lines={dataset.lines}>
          <p className="sdg-dim" data-testid="viewer-summary">
            {dataset.name}: {dataset.frames} frame{dataset.frames === 1 ? '' : 's'}, {dataset.resolution[0]}×{dataset.resolution[1]}, {dataset.formats.join(', ')}
            {dataset.complete ? '' : ' (incomplete)'}
          </p>
          {current && <FrameStepper dataset={dataset} position={current.position} />}
          <OverlayToggleBar toggles={overlay} onChange={sdg.setOverlay} hasMask={current?.mask != null} />
          {current && (
            <>
              <LabelledImage
                width={current.image?.width ?? current.line.camera.width}
                height={current.image?.height ?? current.line.camera.height}
                rgba={current.image?.data ?? null}
                objects={objects}
                mask={current.mask?.ids ?? null}
                toggles={overlay}
                maxWidth={340}
                maxHeight={300}
                label={`Dataset frame ${current.line.frame} with ${objects.length} labelled objects`}
                testId="viewer-image"
                frame={current.line.frame}
              />
              <p className="sdg-dim" data-testid="viewer-caption">
                Frame {current.line.frame} · {current.line.camera.path} · {objects.length} objects
                {current.imagePath ? ` · ${current.imagePath}` : ''}
              </p>
            </>
          )}
          <ClassCounts dataset={dataset} />
        </div>
      )}
    </>
  );
}

/**
 * The randomize tab: the scene's randomization spec in an editor, checked as it is typed, and a
 * sample of frame i drawn by a preview worker with its labels and the values drawn for it.
 */
import { useMemo } from 'react';
import { LabelledImage, OverlayToggleBar } from './LabelledImage.tsx';
import { randomizedRows } from './randomizedValues.ts';
import { useSdg, useSdgActions } from './store.ts';
import { listRandomized } from '../designer/randomized.ts';

function SpecEditor() {
  const sdg = useSdgActions();
  const spec = useSdg((s) => s.spec);
  const hasScene = useSdg((s) => s.sceneGeneration !== null);
  return (
    <div className="sdg-section">
      <div className="sdg-row sdg-spaced">
        <label htmlFor="sdg-spec-text" className="sdg-label">
          Spec <span className="sdg-dim">{spec.file}</span>
        </label>
        {spec.bundled && (
          <button type="button" className="sdg-small" onClick={() => sdg.restoreSpec()} disabled={!hasScene} title="Back to the bundled spec">
            Restore
          </button>
        )}
      </div>
      <textarea
        id="sdg-spec-text"
        className="sdg-spec"
        aria-label="Randomization spec"
        aria-invalid={spec.error !== null}
        aria-describedby="sdg-spec-status"
        spellCheck={false}
        value={spec.text}
        disabled={!hasScene}
        onChange={(e) => sdg.setSpecText(e.target.value)}
      />
      <p id="sdg-spec-status" className={spec.error ? 'sdg-error' : 'sdg-ok'} role={spec.error ? 'alert' : 'status'} data-testid="spec-status" data-valid={spec.error === null}>
        {spec.error ?? (hasScene ? '✓ The spec checks out against the scene' : 'Open a scene to edit its spec')}
      </p>
    </div>
  );
}

function Sample() {
  const sdg = useSdgActions();
  const preview = useSdg((s) => s.preview);
  const overlay = useSdg((s) => s.overlay);
  const hasScene = useSdg((s) => s.sceneGeneration !== null);
  const shown = preview.shown;
  const frame = shown?.frames[Math.min(preview.camera, shown.frames.length - 1)] ?? null;
  const rows = useMemo(() => randomizedRows(frame?.randomized), [frame]);
  return (
    <div className="sdg-section">
      <div className="sdg-row">
        <label className="sdg-field sdg-narrow">
          Frame
          <input
            type="number"
            min={0}
            step={1}
            aria-label="Sample frame index"
            value={preview.frame}
            onChange={(e) => sdg.setPreviewFrame(e.target.valueAsNumber)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') void sdg.sample();
            }}
          />
        </label>
        <button type="button" onClick={() => void sdg.sample()} disabled={!hasScene}>
          Sample
        </button>
        <button type="button" onClick={() => void sdg.reroll()} disabled={!hasScene} title="Sample the next frame index">
          Re-roll
        </button>
        {preview.busy && (
          <span className="sdg-dim" data-testid="preview-busy">
            rendering…
          </span>
        )}
      </div>
      {preview.error && (
        <p className="sdg-error" role="alert" data-testid="preview-error">
          {preview.error}
        </p>
      )}
      {shown && shown.frames.length > 1 && (
        <label className="sdg-field">
          Camera
          <select aria-label="Sample camera" value={preview.camera} onChange={(e) => sdg.setPreviewCamera(Number(e.target.value))}>
            {shown.frames.map((f, i) => (
              <option key={f.camera.path} value={i}>
                {f.camera.path}
              </option>
            ))}
          </select>
        </label>
      )}
      <OverlayToggleBar toggles={overlay} onChange={sdg.setOverlay} hasMask={frame !== null} />
      {frame ? (
        <>
          <LabelledImage
            width={frame.camera.width}
            height={frame.camera.height}
            rgba={frame.buffers.rgb}
            objects={frame.objects}
            mask={frame.buffers.instance}
            toggles={overlay}
            maxWidth={340}
            maxHeight={300}
            label={`Sample of frame ${shown!.frame} with ${frame.objects.length} labelled objects`}
            testId="preview-image"
            frame={shown!.frame}
          />
          <p className="sdg-dim" data-testid="preview-caption">
            Frame {shown!.frame} · {frame.camera.path} · {frame.objects.filter((o) => o.bbox2d_tight).length} visible objects
          </p>
          <h3 className="sdg-subtitle">Randomized values</h3>
          {rows.length === 0 ? (
            <p className="sdg-dim">Nothing is randomized.</p>
          ) : (
            <dl className="sdg-values" data-testid="randomized-values" aria-label="Randomized values">
              {rows.map((row) => (
                <div key={row.path} className="sdg-value-row">
                  <dt title={row.path}>{row.path}</dt>
                  <dd>{row.value}</dd>
                </div>
              ))}
            </dl>
          )}
        </>
      ) : (
        <p className="panel-empty">Press Sample to draw frame {preview.frame} of the dataset.</p>
      )}
    </div>
  );
}

/** The properties randomized per prim (as the inspector marks them): one line each. */
function PerPrimList() {
  const text = useSdg((s) => s.spec.text);
  const rows = useMemo(() => listRandomized(text), [text]);
  if (rows.length === 0) return null;
  return (
    <div className="sdg-section">
      <h3 className="sdg-subtitle">Randomized per prim</h3>
      <ul className="sdg-per-prim" data-testid="randomized-per-prim" aria-label="Randomized per prim">
        {rows.map((r) => (
          <li key={`${r.group}:${r.path}:${r.key}`}>
            <code>{r.path}</code> {r.key}: <span className="sdg-dim">{JSON.stringify(r.distribution)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RandomizePanel() {
  return (
    <>
      <SpecEditor />
      <PerPrimList />
      <Sample />
    </>
  );
}

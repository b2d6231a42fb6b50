/**
 * The inspector's Randomize section: each property of the prim that the randomization spec can
 * vary (randomized.ts), with a checkbox that marks it randomized and the range it is drawn from;
 * and "Preview sample", which shows frame i's draw of the spec in the viewport. The marks
 * are entries of the spec the Randomize tab edits (and generation runs), so they are listed there
 * too; this section only reads and rewrites that spec's text.
 */
import { useMemo, useState } from 'react';
import type { Prim, SceneDocument } from '../../engine/scene/schema.ts';
import { useSdg, useSdgActions } from '../sdg/store.ts';
import { useDesigner, useDesignerActions } from './store.ts';
import { linearToHex, hexToLinear, parseNumber } from './inspectorModel.ts';
import { type Distribution, listRandomized, RANDOMIZABLE, type Randomizable, type SpecValue, withRandomized } from './randomized.ts';

type Vec3 = [number, number, number];

/** A uniform range as written in the spec, or null when it is some other distribution. */
function uniformRange(value: unknown): [unknown, unknown] | null {
  if (value && typeof value === 'object' && 'uniform' in value && Array.isArray((value as { uniform: unknown }).uniform)) {
    const [lo, hi] = (value as { uniform: unknown[] }).uniform;
    return [lo, hi];
  }
  return null;
}

function RangeFields({ property, range, onChange }: { property: Randomizable; range: [unknown, unknown]; onChange: (next: Distribution) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [lo, hi] = range;
  if (property.key === 'color' && Array.isArray(lo) && Array.isArray(hi)) {
    const set = (side: 0 | 1, hex: string) => {
      const colour = hexToLinear(hex);
      if (!colour) return;
      const next: [Vec3, Vec3] = side === 0 ? [colour, hi as Vec3] : [lo as Vec3, colour];
      onChange({ uniform: next });
    };
    return (
      <span className="inspector-pair">
        <input type="color" aria-label={`${property.label} from`} value={linearToHex(lo as Vec3)} onChange={(e) => set(0, e.target.value)} />
        <input type="color" aria-label={`${property.label} to`} value={linearToHex(hi as Vec3)} onChange={(e) => set(1, e.target.value)} />
      </span>
    );
  }
  if (typeof lo !== 'number' || typeof hi !== 'number') return <span className="inspector-dim">as written in the spec</span>;
  const commit = (side: 0 | 1, text: string) => {
    const parsed = parseNumber(text);
    if (!parsed.ok) return setError(parsed.reason);
    const next: [number, number] = side === 0 ? [parsed.value, hi] : [lo, parsed.value];
    if (next[0] > next[1]) return setError(`the range must not be reversed: ${next[0]} > ${next[1]}`);
    setError(null);
    onChange({ uniform: next });
  };
  return (
    <span>
      <span className="inspector-pair">
        <input key={`lo${lo}`} className="inspector-input" aria-label={`${property.label} from`} defaultValue={String(lo)} onBlur={(e) => commit(0, e.target.value)} onKeyDown={(e) => e.key === 'Enter' && commit(0, e.currentTarget.value)} />
        <input key={`hi${hi}`} className="inspector-input" aria-label={`${property.label} to`} defaultValue={String(hi)} onBlur={(e) => commit(1, e.target.value)} onKeyDown={(e) => e.key === 'Enter' && commit(1, e.currentTarget.value)} />
      </span>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

export function RandomizeSection({ prim, doc }: { prim: Prim; doc: SceneDocument }) {
  const sdg = useSdgActions();
  const designer = useDesignerActions();
  const specText = useSdg((s) => s.spec.text);
  const previewing = useDesigner((s) => s.previewing);
  const [frame, setFrame] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const properties = RANDOMIZABLE.filter((r) => r.applies(prim));
  // The spec read once for all the properties: what this prim's own entries randomize.
  const marked = useMemo(() => new Map(listRandomized(specText).filter((r) => r.path === prim.path).map((r) => [`${r.group}:${r.key}`, r.distribution])), [specText, prim.path]);
  if (properties.length === 0) return null;

  const write = (property: Randomizable, distribution: SpecValue | null) => {
    try {
      sdg.setSpecText(withRandomized(specText, property.group, prim.path, property.key, distribution));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <fieldset className="inspector-section" data-testid="randomize-section">
      <legend>Randomize</legend>
      {properties.map((property) => {
        const value = marked.get(`${property.group}:${property.key}`) ?? null;
        const range = value === null ? null : uniformRange(value);
        return (
          <div className="inspector-row" key={property.key}>
            <label className="inspector-check">
              <input
                type="checkbox"
                aria-label={`Randomize ${property.label}`}
                checked={value !== null}
                onChange={(e) => write(property, e.target.checked ? property.initial(prim, doc) : null)}
              />
              {property.label}
            </label>
            {value !== null && (range ? <RangeFields property={property} range={range} onChange={(d) => write(property, d)} /> : <span className="inspector-dim">{JSON.stringify(value)}</span>)}
          </div>
        );
      })}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
      <div className="inspector-row">
        <input
          className="inspector-input"
          aria-label="Sample frame"
          type="number"
          min={0}
          step={1}
          value={frame}
          onChange={(e) => setFrame(Math.max(0, Math.floor(Number(e.target.value) || 0)))}
        />
        <button type="button" aria-label="Preview sample" title={`Show frame ${frame}'s draw of the randomization in the viewport`} disabled={previewing} onClick={() => void designer.previewSample(frame)}>
          {previewing ? 'Drawing…' : 'Preview sample'}
        </button>
      </div>
    </fieldset>
  );
}

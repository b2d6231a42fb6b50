/**
 * The inspector's fields and layout (Inspector.tsx): typed numbers that commit on Enter or blur,
 * never per keystroke; a field keeps the text typed and shows why it was refused beneath it,
 * whether the text did not parse (inspectorModel.ts) or the designer refused the edit (kept in
 * `fieldErrors`). Repeated commits to one field undo as one step. Every control has an accessible
 * name ("Position X", "Mass (kg)") for people and tests.
 */
import { useCallback, useId, useState, type KeyboardEvent, type ReactNode } from 'react';
import { type SceneDocument, type Vec3 } from '../../engine/scene/schema.ts';
import {
  VEC_AXES,
  colourFromHex,
  fieldErrorKey,
  formatNumber,
  linearToHex,
  parseNumber,
  parseOptionalNumber,
  type NumberRule,
  type ParseResult,
  type VecAxis,
} from './inspectorModel.ts';
import { useDesigner, useDesignerActions } from './store.ts';

// ------------------------------------------------------------------ edits

export type Change = (doc: SceneDocument) => SceneDocument;
/** Applies an edit made in one field; returns null, or the reason it was refused (also kept under the field). */
export type Commit = (label: string, field: string, change: Change) => string | null;

/** Fields that change continuously while the person drags (the colour pickers): a drag undoes as one step. */
export const CONTINUOUS_FIELDS = new Set(['material.color', 'light.color']);

/** Edits of the inspected path: each committed value is an undo step, a colour drag one step in all. */
export function useCommit(path: string): Commit {
  const designer = useDesignerActions();
  return useCallback(
    (label, field, change) => designer.edit(label, change, { field: { path, field }, ...(CONTINUOUS_FIELDS.has(field) ? { coalesce: fieldErrorKey(path, field) } : {}) }),
    [designer, path],
  );
}

/** The refusal the designer keeps for a field, and a way to forget it (an edit that changes nothing clears it). */
export function useFieldError(path: string, field: string): [string | null, () => void] {
  const designer = useDesignerActions();
  const error = useDesigner((s) => s.fieldErrors[fieldErrorKey(path, field)] ?? null);
  const clear = useCallback(() => designer.clearFieldError(path, field), [designer, path, field]);
  return [error, clear];
}

// ------------------------------------------------------------------ fields

export interface FieldIdentity {
  /** The prim or joint edited. */
  path: string;
  /** The key refusals are kept under ("mass.mass"). */
  field: string;
  /** The accessible name ("Mass (kg)"). */
  label: string;
}

export function FieldError({ id, message }: { id: string; message: string | null }) {
  if (message === null) return null;
  return (
    <span id={id} className="field-error" role="alert">
      {message}
    </span>
  );
}

export interface CommitInputProps<T> extends FieldIdentity {
  /** The text the field shows while nobody is typing in it. */
  shown: string;
  parse: (text: string) => ParseResult<T>;
  onCommit: (value: T) => string | null;
  placeholder?: string;
  numeric?: boolean;
}

/**
 * A text input that commits on Enter or blur. Text left as shown commits nothing, so a value
 * rounded for display is never written back rounded. Escape goes back to the value.
 */
export function CommitInput<T>({ path, field, label, shown, parse, onCommit, placeholder, numeric = true }: CommitInputProps<T>) {
  const [draft, setDraft] = useState<string | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const [editError, clearEditError] = useFieldError(path, field);
  const errorId = useId();
  const error = parseError ?? editError;

  const revert = () => {
    setDraft(null);
    setParseError(null);
    clearEditError();
  };
  const commit = () => {
    if (draft === null) return;
    if (draft.trim() === shown) return revert();
    const parsed = parse(draft);
    if (!parsed.ok) return setParseError(parsed.reason);
    setParseError(null);
    if (onCommit(parsed.value) === null) setDraft(null);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      commit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      revert();
    }
  };
  return (
    <span className="inspector-input">
      <input
        type="text"
        aria-label={label}
        value={draft ?? shown}
        placeholder={placeholder}
        inputMode={numeric ? 'decimal' : undefined}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={error !== null ? true : undefined}
        aria-describedby={error !== null ? errorId : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={onKeyDown}
      />
      <FieldError id={errorId} message={error} />
    </span>
  );
}

export interface NumberFieldProps extends FieldIdentity {
  value: number;
  rule?: NumberRule;
  onCommit: (value: number) => string | null;
}

export function NumberField({ value, rule, ...props }: NumberFieldProps) {
  return <CommitInput {...props} shown={formatNumber(value)} parse={(text) => parseNumber(text, rule)} />;
}

export interface OptionalNumberFieldProps extends FieldIdentity {
  /** null: not set, shown empty with the placeholder. */
  value: number | null;
  placeholder: string;
  rule?: NumberRule;
  onCommit: (value: number | null) => string | null;
}

/** A number that may be left empty: an unbounded limit, a mass left to the density. */
export function OptionalNumberField({ value, rule, ...props }: OptionalNumberFieldProps) {
  return <CommitInput {...props} shown={value === null ? '' : formatNumber(value)} parse={(text) => parseOptionalNumber(text, rule)} />;
}

export interface SelectFieldProps<T extends string> extends FieldIdentity {
  value: T;
  options: readonly (T | { value: T; label: string })[];
  onChange: (value: T) => string | null;
}

export function SelectField<T extends string>({ path, field, label, value, options, onChange }: SelectFieldProps<T>) {
  const [error] = useFieldError(path, field);
  const errorId = useId();
  return (
    <span className="inspector-input">
      <select aria-label={label} value={value} aria-invalid={error !== null ? true : undefined} aria-describedby={error !== null ? errorId : undefined} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => {
          const option = typeof o === 'string' ? { value: o, label: o } : o;
          return (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          );
        })}
      </select>
      <FieldError id={errorId} message={error} />
    </span>
  );
}

export interface CheckFieldProps extends FieldIdentity {
  checked: boolean;
  onChange: (checked: boolean) => string | null;
}

export function CheckField({ path, field, label, checked, onChange }: CheckFieldProps) {
  const [error] = useFieldError(path, field);
  const errorId = useId();
  return (
    <div className="inspector-row">
      <label className="inspector-check">
        <input type="checkbox" checked={checked} aria-invalid={error !== null ? true : undefined} aria-describedby={error !== null ? errorId : undefined} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      <FieldError id={errorId} message={error} />
    </div>
  );
}

export interface ColourFieldProps extends FieldIdentity {
  /** Linear RGB, as the scene stores it. */
  value: Vec3;
  onCommit: (value: Vec3) => string | null;
}

/** A colour picker (sRGB hex) over a linear colour; dragging in the picker undoes as one step. */
export function ColourField({ path, field, label, value, onCommit }: ColourFieldProps) {
  const designer = useDesignerActions();
  const [error] = useFieldError(path, field);
  const errorId = useId();
  const hex = linearToHex(value);
  return (
    <Row label={label}>
      <span className="inspector-input">
        <input
          type="color"
          aria-label={label}
          value={hex}
          aria-invalid={error !== null ? true : undefined}
          aria-describedby={error !== null ? errorId : undefined}
          onChange={(e) => {
            const next = colourFromHex(value, e.target.value);
            if (next !== null && next !== value) onCommit(next);
          }}
          onBlur={() => designer.endCoalescing()}
        />
        <span className="inspector-dim">{hex}</span>
      </span>
      <FieldError id={errorId} message={error} />
    </Row>
  );
}

// ------------------------------------------------------------------ layout

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="inspector-section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

/** A labelled line of controls; `label` is what people read (controls carry their own accessible names). */
export function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="inspector-row">
      <span className="inspector-row-label" aria-hidden="true">
        {label}
      </span>
      <div className="inspector-row-controls">{children}</div>
    </div>
  );
}

export interface Vec3RowProps {
  path: string;
  /** "Position": the fields are "Position X", "Position Y", "Position Z". */
  name: string;
  unit: string;
  /** "transform.position": the fields are "transform.position.x", … */
  field: string;
  value: Vec3;
  rule?: NumberRule;
  onCommit: (axis: VecAxis, value: number) => string | null;
}

export function Vec3Row({ path, name, unit, field, value, rule, onCommit }: Vec3RowProps) {
  return (
    <Row label={unit ? `${name} (${unit})` : name}>
      <div className="inspector-xyz">
        {VEC_AXES.map((axis, i) => (
          <NumberField
            key={axis}
            path={path}
            field={`${field}.${axis}`}
            label={`${name} ${axis.toUpperCase()}`}
            value={value[i]!}
            rule={rule}
            onCommit={(v) => onCommit(axis, v)}
          />
        ))}
      </div>
    </Row>
  );
}

/** One number on its own line. `caption` is what people read when the group already says more ("Stiffness (N/m)" in "Drive linear"); the accessible name is `label`. */
export function NumberRow({ caption, ...props }: NumberFieldProps & { caption?: string }) {
  return (
    <Row label={caption ?? props.label}>
      <NumberField {...props} />
    </Row>
  );
}

export const METRES: NumberRule = { unit: 'metres' };
export const LENGTH: NumberRule = { min: 0, unit: 'metres' };
export const UNIT_RANGE: NumberRule = { min: 0, max: 1 };
export const COEFFICIENT: NumberRule = { min: 0 };

/** The inspected prim's or joint's name, and what it is. */
export function Heading({ name, detail }: { name: string; detail: string }) {
  return (
    <div className="inspector-heading">
      <h3 data-testid="inspector-name">{name}</h3>
      <p className="inspector-dim">{detail}</p>
    </div>
  );
}

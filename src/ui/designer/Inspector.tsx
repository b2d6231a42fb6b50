/**
 * The scene designer's inspector: the fields of the active selection (the last selected path).
 * For a prim: transform, geometry, visual material, physics (body, mass, collider, friction),
 * semantic label, camera and light. For a joint: type, bodies, axis, limits and drives.
 *
 * Typed numbers commit on Enter or blur, never per keystroke; a field keeps the text typed and
 * shows why it was refused beneath it, whether the text did not parse (inspectorModel.ts) or the
 * designer refused the edit (kept in `fieldErrors`). Repeated commits to one field undo as one
 * step. Every control has an accessible name ("Position X", "Mass (kg)") for people and tests.
 *
 * What values mean and become lives in inspectorModel.ts; this file only lays them out.
 */
import { useCallback, useId, useState, type KeyboardEvent, type ReactNode } from 'react';
import {
  setCamera,
  setCollider,
  setGeometry,
  setLabels,
  setLight,
  setMassProperties,
  setRigidBody,
  setTransform,
  setVisualMaterial,
  updateJoint,
  type JointPatch,
} from '../../engine/scene/edit.ts';
import { DEFAULT_DENSITY } from '../../engine/physics/world.ts';
import { NO_TEXTURE } from '../../engine/randomize/spec.ts';
import { primName } from '../../engine/scene/hierarchy.ts';
import {
  Axis,
  BodyType,
  ColliderApproximation,
  JointType,
  Light as LightSchema,
  type Camera,
  type Geometry,
  type Joint,
  type JointDrive,
  type Light,
  type Prim,
  type SceneDocument,
  type Vec3,
  type VariantSetChoice,
  defaultLook,
} from '../../engine/scene/schema.ts';
import {
  CLASS_TAXONOMY,
  IMAGE_CHOICE,
  imageDataUrl,
  imageLookEdit,
  textureChoices,
  withTexture,
  formatResolution,
  parseResolution,
  withResolution,
  VEC_AXES,
  cameraFovDegrees,
  classLabelText,
  colliderMaterial,
  colourFromHex,
  dofIsAngular,
  driveFieldDisplay,
  effectiveFriction,
  eulerForDisplay,
  fieldErrorKey,
  formatNumber,
  geometryNumbers,
  hasGeometryAxis,
  inspectorTarget,
  labelPalette,
  limitBoundRule,
  limitRows,
  linearToHex,
  materialUsers,
  newDrive,
  parseNumber,
  parseOptionalNumber,
  rigidBodyPaths,
  setColliderFriction,
  withBodyChoice,
  withCameraFov,
  withCenterOfMassAxis,
  withClassLabels,
  withColliderEnabled,
  withDriveField,
  withEulerAxis,
  withFocalLength,
  withGeometryNumber,
  withHorizontalAperture,
  withLimitBound,
  withMassValue,
  withPositionAxis,
  withScaleAxis,
  withVecAxis,
  withVerticalAperture,
  type BodyChoice,
  type DriveField,
  type FrictionField,
  type NumberRule,
  type ParseResult,
  type VecAxis,
} from './inspectorModel.ts';
import { RandomizeSection } from './RandomizeSection.tsx';
import { useDesigner, useDesignerActions } from './store.ts';

// ------------------------------------------------------------------ edits

type Change = (doc: SceneDocument) => SceneDocument;
/** Applies an edit made in one field; returns null, or the reason it was refused (also kept under the field). */
type Commit = (label: string, field: string, change: Change) => string | null;

/** Fields that change continuously while the person drags (the colour pickers): a drag undoes as one step. */
const CONTINUOUS_FIELDS = new Set(['material.color', 'light.color']);

/** Edits of the inspected path: each committed value is an undo step, a colour drag one step in all. */
function useCommit(path: string): Commit {
  const designer = useDesignerActions();
  return useCallback(
    (label, field, change) => designer.edit(label, change, { field: { path, field }, ...(CONTINUOUS_FIELDS.has(field) ? { coalesce: fieldErrorKey(path, field) } : {}) }),
    [designer, path],
  );
}

/** The refusal the designer keeps for a field, and a way to forget it (an edit that changes nothing clears it). */
function useFieldError(path: string, field: string): [string | null, () => void] {
  const designer = useDesignerActions();
  const error = useDesigner((s) => s.fieldErrors[fieldErrorKey(path, field)] ?? null);
  const clear = useCallback(() => designer.clearFieldError(path, field), [designer, path, field]);
  return [error, clear];
}

// ------------------------------------------------------------------ fields

interface FieldIdentity {
  /** The prim or joint edited. */
  path: string;
  /** The key refusals are kept under ("mass.mass"). */
  field: string;
  /** The accessible name ("Mass (kg)"). */
  label: string;
}

function FieldError({ id, message }: { id: string; message: string | null }) {
  if (message === null) return null;
  return (
    <span id={id} className="field-error" role="alert">
      {message}
    </span>
  );
}

interface CommitInputProps<T> extends FieldIdentity {
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
function CommitInput<T>({ path, field, label, shown, parse, onCommit, placeholder, numeric = true }: CommitInputProps<T>) {
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

interface NumberFieldProps extends FieldIdentity {
  value: number;
  rule?: NumberRule;
  onCommit: (value: number) => string | null;
}

function NumberField({ value, rule, ...props }: NumberFieldProps) {
  return <CommitInput {...props} shown={formatNumber(value)} parse={(text) => parseNumber(text, rule)} />;
}

interface OptionalNumberFieldProps extends FieldIdentity {
  /** null: not set, shown empty with the placeholder. */
  value: number | null;
  placeholder: string;
  rule?: NumberRule;
  onCommit: (value: number | null) => string | null;
}

/** A number that may be left empty: an unbounded limit, a mass left to the density. */
function OptionalNumberField({ value, rule, ...props }: OptionalNumberFieldProps) {
  return <CommitInput {...props} shown={value === null ? '' : formatNumber(value)} parse={(text) => parseOptionalNumber(text, rule)} />;
}

interface SelectFieldProps<T extends string> extends FieldIdentity {
  value: T;
  options: readonly (T | { value: T; label: string })[];
  onChange: (value: T) => string | null;
}

function SelectField<T extends string>({ path, field, label, value, options, onChange }: SelectFieldProps<T>) {
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

interface CheckFieldProps extends FieldIdentity {
  checked: boolean;
  onChange: (checked: boolean) => string | null;
}

function CheckField({ path, field, label, checked, onChange }: CheckFieldProps) {
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

interface ColourFieldProps extends FieldIdentity {
  /** Linear RGB, as the scene stores it. */
  value: Vec3;
  onCommit: (value: Vec3) => string | null;
}

/** A colour picker (sRGB hex) over a linear colour; dragging in the picker undoes as one step. */
function ColourField({ path, field, label, value, onCommit }: ColourFieldProps) {
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

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="inspector-section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

/** A labelled line of controls; `label` is what people read (controls carry their own accessible names). */
function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="inspector-row">
      <span className="inspector-row-label" aria-hidden="true">
        {label}
      </span>
      <div className="inspector-row-controls">{children}</div>
    </div>
  );
}

interface Vec3RowProps {
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

function Vec3Row({ path, name, unit, field, value, rule, onCommit }: Vec3RowProps) {
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
function NumberRow({ caption, ...props }: NumberFieldProps & { caption?: string }) {
  return (
    <Row label={caption ?? props.label}>
      <NumberField {...props} />
    </Row>
  );
}

const METRES: NumberRule = { unit: 'metres' };
const LENGTH: NumberRule = { min: 0, unit: 'metres' };
const UNIT_RANGE: NumberRule = { min: 0, max: 1 };
const COEFFICIENT: NumberRule = { min: 0 };

// ------------------------------------------------------------------ prim sections

interface PrimSectionProps {
  prim: Prim;
  /** For edit labels: "Set mass of Cube". */
  name: string;
  commit: Commit;
}

function TransformSection({ prim, name, commit }: PrimSectionProps) {
  const { path, transform } = prim;
  // The angles last typed, shown while they still describe the orientation (eulerForDisplay).
  const [hint, setHint] = useState<Vec3 | null>(null);
  const euler = eulerForDisplay(transform.orientation, hint);
  const rotate = (axis: VecAxis, degrees: number) => {
    const reason = commit(`Rotate ${name}`, `transform.rotation.${axis}`, (doc) => setTransform(doc, path, withEulerAxis(transform, axis, degrees, euler)));
    if (reason === null) setHint(withVecAxis(euler, axis, degrees));
    return reason;
  };
  return (
    <Section title="Transform">
      <Vec3Row path={path} name="Position" unit="m" field="transform.position" value={transform.position} rule={METRES}
        onCommit={(axis, v) => commit(`Move ${name}`, `transform.position.${axis}`, (doc) => setTransform(doc, path, withPositionAxis(transform, axis, v)))} />
      <Vec3Row path={path} name="Rotation" unit="°" field="transform.rotation" value={euler} rule={{ unit: 'degrees' }} onCommit={rotate} />
      <Vec3Row path={path} name="Scale" unit="" field="transform.scale" value={transform.scale} rule={{ nonZero: true }}
        onCommit={(axis, v) => commit(`Scale ${name}`, `transform.scale.${axis}`, (doc) => setTransform(doc, path, withScaleAxis(transform, axis, v)))} />
    </Section>
  );
}

function GeometrySection({ prim, name, commit, geometry }: PrimSectionProps & { geometry: Geometry }) {
  const { path } = prim;
  const resize = (change: Geometry, field: string) => commit(`Resize ${name}`, field, (doc) => setGeometry(doc, path, change));
  return (
    <Section title={`Geometry: ${geometry.kind}`}>
      {geometry.kind === 'mesh' && (
        <p className="inspector-dim">
          {geometry.points.length / 3} vertices, {geometry.indices.length / 3} triangles
        </p>
      )}
      {geometryNumbers(geometry).map((n) => (
        <NumberRow key={n.param} path={path} field={`geometry.${n.param}`} label={`${n.label} (m)`} value={n.value} rule={LENGTH}
          onCommit={(v) => resize(withGeometryNumber(geometry, n.param, v), `geometry.${n.param}`)} />
      ))}
      {hasGeometryAxis(geometry) && (
        <Row label="Axis">
          <SelectField path={path} field="geometry.axis" label="Geometry axis" value={geometry.axis} options={Axis.options}
            onChange={(axis) => commit(`Turn ${name}`, 'geometry.axis', (doc) => setGeometry(doc, path, { ...geometry, axis }))} />
        </Row>
      )}
    </Section>
  );
}

function MaterialSection({ prim, name, commit }: PrimSectionProps) {
  const { path, material } = prim;
  if (!material) {
    return (
      <Section title="Material">
        <p className="inspector-dim">No visual material: it renders in the default grey.</p>
        <button type="button" onClick={() => commit(`Add material to ${name}`, 'material', (doc) => setVisualMaterial(doc, path, defaultLook()))}>
          Add material
        </button>
      </Section>
    );
  }
  const set = (what: string, field: keyof typeof material, value: (typeof material)[typeof field]) =>
    commit(`Set ${what} of ${name}`, `material.${field}`, (doc) => setVisualMaterial(doc, path, { ...material, [field]: value }));
  return (
    <Section title="Material">
      <ColourField path={path} field="material.color" label="Colour" value={material.color} onCommit={(color) => set('colour', 'color', color)} />
      <NumberRow path={path} field="material.roughness" label="Roughness" value={material.roughness} rule={UNIT_RANGE} onCommit={(v) => set('roughness', 'roughness', v)} />
      <NumberRow path={path} field="material.metallic" label="Metallic" value={material.metallic} rule={UNIT_RANGE} onCommit={(v) => set('metallic', 'metallic', v)} />
      <NumberRow path={path} field="material.opacity" label="Opacity" value={material.opacity} rule={UNIT_RANGE} onCommit={(v) => set('opacity', 'opacity', v)} />
      <Row label="Texture">
        <SelectField path={path} field="material.texture" label="Texture" value={material.image ? IMAGE_CHOICE : (material.texture ?? NO_TEXTURE)} options={textureChoices(material)}
          onChange={(choice) => commit(`Set texture of ${name}`, 'material.texture', (doc) => setVisualMaterial(doc, path, withTexture(material, choice)))} />
      </Row>
      <ImageTextureRow path={path} name={name} image={material.image} commit={commit} />
    </Section>
  );
}

/** An image file as the look's texture: a picker (PNG or JPEG), and the image the look shows. */
function ImageTextureRow({ path, name, image, commit }: { path: string; name: string; image: string | undefined; commit: Commit }) {
  const [error] = useFieldError(path, 'material.image');
  const errorId = useId();
  const data = useDesigner((s) => (image ? (s.document?.assets?.[image] ?? null) : null));
  const thumbnail = data ? imageDataUrl(data) : null;
  const pick = async (file: File | undefined) => {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    commit(`Set texture image of ${name}`, 'material.image', imageLookEdit(path, file.name, bytes));
  };
  return (
    <Row label="Image">
      <span className="inspector-input">
        {thumbnail && <img className="texture-thumbnail" src={thumbnail} alt={`Texture image ${image}`} width={32} height={32} />}
        <input type="file" accept=".png,.jpg,.jpeg,image/png,image/jpeg" aria-label="Texture image file" aria-invalid={error !== null ? true : undefined}
          aria-describedby={error !== null ? errorId : undefined} onChange={(e) => void pick(e.target.files?.[0]).finally(() => (e.target.value = ''))} />
        <FieldError id={errorId} message={error} />
      </span>
    </Row>
  );
}

const BODY_CHOICES: readonly { value: BodyChoice; label: string }[] = [{ value: 'none', label: 'none' }, ...BodyType.options.map((t) => ({ value: t, label: t }))];

function PhysicsSection({ prim, name, commit, doc }: PrimSectionProps & { doc: SceneDocument }) {
  const { path, body, mass, collider } = prim;
  const setBody = (choice: BodyChoice) => {
    const next = withBodyChoice(prim, choice);
    const label = choice === 'none' ? `Remove rigid body of ${name}` : `Make ${name} ${choice}`;
    return commit(label, 'body.type', (d) => setMassProperties(setRigidBody(d, path, next.body), path, next.mass));
  };
  const setMass = (what: string, field: string, next: Prim['mass']) => commit(`Set ${what} of ${name}`, field, (d) => setMassProperties(d, path, next));
  return (
    <Section title="Physics">
      <Row label="Body">
        <SelectField path={path} field="body.type" label="Body type" value={body?.type ?? 'none'} options={BODY_CHOICES} onChange={setBody} />
      </Row>
      {(body || mass) && (
        <>
          <Row label="Mass (kg)">
            <OptionalNumberField path={path} field="mass.mass" label="Mass (kg)" value={mass?.mass ?? null} placeholder="from density" rule={{ exclusiveMin: 0, unit: 'kilograms' }}
              onCommit={(v) => setMass('mass', 'mass.mass', withMassValue(mass, 'mass', v))} />
          </Row>
          <Row label="Density (kg/m³)">
            <OptionalNumberField path={path} field="mass.density" label="Density (kg/m³)" value={mass?.density ?? null} placeholder={`default ${DEFAULT_DENSITY}`}
              rule={{ exclusiveMin: 0, unit: 'kilograms per cubic metre' }} onCommit={(v) => setMass('density', 'mass.density', withMassValue(mass, 'density', v))} />
          </Row>
          <CenterOfMassRow prim={prim} name={name} commit={commit} />
        </>
      )}
      {(prim.geometry || collider) && (
        <CheckField path={path} field="collider.enabled" label="Collider enabled" checked={collider?.enabled ?? false}
          onChange={(on) => commit(`${on ? 'Enable' : 'Disable'} collider of ${name}`, 'collider.enabled', (d) => setCollider(d, path, withColliderEnabled(collider, on)))} />
      )}
      {collider && (
        <>
          <Row label="Approximation">
            <SelectField path={path} field="collider.approximation" label="Collider approximation" value={collider.approximation} options={ColliderApproximation.options}
              onChange={(approximation) => commit(`Set collider approximation of ${name}`, 'collider.approximation', (d) => setCollider(d, path, { ...collider, approximation }))} />
          </Row>
          <FrictionFields doc={doc} prim={prim} name={name} commit={commit} />
        </>
      )}
    </Section>
  );
}

/** The centre of mass, empty while it is left to the simulation (computed from the colliders). */
function CenterOfMassRow({ prim, name, commit }: PrimSectionProps) {
  const { path, mass } = prim;
  const center = mass?.centerOfMass;
  return (
    <Row label="Centre of mass (m)">
      <div className="inspector-xyz">
        {VEC_AXES.map((axis, i) => (
          <CommitInput
            key={axis}
            path={path}
            field={`mass.centerOfMass.${axis}`}
            label={`Centre of mass ${axis.toUpperCase()}`}
            shown={center ? formatNumber(center[i]!) : ''}
            placeholder="auto"
            parse={(text) => parseNumber(text, METRES)}
            onCommit={(v) => commit(`Set centre of mass of ${name}`, `mass.centerOfMass.${axis}`, (d) => setMassProperties(d, path, withCenterOfMassAxis(mass, axis, v)))}
          />
        ))}
      </div>
    </Row>
  );
}

const FRICTION_FIELDS: readonly { field: FrictionField; label: string }[] = [
  { field: 'staticFriction', label: 'Static friction' },
  { field: 'dynamicFriction', label: 'Dynamic friction' },
  { field: 'restitution', label: 'Restitution' },
];

function FrictionFields({ doc, prim, name, commit }: PrimSectionProps & { doc: SceneDocument }) {
  const material = colliderMaterial(doc, prim);
  const values = effectiveFriction(doc, prim);
  const users = material ? materialUsers(doc, material.path) : 0;
  return (
    <>
      <p className="inspector-dim" data-testid="physics-material">
        {material ? `Physics material ${material.path}` : 'Default physics material: the first change gives this collider its own.'}
        {users > 1 && ` Shared by ${users} colliders: a change applies to all of them.`}
      </p>
      {FRICTION_FIELDS.map(({ field, label }) => (
        <NumberRow key={field} path={prim.path} field={`physicsMaterial.${field}`} label={label} value={values[field]} rule={COEFFICIENT}
          onCommit={(v) => commit(`Set ${label.toLowerCase()} of ${name}`, `physicsMaterial.${field}`, (d) => setColliderFriction(d, prim.path, { [field]: v }))} />
      ))}
    </>
  );
}

function LabelSection({ prim, name, commit, doc }: PrimSectionProps & { doc: SceneDocument }) {
  const { path, labels } = prim;
  const palette = labelPalette(doc);
  const current = labels[CLASS_TAXONOMY] ?? [];
  const setText = (text: string) => commit(`Set class label of ${name}`, 'labels.class', (d) => setLabels(d, path, withClassLabels(labels, text)));
  return (
    <Section title="Semantic label">
      <Row label="Class">
        <CommitInput path={path} field="labels.class" label="Class label" shown={classLabelText(labels)} placeholder="unlabelled" numeric={false}
          parse={(text): ParseResult<string> => ({ ok: true, value: text })} onCommit={setText} />
      </Row>
      {palette.length > 0 && (
        <div className="inspector-palette" role="group" aria-label="Labels used in the scene">
          {palette.map((label) => (
            <button key={label} type="button" aria-pressed={current.includes(label)} title={`Label ${name} as "${label}"`} onClick={() => setText(label)}>
              {label}
            </button>
          ))}
        </div>
      )}
    </Section>
  );
}

/**
 * The USD variant sets the prim offers (doc.variantSets): switching one composes the scene's files
 * again with that choice (designer.chooseVariant), as one step Undo takes back.
 */
function VariantSection({ prim, sets }: { prim: Prim; sets: readonly VariantSetChoice[] }) {
  const designer = useDesignerActions();
  const [busy, setBusy] = useState(false);
  return (
    <Section title="Variants">
      {sets.map((v) => (
        <Row key={v.set} label={v.set}>
          <SelectField
            path={prim.path}
            field={`variant.${v.set}`}
            label={`Variant set ${v.set}`}
            value={v.selection}
            options={[...(v.selection ? [] : [{ value: '', label: 'none selected' }]), ...v.options.map((o) => ({ value: o, label: o }))]}
            onChange={(selection) => {
              setBusy(true);
              void designer.chooseVariant(prim.path, v.set, selection).finally(() => setBusy(false));
              return null;
            }}
          />
        </Row>
      ))}
      <p className="inspector-dim" data-testid="variant-hint">
        {busy ? 'Composing the scene with this variant…' : 'A variant composes the scene from its files again; edits made since opening give way to it (Undo brings them back).'}
      </p>
    </Section>
  );
}

function CameraSection({ prim, name, commit, camera }: PrimSectionProps & { camera: Camera }) {
  const { path } = prim;
  const set = (what: string, field: string, next: Camera) => commit(`Set ${what} of ${name}`, `camera.${field}`, (d) => setCamera(d, path, next));
  const positive = (unit: string): NumberRule => ({ exclusiveMin: 0, unit });
  return (
    <Section title="Camera">
      <Row label="Projection">
        <SelectField path={path} field="camera.projection" label="Projection" value={camera.projection} options={['perspective', 'orthographic'] as const}
          onChange={(projection) => set('projection', 'projection', { ...camera, projection })} />
      </Row>
      <NumberRow path={path} field="camera.fovY" label="Vertical FOV (°)" value={cameraFovDegrees(camera)} rule={{ exclusiveMin: 0, exclusiveMax: 180, unit: 'degrees' }}
        onCommit={(v) => set('field of view', 'fovY', withCameraFov(camera, v))} />
      <NumberRow path={path} field="camera.focalLength" label="Focal length (mm)" value={camera.focalLength} rule={positive('millimetres')}
        onCommit={(v) => set('focal length', 'focalLength', withFocalLength(camera, v))} />
      <NumberRow path={path} field="camera.horizontalAperture" label="Horizontal aperture (mm)" value={camera.horizontalAperture} rule={positive('millimetres')}
        onCommit={(v) => set('aperture', 'horizontalAperture', withHorizontalAperture(camera, v))} />
      <NumberRow path={path} field="camera.verticalAperture" label="Vertical aperture (mm)" value={camera.verticalAperture} rule={positive('millimetres')}
        onCommit={(v) => set('aperture', 'verticalAperture', withVerticalAperture(camera, v))} />
      <Row label="Resolution (px)">
        <CommitInput path={path} field="camera.resolution" label="Resolution (px)" shown={formatResolution(camera.resolution)} parse={parseResolution} placeholder="the job's size" numeric={false}
          onCommit={(resolution) => set('resolution', 'resolution', withResolution(camera, resolution))} />
      </Row>
      <NumberRow path={path} field="camera.near" label="Near (m)" value={camera.near} rule={positive('metres')} onCommit={(near) => set('near plane', 'near', { ...camera, near })} />
      <NumberRow path={path} field="camera.far" label="Far (m)" value={camera.far} rule={positive('metres')} onCommit={(far) => set('far plane', 'far', { ...camera, far })} />
    </Section>
  );
}

function LightSection({ prim, name, commit, light }: PrimSectionProps & { light: Light }) {
  const { path } = prim;
  const set = (what: string, field: keyof Light, next: Light) => commit(`Set ${what} of ${name}`, `light.${field}`, (d) => setLight(d, path, next));
  return (
    <Section title="Light">
      <Row label="Kind">
        <SelectField path={path} field="light.kind" label="Light kind" value={light.kind} options={LightSchema.shape.kind.options} onChange={(kind) => set('light kind', 'kind', { ...light, kind })} />
      </Row>
      <ColourField path={path} field="light.color" label="Light colour" value={light.color} onCommit={(color) => set('light colour', 'color', { ...light, color })} />
      <NumberRow path={path} field="light.intensity" label="Intensity" value={light.intensity} rule={{ min: 0 }} onCommit={(intensity) => set('intensity', 'intensity', { ...light, intensity })} />
      <NumberRow path={path} field="light.exposure" label="Exposure (stops)" value={light.exposure} onCommit={(exposure) => set('exposure', 'exposure', { ...light, exposure })} />
    </Section>
  );
}

function PrimInspector({ doc, prim }: { doc: SceneDocument; prim: Prim }) {
  const commit = useCommit(prim.path);
  const name = primName(prim.path);
  const props: PrimSectionProps = { prim, name, commit };
  const variantSets = (doc.variantSets ?? []).filter((v) => v.prim === prim.path);
  return (
    <>
      <Heading name={name} detail={`${prim.type || 'typeless prim'} · ${prim.path}`} />
      {variantSets.length > 0 && <VariantSection prim={prim} sets={variantSets} />}
      <TransformSection {...props} />
      {prim.geometry && <GeometrySection {...props} geometry={prim.geometry} />}
      {prim.geometry && <MaterialSection {...props} />}
      {!prim.camera && !prim.light && <PhysicsSection {...props} doc={doc} />}
      <LabelSection {...props} doc={doc} />
      {prim.camera && <CameraSection {...props} camera={prim.camera} />}
      {prim.light && <LightSection {...props} light={prim.light} />}
      <RandomizeSection prim={prim} doc={doc} />
    </>
  );
}

// ------------------------------------------------------------------ joints

interface JointSectionProps {
  joint: Joint;
  name: string;
  /** Applies a patch of the joint, from the field `field`. */
  update: (label: string, field: string, patch: JointPatch) => string | null;
}

const WORLD = '';

function BodySelect({ joint, update, side, bodies }: JointSectionProps & { side: 'body0' | 'body1'; bodies: readonly string[] }) {
  const current = joint[side];
  const choices = current !== null && !bodies.includes(current) ? [...bodies, current] : bodies;
  const label = side === 'body0' ? 'Body 0' : 'Body 1';
  return (
    <Row label={label}>
      <SelectField
        path={joint.path}
        field={side}
        label={label}
        value={current ?? WORLD}
        options={[{ value: WORLD, label: 'World' }, ...choices.map((p) => ({ value: p, label: p }))]}
        onChange={(value) => update(`Attach ${primName(joint.path)} to ${value === WORLD ? 'the world' : primName(value)}`, side, { [side]: value === WORLD ? null : value })}
      />
    </Row>
  );
}

function LimitFields({ joint, name, update }: JointSectionProps) {
  const rows = limitRows(joint);
  if (rows.length === 0) return <p className="inspector-dim">No limits.</p>;
  return (
    <>
      {rows.map((row) => {
        const unit = row.angular ? '°' : 'm';
        const set = (side: 'low' | 'high', v: number | null) => update(`Set limits of ${name}`, `limits.${row.dof}.${side}`, { limits: withLimitBound(joint, row.dof, side, v) });
        return (
          <Row key={row.dof} label={`Limit ${row.dof} (${unit})`}>
            <div className="inspector-pair">
              <OptionalNumberField path={joint.path} field={`limits.${row.dof}.low`} label={`Lower limit ${row.dof} (${unit})`} value={row.low} placeholder="−∞" rule={limitBoundRule(row, 'low')} onCommit={(v) => set('low', v)} />
              <OptionalNumberField path={joint.path} field={`limits.${row.dof}.high`} label={`Upper limit ${row.dof} (${unit})`} value={row.high} placeholder="+∞" rule={limitBoundRule(row, 'high')} onCommit={(v) => set('high', v)} />
            </div>
          </Row>
        );
      })}
    </>
  );
}

/** Field, label and unit of a drive's numbers (angular / linear). */
const DRIVE_NUMBERS: readonly { field: DriveField; label: string; angular: string; linear: string }[] = [
  { field: 'stiffness', label: 'Stiffness', angular: 'N·m/rad', linear: 'N/m' },
  { field: 'damping', label: 'Damping', angular: 'N·m·s/rad', linear: 'N·s/m' },
  { field: 'targetPosition', label: 'Target position', angular: '°', linear: 'm' },
  { field: 'targetVelocity', label: 'Target velocity', angular: '°/s', linear: 'm/s' },
];

function DriveFields({ joint, name, update, drive }: JointSectionProps & { drive: JointDrive }) {
  const angular = dofIsAngular(drive.dof, joint.type);
  const set = (field: DriveField, v: number | null) => update(`Set drive of ${name}`, `drives.${drive.dof}.${field}`, { drives: withDriveField(joint, drive.dof, field, v) });
  const gain = (field: DriveField) => field === 'stiffness' || field === 'damping';
  return (
    <div className="inspector-group" role="group" aria-label={`Drive ${drive.dof}`}>
      <Row label={`Drive ${drive.dof}`}>
        <SelectField path={joint.path} field={`drives.${drive.dof}.type`} label={`Drive ${drive.dof} type`} value={drive.type} options={['force', 'acceleration'] as const}
          onChange={(type) => update(`Set drive of ${name}`, `drives.${drive.dof}.type`, { drives: joint.drives.map((d) => (d === drive ? { ...d, type } : d)) })} />
      </Row>
      {DRIVE_NUMBERS.map(({ field, label, angular: a, linear: l }) => {
        const unit = angular ? a : l;
        return (
          <NumberRow key={field} path={joint.path} field={`drives.${drive.dof}.${field}`} label={`${label} ${drive.dof} (${unit})`} caption={`${label} (${unit})`} value={driveFieldDisplay(joint, drive, field) ?? 0}
            rule={gain(field) ? { min: 0 } : {}} onCommit={(v) => set(field, v)} />
        );
      })}
      <Row label={`Max force (${angular ? 'N·m' : 'N'})`}>
        <OptionalNumberField path={joint.path} field={`drives.${drive.dof}.maxForce`} label={`Max force ${drive.dof} (${angular ? 'N·m' : 'N'})`} value={drive.maxForce} placeholder="unlimited"
          rule={{ min: 0 }} onCommit={(v) => set('maxForce', v)} />
      </Row>
    </div>
  );
}

function JointInspector({ doc, joint }: { doc: SceneDocument; joint: Joint }) {
  const designer = useDesignerActions();
  const name = primName(joint.path);
  const update = useCallback(
    (label: string, field: string, patch: JointPatch) =>
      designer.edit(label, (d) => updateJoint(d, joint.path, patch), { field: { path: joint.path, field } }),
    [designer, joint.path],
  );
  const props: JointSectionProps = { joint, name, update };
  const bodies = rigidBodyPaths(doc);
  const addable = newDrive(joint);
  return (
    <>
      <Heading name={name} detail={`${joint.type} joint · ${joint.path}`} />
      <Section title="Joint">
        <Row label="Type">
          <SelectField path={joint.path} field="type" label="Joint type" value={joint.type} options={JointType.options} onChange={(type) => update(`Set type of ${name}`, 'type', { type })} />
        </Row>
        <BodySelect {...props} side="body0" bodies={bodies} />
        <BodySelect {...props} side="body1" bodies={bodies} />
        <Row label="Axis">
          <SelectField path={joint.path} field="axis" label="Joint axis" value={joint.axis} options={Axis.options} onChange={(axis) => update(`Set axis of ${name}`, 'axis', { axis })} />
        </Row>
        <CheckField path={joint.path} field="enabled" label="Joint enabled" checked={joint.enabled} onChange={(enabled) => update(`${enabled ? 'Enable' : 'Disable'} ${name}`, 'enabled', { enabled })} />
        <CheckField path={joint.path} field="collisionEnabled" label="Bodies collide" checked={joint.collisionEnabled}
          onChange={(collisionEnabled) => update(`Set collisions of ${name}`, 'collisionEnabled', { collisionEnabled })} />
      </Section>
      <Section title="Limits">
        <LimitFields {...props} />
      </Section>
      <Section title="Drives">
        {joint.drives.length === 0 && <p className="inspector-dim">No drives.</p>}
        {joint.drives.map((d) => (
          <DriveFields key={d.dof} {...props} drive={d} />
        ))}
        {addable && (
          <button type="button" onClick={() => update(`Add drive to ${name}`, 'drives', { drives: [...joint.drives, addable] })}>
            Add drive
          </button>
        )}
      </Section>
    </>
  );
}

// ------------------------------------------------------------------ the panel

function Heading({ name, detail }: { name: string; detail: string }) {
  return (
    <div className="inspector-heading">
      <h3 data-testid="inspector-name">{name}</h3>
      <p className="inspector-dim">{detail}</p>
    </div>
  );
}

export function Inspector() {
  const document = useDesigner((s) => s.document);
  const selection = useDesigner((s) => s.selection);
  const target = inspectorTarget(document, selection);
  const path = target.kind === 'prim' ? target.prim.path : target.kind === 'joint' ? target.joint.path : null;
  return (
    <section className="inspector" aria-label="Inspector" data-testid="inspector">
      <h2 className="panel-title">Inspector</h2>
      {target.kind === 'none' || !document || path === null ? (
        <p className="panel-empty">Select a prim to inspect it</p>
      ) : (
        <div className="inspector-body">
          {target.count > 1 && (
            <p className="inspector-dim" data-testid="inspector-multi">
              {target.count} prims selected — showing {primName(path)}
            </p>
          )}
          {target.kind === 'prim' ? <PrimInspector key={path} doc={document} prim={target.prim} /> : <JointInspector key={path} doc={document} joint={target.joint} />}
        </div>
      )}
    </section>
  );
}

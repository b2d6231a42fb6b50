/**
 * The inspector for a prim: transform, geometry, visual material, physics (body, mass, collider,
 * friction), semantic label, variants, camera, light and randomization. What values mean and become
 * lives in inspectorModel.ts; this file only lays them out with inspectorFields.tsx.
 */
import { useId, useState } from 'react';
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
} from '../../engine/scene/edit.ts';
import { DEFAULT_DENSITY } from '../../engine/physics/world.ts';
import { NO_TEXTURE } from '../../engine/randomize/spec.ts';
import { primName } from '../../engine/scene/hierarchy.ts';
import {
  Axis,
  BodyType,
  ColliderApproximation,
  Light as LightSchema,
  type Camera,
  type Geometry,
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
  effectiveFriction,
  eulerForDisplay,
  formatNumber,
  geometryNumbers,
  hasGeometryAxis,
  labelPalette,
  materialUsers,
  parseNumber,
  setColliderFriction,
  withBodyChoice,
  withCameraFov,
  withCenterOfMassAxis,
  withClassLabels,
  withColliderEnabled,
  withEulerAxis,
  withFocalLength,
  withGeometryNumber,
  withHorizontalAperture,
  withMassValue,
  withPositionAxis,
  withScaleAxis,
  withVecAxis,
  withVerticalAperture,
  type BodyChoice,
  type FrictionField,
  type NumberRule,
  type ParseResult,
  type VecAxis,
} from './inspectorModel.ts';
import { RandomizeSection } from './RandomizeSection.tsx';
import { useDesigner, useDesignerActions } from './store.ts';
import {
  Commit,
  useCommit,
  useFieldError,
  FieldError,
  CommitInput,
  OptionalNumberField,
  SelectField,
  CheckField,
  ColourField,
  Section,
  Row,
  Vec3Row,
  NumberRow,
  METRES,
  LENGTH,
  UNIT_RANGE,
  COEFFICIENT,
  Heading,
} from './inspectorFields.tsx';

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

export function PrimInspector({ doc, prim }: { doc: SceneDocument; prim: Prim }) {
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

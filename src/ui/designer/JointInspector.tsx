/**
 * The inspector for a joint: type, bodies, axis, limits and drives. What values mean and become
 * lives in inspectorModel.ts; this file only lays them out with inspectorFields.tsx.
 */
import { useCallback } from 'react';
import { updateJoint, type JointPatch } from '../../engine/scene/edit.ts';
import { primName } from '../../engine/scene/hierarchy.ts';
import { Axis, JointType, type Joint, type JointDrive, type SceneDocument } from '../../engine/scene/schema.ts';
import {
  dofIsAngular,
  driveFieldDisplay,
  limitBoundRule,
  limitRows,
  newDrive,
  rigidBodyPaths,
  withDriveField,
  withLimitBound,
  type DriveField,
} from './inspectorModel.ts';
import { useDesignerActions } from './store.ts';
import { OptionalNumberField, SelectField, CheckField, Section, Row, NumberRow, Heading } from './inspectorFields.tsx';

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

export function JointInspector({ doc, joint }: { doc: SceneDocument; joint: Joint }) {
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

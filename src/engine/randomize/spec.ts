/**
 * The randomization spec: a declarative description (YAML or JSON) of what varies from frame to
 * frame and how. Owns the versioned zod schema, parsing with errors that name the file, field and
 * line, and the checks against a scene (prim paths, patterns, labels). The field reference lives
 * in docs/RANDOMIZATION.md; keep the two in step.
 *
 * Conventions: the scene document's world frame (Y-up, metres), angles in degrees, colours in
 * linear RGB, colour temperatures in kelvin.
 */
import { upgradeDocument, versionedFormat } from '../versioned.ts';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { type LineOf, fieldPath, parseYamlText, validateWithSchema } from '../yamlSpec.ts';
import { worldMatrices } from '../scene/hierarchy.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { subtreeWorldBounds } from './bounds.ts';
import { MAX_TEMPERATURE, MIN_TEMPERATURE } from './colorTemperature.ts';
import { DISTRIBUTION_KINDS, type Distribution, type Vec3 } from './draw.ts';
import { isPattern, isWithin, matchPrims, sceneLabels, selectPrims } from './select.ts';
import { TEXTURE_NAMES } from '../scene/textures.ts';

export const RANDOMIZATION_SPEC_VERSION = 1;
/** Version and migrations (engine/versioned.ts); version 1 is the first. */
export const RANDOMIZATION_SPEC_FORMAT = versionedFormat({ name: 'randomization spec', field: 'version', current: RANDOMIZATION_SPEC_VERSION, migrations: {} });

/** Where sampled prims go; the scene must not have prims there already. */
export const DISTRACTOR_ROOT = 'Distractors';
export const ADDED_LIGHT_ROOT = 'RandomLights';

export const PRIMITIVE_SHAPES = ['box', 'sphere', 'cylinder', 'cone', 'capsule'] as const;
export type PrimitiveShape = (typeof PRIMITIVE_SHAPES)[number];

/** The material name that keeps a prim's authored material. */
export const AUTHORED_MATERIAL = 'authored';
/** The texture name for "no texture". */
export const NO_TEXTURE = 'none';

// ------------------------------------------------------------------ values

const PRIM_PATH_RE = /^(\/[^/]+)+$/;
const PrimPathField = z.string({ error: 'expected a prim path like "/World/Table"' }).regex(PRIM_PATH_RE, 'expected a prim path like "/World/Table"');
const PatternField = z
  .string({ error: 'expected a prim path or pattern like "/World/Objects/*"' })
  .regex(PRIM_PATH_RE, 'expected a prim path or pattern like "/World/Objects/*"');

/** One item or a non-empty list of them, always a list after parsing. */
function oneOrMany<T>(item: z.ZodType<T>, what: string) {
  return z.union([item, z.array(item).min(1, `expected at least one ${what}`)], { error: `expected ${what} or a list of them` }).transform((v) => (Array.isArray(v) ? v : [v]));
}

const num = (what = 'a number') => z.number({ error: `expected ${what}` });
const Vec3Exact = z.tuple([num(), num(), num()], { error: 'expected [x, y, z]' });

/** A vector, or one number for all three components. */
function vec3Value(min?: number, max?: number) {
  let component = num();
  if (min !== undefined) component = component.min(min, `expected components ≥ ${min}`);
  if (max !== undefined) component = component.max(max, `expected components ≤ ${max}`);
  return z
    .union([component, z.tuple([component, component, component])], { error: 'expected [x, y, z] (or one number for all three)' })
    .transform((v): Vec3 => (typeof v === 'number' ? [v, v, v] : [v[0], v[1], v[2]]));
}

const Per = z.enum(['frame', 'sequence'], { error: 'expected "frame" or "sequence"' });

// ------------------------------------------------------------------ distributions

interface ValueKind<T> {
  /** What a single value is, for messages ("a number", "a colour [r, g, b]"). */
  what: string;
  value: z.ZodType<T, unknown>;
  /** The JavaScript type of a bare value ("number" also for vectors, which may be one number). */
  primitive: 'number' | 'string';
  /** Only numeric kinds have uniform and normal distributions. */
  numeric?: { mean: z.ZodType<T, unknown>; std: z.ZodType<T, unknown>; lessOrEqual: (a: T, b: T) => boolean };
}

const DISTRIBUTION_HINT = `${DISTRIBUTION_KINDS.join(', ')}`;

/**
 * A parameter: a bare value (constant) or a one-key mapping naming the distribution:
 * `{ uniform: [min, max] }`, `{ normal: { mean, std, min?, max? } }`, `{ choice: [...], weights?: [...] }`,
 * `{ sequence: [...] }`, `{ constant: value }`, each with an optional `per: frame | sequence`.
 */
function distribution<T>(kind: ValueKind<T>) {
  const per = { per: Per.default('frame') };
  const schemas = {
    constant: z.strictObject({ constant: kind.value, ...per }),
    uniform: kind.numeric ? z.strictObject({ uniform: z.tuple([kind.value, kind.value], { error: 'expected [min, max]' }), ...per }) : null,
    normal: kind.numeric
      ? z.strictObject({
          normal: z.strictObject(
            { mean: kind.numeric.mean, std: kind.numeric.std, min: kind.value.optional(), max: kind.value.optional() },
            { error: 'expected { mean, std, min?, max? }' },
          ),
          ...per,
        })
      : null,
    choice: z.strictObject({
      choice: z.array(kind.value, { error: 'expected a list of values' }).min(1, 'expected at least one value'),
      weights: z.array(num('a weight ≥ 0').min(0, 'expected weights ≥ 0')).optional(),
      ...per,
    }),
    sequence: z.strictObject({ sequence: z.array(kind.value, { error: 'expected a list of values' }).min(1, 'expected at least one value'), ...per }),
  };
  return z.unknown().transform((raw, ctx): Distribution<T> => {
    const fail = (message: string, path: PropertyKey[] = []) => {
      ctx.issues.push({ code: 'custom', message, input: raw, path });
      return z.NEVER;
    };
    const forward = (issues: readonly z.core.$ZodIssue[]) => {
      for (const issue of issues) ctx.issues.push({ ...issue, input: raw } as never);
      return z.NEVER;
    };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      const bare = kind.value.safeParse(raw);
      if (bare.success) return { kind: 'constant', value: bare.data, per: 'frame' };
      // A value of the right type but out of range: say what is wrong with it.
      if (typeof raw === kind.primitive) return forward(bare.error.issues);
      const forms = kind.numeric ? '{ uniform: [min, max] }, { normal: { mean, std } }, { choice: [...] }' : '{ choice: [...] }, { sequence: [...] }';
      return fail(`expected ${kind.what} or a distribution such as ${forms}`);
    }
    const keys = Object.keys(raw);
    const named = keys.filter((k) => (DISTRIBUTION_KINDS as readonly string[]).includes(k));
    if (named.length === 0) {
      const unknown = keys.filter((k) => k !== 'per' && k !== 'weights');
      return fail(unknown.length ? `unknown distribution "${unknown[0]}" (expected one of ${DISTRIBUTION_HINT})` : `expected a distribution (one of ${DISTRIBUTION_HINT})`);
    }
    if (named.length > 1) return fail(`give one distribution, not ${named.join(' and ')}`);
    const name = named[0] as (typeof DISTRIBUTION_KINDS)[number];
    const schema = schemas[name];
    if (!schema) return fail(`a ${name} distribution needs numbers; use choice or sequence for ${kind.what}`, [name]);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return forward(parsed.error.issues);
    const d = parsed.data as Record<string, unknown> & { per: 'frame' | 'sequence' };
    switch (name) {
      case 'constant':
        return { kind: 'constant', value: d['constant'] as T, per: d.per };
      case 'uniform': {
        const [min, max] = d['uniform'] as [T, T];
        if (!kind.numeric!.lessOrEqual(min, max)) return fail('expected min ≤ max', ['uniform']);
        return { kind: 'uniform', min, max, per: d.per };
      }
      case 'normal': {
        const n = d['normal'] as { mean: T; std: T; min?: T; max?: T };
        if (n.min !== undefined && n.max !== undefined && !kind.numeric!.lessOrEqual(n.min, n.max)) return fail('expected min ≤ max', ['normal']);
        return { kind: 'normal', mean: n.mean, std: n.std, min: n.min ?? null, max: n.max ?? null, per: d.per };
      }
      case 'choice': {
        const values = d['choice'] as T[];
        const weights = (d['weights'] as number[] | undefined) ?? null;
        if (weights && weights.length !== values.length) return fail(`expected ${values.length} weights, one per choice`, ['weights']);
        if (weights && !(weights.reduce((s, w) => s + w, 0) > 0)) return fail('expected at least one positive weight', ['weights']);
        return { kind: 'choice', values, weights, per: d.per };
      }
      case 'sequence':
        return { kind: 'sequence', values: d['sequence'] as T[], per: d.per };
    }
  });
}

function numberDist(min?: number, max?: number, what = 'a number') {
  let value = num(what);
  if (min !== undefined) value = value.min(min, `expected a number ≥ ${min}`);
  if (max !== undefined) value = value.max(max, `expected a number ≤ ${max}`);
  return distribution<number>({ what, value, primitive: 'number', numeric: { mean: num(), std: num().min(0, 'expected std ≥ 0'), lessOrEqual: (a, b) => a <= b } });
}

/** Positive numbers with an exclusive lower bound of zero. */
function positiveDist(what = 'a number > 0') {
  const value = num(what).positive('expected a number > 0');
  return distribution<number>({ what, value, primitive: 'number', numeric: { mean: num(), std: num().min(0, 'expected std ≥ 0'), lessOrEqual: (a, b) => a <= b } });
}

function countDist(max: number) {
  const value = num('a count').int('expected a whole number').min(0, 'expected a count ≥ 0').max(max, `expected a count ≤ ${max}`);
  return distribution<number>({ what: 'a count', value, primitive: 'number', numeric: { mean: num(), std: num().min(0, 'expected std ≥ 0'), lessOrEqual: (a, b) => a <= b } });
}

function vec3Dist(min?: number, max?: number, what = 'a vector [x, y, z]') {
  return distribution<Vec3>({
    what,
    primitive: 'number',
    value: vec3Value(min, max),
    numeric: { mean: vec3Value(), std: vec3Value(0), lessOrEqual: (a, b) => a.every((x, k) => x <= b[k]!) },
  });
}

function categoryDist<T extends string>(what: string, value: z.ZodType<T, unknown>) {
  return distribution<T>({ what, value, primitive: 'string' });
}

const Degrees = numberDist(undefined, undefined, 'an angle in degrees');
const Fraction = numberDist(0, 1);
const Color = vec3Dist(0, 1, 'a colour [r, g, b] in 0..1');
const TextureChoice = z.enum([...TEXTURE_NAMES, NO_TEXTURE], { error: `expected a bundled texture (${[...TEXTURE_NAMES, NO_TEXTURE].join(', ')})` });

// ------------------------------------------------------------------ spec sections

/** A prim path, or a point [x, y, z] in world coordinates. */
const PointOrPrim = z.union([PrimPathField, Vec3Exact], { error: 'expected a prim path like "/World/Table" or a point [x, y, z]' });
export type PointOrPrim = z.infer<typeof PointOrPrim>;

const BoxRegion = z.strictObject({ min: Vec3Exact, max: Vec3Exact }).refine((b) => b.min.every((x, k) => x <= b.max[k]!), { message: 'expected min ≤ max', path: ['max'] });

export const Scatter = z
  .strictObject({
    /** Place on the top face of this prim's world bounds. */
    surface: PrimPathField.optional(),
    /** Place inside this box (world) or prim's world bounds. */
    volume: z.union([PrimPathField, BoxRegion], { error: 'expected a prim path or { min: [x, y, z], max: [x, y, z] }' }).optional(),
    /**
     * Only inside this world box as well (on a surface: its X and Z limits), e.g. the part of a
     * table a robot can reach.
     */
    within: BoxRegion.optional(),
    /** Keep this far (m) inside the surface's edges. */
    margin: num().min(0, 'expected a number ≥ 0').default(0.01),
    /** Minimum gap (m) between the bounds of placed objects. */
    spacing: num().min(0, 'expected a number ≥ 0').default(0.005),
    /** Height (m) above the surface at which objects are released to settle. */
    lift: num().min(0, 'expected a number ≥ 0').default(0.002),
    /** Candidate positions tried before an object is dropped from above the others instead. */
    attempts: num().int('expected a whole number').min(1, 'expected at least 1').max(1000, 'expected at most 1000').default(50),
    per: Per.default('frame'),
  })
  .superRefine((s, ctx) => {
    if ((s.surface === undefined) === (s.volume === undefined)) ctx.addIssue({ code: 'custom', message: 'give either surface or volume', path: [] });
  });
export type Scatter = z.infer<typeof Scatter>;

export const Rotation = z
  .strictObject({
    /** Degrees about the world up axis (+Y), on top of the authored orientation. */
    yaw: Degrees.optional(),
    /** A world axis for `angle`. */
    axis: Vec3Exact.refine((a) => Math.hypot(...a) > 0, 'expected a non-zero axis').optional(),
    /** Degrees about `axis`, on top of the authored orientation. */
    angle: Degrees.optional(),
    /** World XYZ Euler angles in degrees, replacing the authored orientation. */
    euler: vec3Dist(undefined, undefined, 'angles [x, y, z] in degrees').optional(),
    /** Uniformly random orientation. */
    free: z.boolean({ error: 'expected true or false' }).optional(),
    per: Per.default('frame'),
  })
  .superRefine((r, ctx) => {
    const modes = [r.yaw !== undefined, r.angle !== undefined, r.euler !== undefined, r.free === true].filter(Boolean).length;
    if (modes !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of yaw, angle (with axis), euler or free: true', path: [] });
    if ((r.axis === undefined) !== (r.angle === undefined)) ctx.addIssue({ code: 'custom', message: 'axis and angle go together', path: [r.axis === undefined ? 'axis' : 'angle'] });
  });
export type Rotation = z.infer<typeof Rotation>;

const appearance = {
  /** A material from the spec's palette (or "authored"); applied before the fields below. */
  material: categoryDist('a material name', z.string({ error: 'expected a material name' }).min(1)).optional(),
  color: Color.optional(),
  roughness: Fraction.optional(),
  metallic: Fraction.optional(),
  texture: categoryDist('a texture name', TextureChoice).optional(),
};

const physicsProperties = {
  /** kg */
  mass: positiveDist().optional(),
  /** Multiplies the authored mass (or density). */
  mass_scale: positiveDist().optional(),
  friction: numberDist(0).optional(),
  restitution: numberDist(0).optional(),
};

const pose = {
  scatter: Scatter.optional(),
  rotation: Rotation.optional(),
  /** Uniform factor on the authored scale. */
  scale: positiveDist().optional(),
};

function exclusive(a: string, b: string) {
  return (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (v[a] !== undefined && v[b] !== undefined) ctx.addIssue({ code: 'custom', message: `give ${a} or ${b}, not both`, path: [b] });
  };
}

export const ObjectGroup = z
  .strictObject({
    /** Prim paths or patterns. */
    prims: oneOrMany(PatternField, 'a prim path or pattern like "/World/Objects/*"').optional(),
    /** Prims carrying any of these labels (in any taxonomy). */
    label: oneOrMany(z.string({ error: 'expected a label' }).min(1, 'expected a label'), 'a label').optional(),
    ...pose,
    ...appearance,
    ...physicsProperties,
  })
  .superRefine((g, ctx) => {
    if (g.prims === undefined && g.label === undefined) ctx.addIssue({ code: 'custom', message: 'give prims (paths or patterns) or label to say which prims this entry randomizes', path: [] });
  })
  .superRefine(exclusive('mass', 'mass_scale'));
export type ObjectGroup = z.infer<typeof ObjectGroup>;

const ShapeChoice = z.union([z.enum(PRIMITIVE_SHAPES), PrimPathField], {
  error: `expected a primitive (${PRIMITIVE_SHAPES.join(', ')}) or the prim path of an asset in the scene`,
});

export const DistractorGroup = z
  .strictObject({
    count: countDist(1000),
    /** Primitive shapes, or prim paths of scene assets to copy. */
    shape: categoryDist('a shape', ShapeChoice).default({ kind: 'choice', values: [...PRIMITIVE_SHAPES], weights: null, per: 'frame' }),
    /** Edge of the primitive's bounding cube (m); assets keep their size. */
    size: positiveDist().default({ kind: 'uniform', min: 0.03, max: 0.08, per: 'frame' }),
    /** Class label of the distractors; null (default) leaves them unlabelled. */
    label: z.string({ error: 'expected a label or null' }).min(1, 'expected a label or null').nullable().default(null),
    /** Simulated as dynamic bodies (true) or static ones. */
    dynamic: z.boolean({ error: 'expected true or false' }).default(true),
    scatter: Scatter,
    rotation: Rotation.optional(),
    scale: positiveDist().optional(),
    ...appearance,
    ...physicsProperties,
  })
  .superRefine(exclusive('mass', 'mass_scale'));
export type DistractorGroup = z.infer<typeof DistractorGroup>;

export const ADDABLE_LIGHTS = ['sphere', 'distant'] as const;

export const LightGroup = z
  .strictObject({
    /** Existing light prims (paths or patterns). */
    prims: oneOrMany(PatternField, 'a prim path or pattern like "/World/Lights/*"').optional(),
    /** Add lights of this kind instead. */
    add: z.enum(ADDABLE_LIGHTS, { error: `expected a light kind to add (${ADDABLE_LIGHTS.join(', ')})` }).optional(),
    /** How many of the matched lights are on, or how many to add (default: all / 1). */
    count: countDist(64).optional(),
    intensity: numberDist(0).optional(),
    /** Kelvin → colour (blackbody). */
    temperature: numberDist(MIN_TEMPERATURE, MAX_TEMPERATURE, 'a temperature in kelvin').optional(),
    color: Color.optional(),
    /** World position (m). */
    position: vec3Dist().optional(),
    /** Degrees above the horizon of the direction the light comes from. */
    elevation: Degrees.optional(),
    /** Degrees about +Y from +X (right-handed: 90 is −Z) of the direction the light comes from. */
    azimuth: Degrees.optional(),
  })
  .superRefine((g, ctx) => {
    if ((g.prims === undefined) === (g.add === undefined)) ctx.addIssue({ code: 'custom', message: 'give prims (existing lights) or add (a light kind), not both', path: [] });
    if (g.add === 'sphere' && g.position === undefined) ctx.addIssue({ code: 'custom', message: 'added sphere lights need a position', path: ['position'] });
  })
  .superRefine(exclusive('temperature', 'color'));
export type LightGroup = z.infer<typeof LightGroup>;

export const Shell = z.strictObject({
  center: PointOrPrim,
  radius: positiveDist('a radius > 0'),
  elevation: Degrees.default({ kind: 'constant', value: 30, per: 'frame' }),
  azimuth: Degrees.default({ kind: 'uniform', min: 0, max: 360, per: 'frame' }),
});

export const CameraEntry = z
  .strictObject({
    prim: PrimPathField,
    /** Position on a spherical shell around a centre. */
    shell: Shell.optional(),
    /** Position uniformly inside a box (world). */
    box: BoxRegion.optional(),
    look_at: z
      .strictObject({
        /** Default: the shell's centre. */
        target: PointOrPrim.optional(),
        /** Offset (m) added to the target. */
        jitter: vec3Dist().optional(),
      })
      .optional(),
    /** Degrees about the viewing direction. */
    roll: Degrees.optional(),
    /** Vertical field of view, degrees. */
    fov: numberDist(0.1, 179, 'a field of view in degrees').optional(),
  })
  .superRefine(exclusive('shell', 'box'))
  .superRefine((c, ctx) => {
    if (c.look_at && c.look_at.target === undefined && !c.shell) ctx.addIssue({ code: 'custom', message: 'expected a target (there is no shell centre to look at)', path: ['look_at', 'target'] });
  });
export type CameraEntry = z.infer<typeof CameraEntry>;

const MaterialName = z.string().regex(/^[A-Za-z_][\w-]*$/, 'material names are letters, digits, _ and -');

export const PaletteMaterial = z.strictObject({
  color: vec3Value(0, 1).optional(),
  roughness: num().min(0).max(1).optional(),
  metallic: num().min(0).max(1).optional(),
  opacity: num().min(0).max(1).optional(),
  texture: TextureChoice.optional(),
});
export type PaletteMaterial = z.infer<typeof PaletteMaterial>;

export const RandomizationSpec = z
  .strictObject({
    version: z.literal(RANDOMIZATION_SPEC_VERSION, { error: `expected version: ${RANDOMIZATION_SPEC_VERSION}` }),
    description: z.string().optional(),
    /** Frames per sequence, for parameters drawn `per: sequence`. */
    sequence_length: num().int('expected a whole number').min(1, 'expected at least 1').default(1),
    /** Named visual materials for `material:` swaps. */
    materials: z.record(MaterialName, PaletteMaterial).default({}),
    objects: z.array(ObjectGroup, { error: 'expected a list of object entries' }).default([]),
    distractors: z.array(DistractorGroup, { error: 'expected a list of distractor entries' }).default([]),
    lights: z.array(LightGroup, { error: 'expected a list of light entries' }).default([]),
    cameras: z.array(CameraEntry, { error: 'expected a list of camera entries' }).default([]),
    background: z.strictObject({ color: Color.optional(), image: categoryDist('a texture name', TextureChoice).optional() }).default({}),
    physics: z.strictObject({ gravity: vec3Dist(undefined, undefined, 'a gravity vector [x, y, z] in m/s²').optional() }).default({}),
    /** Simulated time after placement so objects come to rest; 0 keeps poses as sampled. */
    settle: z
      .strictObject({
        seconds: num().min(0, 'expected a number ≥ 0').max(10, 'expected at most 10 seconds').default(0.5),
        /** Physics steps per second. */
        rate: num().min(30, 'expected at least 30 steps per second').max(2000, 'expected at most 2000 steps per second').default(240),
        /** End the settle early once every body is at rest (see REST in sample.ts); `seconds` is then the most it runs. */
        until_rest: z.boolean({ error: 'expected true or false' }).default(true),
      })
      .default({ seconds: 0.5, rate: 240, until_rest: true }),
  })
  .superRefine((spec, ctx) => {
    if (AUTHORED_MATERIAL in spec.materials) ctx.addIssue({ code: 'custom', message: `"${AUTHORED_MATERIAL}" is reserved (it keeps the authored material)`, path: ['materials', AUTHORED_MATERIAL] });
    const known = new Set([...Object.keys(spec.materials), AUTHORED_MATERIAL]);
    const check = (list: 'objects' | 'distractors') =>
      spec[list].forEach((g, i) => {
        const d = g.material;
        if (!d) return;
        const values = d.kind === 'constant' ? [d.value] : d.kind === 'choice' || d.kind === 'sequence' ? d.values : [];
        for (const name of values) {
          if (!known.has(name)) {
            const defined = Object.keys(spec.materials);
            ctx.addIssue({ code: 'custom', message: `unknown material "${name}" (define it under materials${defined.length ? `; defined: ${defined.join(', ')}` : ''})`, path: [list, i, 'material'] });
          }
        }
      });
    check('objects');
    check('distractors');
  });
export type RandomizationSpec = z.infer<typeof RandomizationSpec>;
export type RandomizationSpecInput = z.input<typeof RandomizationSpec>;

// ------------------------------------------------------------------ parsing

/** Validates an already-parsed value (from JSON, a worker message, the UI) as a spec. */
export function validateRandomizationSpec(value: unknown, file: string, lineOf: LineOf = () => null): RandomizationSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(file, `a randomization spec must be a mapping starting with "version: ${RANDOMIZATION_SPEC_VERSION}"`);
  return validateWithSchema(RandomizationSpec, upgradeDocument(RANDOMIZATION_SPEC_FORMAT, value, file, lineOf), file, lineOf);
}

/** Parses a spec from YAML or JSON text (JSON is YAML), naming file, field and line on failure. */
export function parseRandomizationSpec(text: string, file: string): RandomizationSpec {
  const { value, lineOf } = parseYamlText(text, file);
  return validateRandomizationSpec(value, file, lineOf);
}

// ------------------------------------------------------------------ checks against a scene

/**
 * What a schema cannot know: that the paths, patterns and labels a spec names exist in this scene,
 * and that they name the right kind of prim. Throws an InputError naming the field.
 */
export function checkSpecAgainstScene(spec: RandomizationSpec, doc: SceneDocument, file: string): void {
  const fail = (path: PropertyKey[], message: string): never => {
    throw new InputError(file, `${fieldPath(path)}: ${message}`);
  };
  const paths = new Set(doc.prims.map((p) => p.path));
  const prims = new Map(doc.prims.map((p) => [p.path, p]));
  const world = worldMatrices(doc);
  const labels = sceneLabels(doc.prims);

  const requirePrim = (path: PropertyKey[], p: string) => {
    if (!paths.has(p)) fail(path, `${p} is not a prim in the scene`);
  };
  const requireBounds = (path: PropertyKey[], p: string) => {
    requirePrim(path, p);
    if (subtreeWorldBounds(doc, p, world).isEmpty()) fail(path, `${p} has no geometry to take bounds from`);
  };
  const requirePointOrPrim = (path: PropertyKey[], v: PointOrPrim | undefined) => {
    if (typeof v === 'string') requireBounds(path, v);
  };
  const checkPatterns = (path: PropertyKey[], patterns: string[] | undefined, accept: (p: string) => boolean = () => true, kind = 'prim') => {
    patterns?.forEach((pattern, k) => {
      const where = patterns.length > 1 ? [...path, k] : path;
      const matched = matchPrims(doc.prims, pattern);
      if (!matched.length) fail(where, isPattern(pattern) ? `"${pattern}" matches no prim` : `${pattern} is not a prim in the scene`);
      if (!matched.some(accept)) fail(where, `"${pattern}" matches no ${kind}`);
    });
  };
  const checkScatter = (path: PropertyKey[], s: Scatter | undefined) => {
    if (!s) return;
    if (s.surface) requireBounds([...path, 'surface'], s.surface);
    if (typeof s.volume === 'string') requireBounds([...path, 'volume'], s.volume);
  };
  const checkShapes = (path: PropertyKey[], d: Distribution<string>) => {
    const values = d.kind === 'constant' ? [d.value] : d.kind === 'choice' || d.kind === 'sequence' ? d.values : [];
    for (const v of values) if (v.startsWith('/')) requireBounds(path, v);
  };

  const scatteredBy = new Map<string, number>();
  spec.objects.forEach((g, i) => {
    checkPatterns(['objects', i, 'prims'], g.prims);
    g.label?.forEach((label, k) => {
      if (!labels.includes(label)) fail(['objects', i, 'label', ...(g.label!.length > 1 ? [k] : [])], `no prim is labelled "${label}" (labels in the scene: ${labels.join(', ') || 'none'})`);
    });
    checkScatter(['objects', i, 'scatter'], g.scatter);
    if (g.scatter) {
      const surface = g.scatter.surface ?? (typeof g.scatter.volume === 'string' ? g.scatter.volume : null);
      for (const p of selectPrims(doc.prims, g)) {
        const before = scatteredBy.get(p);
        const selector = ['objects', i, g.prims ? 'prims' : 'label'];
        if (before !== undefined) fail(selector, `${p} is already scattered by objects[${before}]`);
        for (const [other, j] of scatteredBy) if (isWithin(p, other) || isWithin(other, p)) fail(selector, `${p} and ${other} (objects[${j}]) are nested; scatter one of them`);
        if (surface && (isWithin(surface, p) || isWithin(p, surface))) fail(['objects', i, 'scatter'], `${p} cannot be scattered on itself (${surface})`);
        scatteredBy.set(p, i);
      }
    }
  });
  spec.distractors.forEach((g, i) => {
    checkScatter(['distractors', i, 'scatter'], g.scatter);
    checkShapes(['distractors', i, 'shape'], g.shape);
  });
  spec.lights.forEach((g, i) => checkPatterns(['lights', i, 'prims'], g.prims, (p) => prims.get(p)?.light !== undefined, 'light'));
  spec.cameras.forEach((c, i) => {
    requirePrim(['cameras', i, 'prim'], c.prim);
    if (!prims.get(c.prim)!.camera) fail(['cameras', i, 'prim'], `${c.prim} is not a camera`);
    if (spec.cameras.findIndex((o) => o.prim === c.prim) !== i) fail(['cameras', i, 'prim'], `${c.prim} is listed twice`);
    requirePointOrPrim(['cameras', i, 'shell', 'center'], c.shell?.center);
    requirePointOrPrim(['cameras', i, 'look_at', 'target'], c.look_at?.target);
  });
  const root = sampledRoot(doc);
  if (spec.distractors.length && paths.has(`${root}/${DISTRACTOR_ROOT}`)) fail(['distractors'], `the scene already has a prim at ${root}/${DISTRACTOR_ROOT}, where distractors go`);
  if (spec.lights.some((g) => g.add) && paths.has(`${root}/${ADDED_LIGHT_ROOT}`)) fail(['lights'], `the scene already has a prim at ${root}/${ADDED_LIGHT_ROOT}, where added lights go`);
}

/** The root prim that sampled prims (distractors, added lights) are created under: the scene's first root, or /World. */
export function sampledRoot(doc: Pick<SceneDocument, 'prims'>): string {
  const first = doc.prims[0]?.path;
  return first ? first.slice(0, first.indexOf('/', 1) === -1 ? undefined : first.indexOf('/', 1)) : '/World';
}

/** The cameras a frame is rendered from: the spec's, in order, or else the scene's first camera. */
export function specCameraPaths(doc: Pick<SceneDocument, 'prims'>, spec: RandomizationSpec | null): string[] {
  if (spec?.cameras.length) return spec.cameras.map((c) => c.prim);
  const first = doc.prims.find((p) => p.camera);
  return first ? [first.path] : [];
}

/** Class labels the spec can add to a scene (its distractors'), sorted. */
export function specLabels(spec: RandomizationSpec | null): string[] {
  return [...new Set((spec?.distractors ?? []).map((g) => g.label).filter((l): l is string => l !== null))].sort();
}

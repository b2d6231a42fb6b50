/**
 * Policy packages: a JSON manifest (versioned, checked with zod, errors naming the field) beside
 * one or more ONNX graphs. The manifest says, without code, how the simulator's observations
 * become the graphs' input tensors and how their output becomes robot actions; docs/POLICY.md is
 * its reference. `parsePolicyManifest` checks the file on its own; `resolvePolicy` reads what it
 * points at (stats.json, vocabulary) and returns the processors the runtime uses.
 */
import { upgradeDocument, versionedFormat } from '../versioned.ts';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { validateWithSchema } from '../yamlSpec.ts';
import type { ImageInputSpec } from './image.ts';
import { makeNormalizer, type NormalizationMode, type Normalizer, STATS_FOR_MODE, statsFromLeRobot } from './normalize.ts';
import { huggingFaceTokenizer, type Tokens, wordTokenizer } from './tokenizer.ts';

export const POLICY_MANIFEST_VERSION = 2;
/**
 * Version (the `simloop_policy` field) and migrations (engine/versioned.ts). Version 2 names the
 * robot by its profile (any robot, not only "panda"), takes state and actions by the profile's
 * feature names, and any camera of the scene; a version-1 manifest (a Panda policy) reads unchanged.
 */
export const POLICY_MANIFEST_FORMAT = versionedFormat({ name: 'policy manifest', field: 'simloop_policy', current: POLICY_MANIFEST_VERSION, migrations: { 1: (manifest) => manifest } });

/** Proprioceptive quantities, concatenated in the order listed, and how many numbers each is. */
export const STATE_QUANTITIES = {
  joint_positions: 7,
  finger_positions: 2,
  ee_position: 3,
  ee_quaternion: 4,
  gripper_width: 1,
} as const;
export type StateQuantity = keyof typeof STATE_QUANTITIES;

/** What an action's numbers mean, and how many there are (the robot's 7 arm joints, or the tool's pose, then the gripper). */
export const ACTION_SPACES = {
  /** Tool displacement (m) and rotation vector (rad), world frame, then gripper (< 0 open, ≥ 0 close). */
  ee_delta_pose: 7,
  /** Arm joint targets (rad), then gripper. */
  joint_position: 8,
  /** Arm joint target increments (rad), then gripper. */
  joint_delta: 8,
  /**
   * The robot profile's features, as `outputs.features` names them: joint targets in the features'
   * units (LeRobot's joint-position action: the SO-101's `shoulder_pan.pos` … in degrees, its
   * `gripper.pos` 0 … 100). As many numbers as features.
   */
  features: 0,
} as const;
export type ActionSpace = keyof typeof ACTION_SPACES;

/** How many numbers one action of the manifest has. */
export function actionSize(outputs: { space: ActionSpace; features?: readonly string[] | undefined }): number {
  return outputs.space === 'features' ? (outputs.features?.length ?? 0) : ACTION_SPACES[outputs.space];
}

/** A feature name as a robot profile gives it ("shoulder_pan.pos"). */
const featureName = z.string().min(1, 'expected a feature name');

const manifestRobot = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a robot profile name such as "panda" or "so101"');

const tensorName = z.string().regex(/^[A-Za-z_][\w.:/-]*$/, 'expected a tensor name (letters, digits, _ . : / -)');
const fileName = z.string().regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/, 'expected a file path relative to the manifest (no "..", no leading "/")');
const finiteArray = z.array(z.number().refine(Number.isFinite, 'expected a finite number'));

const normalization = z.union([
  z.object({ mode: z.literal('identity') }).strict(),
  z
    .object({
      mode: z.enum(['mean_std', 'min_max', 'quantiles']),
      /** Inline statistics … */
      mean: finiteArray.optional(),
      std: finiteArray.optional(),
      min: finiteArray.optional(),
      max: finiteArray.optional(),
      q01: finiteArray.optional(),
      q99: finiteArray.optional(),
      /** … or a feature of a LeRobot stats.json beside the manifest. */
      stats_file: fileName.optional(),
      feature: z.string().optional(),
    })
    .strict()
    .superRefine((n, ctx) => {
      if (n.stats_file !== undefined) {
        if (n.feature === undefined) ctx.addIssue({ code: 'custom', path: ['feature'], message: 'stats_file needs the feature to read (e.g. "action")' });
        return;
      }
      for (const name of STATS_FOR_MODE[n.mode]) {
        if ((n as Record<string, unknown>)[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `${n.mode} needs "${name}" (or stats_file and feature)` });
      }
    }),
]);

const cameraName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a camera name such as "scene", "wrist" or "front"');

const imageInput = z
  .object({
    tensor: tensorName,
    /**
     * The camera that feeds it, by the name datasets give its stream: "scene" (the scene camera),
     * "wrist", "front", … (a camera prim's name without "camera"; a profile's mounted camera's name).
     */
    camera: cameraName,
    width: z.number().int().min(8).max(1024),
    height: z.number().int().min(8).max(1024),
    fit: z.enum(['stretch', 'crop', 'pad']).default('stretch'),
    pad_align: z.enum(['center', 'bottom-right']).default('center'),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    dtype: z.enum(['float32', 'uint8']).default('float32'),
    range: z.tuple([z.number(), z.number()]).default([0, 1]),
    mean: z.tuple([z.number(), z.number(), z.number()]).optional(),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional(),
  })
  .strict()
  .refine((i) => (i.mean === undefined) === (i.std === undefined), { message: 'mean and std go together', path: ['std'] });

const wordTokenizerSpec = z
  .object({
    kind: z.literal('words'),
    /** The vocabulary inline (index = id) or a JSON file holding that array. */
    vocabulary: z.array(z.string()).min(2).optional(),
    vocabulary_file: fileName.optional(),
    pad: z.string().default('<pad>'),
    unknown: z.string().default('<unk>'),
    lowercase: z.boolean().default(true),
  })
  .strict()
  .refine((t) => (t.vocabulary === undefined) !== (t.vocabulary_file === undefined), { message: 'give exactly one of vocabulary and vocabulary_file', path: ['vocabulary'] });

const huggingFaceTokenizerSpec = z
  .object({
    kind: z.literal('huggingface'),
    /** tokenizer.json and tokenizer_config.json as a model repository ships them. */
    file: fileName,
    config_file: fileName.optional(),
    /** The padding id when the config names no pad_token. */
    pad_id: z.number().int().min(0).optional(),
  })
  .strict();

const graph = z
  .object({
    name: z.string().min(1),
    file: fileName.refine((f) => f.endsWith('.onnx'), 'expected an .onnx file'),
    /** Graph input name → the name of the tensor that feeds it (defaults: the same name). */
    bind: z.record(z.string(), tensorName).default({}),
    /**
     * Run this graph `times` times (a denoising or flow-matching loop): after each run the output
     * `carry.from` becomes the tensor `carry.to` for the next; `time` (optional) feeds a float32
     * [1] tensor going from `start` towards `end` in equal steps (start + (end − start)·k/times).
     */
    repeat: z
      .object({
        times: z.number().int().min(1).max(1000),
        carry: z.object({ from: tensorName, to: tensorName }).strict(),
        time: z.object({ tensor: tensorName, start: z.number(), end: z.number() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Tensors the runtime creates before the graphs run: a loop's starting point. */
const latent = z
  .object({
    tensor: tensorName,
    shape: z.array(z.number().int().min(1)).min(1).max(6),
    /** zeros, or standard normal noise drawn from (seed, episode, control step, tensor, element). */
    init: z.enum(['zeros', 'normal']),
  })
  .strict();

const actionSpace = z.enum(Object.keys(ACTION_SPACES) as [ActionSpace, ...ActionSpace[]]);
const actionLimits = z.object({ low: finiteArray, high: finiteArray }).strict().optional();
/** The control rate and how chunks are executed, the same for graphs and servers. */
const control = z
  .object({
    hz: z.number().min(1).max(1000),
    n_action_steps: z.number().int().min(1),
    /** ACT's temporal ensembling coefficient; needs n_action_steps 1. */
    temporal_ensemble: z.number().nullable().default(null),
  })
  .strict();

/** The checks across fields every manifest shares: feature names with space "features", limits one per action value, ensembling one step at a time. */
function checkActionsAndControl(
  m: { outputs: { space: ActionSpace; features?: string[] | undefined; limits?: { low: number[]; high: number[] } | undefined }; control: { n_action_steps: number; temporal_ensemble: number | null } },
  ctx: z.RefinementCtx,
): void {
  const dim = actionSize(m.outputs);
  if (m.outputs.space === 'features' && !m.outputs.features) ctx.addIssue({ code: 'custom', path: ['outputs', 'features'], message: 'space "features" needs the feature names the action sets' });
  if (m.outputs.space !== 'features' && m.outputs.features) ctx.addIssue({ code: 'custom', path: ['outputs', 'features'], message: `only space "features" takes feature names (space is "${m.outputs.space}")` });
  if (m.control.temporal_ensemble !== null && m.control.n_action_steps !== 1) ctx.addIssue({ code: 'custom', path: ['control', 'temporal_ensemble'], message: 'temporal ensembling runs the policy every step: n_action_steps must be 1' });
  const { limits } = m.outputs;
  if (!limits) return;
  for (const side of ['low', 'high'] as const) {
    if (limits[side].length !== dim) ctx.addIssue({ code: 'custom', path: ['outputs', 'limits', side], message: `${limits[side].length} values; ${m.outputs.space} actions have ${dim}` });
  }
  limits.low.forEach((lo, i) => {
    if (lo > limits.high[i]!) ctx.addIssue({ code: 'custom', path: ['outputs', 'limits', 'low', i], message: `${lo} is above high[${i}]` });
  });
}

/** What every manifest, graphs or served, starts with. */
const manifestHeader = {
  simloop_policy: z.literal(POLICY_MANIFEST_VERSION, { message: `expected ${POLICY_MANIFEST_VERSION} (the manifest format version this Simloop reads)` }),
  name: z.string().min(1),
  description: z.string().default(''),
  /** The robot the policy drives: its profile's name ("panda", "so101"); the task's robot must be it. */
  robot: manifestRobot,
};

export const manifestSchema = z
  .object({
    ...manifestHeader,
    inputs: z
      .object({
        images: z.array(imageInput).default([]),
        state: z
          .object({
            tensor: tensorName,
            /** Simloop's quantities (joint_positions, ee_position, …) … */
            quantities: z.array(z.enum(Object.keys(STATE_QUANTITIES) as [StateQuantity, ...StateQuantity[]])).min(1).optional(),
            /** … or the robot profile's features by name, in their units (LeRobot's observation.state). */
            features: z.array(featureName).min(1).optional(),
            normalization,
          })
          .strict()
          .refine((st) => (st.quantities === undefined) !== (st.features === undefined), { message: 'give exactly one of quantities and features', path: ['quantities'] })
          .optional(),
        instruction: z
          .object({
            ids_tensor: tensorName,
            mask_tensor: tensorName.optional(),
            max_length: z.number().int().min(1).max(512),
            dtype: z.enum(['int64', 'int32']).default('int64'),
            tokenizer: z.union([wordTokenizerSpec, huggingFaceTokenizerSpec]),
          })
          .strict()
          .optional(),
        /**
         * How many control steps of observations each image and state input holds, oldest first
         * (LeRobot's n_obs_steps). 1: the current one, tensors as written ([1, C, H, W], [1, D]);
         * h > 1 adds a time axis after the batch ([1, h, C, H, W], [1, h, D]).
         */
        history: z.number().int().min(1).max(16).default(1),
      })
      .strict(),
    outputs: z
      .object({
        /** Output tensor of shape [1, chunk, dim] (or [chunk, dim]). */
        tensor: tensorName,
        chunk: z.number().int().min(1).max(1000),
        space: actionSpace,
        /** With space "features": the robot profile's features the action sets, in order. */
        features: z.array(featureName).min(1).optional(),
        normalization,
        /** Actions are clipped to these after de-normalisation (SI units, one per dimension). */
        limits: actionLimits,
      })
      .strict(),
    control,
    /** Run in order; each graph's outputs are named tensors the later graphs (and outputs.tensor) can use. */
    graphs: z.array(graph).min(1).max(16),
    latents: z.array(latent).default([]),
  })
  .strict()
  .superRefine((m, ctx) => {
    checkActionsAndControl(m, ctx);
    if (m.control.n_action_steps > m.outputs.chunk) ctx.addIssue({ code: 'custom', path: ['control', 'n_action_steps'], message: `${m.control.n_action_steps} is more than outputs.chunk (${m.outputs.chunk})` });
    const names = [...m.inputs.images.map((i) => i.tensor), m.inputs.state?.tensor, m.inputs.instruction?.ids_tensor, m.inputs.instruction?.mask_tensor, ...m.latents.map((l) => l.tensor)].filter((n): n is string => n !== undefined);
    m.graphs.forEach((g, i) => {
      if (m.graphs.findIndex((h) => h.name === g.name) !== i) ctx.addIssue({ code: 'custom', path: ['graphs', i, 'name'], message: `"${g.name}" names two graphs` });
    });
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['inputs'], message: `tensor name "${name}" is used twice` });
      seen.add(name);
    }
    if (names.length === 0) ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'a policy needs at least one input (images, state or instruction)' });
  });

export type PolicyManifest = z.infer<typeof manifestSchema>;

/**
 * A policy served over the network instead of ONNX graphs in the tab (docs/POLICY.md, "Remote
 * policies"): the server (openpi's `serve_policy.py`, or training/serve_policy.py) runs the model
 * and its own pre- and post-processing; the manifest says which observation goes under which key
 * of the request and what the reply's actions mean. Same version as graph manifests: a manifest
 * holds `remote` or `graphs`, and a Simloop that predates `remote` refuses it by name.
 */
export const REMOTE_PROTOCOLS = ['openpi-websocket'] as const;

const messageKey = z.string().min(1, 'expected the key the server reads (e.g. "observation/image")');

const remoteImage = z
  .object({
    key: messageKey,
    camera: cameraName,
    width: z.number().int().min(8).max(1024),
    height: z.number().int().min(8).max(1024),
    fit: z.enum(['stretch', 'crop', 'pad']).default('stretch'),
    pad_align: z.enum(['center', 'bottom-right']).default('center'),
    /** Height × width × RGB, no batch axis (openpi's observation images). */
    layout: z.literal('HWC').default('HWC'),
    dtype: z.literal('uint8').default('uint8'),
  })
  .strict();

export const remoteManifestSchema = z
  .object({
    ...manifestHeader,
    remote: z
      .object({
        protocol: z.enum(REMOTE_PROTOCOLS, { message: `expected one of ${REMOTE_PROTOCOLS.join(', ')}` }),
        url: z.string().regex(/^wss?:\/\/[^\s/]+(\/\S*)?$/, 'expected a WebSocket URL such as "ws://127.0.0.1:8000"'),
        /** The environment variable holding the API key (sent as openpi sends it: "Authorization: Api-Key <key>"), or null. */
        api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').nullable().default(null),
        /** Seconds to wait for a reply (or for the metadata on connecting) before the episode is marked errored. */
        timeout_s: z.number().positive().max(3600).default(30),
      })
      .strict(),
    inputs: z
      .object({
        images: z.array(remoteImage).default([]),
        state: z
          .object({
            key: messageKey,
            quantities: z.array(z.enum(Object.keys(STATE_QUANTITIES) as [StateQuantity, ...StateQuantity[]])).min(1).optional(),
            features: z.array(featureName).min(1).optional(),
            dtype: z.enum(['float32', 'float64']).default('float32'),
          })
          .strict()
          .refine((st) => (st.quantities === undefined) !== (st.features === undefined), { message: 'give exactly one of quantities and features', path: ['quantities'] })
          .optional(),
        /** The instruction, as a string under this key (openpi: "prompt"). */
        instruction: z.object({ key: messageKey }).strict().optional(),
      })
      .strict(),
    outputs: z
      .object({
        /** The reply's action chunk: [chunk, dim] (or [dim], one action). */
        key: messageKey,
        space: actionSpace,
        features: z.array(featureName).min(1).optional(),
        limits: actionLimits,
      })
      .strict(),
    control,
  })
  .strict()
  .superRefine((m, ctx) => {
    checkActionsAndControl(m, ctx);
    const keys = [...m.inputs.images.map((i) => i.key), m.inputs.state?.key, m.inputs.instruction?.key].filter((k): k is string => k !== undefined);
    keys.forEach((k, i) => {
      if (keys.indexOf(k) !== i) ctx.addIssue({ code: 'custom', path: ['inputs'], message: `key "${k}" is used twice` });
    });
    if (keys.length === 0) ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'a policy needs at least one input (images, state or instruction)' });
  });

export type RemotePolicyManifest = z.infer<typeof remoteManifestSchema>;
/** A policy manifest of either kind: ONNX graphs run in the tab, or a server. */
export type AnyPolicyManifest = PolicyManifest | RemotePolicyManifest;

export const isRemotePolicy = (m: AnyPolicyManifest): m is RemotePolicyManifest => 'remote' in m;

/** Checks a manifest of either kind; errors name the file and the field. */
export function parseAnyPolicyManifest(text: string, file: string): AnyPolicyManifest {
  const json = manifestJson(text, file);
  const upgraded = upgradeDocument(POLICY_MANIFEST_FORMAT, json, file);
  if (upgraded !== null && typeof upgraded === 'object' && 'remote' in upgraded) return validateWithSchema(remoteManifestSchema, upgraded, file);
  return validateWithSchema(manifestSchema, upgraded, file);
}

function manifestJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `not JSON (${(e as Error).message})`);
  }
}

/** Checks a manifest's text; errors name the file and the field. */
export function parsePolicyManifest(text: string, file: string): PolicyManifest {
  const manifest = parseAnyPolicyManifest(text, file);
  if (isRemotePolicy(manifest)) throw new InputError(file, `remote: this manifest names a policy server (${manifest.remote.url}), not ONNX graphs run here`);
  return manifest;
}

/** The number of values in the state tensor. */
export function stateSize(quantities: readonly StateQuantity[]): number {
  return quantities.reduce((n, q) => n + STATE_QUANTITIES[q], 0);
}

/** A manifest with everything it points at read and checked: what the runtime needs. */
export interface ResolvedPolicy {
  manifest: PolicyManifest;
  images: (ImageInputSpec & { tensor: string; camera: string })[];
  /** The state tensor: Simloop's quantities, or the robot profile's features by name. */
  state: { tensor: string; quantities: StateQuantity[] | null; features: string[] | null; normalizer: Normalizer } | null;
  instruction: { idsTensor: string; maskTensor: string | null; dtype: 'int64' | 'int32'; tokenize: (text: string) => Tokens } | null;
  action: { tensor: string; chunk: number; dim: number; space: ActionSpace; features: string[] | null; normalizer: Normalizer; low: number[] | null; high: number[] | null };
}

/**
 * Reads the files the manifest names (through `readFile`, relative to the manifest; null when a
 * file is missing) and builds the processors. Errors name the manifest, the field and the file.
 */
export function resolvePolicy(manifest: PolicyManifest, file: string, readFile: (path: string) => string | null): ResolvedPolicy {
  const readJson = (path: string, field: string): unknown => {
    const text = readFile(path);
    if (text === null) throw new InputError(file, `${field}: "${path}" was not found beside the manifest`);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new InputError(file, `${field}: "${path}" is not JSON (${(e as Error).message})`);
    }
  };
  const statsCache = new Map<string, unknown>();
  const normalizer = (spec: z.infer<typeof normalization>, dim: number, field: string): Normalizer => {
    try {
      if (spec.mode === 'identity') return makeNormalizer('identity', {}, dim);
      let stats: Record<string, readonly number[] | undefined> = { mean: spec.mean, std: spec.std, min: spec.min, max: spec.max, q01: spec.q01, q99: spec.q99 };
      if (spec.stats_file !== undefined) {
        if (!statsCache.has(spec.stats_file)) statsCache.set(spec.stats_file, readJson(spec.stats_file, `${field}.stats_file`));
        stats = statsFromLeRobot(statsCache.get(spec.stats_file), spec.feature!);
      }
      return makeNormalizer(spec.mode as NormalizationMode, stats, dim);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(file, `${field}: ${(e as Error).message}`);
    }
  };

  const { inputs, outputs } = manifest;
  const st = inputs.state;
  const state = st
    ? {
        tensor: st.tensor,
        quantities: st.quantities ?? null,
        features: st.features ?? null,
        normalizer: normalizer(st.normalization, st.features ? st.features.length : stateSize(st.quantities!), 'inputs.state.normalization'),
      }
    : null;
  let instruction: ResolvedPolicy['instruction'] = null;
  if (inputs.instruction) {
    const t = inputs.instruction.tokenizer;
    const field = 'inputs.instruction.tokenizer';
    let tokenize: (text: string) => Tokens;
    if (t.kind === 'words') {
      const vocabulary = t.vocabulary ?? readJson(t.vocabulary_file!, `${field}.vocabulary_file`);
      if (!Array.isArray(vocabulary) || !vocabulary.every((w) => typeof w === 'string')) {
        throw new InputError(file, `${field}.vocabulary_file: "${t.vocabulary_file}" must hold a JSON array of strings`);
      }
      try {
        tokenize = wordTokenizer({ vocabulary, maxLength: inputs.instruction.max_length, pad: t.pad, unknown: t.unknown, lowercase: t.lowercase });
      } catch (e) {
        throw new InputError(file, `${field}: ${(e as Error).message}`);
      }
    } else {
      const tokenizerJson = readJson(t.file, `${field}.file`);
      const configJson = t.config_file ? readJson(t.config_file, `${field}.config_file`) : {};
      try {
        tokenize = huggingFaceTokenizer({ tokenizerJson, configJson, maxLength: inputs.instruction.max_length, ...(t.pad_id !== undefined ? { padId: t.pad_id } : {}) });
      } catch (e) {
        throw new InputError(file, `${field}: ${(e as Error).message}`);
      }
    }
    instruction = { idsTensor: inputs.instruction.ids_tensor, maskTensor: inputs.instruction.mask_tensor ?? null, dtype: inputs.instruction.dtype, tokenize };
  }
  const dim = actionSize(outputs);
  return {
    manifest,
    images: inputs.images.map((i) => ({
      tensor: i.tensor,
      camera: i.camera,
      width: i.width,
      height: i.height,
      fit: i.fit,
      padAlign: i.pad_align,
      layout: i.layout,
      dtype: i.dtype,
      range: i.range,
      ...(i.mean && i.std ? { mean: i.mean, std: i.std } : {}),
    })),
    state,
    instruction,
    action: {
      tensor: outputs.tensor,
      chunk: outputs.chunk,
      dim,
      space: outputs.space,
      features: outputs.features ?? null,
      normalizer: normalizer(outputs.normalization, dim, 'outputs.normalization'),
      low: outputs.limits?.low ?? null,
      high: outputs.limits?.high ?? null,
    },
  };
}

/** The size all of a policy's images share (its cameras render best at it), or null when they differ. */
export function ownImageSize(manifest: AnyPolicyManifest): [number, number] | null {
  const sizes = new Set(manifest.inputs.images.map((i) => `${i.width}x${i.height}`));
  return sizes.size === 1 ? [manifest.inputs.images[0]!.width, manifest.inputs.images[0]!.height] : null;
}

/** Every file a manifest names, relative to it. */
export function packageFiles(manifest: PolicyManifest): string[] {
  const files = new Set<string>(manifest.graphs.map((g) => g.file));
  for (const n of [manifest.inputs.state?.normalization, manifest.outputs.normalization]) {
    if (n && 'stats_file' in n && n.stats_file) files.add(n.stats_file);
  }
  const tokenizer = manifest.inputs.instruction?.tokenizer;
  if (tokenizer?.kind === 'words' && tokenizer.vocabulary_file) files.add(tokenizer.vocabulary_file);
  if (tokenizer?.kind === 'huggingface') {
    files.add(tokenizer.file);
    if (tokenizer.config_file) files.add(tokenizer.config_file);
  }
  return [...files];
}

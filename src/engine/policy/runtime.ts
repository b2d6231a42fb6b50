/**
 * A policy's graph behind its manifest: observations in (camera images, robot state, the
 * instruction), an action chunk out (de-normalised to SI units and clipped to the manifest's
 * limits). Backend-agnostic: the caller opens the ONNX session with onnxruntime-web (WebGPU or
 * WASM, in a worker) or onnxruntime-node and passes it with its Tensor constructor, so the engine
 * stays free of any one runtime and the same code runs in the browser, in Node and in tests.
 *
 * `checkGraph` compares the manifest with the graph before anything runs: every tensor the
 * manifest feeds must be a graph input of that dtype and shape (symbolic dimensions such as a
 * batch match anything), every graph input must be fed, and the action output must have the
 * chunk's shape. Mismatches are InputErrors naming the manifest field and the graph.
 */
import { InputError } from '../errors.ts';
import { unit } from '../randomize/draw.ts';
import { imageTensor, imageTensorShape, type RgbaImage } from './image.ts';
import type { ResolvedPolicy, StateQuantity } from './manifest.ts';

/** The part of an onnxruntime tensor used here. */
export interface TensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  /** Where the data lives: 'cpu', or 'gpu-buffer' for WebGPU outputs kept on the device. */
  readonly location?: string;
  /** Downloads a device tensor's data. */
  getData?(): Promise<unknown>;
  /** Frees a device tensor. */
  dispose?(): void;
}

/** The part of an onnxruntime InferenceSession used here (web and node have the same). */
export interface SessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[];
  readonly outputMetadata: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[];
  run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>>;
}

export type TensorFactory = (type: 'float32' | 'uint8' | 'int64' | 'int32', data: Float32Array | Uint8Array | BigInt64Array | Int32Array, dims: readonly number[]) => TensorLike;

/** What the robot and its cameras give the policy at one control step. */
export interface PolicyObservation {
  /** Camera images by stream name ("scene", "wrist", "front", …). */
  images: Partial<Record<string, RgbaImage>>;
  /** The robot profile's features by name, in their units (for policies that take state by feature). */
  features?: Readonly<Record<string, number>>;
  jointPositions: ArrayLike<number>;
  fingerPositions: ArrayLike<number>;
  eePosition: ArrayLike<number>;
  /** [x, y, z, w]. */
  eeQuaternion: ArrayLike<number>;
  gripperWidth: number;
  instruction: string;
  /** Where latent noise comes from (default seed 0, episode 0, step 0): the closed loop passes its own. */
  noise?: NoiseKey;
  /**
   * Earlier control steps' observations, oldest first, for policies with `inputs.history` > 1
   * (at the start of an episode there are fewer: the earliest is repeated, as LeRobot fills its
   * queue with the first observation).
   */
  past?: readonly PolicyObservation[];
}

/** Noise for latents is a pure function of these (and the tensor and element). */
export interface NoiseKey {
  seed: number;
  episode: number;
  step: number;
}

/** A failure while running the policy (not bad input): the episode is marked errored. */
export class PolicyError extends Error {}

interface FedTensor {
  name: string;
  type: string;
  dims: readonly number[];
  field: string;
}

/** The tensors the manifest feeds, with the dtype and shape it promises. */
function fedTensors(policy: ResolvedPolicy): FedTensor[] {
  const h = policy.manifest.inputs.history;
  const timed = (dims: readonly number[]) => (h > 1 ? [dims[0]!, h, ...dims.slice(1)] : dims);
  const out: FedTensor[] = policy.images.map((image, i) => ({ name: image.tensor, type: image.dtype, dims: timed(imageTensorShape(image)), field: `inputs.images[${i}]` }));
  if (policy.state) out.push({ name: policy.state.tensor, type: 'float32', dims: timed([1, policy.state.normalizer.dim]), field: 'inputs.state' });
  if (policy.instruction) {
    const length = policy.manifest.inputs.instruction!.max_length;
    out.push({ name: policy.instruction.idsTensor, type: policy.instruction.dtype, dims: [1, length], field: 'inputs.instruction.ids_tensor' });
    if (policy.instruction.maskTensor) out.push({ name: policy.instruction.maskTensor, type: policy.instruction.dtype, dims: [1, length], field: 'inputs.instruction.mask_tensor' });
  }
  return out;
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;
const shapeFits = (graph: readonly (number | string)[], fed: readonly number[]) => graph.length === fed.length && graph.every((d, i) => typeof d === 'string' || d < 0 || d === fed[i]);

/** The graph input name a pool tensor feeds (bind maps graph input → pool tensor). */
const graphInputName = (bind: Record<string, string>, tensor: string) => Object.entries(bind).find(([, source]) => source === tensor)?.[0] ?? tensor;

const sessionList = (sessions: SessionLike | readonly SessionLike[]): readonly SessionLike[] => (Array.isArray(sessions) ? (sessions as readonly SessionLike[]) : [sessions as SessionLike]);

/**
 * Throws an InputError naming the field when the manifest and the graphs disagree. Walks the
 * graph program in order, tracking which tensors exist (the manifest's inputs, its latents, each
 * graph's outputs, a loop's time tensor) and checking each graph's inputs against them.
 */
export function checkGraph(policy: ResolvedPolicy, sessions: SessionLike | readonly SessionLike[], file: string): void {
  const list = sessionList(sessions);
  const graphs = policy.manifest.graphs;
  if (list.length !== graphs.length) throw new Error(`checkGraph: ${graphs.length} graphs in the manifest, ${list.length} sessions given`);
  // What exists so far: name → dtype and shape (null where a graph's own metadata is symbolic).
  const known = new Map<string, { type: string | null; dims: readonly (number | string)[] | null; field: string }>();
  for (const t of fedTensors(policy)) known.set(t.name, { type: t.type, dims: t.dims, field: t.field });
  policy.manifest.latents.forEach((l, i) => known.set(l.tensor, { type: 'float32', dims: l.shape, field: `latents[${i}]` }));
  const fedNames = new Set(fedTensors(policy).map((t) => t.name));
  const used = new Set<string>();
  graphs.forEach((graph, g) => {
    const session = list[g]!;
    const where = `graphs[${g}] (${graph.file})`;
    const pool = new Map(known);
    if (graph.repeat?.time) pool.set(graph.repeat.time.tensor, { type: 'float32', dims: [1], field: `graphs[${g}].repeat.time` });
    const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
    // The manifest's own tensors must meet their graph input exactly (a single-graph policy: all of them).
    for (const [name, t] of pool) {
      const input = graphInputName(graph.bind, name);
      const meta = inputs.get(input);
      if (!meta) {
        if (graphs.length === 1 && fedNames.has(name)) throw new InputError(file, `${t.field}: the graph has no input "${input}" (${where} has ${session.inputNames.map((n) => `"${n}"`).join(', ')})`);
        continue;
      }
      used.add(name);
      if (t.type && meta.type && meta.type !== t.type) throw new InputError(file, `${t.field}: "${input}" is ${meta.type} in ${where}; the manifest gives ${t.type}`);
      if (t.dims && meta.shape && meta.shape.length > 0 && t.dims.every((d) => typeof d === 'number') && !shapeFits(meta.shape, t.dims as number[])) {
        throw new InputError(file, `${t.field}: "${input}" has shape ${shapeText(meta.shape)} in ${where}; the manifest gives ${shapeText(t.dims)}`);
      }
    }
    for (const name of session.inputNames) {
      const source = graph.bind[name] ?? name;
      if (!pool.has(source)) {
        throw new InputError(file, graphs.length === 1 ? `inputs: nothing in the manifest feeds the graph input "${name}" of ${where}` : `graphs[${g}]: nothing feeds the graph input "${name}" of ${where} (no input, latent or earlier graph output is named "${source}")`);
      }
    }
    if (graph.repeat) {
      const { carry } = graph.repeat;
      if (!session.outputNames.includes(carry.from)) throw new InputError(file, `graphs[${g}].repeat.carry.from: ${where} has no output "${carry.from}" (it has ${session.outputNames.map((n) => `"${n}"`).join(', ')})`);
      if (!session.inputNames.includes(graphInputName(graph.bind, carry.to))) throw new InputError(file, `graphs[${g}].repeat.carry.to: "${carry.to}" feeds no input of ${where}`);
    }
    for (const m of session.outputMetadata) known.set(m.name, { type: m.type ?? null, dims: m.shape && m.shape.length > 0 ? m.shape : null, field: `graphs[${g}]` });
  });
  for (const name of fedNames) {
    if (!used.has(name)) {
      const t = known.get(name)!;
      throw new InputError(file, `${t.field}: no graph takes "${name}" (the graphs take ${[...new Set(list.flatMap((s) => s.inputNames))].map((n) => `"${n}"`).join(', ')})`);
    }
  }
  const { action } = policy;
  const last = list[list.length - 1]!;
  const lastWhere = `graphs[${list.length - 1}] (${graphs[graphs.length - 1]!.file})`;
  const output = last.outputMetadata.find((m) => m.name === action.tensor);
  if (!output) throw new InputError(file, `outputs.tensor: the graph has no output "${action.tensor}" (${lastWhere} has ${last.outputNames.map((n) => `"${n}"`).join(', ')})`);
  if (output.type && output.type !== 'float32') throw new InputError(file, `outputs.tensor: "${action.tensor}" is ${output.type} in ${lastWhere}; expected float32`);
  const shape = output.shape && output.shape.length > 0 ? output.shape : null;
  if (shape && !(shapeFits(shape, [1, action.chunk, action.dim]) || shapeFits(shape, [action.chunk, action.dim]))) {
    throw new InputError(file, `outputs: "${action.tensor}" has shape ${shapeText(shape)} in ${lastWhere}; outputs.chunk ${action.chunk} of ${action.space} (${action.dim} values) needs [batch, ${action.chunk}, ${action.dim}]`);
  }
}

/** A standard normal draw from (seed, episode, step, path): Box–Muller on two hashed uniforms. */
function normalDraw(key: NoiseKey, path: string): number {
  const u1 = unit(key.seed, key.episode, `${path}:${key.step}:u1`) + 2 ** -54;
  const u2 = unit(key.seed, key.episode, `${path}:${key.step}:u2`);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Typed arrays of one kind, end to end (one part is returned as it is). */
function concatenate<T extends Float32Array | Uint8Array>(parts: T[]): T {
  if (parts.length === 1) return parts[0]!;
  const out = new (parts[0]!.constructor as { new (n: number): T })(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const quantityValues = (obs: PolicyObservation, q: StateQuantity): ArrayLike<number> => {
  switch (q) {
    case 'joint_positions':
      return obs.jointPositions;
    case 'finger_positions':
      return obs.fingerPositions;
    case 'ee_position':
      return obs.eePosition;
    case 'ee_quaternion':
      return obs.eeQuaternion;
    case 'gripper_width':
      return [obs.gripperWidth];
  }
};

/** The state a policy reads: Simloop's quantities in order, or the robot profile's features by name. */
export function stateVector(obs: PolicyObservation, state: { quantities: readonly StateQuantity[] | null; features: readonly string[] | null }): number[] {
  const values: number[] = [];
  if (state.features) {
    for (const name of state.features) {
      const value = obs.features?.[name];
      if (value === undefined) throw new PolicyError(`the robot has no feature "${name}" (the policy's state needs it; the robot's: ${Object.keys(obs.features ?? {}).join(', ') || 'none, it has no profile with features'})`);
      values.push(value);
    }
  } else for (const q of state.quantities ?? []) values.push(...Array.from(quantityValues(obs, q)));
  return values;
}

export interface InferenceResult {
  /** horizon × dim actions, row-major, SI units, clipped to the limits. */
  chunk: Float64Array;
  /** The graph's output as it came (normalised space). */
  raw: Float32Array;
  /** Milliseconds: building the inputs, running the graph. */
  ms: { preprocess: number; run: number };
  /** Instruction words the vocabulary does not know. */
  unknownWords: string[];
}

export class PolicyRuntime {
  private readonly sessions: readonly SessionLike[];

  private constructor(
    readonly policy: ResolvedPolicy,
    sessions: readonly SessionLike[],
    private readonly tensor: TensorFactory,
  ) {
    this.sessions = sessions;
  }

  /** Checks the manifest against the graphs, one session per graph in order (InputError naming the field when they disagree). */
  static create(policy: ResolvedPolicy, sessions: SessionLike | readonly SessionLike[], tensor: TensorFactory, file: string): PolicyRuntime {
    const list = sessionList(sessions);
    checkGraph(policy, list, file);
    return new PolicyRuntime(policy, list, tensor);
  }

  /** The input tensors for an observation (and the latents), by the manifest's tensor names. */
  feeds(obs: PolicyObservation): { feeds: Record<string, TensorLike>; unknownWords: string[] } {
    const { policy } = this;
    const feeds: Record<string, TensorLike> = {};
    const key = obs.noise ?? { seed: 0, episode: 0, step: 0 };
    for (const latent of policy.manifest.latents) {
      const data = new Float32Array(latent.shape.reduce((n, d) => n * d, 1));
      if (latent.init === 'normal') for (let i = 0; i < data.length; i++) data[i] = normalDraw(key, `policy:latent:${latent.tensor}:${i}`);
      feeds[latent.tensor] = this.tensor('float32', data, latent.shape);
    }
    // The observations the inputs hold, oldest first: the last `history` control steps.
    const h = policy.manifest.inputs.history;
    const frames = h > 1 ? [...(obs.past ?? []), obs].slice(-h) : [obs];
    while (frames.length < h) frames.unshift(frames[0]!);
    const timed = (dims: readonly number[]) => (h > 1 ? [dims[0]!, h, ...dims.slice(1)] : dims);
    for (const spec of policy.images) {
      const parts = frames.map((frame) => {
        const image = frame.images[spec.camera];
        if (!image) throw new PolicyError(`the ${spec.camera} camera gave no image (the policy's input "${spec.tensor}" needs it)`);
        return imageTensor(image, spec);
      });
      feeds[spec.tensor] = this.tensor(spec.dtype, concatenate(parts), timed(imageTensorShape(spec)));
    }
    if (policy.state) {
      const state = policy.state;
      const parts = frames.map((frame) => {
        const values = stateVector(frame, state);
        if (values.length !== state.normalizer.dim) throw new PolicyError(`the robot state has ${values.length} values; the policy's state needs ${state.normalizer.dim}`);
        return state.normalizer.normalize(values);
      });
      feeds[state.tensor] = this.tensor('float32', concatenate(parts), timed([1, state.normalizer.dim]));
    }
    let unknownWords: string[] = [];
    if (policy.instruction) {
      const tokens = policy.instruction.tokenize(obs.instruction);
      unknownWords = tokens.unknownWords;
      const typed = (values: number[]) => (policy.instruction!.dtype === 'int64' ? BigInt64Array.from(values, (v) => BigInt(v)) : Int32Array.from(values));
      feeds[policy.instruction.idsTensor] = this.tensor(policy.instruction.dtype, typed(tokens.ids), [1, tokens.ids.length]);
      if (policy.instruction.maskTensor) feeds[policy.instruction.maskTensor] = this.tensor(policy.instruction.dtype, typed(tokens.mask), [1, tokens.mask.length]);
    }
    return { feeds, unknownWords };
  }

  /**
   * Runs the graph program on tensors named as in the manifest (already tensors): each graph in
   * order, loops as the manifest writes them, and turns the action output into actions.
   */
  async run(feeds: Record<string, TensorLike>): Promise<{ chunk: Float64Array; raw: Float32Array }> {
    const { action } = this.policy;
    const pool = new Map(Object.entries(feeds));
    // Outputs left on the GPU (WebGPU): freed once the action chunk is read.
    const onDevice: TensorLike[] = [];
    try {
      return await this.runGraphs(pool, onDevice, action);
    } finally {
      for (const t of onDevice) t.dispose?.();
    }
  }

  private async runGraphs(pool: Map<string, TensorLike>, onDevice: TensorLike[], action: ResolvedPolicy['action']): Promise<{ chunk: Float64Array; raw: Float32Array }> {
    for (const [g, graph] of this.policy.manifest.graphs.entries()) {
      const session = this.sessions[g]!;
      const times = graph.repeat?.times ?? 1;
      for (let k = 0; k < times; k++) {
        const time = graph.repeat?.time;
        if (time) pool.set(time.tensor, this.tensor('float32', Float32Array.of(time.start + ((time.end - time.start) * k) / times), [1]));
        const inputs: Record<string, TensorLike> = {};
        for (const name of session.inputNames) {
          const value = pool.get(graph.bind[name] ?? name);
          if (!value) throw new PolicyError(`graphs[${g}] (${graph.file}) needs "${graph.bind[name] ?? name}", which nothing produced`);
          inputs[name] = value;
        }
        const outputs = await session.run(inputs);
        for (const [name, value] of Object.entries(outputs)) {
          if (value.location === 'gpu-buffer') onDevice.push(value);
          pool.set(name, value);
        }
        if (graph.repeat) pool.set(graph.repeat.carry.to, outputs[graph.repeat.carry.from]!);
      }
    }
    const out = pool.get(action.tensor);
    if (!out) throw new PolicyError(`the graph returned no "${action.tensor}"`);
    const data = out.location === 'gpu-buffer' && out.getData ? await out.getData() : out.data;
    const raw = data instanceof Float32Array ? data : null;
    if (!raw || raw.length !== action.chunk * action.dim) throw new PolicyError(`"${action.tensor}" came back as ${out.type} [${out.dims.join(', ')}]; expected float32 with ${action.chunk} × ${action.dim} values`);
    const chunk = new Float64Array(raw.length);
    const step = new Float64Array(action.dim);
    for (let t = 0; t < action.chunk; t++) {
      for (let a = 0; a < action.dim; a++) {
        const v = raw[t * action.dim + a]!;
        if (!Number.isFinite(v)) throw new PolicyError(`the policy returned ${v} in its action chunk (step ${t}, dimension ${a})`);
      }
      action.normalizer.denormalize(raw.subarray(t * action.dim, (t + 1) * action.dim), step);
      for (let a = 0; a < action.dim; a++) {
        let v = step[a]!;
        if (action.low && action.high) v = Math.min(Math.max(v, action.low[a]!), action.high[a]!);
        chunk[t * action.dim + a] = v;
      }
    }
    return { chunk, raw: Float32Array.from(raw) };
  }

  /** Observation → action chunk. */
  async infer(obs: PolicyObservation): Promise<InferenceResult> {
    const t0 = performance.now();
    const { feeds, unknownWords } = this.feeds(obs);
    const t1 = performance.now();
    const { chunk, raw } = await this.run(feeds);
    return { chunk, raw, unknownWords, ms: { preprocess: t1 - t0, run: performance.now() - t1 } };
  }
}

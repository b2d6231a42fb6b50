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
import { imageTensor, imageTensorShape, type RgbaImage } from './image.ts';
import type { ResolvedPolicy, StateQuantity } from './manifest.ts';

/** The part of an onnxruntime tensor used here. */
export interface TensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
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
  images: Partial<Record<'scene' | 'wrist', RgbaImage>>;
  jointPositions: ArrayLike<number>;
  fingerPositions: ArrayLike<number>;
  eePosition: ArrayLike<number>;
  /** [x, y, z, w]. */
  eeQuaternion: ArrayLike<number>;
  gripperWidth: number;
  instruction: string;
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
  const out: FedTensor[] = policy.images.map((image, i) => ({ name: image.tensor, type: image.dtype, dims: imageTensorShape(image), field: `inputs.images[${i}]` }));
  if (policy.state) out.push({ name: policy.state.tensor, type: 'float32', dims: [1, policy.state.normalizer.dim], field: 'inputs.state' });
  if (policy.instruction) {
    const length = policy.manifest.inputs.instruction!.max_length;
    out.push({ name: policy.instruction.idsTensor, type: policy.instruction.dtype, dims: [1, length], field: 'inputs.instruction.ids_tensor' });
    if (policy.instruction.maskTensor) out.push({ name: policy.instruction.maskTensor, type: policy.instruction.dtype, dims: [1, length], field: 'inputs.instruction.mask_tensor' });
  }
  return out;
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;
const shapeFits = (graph: readonly (number | string)[], fed: readonly number[]) => graph.length === fed.length && graph.every((d, i) => typeof d === 'string' || d < 0 || d === fed[i]);

/** Throws an InputError naming the field when the manifest and the graph disagree. */
export function checkGraph(policy: ResolvedPolicy, session: SessionLike, file: string): void {
  const graph = policy.manifest.graphs[0]!;
  const where = `graphs[0] (${graph.file})`;
  const bind = graph.bind;
  const graphInputFor = (tensor: string) => Object.entries(bind).find(([, source]) => source === tensor)?.[0] ?? tensor;
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
  const fed = fedTensors(policy);
  for (const tensor of fed) {
    const name = graphInputFor(tensor.name);
    const meta = inputs.get(name);
    if (!meta) throw new InputError(file, `${tensor.field}: the graph has no input "${name}" (${where} has ${session.inputNames.map((n) => `"${n}"`).join(', ')})`);
    if (meta.type && meta.type !== tensor.type) throw new InputError(file, `${tensor.field}: "${name}" is ${meta.type} in ${where}; the manifest gives ${tensor.type}`);
    if (meta.shape && meta.shape.length > 0 && !shapeFits(meta.shape, tensor.dims)) {
      throw new InputError(file, `${tensor.field}: "${name}" has shape ${shapeText(meta.shape)} in ${where}; the manifest gives ${shapeText(tensor.dims)}`);
    }
  }
  const fedNames = new Set(fed.map((t) => graphInputFor(t.name)));
  for (const name of session.inputNames) {
    if (!fedNames.has(name)) throw new InputError(file, `inputs: nothing in the manifest feeds the graph input "${name}" of ${where}`);
  }
  const { action } = policy;
  const output = session.outputMetadata.find((m) => m.name === action.tensor);
  if (!output) throw new InputError(file, `outputs.tensor: the graph has no output "${action.tensor}" (${where} has ${session.outputNames.map((n) => `"${n}"`).join(', ')})`);
  if (output.type && output.type !== 'float32') throw new InputError(file, `outputs.tensor: "${action.tensor}" is ${output.type} in ${where}; expected float32`);
  const known = output.shape && output.shape.length > 0 ? output.shape : null;
  if (known && !(shapeFits(known, [1, action.chunk, action.dim]) || shapeFits(known, [action.chunk, action.dim]))) {
    throw new InputError(file, `outputs: "${action.tensor}" has shape ${shapeText(known)} in ${where}; outputs.chunk ${action.chunk} of ${action.space} (${action.dim} values) needs [batch, ${action.chunk}, ${action.dim}]`);
  }
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
  private constructor(
    readonly policy: ResolvedPolicy,
    private readonly session: SessionLike,
    private readonly tensor: TensorFactory,
  ) {}

  /** Checks the manifest against the graph (InputError naming the field when they disagree). */
  static create(policy: ResolvedPolicy, session: SessionLike, tensor: TensorFactory, file: string): PolicyRuntime {
    checkGraph(policy, session, file);
    return new PolicyRuntime(policy, session, tensor);
  }

  /** The input tensors for an observation, by graph input name. */
  feeds(obs: PolicyObservation): { feeds: Record<string, TensorLike>; unknownWords: string[] } {
    const { policy } = this;
    const bind = policy.manifest.graphs[0]!.bind;
    const graphName = (tensor: string) => Object.entries(bind).find(([, source]) => source === tensor)?.[0] ?? tensor;
    const feeds: Record<string, TensorLike> = {};
    for (const spec of policy.images) {
      const image = obs.images[spec.camera];
      if (!image) throw new PolicyError(`the ${spec.camera} camera gave no image (the policy's input "${spec.tensor}" needs it)`);
      feeds[graphName(spec.tensor)] = this.tensor(spec.dtype, imageTensor(image, spec), imageTensorShape(spec));
    }
    if (policy.state) {
      const values: number[] = [];
      for (const q of policy.state.quantities) values.push(...Array.from(quantityValues(obs, q)));
      if (values.length !== policy.state.normalizer.dim) throw new PolicyError(`the robot state has ${values.length} values; the policy's state needs ${policy.state.normalizer.dim}`);
      feeds[graphName(policy.state.tensor)] = this.tensor('float32', policy.state.normalizer.normalize(values), [1, values.length]);
    }
    let unknownWords: string[] = [];
    if (policy.instruction) {
      const tokens = policy.instruction.tokenize(obs.instruction);
      unknownWords = tokens.unknownWords;
      const typed = (values: number[]) => (policy.instruction!.dtype === 'int64' ? BigInt64Array.from(values, (v) => BigInt(v)) : Int32Array.from(values));
      feeds[graphName(policy.instruction.idsTensor)] = this.tensor(policy.instruction.dtype, typed(tokens.ids), [1, tokens.ids.length]);
      if (policy.instruction.maskTensor) feeds[graphName(policy.instruction.maskTensor)] = this.tensor(policy.instruction.dtype, typed(tokens.mask), [1, tokens.mask.length]);
    }
    return { feeds, unknownWords };
  }

  /** Runs the graph on raw feeds (already tensors) and turns its output into actions. */
  async run(feeds: Record<string, TensorLike>): Promise<{ chunk: Float64Array; raw: Float32Array }> {
    const { action } = this.policy;
    const outputs = await this.session.run(feeds);
    const out = outputs[action.tensor];
    if (!out) throw new PolicyError(`the graph returned no "${action.tensor}"`);
    const raw = out.data instanceof Float32Array ? out.data : null;
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

/**
 * One frame, start to finish, inside a worker: randomization sample for (seed, frame) with physics
 * settled → three.js scene → colour and label passes → labels → every format's files for the
 * frame. Rapier and three.js run in the same worker; nothing here is shared between frames except
 * caches (shader programs, textures, the scene's vertex buffers) and arrays filled anew each frame,
 * so frame i comes out the same on any worker in any order.
 */
import { Color, Matrix4, Quaternion, Vector3 } from 'three';
import type { DatasetInfo, LabelledFrame, OutputFile } from '../dataset/types.ts';
import { writerFor } from '../dataset/writers.ts';
import { InputError } from '../errors.ts';
import { cameraInfo, threeCamera } from '../labels/camera.ts';
import { labelObjects } from '../labels/objectLabels.ts';
import { subPixelBitsFor } from '../labels/footprint.ts';
import { loadSceneFile } from '../load.ts';
import { type RandomizationSpec, parseRandomizationSpec } from '../randomize/spec.ts';
import { sampleFrame } from '../randomize/sample.ts';
import { FrameRenderer, type RenderCanvas } from '../render/frameRenderer.ts';
import { type DecodedLabels, decodeLabelPixels, flipRowsInPlace, labelArrays } from '../render/labelPass.ts';
import { LabelMaterialCache, buildSyntheticScene, type RenderInstance } from '../render/syntheticScene.ts';
import { GeometryCache, TextureCache } from '../render/sceneView.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { FrameFailure, type FrameOutput } from './generate.ts';
import type { FrameRecord } from './finalize.ts';
import { type GenerateJob, QUALITY } from './job.ts';

export interface PipelineInit {
  sceneBytes: Uint8Array;
  sceneFile: string;
  specText: string | null;
  specFile: string | null;
  job: GenerateJob;
  info: DatasetInfo;
}

/** The camera (at `position`) is inside an instance's box: a frame that would be all wall. */
function cameraInside(instances: RenderInstance[], position: Vector3): RenderInstance | null {
  const local = new Vector3();
  for (const instance of instances) {
    local.copy(position).applyMatrix4(instance.worldMatrix.clone().invert());
    if (instance.localBox.containsPoint(local)) return instance;
  }
  return null;
}

/**
 * One camera's frame-sized arrays, made once and filled again for every frame: a fresh
 * multi-megabyte typed array costs more than filling it (in a Chromium worker, ~3 ms per MB to
 * allocate and first touch; a 640×480 frame needs ~14 MB of them).
 */
interface CameraArrays {
  rgb: Uint8Array;
  label: Float32Array;
  decoded: DecodedLabels;
  semantic: Uint32Array;
}

function cameraArrays(width: number, height: number): CameraArrays {
  const n = width * height;
  return { rgb: new Uint8Array(n * 4), label: new Float32Array(n * 4), decoded: labelArrays(width, height), semantic: new Uint32Array(n) };
}

export class FramePipeline {
  private readonly textures = new TextureCache();
  /** Vertex buffers of the scene's geometry, kept from frame to frame (see GeometryCache). */
  private readonly geometries = new GeometryCache();
  /** Per camera index; a frame's buffers are these arrays until the next call of label(). */
  private readonly arrays: CameraArrays[] = [];
  /** Every ArrayBuffer behind `arrays`, which must never be transferred away. */
  private readonly pooled = new Set<ArrayBufferLike>();
  private readonly labelMaterials = new LabelMaterialCache();
  private readonly classIds: Map<string, number>;

  private constructor(
    private readonly renderer: FrameRenderer,
    private readonly doc: SceneDocument,
    private readonly spec: RandomizationSpec | null,
    private readonly job: GenerateJob,
    private readonly info: DatasetInfo,
  ) {
    this.classIds = new Map(info.classes.map((c) => [c.name, c.id]));
    // The CPU footprint rasterizer snaps vertices like the GPU does, so counts agree on edges.
    this.subPixelBits = subPixelBitsFor(renderer.rendererName);
  }

  private readonly subPixelBits: number;
  /** Whether the first frame's shader programs were sent to compile (prepareFirstFrame). */
  private prepared = false;

  static async create(canvas: RenderCanvas, init: PipelineInit): Promise<FramePipeline> {
    const { document } = await loadSceneFile(init.sceneBytes, init.sceneFile);
    const spec = init.specText !== null ? parseRandomizationSpec(init.specText, init.specFile ?? '<spec>') : null;
    const renderer = new FrameRenderer(canvas, init.job.width, init.job.height, { shadows: init.job.shadows });
    return new FramePipeline(renderer, document, spec, init.job, init.info);
  }

  private arraysFor(cameraIndex: number): CameraArrays {
    let arrays = this.arrays[cameraIndex];
    if (!arrays) {
      arrays = cameraArrays(this.job.width, this.job.height);
      this.arrays[cameraIndex] = arrays;
      for (const a of [arrays.rgb, arrays.label, arrays.decoded.instance, arrays.decoded.depth, arrays.decoded.normals, arrays.semantic]) this.pooled.add(a.buffer);
    }
    return arrays;
  }

  /** Frame `frame` encoded in every format of the job: what a dataset stores. */
  async run(frame: number): Promise<FrameOutput> {
    const { frames, ms } = await this.label(frame);
    const t = performance.now();
    const files: OutputFile[] = [];
    const records: FrameRecord[] = [];
    for (const labelled of frames) {
      for (const name of ['frames', ...this.job.formats]) {
        const { files: written, record } = await writerFor(name).encodeFrame(this.info, labelled);
        files.push(...written);
        if (record !== undefined) records.push({ writer: name, cameraIndex: labelled.cameraIndex, record });
      }
    }
    ms.encode = performance.now() - t;
    // A writer that stored a frame buffer as it is (no copy) would hand out a reused array.
    for (const file of files) if (this.pooled.has(file.bytes.buffer)) file.bytes = file.bytes.slice();
    return { frame, files, records, ms };
  }

  /**
   * Frame `frame` seen by every camera of the dataset, with its labels (previews stop here). The
   * frames' buffers are arrays this pipeline fills again on its next call: copy what must outlive it.
   */
  async label(frame: number): Promise<{ frames: LabelledFrame[]; ms: Record<string, number> }> {
    const { job, info } = this;
    const ms: Record<string, number> = {};
    let t = performance.now();
    const lap = (stage: string) => {
      const now = performance.now();
      ms[stage] = (ms[stage] ?? 0) + (now - t);
      t = now;
    };

    if (!this.prepared) {
      this.prepared = true;
      await this.prepareFirstFrame(frame);
      lap('prepare');
    }
    const sample = await sampleFrame(this.doc, this.spec, { seed: job.seed, frame });
    lap('physics');
    this.geometries.mark();
    const synthetic = buildSyntheticScene(sample.scene, { classIds: this.classIds, textureCache: this.textures, geometries: this.geometries, labelMaterials: this.labelMaterials, shading: QUALITY[job.quality].shading });
    const frames: LabelledFrame[] = [];
    try {
      lap('scene');
      for (let cameraIndex = 0; cameraIndex < info.cameras.length; cameraIndex++) {
        const path = info.cameras[cameraIndex]!;
        const placed = sample.cameras.find((c) => c.path === path);
        if (!placed) throw new FrameFailure(frame, `frame ${frame}: camera ${path} is not in the sample`, false);
        const position = new Vector3(...placed.position);
        const inside = cameraInside(synthetic.instances, position);
        if (inside) throw new FrameFailure(frame, `frame ${frame}: camera ${path} is inside ${inside.path}; move the camera or narrow its randomization`, false);
        const worldMatrix = new Matrix4().compose(position, new Quaternion(...placed.orientation), new Vector3(1, 1, 1));
        const camera = cameraInfo({ path, worldMatrix, fovY: placed.fovY, near: placed.near, far: placed.far, width: job.width, height: job.height });
        const background = sample.backgroundImage ? this.textures.get(sample.backgroundImage) : new Color(...sample.background);
        const arrays = this.arraysFor(cameraIndex);
        const passes = this.renderer.render(synthetic.scene, threeCamera(camera), background, synthetic.labelMaterials, arrays);
        ms.render = (ms.render ?? 0) + passes.ms.render;
        ms.readback = (ms.readback ?? 0) + passes.ms.readback;
        for (const [pass, t] of Object.entries(passes.passMs)) ms[pass] = (ms[pass] ?? 0) + t;
        lap('gpu');
        flipRowsInPlace(passes.rgb, job.width, job.height);
        const decoded = decodeLabelPixels(passes.label, job.width, job.height, arrays.decoded);
        const classOf = new Uint32Array(synthetic.instances.length + 1);
        for (const instance of synthetic.instances) classOf[instance.instanceId] = instance.classId;
        const semantic = arrays.semantic;
        for (let i = 0; i < semantic.length; i++) semantic[i] = classOf[decoded.instance[i]!] ?? 0;
        const objects = labelObjects({ camera, objects: synthetic.instances, instance: decoded.instance, width: job.width, height: job.height, subPixelBits: this.subPixelBits });
        const labelled: LabelledFrame = {
          frame,
          cameraIndex,
          camera,
          objects,
          randomized: sample.randomized,
          buffers: { rgb: passes.rgb, depth: decoded.depth, normals: decoded.normals, instance: decoded.instance, semantic },
        };
        lap('labels');
        frames.push(labelled);
      }
    } catch (error) {
      if (error instanceof FrameFailure) throw error;
      if (error instanceof InputError) throw new FrameFailure(frame, error.message, false);
      throw error;
    } finally {
      synthetic.dispose();
      // Shapes this frame did not draw (an earlier frame's distractors) leave the GPU.
      this.geometries.sweep();
    }
    delete ms.gpu;
    return { frames, ms };
  }

  /**
   * A worker's first frame compiles its shader programs (with SwiftShader ~1.6–2 s of the GPU
   * process: links, then each pipeline compiled at its first draw), and its first settle compiles
   * Rapier's WebAssembly as it first runs it (~0.4 s), one after the other. This
   * sends the frame's programs off to compile first (FrameRenderer.prepare), from the frame's
   * looks drawn without the settle (each draw keyed by its path, so the same materials and lamps),
   * and lets the settle run while the GPU process compiles.
   */
  private async prepareFirstFrame(frame: number): Promise<void> {
    const { job } = this;
    const spec = this.spec && { ...this.spec, settle: { ...this.spec.settle, seconds: 0 } };
    let synthetic;
    try {
      const sample = await sampleFrame(this.doc, spec, { seed: job.seed, frame });
      const placed = sample.cameras[0];
      if (!placed) return;
      synthetic = buildSyntheticScene(sample.scene, { classIds: this.classIds, textureCache: this.textures, geometries: this.geometries, labelMaterials: this.labelMaterials, shading: QUALITY[job.quality].shading });
      const worldMatrix = new Matrix4().compose(new Vector3(...placed.position), new Quaternion(...placed.orientation), new Vector3(1, 1, 1));
      const camera = cameraInfo({ path: placed.path, worldMatrix, fovY: placed.fovY, near: placed.near, far: placed.far, width: job.width, height: job.height });
      const background = sample.backgroundImage ? this.textures.get(sample.backgroundImage) : new Color(...sample.background);
      this.renderer.prepare(synthetic.scene, threeCamera(camera), background, synthetic.labelMaterials);
    } catch {
      // Only a head start: the frame itself meets and reports the same problem.
    } finally {
      synthetic?.dispose();
    }
  }

  dispose(): void {
    this.textures.dispose();
    this.geometries.dispose();
    this.labelMaterials.dispose();
    this.renderer.dispose();
  }
}

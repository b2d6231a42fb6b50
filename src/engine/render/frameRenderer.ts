/**
 * Renders one synthetic frame with three.js on any canvas (an OffscreenCanvas in a worker, or a
 * page canvas): a colour pass to the canvas and a label pass (labelPass.ts) to a float target,
 * with one readback each. Owns the WebGL renderer and its targets; knows nothing of randomization
 * or datasets.
 */
import {
  Color,
  FloatType,
  Mesh,
  NearestFilter,
  NoToneMapping,
  PCFShadowMap,
  type PerspectiveCamera,
  RGBAFormat,
  UnsignedByteType,
  SRGBColorSpace,
  type Scene,
  type ShaderMaterial,
  WebGLRenderer,
  WebGLRenderTarget,
  type Material,
  type Texture,
} from 'three';

export interface RenderedPasses {
  /** RGBA8, bottom row first (GL order). */
  rgb: Uint8Array;
  /** RGBA32F label texels, bottom row first (see labelPass.ts). */
  label: Float32Array;
  /** Milliseconds drawing (issuing the draw calls) and reading back (which waits for the draws), both passes. */
  ms: { render: number; readback: number };
  /** The same split per pass: colourRender, colourReadback, labelRender, labelReadback. */
  passMs: { colourRender: number; colourReadback: number; labelRender: number; labelReadback: number };
}

export interface FrameRendererOptions {
  shadows?: boolean;
}

/** Any canvas three can draw to: OffscreenCanvas in workers, HTMLCanvasElement on a page. */
export type RenderCanvas = ConstructorParameters<typeof WebGLRenderer>[0] extends infer P ? (P extends { canvas?: infer C } ? NonNullable<C> : never) : never;

export class FrameRenderer {
  readonly renderer: WebGLRenderer;
  private target: WebGLRenderTarget;
  /** The colour pass renders here, not to the canvas: reading a canvas back is several times slower. */
  private colourTarget: WebGLRenderTarget;
  private width: number;
  private height: number;
  /** Shader programs this renderer holds on to (see keepPrograms). */
  private readonly kept = new Set<object>();

  constructor(canvas: RenderCanvas, width: number, height: number, options: FrameRendererOptions = {}) {
    this.width = width;
    this.height = height;
    // No MSAA: the colour image must line up pixel for pixel with the label pass.
    this.renderer = new WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true, alpha: false, powerPreference: 'high-performance' });
    const gl = this.renderer.getContext();
    if (!gl.getExtension('EXT_color_buffer_float')) throw new Error('this browser cannot render to float targets (EXT_color_buffer_float), which the label pass needs');
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.toneMapping = NoToneMapping;
    this.renderer.shadowMap.enabled = options.shadows ?? true;
    this.renderer.shadowMap.type = PCFShadowMap;
    this.renderer.setPixelRatio(1);
    this.renderer.setSize(width, height, false);
    this.target = this.makeTarget(width, height);
    this.colourTarget = this.makeColourTarget(width, height);
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    this.rendererName = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  }

  /** The GPU (or software rasterizer) behind the context, e.g. "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device …))". */
  readonly rendererName: string;

  private makeTarget(width: number, height: number): WebGLRenderTarget {
    return new WebGLRenderTarget(width, height, {
      type: FloatType,
      format: RGBAFormat,
      minFilter: NearestFilter,
      magFilter: NearestFilter,
      depthBuffer: true,
      generateMipmaps: false,
    });
  }

  private makeColourTarget(width: number, height: number): WebGLRenderTarget {
    const target = new WebGLRenderTarget(width, height, {
      type: UnsignedByteType,
      format: RGBAFormat,
      minFilter: NearestFilter,
      magFilter: NearestFilter,
      depthBuffer: true,
      generateMipmaps: false,
      colorSpace: SRGBColorSpace,
    });
    return target;
  }

  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.renderer.setSize(width, height, false);
    this.target.dispose();
    this.target = this.makeTarget(width, height);
    this.colourTarget.dispose();
    this.colourTarget = this.makeColourTarget(width, height);
  }

  /** The colour pass alone (RGBA8, bottom row first): camera streams that need no labels. */
  renderColour(scene: Scene, camera: PerspectiveCamera, background: Color | Texture): Uint8Array {
    const { renderer, width, height } = this;
    scene.background = background;
    renderer.setRenderTarget(this.colourTarget);
    renderer.render(scene, camera);
    this.keepPrograms();
    const rgb = new Uint8Array(width * height * 4);
    renderer.readRenderTargetPixels(this.colourTarget, 0, 0, width, height, rgb);
    renderer.setRenderTarget(null);
    return rgb;
  }

  /**
   * Draws the colour pass (the scene as it is) and the label pass (every mesh with the material
   * `labelMaterials` gives it; meshes without one are left out of the label pass). `out`: arrays of
   * the right sizes to read the passes back into (the frame pipeline reuses them from frame to
   * frame: a fresh 5 MB array costs more than the readback itself); new ones without.
   */
  render(scene: Scene, camera: PerspectiveCamera, background: Color | Texture, labelMaterials: Map<Mesh, ShaderMaterial>, out?: { rgb: Uint8Array; label: Float32Array }): RenderedPasses {
    const { renderer, width, height } = this;
    const gl = renderer.getContext();
    const t0 = performance.now();
    scene.background = background;
    renderer.setRenderTarget(this.colourTarget);
    renderer.render(scene, camera);
    this.keepPrograms();
    const t1 = performance.now();
    const rgb = out?.rgb ?? new Uint8Array(width * height * 4);
    if (rgb.length !== width * height * 4) throw new RangeError(`colour readback: ${rgb.length} bytes for ${width}×${height} RGBA`);
    renderer.readRenderTargetPixels(this.colourTarget, 0, 0, width, height, rgb);
    const t2 = performance.now();

    const t3 = this.withLabelMaterials(scene, labelMaterials, () => {
      renderer.setRenderTarget(this.target);
      renderer.clear(true, true, true);
      renderer.render(scene, camera);
      return performance.now();
    });
    const label = out?.label ?? new Float32Array(width * height * 4);
    if (label.length !== width * height * 4) throw new RangeError(`label readback: ${label.length} floats for ${width}×${height} RGBA`);
    renderer.readRenderTargetPixels(this.target, 0, 0, width, height, label);
    const t4 = performance.now();
    renderer.setRenderTarget(null);
    return {
      rgb,
      label,
      ms: { render: t1 - t0 + (t3 - t2), readback: t2 - t1 + (t4 - t3) },
      passMs: { colourRender: t1 - t0, colourReadback: t2 - t1, labelRender: t3 - t2, labelReadback: t4 - t3 },
    };
  }

  /**
   * Runs `draw` with every mesh wearing its label material (meshes without one hidden), no
   * shadows, no background and a transparent black clear colour; puts the scene back after.
   */
  private withLabelMaterials<T>(scene: Scene, labelMaterials: Map<Mesh, ShaderMaterial>, draw: () => T): T {
    const { renderer } = this;
    const colourMaterials = new Map<Mesh, Material | Material[]>();
    const hidden: Mesh[] = [];
    scene.traverse((object) => {
      if (!(object instanceof Mesh)) return;
      const label = labelMaterials.get(object);
      if (!label) {
        if (object.visible) hidden.push(object);
        object.visible = false;
        return;
      }
      colourMaterials.set(object, object.material);
      object.material = label;
    });
    const shadows = renderer.shadowMap.enabled;
    const background = scene.background;
    renderer.shadowMap.enabled = false;
    scene.background = null;
    renderer.setClearColor(0x000000, 0);
    try {
      return draw();
    } finally {
      renderer.shadowMap.enabled = shadows;
      scene.background = background;
      for (const [mesh, material] of colourMaterials) mesh.material = material;
      for (const mesh of hidden) mesh.visible = true;
    }
  }

  /**
   * Gets a frame's shader programs ready without reading anything back: sends every program the
   * scene's materials need to compile and link, then draws both passes once into the targets (the
   * next render() clears them) and flushes. With SwiftShader a program costs twice: linking, and
   * compiling its pipeline into machine code at its first draw, each hundreds of milliseconds. The
   * links are waited for (three.js reads each program's uniforms at its first draw); the draws are
   * not: the GPU process compiles their pipelines while the caller goes on (a worker's first frame
   * settles its physics meanwhile), and the frame drawn later with the same kinds of materials and
   * lamps finds them ready.
   */
  prepare(scene: Scene, camera: PerspectiveCamera, background: Color | Texture, labelMaterials: Map<Mesh, ShaderMaterial>): void {
    const { renderer } = this;
    scene.background = background;
    renderer.compile(scene, camera);
    this.withLabelMaterials(scene, labelMaterials, () => renderer.compile(scene, camera));
    const gl = renderer.getContext();
    // The links start now, all of them, rather than one by one as the draws first use each.
    gl.flush();
    renderer.setRenderTarget(this.colourTarget);
    renderer.render(scene, camera);
    this.withLabelMaterials(scene, labelMaterials, () => {
      renderer.setRenderTarget(this.target);
      renderer.clear(true, true, true);
      renderer.render(scene, camera);
    });
    renderer.setRenderTarget(null);
    this.keepPrograms();
    // Commands wait in the context's buffer until something flushes it: send the draws now.
    gl.flush();
  }

  /**
   * Every frame is a new scene with new materials, and three.js destroys a shader program as soon
   * as no material uses it, so without this each frame would compile and link its programs again
   * (with SwiftShader that is most of a frame's time). The variants are few (material kind × map ×
   * light counts), so every program linked is kept for the renderer's life: one extra use each.
   */
  private keepPrograms(): void {
    for (const program of this.renderer.info.programs ?? []) {
      if (this.kept.has(program)) continue;
      this.kept.add(program);
      (program as { usedTimes: number }).usedTimes++;
    }
  }

  /** Shader programs linked so far (kept ones included). */
  get programCount(): number {
    return this.renderer.info.programs?.length ?? 0;
  }

  /** Drops GPU resources; the canvas can be reused by a new renderer. */
  dispose(): void {
    this.target.dispose();
    this.colourTarget.dispose();
    this.renderer.dispose();
  }
}

export const blackBackground = () => new Color(0, 0, 0);

/**
 * The ceiling probe of `npm run bench:sdg`: the fastest a bare three.js program renders a tabletop
 * like Simloop's on this machine, so Simloop's labelled-frame rate is always compared with a rate
 * measured in the same run, never with a remembered one.
 *
 * What it draws: a floor, a table (top and four legs) and eight objects (boxes, spheres,
 * cylinders, cones) in lit `MeshStandardMaterial`, a hemisphere light and one sun casting PCF
 * shadows from a 1024² map (the same light rig as Simloop's default preset), seen by a moving
 * camera. Each frame moves the objects and the camera, draws a colour pass and an ID pass (a flat
 * colour per object) into RGBA8 targets, and reads both back. Nothing else: no physics, labels,
 * encoding or writing. Runs on any canvas (the bench runs it on an OffscreenCanvas in a worker).
 */
import {
  BoxGeometry,
  Color,
  ConeGeometry,
  CylinderGeometry,
  DirectionalLight,
  HemisphereLight,
  Mesh,
  MeshStandardMaterial,
  NearestFilter,
  NoToneMapping,
  PCFShadowMap,
  PerspectiveCamera,
  PlaneGeometry,
  RGBAFormat,
  SRGBColorSpace,
  Scene,
  ShaderMaterial,
  SphereGeometry,
  UnsignedByteType,
  WebGLRenderTarget,
  WebGLRenderer,
  NoColorSpace,
  type BufferGeometry,
  type ColorSpace,
} from 'three';

export interface ProbeOptions {
  width: number;
  height: number;
  shadows: boolean;
  /** Which worker this is: offsets the poses so workers do not draw the same frames. */
  index: number;
}

export interface ProbeFrameMs {
  colour: number;
  id: number;
}

/** A fixed hash of (frame, slot) to [0, 1): the probe's motion, the same every run. */
function unit(frame: number, slot: number): number {
  let x = Math.imul(frame + 1, 0x9e3779b1) ^ Math.imul(slot + 1, 0x85ebca6b);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  return (x >>> 0) / 2 ** 32;
}

const ID_VERTEX = 'void main() { gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0); }';
const ID_FRAGMENT = 'uniform vec3 idColour; void main() { gl_FragColor = vec4(idColour, 1.0); }';

export class CeilingProbe {
  private readonly renderer: WebGLRenderer;
  private readonly scene = new Scene();
  private readonly camera: PerspectiveCamera;
  private readonly colourTarget: WebGLRenderTarget;
  private readonly idTarget: WebGLRenderTarget;
  private readonly objects: Mesh[] = [];
  private readonly meshes: Mesh[] = [];
  private readonly idMaterials: ShaderMaterial[] = [];
  private readonly colourMaterials: MeshStandardMaterial[] = [];
  private readonly rgb: Uint8Array;
  private readonly colourBackground = new Color(0.2, 0.22, 0.25);
  private readonly idBackground = new Color(0, 0, 0);
  private readonly ids: Uint8Array;

  constructor(
    canvas: OffscreenCanvas | HTMLCanvasElement,
    private readonly options: ProbeOptions,
  ) {
    const { width, height } = options;
    this.renderer = new WebGLRenderer({ canvas, antialias: false, alpha: false, powerPreference: 'high-performance' });
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.toneMapping = NoToneMapping;
    this.renderer.shadowMap.enabled = options.shadows;
    this.renderer.shadowMap.type = PCFShadowMap;
    this.renderer.setPixelRatio(1);
    this.renderer.setSize(width, height, false);
    const target = (colorSpace: ColorSpace) =>
      new WebGLRenderTarget(width, height, { type: UnsignedByteType, format: RGBAFormat, minFilter: NearestFilter, magFilter: NearestFilter, depthBuffer: true, generateMipmaps: false, colorSpace });
    this.colourTarget = target(SRGBColorSpace);
    this.idTarget = target(NoColorSpace);
    this.rgb = new Uint8Array(width * height * 4);
    this.ids = new Uint8Array(width * height * 4);
    this.camera = new PerspectiveCamera(42, width / height, 0.05, 50);

    this.scene.background = this.colourBackground;
    this.scene.add(new HemisphereLight(0xe8eef8, 0x4a4038, 0.9));
    const sun = new DirectionalLight(0xfff4e8, 2.2);
    sun.position.set(-1.2, 3, -0.9);
    sun.target.position.set(0, 0.75, 0);
    this.scene.add(sun, sun.target);
    if (options.shadows) {
      sun.castShadow = true;
      sun.shadow.mapSize.set(1024, 1024);
      Object.assign(sun.shadow.camera, { left: -1.2, right: 1.2, top: 1.2, bottom: -1.2, near: 0.01, far: 8 });
      sun.shadow.camera.updateProjectionMatrix();
      sun.shadow.bias = -0.0005;
      sun.shadow.normalBias = 0.01;
    }

    const add = (geometry: BufferGeometry, colour: number, x: number, y: number, z: number, roughness = 0.8) => {
      const material = new MeshStandardMaterial({ color: colour, roughness, metalness: 0 });
      const mesh = new Mesh(geometry, material);
      mesh.position.set(x, y, z);
      mesh.castShadow = true;
      mesh.receiveShadow = true;
      this.scene.add(mesh);
      this.meshes.push(mesh);
      this.colourMaterials.push(material);
      const id = this.meshes.length;
      this.idMaterials.push(new ShaderMaterial({ vertexShader: ID_VERTEX, fragmentShader: ID_FRAGMENT, uniforms: { idColour: { value: new Color((id & 255) / 255, ((id >> 8) & 255) / 255, 0) } } }));
      return mesh;
    };
    const floor = add(new PlaneGeometry(8, 8), 0x6b6f73, 0, 0, 0, 0.9);
    floor.rotation.x = -Math.PI / 2;
    add(new BoxGeometry(1.2, 0.04, 0.8), 0x8a6a4a, 0, 0.73, 0, 0.7);
    for (const [x, z] of [[-0.55, -0.35], [0.55, -0.35], [-0.55, 0.35], [0.55, 0.35]] as const) add(new BoxGeometry(0.05, 0.71, 0.05), 0x5a4a3a, x, 0.355, z);
    const shapes = [
      () => new BoxGeometry(0.08, 0.08, 0.08),
      () => new SphereGeometry(0.045, 32, 16),
      () => new CylinderGeometry(0.035, 0.035, 0.12, 32),
      () => new ConeGeometry(0.04, 0.1, 32),
    ];
    for (let i = 0; i < 8; i++) this.objects.push(add(shapes[i % 4]!(), new Color().setHSL(i / 8, 0.6, 0.5).getHex(), 0, 0.8, 0, 0.2 + 0.08 * i));
  }

  /** Moves everything for `frame`, draws both passes and reads them back. */
  frame(frame: number): ProbeFrameMs {
    const f = frame + 100_000 * this.options.index;
    this.objects.forEach((mesh, i) => {
      mesh.position.set((unit(f, 3 * i) - 0.5) * 1.0, 0.8, (unit(f, 3 * i + 1) - 0.5) * 0.6);
      mesh.rotation.y = unit(f, 3 * i + 2) * Math.PI * 2;
      this.colourMaterials[6 + i]!.color.setHSL(unit(f, 50 + i), 0.6, 0.5);
    });
    const azimuth = unit(f, 90) * Math.PI * 2;
    const elevation = 0.45 + unit(f, 91) * 0.5;
    const radius = 1.4 + unit(f, 92) * 0.8;
    this.camera.position.set(Math.cos(azimuth) * Math.cos(elevation) * radius, 0.75 + Math.sin(elevation) * radius, Math.sin(azimuth) * Math.cos(elevation) * radius);
    this.camera.lookAt(0, 0.75, 0);

    const { renderer } = this;
    const { width, height } = this.options;
    const t0 = performance.now();
    renderer.setRenderTarget(this.colourTarget);
    renderer.render(this.scene, this.camera);
    renderer.readRenderTargetPixels(this.colourTarget, 0, 0, width, height, this.rgb);
    const t1 = performance.now();
    const shadows = renderer.shadowMap.enabled;
    this.scene.background = this.idBackground;
    renderer.shadowMap.enabled = false;
    this.meshes.forEach((mesh, i) => (mesh.material = this.idMaterials[i]!));
    renderer.setRenderTarget(this.idTarget);
    renderer.render(this.scene, this.camera);
    renderer.readRenderTargetPixels(this.idTarget, 0, 0, width, height, this.ids);
    const t2 = performance.now();
    this.meshes.forEach((mesh, i) => (mesh.material = this.colourMaterials[i]!));
    renderer.shadowMap.enabled = shadows;
    this.scene.background = this.colourBackground;
    renderer.setRenderTarget(null);
    return { colour: t1 - t0, id: t2 - t1 };
  }

  /** How many pixels of the last ID pass show an object (a check that the probe drew something). */
  objectPixels(): number {
    let count = 0;
    for (let i = 0; i < this.ids.length; i += 4) if (this.ids[i]! > 6 || this.ids[i + 1]! > 0) count++;
    return count;
  }

  dispose(): void {
    this.colourTarget.dispose();
    this.idTarget.dispose();
    this.renderer.dispose();
  }
}

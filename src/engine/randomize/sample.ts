/**
 * One frame of a randomization spec: a randomized copy of the scene document (poses scattered
 * without overlap and settled by physics, scales, materials, physics properties, gravity,
 * distractors, lights), the cameras to render, the background, textures, and the record of every
 * drawn value. A pure function of (scene, spec, seed, frame): every draw is hashed from its
 * parameter path (draw.ts), and the settle runs a fresh physics world on the same inputs, so frame
 * i comes out identical on any worker, in any order.
 *
 * Owns the meaning of each spec field; the schema is spec.ts, the hash and distributions draw.ts,
 * placement bounds bounds.ts. Must not render or write files.
 */
import { Box3, Euler, Matrix4, Quaternion, Vector3 } from 'three';
import { DEFAULT_DENSITY, DEFAULT_MATERIAL, PhysicsWorld } from '../physics/world.ts';
import type { Rapier } from '../physics/rapier.ts';
import { parentPath, worldMatrices } from '../scene/hierarchy.ts';
import { newPrim } from '../scene/prim.ts';
import { defaultLook, type Geometry, type PhysicsMaterial, type Prim, type Quat, type SceneDocument, type VisualMaterial } from '../scene/schema.ts';
import { orientedExtent, primWorldBounds, subtreeShapes, subtreeWorldBounds, type SweptPoints } from './bounds.ts';
import { kelvinToLinearRgb } from './colorTemperature.ts';
import { type DrawContext, type Distribution, type Vec3, drawCategory, drawIndex, drawNumber, drawVec3, round7, uniform, unit } from './draw.ts';
import { isWithin, matchPrims, selectPrims } from './select.ts';
import type { TextureName } from '../scene/textures.ts';
import {
  ADDED_LIGHT_ROOT,
  AUTHORED_MATERIAL,
  DISTRACTOR_ROOT,
  type DistractorGroup,
  NO_TEXTURE,
  type ObjectGroup,
  PRIMITIVE_SHAPES,
  type PointOrPrim,
  type PrimitiveShape,
  type RandomizationSpec,
  type Rotation,
  type Scatter,
  sampledRoot,
  specCameraPaths,
} from './spec.ts';

export interface FrameCamera {
  path: string;
  /** World position, metres. */
  position: Vec3;
  /** World orientation [x, y, z, w]; the camera looks down its local −Z with +Y up (three.js / USD). */
  orientation: Quat;
  /** Vertical field of view, radians. */
  fovY: number;
  near: number;
  far: number;
}

export interface FrameSample {
  /** The randomized copy of the scene (the input document is not modified). */
  scene: SceneDocument;
  /** The cameras to render this frame: the spec's, or the scene's first camera. */
  cameras: FrameCamera[];
  /** Linear RGB. */
  background: Vec3;
  /** A bundled texture drawn over the background, or null. */
  backgroundImage: string | null;
  /** Prim path (of a prim with geometry) → the bundled texture drawn for it (textures.ts); the looks in `scene` carry them too. */
  textures: Record<string, string>;
  /** Parameter path → drawn value (numbers to 7 significant digits), for frames.jsonl. */
  randomized: Record<string, unknown>;
  /** Things a person may want to know (an object that found no free place), one line each. */
  warnings: string[];
  /** Physics steps the settle took (0 without one). */
  settleSteps: number;
}

/**
 * A deep copy of `doc` whose prims share their `geometry` objects with it, and whose `assets`
 * (embedded files) are the same object: a frame never changes either in place (new shapes get new
 * geometry), and copying every vertex and texture of a mesh-heavy scene for each frame cost more
 * than the rest of the frame (1.6 s a frame for the Open Chess Set's 49 meshes). Renderers may
 * key caches on the shared geometry objects.
 */
export function copySharingGeometry(doc: SceneDocument): SceneDocument {
  // Placeholders keep every key where it was, so the copy serializes as the document does.
  const copy = structuredClone({ ...doc, assets: undefined, prims: doc.prims.map((p) => (p.geometry ? { ...p, geometry: undefined } : p)) }) as SceneDocument;
  doc.prims.forEach((prim, i) => {
    if (prim.geometry) copy.prims[i]!.geometry = prim.geometry;
  });
  if ('assets' in doc) copy.assets = doc.assets;
  else delete copy.assets;
  return copy;
}

export interface SampleOptions {
  seed: number;
  frame: number;
  /** A Rapier module to settle with (default: the engine's). */
  rapier?: Rapier;
}

/** Linear RGB behind the scene when the spec says nothing. */
export const DEFAULT_BACKGROUND: Vec3 = [0.05, 0.05, 0.05];
/** Where per-object physics materials made by friction / restitution draws are kept. */
export const RANDOMIZED_MATERIALS_ROOT = '/RandomizedPhysicsMaterials';

const DEG = Math.PI / 180;

/**
 * At rest, for the settle's early stop: no body faster than `speed` (m/s) or spinning faster than
 * `spin` (rad/s) at `checks` checks in a row, `interval` seconds of simulated time apart. At these
 * speeds an object moves under 1 mm before it would have stopped anyway.
 */
export const REST = { speed: 0.005, spin: 0.05, checks: 2, interval: 1 / 60 };
const UP = new Vector3(0, 1, 0);

/** The randomization of frame `frame`; with no spec, the scene as it is. */
export async function sampleFrame(doc: SceneDocument, spec: RandomizationSpec | null, options: SampleOptions): Promise<FrameSample> {
  const frame = new FrameBuilder(doc, spec, options);
  if (spec) await frame.randomize(spec, options.rapier);
  return frame.result(spec);
}

interface PoseGroup {
  scatter?: Scatter | undefined;
  rotation?: Rotation | undefined;
  scale?: Distribution<number> | undefined;
}

interface ScatterJob {
  path: string;
  scatter: Scatter;
  orientation: Quaternion;
  worldScale: Vector3;
  localScale: Vec3;
}

class FrameBuilder {
  readonly ctx: DrawContext;
  readonly scene: SceneDocument;
  private readonly prims: Map<string, Prim>;
  private readonly randomized: Record<string, unknown> = {};
  private readonly textures: Record<string, string> = {};
  private readonly warnings: string[] = [];
  private background: Vec3 = [...DEFAULT_BACKGROUND];
  private backgroundImage: string | null = null;
  private settleSteps = 0;

  constructor(doc: SceneDocument, spec: RandomizationSpec | null, options: SampleOptions) {
    for (const [name, value] of [['seed', options.seed], ['frame', options.frame]] as const) {
      if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`${name} must be a non-negative integer below 2^53, got ${value}`);
    }
    this.ctx = { seed: options.seed, frame: options.frame, sequenceLength: spec?.sequence_length ?? 1 };
    this.scene = copySharingGeometry(doc);
    this.prims = new Map(this.scene.prims.map((p) => [p.path, p]));
  }

  // ---------------------------------------------------------------- drawing and recording

  private record(key: string, value: unknown) {
    this.randomized[key] = jsonable(value);
  }

  private num(d: Distribution<number>, key: string, integer = false): number {
    const v = drawNumber(d, this.ctx, key, integer);
    this.record(key, v);
    return v;
  }

  private vec(d: Distribution<Vec3>, key: string): Vec3 {
    const v = drawVec3(d, this.ctx, key);
    this.record(key, v);
    return v;
  }

  private cat<T>(d: Distribution<T>, key: string): T {
    const v = drawCategory(d, this.ctx, key);
    this.record(key, v);
    return v;
  }

  // ---------------------------------------------------------------- poses in the hierarchy

  private worldOf(path: string | null): Matrix4 {
    const chain: Prim[] = [];
    for (let p = path; p; p = parentPath(p)) {
      const prim = this.prims.get(p);
      if (prim) chain.unshift(prim);
    }
    const m = new Matrix4();
    const local = new Matrix4();
    for (const prim of chain) {
      const t = prim.transform;
      m.multiply(local.compose(new Vector3(...t.position), new Quaternion(...t.orientation), new Vector3(...t.scale)));
    }
    return m;
  }

  /** Puts a prim at a world pose, writing the transform relative to its parent; the local scale is kept unless given. */
  private setWorldPose(path: string, position: Vector3, orientation: Quaternion, localScale?: Vec3) {
    const prim = this.prims.get(path)!;
    const local = this.worldOf(parentPath(path)).invert().multiply(new Matrix4().compose(position, orientation, new Vector3(1, 1, 1)));
    const t = new Vector3();
    const r = new Quaternion();
    local.decompose(t, r, new Vector3());
    r.normalize();
    prim.transform = { position: [t.x, t.y, t.z], orientation: [r.x, r.y, r.z, r.w], scale: localScale ?? prim.transform.scale };
  }

  private decomposeWorld(path: string) {
    const p = new Vector3();
    const q = new Quaternion();
    const s = new Vector3();
    this.worldOf(path).decompose(p, q, s);
    return { p, q: q.normalize(), s };
  }

  private addPrim(prim: Prim) {
    this.scene.prims.push(prim);
    this.prims.set(prim.path, prim);
  }

  /** An Xform at `path` (identity relative to its parent), unless there is one. */
  private ensureXform(path: string) {
    if (this.prims.has(path)) return;
    const parent = parentPath(path);
    if (parent) this.ensureXform(parent);
    this.addPrim(bareXform(path));
  }

  // ---------------------------------------------------------------- the frame

  async randomize(spec: RandomizationSpec, rapier?: Rapier) {
    if (spec.physics.gravity) this.scene.gravity = this.vec(spec.physics.gravity, 'physics:gravity');

    const jobs: ScatterJob[] = [];
    spec.objects.forEach((group) => {
      for (const path of selectPrims(this.scene.prims, group)) {
        this.applyAppearance(path, group, spec);
        this.applyPhysics(path, group);
        const job = this.preparePose(path, group);
        if (job) jobs.push(job);
      }
    });
    jobs.push(...this.addDistractors(spec));
    this.scatter(jobs);
    if (spec.settle.seconds > 0) await this.settle(spec.settle, rapier);

    spec.lights.forEach((group, g) => this.randomizeLights(group, g));
    for (const camera of spec.cameras) this.randomizeCamera(camera);
    if (spec.background.color) this.background = this.vec(spec.background.color, 'background:color').map(clamp01) as Vec3;
    if (spec.background.image) {
      const image = this.cat(spec.background.image, 'background:image');
      this.backgroundImage = image === NO_TEXTURE ? null : image;
    }
  }

  result(spec: RandomizationSpec | null): FrameSample {
    const cameras = specCameraPaths(this.scene, spec).map((path): FrameCamera => {
      const { p, q } = this.decomposeWorld(path);
      const camera = this.prims.get(path)!.camera!;
      return { path, position: [p.x, p.y, p.z], orientation: [q.x, q.y, q.z, q.w], fovY: camera.fovY, near: camera.near, far: camera.far };
    });
    return {
      scene: this.scene,
      cameras,
      background: this.background,
      backgroundImage: this.backgroundImage,
      textures: this.textures,
      randomized: this.randomized,
      warnings: this.warnings,
      settleSteps: this.settleSteps,
    };
  }

  // ---------------------------------------------------------------- appearance

  private applyAppearance(root: string, group: ObjectGroup | DistractorGroup, spec: RandomizationSpec) {
    const shapes = this.scene.prims.filter((p) => p.geometry && isWithin(p.path, root));
    const set = (change: (m: VisualMaterial) => VisualMaterial) => {
      for (const prim of shapes) prim.material = change(prim.material ?? defaultLook());
    };
    let texture: string | undefined;
    if (group.material) {
      const name = this.cat(group.material, `${root}:material`);
      const entry = spec.materials[name];
      if (name !== AUTHORED_MATERIAL && entry) {
        const { texture: t, ...fields } = entry;
        set((m) => ({ ...m, ...fields }));
        texture = t;
      }
    }
    if (group.color) {
      const color = this.vec(group.color, `${root}:color`).map(clamp01) as Vec3;
      set((m) => ({ ...m, color }));
    }
    if (group.roughness) {
      const roughness = clamp01(this.num(group.roughness, `${root}:roughness`));
      set((m) => ({ ...m, roughness }));
    }
    if (group.metallic) {
      const metallic = clamp01(this.num(group.metallic, `${root}:metallic`));
      set((m) => ({ ...m, metallic }));
    }
    if (group.texture) texture = this.cat(group.texture, `${root}:texture`);
    if (texture !== undefined) {
      // The drawn texture replaces the authored one (the look's `texture` or `image`), "none" included.
      const drawn = texture;
      set(({ texture: _, image: _image, ...m }) => (drawn === NO_TEXTURE ? m : { ...m, texture: drawn as TextureName }));
      for (const prim of shapes) {
        if (texture === NO_TEXTURE) delete this.textures[prim.path];
        else this.textures[prim.path] = texture;
      }
    }
  }

  // ---------------------------------------------------------------- physics properties

  private applyPhysics(root: string, group: ObjectGroup | DistractorGroup) {
    const prim = this.prims.get(root)!;
    if (group.mass || group.mass_scale) {
      if (!prim.body) this.warnings.push(`${root}: mass randomized on a prim that is not a rigid body; ignored`);
      if (group.mass) {
        const mass = this.num(group.mass, `${root}:mass`);
        if (prim.body) prim.mass = { ...prim.mass, mass };
      } else if (group.mass_scale) {
        const factor = this.num(group.mass_scale, `${root}:mass_scale`);
        if (prim.body) {
          if (prim.mass?.mass !== undefined) prim.mass = { ...prim.mass, mass: prim.mass.mass * factor };
          else {
            const density = prim.mass?.density ?? this.materialOf(this.collidersUnder(root)[0])?.density ?? DEFAULT_DENSITY;
            prim.mass = { ...prim.mass, density: density * factor };
          }
        }
      }
    }
    if (!group.friction && !group.restitution) return;
    const friction = group.friction ? this.num(group.friction, `${root}:friction`) : undefined;
    const restitution = group.restitution ? this.num(group.restitution, `${root}:restitution`) : undefined;
    // One randomized copy per distinct material the object's colliders use (density and combine rules kept).
    const copies = new Map<string, string>();
    for (const collider of this.collidersUnder(root)) {
      const base = this.materialOf(collider);
      const key = base?.path ?? '';
      let path = copies.get(key);
      if (!path) {
        path = `${RANDOMIZED_MATERIALS_ROOT}${root}${copies.size ? `_${copies.size}` : ''}`;
        copies.set(key, path);
        const material: PhysicsMaterial = {
          path,
          staticFriction: friction ?? base?.staticFriction ?? DEFAULT_MATERIAL.staticFriction,
          dynamicFriction: friction ?? base?.dynamicFriction ?? DEFAULT_MATERIAL.dynamicFriction,
          restitution: restitution ?? base?.restitution ?? DEFAULT_MATERIAL.restitution,
          frictionCombine: base?.frictionCombine ?? 'average',
          restitutionCombine: base?.restitutionCombine ?? 'average',
        };
        if (base?.density !== undefined) material.density = base.density;
        this.scene.physicsMaterials.push(material);
      }
      collider.collider!.physicsMaterial = path;
    }
  }

  private collidersUnder(root: string): Prim[] {
    return this.scene.prims.filter((p) => p.collider && p.geometry && isWithin(p.path, root));
  }

  private materialOf(prim: Prim | undefined): PhysicsMaterial | undefined {
    const path = prim?.collider?.physicsMaterial;
    return path ? this.scene.physicsMaterials.find((m) => m.path === path) : undefined;
  }

  // ---------------------------------------------------------------- poses

  /** Draws rotation and scale; applies them in place, or returns the placement job when scattered. */
  private preparePose(path: string, group: PoseGroup): ScatterJob | null {
    if (!group.scatter && !group.rotation && !group.scale) return null;
    const prim = this.prims.get(path)!;
    const { p, q, s } = this.decomposeWorld(path);
    const factor = group.scale ? this.num(group.scale, `${path}:scale`) : 1;
    const localScale = prim.transform.scale.map((x) => x * factor) as Vec3;
    const orientation = group.rotation ? this.drawRotation(group.rotation, q, path) : q;
    if (!group.scatter) {
      this.setWorldPose(path, p, orientation, localScale);
      return null;
    }
    return { path, scatter: group.scatter, orientation, worldScale: s.multiplyScalar(factor), localScale };
  }

  private drawRotation(rotation: Rotation, authored: Quaternion, path: string): Quaternion {
    const key = `${path}:rotation`;
    if (rotation.yaw) return new Quaternion().setFromAxisAngle(UP, this.num(rotation.yaw, key) * DEG).multiply(authored);
    if (rotation.angle && rotation.axis) {
      const axis = new Vector3(...rotation.axis).normalize();
      return new Quaternion().setFromAxisAngle(axis, this.num(rotation.angle, key) * DEG).multiply(authored);
    }
    if (rotation.euler) {
      const e = this.vec(rotation.euler, key);
      return new Quaternion().setFromEuler(new Euler(e[0] * DEG, e[1] * DEG, e[2] * DEG, 'XYZ'));
    }
    // Uniform over SO(3): K. Shoemake, "Uniform random rotations", Graphics Gems III (1992).
    const i = drawIndex(this.ctx, rotation.per);
    const [u1, u2, u3] = [0, 1, 2].map((k) => unit(this.ctx.seed, i, `${key}[${k}]`)) as [number, number, number];
    const a = Math.sqrt(1 - u1);
    const b = Math.sqrt(u1);
    const q = new Quaternion(a * Math.sin(2 * Math.PI * u2), a * Math.cos(2 * Math.PI * u2), b * Math.sin(2 * Math.PI * u3), b * Math.cos(2 * Math.PI * u3));
    this.record(key, [q.x, q.y, q.z, q.w]);
    return q;
  }

  // ---------------------------------------------------------------- distractors

  private addDistractors(spec: RandomizationSpec): ScatterJob[] {
    const jobs: ScatterJob[] = [];
    const parent = `${sampledRoot(this.scene)}/${DISTRACTOR_ROOT}`;
    let k = 0;
    spec.distractors.forEach((group, g) => {
      const count = this.num(group.count, `distractors[${g}]:count`, true);
      for (let j = 0; j < count; j++, k++) {
        this.ensureXform(parent);
        const path = `${parent}/Distractor_${k}`;
        const shape = this.cat(group.shape, `${path}:shape`);
        if ((PRIMITIVE_SHAPES as readonly string[]).includes(shape)) this.addPrimitive(path, shape as PrimitiveShape, this.num(group.size, `${path}:size`), group);
        else this.addAsset(path, shape, group);
        this.applyAppearance(path, group, spec);
        this.applyPhysics(path, group);
        jobs.push(this.preparePose(path, group)!);
      }
    });
    return jobs;
  }

  private addPrimitive(path: string, shape: PrimitiveShape, size: number, group: DistractorGroup) {
    this.addPrim({
      ...bareXform(path),
      type: USD_TYPE[shape],
      geometry: primitiveGeometry(shape, size),
      material: defaultLook(),
      body: group.dynamic ? restingBody('dynamic') : restingBody('static'),
      collider: { enabled: true, approximation: 'none', physicsMaterial: null },
      labels: group.label ? { class: [group.label] } : {},
    });
    // Upright in the world, whatever the frame of the parent (a Z-up stage's root is rotated).
    this.setWorldPose(path, new Vector3(), new Quaternion());
  }

  /** A copy of the subtree at `source`, labelled as the spec says, moving as one body. */
  private addAsset(path: string, source: string, group: DistractorGroup) {
    const { p, q, s } = this.decomposeWorld(source);
    const copies = this.scene.prims.filter((prim) => isWithin(prim.path, source)).map((prim) => structuredClone(prim));
    for (const copy of copies) {
      const isRoot = copy.path === source;
      copy.path = path + copy.path.slice(source.length);
      copy.labels = isRoot && group.label ? { class: [group.label] } : {};
      if (copy.body && !isRoot) delete copy.body;
      this.addPrim(copy);
    }
    const root = this.prims.get(path)!;
    root.body = { ...(root.body ?? restingBody('dynamic')), type: group.dynamic ? 'dynamic' : 'static', enabled: true };
    const parentScale = new Vector3();
    this.worldOf(parentPath(path)).decompose(new Vector3(), new Quaternion(), parentScale);
    this.setWorldPose(path, p, q, [s.x / parentScale.x, s.y / parentScale.y, s.z / parentScale.z]);
  }

  // ---------------------------------------------------------------- scatter

  /**
   * Places each job at a drawn position inside its region, rejecting candidates whose bounds come
   * within `spacing` of anything already placed or of the scene's other geometry (the support
   * itself excepted). An object that finds no free place is dropped from above the others.
   */
  private scatter(jobs: ScatterJob[]) {
    if (!jobs.length) return;
    const world = worldMatrices(this.scene);
    const moving = jobs.map((j) => j.path);
    const obstacles = this.scene.prims
      .filter((p) => p.geometry && !moving.some((m) => isWithin(p.path, m)))
      .map((p) => ({ path: p.path, box: primWorldBounds(p.geometry, world.get(p.path)!) }))
      .filter((o) => !o.box.isEmpty());
    const placed: Box3[] = [];

    for (const job of jobs) {
      const shapes: SweptPoints[] = subtreeShapes(this.scene, job.path, world);
      const extent = orientedExtent(shapes, job.orientation, job.worldScale);
      if (extent.isEmpty()) extent.set(new Vector3(), new Vector3());
      const { scatter } = job;
      const volume = scatter.volume;
      const support = scatter.surface ?? (typeof volume === 'string' ? volume : null);
      const region = support || !volume || typeof volume === 'string' ? subtreeWorldBounds(this.scene, support!, world) : new Box3(new Vector3(...volume.min), new Vector3(...volume.max));
      if (scatter.within) {
        for (const k of scatter.surface ? [0, 2] : [0, 1, 2]) {
          region.min.setComponent(k, Math.max(region.min.getComponent(k), scatter.within.min[k]!));
          region.max.setComponent(k, Math.min(region.max.getComponent(k), scatter.within.max[k]!));
        }
      }
      // Ranges for the object's origin that keep its bounds inside the region (less the margin);
      // on a surface the height is fixed: resting `lift` above the top face.
      let tooBig = false;
      const ranges = [0, 1, 2].map((k): [number, number] => {
        if (k === 1 && scatter.surface) {
          const y = region.max.y + scatter.lift - extent.min.y;
          return [y, y];
        }
        const lo = region.min.getComponent(k) + scatter.margin - extent.min.getComponent(k);
        const hi = region.max.getComponent(k) - scatter.margin - extent.max.getComponent(k);
        if (lo <= hi) return [lo, hi];
        tooBig = true;
        return [(lo + hi) / 2, (lo + hi) / 2];
      });
      if (tooBig) this.warnings.push(`${job.path}: larger than its scatter region (${support ?? 'volume'}) less the margin; centred`);

      const i = drawIndex(this.ctx, scatter.per);
      const boxAt = (p: Vector3) => extent.clone().translate(p);
      const hits = (box: Box3) => [
        ...obstacles.filter((o) => !(support && isWithin(o.path, support)) && near(box, o.box, scatter.spacing)).map((o) => o.box),
        ...placed.filter((b) => near(box, b, scatter.spacing)),
      ];
      let position: Vector3 | null = null;
      let first: Vector3 | null = null;
      for (let attempt = 0; attempt < scatter.attempts && !position; attempt++) {
        const candidate = new Vector3(...ranges.map(([lo, hi], k) => (lo === hi ? lo : uniform(this.ctx.seed, i, `${job.path}:position#${attempt}[${k}]`, lo, hi))));
        first ??= candidate;
        if (hits(boxAt(candidate)).length === 0) position = candidate;
      }
      if (!position) {
        // Stack it above whatever is in the way; physics lets it fall into a free spot or onto them.
        position = first!;
        for (let n = 0, blocking = hits(boxAt(position)); blocking.length && n < 1000; n++, blocking = hits(boxAt(position))) {
          position.y = Math.max(...blocking.map((b) => b.max.y)) + scatter.spacing - extent.min.y + 1e-6;
        }
        this.warnings.push(`${job.path}: no free place after ${scatter.attempts} attempts; dropped from above`);
      }
      this.record(`${job.path}:position`, [position.x, position.y, position.z]);
      this.setWorldPose(job.path, position, job.orientation, job.localScale);
      placed.push(boxAt(position));
    }
  }

  // ---------------------------------------------------------------- settle

  /**
   * Simulates the randomized scene so objects come to rest, and keeps where they ended. With
   * `until_rest`, it stops as soon as every body has stayed at rest (REST) for REST.checks checks
   * in a row, REST.interval seconds apart; `seconds` caps it. The stop depends only on the
   * simulated state, so it is as reproducible as the poses.
   */
  private async settle({ seconds, rate, until_rest }: RandomizationSpec['settle'], rapier?: Rapier) {
    const dynamic = this.scene.prims.filter((p) => p.body?.type === 'dynamic' && p.body.enabled);
    if (!dynamic.length) return;
    const world = await PhysicsWorld.create(this.scene, rapier ? { dt: 1 / rate, rapier } : { dt: 1 / rate });
    let states;
    try {
      const total = Math.round(seconds * rate);
      const every = until_rest ? Math.max(1, Math.round(REST.interval * rate)) : total;
      let calm = 0;
      for (let stepped = 0; stepped < total; ) {
        const n = Math.min(every, total - stepped);
        world.step(n);
        stepped += n;
        if (!until_rest) continue;
        const { speed, spin } = world.maxMotion();
        calm = speed < REST.speed && spin < REST.spin ? calm + 1 : 0;
        if (calm >= REST.checks) break;
      }
      this.settleSteps = world.stepCount;
      states = world.bodyStates();
    } finally {
      world.free();
    }
    const bodies = new Set(dynamic.map((p) => p.path));
    // Parents before children, so a nested body is placed in its parent's settled frame.
    for (const state of states) {
      if (!bodies.has(state.path)) continue;
      const prim = this.prims.get(state.path)!;
      this.setWorldPose(state.path, new Vector3(...state.position), new Quaternion(...state.orientation).normalize());
      prim.body = { ...prim.body!, linearVelocity: state.linearVelocity, angularVelocity: state.angularVelocity };
    }
  }

  // ---------------------------------------------------------------- lights

  private randomizeLights(group: RandomizationSpec['lights'][number], g: number) {
    let targets: string[];
    if (group.prims) {
      targets = group.prims.flatMap((pattern) => matchPrims(this.scene.prims, pattern)).filter((p, i, all) => this.prims.get(p)?.light && all.indexOf(p) === i);
      if (group.count) {
        const count = Math.min(targets.length, this.num(group.count, `lights[${g}]:count`, true));
        // A random subset: order the lights by a hash each, keep the first `count`.
        const i = drawIndex(this.ctx, group.count.per);
        const order = [...targets].sort((a, b) => unit(this.ctx.seed, i, `${a}:enabled`) - unit(this.ctx.seed, i, `${b}:enabled`));
        const on = new Set(order.slice(0, count));
        for (const path of targets) {
          this.record(`${path}:enabled`, on.has(path));
          if (!on.has(path)) {
            const prim = this.prims.get(path)!;
            prim.visible = false;
            prim.light = { ...prim.light!, intensity: 0 };
          }
        }
        targets = targets.filter((p) => on.has(p));
      }
    } else {
      const count = group.count ? this.num(group.count, `lights[${g}]:count`, true) : 1;
      const parent = `${sampledRoot(this.scene)}/${ADDED_LIGHT_ROOT}`;
      const existing = this.scene.prims.filter((p) => isWithin(p.path, parent) && p.path !== parent).length;
      targets = [];
      for (let j = 0; j < count; j++) {
        this.ensureXform(parent);
        const path = `${parent}/Light_${existing + j}`;
        const kind = group.add!;
        this.addPrim({ ...bareXform(path), type: kind === 'sphere' ? 'SphereLight' : 'DistantLight', light: { kind, color: [1, 1, 1], intensity: 1, exposure: 0 } });
        // Default direction of an added distant light: from 45° up along +X.
        if (kind === 'distant') this.setWorldPose(path, new Vector3(), directionToOrientation(45, 0));
        else this.setWorldPose(path, new Vector3(), new Quaternion());
        targets.push(path);
      }
    }
    for (const path of targets) this.randomizeLight(path, group);
  }

  private randomizeLight(path: string, group: RandomizationSpec['lights'][number]) {
    const prim = this.prims.get(path)!;
    const light = prim.light!;
    if (group.intensity) light.intensity = this.num(group.intensity, `${path}:intensity`);
    if (group.temperature) light.color = kelvinToLinearRgb(this.num(group.temperature, `${path}:temperature`));
    if (group.color) light.color = this.vec(group.color, `${path}:color`).map(clamp01) as Vec3;
    if (group.position || group.elevation || group.azimuth) {
      const { p, q } = this.decomposeWorld(path);
      const position = group.position ? new Vector3(...this.vec(group.position, `${path}:position`)) : p;
      let orientation = q;
      if (group.elevation || group.azimuth) {
        // Unchanged angles keep the light's current direction.
        const from = new Vector3(0, 0, 1).applyQuaternion(q);
        const elevation = group.elevation ? this.num(group.elevation, `${path}:elevation`) : Math.asin(Math.max(-1, Math.min(1, from.y))) / DEG;
        const azimuth = group.azimuth ? this.num(group.azimuth, `${path}:azimuth`) : Math.atan2(-from.z, from.x) / DEG;
        orientation = directionToOrientation(elevation, azimuth);
      }
      this.setWorldPose(path, position, orientation);
    }
  }

  // ---------------------------------------------------------------- cameras

  private randomizeCamera(entry: RandomizationSpec['cameras'][number]) {
    const path = entry.prim;
    const key = `camera:${path}`;
    const prim = this.prims.get(path)!;
    const { p, q } = this.decomposeWorld(path);
    let position = p;
    let target: Vector3 | null = null;
    if (entry.shell) {
      const center = this.point(entry.shell.center);
      const radius = this.num(entry.shell.radius, `${key}:radius`);
      const elevation = this.num(entry.shell.elevation, `${key}:elevation`) * DEG;
      const azimuth = this.num(entry.shell.azimuth, `${key}:azimuth`) * DEG;
      position = center.clone().addScaledVector(sphericalDirection(elevation, azimuth), radius);
      target = center;
    } else if (entry.box) {
      const { min, max } = entry.box;
      const i = drawIndex(this.ctx, 'frame');
      position = new Vector3(...[0, 1, 2].map((k) => uniform(this.ctx.seed, i, `${key}:position[${k}]`, min[k]!, max[k]!)));
    }
    if (entry.shell || entry.box) this.record(`${key}:position`, [position.x, position.y, position.z]);
    if (entry.look_at) {
      target = entry.look_at.target !== undefined ? this.point(entry.look_at.target) : target!;
      if (entry.look_at.jitter) target = target.clone().add(new Vector3(...this.vec(entry.look_at.jitter, `${key}:jitter`)));
    }
    let orientation = q;
    if (target) {
      this.record(`${key}:look_at`, [target.x, target.y, target.z]);
      orientation = lookAtOrientation(position, target);
    }
    if (entry.roll) orientation = orientation.clone().multiply(new Quaternion().setFromAxisAngle(new Vector3(0, 0, 1), this.num(entry.roll, `${key}:roll`) * DEG));
    this.setWorldPose(path, position, orientation);
    if (entry.fov) {
      const fovY = this.num(entry.fov, `${key}:fov`) * DEG;
      const camera = prim.camera!;
      // Keep the aperture; the focal length follows (fovY = 2 atan(aperture / 2f)).
      prim.camera = { ...camera, fovY, focalLength: camera.verticalAperture / (2 * Math.tan(fovY / 2)) };
    }
  }

  /** A point given as [x, y, z] or as a prim (the centre of its world bounds). */
  private point(v: PointOrPrim): Vector3 {
    if (typeof v !== 'string') return new Vector3(...v);
    return subtreeWorldBounds(this.scene, v).getCenter(new Vector3());
  }
}

// ------------------------------------------------------------------ helpers

const USD_TYPE: Record<PrimitiveShape, string> = { box: 'Cube', sphere: 'Sphere', cylinder: 'Cylinder', cone: 'Cone', capsule: 'Capsule' };

/** A primitive whose bounding cube has edge `size`, round shapes along +Y. */
export function primitiveGeometry(shape: PrimitiveShape, size: number): Geometry {
  switch (shape) {
    case 'box':
      return { kind: 'box', size: [size, size, size] };
    case 'sphere':
      return { kind: 'sphere', radius: size / 2 };
    case 'cylinder':
      return { kind: 'cylinder', radius: size / 2, height: size, axis: 'Y' };
    case 'cone':
      return { kind: 'cone', radius: size / 2, height: size, axis: 'Y' };
    case 'capsule':
      // Radius a quarter of the size, so the whole capsule (spine + two caps) is `size` long.
      return { kind: 'capsule', radius: size / 4, height: size / 2, axis: 'Y' };
  }
}

const bareXform = (path: string): Prim => newPrim(path);

function restingBody(type: 'dynamic' | 'static'): NonNullable<Prim['body']> {
  return { type, enabled: true, linearVelocity: [0, 0, 0], angularVelocity: [0, 0, 0], startsAsleep: false };
}

/** Unit vector at `elevation` above the horizontal plane and `azimuth` about +Y from +X (radians). */
function sphericalDirection(elevation: number, azimuth: number): Vector3 {
  return new Vector3(Math.cos(elevation) * Math.cos(azimuth), Math.sin(elevation), -Math.cos(elevation) * Math.sin(azimuth));
}

/** Orientation of a light shining along its −Z from the direction (elevation, azimuth), in degrees. */
function directionToOrientation(elevation: number, azimuth: number): Quaternion {
  const from = sphericalDirection(elevation * DEG, azimuth * DEG);
  return lookAtOrientation(from, new Vector3());
}

/** Orientation whose −Z points from `eye` to `target` with +Y as close to world up as it can be. */
export function lookAtOrientation(eye: Vector3, target: Vector3): Quaternion {
  const forward = target.clone().sub(eye);
  const up = Math.abs(forward.clone().normalize().dot(UP)) > 0.999 ? new Vector3(0, 0, -1) : UP;
  return new Quaternion().setFromRotationMatrix(new Matrix4().lookAt(eye, target, up)).normalize();
}

/** Whether two boxes come closer than `gap` on every axis (that is, overlap once grown by it). */
function near(a: Box3, b: Box3, gap: number): boolean {
  return a.min.x < b.max.x + gap && b.min.x < a.max.x + gap && a.min.y < b.max.y + gap && b.min.y < a.max.y + gap && a.min.z < b.max.z + gap && b.min.z < a.max.z + gap;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function jsonable(value: unknown): unknown {
  if (typeof value === 'number') return round7(value);
  if (Array.isArray(value)) return value.map(jsonable);
  return value;
}

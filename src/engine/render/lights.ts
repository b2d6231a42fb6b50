/**
 * Scene lights → three.js lights, plus the fallback light every scene gets so nothing renders
 * black. USD light intensities are not calibrated to three's units (and Isaac-style stages use
 * values in the thousands), so intensities are mapped into a range that reads well in a viewer;
 * this viewport is for looking at scenes, not for photometric rendering.
 */
import { Box3, Color, DirectionalLight, HemisphereLight, type Light as ThreeLight, Matrix4, Object3D, PointLight, Quaternion, Sphere, Vector3 } from 'three';
import type { Light, Prim } from '../scene/schema.ts';

const MAX_INTENSITY: Record<Light['kind'], number> = {
  distant: 3,
  dome: 1.2,
  sphere: 4,
  rect: 4,
  disk: 4,
  cylinder: 4,
};

/** The authored intensity (× 2^exposure), clamped to what reads well in the viewport. */
export function viewportIntensity(light: Light): number {
  const value = light.intensity * 2 ** light.exposure;
  return Math.min(Math.max(value, 0), MAX_INTENSITY[light.kind]);
}

const linearColor = (rgb: readonly [number, number, number]) => new Color().setRGB(rgb[0], rgb[1], rgb[2]);

/** A directional light whose shadow covers `focus` (a sphere around the objects of interest). */
function directional(color: Color, intensity: number, direction: Vector3, focus: Sphere, castShadow: boolean): DirectionalLight {
  const light = new DirectionalLight(color, intensity);
  const distance = focus.radius * 3 + 1;
  light.position.copy(focus.center).addScaledVector(direction, -distance);
  light.target.position.copy(focus.center);
  if (castShadow) {
    light.castShadow = true;
    light.shadow.mapSize.set(1024, 1024);
    const half = focus.radius * 1.2 + 0.05;
    Object.assign(light.shadow.camera, { left: -half, right: half, top: half, bottom: -half, near: 0.01, far: distance * 2 + half });
    light.shadow.camera.updateProjectionMatrix();
    light.shadow.bias = -0.0005;
    light.shadow.normalBias = 0.01;
  }
  return light;
}

/** Light kinds drawn as a three.js PointLight (see buildLights). */
const POINT_KINDS: ReadonlySet<Light['kind']> = new Set(['sphere', 'rect', 'disk', 'cylinder']);

/** How many of the prims' lights are drawn as point lights. */
export function pointLightCount(prims: readonly Prim[]): number {
  return prims.filter((p) => p.light && POINT_KINDS.has(p.light.kind)).length;
}

/**
 * Lights for the scene: each authored light, then a fallback hemisphere light (and a key light
 * when the scene authors none). The first directional light casts shadows over `focusBounds`.
 *
 * Exactly the prims' lights, no dark ones: the number of point lights is part of every lit shader
 * program, so frames a randomizer gives 0, 1 or 2 lamps draw with three programs, each compiled
 * once (renderers keep them), but a dark "slot" light would be shaded on every pixel of every
 * frame. Measured on the tabletop at 640×480 (SwiftShader): two slots cost ~20 ms of rasterizer
 * CPU a frame against each frame's own count, for the same pixels.
 */
export function buildLights(prims: Prim[], world: Map<string, Matrix4>, focusBounds: Box3): Object3D[] {
  const focus = focusBounds.isEmpty() ? new Sphere(new Vector3(), 1) : focusBounds.getBoundingSphere(new Sphere());
  const out: Object3D[] = [];
  let shadowCaster = false;
  for (const prim of prims) {
    if (!prim.light) continue;
    const matrix = world.get(prim.path) ?? new Matrix4();
    const position = new Vector3();
    const rotation = new Quaternion();
    matrix.decompose(position, rotation, new Vector3());
    const color = linearColor(prim.light.color);
    const intensity = viewportIntensity(prim.light);
    let light: ThreeLight;
    switch (prim.light.kind) {
      case 'distant': {
        // A UsdLux distant light shines along its local -Z.
        const direction = new Vector3(0, 0, -1).applyQuaternion(rotation).normalize();
        light = directional(color, intensity, direction, focus, !shadowCaster);
        shadowCaster = true;
        break;
      }
      case 'dome':
        light = new HemisphereLight(color, color.clone().multiplyScalar(0.35), intensity);
        break;
      default: {
        // Sphere, rect, disk and cylinder lights become point lights at their position, scaled so
        // the mapped intensity is what the objects of interest receive.
        const reach = Math.max(position.distanceTo(focus.center), 0.1);
        light = new PointLight(color, intensity * reach * reach, 0, 2);
        light.position.copy(position);
      }
    }
    light.name = prim.path;
    out.push(light);
  }
  const fallback = new HemisphereLight(0xe8eef8, 0x4a4038, out.length ? 0.9 : 1.3);
  fallback.name = 'fallback hemisphere light';
  out.push(fallback);
  if (!shadowCaster) {
    const key = directional(new Color(1, 0.97, 0.92), 2, new Vector3(-0.4, -1, -0.3).normalize(), focus, true);
    key.name = 'fallback key light';
    out.push(key);
  }
  return out;
}

import { readFileSync } from 'node:fs';
import { Quaternion, Vector3 } from 'three';
import { afterEach, describe, expect, it } from 'vitest';
import { importSnippet } from '../testing/usda.ts';
import { importUsd } from '../usd/import.ts';
import { PhysicsWorld } from './world.ts';

const G = 9.80665;
const DT = 1 / 240;
const DEG = Math.PI / 180;

const worlds: PhysicsWorld[] = [];
afterEach(() => {
  while (worlds.length) worlds.pop()!.free();
});

async function world(body: string, dt = DT): Promise<PhysicsWorld> {
  const { document } = importSnippet(body);
  const w = await PhysicsWorld.create(document, { dt });
  worlds.push(w);
  return w;
}

const GROUND = `def Plane "Ground" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { uniform token axis = "Y" }`;

function sphere(name: string, x: number, y: number, extra = '', apis = '') {
  return `def Sphere "${name}" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"${apis}]) {
    double radius = 0.1
    double3 xformOp:translate = (${x}, ${y}, 0)
    uniform token[] xformOpOrder = ["xformOp:translate"]
    ${extra}
  }`;
}

describe('rigid bodies against analytic physics', () => {
  it('a sphere dropped from 1 m lands at t = sqrt(2h/g), within one step', async () => {
    const w = await world(`${GROUND}\n${sphere('Ball', 0, 1.1)}`);
    const predicted = Math.sqrt((2 * 1.0) / G);
    let landed: number | null = null;
    let previousVy = 0;
    for (let i = 0; i < 480 && landed === null; i++) {
      w.step();
      const vy = w.bodyState('/Ball').linearVelocity[1];
      // Contact is the first step whose downward speed drops instead of growing.
      if (vy > previousVy + 1e-6) landed = w.time;
      previousVy = vy;
    }
    expect(landed).not.toBeNull();
    expect(Math.abs(landed! - predicted)).toBeLessThanOrEqual(DT);
  });

  it('in free flight the height follows y0 - g t²/2', async () => {
    const w = await world(sphere('Ball', 0, 10));
    w.step(120);
    const t = w.time;
    // Velocity is exact; semi-implicit Euler lags the parabola by at most g·t·dt/2.
    expect(w.bodyState('/Ball').linearVelocity[1]).toBeCloseTo(-G * t, 4);
    const lag = 10 - (G * t * t) / 2 - w.bodyState('/Ball').position[1];
    expect(lag).toBeGreaterThanOrEqual(-1e-5);
    expect(lag).toBeLessThanOrEqual((G * t * DT) / 2 + 1e-5);
  });

  it('a box dropped on a box comes to rest at the sum of the half-heights', async () => {
    const w = await world(`
      def Cube "Base" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { double size = 1\n double3 xformOp:translate = (0, 0.5, 0)\n uniform token[] xformOpOrder = ["xformOp:translate"] }
      def Cube "Top" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) { double size = 0.2\n double3 xformOp:translate = (0, 1.5, 0)\n uniform token[] xformOpOrder = ["xformOp:translate"] }`);
    w.step(Math.round(2 / DT));
    const s = w.bodyState('/Top');
    // Base top at 1.0 plus half of 0.2.
    expect(s.position[1]).toBeCloseTo(1.1, 2);
    expect(Math.abs(s.position[1] - 1.1)).toBeLessThan(0.005);
    expect(Math.hypot(...s.linearVelocity)).toBeLessThan(1e-3);
  });

  it('a bouncy sphere rebounds higher than a dull one, in the ratio e² predicts', async () => {
    const material = (name: string, e: number) => `def Material "${name}" (prepend apiSchemas = ["PhysicsMaterialAPI"]) {
        float physics:restitution = ${e}
        token physxMaterial:restitutionCombineMode = "max"
      }`;
    const w = await world(`${GROUND}
      ${material('Bouncy', 0.8)}
      ${material('Dull', 0.4)}
      ${sphere('B', -1, 1.1, 'rel material:binding:physics = </Bouncy>', ', "MaterialBindingAPI"')}
      ${sphere('D', 1, 1.1, 'rel material:binding:physics = </Dull>', ', "MaterialBindingAPI"')}`);
    const apex = { '/B': 0, '/D': 0 };
    const bounced = { '/B': false, '/D': false };
    for (let i = 0; i < Math.round(1.6 / DT); i++) {
      w.step();
      for (const path of ['/B', '/D'] as const) {
        const s = w.bodyState(path);
        if (s.linearVelocity[1] > 0.05) bounced[path] = true;
        if (bounced[path]) apex[path] = Math.max(apex[path], s.position[1] - 0.1);
      }
    }
    // Dropped 1 m: rebound height h·e².
    expect(apex['/B']).toBeGreaterThan(0.64 * 0.9);
    expect(apex['/B']).toBeLessThan(0.64 * 1.1);
    expect(apex['/D']).toBeGreaterThan(0.16 * 0.9);
    expect(apex['/D']).toBeLessThan(0.16 * 1.1);
    expect(apex['/B'] / apex['/D']).toBeCloseTo(4, 0);
  });
});

describe('joints', () => {
  /** A 1 m bar hanging from a hinge at the origin, swung hard about Z. */
  const pendulum = (limits: string) => `
    def Cube "Bar" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
        double size = 1
        double3 xformOp:translate = (0, -0.5, 0)
        float3 xformOp:scale = (0.05, 1, 0.05)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
        vector3f physics:velocity = (3.1415927, 0, 0)
        vector3f physics:angularVelocity = (0, 0, 360)
    }
    def PhysicsRevoluteJoint "Hinge" {
        rel physics:body1 = </Bar>
        point3f physics:localPos0 = (0, 0, 0)
        point3f physics:localPos1 = (0, 0.5, 0)
        uniform token physics:axis = "Z"
        ${limits}
    }`;

  async function maxSwing(limits: string) {
    const w = await world(pendulum(limits));
    let max = 0;
    for (let i = 0; i < Math.round(2 / DT); i++) {
      w.step();
      max = Math.max(max, Math.abs(w.jointPosition('/Hinge')));
    }
    return max;
  }

  it('a revolute joint keeps its limits; without them the same swing goes far past', async () => {
    const limited = await maxSwing('float physics:lowerLimit = -30\n float physics:upperLimit = 30');
    expect(limited).toBeLessThan(32 * DEG);
    expect(limited).toBeGreaterThan(28 * DEG);
    const free = await maxSwing('');
    expect(free).toBeGreaterThan(80 * DEG);
  });

  it('the hinge point stays put while the bar swings', async () => {
    const w = await world(pendulum(''));
    w.step(200);
    const s = w.bodyState('/Bar');
    // The bar's top end (0.5 m above its centre, in its frame) is the hinge at the origin.
    const [x, y, z, qw] = [s.orientation[0], s.orientation[1], s.orientation[2], s.orientation[3]];
    // Rotate (0, 0.5, 0) by the body's quaternion.
    const top = [
      s.position[0] + 0.5 * (2 * (x * y - qw * z)),
      s.position[1] + 0.5 * (1 - 2 * (x * x + z * z)),
      s.position[2] + 0.5 * (2 * (y * z + qw * x)),
    ];
    top.forEach((c) => expect(Math.abs(c)).toBeLessThan(0.01));
  });

  it('an angular drive pulls the joint to its target angle', async () => {
    const w = await world(`
      def PhysicsScene "S" { vector3f physics:gravityDirection = (0, -1, 0)\n float physics:gravityMagnitude = 0 }
      def Cube "Door" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"]) {
          double size = 1
          float physics:mass = 1
          double3 xformOp:translate = (0.5, 0, 0)
          float3 xformOp:scale = (1, 1, 0.05)
          uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
      }
      def PhysicsRevoluteJoint "Hinge" (prepend apiSchemas = ["PhysicsDriveAPI:angular"]) {
          rel physics:body1 = </Door>
          point3f physics:localPos1 = (-0.5, 0, 0)
          uniform token physics:axis = "Y"
          float drive:angular:physics:stiffness = 0.5
          float drive:angular:physics:damping = 0.1
          float drive:angular:physics:targetPosition = 45
      }`);
    w.step(Math.round(5 / DT));
    expect(w.jointPosition('/Hinge')).toBeCloseTo(45 * DEG, 2);
  });

  it('a prismatic joint slides along its axis and stops at its limits', async () => {
    const w = await world(`
      def Cube "Slider" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
          double size = 0.1
          vector3f physics:velocity = (2, 0, 0)
      }
      def PhysicsPrismaticJoint "Rail" {
          rel physics:body1 = </Slider>
          uniform token physics:axis = "X"
          float physics:lowerLimit = -0.2
          float physics:upperLimit = 0.3
      }`);
    let max = -Infinity;
    for (let i = 0; i < 480; i++) {
      w.step();
      const p = w.bodyState('/Slider').position;
      max = Math.max(max, p[0]);
      // Gravity is along -Y, but the rail only lets the slider move along X.
      expect(Math.abs(p[1])).toBeLessThan(0.005);
    }
    expect(max).toBeLessThan(0.31);
    expect(max).toBeGreaterThan(0.29);
  });
});

describe('collision filtering', () => {
  const scene = (filter: string) => `${GROUND}
    def Cube "Shelf" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { double size = 1\n double3 xformOp:translate = (0, 0.5, 0)\n uniform token[] xformOpOrder = ["xformOp:translate"] }
    ${sphere('Ball', 0, 1.5, filter.includes('filteredPairs') ? filter : '', filter.includes('filteredPairs') ? ', "PhysicsFilteredPairsAPI"' : '')}
    ${filter.includes('filteredPairs') ? '' : filter}`;

  async function restingHeight(filter: string) {
    const w = await world(scene(filter));
    w.step(Math.round(1.5 / DT));
    return w.bodyState('/Ball').position[1];
  }

  it('without filtering, the ball rests on the shelf', async () => {
    expect(await restingHeight('')).toBeCloseTo(1.1, 2);
  });

  it('a filtered pair passes through each other', async () => {
    // Through the shelf, onto the ground.
    expect(await restingHeight('rel physics:filteredPairs = </Shelf>')).toBeCloseTo(0.1, 2);
  });

  it('colliders in mutually filtered collision groups pass through each other', async () => {
    const groups = `
      def PhysicsCollisionGroup "Balls" { prepend rel collection:colliders:includes = [</Ball>]\n rel physics:filteredGroups = </Furniture> }
      def PhysicsCollisionGroup "Furniture" { prepend rel collection:colliders:includes = [</Shelf>] }`;
    expect(await restingHeight(groups)).toBeCloseTo(0.1, 2);
  });
});

describe('mass', () => {
  it('uses the authored mass, or density × volume', async () => {
    const w = await world(`
      def Cube "Heavy" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"]) { double size = 0.1\n float physics:mass = 3 }
      def Cube "Dense" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"]) { double size = 0.1\n float physics:density = 2700 }
      def Cube "Plain" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) { double size = 0.1 }`);
    const info = new Map(w.describeBodies().map((b) => [b.path, b]));
    expect(info.get('/Heavy')!.mass).toBeCloseTo(3, 5);
    expect(info.get('/Heavy')!.authoredMass).toBeCloseTo(3, 5);
    expect(info.get('/Dense')!.mass).toBeCloseTo(2.7, 4);
    // Nothing authored: simulated with water density, reported as not authored.
    expect(info.get('/Plain')!.mass).toBeCloseTo(1, 4);
    expect(info.get('/Plain')!.authoredMass).toBeNull();
  });
});

describe('reproducibility', () => {
  it('the same scene stepped twice gives the same bytes', async () => {
    const { document } = importUsd(readFileSync(new URL('../../../scenes/tabletop.usda', import.meta.url)), 'tabletop.usda');
    const run = async () => {
      const w = await PhysicsWorld.create(document);
      worlds.push(w);
      w.step(480);
      return Buffer.from(w.readPoses().buffer).toString('hex');
    };
    expect(await run()).toBe(await run());
  });

  it('reset returns every body to its initial pose and time to zero', async () => {
    const w = await world(`${GROUND}\n${sphere('Ball', 0, 1.1)}`);
    const initial = Array.from(w.readPoses());
    w.step(100);
    expect(Array.from(w.readPoses())).not.toEqual(initial);
    w.reset();
    expect(w.time).toBe(0);
    expect(Array.from(w.readPoses())).toEqual(initial);
  });
});

describe('review findings (each was wrong before)', () => {
  it('a revolute joint without physics:axis turns about X, the UsdPhysics fallback', async () => {
    // The arm hangs along +X from a hinge at the origin: about X gravity cannot swing it.
    const w = await world(`
      def Cube "Arm" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
          double size = 0.1
          double3 xformOp:translate = (1, 0, 0)
          uniform token[] xformOpOrder = ["xformOp:translate"]
      }
      def PhysicsRevoluteJoint "Hinge" { rel physics:body1 = </Arm>\n point3f physics:localPos1 = (-1, 0, 0) }`);
    expect(w.doc.joints[0]!.axis).toBe('X');
    w.step(240);
    const p = w.bodyState('/Arm').position;
    expect(p[0]).toBeCloseTo(1, 2);
    expect(p[1]).toBeCloseTo(0, 2);
  });

  it('MassAPI density on the body or an intermediate Xform beats the material density', async () => {
    const w = await world(`
      def Material "Light" (prepend apiSchemas = ["PhysicsMaterialAPI"]) { float physics:density = 100 }
      def Xform "Body" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI"]) {
          float physics:density = 2000
          def Cube "Shape" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]) { double size = 1\n rel material:binding:physics = </Light> }
      }
      def Xform "Other" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) {
          def Xform "Middle" (prepend apiSchemas = ["PhysicsMassAPI"]) {
              float physics:density = 500
              def Cube "Shape" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]) { double size = 1\n rel material:binding:physics = </Light> }
          }
      }`);
    const info = new Map(w.describeBodies().map((b) => [b.path, b]));
    expect(info.get('/Body')!.mass).toBeCloseTo(2000, 1);
    expect(info.get('/Other')!.mass).toBeCloseTo(500, 1);
    expect(info.get('/Other')!.authoredMass).toBeCloseTo(500, 1);
  });

  it('an authored centre of mass is in the body\'s scaled frame and keeps the computed inertia axes', async () => {
    const rod = (name: string, com: string) => `
      def Cube "${name}" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"]) {
          double size = 1
          ${com}
          float xformOp:rotateZ = 45
          float3 xformOp:scale = (2, 2, 2)
          uniform token[] xformOpOrder = ["xformOp:rotateZ", "xformOp:scale"]
          def Cube "Long" (prepend apiSchemas = ["PhysicsCollisionAPI"]) { double size = 1\n float3 xformOp:scale = (4, 1, 1)\n float xformOp:rotateZ = 30\n uniform token[] xformOpOrder = ["xformOp:rotateZ", "xformOp:scale"] }
      }`;
    const w = await world(`${rod('Plain', '')}\n${rod('Shifted', 'point3f physics:centerOfMass = (0.5, 0, 0)')}`);
    const plain = w.massProperties('/Plain');
    const shifted = w.massProperties('/Shifted');
    // (0.5, 0, 0) in a frame scaled by 2 is 1 m from the origin.
    expect(shifted.centerOfMass[0]).toBeCloseTo(1, 5);
    shifted.principalInertia.forEach((i, k) => expect(i / plain.principalInertia[k]!).toBeCloseTo(1, 5));
    // The rod's long axis (its one distinct principal moment, the first) points the same way: 30°
    // from the body's X axis, where the child cube lies. (Before, the frame was reset to identity.)
    const longAxis = (q: number[]) => new Vector3(1, 0, 0).applyQuaternion(new Quaternion(q[0], q[1], q[2], q[3]));
    expect(Math.abs(longAxis(shifted.inertiaFrame).dot(longAxis(plain.inertiaFrame)))).toBeCloseTo(1, 5);
    expect(Math.abs(longAxis(shifted.inertiaFrame).dot(new Vector3(Math.cos(Math.PI / 6), Math.sin(Math.PI / 6), 0)))).toBeCloseTo(1, 4);
  });

  it('a dynamic body without colliders or mass is simulated as 1 kg, with a warning, instead of pinning its joint', async () => {
    const w = await world(`
      def Xform "Link" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) { }
      def Sphere "Bob" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
          double radius = 0.1
          double3 xformOp:translate = (1, 0, 0)
          uniform token[] xformOpOrder = ["xformOp:translate"]
      }
      def PhysicsRevoluteJoint "Pivot" { rel physics:body1 = </Link>\n uniform token physics:axis = "Z" }
      def PhysicsFixedJoint "Weld" { rel physics:body0 = </Link>\n rel physics:body1 = </Bob>\n point3f physics:localPos0 = (1, 0, 0) }`);
    expect(w.warnings).toContain('/Link: dynamic body without colliders or authored mass; simulated as 1 kg with unit inertia');
    expect(w.massProperties('/Link').mass).toBe(1);
    w.step(240);
    // The bob swings down about the pivot instead of hanging in the air.
    expect(w.bodyState('/Bob').position[1]).toBeLessThan(-0.3);
  });

  it('an acceleration drive’s maxForce is a torque, like a force drive’s', async () => {
    const spin = async (type: string) => {
      const w = await world(`
        def PhysicsScene "S" { float physics:gravityMagnitude = 0 }
        def Xform "Wheel" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsMassAPI"]) {
            float physics:mass = 1
            float3 physics:diagonalInertia = (1, 1, 1)
        }
        def PhysicsRevoluteJoint "Axle" (prepend apiSchemas = ["PhysicsDriveAPI:angular"]) {
            rel physics:body1 = </Wheel>
            uniform token physics:axis = "Z"
            token drive:angular:physics:type = "${type}"
            float drive:angular:physics:damping = 1e6
            float drive:angular:physics:targetVelocity = 100000
            float drive:angular:physics:maxForce = 10
        }`);
      w.step(240);
      return w.bodyState('/Wheel').angularVelocity[2];
    };
    // Torque 10 N·m on inertia 1 kg·m² for 1 s: 10 rad/s, whichever drive type.
    expect(await spin('force')).toBeCloseTo(10, 0);
    expect(await spin('acceleration')).toBeCloseTo(10, 0);
  });
});

describe('absurd magnitudes', () => {
  it('rejects values beyond single precision, naming the prim', () => {
    expect(() => importSnippet('def Sphere "Far" { double3 xformOp:translate = (1e39, 0, 0)\n uniform token[] xformOpOrder = ["xformOp:translate"] }')).toThrow(
      /snippet\.usda: invalid scene document at prims\[0\]\.transform\.position\[0\]: .* \(\/Far\)/,
    );
  });
});

describe('spherical joint cone limits', () => {
  /** Largest tilt (rad) of a rod hanging along -Y from a ball joint whose axis is Y, swung by `spin`. */
  async function maxTilt(spin: string) {
    const w = await world(`
      def PhysicsScene "S" { float physics:gravityMagnitude = 0 }
      def Cube "Rod" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"]) {
          double size = 1
          double3 xformOp:translate = (0, -0.5, 0)
          float3 xformOp:scale = (0.05, 1, 0.05)
          uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
          vector3f physics:angularVelocity = ${spin}
      }
      def PhysicsSphericalJoint "Ball" {
          rel physics:body1 = </Rod>
          point3f physics:localPos1 = (0, 0.5, 0)
          uniform token physics:axis = "Y"
          float physics:coneAngle0Limit = 10
          float physics:coneAngle1Limit = 40
      }`);
    let max = 0;
    for (let i = 0; i < 240; i++) {
      w.step();
      const q = w.bodyState('/Rod').orientation;
      const axis = new Vector3(0, 1, 0).applyQuaternion(new Quaternion(...q));
      max = Math.max(max, Math.acos(Math.min(1, axis.y)));
    }
    return max;
  }

  it('coneAngle0 limits tilting the axis toward the next axis, coneAngle1 toward the one after', async () => {
    // Axis Y: spinning about X tilts Y toward Z (the next axis): limited to 10°.
    expect(await maxTilt('(360, 0, 0)')).toBeLessThan(12 * DEG);
    // Spinning about Z tilts Y toward X (the axis after next): limited to 40°, reached.
    const towardX = await maxTilt('(0, 0, 360)');
    expect(towardX).toBeLessThan(42 * DEG);
    expect(towardX).toBeGreaterThan(30 * DEG);
  });
});

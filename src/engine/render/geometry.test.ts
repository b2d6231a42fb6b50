import { describe, expect, it } from 'vitest';
import { Box3, Vector3, type BufferGeometry } from 'three';
import { buildGeometry } from './geometry.ts';

const size = (g: BufferGeometry | null) => {
  g!.computeBoundingBox();
  return g!.boundingBox!.getSize(new Vector3());
};
const close = (v: Vector3, expected: readonly number[]) => {
  v.toArray().forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
};

describe('render geometry', () => {
  it('builds boxes and spheres at their authored size', () => {
    close(size(buildGeometry({ kind: 'box', size: [1.2, 0.8, 0.05] })), [1.2, 0.8, 0.05]);
    close(size(buildGeometry({ kind: 'sphere', radius: 0.035 })), [0.07, 0.07, 0.07]);
  });

  it('lays cylinders, cones and capsules along their axis', () => {
    close(size(buildGeometry({ kind: 'cylinder', radius: 0.1, height: 1, axis: 'X' })), [1, 0.2, 0.2]);
    close(size(buildGeometry({ kind: 'cylinder', radius: 0.1, height: 1, axis: 'Y' })), [0.2, 1, 0.2]);
    close(size(buildGeometry({ kind: 'cone', radius: 0.1, height: 1, axis: 'Z' })), [0.2, 0.2, 1]);
    // A USD capsule's height is its spine; the caps add a radius at each end.
    close(size(buildGeometry({ kind: 'capsule', radius: 0.025, height: 0.08, axis: 'X' })), [0.13, 0.05, 0.05]);
  });

  it("points a cone's apex along +axis", () => {
    const cone = buildGeometry({ kind: 'cone', radius: 0.1, height: 1, axis: 'Z' })!;
    const positions = cone.getAttribute('position');
    let apex = new Vector3(0, 0, -Infinity);
    for (let i = 0; i < positions.count; i++) if (positions.getZ(i) > apex.z) apex = new Vector3(positions.getX(i), positions.getY(i), positions.getZ(i));
    close(apex, [0, 0, 0.5]);
  });

  it('makes planes finite quads of width × length with the normal along the axis', () => {
    const cases = [
      { axis: 'X', size: [0, 3, 2], normal: [1, 0, 0] },
      { axis: 'Y', size: [2, 0, 3], normal: [0, 1, 0] },
      { axis: 'Z', size: [2, 3, 0], normal: [0, 0, 1] },
    ] as const;
    for (const c of cases) {
      const plane = buildGeometry({ kind: 'plane', width: 2, length: 3, axis: c.axis })!;
      close(size(plane), c.size);
      const normal = plane.getAttribute('normal');
      close(new Vector3(normal.getX(0), normal.getY(0), normal.getZ(0)), c.normal);
    }
  });

  it('builds meshes from points and triangles, with facet normals when none are authored', () => {
    const wedge = buildGeometry({ kind: 'mesh', points: [0, 0, 0, 1, 0, 0, 0, 1, 0], indices: [0, 1, 2] })!;
    expect(new Box3().setFromBufferAttribute(wedge.getAttribute('position') as never).getSize(new Vector3()).toArray()).toEqual([1, 1, 0]);
    const normal = wedge.getAttribute('normal');
    close(new Vector3(normal.getX(0), normal.getY(0), normal.getZ(0)), [0, 0, 1]);
  });

  it('draws nothing for an empty or out-of-range mesh', () => {
    expect(buildGeometry({ kind: 'mesh', points: [], indices: [] })).toBeNull();
    expect(buildGeometry({ kind: 'mesh', points: [0, 0, 0], indices: [0, 1, 2] })).toBeNull();
  });
});

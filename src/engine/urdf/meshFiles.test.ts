import { describe, expect, it } from 'vitest';
import { meshResolverFromFiles, meshUriSegments } from './meshFiles.ts';

const bytes = (tag: string) => new TextEncoder().encode(tag);
const text = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);

describe('meshUriSegments', () => {
  it('splits package://, file:// and relative URIs into path segments, resolving . and .. and %-escapes', () => {
    expect(meshUriSegments('package://my_robot/meshes/visual/arm.dae')).toEqual({ package: 'my_robot', segments: ['my_robot', 'meshes', 'visual', 'arm.dae'] });
    expect(meshUriSegments('file:///home/me/ws/src/my_robot/meshes/arm%20link.stl')).toEqual({ package: null, segments: ['home', 'me', 'ws', 'src', 'my_robot', 'meshes', 'arm link.stl'] });
    expect(meshUriSegments(' ../meshes/./arm.obj ')).toEqual({ package: null, segments: ['meshes', 'arm.obj'] });
  });
});

describe('meshResolverFromFiles', () => {
  // A dropped robot package: URDF in urdf/, meshes in meshes/visual and meshes/collision.
  const pkg = new Map([
    ['my_robot/urdf/robot.urdf', bytes('urdf')],
    ['my_robot/meshes/visual/arm.dae', bytes('visual arm')],
    ['my_robot/meshes/collision/arm.stl', bytes('collision arm')],
    ['my_robot/meshes/visual/base.stl', bytes('visual base')],
    ['my_robot/urdf/meshes/local.obj', bytes('next to the urdf')],
  ]);
  const resolve = meshResolverFromFiles(pkg, 'my_robot/urdf/robot.urdf');

  it('finds package:// meshes by path, whatever folder the package was picked from', () => {
    expect(text(resolve('package://my_robot/meshes/visual/arm.dae'))).toBe('visual arm');
    expect(text(resolve('package://my_robot/meshes/collision/arm.stl'))).toBe('collision arm');
    // The package checked out under another name: the path inside it still matches.
    expect(text(resolve('package://robot_description/meshes/visual/base.stl'))).toBe('visual base');
  });

  it('reads plain paths relative to the URDF`s folder, and file:// paths by their tail', () => {
    expect(text(resolve('meshes/local.obj'))).toBe('next to the urdf');
    expect(text(resolve('../meshes/visual/base.stl'))).toBe('visual base');
    expect(text(resolve('file:///opt/ros/share/my_robot/meshes/visual/arm.dae'))).toBe('visual arm');
  });

  it('says "not found" (null) for a mesh that is not there', () => {
    expect(resolve('package://my_robot/meshes/visual/gripper.dae')).toBeNull();
  });

  it('matches a lone file name when files were picked without their folders, but never guesses between two', () => {
    const loose = meshResolverFromFiles(new Map([['robot.urdf', bytes('u')], ['arm.dae', bytes('the arm')], ['a/hand.stl', bytes('1')], ['b/hand.stl', bytes('2')]]), 'robot.urdf');
    expect(text(loose('package://my_robot/meshes/visual/arm.dae'))).toBe('the arm');
    expect(() => loose('package://my_robot/meshes/hand.stl')).toThrow('2 supplied files could be "package://my_robot/meshes/hand.stl" (a/hand.stl, b/hand.stl); supply only one');
  });
});

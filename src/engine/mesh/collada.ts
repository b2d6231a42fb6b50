/**
 * COLLADA (.dae) → triangle geometry (URDF meshes, mesh assets), through three.js's ColladaLoader.
 *
 * ColladaLoader parses with the DOM's DOMParser, which Web Workers and Node do not have; here
 * @xmldom/xmldom's DOMParser stands in for the duration of one parse (a global set only when absent
 * and removed again). Only geometry is wanted, so the document is cleaned before the loader sees
 * it: images and texture references are removed (three would load them through an <img> element,
 * which workers and Node also lack); the URDF's own <material> colours the link, as for STL and OBJ.
 *
 * Units and axes, as ROS tools read URDF meshes: `<unit meter>` is applied (a mesh authored in
 * centimetres comes out in metres); `<up_axis>` is not — the vertex coordinates are taken to be in
 * the link's frame as written, which is what RViz and Gazebo show. (ColladaLoader turns a Z_UP
 * scene to Y-up; that turn is undone.) Node transforms inside the file are applied.
 */
import { DOMParser as XmlDomParser, XMLSerializer } from '@xmldom/xmldom';
import type { BufferGeometry, Mesh } from 'three';
import { ColladaLoader } from 'three/examples/jsm/loaders/ColladaLoader.js';

/** The file's meshes with their node transforms and unit scale applied; throws with the reason when unreadable. */
export function readColladaMeshes(bytes: Uint8Array): BufferGeometry[] {
  const text = geometryOnly(new TextDecoder().decode(bytes));
  const scope = globalThis as { DOMParser?: unknown };
  const hadParser = 'DOMParser' in scope;
  const { warn, debug } = console;
  if (!hadParser) scope.DOMParser = XmlDomParser;
  // ColladaLoader reports the file version and Z_UP (and other things it handles) on the console;
  // what matters here is reported by the caller.
  console.warn = console.debug = () => {};
  try {
    const result = new ColladaLoader().parse(text, '');
    if (!result) throw new Error('the loader could not read it');
    const { scene } = result;
    scene.rotation.set(0, 0, 0);
    scene.updateMatrixWorld(true);
    const parts: BufferGeometry[] = [];
    scene.traverse((object) => {
      const mesh = object as Mesh;
      if (mesh.isMesh) parts.push(mesh.geometry.clone().applyMatrix4(mesh.matrixWorld));
    });
    return parts;
  } finally {
    console.warn = warn;
    console.debug = debug;
    if (!hadParser) delete scope.DOMParser;
  }
}

/** The document without images or texture references; throws when it is not well-formed XML. */
function geometryOnly(text: string): string {
  const errors: string[] = [];
  let document: ReturnType<XmlDomParser['parseFromString']>;
  try {
    document = new XmlDomParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message.split('\n')[0]!);
      },
    }).parseFromString(text, 'application/xml');
  } catch (e) {
    throw new Error(`not well-formed XML: ${(e as Error).message.split('\n')[0]!}`);
  }
  if (errors.length > 0) throw new Error(`not well-formed XML: ${errors[0]}`);
  const root = document.documentElement;
  if (!root || root.localName !== 'COLLADA') throw new Error(`the root element is <${root?.localName ?? 'none'}>, not <COLLADA>`);
  for (const name of ['library_images', 'texture']) {
    for (const element of Array.from(root.getElementsByTagName(name))) element.parentNode?.removeChild(element);
  }
  return new XMLSerializer().serializeToString(document);
}

/**
 * History: undo and redo return the exact documents an edit replaced. A refused edit changes
 * nothing. A drag coalesces into one step. The oldest steps go once the depth is reached.
 */
import { describe, expect, it } from 'vitest';
import { addPrim, EditError, setPrimField, setTransform } from './edit.ts';
import { History } from './history.ts';
import { deepFreeze, emptyDocument } from '../testing/documents.ts';
import type { SceneDocument, Transform } from './schema.ts';

/** /World with one box in it. */
function scene(): SceneDocument {
  const empty = emptyDocument('history.json');
  return deepFreeze(addPrim(addPrim(empty, null, 'World'), '/World', 'Box', { type: 'Cube', geometry: { kind: 'box', size: [1, 1, 1] } }));
}

const at = (x: number): Transform => ({ position: [x, 0, 0], orientation: [0, 0, 0, 1], scale: [1, 1, 1] });
const x = (doc: SceneDocument) => doc.prims.find((p) => p.path === '/World/Box')!.transform.position[0];
const move = (to: number) => (doc: SceneDocument) => setTransform(doc, '/World/Box', at(to));

describe('History', () => {
  it('undoes and redoes edits in order, returning the very documents it replaced', () => {
    const start = scene();
    const history = new History(start);
    expect(history.canUndo).toBe(false);
    const one = history.apply('Move Box', move(1));
    const two = history.apply('Hide Box', (d) => setPrimField(d, '/World/Box', 'visible', false));
    expect(history.labels).toEqual(['Move Box', 'Hide Box']);
    expect(history.undo()).toBe(one);
    expect(history.redoLabels).toEqual(['Hide Box']);
    expect(history.undo()).toBe(start);
    expect(history.canUndo).toBe(false);
    expect(history.undo()).toBe(start); // nothing left to undo
    expect(history.redo()).toBe(one);
    expect(history.redo()).toBe(two);
    expect(history.canRedo).toBe(false);
    expect(history.redo()).toBe(two);
  });

  it('a new edit after an undo discards the redo steps', () => {
    const history = new History(scene());
    history.apply('Move Box', move(1));
    history.undo();
    history.apply('Move Box far', move(5));
    expect(history.canRedo).toBe(false);
    expect(history.labels).toEqual(['Move Box far']);
    expect(x(history.document)).toBe(5);
  });

  it('a refused edit leaves the document, the undo steps and the redo steps as they were', () => {
    const history = new History(scene());
    history.apply('Move Box', move(1));
    history.apply('Move Box again', move(2));
    history.undo();
    const before = history.document;
    expect(() => history.apply('Make it weigh −1 kg', (d) => setPrimField(d, '/World/Box', 'mass', { mass: -1 }))).toThrow(EditError);
    expect(history.document).toBe(before);
    expect(history.labels).toEqual(['Move Box']);
    expect(history.redoLabels).toEqual(['Move Box again']);
    expect(x(history.redo())).toBe(2);
  });

  it('an edit that changes nothing records no step', () => {
    const history = new History(scene());
    history.apply('Show Box', (d) => setPrimField(d, '/World/Box', 'visible', true));
    expect(history.canUndo).toBe(false);
  });

  it('keeps at most `depth` steps, dropping the oldest', () => {
    const history = new History(scene(), { depth: 3 });
    for (let i = 1; i <= 5; i++) history.apply(`Move ${i}`, move(i));
    expect(history.labels).toEqual(['Move 3', 'Move 4', 'Move 5']);
    history.undo();
    history.undo();
    expect(x(history.undo())).toBe(2);
    expect(history.canUndo).toBe(false);
    expect(() => new History(scene(), { depth: 0 })).toThrow(RangeError);
    expect(new History(scene()).depth).toBe(500);
  });

  it('coalesces a drag into one step that undoes to where the drag began', () => {
    const start = scene();
    const history = new History(start);
    for (let i = 1; i <= 10; i++) history.apply('Move Box', move(i / 10), { coalesce: 'transform:/World/Box' });
    expect(history.labels).toEqual(['Move Box']);
    expect(x(history.document)).toBe(1);
    expect(history.undo()).toBe(start);
    expect(x(history.redo())).toBe(1);
  });

  it('a drag ends at an edit with another key, an undo, a redo or endCoalescing()', () => {
    const history = new History(scene());
    const drag = { coalesce: 'transform:/World/Box' };
    history.apply('Drag 1', move(1), drag);
    history.apply('Drag 1', move(2), drag);
    history.endCoalescing(); // pointer up
    history.apply('Drag 2', move(3), drag);
    history.apply('Hide Box', (d) => setPrimField(d, '/World/Box', 'visible', false));
    history.apply('Drag 3', move(4), drag);
    expect(history.labels).toEqual(['Drag 1', 'Drag 2', 'Hide Box', 'Drag 3']);
    history.undo();
    history.apply('Drag 4', move(5), drag); // after an undo, a drag starts a new step
    expect(history.labels).toEqual(['Drag 1', 'Drag 2', 'Hide Box', 'Drag 4']);
    expect(x(history.undo())).toBe(3);
  });

  it('a drag that returns to where it began leaves no step', () => {
    const start = scene();
    const history = new History(start);
    history.apply('Move Box', move(1), { coalesce: 'drag' });
    const back = history.apply('Move Box', () => start, { coalesce: 'drag' });
    expect(back).toBe(start);
    expect(history.canUndo).toBe(false);
    // The drag goes on: the next edit opens a step again.
    history.apply('Move Box', move(2), { coalesce: 'drag' });
    expect(history.labels).toEqual(['Move Box']);
    expect(history.undo()).toBe(start);
  });

  it('reset starts over from another document', () => {
    const history = new History(scene());
    history.apply('Move Box', move(1));
    const other = scene();
    history.reset(other);
    expect(history.document).toBe(other);
    expect(history.canUndo || history.canRedo).toBe(false);
  });
});

/**
 * Undo and redo over scene documents, for the scene designer.
 *
 * The history stores whole documents, not inverse patches. Edits (edit.ts) never mutate a document
 * and share everything they leave alone, so one more version costs roughly what the edit changed:
 * one prim and the `prims` array of pointers, for example. With snapshots, undo and redo are
 * exact by construction, because they hand back the very object that was current before. Undo
 * needs no inverse of each operation, which is where patch-based histories break: rename,
 * reparent and removal touch references all over the document. The price is that a document must
 * be treated as immutable once it is in the history. Nothing in the engine mutates documents.
 *
 * Consecutive edits with the same coalescing key merge into one undo step. A gizmo drag sends
 * dozens of transform edits and should undo in one step. A merge lasts until an edit without that
 * key, an undo or redo, or `endCoalescing()` (call it on pointer-up, so that two drags stay two
 * steps).
 *
 * Owns no UI state (selection, panels). A store wraps it and re-renders on the document it returns.
 */
import type { SceneDocument } from './schema.ts';

export const DEFAULT_HISTORY_DEPTH = 500;

export interface HistoryOptions {
  /** Most undo steps kept; the oldest are dropped beyond it (default 500). */
  depth?: number;
}

export interface ApplyOptions {
  /**
   * Merge with the previous step when it was applied with the same key and no undo, redo or
   * endCoalescing() came between them. For example "transform:/World/Box" while dragging.
   */
  coalesce?: string;
}

/** One undo step: the document before it and the label that names it ("Move Box"). */
interface Step {
  label: string;
  before: SceneDocument;
}

/** One redo step: the document it restores. */
interface RedoStep {
  label: string;
  after: SceneDocument;
}

export class History {
  private current: SceneDocument;
  private readonly undoSteps: Step[] = [];
  private redoSteps: RedoStep[] = [];
  /** The key the top undo step may still absorb edits for, or null. */
  private openKey: string | null = null;
  readonly depth: number;

  constructor(initial: SceneDocument, options: HistoryOptions = {}) {
    const depth = options.depth ?? DEFAULT_HISTORY_DEPTH;
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`history depth must be a positive integer, got ${depth}`);
    this.current = initial;
    this.depth = depth;
  }

  /** The current document. */
  get document(): SceneDocument {
    return this.current;
  }

  get canUndo(): boolean {
    return this.undoSteps.length > 0;
  }

  get canRedo(): boolean {
    return this.redoSteps.length > 0;
  }

  /** Labels of the undo steps, oldest first: the last one is what undo() would undo. */
  get labels(): readonly string[] {
    return this.undoSteps.map((s) => s.label);
  }

  /** Labels of the redo steps, the next redo first. */
  get redoLabels(): readonly string[] {
    return this.redoSteps.map((s) => s.label).reverse();
  }

  /**
   * Runs `edit` on the current document and makes its result current, as one undo step named
   * `label`, which also clears the redo steps. An edit that throws leaves the history exactly as it
   * was and the error propagates. An edit that returns the document it was given changed nothing
   * and records no step. Returns the current document.
   */
  apply(label: string, edit: (doc: SceneDocument) => SceneDocument, options: ApplyOptions = {}): SceneDocument {
    const before = this.current;
    const after = edit(before);
    const key = options.coalesce ?? null;
    if (after === before) return before;
    const top = this.undoSteps[this.undoSteps.length - 1];
    const merge = key !== null && key === this.openKey && top !== undefined;
    this.openKey = key;
    if (merge) {
      // The merged step keeps the document from before the first edit and takes the newest label.
      top.label = label;
      if (top.before === after) {
        // Dragged back to where it started: no step at all. The next edit of the drag opens a new one.
        this.undoSteps.pop();
        this.openKey = null;
      }
    } else {
      this.undoSteps.push({ label, before });
      if (this.undoSteps.length > this.depth) this.undoSteps.splice(0, this.undoSteps.length - this.depth);
    }
    this.current = after;
    this.redoSteps = [];
    return after;
  }

  /** Goes back one step. Returns the current document (unchanged when there is nothing to undo). */
  undo(): SceneDocument {
    const step = this.undoSteps.pop();
    this.openKey = null;
    if (!step) return this.current;
    this.redoSteps.push({ label: step.label, after: this.current });
    this.current = step.before;
    return this.current;
  }

  /** Goes forward one step. Returns the current document (unchanged when there is nothing to redo). */
  redo(): SceneDocument {
    const step = this.redoSteps.pop();
    this.openKey = null;
    if (!step) return this.current;
    this.undoSteps.push({ label: step.label, before: this.current });
    this.current = step.after;
    return this.current;
  }

  /** Closes the open coalescing step, so that the next edit starts a new step even with the same key. */
  endCoalescing(): void {
    this.openKey = null;
  }

  /** Starts over from `doc` with no undo or redo steps, for example after opening another scene. */
  reset(doc: SceneDocument): void {
    this.current = doc;
    this.undoSteps.length = 0;
    this.redoSteps = [];
    this.openKey = null;
  }
}

/**
 * The designer's keyboard shortcuts: one table that both the key handler and the help overlay
 * read, so what the overlay says is what the keys do. Pure; `shortcutFor` maps a key event to
 * an action name (nothing while the person is typing in a field).
 */

export type ShortcutAction =
  | 'undo'
  | 'redo'
  | 'delete'
  | 'translate'
  | 'rotate'
  | 'scale'
  | 'toggleSpace'
  | 'toggleSnap'
  | 'frame'
  | 'deselect'
  | 'save'
  | 'hide'
  | 'help';

export interface Shortcut {
  action: ShortcutAction;
  /** As shown in the overlay. */
  keys: string;
  does: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'undo', keys: 'Ctrl+Z', does: 'Undo' },
  { action: 'redo', keys: 'Ctrl+Shift+Z or Ctrl+Y', does: 'Redo' },
  { action: 'delete', keys: 'Delete or Backspace', does: 'Delete the selection' },
  { action: 'translate', keys: 'W', does: 'Move gizmo' },
  { action: 'rotate', keys: 'E', does: 'Rotate gizmo' },
  { action: 'scale', keys: 'R', does: 'Scale gizmo' },
  { action: 'toggleSpace', keys: 'Q', does: 'Gizmo in world or local space' },
  { action: 'toggleSnap', keys: 'X', does: 'Snap to grid and angle steps on or off' },
  { action: 'frame', keys: 'F', does: 'Frame the selection' },
  { action: 'hide', keys: 'H', does: 'Hide or show the selection' },
  { action: 'deselect', keys: 'Escape', does: 'Select nothing' },
  { action: 'save', keys: 'Ctrl+S', does: 'Save the project file' },
  { action: 'help', keys: '?', does: 'Show or hide this list' },
];

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  /** The element the key went to: shortcuts stay out of text fields, selects and editable text. */
  target: { tagName?: string; isContentEditable?: boolean; type?: string } | null;
}

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
const NOT_TYPING_INPUTS = new Set(['checkbox', 'radio', 'button', 'range', 'color']);

/** The action for a key press, or null. */
export function shortcutFor(e: KeyLike): ShortcutAction | null {
  const t = e.target;
  if (t && (t.isContentEditable || (t.tagName && TYPING.has(t.tagName.toUpperCase()) && !(t.tagName.toUpperCase() === 'INPUT' && NOT_TYPING_INPUTS.has(t.type ?? ''))))) return null;
  if (e.altKey) return null;
  const command = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (command) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    if (key === 's') return 'save';
    return null;
  }
  switch (key) {
    case 'Delete':
    case 'Backspace':
      return 'delete';
    case 'w':
      return 'translate';
    case 'e':
      return 'rotate';
    case 'r':
      return 'scale';
    case 'q':
      return 'toggleSpace';
    case 'x':
      return 'toggleSnap';
    case 'f':
      return 'frame';
    case 'h':
      return 'hide';
    case 'Escape':
      return 'deselect';
    case '?':
      return 'help';
    default:
      return null;
  }
}

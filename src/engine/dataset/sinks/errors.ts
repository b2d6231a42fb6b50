/**
 * The one error every sink throws. Whatever the medium (Node's file system, a browser directory
 * handle, a zip stream, HTTP to the CLI), a failure arrives as a `SinkError` whose `kind` says what
 * a person can do about it, and whose message is one line naming the file and the cause.
 * DOM-free and Node-free: errno codes and DOMException names are mapped by the sinks that meet them.
 */

export type SinkErrorKind =
  /** The disk or the browser's storage quota is full. */
  | 'no-space'
  /** The destination can't be modified (read-only mount, locked file). */
  | 'read-only'
  /** Access denied, or the user revoked a picked folder's permission. */
  | 'permission'
  /** A folder on the way is missing or is a file. */
  | 'not-found'
  /** The path is not a clean relative path inside the dataset (see paths.ts). */
  | 'invalid-path'
  | 'other';

export const SINK_ERROR_KINDS: readonly SinkErrorKind[] = ['no-space', 'read-only', 'permission', 'not-found', 'invalid-path', 'other'];

export function isSinkErrorKind(value: unknown): value is SinkErrorKind {
  return typeof value === 'string' && (SINK_ERROR_KINDS as readonly string[]).includes(value);
}

/** What each kind means, in words, for messages. */
export const SINK_ERROR_REASON: Record<SinkErrorKind, string> = {
  'no-space': 'no space left on the device',
  'read-only': 'the destination is read-only',
  permission: 'permission denied',
  'not-found': 'no such file or folder',
  'invalid-path': 'invalid path',
  other: 'unexpected error',
};

/** The operation that failed, as a verb for the message ("cannot write images/0001.png: …"). */
export type SinkOperation = 'write' | 'read' | 'list' | 'remove';

export class SinkError extends Error {
  override readonly name = 'SinkError';
  constructor(
    readonly kind: SinkErrorKind,
    /** The dataset-relative path the operation was about ("" for the root). */
    readonly path: string,
    /** One line for a person: the file and the cause. */
    message: string,
  ) {
    super(message);
  }

  /** The shape the HTTP sink sends over the wire. */
  toJSON(): { kind: SinkErrorKind; path: string; message: string } {
    return { kind: this.kind, path: this.path, message: this.message };
  }
}

/**
 * The standard failure: "cannot write images/0001.png: no space left on the device (ENOSPC)".
 * `where` is what the message names (an absolute file for the fs sink, else the relative path);
 * `detail` replaces the kind's stock reason, `code` (errno, DOMException name) goes in brackets.
 */
export function sinkFailure(
  kind: SinkErrorKind,
  op: SinkOperation,
  path: string,
  options: { where?: string; detail?: string; code?: string } = {},
): SinkError {
  const where = options.where ?? (path === '' ? 'the dataset root' : path);
  const reason = firstLine(options.detail ?? SINK_ERROR_REASON[kind]);
  const code = options.code && !reason.includes(options.code) ? ` (${options.code})` : '';
  return new SinkError(kind, path, `cannot ${op} ${where}: ${reason}${code}`);
}

/** The errno (or DOMException name) each injectable fault pretends to be; see faulty.ts. */
export const FAULT_CODE = { 'no-space': 'ENOSPC', 'read-only': 'EROFS', permission: 'EACCES' } as const;

export function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

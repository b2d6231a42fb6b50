/**
 * Errors that describe bad input from outside (files, specs, messages). They carry the file and
 * the place inside it, so the CLI can print one line and the UI one message. Everything else is a
 * bug and stays a plain Error.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    /** The file (or URL, or "<memory>") the input came from. */
    readonly file: string,
    /** What is wrong, naming the prim path or field and what was expected. */
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** One line for a person: the message of an InputError, or a short description of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof InputError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`.split('\n')[0]!;
  return String(error);
}

/**
 * Declarative files (randomization specs, task definitions): YAML or JSON text checked against a
 * zod schema, with errors that name the file, the field path and the YAML line, e.g.
 * `tabletop.randomize.yaml: objects[0].scatter.margin: expected a number ≥ 0 (line 21)`.
 */
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError } from './errors.ts';

/** Where a field is, for people: `objects[0].scatter.margin`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return { path: [...issue.path, key], message: `unknown field${issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(', ')})` : ''}` };
  }
  return { path: [...issue.path], message: issue.message };
}

export type LineOf = (path: PropertyKey[]) => number | null;

/** Validates a parsed value with `schema`; the first problem becomes an InputError naming the field (and line). */
export function validateWithSchema<S extends z.ZodType>(schema: S, value: unknown, file: string, lineOf: LineOf = () => null): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = describeIssue(result.error.issues[0]!);
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problems)` : '';
  const line = lineOf(first.path);
  throw new InputError(file, `${first.path.length ? fieldPath(first.path) : '(top level)'}: ${first.message}${line ? ` (line ${line})` : ''}${more}`);
}

/** Parses YAML (or JSON) text; returns the plain value and a lookup from field path to line. */
export function parseYamlText(text: string, file: string): { value: unknown; lineOf: LineOf } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new InputError(file, `invalid YAML at line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}`);
  }
  const lineOf: LineOf = (path) => {
    // The deepest node that exists on the path (a missing field points at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lineCounter.linePos(node.range[0]).line;
    }
    return null;
  };
  return { value: doc.toJS({ maxAliasCount: 1000 }), lineOf };
}

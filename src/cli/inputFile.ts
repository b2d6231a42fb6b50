import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../engine/errors.ts';

/** The bytes of an input file; a missing file or a folder is bad input naming the file. */
export async function readInputFile(file: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new InputError(file, 'no such file');
  }
  if (!info.isFile()) throw new InputError(file, 'not a regular file');
  return new Uint8Array(await readFile(file));
}

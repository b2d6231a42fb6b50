/**
 * File formats that stamp the wall-clock time into their bytes (HDF5 object headers, MP4's
 * mvhd/tkhd creation times) would make two identical runs differ. The libraries writing them
 * (h5wasm, mediabunny) read the clock through Date.now and offer no option to leave the stamp out,
 * so the clock reads the Unix epoch while they stamp — for synchronous sections only, so nothing
 * else can observe it.
 */
export function atEpoch<T>(fn: () => T): T {
  const clock = Date.now;
  Date.now = () => 0;
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('atEpoch: the section must be synchronous');
    return result;
  } finally {
    Date.now = clock;
  }
}

/**
 * Where a dataset keeps its bookkeeping, next to the files the formats define. One place for
 * every path template Simloop itself owns inside `<out>/`.
 *
 *   <out>/manifest.json                lineage and completeness (manifest.ts)
 *   <out>/frames.jsonl                 the per-frame contract (docs/DATASETS.md)
 *   <out>/.simloop/dataset.json        the job as it ran: what a resume or a merge must match
 *   <out>/.simloop/frames/NNNNNNNN.json   one per complete frame: the writers' records. Written
 *                                      last, after every file of the frame, so its presence
 *                                      means the frame is complete.
 */
export const MANIFEST_PATH = 'manifest.json';
export const DATASET_STATE_PATH = '.simloop/dataset.json';
export const FRAME_RECORDS_DIR = '.simloop/frames';

export const frameRecordPath = (frame: number) => `${FRAME_RECORDS_DIR}/${String(frame).padStart(8, '0')}.json`;

/** Frame index of a record file name, or null for anything else (temp files, strays). */
export function frameOfRecordName(name: string): number | null {
  const m = /^(\d{8})\.json$/.exec(name);
  return m ? Number(m[1]) : null;
}

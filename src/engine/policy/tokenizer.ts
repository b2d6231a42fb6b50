/**
 * Word-level tokenizer for small policies trained here: lower-cased words (letters and digits;
 * punctuation dropped) looked up in a vocabulary whose index is the id; unknown words get the
 * unknown token's id; the sequence is cut or padded to `maxLength` with an attention mask (1 for
 * words, 0 for padding), as transformers' tokenizers return `input_ids` and `attention_mask`.
 */
export interface WordTokenizerSpec {
  vocabulary: readonly string[];
  maxLength: number;
  /** Tokens in the vocabulary for padding and unknown words. */
  pad: string;
  unknown: string;
  lowercase: boolean;
}

export interface Tokens {
  ids: number[];
  mask: number[];
  /** Words that were not in the vocabulary (the caller may warn). */
  unknownWords: string[];
  /** Words dropped because the instruction was longer than maxLength. */
  truncated: number;
}

export function wordTokenizer(spec: WordTokenizerSpec): (text: string) => Tokens {
  const index = new Map<string, number>();
  spec.vocabulary.forEach((word, i) => {
    if (!index.has(word)) index.set(word, i);
  });
  const padId = index.get(spec.pad);
  const unknownId = index.get(spec.unknown);
  if (padId === undefined) throw new Error(`the padding token "${spec.pad}" is not in the vocabulary`);
  if (unknownId === undefined) throw new Error(`the unknown-word token "${spec.unknown}" is not in the vocabulary`);
  if (!Number.isInteger(spec.maxLength) || spec.maxLength < 1) throw new Error(`maxLength must be a whole number ≥ 1, got ${spec.maxLength}`);
  return (text) => {
    const words = (spec.lowercase ? text.toLowerCase() : text).match(/[\p{L}\p{N}]+/gu) ?? [];
    const unknownWords: string[] = [];
    const ids = words.slice(0, spec.maxLength).map((w) => {
      const id = index.get(w);
      if (id === undefined) unknownWords.push(w);
      return id ?? unknownId;
    });
    const mask = ids.map(() => 1);
    while (ids.length < spec.maxLength) {
      ids.push(padId);
      mask.push(0);
    }
    return { ids, mask, unknownWords, truncated: Math.max(0, words.length - spec.maxLength) };
  };
}

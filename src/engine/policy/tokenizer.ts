/**
 * Instruction tokenizers, both giving ids cut or padded to `maxLength` with an attention mask (1
 * for tokens, 0 for padding), as transformers' tokenizers return `input_ids` and `attention_mask`:
 * - word-level, for small policies trained here: lower-cased words (letters and digits;
 *   punctuation dropped) looked up in a vocabulary whose index is the id, unknown words getting
 *   the unknown token's id;
 * - Hugging Face `tokenizer.json` files, through @huggingface/tokenizers.
 */
import { Tokenizer } from '@huggingface/tokenizers';

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

/**
 * A Hugging Face tokenizer (`tokenizer.json` plus `tokenizer_config.json`, as model repositories
 * ship them) through @huggingface/tokenizers: `encode` with the tokenizer's own normaliser,
 * pre-tokenizer, model and post-processor (special tokens included), then cut or padded to
 * `maxLength` with the config's `pad_token` (or `padId`), mask 0 on padding.
 */
export function huggingFaceTokenizer(spec: { tokenizerJson: unknown; configJson: unknown; maxLength: number; padId?: number }): (text: string) => Tokens {
  if (!Number.isInteger(spec.maxLength) || spec.maxLength < 1) throw new Error(`maxLength must be a whole number ≥ 1, got ${spec.maxLength}`);
  if (typeof spec.tokenizerJson !== 'object' || spec.tokenizerJson === null || !('model' in spec.tokenizerJson)) throw new Error('tokenizer.json has no "model": not a Hugging Face tokenizer file');
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(spec.tokenizerJson as object, (spec.configJson ?? {}) as object);
  } catch (e) {
    throw new Error(`the tokenizer could not be built (${(e as Error).message})`);
  }
  const config = (spec.configJson ?? {}) as { pad_token?: unknown };
  const padToken = typeof config.pad_token === 'string' ? config.pad_token : typeof config.pad_token === 'object' && config.pad_token && 'content' in config.pad_token ? String((config.pad_token as { content: unknown }).content) : null;
  const padId = spec.padId ?? (padToken !== null ? tokenizer.token_to_id(padToken) : undefined);
  if (padId === undefined) throw new Error('no padding id: tokenizer_config.json names no pad_token in the vocabulary, and the manifest gives no pad_id');
  const unknownId = tokenizer.model?.unk_token_id;
  return (text) => {
    const encoded = tokenizer.encode(text);
    const unknownWords: string[] = [];
    const all = encoded.ids.map((id, i) => {
      if (id === null || id === undefined) throw new Error(`the tokenizer has no id for "${encoded.tokens[i]}" and no unk_token (tokenizer_config.json)`);
      if (id === unknownId) unknownWords.push(encoded.tokens[i]!);
      return id;
    });
    const ids = all.slice(0, spec.maxLength);
    const mask = encoded.attention_mask.slice(0, spec.maxLength).map(Number);
    while (ids.length < spec.maxLength) {
      ids.push(padId);
      mask.push(0);
    }
    return { ids, mask, unknownWords, truncated: Math.max(0, all.length - spec.maxLength) };
  };
}

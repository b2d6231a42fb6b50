import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { huggingFaceTokenizer, wordTokenizer } from './tokenizer.ts';

const fixture = (name: string) => JSON.parse(readFileSync(`scenes/fixtures/policy/tokenizers/${name}`, 'utf8'));

const vocabulary = ['<pad>', '<unk>', 'pick', 'up', 'the', 'red', 'green', 'cube'];

describe('wordTokenizer', () => {
  it('maps lower-cased words to their vocabulary index, pads to maxLength with a mask', () => {
    const tokenize = wordTokenizer({ vocabulary, maxLength: 8, pad: '<pad>', unknown: '<unk>', lowercase: true });
    expect(tokenize('Pick up the RED cube.')).toEqual({ ids: [2, 3, 4, 5, 7, 0, 0, 0], mask: [1, 1, 1, 1, 1, 0, 0, 0], unknownWords: [], truncated: 0 });
  });

  it('gives unknown words the unknown id and reports them; cuts long instructions and says how many words went', () => {
    const tokenize = wordTokenizer({ vocabulary, maxLength: 4, pad: '<pad>', unknown: '<unk>', lowercase: true });
    expect(tokenize('pick up the purple cube')).toEqual({ ids: [2, 3, 4, 1], mask: [1, 1, 1, 1], unknownWords: ['purple'], truncated: 1 });
  });

  it('refuses a vocabulary without its padding or unknown token', () => {
    expect(() => wordTokenizer({ vocabulary: ['a'], maxLength: 4, pad: '<pad>', unknown: 'a', lowercase: true })).toThrow('the padding token "<pad>" is not in the vocabulary');
    expect(() => wordTokenizer({ vocabulary, maxLength: 0, pad: '<pad>', unknown: '<unk>', lowercase: true })).toThrow('maxLength must be a whole number ≥ 1');
  });
});

describe('huggingFaceTokenizer (tokenizer.json through @huggingface/tokenizers)', () => {
  it('word-level: the tokenizer`s normaliser and pre-tokenizer, unknown tokens reported, padded with the config`s pad_token', () => {
    const tokenize = huggingFaceTokenizer({ tokenizerJson: fixture('wordlevel.tokenizer.json'), configJson: fixture('wordlevel.tokenizer_config.json'), maxLength: 8 });
    // "." is its own token under the Whitespace pre-tokenizer, and unknown, as is "purple".
    expect(tokenize('Pick up the purple cube.')).toEqual({ ids: [2, 3, 4, 1, 7, 1, 0, 0], mask: [1, 1, 1, 1, 1, 1, 0, 0], unknownWords: ['purple', '.'], truncated: 0 });
  });

  it('BPE: merges applied in rank order ("hello" whole, "yell" as y + e + ll); pad_id from the manifest', () => {
    const tokenize = huggingFaceTokenizer({ tokenizerJson: fixture('bpe.tokenizer.json'), configJson: {}, maxLength: 3, padId: 0 });
    expect(tokenize('hello')).toEqual({ ids: [8, 0, 0], mask: [1, 0, 0], unknownWords: [], truncated: 0 });
    expect(tokenize('hello yell')).toEqual({ ids: [8, 9, 2], mask: [1, 1, 1], unknownWords: [], truncated: 1 });
  });

  it('says what is missing', () => {
    expect(() => huggingFaceTokenizer({ tokenizerJson: fixture('bpe.tokenizer.json'), configJson: {}, maxLength: 4 })).toThrow('no padding id: tokenizer_config.json names no pad_token in the vocabulary, and the manifest gives no pad_id');
    expect(() => huggingFaceTokenizer({ tokenizerJson: { vocab: {} }, configJson: {}, maxLength: 4 })).toThrow('tokenizer.json has no "model"');
  });
});

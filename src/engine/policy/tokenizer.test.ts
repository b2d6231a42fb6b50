import { describe, expect, it } from 'vitest';
import { wordTokenizer } from './tokenizer.ts';

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

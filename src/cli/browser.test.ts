import { describe, expect, it } from 'vitest';
import { pageFlags } from './browser.ts';

describe('headless job flags', () => {
  it('gives the generate page baseline-only WebAssembly, and the policy pages their optimizing tier', () => {
    expect(pageFlags('http://127.0.0.1:4321/generate.html')).toEqual(['--js-flags=--liftoff-only']);
    expect(pageFlags('http://127.0.0.1:4321/generate.html?job=1#x')).toEqual(['--js-flags=--liftoff-only']);
    expect(pageFlags('http://127.0.0.1:4321/bench/stages/stages.html')).toEqual(['--js-flags=--liftoff-only']);
    for (const page of ['eval.html', 'demos.html', 'policy.html', 'bench/ceiling/ceiling.html', 'not-generate.html']) {
      expect(pageFlags(`http://127.0.0.1:4321/${page}`)).toEqual([]);
    }
  });
});

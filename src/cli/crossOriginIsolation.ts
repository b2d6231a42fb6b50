/**
 * The headers that make a page cross-origin isolated (SharedArrayBuffer, WASM threads): the
 * studio's dev and preview servers (vite.config.ts) and the CLI's page server (headlessJob.ts)
 * send the same ones.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

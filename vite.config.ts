/**
 * Vite config for the studio (src/ui) and its workers (workers/). The page is served
 * cross-origin isolated (COOP + COEP) in dev and preview alike, so SharedArrayBuffer and WASM
 * threads are available and the e2e tests see the same headers as a deployment would need.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { CROSS_ORIGIN_ISOLATION } from './src/cli/crossOriginIsolation.ts';

const crossOriginIsolation = { ...CROSS_ORIGIN_ISOLATION };

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', headers: crossOriginIsolation },
  preview: { host: '127.0.0.1', headers: crossOriginIsolation },
  // ASCII-only output (non-ASCII characters escaped): a script with one non-ASCII character is
  // decoded and scanned as UTF-16 whole, and the frame worker's is 5 MB (Rapier's WebAssembly
  // as base64) with a few thousand (the messages' "×", "–", "…").
  worker: { format: 'es', rolldownOptions: { output: { charset: 'ascii' } } },
  // The dependency scan starts from every page and every worker. Vite does not follow
  // `new Worker(new URL(…))`, so a package only a worker imports (onnxruntime-web in the policy
  // worker) was found when that worker first loaded: the dev server re-optimized and reloaded the
  // page, losing what the user had open, and pages already loaded got "504 Outdated Optimize Dep".
  optimizeDeps: { entries: ['*.html', 'workers/*.worker.ts'] },
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 4096, rolldownOptions: { output: { charset: 'ascii' } } },
});

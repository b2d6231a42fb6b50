// Builds the pages the CLI opens in headless Chromium (src/cli/pagesBundle.ts runs this in a child
// process): node scripts/build-pages.mjs <root> <outDir> <JSON {name: page.html path}>.
import { join } from 'node:path';
import { build } from 'vite';

const [root, outDir, input] = process.argv.slice(2);
if (!root || !outDir || !input) {
  console.error('usage: node scripts/build-pages.mjs <root> <outDir> <JSON inputs>');
  process.exit(2);
}
await build({
  root,
  configFile: join(root, 'vite.config.ts'),
  logLevel: 'error',
  clearScreen: false,
  build: { outDir, emptyOutDir: true, reportCompressedSize: false, rollupOptions: { input: JSON.parse(input) } },
});

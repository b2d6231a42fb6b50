/**
 * Regenerates the binary USD fixtures in scenes/fixtures/ (a USDC and a USDZ written by our own
 * writer). Run: npx tsx scripts/make-fixtures.ts. A unit test fails when the committed files
 * differ from what this produces.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildUsdFixtures } from '../src/engine/testing/usd-fixtures.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const tabletop = readFileSync(`${root}scenes/tabletop.usda`, 'utf8');
mkdirSync(`${root}scenes/fixtures`, { recursive: true });
for (const { name, bytes } of buildUsdFixtures(tabletop)) {
  writeFileSync(`${root}scenes/fixtures/${name}`, bytes);
  console.log(`scenes/fixtures/${name}: ${bytes.length} bytes`);
}

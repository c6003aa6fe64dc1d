// Assembles a WebAssembly text file into a module: `node scripts/wat.mjs <in.wat> <out.wasm>`.
// @tidewatch/registry's build writes src/tag-page.wat to dist/tag-page.wasm with it. wabt,
// WebAssembly's reference toolkit, is a development dependency only: the published package holds
// the assembled module.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import wabtInit from 'wabt';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/wat.mjs <in.wat> <out.wasm>');
  process.exit(2);
}
const wabt = await wabtInit();
const module = wabt.parseWat(basename(input), readFileSync(input, 'utf8'));
module.validate();
const { buffer } = module.toBinary({});
writeFileSync(output, buffer);
module.destroy();

/**
 * `make bench`: runs every `*.bench.ts` in this folder as its own process (so one bench's
 * memory does not colour another's), each writing `bench-out/<name>.json`, then prints a
 * summary of all result files.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const outDir = join(root, 'bench-out');
mkdirSync(outDir, { recursive: true });

const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const f of benches) {
  process.stdout.write(`\n== ${f}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, f)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`!! ${f} exited with ${r.status ?? r.signal}\n`);
  }
}

process.stdout.write('\n== results (bench-out/)\n');
for (const f of readdirSync(outDir)
  .filter((x) => x.endsWith('.json'))
  .sort()) {
  process.stdout.write(`${f}: ${readFileSync(join(outDir, f), 'utf8').trim().slice(0, 2000)}\n`);
}
process.exit(failed ? 1 : 0);

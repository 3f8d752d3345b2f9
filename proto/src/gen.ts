/** `npm run proto:gen -w proto`: regenerate src/generated/ (or the directory given) from the .proto. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { genTypesArgs, PROTO_FILE, PROTO_ROOT } from './load.js';

export function generateTypes(outDir: string): void {
  const bin = createRequire(import.meta.url).resolve(
    '@grpc/proto-loader/build/bin/proto-loader-gen-types.js',
  );
  execFileSync(process.execPath, [bin, ...genTypesArgs(outDir)], { cwd: PROTO_ROOT, stdio: 'pipe' });
  // The generator writes the absolute .proto path into each file; keep output independent of checkout path.
  const abs = path.join(PROTO_ROOT, PROTO_FILE);
  for (const f of readdirSync(outDir, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(outDir, f);
    if (!p.endsWith('.ts')) continue;
    const text = readFileSync(p, 'utf8');
    if (text.includes(abs)) writeFileSync(p, text.split(abs).join(PROTO_FILE));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generateTypes(path.resolve(process.argv[2] ?? path.join(PROTO_ROOT, 'src', 'generated')));
}

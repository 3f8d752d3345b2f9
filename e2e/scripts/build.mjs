#!/usr/bin/env node
/**
 * Bundles the two binaries with esbuild:
 *   hub-manager/src/cli.ts → hub-manager/dist/hub-manager.js
 *   spoke-agent/src/main.ts → spoke-agent/dist/spoke-agent.js
 * Each bundle is self-contained (no node_modules at run time) plus the .proto files it loads.
 *
 * `import.meta.url` in a bundle would be the bundle's own URL for every module, which breaks
 * two source patterns: "am I the entry point?" checks (every bundled module would think so and
 * run its main) and files found next to the source (proto/src/load.ts finds the .proto files
 * at `<its dir>/..`). So, outside the entry module, `import.meta.url` becomes the URL of the
 * module's mirror path under dist/ (e.g. dist/proto/src/load.js), and the .proto tree is
 * copied to the matching place (dist/proto/federated_learning/...).
 *
 * Usage: node e2e/scripts/build.mjs [hub-manager|spoke-agent ...]   (default: both)
 */
import { cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const TARGETS = [
  { entry: 'hub-manager/src/cli.ts', outfile: 'hub-manager/dist/hub-manager.js', protos: true },
  { entry: 'spoke-agent/src/main.ts', outfile: 'spoke-agent/dist/spoke-agent.js', protos: true },
  // The example trainer image (e2e/trainers/mnist-ts/Dockerfile) and the demo run this bundle.
  {
    entry: 'e2e/trainers/mnist-ts/main.ts',
    outfile: 'e2e/trainers/mnist-ts/dist/mnist-trainer.js',
    protos: false,
  },
];

/** Rewrites import.meta.url in every module but the entry (see above). */
function moduleUrlPlugin(entryAbs, outdirAbs) {
  return {
    name: 'module-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const src = await readFile(args.path, 'utf8');
        if (args.path === entryAbs || !src.includes('import.meta.url')) return undefined;
        const mirror = path.relative(repo, args.path).replace(/\.ts$/, '.js');
        const rel = path.relative(outdirAbs, path.join(outdirAbs, mirror)).split(path.sep).join('/');
        const replaced = src.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(`./${rel}`)}, import.meta.url).href`,
        );
        return { contents: replaced, loader: 'ts' };
      });
    },
  };
}

// CommonJS dependencies call require() for node built-ins; give the ESM bundle a real one.
const BANNER =
  "import { createRequire as __flCreateRequire } from 'node:module'; const require = __flCreateRequire(import.meta.url);";

async function buildOne(t) {
  const entryAbs = path.join(repo, t.entry);
  const outfileAbs = path.join(repo, t.outfile);
  const outdirAbs = path.dirname(outfileAbs);
  await mkdir(outdirAbs, { recursive: true });
  const result = await build({
    absWorkingDir: repo,
    entryPoints: [entryAbs],
    outfile: outfileAbs,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    legalComments: 'linked',
    tsconfig: path.join(repo, 'tsconfig.json'),
    banner: { js: BANNER },
    plugins: [moduleUrlPlugin(entryAbs, outdirAbs)],
    logLevel: 'warning',
    metafile: true,
  });
  if (t.protos) {
    await cp(path.join(repo, 'proto/federated_learning'), path.join(outdirAbs, 'proto/federated_learning'), {
      recursive: true,
    });
  }
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(`${t.outfile}: ${(bytes / 1e6).toFixed(1)} MB\n`);
}

const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!TARGETS.some((t) => t.entry.startsWith(`${w}/`)))
    throw new Error(`unknown target ${w} (hub-manager, spoke-agent)`);
}
for (const t of TARGETS)
  if (!wanted.length || wanted.some((w) => t.entry.startsWith(`${w}/`))) await buildOne(t);

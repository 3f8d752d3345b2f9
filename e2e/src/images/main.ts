/** `make images` entry point: build, push and record every image (see build.ts). */
import { buildImages, defaultPaths } from './build.js';
import { REPO_ROOT } from '../scenarios/images.js';

const t0 = Date.now();
try {
  const { digests, failed } = await buildImages(defaultPaths(REPO_ROOT));
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`${Object.keys(digests).length} images in out/images.json (${seconds} s)`);
  for (const e of failed) console.error(e.message);
  if (failed.length) process.exitCode = 1;
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}

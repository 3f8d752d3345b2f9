/** `make images` entry point: build, push and record every image (see build.ts). */
import { buildImages, defaultPaths } from './build.js';
import { REPO_ROOT } from '../scenarios/images.js';

const t0 = Date.now();
try {
  const digests = await buildImages(defaultPaths(REPO_ROOT));
  console.log(
    `${Object.keys(digests).length} images in out/images.json (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}

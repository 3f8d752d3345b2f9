/** `make bundle` entry point (see bundle.ts). */
import { defaultPaths } from './build.js';
import { makeBundle } from './bundle.js';
import { REPO_ROOT } from '../scenarios/images.js';

try {
  console.log(`wrote ${await makeBundle(defaultPaths(REPO_ROOT))}`);
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}

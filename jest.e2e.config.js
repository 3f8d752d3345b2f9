// The end-to-end scenarios on the embedded control plane (`*.slow.test.ts`): real processes,
// minutes each, so kept out of the fast suite and run by `make e2e` (part of `make test`).
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['**/*.slow.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 300_000,
  maxWorkers: 1,
};

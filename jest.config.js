// ts-jest in ESM mode; type errors are caught by `tsc --noEmit` in `npm test`.
const workspaces = ['common', 'proto', 'hub-manager', 'spoke-agent', 'e2e'];

/** @type {import('jest').Config} */
export default {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  roots: workspaces.map((w) => `<rootDir>/${w}`),
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.slow\\.test\\.ts$'],
  moduleNameMapper: {
    ...Object.fromEntries(workspaces.map((w) => [`^@ocm-fl/${w}/(.*)\\.js$`, `<rootDir>/${w}/src/$1`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testTimeout: 60000,
};

/** ts-jest transpiles only (fast); `npm run typecheck` does the type checking. */
const tsJest = ['ts-jest', { tsconfig: { module: 'commonjs', target: 'ES2022', esModuleInterop: true, isolatedModules: true, allowJs: true }, diagnostics: false }]
const transform = {
  '^.+\\.tsx?$': tsJest,
  '/node_modules/.+\\.m?js$': tsJest,
}
const common = {
  testEnvironment: 'node',
  transform,
  // msw's ESM-only dependencies, compiled to CommonJS like the tests.
  transformIgnorePatterns: ['/node_modules/(?!(rettime|until-async|@open-draft|@mswjs)/)'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // A backend whose start outlived its test file is stopped once up (test/backends/abandoned.ts).
  setupFilesAfterEnv: ['<rootDir>/test/setup/stop-abandoned.ts'],
}

module.exports = {
  testTimeout: 30_000,
  // The shared suites' results per target, for docs/compatibility.md (`npm run docs`).
  reporters: ['default', '<rootDir>/test/reporters/contract-results.cjs', '<rootDir>/test/reporters/open-handles.cjs'],
  // Suites close what they open, and Jest exits by itself (no forceExit): esbuild's service is
  // stopped, a start that outlived its test file is stopped once up (test/setup/stop-abandoned.ts),
  // the Amplify adapter halts aws-amplify's endless reconnect loop of an idle connection
  // (adapters/amplify/reconnect.ts). test/reporters/open-handles.cjs names what is still open after
  // the last test and fails a run that is still alive 45 s later.
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.test.ts'] },
    { ...common, displayName: 'parse', testMatch: ['<rootDir>/test/backends/parse/**/*.test.ts', '<rootDir>/test/parse/**/*.test.ts'] },
    { ...common, displayName: 'offline', testMatch: ['<rootDir>/test/offline/**/*.test.ts'] },
    { ...common, displayName: 'mirror', testMatch: ['<rootDir>/test/mirror/**/*.test.ts'] },
    { ...common, displayName: 'package', testMatch: ['<rootDir>/test/package/**/*.test.ts'] },
    // A toy third-party adapter through the built `portabase/conformance` (needs dist/: `npm run build`).
    { ...common, displayName: 'conformance', testMatch: ['<rootDir>/test/conformance/**/*.test.ts'] },
    { ...common, displayName: 'firebase', testMatch: ['<rootDir>/test/firebase/**/*.test.ts'] },
    { ...common, displayName: 'supabase', testMatch: ['<rootDir>/test/supabase/**/*.test.ts'] },
    { ...common, displayName: 'amplify', testMatch: ['<rootDir>/test/amplify/**/*.test.ts'] },
    // The web example in real Chromium (Debian's chromium package; see test/browser/harness.ts).
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
    { ...common, displayName: 'migrate', testMatch: ['<rootDir>/test/migrate/**/*.test.ts'] },
    // Real vendor backends outside this machine: only with `npm run test:live` (sets PORTABASE_LIVE).
    ...(process.env.PORTABASE_LIVE ? [{ ...common, displayName: 'live', testMatch: ['<rootDir>/test/live/**/*.test.ts'] }] : []),
  ],
}

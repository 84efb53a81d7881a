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
}

module.exports = {
  testTimeout: 30_000,
  // The shared suites' results per target, for docs/compatibility.md (`npm run docs`).
  reporters: ['default', '<rootDir>/test/reporters/contract-results.cjs'],
  // Every project exits by itself (checked project by project without forceExit). In CI, a run of
  // the Parse suites on PostgreSQL once lingered after all its tests had passed (no socket, no child
  // left; not reproduced since): there, a leftover handle must not turn a passed run red.
  forceExit: process.env.CI === 'true',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.test.ts'] },
    { ...common, displayName: 'parse', testMatch: ['<rootDir>/test/backends/parse/**/*.test.ts', '<rootDir>/test/parse/**/*.test.ts'] },
    { ...common, displayName: 'offline', testMatch: ['<rootDir>/test/offline/**/*.test.ts'] },
    { ...common, displayName: 'package', testMatch: ['<rootDir>/test/package/**/*.test.ts'] },
    { ...common, displayName: 'firebase', testMatch: ['<rootDir>/test/firebase/**/*.test.ts'] },
    { ...common, displayName: 'supabase', testMatch: ['<rootDir>/test/supabase/**/*.test.ts'] },
    { ...common, displayName: 'amplify', testMatch: ['<rootDir>/test/amplify/**/*.test.ts'] },
    // Real vendor backends outside this machine: only with `npm run test:live` (sets PORTABASE_LIVE).
    ...(process.env.PORTABASE_LIVE ? [{ ...common, displayName: 'live', testMatch: ['<rootDir>/test/live/**/*.test.ts'] }] : []),
  ],
}

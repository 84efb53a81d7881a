/**
 * Vitest runs the toy adapter through the built kit (dist/conformance.js, `npm run build`) both ways
 * docs/conformance.md promises: with `globals: true`, and with an injected `testApi`. The Jest test
 * ../vitest.test.ts runs this config in a child process (`vitest run`, JSON reporter).
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const here = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root: here,
  test: {
    watch: false,
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'globals', globals: true, include: ['globals.spec.ts'] } },
      { extends: true, test: { name: 'injected', globals: false, include: ['injected.spec.ts'] } },
    ],
  },
})

/**
 * The test framework the kit registers its cases with. The kit imports no framework: it takes the
 * globals Jest (and Vitest with `globals: true`) define, or the functions passed as
 * `{ testApi }` (Vitest without globals: `import { describe, test, expect, beforeAll, afterAll,
 * afterEach } from 'vitest'`). One test file uses one framework.
 */

/** The matchers the kit uses; Jest's and Vitest's `expect(value)` both provide them. */
export interface Matchers {
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toStrictEqual(expected: unknown): void
  toMatchObject(expected: object): void
  toBeNull(): void
  toBeUndefined(): void
  toBeDefined(): void
  toBeInstanceOf(expected: abstract new (...args: never[]) => unknown): void
  toContain(expected: unknown): void
  toContainEqual(expected: unknown): void
  toHaveLength(expected: number): void
  toMatch(expected: string | RegExp): void
  toBeGreaterThan(expected: number | bigint): void
  toBeGreaterThanOrEqual(expected: number | bigint): void
  toBeLessThan(expected: number | bigint): void
  toBeLessThanOrEqual(expected: number | bigint): void
  toBeCloseTo(expected: number, digits?: number): void
  readonly not: Matchers
  readonly resolves: AsyncMatchers
  readonly rejects: AsyncMatchers
}

/** `expect(promise).resolves` / `.rejects`. */
export type AsyncMatchers = { readonly [K in Exclude<keyof Matchers, 'not' | 'resolves' | 'rejects'>]: (...args: Parameters<Matchers[K]>) => Promise<void> } & {
  readonly not: AsyncMatchers
}

export interface Expect {
  (actual: unknown): Matchers
  objectContaining(expected: object): unknown
  any(constructor: unknown): unknown
}

type Body = () => unknown

/** The framework functions the kit calls (Jest's and Vitest's have these signatures). */
export interface TestApi {
  describe(name: string, body: () => void): void
  test(name: string, body: Body, timeout?: number): void
  beforeAll(body: Body, timeout?: number): void
  afterAll(body: Body, timeout?: number): void
  afterEach(body: Body, timeout?: number): void
  expect: Expect
}

const NAMES = ['describe', 'test', 'beforeAll', 'afterAll', 'afterEach', 'expect'] as const

let current: TestApi | undefined

/** Uses `api`, or the framework's globals when none is given; throws when neither is there. */
export function useTestApi(api?: TestApi): void {
  if (api) {
    current = api
    return
  }
  const globals = globalThis as unknown as Partial<TestApi>
  const missing = NAMES.filter((name) => typeof globals[name] !== 'function')
  if (missing.length > 0) {
    throw new Error(
      `portabase/conformance: no test framework globals (${missing.join(', ')}). Run under Jest, under Vitest with globals: true, or pass { testApi: { describe, test, expect, beforeAll, afterAll, afterEach } }.`,
    )
  }
  current = globals as TestApi
}

function api(): TestApi {
  if (!current) useTestApi()
  return current!
}

/** Formats `%s` / `%p` placeholders in each-titles as Jest does (`%p`: strings quoted, -0 kept), so titles are the same under any framework. */
function formatTitle(title: string, args: readonly unknown[]): string {
  let index = 0
  return title.replace(/%[sp]/g, (placeholder) => {
    if (index >= args.length) return placeholder
    const value = args[index++]
    return placeholder === '%p' ? pretty(value) : plain(value)
  })
}

function numberText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value)
}

function plain(value: unknown): string {
  return typeof value === 'number' ? numberText(value) : String(value)
}

function pretty(value: unknown): string {
  if (typeof value === 'string') return `"${value.replace(/"|\\/g, '\\$&')}"`
  if (typeof value === 'number') return numberText(value)
  return String(value)
}

/** `each(rows)(title, body)`: one case per row, a row being the body's arguments (or its one argument). */
interface Each {
  // `readonly unknown[] | [unknown]` makes TypeScript infer rows written as array literals as tuples.
  <T extends readonly unknown[] | [unknown]>(rows: readonly T[]): (title: string, body: (...args: T) => unknown) => void
  <T>(rows: readonly T[]): (title: string, body: (arg: T) => unknown) => void
}

function each(register: (name: string, body: () => unknown) => void): Each {
  return (rows: readonly unknown[]) => (title: string, body: (...args: unknown[]) => unknown) => {
    for (const row of rows) {
      const args: unknown[] = Array.isArray(row) ? row : [row]
      register(formatTitle(title, args), () => body(...args))
    }
  }
}

export const describe = Object.assign((name: string, body: () => void): void => api().describe(name, body), {
  each: each((name, body) => api().describe(name, body as () => void)),
})

export const test = Object.assign((name: string, body: Body, timeout?: number): void => api().test(name, body, timeout), {
  each: each((name, body) => api().test(name, body)),
})
export const it = test

export const beforeAll = (body: Body, timeout?: number): void => api().beforeAll(body, timeout)
export const afterAll = (body: Body, timeout?: number): void => api().afterAll(body, timeout)
export const afterEach = (body: Body, timeout?: number): void => api().afterEach(body, timeout)

export const expect: Expect = Object.assign((actual: unknown) => api().expect(actual), {
  objectContaining: (expected: object) => api().expect.objectContaining(expected),
  any: (constructor: unknown) => api().expect.any(constructor),
})

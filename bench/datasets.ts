/**
 * Deterministic benchmark data: the same seed gives the same documents, in the same order, on every
 * run and for every system under test (portabase, RxDB, the plain-JS floor).
 */

/** The document shape every suite uses. `createdAt` is epoch milliseconds (a number), so all three systems compare the same type. */
export interface Todo {
  title: string
  done: boolean
  /** 0–4 in generated data; suites use 9 for "hot" documents that sort before all others. */
  priority: number
  createdAt: number
  /** 0–999, uniform: the field the "different live queries" figure filters on. */
  score: number
  owner: string
}

export interface Row {
  id: string
  data: Todo
}

/** A record as the floor stores it: id beside the fields, nothing else. */
export type FlatTodo = Todo & { id: string }

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const WORDS = ['buy', 'milk', 'call', 'mum', 'fix', 'bike', 'write', 'report', 'plan', 'trip', 'water', 'plants', 'pay', 'rent']

/** A 20-character id like Firestore's auto ids (valid for portabase and RxDB). */
function idFrom(rand: () => number): string {
  let id = ''
  for (let i = 0; i < 20; i++) id += ALPHABET[Math.floor(rand() * ALPHABET.length)]
  return id
}

/** Base of `createdAt`: 2030-01-01T00:00:00Z. Generated documents are one second apart (plus jitter), so values are unique. */
export const CREATED_BASE = Date.UTC(2030, 0, 1)

/**
 * `count` todos. `createdAt` is unique and grows with the generation index, but documents are
 * returned shuffled: stores see them in an order unrelated to any sort key (as data that arrived
 * from several devices), so no figure benefits from insertion order matching the query order.
 */
export function makeTodos(count: number, seed = 20300101): Row[] {
  const rand = prng(seed)
  const rows: Row[] = []
  const ids = new Set<string>()
  for (let i = 0; i < count; i++) {
    let id = idFrom(rand)
    while (ids.has(id)) id = idFrom(rand)
    ids.add(id)
    const title = `${WORDS[Math.floor(rand() * WORDS.length)]} ${WORDS[Math.floor(rand() * WORDS.length)]} #${i}`
    rows.push({
      id,
      data: {
        title,
        done: rand() < 0.35,
        priority: Math.floor(rand() * 5),
        createdAt: CREATED_BASE + i * 1000 + Math.floor(rand() * 1000),
        score: Math.floor(rand() * 1000),
        owner: `user${Math.floor(rand() * 50)}`,
      },
    })
  }
  shuffle(rows, rand)
  return rows
}

/** Fisher–Yates, driven by the given PRNG. */
export function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const tmp = items[i]!
    items[i] = items[j]!
    items[j] = tmp
  }
  return items
}

export function flat(row: Row): FlatTodo {
  return { id: row.id, ...row.data }
}

/** Largest `createdAt` in a data set (suites write newer documents after it). */
export function maxCreatedAt(rows: readonly Row[]): number {
  let max = -Infinity
  for (const row of rows) if (row.data.createdAt > max) max = row.data.createdAt
  return max
}

/** Split into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

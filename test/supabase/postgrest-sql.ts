/**
 * How PostgREST reads a query string and the SQL it runs for it — the part of PostgREST the
 * differential test needs, written from PostgREST's source (v12–v16 agree on these functions):
 * - ApiRequest/QueryParams.hs: a top-level filter value is taken verbatim (`pSingleVal`); list
 *   elements and values inside logic trees lose their quotes and backslash escapes
 *   (`pListElement`, `pLogicSingleVal`, `pQuotedValue`); `pLogicTree` for or/and/not.
 * - Query/SqlFragment.hs: `pgFmtFilter` (`col <op> $value`, `NOT` in front), `pgBuildArrayLiteral`
 *   for `in` (`= ANY ('{…}')`), `pgFmtLogicTree` (`NOT (a OR b)`), `pgFmtOrderTerm`, `pgFmtJsonPath`.
 * Values reach PostgreSQL as untyped (`unknown`) parameters; here they are untyped literals, which
 * PostgreSQL resolves the same way. This is a model of PostgREST, checked only against its source:
 * the live target (`npm run test:live -- supabase`) runs the real thing.
 */
import type { Params } from '../../adapters/supabase/query.js'

type Tree = { kind: 'filter'; column: string; not: boolean; op: string; value: string | string[] } | { kind: 'and' | 'or'; not: boolean; children: Tree[] }

const SQL_OPS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', cs: '@>' }

/**
 * The SQL PostgREST runs for a GET of `table` with these parameters: selecting ids, a count, or the
 * columns a `select=` list names (`select` and `offset` pairs in `params` are read too).
 */
export function postgrestSql(table: string, params: Params, select: 'ids' | 'count' | 'columns' = 'ids'): string {
  let columns = 'id'
  let offset = ''
  const where: string[] = []
  let order = ''
  let limit = ''
  for (const [key, value] of params) {
    if (key === 'order') order = ` ORDER BY ${value.split(',').map(orderTerm).join(', ')}`
    else if (key === 'limit') limit = ` LIMIT ${Number(value)}`
    else if (key === 'offset') offset = ` OFFSET ${Number(value)}`
    else if (key === 'select') columns = value.split(',').map((c) => `"${c.trim()}"`).join(', ')
    else if (/^(not\.)?(and|or)$/.test(key)) where.push(sqlOf(logicTree(key, value)))
    else where.push(sqlOf(topLevelFilter(key, value)))
  }
  const conditions = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
  if (select === 'count') return `SELECT count(*)::int AS n FROM public.${table}${conditions}`
  if (select === 'columns') return `SELECT ${columns} FROM public.${table}${conditions}${order}${limit}${offset}`
  return `SELECT id FROM public.${table}${conditions}${order}${limit}`
}

function column(field: string): string {
  const [base, ...keys] = field.split('->')
  return `"${base}"${keys.map((k) => `->${literal(k.replace(/^"(.*)"$/, '$1'))}`).join('')}`
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

function orderTerm(term: string): string {
  const parts = term.split('.')
  const modifiers = parts.slice(1)
  const direction = modifiers.includes('desc') ? ' DESC' : modifiers.includes('asc') ? ' ASC' : ''
  const nulls = modifiers.includes('nullsfirst') ? ' NULLS FIRST' : modifiers.includes('nullslast') ? ' NULLS LAST' : ''
  return `${column(parts[0]!)}${direction}${nulls}`
}

/** `[not.]op.value` at the top level: the value verbatim (a list for `in`). */
function topLevelFilter(field: string, expression: string): Tree {
  const not = expression.startsWith('not.')
  const rest = not ? expression.slice(4) : expression
  const dot = rest.indexOf('.')
  const op = rest.slice(0, dot)
  const value = rest.slice(dot + 1)
  return { kind: 'filter', column: field, not, op, value: op === 'in' ? listOf(value) : value }
}

/** `(a,"b \"x\"")` → the elements, unquoted as pListElement does. */
function listOf(text: string): string[] {
  const reader = new Reader(text)
  reader.expect('(')
  const values: string[] = []
  for (;;) {
    values.push(reader.peek() === '"' ? reader.quoted() : reader.until(',)'))
    if (reader.take() === ')') return values
  }
}

function logicTree(key: string, value: string): Tree {
  const not = key.startsWith('not.')
  const reader = new Reader(value)
  return { kind: key.endsWith('and') ? 'and' : 'or', not, children: reader.children() }
}

class Reader {
  private at = 0
  constructor(private readonly text: string) {}
  peek(): string {
    return this.text[this.at] ?? ''
  }
  take(): string {
    return this.text[this.at++] ?? ''
  }
  expect(char: string): void {
    if (this.take() !== char) throw new Error(`PostgREST grammar: expected '${char}' at ${this.at - 1} in ${this.text}`)
  }
  until(stops: string): string {
    const start = this.at
    while (this.at < this.text.length && !stops.includes(this.text[this.at]!)) this.at++
    return this.text.slice(start, this.at)
  }
  /** `"…"` with backslash escapes (pQuotedValue). */
  quoted(): string {
    this.expect('"')
    let out = ''
    for (;;) {
      const c = this.take()
      if (c === '"') return out
      if (c === '\\') out += this.take()
      else if (c === '') throw new Error('PostgREST grammar: unterminated quoted value')
      else out += c
    }
  }
  /** `(item,item,…)` of a logic tree. */
  children(): Tree[] {
    this.expect('(')
    const items: Tree[] = []
    for (;;) {
      items.push(this.item())
      if (this.take() === ')') return items
    }
  }
  private item(): Tree {
    const rest = this.text.slice(this.at)
    const group = /^(not\.)?(and|or)\(/.exec(rest)
    if (group) {
      this.at += group[0].length - 1
      return { kind: group[2] as 'and' | 'or', not: Boolean(group[1]), children: this.children() }
    }
    const field = this.until('.')
    this.expect('.')
    let not = false
    if (this.text.startsWith('not.', this.at)) {
      not = true
      this.at += 4
    }
    const op = this.until('.')
    this.expect('.')
    if (op === 'in') return { kind: 'filter', column: field, not, op, value: listOf(this.listText()) }
    const value = this.peek() === '"' ? this.quoted() : this.until(',)')
    return { kind: 'filter', column: field, not, op, value }
  }
  private listText(): string {
    const start = this.at
    let quoted = false
    for (; this.at < this.text.length; this.at++) {
      const c = this.text[this.at]
      if (quoted && c === '\\') this.at++
      else if (c === '"') quoted = !quoted
      else if (!quoted && c === ')') {
        this.at++
        return this.text.slice(start, this.at)
      }
    }
    throw new Error('PostgREST grammar: unterminated list')
  }
}

/** pgBuildArrayLiteral: every element double-quoted with `\` and `"` escaped. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`
}

function sqlOf(tree: Tree): string {
  const not = tree.not ? 'NOT ' : ''
  if (tree.kind !== 'filter') return `${not}(${tree.children.map(sqlOf).join(tree.kind === 'and' ? ' AND ' : ' OR ')})`
  const col = column(tree.column)
  if (tree.op === 'is') return `${not}${col} IS NULL`
  if (tree.op === 'in') return `${not}${col} = ANY (${literal(arrayLiteral(tree.value as string[]))})`
  const op = SQL_OPS[tree.op]
  if (!op) throw new Error(`PostgREST model: operator ${tree.op} not modelled`)
  return `${not}${col} ${op} ${literal(tree.value as string)}`
}

/**
 * A `fetch` for supabase-js that answers its PostgREST requests (`/rest/v1/…`) from a real
 * PostgreSQL (PGlite or PostgreSQL 15), the way PostgREST does: the JWT's role and claims set per
 * request in a transaction, filters read and turned into SQL by test/supabase/postgrest-sql.ts, RPC
 * arguments passed by name, errors as PostgREST's `{code, message, details, hint}` with its HTTP
 * status per SQLSTATE (Error.hs). It is a MODEL of PostgREST's wire format and SQL, written from
 * PostgREST's source — not PostgREST. It lets the adapter's requests, built by the real
 * supabase-js, run against the real SQL; the live target (`npm run test:live -- supabase`) runs the
 * real server. JWT signatures are not checked (the model trusts the test's tokens).
 */
import type { Params } from '../../../adapters/supabase/query.js'
import { postgrestSql } from '../../supabase/postgrest-sql.js'
import { asCaller, type Caller, type Session } from './postgres.js'

/** An unsigned JWT naming a role (and a user): what the model reads from `Authorization`. */
export function testJwt(claims: { role: Caller['role']; sub?: string; email?: string; exp?: number }): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.model-unsigned`
}

function callerOf(headers: Headers): Caller {
  const token = (headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '') || headers.get('apikey') || ''
  const payload = token.split('.')[1]
  if (!payload) return { role: 'anon' }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { role?: Caller['role']; sub?: string; email?: string }
  return { role: claims.role ?? 'anon', ...(claims.sub ? { sub: claims.sub } : {}), ...(claims.email ? { email: claims.email } : {}) }
}

/** PostgREST's HTTP status for a SQLSTATE (Error.hs `mapSQLtoHTTP`, the cases portabase meets). */
function statusOf(code: string, caller: Caller): number {
  if (code === '42501') return caller.role === 'anon' ? 401 : 403
  if (code === '23505' || code === '23503') return 409
  if (code === '42P01' || code === '42883') return 404
  if (code === '57014' || code.startsWith('40')) return 500
  if (code.startsWith('08') || code.startsWith('53')) return 503
  return 400
}

/** Functions returning one value (answered as that value); the others return rows. */
const SCALAR_FUNCTIONS = new Set(['portabase_write'])

export function postgrestModelFetch(session: Session): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const caller = callerOf(request.headers)
    const path = url.pathname.replace(/^\/rest\/v1\//, '')
    const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } })
    try {
      if (path.startsWith('rpc/')) {
        const fn = path.slice(4)
        const args = request.method === 'POST' ? ((await request.json()) as Record<string, unknown>) : Object.fromEntries(url.searchParams)
        const names = Object.keys(args)
        const call = `public.${fn}(${names.map((n, i) => `"${n}" := $${i + 1}`).join(', ')})`
        const values = names.map((n) => (args[n] !== null && typeof args[n] === 'object' && !Array.isArray(args[n]) ? JSON.stringify(args[n]) : Array.isArray(args[n]) && fn !== 'portabase_fetch' ? JSON.stringify(args[n]) : args[n]))
        const rows = await asCaller(session, caller, async (sql) => (await sql.query(SCALAR_FUNCTIONS.has(fn) ? `select ${call} as r` : `select * from ${call}`, values)).rows)
        return json(SCALAR_FUNCTIONS.has(fn) ? rows[0]!.r : rows)
      }
      if (request.method !== 'GET') return json({ code: 'PGRST000', message: `the model answers GET and RPC only (${request.method} ${path})` }, 405)
      const params: Params = [...url.searchParams.entries()]
      const table = path
      const countExact = /count=exact/.test(request.headers.get('prefer') ?? '')
      const { rows, total } = await asCaller(session, caller, async (sql) => ({
        rows: (await sql.query(postgrestSql(table, params, 'columns'))).rows,
        total: countExact ? ((await sql.query(postgrestSql(table, params.filter(([k]) => k !== 'limit' && k !== 'offset' && k !== 'order' && k !== 'select'), 'count'))).rows[0]!.n as number) : undefined,
      }))
      const range = rows.length > 0 ? `0-${rows.length - 1}` : '*'
      return json(rows, countExact ? 206 : 200, { 'content-range': `${range}/${total ?? '*'}` })
    } catch (error) {
      const e = error as { code?: string; message?: string; detail?: string; hint?: string }
      const code = e.code ?? 'PGRST000'
      return json({ code, message: e.message ?? String(error), details: e.detail ?? null, hint: e.hint ?? null }, statusOf(code, caller))
    }
  }
}

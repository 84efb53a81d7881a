/**
 * The contract fixture functions (test/contract/FIXTURES.md) as Supabase Edge Functions (Deno).
 * Deploy: `supabase functions deploy echo whoami fail slow --no-verify-jwt` from test/live/supabase.
 * Deno code: not compiled by this repo's TypeScript or Jest.
 */
export const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

/** The request's JSON body (portabase always sends one). */
export async function input(request: Request): Promise<unknown> {
  const text = await request.text()
  return text === '' ? null : JSON.parse(text)
}

/**
 * The todo example's `sendInvite` as a Supabase Edge Function (Deno): answers who was invited and
 * by whom (the caller's uid, checked by GoTrue). Deploy from examples/todo/supabase:
 * `supabase functions deploy sendInvite --no-verify-jwt`.
 */
Deno.serve(async (request: Request) => {
  const { email } = (await request.json()) as { email: string }
  const token = (request.headers.get('Authorization') ?? '').replace(/^Bearer\s+/i, '')
  const me = await fetch(`${Deno.env.get('SUPABASE_URL')}/auth/v1/user`, { headers: { Authorization: `Bearer ${token}`, apikey: Deno.env.get('SUPABASE_ANON_KEY') } })
  const by = me.ok ? (((await me.json()) as { id?: string }).id ?? null) : null
  return new Response(JSON.stringify({ invited: email, by }), { headers: { 'Content-Type': 'application/json' } })
})

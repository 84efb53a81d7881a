import { json } from '../_shared.ts'

/** The caller's uid, checked by GoTrue (GET /auth/v1/user with the caller's token); null when signed out. */
Deno.serve(async (request: Request) => {
  const token = (request.headers.get('Authorization') ?? '').replace(/^Bearer\s+/i, '')
  if (!token) return json({ uid: null })
  const response = await fetch(`${Deno.env.get('SUPABASE_URL')}/auth/v1/user`, {
    headers: { Authorization: `Bearer ${token}`, apikey: Deno.env.get('SUPABASE_ANON_KEY') },
  })
  // The anon key is not a user's token: GoTrue refuses it, and the caller is signed out.
  if (!response.ok) return json({ uid: null })
  const user = (await response.json()) as { id?: string }
  return json({ uid: user.id ?? null })
})

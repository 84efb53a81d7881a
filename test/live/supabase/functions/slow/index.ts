import { input, json } from '../_shared.ts'

Deno.serve(async (request: Request) => {
  const { ms } = (await input(request)) as { ms: number }
  await new Promise((resolve) => setTimeout(resolve, ms))
  return json({ ok: true })
})

import { input, json } from '../_shared.ts'

// deno-lint-ignore no-explicit-any
;(globalThis as any).Deno.serve(async (request: Request) => json(await input(request)))

import { input, json } from '../_shared.ts'

Deno.serve(async (request: Request) => json(await input(request)))

import { json } from '../_shared.ts'

// A neutral code in the body: the adapter keeps it (adapters/supabase/errors.ts mapFunctionsError).
Deno.serve(() => json({ code: 'invalid-argument', message: 'bad input' }, 400))

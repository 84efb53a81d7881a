/**
 * The SQL for portabase's storage bucket on Supabase: the bucket row and the RLS policies on
 * `storage.objects` that decide who may read and write its objects. Storage runs every object
 * request in the database as the caller's role (`anon` signed out, `authenticated` signed in; the
 * JWT's claims in `request.jwt.claims`: supabase/storage `src/internal/database/postgres/scope.ts`),
 * so these policies are the bucket's access rules:
 *
 * - upload with upsert is `INSERT … ON CONFLICT (name, bucket_id) DO UPDATE … RETURNING *`
 *   (storage `src/storage/database/pg.ts` `upsertObject`, tried first in a rolled-back transaction
 *   by `Uploader.canUpload`): insert, update and select;
 * - download, info, signed URLs and list read rows: select;
 * - delete is `DELETE … RETURNING *`: delete (and select).
 *
 * The bucket is private (`public = false`): no unauthenticated `/object/public/…` URLs; files are
 * reached through the API under these policies, or through signed URLs. An existing bucket of that
 * id is left as it is (`on conflict do nothing`), public flag included.
 */

/** Who may read and write the bucket's objects. */
export interface SupabaseStorageSqlOptions {
  /**
   * `public` (default, as the contract fixtures expect: their storage tests run signed out):
   * everyone, signed in or not (`anon` and `authenticated`). `authenticated`: signed-in users only.
   * Either way, every allowed user may read, replace and delete every object of the bucket.
   */
  access?: 'public' | 'authenticated'
}

/** Bucket ids this SQL accepts: safe as a literal and inside a policy name (Storage itself allows more). */
const BUCKET = /^[a-z0-9][a-z0-9_-]{0,39}$/

export function storageSql(bucket: string, options: SupabaseStorageSqlOptions = {}): string {
  if (!BUCKET.test(bucket)) throw new Error(`portabase/supabase: storage bucket ids for SQL must match ${BUCKET} (got ${JSON.stringify(bucket)})`)
  const access = options.access ?? 'public'
  if (access !== 'public' && access !== 'authenticated') throw new Error(`portabase/supabase: storage access must be 'public' or 'authenticated' (got ${JSON.stringify(access)})`)
  const roles = access === 'public' ? 'anon, authenticated' : 'authenticated'
  const mine = `bucket_id = '${bucket}'`
  const policy = (action: 'select' | 'insert' | 'update' | 'delete'): string => {
    const name = `"portabase ${bucket} ${action}"`
    const rule = action === 'insert' ? `with check (${mine})` : action === 'update' ? `using (${mine}) with check (${mine})` : `using (${mine})`
    return `drop policy if exists ${name} on storage.objects;
create policy ${name} on storage.objects for ${action} to ${roles} ${rule};`
  }
  return `-- storage bucket ${bucket} (private; objects ${access === 'public' ? 'open to everyone, signed in or not' : 'open to signed-in users'} through the Storage API)
insert into storage.buckets (id, name, public) values ('${bucket}', '${bucket}', false) on conflict (id) do nothing;
${policy('select')}
${policy('insert')}
${policy('update')}
${policy('delete')}
`
}

/** One live run's names: its tables, storage prefix, config keys and test account. */
export function liveNames(run: string) {
  const hex = Buffer.from(run).toString('hex').padStart(12, '0').slice(-12)
  return {
    todos: `pb_${run}_todos`,
    lists: `pb_${run}_lists`,
    prefix: `migrate-${run}/`,
    configPrefix: `mig_${run}_`,
    userId: `00000000-0000-4000-8000-${hex}`,
    email: `migrate-${run}@example.com`,
  }
}

/**
 * Names what keeps Jest alive after the last test: sockets, servers, child processes and timers
 * still open a few seconds after the run completes. On a 2-core machine Jest runs every test file
 * in its own process (in band), so a handle any suite leaks would otherwise hang the run silently.
 */
const GRACE_MS = 5_000

function describeHandle(handle) {
  const type = handle?.constructor?.name ?? typeof handle
  if (type === 'Socket' || type === 'TLSSocket') {
    if (handle === process.stdout || handle === process.stderr || handle === process.stdin) return undefined
    if (handle._isStdio || handle.fd === 0 || handle.fd === 1 || handle.fd === 2) return undefined
    return `${type} ${handle.localAddress ?? ''}:${handle.localPort ?? ''} -> ${handle.remoteAddress ?? '?'}:${handle.remotePort ?? '?'}`
  }
  if (type === 'Server') {
    const address = handle.address?.()
    return `Server listening on ${typeof address === 'string' ? address : `${address?.address}:${address?.port}`}`
  }
  if (type === 'ChildProcess') return `ChildProcess pid ${handle.pid}: ${(handle.spawnargs ?? []).join(' ').slice(0, 200)}`
  if (type === 'Timeout' || type === 'Immediate') {
    if (handle.hasRef && !handle.hasRef()) return undefined
    const source = String(handle._onTimeout ?? '').replace(/\s+/g, ' ').slice(0, 200)
    return `${type} (${handle._idleTimeout} ms): ${source}`
  }
  if (type === 'Pipe' || type === 'WriteStream' || type === 'ReadStream') return undefined // stdio
  return type
}

class OpenHandlesReporter {
  onRunComplete() {
    const timer = setTimeout(() => {
      const open = (process._getActiveHandles?.() ?? []).map(describeHandle).filter(Boolean)
      // Timers are not handles: count the ref'd ones (a realtime client reconnecting, a retry loop).
      const timers = process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length
      if (timers > 0) open.push(`${timers} ref'd timer(s) (e.g. a client that was never disposed, reconnecting)`)
      if (open.length === 0) return
      process.stderr.write(`\nJest: ${open.length} handle(s) still open ${GRACE_MS / 1000} s after the last test:\n`)
      for (const line of open) process.stderr.write(`  - ${line}\n`)
    }, GRACE_MS)
    timer.unref() // the report itself must never keep the process alive
  }
}

module.exports = OpenHandlesReporter

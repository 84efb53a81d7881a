/**
 * Jest must exit by itself: every suite closes what it opens. This reporter names what keeps Jest
 * alive after the last test (sockets, servers, child processes, ref'd timers with their callbacks)
 * and, if the process is still alive LIMIT_MS after the run, fails it (exit code 1) instead of
 * letting CI hang. A leak is a red run with its culprit named, never a silent forced exit.
 * Timers that end by themselves in a few seconds (aws-amplify's 15 s subscription-ack timeout of a
 * subscription that ended unacknowledged) stay within the limit.
 */
const inspector = require('node:inspector')

const GRACE_MS = 5_000
const LIMIT_MS = 45_000

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
  if (type === 'Pipe' || type === 'WriteStream' || type === 'ReadStream') return undefined // stdio
  return type
}

/** The ref'd timers' callbacks (timers are not handles): found in this heap through the inspector. */
function refdTimers() {
  return new Promise((resolve) => {
    const session = new inspector.Session()
    session.connect()
    const done = (list) => {
      session.disconnect()
      resolve(list)
    }
    const probe = '(() => { const t = setTimeout(() => {}, 0); clearTimeout(t); return Object.getPrototypeOf(t) })()'
    session.post('Runtime.evaluate', { expression: probe }, (error, proto) => {
      if (error) return done([])
      session.post('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId }, (error2, found) => {
        if (error2) return done([])
        const describe = `function () { return this.filter((t) => !t._destroyed && t._idleTimeout > 0 && t.hasRef()).map((t) => 'Timeout (' + t._idleTimeout + ' ms' + (t._repeat ? ', repeating' : '') + '): ' + String(t._onTimeout).replace(/\\s+/g, ' ').slice(0, 200)) }`
        session.post('Runtime.callFunctionOn', { objectId: found.objects.objectId, returnByValue: true, functionDeclaration: describe }, (error3, result) => done(error3 ? [] : result.result.value))
      })
    })
  })
}

async function openNow() {
  const handles = (process._getActiveHandles?.() ?? []).map(describeHandle).filter(Boolean)
  return [...handles, ...(await refdTimers())]
}

function report(title, open) {
  process.stderr.write(`\nJest: ${title}:\n`)
  for (const line of open) process.stderr.write(`  - ${line}\n`)
}

class OpenHandlesReporter {
  onRunComplete() {
    // Neither timer may keep the process alive itself.
    setTimeout(async () => {
      const open = await openNow()
      if (open.length > 0) report(`${open.length} handle(s)/timer(s) still open ${GRACE_MS / 1000} s after the last test`, open)
    }, GRACE_MS).unref()
    setTimeout(async () => {
      report(`still running ${LIMIT_MS / 1000} s after the last test: failing the run (a suite leaks what is listed)`, await openNow())
      process.exit(1)
    }, LIMIT_MS).unref()
  }
}

module.exports = OpenHandlesReporter

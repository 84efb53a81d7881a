/**
 * Session persistence: restores a stored session when the client starts and keeps the store in
 * step with `user$`. Store failures never reach the app as exceptions or console output: they go
 * to `onError` when given, else are dropped (the session then simply is not persisted/restored).
 * The session string is a secret: it is never logged, put in errors or handed to links.
 */
import type { Subscription } from 'rxjs'
import { invalidArgument, PortabaseError } from '../errors.js'
import type { SessionStore } from '../auth/session-store.js'
import type { Adapter } from '../spi.js'
import type { Pipeline } from './pipeline.js'

export interface SessionOptions {
  store: SessionStore
  /** Storage key. Default `portabase.session.<adapter name>`. */
  key?: string
  /** Store and restore failures (default: ignored). Never carries the session string. */
  onError?: (error: PortabaseError) => void
}

export interface SessionPersistence {
  /** Resolves when restoration has finished, successful or not. */
  readonly ready: Promise<void>
  /** Stops following `user$` and waits for pending store writes. */
  close(): Promise<void>
}

export function startSessionPersistence(adapter: Adapter, pipeline: Pipeline, options: SessionOptions): SessionPersistence {
  const { store, onError } = options
  if (!store || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.remove !== 'function') {
    throw invalidArgument('session.store must be a SessionStore { get, set, remove }')
  }
  const key = options.key ?? `portabase.session.${adapter.name}`
  if (typeof key !== 'string' || key.length === 0) throw invalidArgument('session.key must be a non-empty string')
  const auth = adapter.auth
  const exportSession = auth.exportSession?.bind(auth)
  const restoreSession = auth.restoreSession?.bind(auth)

  const report = (what: string, error: unknown): void => {
    if (!onError) return
    const failure = error instanceof PortabaseError ? error : new PortabaseError('internal', `Session store: ${what} failed`, { cause: error })
    try {
      onError(failure)
    } catch {
      // The app's error handler must not break persistence either.
    }
  }

  // Store calls run one after another, so a sign-in then a sign-out land in that order.
  let queue: Promise<void> = Promise.resolve()
  const enqueue = (what: string, run: () => Promise<void> | void): void => {
    queue = queue.then(run).catch((error: unknown) => report(what, error))
  }

  let closed = false
  let subscription: Subscription | undefined

  /** Follows `user$` from now on: signed in → store the exported session, signed out → remove it. */
  const follow = (keepOnFirstSignedOut: boolean): void => {
    if (closed || !exportSession) return
    let written: string | null | undefined // what the store holds, as far as we know
    let first = true
    subscription = auth.user$.subscribe((user) => {
      const wasFirst = first
      first = false
      let session: string | null = null
      try {
        session = user ? exportSession() : null
      } catch (error) {
        report('export', error)
        return
      }
      if (session !== null) {
        if (session === written) return
        written = session
        enqueue('set', () => store.set(key, session))
      } else {
        if (written === null || (wasFirst && keepOnFirstSignedOut)) return
        written = null
        enqueue('remove', () => store.remove(key))
      }
    })
  }

  const restore = async (): Promise<boolean> => {
    // Returns whether the stored session must be kept although nobody is signed in (restore could
    // not validate it, e.g. offline: it may still be good next time).
    if (!restoreSession) return false
    let stored: string | null
    try {
      stored = await store.get(key)
    } catch (error) {
      report('get', error)
      return true
    }
    if (typeof stored !== 'string' || stored.length === 0 || closed || auth.currentUser()) return false
    try {
      // Through the links (retry, timeout); the session is not in `args`, so loggers never see it.
      await pipeline.invoke({ service: 'auth', method: 'restoreSession', args: [], idempotent: true, run: () => restoreSession(stored) })
      return false
    } catch (error) {
      report('restore', error)
      return !auth.currentUser()
    }
  }

  const ready = restore().then((keep) => follow(keep))
  return {
    ready,
    async close() {
      closed = true
      subscription?.unsubscribe()
      await queue
    },
  }
}

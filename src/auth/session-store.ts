/**
 * Where the client keeps the signed-in session between app starts (`createClient({ session })`).
 * Sync or async, so React Native wrappers (Keychain/Keystore, AsyncStorage, expo-secure-store)
 * fit as they are. The stored value is an opaque, adapter-defined secret (a refresh or session
 * token): keep it in a secure store where the platform has one.
 */
import { PortabaseError } from '../errors.js'

export interface SessionStore {
  get(key: string): Promise<string | null> | string | null
  set(key: string, value: string): Promise<void> | void
  remove(key: string): Promise<void> | void
}

/** The subset of the Web Storage API the localStorage store uses. */
export interface StorageLike {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** Keeps sessions in memory: survives a client's `dispose()`, not a process restart. */
export function memorySessionStore(): SessionStore {
  const values = new Map<string, string>()
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => {
      values.set(key, value)
    },
    remove: (key) => {
      values.delete(key)
    },
  }
}

/** The platform's localStorage, read without throwing (sandboxed frames throw on access). */
function platformLocalStorage(): StorageLike | undefined {
  try {
    return (globalThis as { localStorage?: StorageLike }).localStorage
  } catch {
    return undefined
  }
}

/**
 * Keeps sessions in `localStorage` (browsers), or any object with getItem/setItem/removeItem.
 * Anything on the page can read localStorage: prefer a secure store where XSS is a concern.
 * Fails with `unsupported` where there is no localStorage (Node, React Native).
 */
export function localStorageSessionStore(storage: StorageLike | undefined = platformLocalStorage()): SessionStore {
  if (!storage || typeof storage.getItem !== 'function' || typeof storage.setItem !== 'function' || typeof storage.removeItem !== 'function') {
    throw new PortabaseError(
      'unsupported',
      'localStorageSessionStore needs localStorage, which this platform does not have: pass a storage object, or use memorySessionStore() or a SessionStore over a secure store (Keychain/Keystore on React Native)',
    )
  }
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => storage.setItem(key, value),
    remove: (key) => storage.removeItem(key),
  }
}

/**
 * Firebase Remote Config (`firebase/remote-config`, browsers) as the portabase ConfigService. The
 * SDK needs IndexedDB and a window; where it cannot run, `fetch` fails with `unsupported` instead of
 * crashing (see README for the Node set-up the tests use).
 */
import { activate, fetchConfig, getAll, getRemoteConfig, isSupported, type RemoteConfig } from 'firebase/remote-config'
import { PortabaseError, unsupported } from '../../src/errors.js'
import { raceAbort } from '../../src/links/abort.js'
import type { CallOptions, ConfigService } from '../../src/spi.js'
import type { ConfigScalar } from '../../src/types.js'
import type { FirebaseContext, FirebaseServicePlugin } from './context.js'
import { guard, mapError, PROVIDER } from './errors.js'
import { remoteConfigCodes } from './remote-config-errors.js'

/** What the Remote Config and Installations SDKs touch besides IndexedDB. */
const BROWSER_GLOBALS = ['indexedDB', 'window', 'self', 'navigator'] as const

export interface FirebaseRemoteConfigOptions {
  /** Default 0: the portabase client decides when to fetch. Raise it to respect Firebase's throttling. */
  minimumFetchIntervalMillis?: number
  fetchTimeoutMillis?: number
}

export class FirebaseConfigService implements ConfigService {
  private instance: Promise<RemoteConfig> | undefined

  constructor(
    private readonly context: FirebaseContext,
    private readonly options: FirebaseRemoteConfigOptions,
  ) {}

  fetch(options?: CallOptions): Promise<Record<string, ConfigScalar>> {
    return raceAbort(
      (async () => {
        const rc = await this.remoteConfig()
        // portabase activates on its own side; the SDK's active set is just the transport here.
        await guard('Remote config fetch', async () => {
          await fetchConfig(rc)
          await activate(rc)
        }, remoteConfigCodes)
        const values: Record<string, ConfigScalar> = {}
        for (const [key, value] of Object.entries(getAll(rc))) if (value.getSource() === 'remote') values[key] = value.asString()
        return values
      })(),
      options?.signal,
    )
  }

  private remoteConfig(): Promise<RemoteConfig> {
    this.instance ??= (async () => {
      // The SDK reads these browser globals while fetching (window: its URL, navigator: the
      // language and onLine, self.crypto: the installation id); without them it would throw a
      // ReferenceError mid-fetch. isSupported() checks IndexedDB only.
      const missing = BROWSER_GLOBALS.filter((name) => typeof (globalThis as Record<string, unknown>)[name] === 'undefined')
      if (missing.length > 0 || !(await isSupported().catch(() => false))) {
        const lacking = missing.length > 0 ? missing.join(', ') : 'a working indexedDB'
        throw unsupported(`Remote Config in this environment (the Firebase SDK needs a browser: ${lacking} missing)`, PROVIDER)
      }
      let rc: RemoteConfig
      try {
        rc = getRemoteConfig(this.context.app)
      } catch (error) {
        const mapped = mapError(error, 'Remote Config start-up', remoteConfigCodes)
        if (mapped.code !== 'internal') throw mapped
        throw new PortabaseError('unsupported', 'Remote Config could not start in this environment', { provider: PROVIDER, cause: error })
      }
      rc.settings.minimumFetchIntervalMillis = this.options.minimumFetchIntervalMillis ?? 0
      if (this.options.fetchTimeoutMillis !== undefined) rc.settings.fetchTimeoutMillis = this.options.fetchTimeoutMillis
      return rc
    })()
    // A refusal is final for this environment; keep it so every call answers the same.
    return this.instance
  }
}

export function firebaseRemoteConfig(options: FirebaseRemoteConfigOptions = {}): FirebaseServicePlugin<FirebaseConfigService> {
  return {
    kind: 'config',
    create: (context) => ({ service: new FirebaseConfigService(context, options), capabilities: { remoteConfig: true } }),
  }
}

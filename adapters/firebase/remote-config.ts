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
import { guard, PROVIDER } from './errors.js'

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
        })
        const values: Record<string, ConfigScalar> = {}
        for (const [key, value] of Object.entries(getAll(rc))) if (value.getSource() === 'remote') values[key] = value.asString()
        return values
      })(),
      options?.signal,
    )
  }

  private remoteConfig(): Promise<RemoteConfig> {
    this.instance ??= (async () => {
      if (!(await isSupported().catch(() => false))) throw unsupported('Remote Config in this environment (it needs IndexedDB and a browser window)', PROVIDER)
      try {
        const rc = getRemoteConfig(this.context.app)
        rc.settings.minimumFetchIntervalMillis = this.options.minimumFetchIntervalMillis ?? 0
        if (this.options.fetchTimeoutMillis !== undefined) rc.settings.fetchTimeoutMillis = this.options.fetchTimeoutMillis
        return rc
      } catch (error) {
        throw new PortabaseError('unsupported', 'Remote Config could not start in this environment', { provider: PROVIDER, cause: error })
      }
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

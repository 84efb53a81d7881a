/** Callable Cloud Functions (`firebase/functions`) as the portabase FunctionsService. */
import { connectFunctionsEmulator, getFunctions, httpsCallable, type Functions } from 'firebase/functions'
import { raceAbort } from '../../src/links/abort.js'
import type { CallOptions, FunctionsService } from '../../src/spi.js'
import type { FirebaseServicePlugin } from './context.js'
import { guard } from './errors.js'

export interface FirebaseFunctionsOptions {
  /** Default `us-central1`. */
  region?: string
}

export class FirebaseFunctionsService implements FunctionsService {
  constructor(readonly functions: Functions) {}

  call(name: string, input: unknown, options: CallOptions & { timeoutMs?: number }): Promise<unknown> {
    // The SDK's own timeout rejects with functions/deadline-exceeded; the signal (abort, or the
    // client's deadline) stops waiting at once.
    const callable = httpsCallable(this.functions, name, options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs })
    return raceAbort(
      guard(`Function ${name}`, async () => (await callable(input)).data),
      options.signal,
    )
  }
}

export function firebaseFunctions(options: FirebaseFunctionsOptions = {}): FirebaseServicePlugin<FirebaseFunctionsService> {
  return {
    kind: 'functions',
    create(context) {
      const functions = getFunctions(context.app, options.region ?? 'us-central1')
      const emulator = context.emulators.functions
      if (emulator) connectFunctionsEmulator(functions, emulator.host, emulator.port)
      return { service: new FirebaseFunctionsService(functions), capabilities: { functions: true } }
    },
  }
}

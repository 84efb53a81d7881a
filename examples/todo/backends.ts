/**
 * Picks the backend. This is the only file that names vendors; the app (app.ts) never does.
 */
import type { Adapter } from '../../src/index.js'
import { memory } from '../../adapters/memory/index.js'

export interface Backend {
  adapter: Adapter
  stop(): Promise<void>
}

/** The server side of the demo on the memory backend: what cloud code holds on a real one. */
async function memoryBackend(): Promise<Backend> {
  const adapter = memory({
    config: { welcome: 'Hello from the memory backend', showCompleted: true },
    functions: {
      sendInvite: (input, { auth }) => ({ invited: (input as { email: string }).email, by: auth?.uid ?? null }),
    },
  })
  return { adapter, stop: async () => undefined }
}

async function parseBackend(): Promise<Backend> {
  // Loaded only when asked for, so the memory demo needs no Parse packages.
  const [{ parse }, { startParseServer }] = await Promise.all([import('../../adapters/parse/index.js'), import('../../test/backends/parse/server.js')])
  const external = process.env.PARSE_SERVER_URL
  if (external) {
    const appId = process.env.PARSE_APP_ID
    if (!appId) throw new Error('PARSE_APP_ID is required with PARSE_SERVER_URL')
    const adapter = parse({ serverURL: external, appId, javascriptKey: process.env.PARSE_JAVASCRIPT_KEY, liveQueryServerURL: process.env.PARSE_LIVEQUERY_URL })
    return { adapter, stop: async () => undefined }
  }
  const server = await startParseServer()
  const adapter = parse({ serverURL: server.serverURL, appId: server.appId, javascriptKey: server.javascriptKey, liveQueryServerURL: server.liveQueryServerURL })
  return { adapter, stop: () => server.stop() }
}

export const backends: Record<string, () => Promise<Backend>> = {
  memory: memoryBackend,
  parse: parseBackend,
}

/**
 * The msw server the Supabase protocol tests share: every request supabase-js sends is recorded
 * (method, URL, parsed JSON body, headers) and unhandled ones fail the test. Registers its own
 * jest hooks: listen before all, forget handlers and requests after each, close after all.
 */
import { setupServer } from 'msw/node'

export interface RecordedRequest {
  method: string
  url: URL
  /** The JSON body, parsed; a body that is not JSON as text; undefined without one. */
  body: unknown
  headers: Headers
}

export function recordingServer() {
  const server = setupServer()
  const requests: RecordedRequest[] = []
  server.events.on('request:start', async ({ request }) => {
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.clone().text()
    let body: unknown = undefined
    if (text) {
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
    }
    requests.push({ method: request.method, url: new URL(request.url), body, headers: request.headers })
  })
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    server.resetHandlers()
    requests.length = 0
  })
  afterAll(() => server.close())
  return { server, requests, calls: (method: string, path: string) => requests.filter((r) => r.method === method && r.url.pathname === path) }
}

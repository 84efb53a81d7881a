import { BehaviorSubject } from 'rxjs'
import { createClient, type ConnectionState } from '../../src/index.js'
import { browserOnlineSignal } from '../../src/client/connection.js'
import { memory } from '../../adapters/memory/index.js'

function record(app: { connection$: { subscribe(fn: (s: ConnectionState) => void): { unsubscribe(): void } } }): { states: ConnectionState[]; stop(): void } {
  const states: ConnectionState[] = []
  const sub = app.connection$.subscribe((s) => states.push(s))
  return { states, stop: () => sub.unsubscribe() }
}

describe('connection$', () => {
  test('follows a browser-like global: online/offline events and navigator.onLine', async () => {
    const target = Object.assign(new EventTarget(), { navigator: { onLine: false } })
    const signal = browserOnlineSignal(target)
    expect(signal).toBeDefined()
    const app = createClient({ adapter: memory(), online$: signal })
    const rec = record(app)
    expect(rec.states).toEqual(['offline'])
    target.dispatchEvent(new Event('online'))
    target.dispatchEvent(new Event('offline'))
    target.dispatchEvent(new Event('online'))
    expect(rec.states).toEqual(['offline', 'online', 'offline', 'online'])
    rec.stop()
    await app.dispose()
  })

  test('is undefined where the platform has no online events (Node)', () => {
    expect(browserOnlineSignal({})).toBeUndefined()
    expect(browserOnlineSignal(Object.assign(new EventTarget(), {}))).toBeUndefined()
  })

  test('an app-supplied online$ (React Native NetInfo) overrides the adapter state', async () => {
    const online$ = new BehaviorSubject(true)
    const app = createClient({ adapter: memory(), online$ })
    const rec = record(app)
    online$.next(false)
    online$.next(true)
    expect(rec.states).toEqual(['online', 'offline', 'online'])
    rec.stop()
    await app.dispose()
  })

  test('follows the adapter state (realtime socket)', async () => {
    const adapter = memory()
    const app = createClient({ adapter })
    const rec = record(app)
    adapter.network.goOffline()
    adapter.network.goOnline()
    expect(rec.states).toEqual(['online', 'offline', 'online'])
    rec.stop()
    await app.dispose()
  })

  test('a request failing with unavailable turns online into connecting until a request succeeds', async () => {
    const adapter = memory()
    const app = createClient({ adapter })
    const rec = record(app)
    adapter.network.failNext(1, 'unavailable')
    await expect(app.db.collection('todos').doc('a').get()).rejects.toMatchObject({ code: 'unavailable' })
    expect(rec.states).toEqual(['online', 'connecting'])
    await app.db.collection('todos').doc('a').get()
    expect(rec.states).toEqual(['online', 'connecting', 'online'])
    // Other failures say nothing about the network.
    adapter.network.failNext(1, 'permission-denied')
    await expect(app.db.collection('todos').doc('a').get()).rejects.toMatchObject({ code: 'permission-denied' })
    expect(rec.states).toEqual(['online', 'connecting', 'online'])
    rec.stop()
    await app.dispose()
  })
})

import { firstValueFrom, toArray } from 'rxjs'
import { memory } from '../../adapters/memory/index.js'
import { createClient, type PortabaseClient } from '../../src/client/client.js'
import { ConfigValue } from '../../src/client/config.js'
import { PortabaseError } from '../../src/errors.js'

describe('ConfigValue getters', () => {
  it('asString renders any scalar, and missing as empty', () => {
    expect(new ConfigValue('x', 'remote').asString()).toBe('x')
    expect(new ConfigValue(12.5, 'remote').asString()).toBe('12.5')
    expect(new ConfigValue(false, 'remote').asString()).toBe('false')
    expect(new ConfigValue(undefined, 'static').asString()).toBe('')
  })

  it.each<[string | number | boolean | undefined, number]>([
    [42, 42],
    [-0.5, -0.5],
    ['42', 42],
    [' 7 ', 7],
    ['1e3', 1000],
    ['abc', 0],
    ['', 0],
    ['   ', 0],
    [true, 0],
    [undefined, 0],
  ])('asNumber(%p) is %p', (raw, expected) => {
    expect(new ConfigValue(raw, 'remote').asNumber()).toBe(expected)
  })

  it.each<[string | number | boolean | undefined, boolean]>([
    [true, true],
    [false, false],
    ['true', true],
    ['TRUE', true],
    [' yes ', true],
    ['On', true],
    ['1', true],
    [1, true],
    ['t', true],
    ['y', true],
    ['false', false],
    ['0', false],
    [0, false],
    [2, false],
    ['no', false],
    ['maybe', false],
    ['', false],
    [undefined, false],
  ])('asBoolean(%p) is %p', (raw, expected) => {
    expect(new ConfigValue(raw, 'remote').asBoolean()).toBe(expected)
  })

  it('keeps its source', () => {
    expect(new ConfigValue('x', 'default').source).toBe('default')
  })
})

describe('ConfigClient', () => {
  let app: PortabaseClient
  const adapter = () => memory({ config: { theme: 'dark', limit: 10 } })
  afterEach(() => app.dispose())

  it('serves static, then default, then remote values', async () => {
    app = createClient({ adapter: adapter() })
    expect(app.config.get('theme').source).toBe('static')
    app.config.setDefaults({ theme: 'light', only: 'local' })
    expect([app.config.get('theme').source, app.config.get('theme').asString()]).toEqual(['default', 'light'])
    expect(await app.config.fetchAndActivate()).toBe(true)
    expect([app.config.get('theme').source, app.config.get('theme').asString()]).toEqual(['remote', 'dark'])
    expect(app.config.get('only').source).toBe('default')
  })

  it('activate() reports whether the active values changed', async () => {
    const a = adapter()
    app = createClient({ adapter: a })
    expect(app.config.activate()).toBe(false)
    await app.config.fetch()
    expect(app.config.activate()).toBe(true)
    await app.config.fetch()
    expect(app.config.activate()).toBe(false)
    a.backend.setConfig({ theme: 'blue', limit: 10 })
    expect(await app.config.fetchAndActivate()).toBe(true)
    expect(app.config.get('theme').asString()).toBe('blue')
  })

  it('value$ emits on changes only (not on identical activations)', async () => {
    app = createClient({ adapter: adapter() })
    const emissions = firstValueFrom(app.config.value$('theme').pipe(toArray()))
    app.config.setDefaults({ theme: 'light' })
    app.config.setDefaults({ theme: 'light', other: 1 })
    await app.config.fetchAndActivate()
    await app.config.fetchAndActivate()
    await app.dispose()
    expect((await emissions).map((v) => `${v.source}:${v.asString()}`)).toEqual(['static:', 'default:light', 'remote:dark'])
  })

  it('setDefaults refuses non-scalar values with invalid-argument', () => {
    app = createClient({ adapter: adapter() })
    expect(() => app.config.setDefaults({ bad: { nested: 1 } } as unknown as Record<string, string>)).toThrow(PortabaseError)
    expect(() => app.config.setDefaults(null as unknown as Record<string, string>)).toThrow(expect.objectContaining({ code: 'invalid-argument' }))
  })

  it('without the remoteConfig capability, fetch refuses with unsupported but defaults work', async () => {
    app = createClient({ adapter: memory({ capabilities: { remoteConfig: false } }) })
    app.config.setDefaults({ theme: 'light' })
    await expect(app.config.fetchAndActivate()).rejects.toMatchObject({ code: 'unsupported', provider: 'memory' })
    expect(app.config.get('theme').asString()).toBe('light')
  })
})

import type { ConfigScalar, PortabaseClient } from '../index.js'
import type { SuiteEnv } from './env.js'
import { expectError, expectStreamError } from './helpers.js'
import { FIXTURE_CONFIG } from './target.js'
import { describe, expect, it } from './runner.js'

export function configTests(env: SuiteEnv): void {
  /** A client, or null (after checking `unsupported`) without the `remoteConfig` capability. */
  async function configClient(): Promise<PortabaseClient | null> {
    const app = await env.client()
    if (!env.caps.remoteConfig) {
      await expectError(() => app.config.fetchAndActivate(), 'unsupported')
      await expectError(() => app.config.fetch(), 'unsupported')
      return null
    }
    return app
  }

  describe('remote config', () => {
    it('before any fetch, get() serves defaults with source default', async () => {
      const app = await env.client()
      app.config.setDefaults({ welcome: 'default welcome', maxItems: 5, featureX: false })
      expect(app.config.get('welcome').asString()).toBe('default welcome')
      expect(app.config.get('welcome').source).toBe('default')
      expect(app.config.get('maxItems').asNumber()).toBe(5)
      expect(app.config.get('featureX').asBoolean()).toBe(false)
    })

    it('an unknown key is static: empty string, 0, false', async () => {
      const app = await env.client()
      const value = app.config.get('noSuchKey')
      expect(value.source).toBe('static')
      expect(value.asString()).toBe('')
      expect(value.asNumber()).toBe(0)
      expect(value.asBoolean()).toBe(false)
    })

    it('fetchAndActivate() returns true the first time and false when nothing changed', async () => {
      const app = await configClient()
      if (!app) return
      expect(await app.config.fetchAndActivate()).toBe(true)
      expect(await app.config.fetchAndActivate()).toBe(false)
    })

    it('after activation, values come from the server with source remote', async () => {
      const app = await configClient()
      if (!app) return
      app.config.setDefaults({ welcome: 'default welcome' })
      await app.config.fetchAndActivate()
      for (const key of Object.keys(FIXTURE_CONFIG)) expect(app.config.get(key).source).toBe('remote')
      expect(app.config.get('welcome').asString()).toBe(FIXTURE_CONFIG.welcome)
    })

    it('typed getters read the served values', async () => {
      const app = await configClient()
      if (!app) return
      await app.config.fetchAndActivate()
      expect(app.config.get('maxItems').asNumber()).toBe(20)
      expect(app.config.get('maxItems').asString()).toBe('20')
      expect(app.config.get('featureX').asBoolean()).toBe(true)
      expect(app.config.get('featureX').asString()).toBe('true')
      expect(app.config.get('ratio').asNumber()).toBe(0.5)
      expect(app.config.get('welcome').asNumber()).toBe(0)
      expect(app.config.get('welcome').asBoolean()).toBe(false)
    })

    it('defaults still serve keys the server does not have', async () => {
      const app = await configClient()
      if (!app) return
      app.config.setDefaults({ localOnly: 'kept', welcome: 'overridden' })
      await app.config.fetchAndActivate()
      expect(app.config.get('localOnly').asString()).toBe('kept')
      expect(app.config.get('localOnly').source).toBe('default')
      expect(app.config.get('welcome').source).toBe('remote')
    })

    it('fetch() alone changes nothing until activate(), which then returns true', async () => {
      const app = await configClient()
      if (!app) return
      app.config.setDefaults({ welcome: 'default welcome' })
      await app.config.fetch()
      expect(app.config.get('welcome').source).toBe('default')
      expect(app.config.activate()).toBe(true)
      expect(app.config.get('welcome').asString()).toBe(FIXTURE_CONFIG.welcome)
      expect(app.config.activate()).toBe(false)
    })

    it('activate() without a fetch returns false', async () => {
      const app = await env.client()
      expect(app.config.activate()).toBe(false)
    })

    it('value$ emits the default, then the remote value after activation', async () => {
      const app = await configClient()
      if (!app) return
      app.config.setDefaults({ welcome: 'default welcome' })
      const values = env.record(app.config.value$('welcome'))
      const first = await values.waitFor(() => true, 'the current value')
      expect([first.source, first.asString()]).toEqual(['default', 'default welcome'])
      await app.config.fetchAndActivate()
      const remote = await values.waitFor((v) => v.source === 'remote', 'the remote value')
      expect(remote.asString()).toBe(FIXTURE_CONFIG.welcome)
    })

    it('value$ emits again when setDefaults changes the default', async () => {
      const app = await env.client()
      const values = env.record(app.config.value$('theme'))
      await values.waitFor((v) => v.source === 'static', 'the static value')
      app.config.setDefaults({ theme: 'dark' })
      const next = await values.waitFor((v) => v.source === 'default', 'the new default')
      expect(next.asString()).toBe('dark')
    })

    it('getAll() lists defaults and activated remote keys', async () => {
      const app = await configClient()
      if (!app) return
      app.config.setDefaults({ localOnly: 1 })
      await app.config.fetchAndActivate()
      const all = app.config.getAll()
      expect(Object.keys(all).sort()).toEqual(['localOnly', ...Object.keys(FIXTURE_CONFIG)].sort())
      expect(all.ratio?.asNumber()).toBe(0.5)
    })

    it('updates(): a change on the server reaches get() and value$ while listening (unsupported without configUpdates)', async () => {
      const app = await env.client()
      if (!env.caps.remoteConfig || !env.caps.configUpdates) {
        await expectStreamError(app.config.updates(), 'unsupported', 'config.updates()')
        return
      }
      const setConfig = env.target.setConfig
      if (!setConfig) throw new Error(`${env.target.name} declares configUpdates, but its contract target has no setConfig() to change the server's values`)
      const updates = env.record(app.config.updates())
      // Subscribing fetches and activates what the server has now.
      expect([...(await updates.waitFor((keys) => keys.includes('welcome'), 'the first activation'))]).toEqual(Object.keys(FIXTURE_CONFIG).sort())
      const welcome = env.record(app.config.value$('welcome'))
      await welcome.waitFor((v) => v.asString() === FIXTURE_CONFIG.welcome, 'the fixture value')
      try {
        await setConfig({ ...FIXTURE_CONFIG, welcome: 'changed on the server', extra: 1 })
        expect([...(await updates.waitFor((keys) => keys.includes('extra'), 'the update'))]).toEqual(['extra', 'welcome'])
        await welcome.waitFor((v) => v.asString() === 'changed on the server' && v.source === 'remote', 'value$ to follow')
        expect(app.config.get('extra').asNumber()).toBe(1)
      } finally {
        await setConfig({ ...FIXTURE_CONFIG })
      }
      await welcome.waitFor((v) => v.asString() === FIXTURE_CONFIG.welcome, 'the restored value')
    })

    it('updates({ activate: false }) fetches the change and leaves it for activate()', async () => {
      const app = await env.client()
      if (!env.caps.remoteConfig || !env.caps.configUpdates) {
        await expectStreamError(app.config.updates({ activate: false }), 'unsupported', 'config.updates()')
        return
      }
      const setConfig = env.target.setConfig!
      await app.config.fetchAndActivate()
      const updates = env.record(app.config.updates({ activate: false }))
      try {
        await setConfig({ ...FIXTURE_CONFIG, maxItems: 99 })
        await updates.waitFor((keys) => keys.includes('maxItems'), 'the update')
        expect(app.config.get('maxItems').asNumber()).toBe(FIXTURE_CONFIG.maxItems)
        expect(app.config.activate()).toBe(true)
        expect(app.config.get('maxItems').asNumber()).toBe(99)
      } finally {
        await setConfig({ ...FIXTURE_CONFIG })
      }
    })

    it('setDefaults() with a non-scalar value fails with invalid-argument', async () => {
      const app = await env.client()
      const bad = { nested: { no: true } } as unknown as Record<string, ConfigScalar>
      await expectError(() => app.config.setDefaults(bad), 'invalid-argument')
    })
  })
}

import { BehaviorSubject, concatMap, distinctUntilChanged, filter, map, Observable, startWith } from 'rxjs'
import { invalidArgument, PortabaseError } from '../errors.js'
import type { Adapter } from '../spi.js'
import type { ConfigScalar, ConfigSource } from '../types.js'
import { requireCapability, type Pipeline } from './pipeline.js'

const TRUTHY = new Set(['1', 'true', 't', 'yes', 'y', 'on'])

/** One config value with typed getters, as Firebase Remote Config has them. */
export class ConfigValue {
  constructor(
    private readonly raw: ConfigScalar | undefined,
    readonly source: ConfigSource,
  ) {}
  asString(): string {
    return this.raw === undefined ? '' : String(this.raw)
  }
  /** NaN and missing values read as 0. */
  asNumber(): number {
    if (typeof this.raw === 'number') return this.raw
    const n = Number(this.asString())
    return this.asString().trim() === '' || Number.isNaN(n) ? 0 : n
  }
  /** true for true, 1, "true", "yes", "on" (any case); false otherwise. */
  asBoolean(): boolean {
    if (typeof this.raw === 'boolean') return this.raw
    return TRUTHY.has(this.asString().trim().toLowerCase())
  }
}

export class ConfigClient {
  private defaults: Record<string, ConfigScalar> = {}
  private fetched: Record<string, ConfigScalar> | null = null
  private readonly active$ = new BehaviorSubject<Record<string, ConfigScalar>>({})

  constructor(
    private readonly adapter: Adapter,
    private readonly pipeline: Pipeline,
  ) {}

  /** Values used until (and where) remote values are active. */
  setDefaults(defaults: Record<string, ConfigScalar>): void {
    assertConfigRecord(defaults)
    this.defaults = { ...defaults }
    this.active$.next(this.active$.value) // re-emit so value$ sees new defaults
  }

  /** Fetches remote values without applying them. */
  async fetch(): Promise<void> {
    this.pipeline.assertOpen()
    requireCapability(this.adapter, this.adapter.capabilities.remoteConfig, 'Remote config')
    const values = await this.pipeline.invoke({
      service: 'config',
      method: 'fetch',
      args: [],
      idempotent: true,
      run: (op) => this.adapter.config.fetch({ signal: op.signal }),
    })
    assertConfigRecord(values)
    this.fetched = values
  }

  /** Applies the last fetched values; true if anything changed. */
  activate(): boolean {
    if (!this.fetched) return false
    const next = this.fetched
    this.fetched = null
    const changed = !sameRecord(next, this.active$.value)
    if (changed) this.active$.next(next)
    return changed
  }

  async fetchAndActivate(): Promise<boolean> {
    await this.fetch()
    return this.activate()
  }

  /**
   * Remote config as it changes (capability `configUpdates`): while subscribed, every change on the
   * server is fetched and, with `activate` (default true), activated at once, so `get()` and
   * `value$()` follow. Emits the keys whose values differ from the active ones (added, changed or
   * removed); with `activate: false` the new values wait for `activate()`, as after `fetch()`.
   * A failed fetch errors the stream (subscribe again to resume).
   */
  updates(options: { activate?: boolean } = {}): Observable<readonly string[]> {
    const activate = options.activate ?? true
    return new Observable<readonly string[]>((subscriber) => {
      this.pipeline.assertOpen()
      requireCapability(this.adapter, this.adapter.capabilities.configUpdates && this.adapter.capabilities.remoteConfig, 'Remote config updates')
      const changes = this.adapter.config.changes?.()
      if (!changes) throw new PortabaseError('unsupported', `The ${this.adapter.name} adapter declares configUpdates but has no config.changes()`, { provider: this.adapter.name })
      return changes
        .pipe(
          // Once on subscribing (a change may have come since the last fetch), then per change, in order.
          startWith(undefined),
          concatMap(async () => {
            await this.fetch()
            const fetched = this.fetched
            if (!fetched) return []
            const keys = changedKeys(this.active$.value, fetched)
            if (activate) this.activate()
            return keys
          }),
          filter((keys) => keys.length > 0),
        )
        .subscribe(subscriber)
    })
  }

  get(key: string): ConfigValue {
    return valueOf(key, this.active$.value, this.defaults)
  }

  getAll(): Record<string, ConfigValue> {
    const keys = new Set([...Object.keys(this.defaults), ...Object.keys(this.active$.value)])
    return Object.fromEntries([...keys].map((k) => [k, this.get(k)]))
  }

  /** The value now and after every activation that changes it. */
  value$(key: string): Observable<ConfigValue> {
    return this.active$.pipe(
      map((active) => valueOf(key, active, this.defaults)),
      distinctUntilChanged((a, b) => a.source === b.source && a.asString() === b.asString()),
    )
  }

  /** @internal */
  close(): void {
    this.active$.complete()
  }
}

function valueOf(key: string, active: Record<string, ConfigScalar>, defaults: Record<string, ConfigScalar>): ConfigValue {
  if (Object.hasOwn(active, key)) return new ConfigValue(active[key], 'remote')
  if (Object.hasOwn(defaults, key)) return new ConfigValue(defaults[key], 'default')
  return new ConfigValue(undefined, 'static')
}

function assertConfigRecord(values: unknown): asserts values is Record<string, ConfigScalar> {
  if (typeof values !== 'object' || values === null) throw invalidArgument('Config values must be an object')
  for (const [key, value] of Object.entries(values)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw invalidArgument(`Config value ${key} must be a string, number or boolean`)
  }
}

/** Keys added, changed or removed between two sets of values. */
function changedKeys(before: Record<string, ConfigScalar>, after: Record<string, ConfigScalar>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  return [...keys].filter((k) => !Object.hasOwn(before, k) || !Object.hasOwn(after, k) || before[k] !== after[k]).sort()
}

function sameRecord(a: Record<string, ConfigScalar>, b: Record<string, ConfigScalar>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

export { chain, type Link, type NextLink, type Operation, type ServiceName } from './link.js'
export { retry, type RetryOptions } from './retry.js'
export { timeout } from './timeout.js'
export { rateLimit, type RateLimitOptions } from './rate-limit.js'
export { dedupe, DEDUPE_READS, type DedupeOptions } from './dedupe.js'
export { cache, type CacheLink, type CacheOptions, type CacheStats, type CollectionChange } from './cache.js'
export { log, type LogEntry, type LogFunction, type LoggerObject, type LogLevel, type LogOptions } from './log.js'
export { REDACTED } from './redact.js'
export {
  metrics,
  DEFAULT_LATENCY_BUCKETS_MS,
  type LatencyHistogram,
  type MetricsLink,
  type MetricsOptions,
  type MetricsSnapshot,
  type OperationMetrics,
} from './metrics.js'

/**
 * Building blocks for adapter authors (`portabase/adapter-kit` is not a separate entry yet: adapters in
 * this repo import these from src). Shared logic lives here once, not per adapter.
 */
export { applyWrite, resolveSentinel, sentinelKinds } from './write.js'
export { compareValues, valuesEqual } from './query/compare.js'
export { compileQuery, countMatches, cursorOf, getField, runQuery, type CompiledQuery, type Evaluable } from './query/evaluate.js'
export { LiveView, type ViewChange } from './query/live.js'
export { compareValueTypes, valueTypeOf } from './value-types.js'

export { chain, type Link, type NextLink, type Operation, type ServiceName } from './link.js'
export { retry, type RetryOptions } from './retry.js'
export { timeout } from './timeout.js'

/** The conformance kit's target and fixtures (src/conformance/target.ts), where this repository's tests import them from. */
export * from '../../src/conformance/target.js'

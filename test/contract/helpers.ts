/** The conformance kit's waiting and error assertions (src/conformance/helpers.ts), for this repository's own tests too. */
export * from '../../src/conformance/helpers.js'

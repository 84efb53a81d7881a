/** The conformance kit's fixture helpers and declared-semantics expectations (src/conformance/data.ts). */
export * from '../../src/conformance/data.js'

/** The query fixtures of the conformance kit's queries section (src/conformance/queries.ts), reused by adapter-level tests. */
export { BASIC, MIXED, NESTED, NULLS, PAGED, SORT } from '../../src/conformance/queries.js'

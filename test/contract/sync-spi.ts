/** The conformance kit's sync SPI suite (src/conformance/sync-spi.ts). */
export * from '../../src/conformance/sync-spi.js'

// Types for the one parse-server internal that backend.ts uses.
declare module 'parse-server/lib/Adapters/Logger/WinstonLogger.js' {
  /** (Re)configures parse-server's shared winston logger. */
  export function configureLogger(options: { logsFolder?: string | null; logLevel?: string; silent?: boolean }): void;
}

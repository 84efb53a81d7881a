/**
 * Lambda, in process: the handlers behind the data API's `@function` fields (Gen 2
 * `a.handler.function(fn)`), and the simulator's AWS_LAMBDA data loader that invokes them.
 *
 * What runs for real: the transformer's `@function` output — a pipeline resolver per field, the
 * `Invoke<Name>LambdaDataSource` function with its request template (the AppSync Lambda event:
 * typeName, fieldName, arguments, identity, source, request, prev) and its response template
 * (`$util.error($ctx.error.message, $ctx.error.type)` or the result), on the AppSync simulator.
 * What does not: the Lambda runtime. The handlers are plain functions called with the event; a
 * Lambda's boundary is imitated by passing the result through JSON, and a thrown error reaches the
 * template as Lambda's unhandled function error (type `Lambda:Unhandled`, the error's message —
 * the shape AppSync reports for a Node.js handler that throws; not checked against AWS here).
 */
import { removeDataLoader, addDataLoader } from '@aws-amplify/amplify-appsync-simulator/lib/data-loader/index.js';
import { functionError } from '../../../adapters/amplify/functions.js';

/** The AppSync Lambda event, as the transformer's request template builds it. */
export interface AppSyncLambdaEvent {
  typeName: string;
  fieldName: string;
  arguments: Record<string, unknown>;
  /** Null with the API key; a user-pool caller's `sub`, `username`, `claims`… otherwise. */
  identity: { sub?: string; username?: string; claims?: Record<string, unknown> } | null;
  source: unknown;
  request: unknown;
  prev: unknown;
}

export type LambdaHandler = (event: AppSyncLambdaEvent) => unknown;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The contract fixtures (test/contract/FIXTURES.md), written as an app's Lambdas would be, and the
 * todo example's `sendInvite` (examples/todo/amplify/functions/send-invite: who was invited, by whom).
 */
export const FIXTURE_FUNCTIONS: Readonly<Record<string, LambdaHandler>> = {
  echo: (event) => event.arguments.input ?? null,
  whoami: (event) => ({ uid: event.identity?.sub ?? null }),
  fail: () => {
    throw functionError('invalid-argument', 'bad input');
  },
  slow: async (event) => {
    const ms = Number((event.arguments.input as { ms?: unknown } | null)?.ms ?? 0);
    await sleep(Number.isFinite(ms) ? Math.max(0, ms) : 0);
    return { ok: true };
  },
  sendInvite: (event) => ({ invited: (event.arguments.input as { email?: unknown } | null)?.email ?? null, by: event.identity?.sub ?? null }),
};

/** What a Lambda invocation hands back to AppSync: the result as JSON, or an unhandled function error. */
export async function invokeLambda(handler: LambdaHandler, payload: unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = await handler(payload as AppSyncLambdaEvent);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw Object.assign(new Error(message), { type: 'Lambda:Unhandled' });
  }
  return result === undefined ? null : JSON.parse(JSON.stringify(result));
}

/**
 * The simulator's own AWS_LAMBDA loader calls `config.invoke(payload)` too, but logs every failure
 * with its stack to the console (the `fail` fixture would print one per call): the same loader
 * without the logging. BatchInvoke is not used by `@function` fields.
 */
class QuietLambdaLoader {
  constructor(private readonly config: { invoke: (payload: unknown) => Promise<unknown> }) {}
  load(request: { operation: string; payload: unknown }): Promise<unknown> {
    if (request.operation !== 'Invoke') throw new Error(`Lambda test backend: ${request.operation} is not supported`);
    return this.config.invoke(request.payload);
  }
}
removeDataLoader('AWS_LAMBDA' as never);
addDataLoader('AWS_LAMBDA' as never, QuietLambdaLoader as never);

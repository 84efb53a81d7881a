/**
 * One aws-amplify context per adapter (`createAmplifyContext`, aws-amplify ≥ 6.22), each with its
 * own token store: two adapters in one process are two independent sessions (two users, two
 * devices), which the global `Amplify` singleton cannot give. With the default storage every context
 * of a Node process would share one in-memory store (measured: a sign-in on one context showed on the
 * other), so each adapter keeps its tokens in a SessionStore of its own, which is also what
 * `exportSession` serialises.
 */
import { createAmplifyContext, createConfigurationBuilder, type ResourcesConfig } from 'aws-amplify'
import { createAWSCredentialsAndIdentityIdProvider, createUserPoolsTokenProvider } from 'aws-amplify/adapter-core'
import type { CredentialsAndIdentityIdProvider } from 'aws-amplify/auth'
import type { KeyValueStorageInterface } from 'aws-amplify/utils'

export type AmplifyContext = ReturnType<typeof createAmplifyContext>

/** An adapter's token store: aws-amplify's keys (`CognitoIdentityServiceProvider.<client>.…`) in a Map. */
export class SessionStore implements KeyValueStorageInterface {
  private readonly entries = new Map<string, string>()
  async setItem(key: string, value: string): Promise<void> {
    this.entries.set(key, value)
  }
  async getItem(key: string): Promise<string | null> {
    return this.entries.get(key) ?? null
  }
  async removeItem(key: string): Promise<void> {
    this.entries.delete(key)
  }
  async clear(): Promise<void> {
    this.entries.clear()
  }
  /** Everything stored (a secret: refresh and access tokens). */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.entries)
  }
  replace(entries: Record<string, string>): void {
    this.entries.clear()
    for (const [key, value] of Object.entries(entries)) if (typeof value === 'string') this.entries.set(key, value)
  }
}

export interface ContextOptions {
  /** `amplify_outputs.json` (Gen 2) or a Gen 1 config / ResourcesConfig. */
  outputs: object
  /** A Cognito user-pool endpoint other than AWS's (local testing: cognito-local). */
  userPoolEndpoint?: string
  /** S3 credentials other than the identity pool's (local testing). */
  credentialsProvider?: CredentialsAndIdentityIdProvider
}

export function createAdapterContext(options: ContextOptions, store: SessionStore): { ctx: AmplifyContext; config: ResourcesConfig } {
  let builder = createConfigurationBuilder({ from: options.outputs as never })
  const cognito = builder.build().Auth?.Cognito
  if (options.userPoolEndpoint && cognito) builder = builder.patch('Auth', { Cognito: { ...cognito, userPoolEndpoint: options.userPoolEndpoint } } as never)
  const config = builder.build()
  if (!config.Auth?.Cognito) throw new TypeError('amplify(): the outputs have no auth (a Cognito user pool)')
  const ctx = createAmplifyContext(config, {
    Auth: {
      tokenProvider: createUserPoolsTokenProvider(config.Auth, store),
      credentialsProvider: options.credentialsProvider ?? createAWSCredentialsAndIdentityIdProvider(config.Auth, store),
    },
  })
  return { ctx, config }
}

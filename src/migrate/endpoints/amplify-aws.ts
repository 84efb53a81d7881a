/**
 * The AWS SDK v3 clients the Amplify migration driver uses, imported only when an amplify config is
 * opened: they are optional peers, so portabase installs none of them, and the build leaves
 * `@aws-sdk/*` to Node at run time (tsup.config.ts `external`).
 *
 * Needed: @aws-sdk/client-dynamodb and @aws-sdk/util-dynamodb (documents, remote config),
 * @aws-sdk/client-s3 (files), @aws-sdk/client-cognito-identity-provider (users).
 */
import type * as Cognito from '@aws-sdk/client-cognito-identity-provider'
import type * as DynamoDB from '@aws-sdk/client-dynamodb'
import type * as S3 from '@aws-sdk/client-s3'
import type * as DynamoUtil from '@aws-sdk/util-dynamodb'
import { PortabaseError } from '../../errors.js'

export interface AwsAccess {
  region: string
  /** Static credentials; absent: the SDK's default chain (env, shared config/SSO profile, instance role…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Service endpoints other than AWS's (local simulators, VPC endpoints). */
  endpoints?: { dynamodb?: string; s3?: string; cognito?: string }
}

/** The imported package, or failed-precondition naming it when it is not installed. */
async function load<T>(imported: Promise<T>, name: string, what: string): Promise<T> {
  try {
    return await imported
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new PortabaseError('failed-precondition', `The amplify migration driver needs ${name} for ${what}: npm install ${name}@^3`, { provider: 'amplify', details: { package: name }, cause: error })
    }
    throw error
  }
}

export async function loadDynamo(access: AwsAccess): Promise<{ sdk: typeof DynamoDB; util: typeof DynamoUtil; client: DynamoDB.DynamoDBClient }> {
  const [sdk, util] = await Promise.all([
    load(import('@aws-sdk/client-dynamodb'), '@aws-sdk/client-dynamodb', 'documents and remote config'),
    load(import('@aws-sdk/util-dynamodb'), '@aws-sdk/util-dynamodb', 'documents and remote config'),
  ])
  const client = new sdk.DynamoDBClient({ region: access.region, credentials: access.credentials, endpoint: access.endpoints?.dynamodb })
  return { sdk, util, client }
}

export async function loadS3(access: AwsAccess): Promise<{ sdk: typeof S3; client: S3.S3Client }> {
  const sdk = await load(import('@aws-sdk/client-s3'), '@aws-sdk/client-s3', 'files')
  // A custom endpoint (s3rver, MinIO) is addressed path-style; AWS's own, virtual-hosted.
  // Checksums only where S3 requires them: by default the SDK sends a streamed PutObject body
  // aws-chunked with a CRC32 trailer, which S3-compatible servers (s3rver among them) store framed
  // and all. Streamed uploads go as plain bodies of a known length; `--verify` checks their SHA-256.
  const client = new sdk.S3Client({ region: access.region, credentials: access.credentials, endpoint: access.endpoints?.s3, forcePathStyle: access.endpoints?.s3 !== undefined, requestChecksumCalculation: 'WHEN_REQUIRED' })
  return { sdk, client }
}

export type CognitoAccess = { sdk: typeof Cognito; client: Cognito.CognitoIdentityProviderClient }

export async function loadCognito(access: AwsAccess): Promise<CognitoAccess> {
  const sdk = await load(import('@aws-sdk/client-cognito-identity-provider'), '@aws-sdk/client-cognito-identity-provider', 'users')
  const client = new sdk.CognitoIdentityProviderClient({ region: access.region, credentials: access.credentials, endpoint: access.endpoints?.cognito })
  return { sdk, client }
}

/** An AWS SDK error as a PortabaseError naming the call (the SDK's message carries no secrets). */
export function awsError(error: unknown, what: string): PortabaseError {
  if (error instanceof PortabaseError) return error
  const name = (error as { name?: string }).name ?? 'Error'
  const message = error instanceof Error ? error.message : String(error)
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  const code =
    /ResourceNotFound|NoSuchBucket|NoSuchKey|NotFound|UserNotFound/.test(name) ? 'not-found'
    : /CredentialsProviderError|UnrecognizedClient|InvalidSignature|SignatureDoesNotMatch|ExpiredToken|InvalidAccessKeyId/.test(name) ? 'unauthenticated'
    : /AccessDenied|NotAuthorized/.test(name) ? 'permission-denied'
    : /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests|LimitExceeded/.test(name) ? 'resource-exhausted'
    : /Validation|InvalidParameter|InvalidPassword/.test(name) ? 'invalid-argument'
    : status !== undefined && status >= 500 ? 'unavailable'
    : /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|socket|network/i.test(message) ? 'unavailable'
    : 'internal'
  return new PortabaseError(code, `Amplify migration: ${what} failed: ${name}: ${message}`, { provider: 'amplify', cause: error, details: { awsError: name } })
}

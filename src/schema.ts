import { PortabaseError } from './errors.js'

/** The Standard Schema v1 interface (standardschema.dev), copied as its spec recommends: zod, valibot, arktype… implement it. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> }

/** Validates with a Standard Schema; failures become `invalid-argument` listing every issue. */
export async function validateWithSchema<T>(schema: StandardSchemaV1<unknown, T>, value: unknown, collection: string): Promise<T> {
  const result = await schema['~standard'].validate(value)
  if (result.issues) {
    const issues = result.issues.map((issue) => {
      const path = issue.path?.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.')
      return path ? `${path}: ${issue.message}` : issue.message
    })
    throw new PortabaseError('invalid-argument', `Document for ${collection} fails its schema: ${issues.join('; ')}`, { details: { issues } })
  }
  return result.value
}

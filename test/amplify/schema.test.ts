/**
 * portabaseModels (adapters/amplify/schema.ts) through Amplify's own tooling: the real
 * `@aws-amplify/data-schema` builder makes the Gen 2 schema, and the real GraphQL transformer
 * (test/backends/amplify/transform.ts, as Gen 2's defineData runs it) turns it into the AppSync API
 * and DynamoDB tables. What this proves: the models, bookkeeping fields, indexes, query fields and
 * authorization the adapter relies on are what the transformer accepts and generates.
 */
import { a } from '@aws-amplify/data-schema'
import { portabaseModels, queryFieldOf, type AmplifyCollection } from '../../adapters/amplify/schema.js'
import { transformSchema } from '../backends/amplify/transform.js'

jest.setTimeout(60_000)

const COLLECTIONS: AmplifyCollection[] = [
  { name: 'todos', access: 'owner', fields: { title: 'string', done: 'boolean', due: 'date', n: 'number', tags: 'string[]', meta: 'json' }, orderBy: [['due'], ['n', 'title']] },
  { name: 'notices', fields: { text: 'string', id: 'string', updatedAt: 'date', pbPart: 'integer' } },
]

describe('portabaseModels through the real Gen 2 builder and GraphQL transformer', () => {
  const sdl = a.schema(portabaseModels(a, COLLECTIONS)).transform().schema
  const api = transformSchema(sdl)

  it('one table per collection, with the id key and a pbPart-partitioned index per ordering', () => {
    const todos = api.tables.find((t) => t.TableName!.startsWith('Todos-'))!
    expect(todos.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }])
    const indexes = Object.fromEntries((todos.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.KeySchema]))
    expect(Object.keys(indexes).sort()).toEqual(['pbById', 'pbBy_due', 'pbBy_n_title', 'pbFeed'])
    expect(indexes.pbById).toEqual([{ AttributeName: 'pbPart', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }])
    // Two or more sort keys are one composite string attribute (`updatedAt#id`).
    expect(indexes.pbFeed).toEqual([{ AttributeName: 'pbPart', KeyType: 'HASH' }, { AttributeName: 'updatedAt#id', KeyType: 'RANGE' }])
    // Every index key has its attribute definition: the feed's composite key, and each ordering's own key attribute (order-key.ts).
    expect(Object.fromEntries(todos.AttributeDefinitions!.map((d) => [d.AttributeName, d.AttributeType]))).toEqual({ id: 'S', pbPart: 'S', 'updatedAt#id': 'S', pbBy_due: 'S', pbBy_n_title: 'S' })
    expect(api.tables.some((t) => t.TableName!.startsWith('Notices-'))).toBe(true)
  })

  it('the query fields the adapter calls exist, with key conditions and sortDirection', () => {
    for (const index of ['pbById', 'pbFeed', 'pbBy_due', 'pbBy_n_title']) expect(api.schema).toContain(`${queryFieldOf('Todos', index)}(`)
    const feed = new RegExp(`${queryFieldOf('Todos', 'pbFeed')}\\(pbPart: String!, updatedAtId: \\w+, sortDirection: ModelSortDirection, filter: ModelTodosFilterInput, limit: Int, nextToken: String\\)`)
    expect(api.schema).toMatch(feed)
  })

  it('declared fields keep their types; bookkeeping fields are there; owner collections get the owner rule', () => {
    const todos = /type Todos [^{]*\{([^}]*)\}/.exec(api.schema)![1]!
    for (const line of ['title: String', 'done: Boolean', 'due: AWSDateTime', 'n: Float', 'tags: [String]', 'meta: AWSJSON', 'pbPart: String!', 'pbWriteId: String', 'pbDeleted: Boolean', 'pbNulls: [String]', 'updatedAt: AWSDateTime', 'owner: String']) {
      expect(todos).toContain(line)
    }
    // Owner collections: user pools only (the default mode, so no directive), with owner checks in the auth resolvers.
    expect(api.schema).toMatch(/^type Todos \{/m)
    const listAuth = api.mappingTemplates.find((m) => m.path === 'functions/QuerylistTodosauth0Function.req.vtl')!.content
    expect(listAuth).toContain('owner')
    // Public collections: the API key (signed out) and user pools (signed in).
    expect(api.schema).toMatch(/^type Notices @aws_api_key @aws_cognito_user_pools \{/m)
  })

  it('mutations take a condition (the adapter writes conditionally) and there is no batch mutation', () => {
    expect(api.schema).toMatch(/createTodos\(input: CreateTodosInput!, condition: ModelTodosConditionInput\)/)
    expect(api.schema).toMatch(/updateTodos\(input: UpdateTodosInput!, condition: ModelTodosConditionInput\)/)
    expect(api.schema).not.toMatch(/batch\w*Todos/i)
  })

  it("document fields named like the model's own or the bookkeeping are stored as pbField<Name>", () => {
    const notices = /type Notices [^{]*\{([^}]*)\}/.exec(api.schema)![1]!
    for (const line of ['text: String', 'pbFieldId: String', 'pbFieldUpdatedAt: AWSDateTime', 'pbFieldPbPart: Int', 'id: ID!', 'pbPart: String!', 'updatedAt: AWSDateTime']) expect(notices).toContain(line)
  })

  it('refuses invalid or undeclared fields with a clear error', () => {
    expect(() => portabaseModels(a, [{ name: 'x', fields: { 'bad-name': 'string' } }])).toThrow(/not a GraphQL field name/)
    expect(() => portabaseModels(a, [{ name: 'x', access: 'owner', fields: { owner: 'number' } }])).toThrow(/owner's uid/)
    expect(() => portabaseModels(a, [{ name: 'x', fields: { a: 'string' }, orderBy: [['b']] }])).toThrow(/not declared/)
    expect(() => portabaseModels(a, [{ name: 'x', fields: {} }, { name: 'X', fields: {} }])).toThrow(/same model|two collections/)
  })
})

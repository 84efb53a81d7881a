/**
 * The todo example's collections, shared by both sides of the app: the backend builds its models
 * from them (`portabaseModels(a, collections)` in data/resource.ts) and the client passes the same
 * list to `amplify({ collections })` (examples/todo/backends.ts). No imports: the Amplify backend
 * and the app load it alike.
 */
export const collections = [
  {
    name: 'todos',
    // Only the signed-in user whose uid is the todo's `owner` field may read or write it.
    access: 'owner',
    fields: { title: 'string', done: 'boolean', owner: 'string', createdAt: 'date', attachment: 'string' },
    // The app lists a user's todos by `createdAt`: one secondary index (pbBy_createdAt).
    orderBy: [['createdAt']],
  },
] as const

/** The S3 folder the app's files go under (the client's `storage: { prefix }`), granted in storage/resource.ts. */
export const STORAGE_PREFIX = 'public/'

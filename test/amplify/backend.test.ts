/**
 * The Amplify test backend, proved with the real aws-amplify v6 client: Cognito sign-up/sign-in
 * (cognito-local), the Gen 2 data API built by Amplify's own transformer (AppSync simulator over
 * dynalite) — CRUD, filtered lists, a subscription, the transformer's owner and API-key rules —
 * and S3 storage (s3rver). Every call goes through aws-amplify's public API.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { fetchAuthSession, getCurrentUser, signIn, signOut, signUp } from 'aws-amplify/auth';
import { CONNECTION_STATE_CHANGE, ConnectionState, generateClient } from 'aws-amplify/data';
import { downloadData, getProperties, uploadData } from 'aws-amplify/storage';
import { Hub } from 'aws-amplify/utils';
import { createHash, randomBytes } from 'node:crypto';
import { configureAmplifyForLocalBackend } from '../backends/amplify/client.js';
import { startAmplifyBackend, type AmplifyTestBackend } from '../backends/amplify/server.js';

/** The fields every model of schema.ts has, as the client returns them. */
interface Item {
  id: string;
  title?: string | null;
  done?: boolean | null;
  priority?: number | null;
  owner?: string | null;
  createdAt: string;
  updatedAt: string;
}
interface GraphQLErrorLike {
  message: string;
  errorType?: string;
}
type Result<T> = Promise<{ data: T; errors?: GraphQLErrorLike[] }>;
type AuthMode = { authMode?: 'userPool' | 'apiKey' };
/** `client.models.<Model>` for the models schema.ts generates (the client is built untyped). */
interface ModelApi {
  create(input: Partial<Item>, options?: AuthMode): Result<Item | null>;
  get(key: { id: string }, options?: AuthMode): Result<Item | null>;
  list(options?: AuthMode & { filter?: object; limit?: number }): Result<Item[]>;
  update(input: Partial<Item> & { id: string }, options?: AuthMode): Result<Item | null>;
  delete(key: { id: string }, options?: AuthMode): Result<Item | null>;
  onCreate(options?: AuthMode): { subscribe(observer: { next: (item: Item) => void; error: (e: unknown) => void }): { unsubscribe(): void } };
}

const PASSWORD = 'Correct-horse-1';
const alice = `alice-${Date.now()}@example.com`;
const bob = `bob-${Date.now()}@example.com`;

let backend: AmplifyTestBackend;
let restoreShims: (() => void) | undefined;
let models: Record<'Todos' | 'Notes' | 'Notices', ModelApi>;

beforeAll(async () => {
  const started = performance.now();
  backend = await startAmplifyBackend();
  const ms = Math.round(performance.now() - started);
  console.log(
    `Amplify test backend started in ${ms} ms (process + module loading included; inside: transform ${backend.timings.transformMs} ms, whole start ${backend.timings.backendMs} ms)`,
  );
  restoreShims = configureAmplifyForLocalBackend(backend).restore;
  models = generateClient().models as unknown as typeof models;
}, 120_000);

afterAll(async () => {
  await signOut().catch(() => undefined);
  restoreShims?.();
  await backend?.stop();
});

/** Who signed in: the transformer stores `<sub>::<username>` as the owner and returns the username part. */
async function signUpAndIn(email: string): Promise<{ sub: string; username: string; storedOwner: string }> {
  const up = await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  expect(up.isSignUpComplete).toBe(true); // auto-confirmed by the backend's PreSignUp trigger
  const signedIn = await signIn({ username: email, password: PASSWORD, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
  expect(signedIn).toMatchObject({ isSignedIn: true, nextStep: { signInStep: 'DONE' } });
  const { userId, username } = await getCurrentUser();
  expect(userId).toMatch(/^[0-9a-f-]{36}$/);
  return { sub: userId, username, storedOwner: `${userId}::${username}` };
}

/** Resolves once aws-amplify's realtime connection reports `Connected`. */
function connected(): { promise: Promise<void>; stop: () => void } {
  let stop = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    stop = Hub.listen('api', ({ payload }) => {
      const data = payload.data as { connectionState?: string } | undefined;
      if (payload.event === CONNECTION_STATE_CHANGE && data?.connectionState === ConnectionState.Connected) resolve();
    });
  });
  return { promise, stop };
}

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });

describe('Amplify test backend with the real aws-amplify v6 client', () => {
  let alice1: { username: string; storedOwner: string };
  let aliceNoteId: string;

  it('outputs are in the Gen 2 amplify_outputs.json format', () => {
    const { auth, data, storage, version } = backend.outputs;
    expect(version).toBe('1.4');
    expect(auth.user_pool_id).toMatch(/^us-east-1_\w+$/);
    expect(data).toMatchObject({ aws_region: 'us-east-1', default_authorization_type: 'AMAZON_COGNITO_USER_POOLS', authorization_types: ['API_KEY'] });
    expect(data.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(data.api_key).toMatch(/^da2-[a-z0-9]{26}$/);
    expect(Object.keys((data.model_introspection as { models: object }).models).sort()).toEqual(['Notes', 'Notices', 'Todos']);
    expect(storage.bucket_name).toBeTruthy();
  });

  it('signs a user up (auto-confirmed) and in (USER_PASSWORD_AUTH); a forced refresh issues new tokens', async () => {
    alice1 = await signUpAndIn(alice);
    const before = await fetchAuthSession();
    expect(before.tokens?.idToken?.payload.email).toBe(alice);
    expect(before.tokens?.accessToken.payload.iss).toBe(`https://cognito-idp.us-east-1.amazonaws.com/${backend.outputs.auth.user_pool_id}`);
    const after = await fetchAuthSession({ forceRefresh: true }); // through shims.ts' InitiateAuth refresher
    expect(after.tokens?.accessToken.payload.jti).not.toBe(before.tokens?.accessToken.payload.jti);
    expect(after.tokens?.accessToken.payload.sub).toBe(before.tokens?.accessToken.payload.sub);
  });

  it('create, get, list with a filter, update, delete on the signed-in model (Todos)', async () => {
    const a = await models.Todos.create({ title: 'write docs', done: false, priority: 2 });
    expect(a.errors).toBeUndefined();
    expect(a.data).toMatchObject({ title: 'write docs', done: false, priority: 2 });
    const id = a.data!.id;
    await models.Todos.create({ title: 'ship it', done: true, priority: 1 });
    await models.Todos.create({ title: 'test it', done: false, priority: 3 });

    expect((await models.Todos.get({ id })).data).toMatchObject({ id, title: 'write docs', createdAt: a.data!.createdAt });

    const open = await models.Todos.list({ filter: { done: { eq: false } } });
    expect(open.errors).toBeUndefined();
    expect(open.data.map((t) => t.title).sort()).toEqual(['test it', 'write docs']);
    const urgent = await models.Todos.list({ filter: { and: [{ done: { eq: false } }, { priority: { ge: 3 } }] } });
    expect(urgent.data.map((t) => t.title)).toEqual(['test it']);

    const updated = await models.Todos.update({ id, done: true });
    expect(updated.errors).toBeUndefined();
    expect(updated.data).toMatchObject({ id, title: 'write docs', done: true });
    expect(updated.data!.updatedAt >= a.data!.updatedAt).toBe(true);

    const deleted = await models.Todos.delete({ id });
    expect(deleted.data?.id).toBe(id);
    expect((await models.Todos.get({ id })).data).toBeNull();
    expect((await models.Todos.list()).data).toHaveLength(2);
  });

  it('create, get, list with a filter, update, delete on the owner model (Notes); the owner field is set by the resolver', async () => {
    const created = await models.Notes.create({ title: 'mine', priority: 1 });
    expect(created.errors).toBeUndefined();
    expect(created.data).toMatchObject({ title: 'mine', owner: alice1.username });
    aliceNoteId = created.data!.id;
    // In DynamoDB, the transformer's create resolver stored `<sub>::<username>`. (The SDK's
    // "Node 20 support ends" warning is off: this is a one-off read of the test table.)
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const dynamo = new DynamoDBClient({ endpoint: backend.dynamoDbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: backend.tableNames.Notes, Key: { id: { S: aliceNoteId } } }));
      expect(Item?.owner).toEqual({ S: alice1.storedOwner });
    } finally {
      dynamo.destroy();
    }
    const other = await models.Notes.create({ title: 'draft', priority: 5 });

    expect((await models.Notes.get({ id: aliceNoteId })).data?.title).toBe('mine');
    expect((await models.Notes.list({ filter: { priority: { gt: 2 } } })).data.map((n) => n.title)).toEqual(['draft']);
    expect((await models.Notes.update({ id: aliceNoteId, done: true })).data).toMatchObject({ id: aliceNoteId, done: true, owner: alice1.username });
    expect((await models.Notes.delete({ id: other.data!.id })).data?.id).toBe(other.data!.id);
    expect((await models.Notes.list()).data.map((n) => n.id)).toEqual([aliceNoteId]);
  });

  it('onCreate subscription receives an event over the simulator WebSocket', async () => {
    const connection = connected();
    const received: Item[] = [];
    let first!: (item: Item) => void;
    const event = new Promise<Item>((resolve) => (first = resolve));
    const subscription = models.Todos.onCreate().subscribe({
      next: (item) => (received.push(item), first(item)),
      error: (error) => received.push({ id: `error: ${JSON.stringify(error)}` } as Item),
    });
    try {
      await within(connection.promise, 10_000, 'subscription connection');
      const created = await models.Todos.create({ title: 'live', done: false });
      const item = await within(event, 10_000, 'onCreate event');
      expect(item).toMatchObject({ id: created.data!.id, title: 'live', done: false });
      expect(received).toHaveLength(1);
    } finally {
      subscription.unsubscribe();
      connection.stop();
    }
  });

  it("the owner rule refuses another user's update, delete and read; lists hide the item", async () => {
    await signOut();
    await signUpAndIn(bob);

    // The transformer's auth resolvers end in `$util.unauthorized()`. The simulator reports it as
    // errorType `Unauthorized`, message `Unauthorized`; real AppSync's message is
    // `Not Authorized to access updateNotes on type Mutation` (same errorType).
    const denied = [expect.objectContaining({ errorType: 'Unauthorized', message: 'Unauthorized' })];
    const update = await models.Notes.update({ id: aliceNoteId, title: 'stolen' });
    expect(update.data).toBeNull();
    expect(update.errors).toEqual(denied);
    const remove = await models.Notes.delete({ id: aliceNoteId });
    expect(remove.data).toBeNull();
    expect(remove.errors).toEqual(denied);
    const read = await models.Notes.get({ id: aliceNoteId });
    expect(read.data).toBeNull();
    expect(read.errors).toEqual(denied);
    expect((await models.Notes.list()).data).toEqual([]);

    // Bob's own note is his; Alice's is unchanged.
    const bobs = await models.Notes.create({ title: 'bob' });
    expect(bobs.data?.owner).not.toBe(alice1.username);
    await signOut();
    await signIn({ username: alice, password: PASSWORD, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
    expect((await models.Notes.get({ id: aliceNoteId })).data).toMatchObject({ title: 'mine', done: true, owner: alice1.username });
  });

  it('the public model answers the API key, signed out; the API key is refused on the owner and signed-in models', async () => {
    await signOut();
    const notice = await models.Notices.create({ title: 'hello all' }, { authMode: 'apiKey' });
    expect(notice.errors).toBeUndefined();
    expect((await models.Notices.list({ authMode: 'apiKey', filter: { title: { beginsWith: 'hello' } } })).data.map((n) => n.id)).toEqual([notice.data!.id]);

    // Refused by the AppSync auth directives the transformer put on the schema (as AppSync words it).
    const owned = await models.Notes.list({ authMode: 'apiKey' });
    expect(owned.errors).toEqual([expect.objectContaining({ errorType: 'Unauthorized', message: 'Not Authorized to access listNotes on type Query' })]);
    const todos = await models.Todos.create({ title: 'anonymous' }, { authMode: 'apiKey' });
    expect(todos.errors).toEqual([expect.objectContaining({ errorType: 'Unauthorized', message: 'Not Authorized to access createTodos on type Mutation' })]);
    // No user-pool token while signed out: aws-amplify refuses before sending.
    await expect(models.Notices.list()).rejects.toMatchObject({ name: 'NoValidAuthTokens' });
  });

  it('uploads and downloads through aws-amplify/storage (s3rver), single-part and multipart', async () => {
    await signIn({ username: alice, password: PASSWORD, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
    const small = await uploadData({ path: 'public/hello.txt', data: 'hello storage', options: { contentType: 'text/plain' } }).result;
    expect(small.path).toBe('public/hello.txt');
    const download = await downloadData({ path: 'public/hello.txt' }).result;
    expect(await download.body.text()).toBe('hello storage');
    expect(await getProperties({ path: 'public/hello.txt' })).toMatchObject({ contentType: 'text/plain', size: 13 });

    // Over 5 MiB: aws-amplify switches to a multipart upload.
    const big = randomBytes(6 * 1024 * 1024 + 123);
    await uploadData({ path: 'public/big.bin', data: big }).result;
    const bigDownload = await downloadData({ path: 'public/big.bin' }).result;
    const bytes = Buffer.from(new Uint8Array(await (await bigDownload.body.blob()).arrayBuffer()));
    expect(bytes.length).toBe(big.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });
});

describe('Amplify test backend start-up failures', () => {
  it('name the piece that failed', async () => {
    // A collection without a valid GraphQL type name fails in the first phase, inside the child.
    await expect(startAmplifyBackend({ collections: ['1st-things'] })).rejects.toThrow(
      /^Amplify test backend: schema failed to start: Amplify test backend: collection "1st-things" has no valid GraphQL type name$/,
    );
  }, 60_000);
});

/**
 * Smoke test of the Parse test backend: starts a real Parse Server (PGlite, or
 * PARSE_DATABASE_URI), exercises each service once through the parse/node SDK,
 * and stops it. Names are unique per run so it also passes on a reused database.
 */
import ParseSDK from 'parse/node';
import { startParseServer, type ParseTestServer } from './server.js';

// parse/node's types declare the module as a namespace (`export =`), but at run
// time the module *is* the Parse object, which the types call its `default`.
const Parse = ParseSDK as unknown as typeof ParseSDK.default;

jest.setTimeout(120_000);

const run = Math.random().toString(36).slice(2, 10);
let server: ParseTestServer;

/** Resolves with the first value `subscribe` delivers, or rejects after `ms`. */
function nextEvent<T>(subscribe: (deliver: (value: T) => void) => void, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
    subscribe((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

async function expectParseError(promise: Promise<unknown>, code: number): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

beforeAll(async () => {
  const started = Date.now();
  server = await startParseServer();
  const database = process.env.PARSE_DATABASE_URI ? 'external PostgreSQL' : 'PGlite';
  console.log(`Parse test server (${database}) started in ${Date.now() - started} ms at ${server.serverURL}`);

  Parse.initialize(server.appId, server.javascriptKey);
  Parse.serverURL = server.serverURL;
  Parse.liveQueryServerURL = server.liveQueryServerURL;
  Parse.allowCustomObjectId = true; // else the SDK treats an object with an id as existing (PUT)
  Parse.User.enableUnsafeCurrentUser();
});

afterAll(async () => {
  await Parse.LiveQuery.close();
  await server?.stop();
});

test('saves and queries an object with a custom objectId', async () => {
  const id = `todo${run}`;
  const todo = new Parse.Object('todos', { title: 'first', done: false });
  todo.id = id;
  await todo.save();
  const found = await new Parse.Query('todos').equalTo('objectId', id).find();
  expect(found.map((o) => [o.id, o.get('title')])).toEqual([[id, 'first']]);
});

test('signs up and logs in; whoami sees the user; cloud functions work', async () => {
  const username = `alice${run}`;
  const signedUp = await new Parse.User({ username, password: 'pw-1234' }).signUp();
  await Parse.User.logOut();
  const user = await Parse.User.logIn(username, 'pw-1234');
  expect(user.id).toBe(signedUp.id);

  const token = user.getSessionToken() ?? undefined;
  expect(await Parse.Cloud.run('whoami', {}, { sessionToken: token })).toEqual({ uid: user.id });
  expect(await Parse.Cloud.run('echo', { input: 'x', n: 1 })).toEqual({ input: 'x', n: 1 });
  expect(await Parse.Cloud.run('slow', { ms: 20 })).toEqual({ ok: true });
  await expect(Parse.Cloud.run('fail')).rejects.toMatchObject({ code: 142, message: 'bad input' });
  await Parse.User.logOut();
  expect(await Parse.Cloud.run('whoami')).toEqual({ uid: null });
});

test('uploads a file and fetches it back', async () => {
  const file = new Parse.File('hello.txt', { base64: Buffer.from('hello file').toString('base64') }, 'text/plain');
  await file.save();
  const url = file.url();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/parse\/files\//);
  const response = await fetch(url!);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('hello file');
});

test('Parse.Config holds the default params', async () => {
  const config = await Parse.Config.get();
  expect(config.get('welcome')).toBe('hello');
  expect(config.get('maxItems')).toBe(20);
});

test('LiveQuery delivers a create event, also after restart()', async () => {
  const subscription = await new Parse.Query('items').equalTo('run', run).subscribe();
  // subscribe() resolves on the server's ack; the SDK emits 'open' 200 ms later.
  // Consume it here so that the next 'open' is the one after reconnecting.
  await nextEvent<void>((deliver) => subscription.on('open', () => deliver()));
  const created = nextEvent<ParseSDK.Object>((deliver) => subscription.on('create', deliver));
  await new Parse.Object('items', { run, n: 1 }).save();
  expect((await created).get('n')).toBe(1);

  // The SDK notices the dropped socket, reconnects with backoff and
  // re-subscribes. Events in between are lost, not replayed.
  const reopened = nextEvent<void>((deliver) => subscription.on('open', () => deliver()), 30_000);
  await server.restart();
  await reopened;
  const createdAgain = nextEvent<ParseSDK.Object>((deliver) => subscription.on('create', deliver));
  await new Parse.Object('items', { run, n: 2 }).save();
  expect((await createdAgain).get('n')).toBe(2);
  await subscription.unsubscribe();
});

test('owned: only the owner may write, read or delete', async () => {
  const a = await new Parse.User({ username: `ownerA${run}`, password: 'pw-a' }).signUp();
  const aToken = a.getSessionToken() ?? undefined;
  const mine = await new Parse.Object('owned', { owner: a.id }).save(null, { sessionToken: aToken });
  const mineId = mine.id!;
  const b = await new Parse.User({ username: `ownerB${run}`, password: 'pw-b' }).signUp();
  const bToken = b.getSessionToken() ?? undefined;

  await expectParseError(new Parse.Object('owned', { owner: a.id }).save(null, { sessionToken: bToken }), 119);
  await expectParseError(new Parse.Object('owned', { owner: a.id }).save(), 119); // B is the current user
  await expectParseError(new Parse.Query('owned').get(mineId, { sessionToken: bToken }), 119);
  await expectParseError(mine.destroy({ sessionToken: bToken }), 119);
  await expect(new Parse.Query('owned').get(mineId, { sessionToken: aToken })).resolves.toMatchObject({ id: mineId });
  await Parse.User.logOut();
});

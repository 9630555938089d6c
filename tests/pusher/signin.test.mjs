// User authentication (pusher:signin) against pusher-js 8 and the pusher SDK 5: a socket
// signs in with what the SDK's authenticateUser makes (Laravel's
// Broadcast::resolveAuthenticatedUser), is given its user's channel, and the SDK's
// sendToUser() reaches it, on whichever node the trigger is made. Bad signatures, bad
// user data and someone else's user channel are refused, and the socket keeps serving.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Pusher from 'pusher-js';
import { APP, RawSocket, disconnectAll, errorData, next, signer, startPusherServer, startRedis } from './harness.mjs';

let redis, a, b;
before(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([startPusherServer(['--store', redis.url]), startPusherServer(['--store', redis.url])]);
});
after(() => { disconnectAll(); a?.stop(); b?.stop(); redis?.stop(); });

const opened = [];
after(() => { for (const p of opened) p.disconnect(); });

// A pusher-js client that signs in as `user` (the SDK signs, as the backend would).
function signingIn(server, user) {
  const s = signer(server);
  const p = new Pusher(APP.key, {
    wsHost: '127.0.0.1', wsPort: server.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true,
    cluster: 'presenced',
    userAuthentication: { customHandler: ({ socketId }, cb) => cb(null, s.authenticateUser(socketId, user)) },
  });
  opened.push(p);
  return p;
}

async function signedIn(p) {
  p.signin();
  await p.user.signinDonePromise;
  const ch = p.user.serverToUserChannel;  // pusher-js keeps it apart from p.channels
  if (!ch.subscribed) await next(ch, 'pusher:subscription_succeeded');
}

test("pusher-js signs in, and sendToUser() reaches each of the user's sockets on every node", async () => {
  const onA = signingIn(a, { id: 'u-42', user_info: { name: 'Alice' } });
  const onB = signingIn(b, { id: 'u-42', user_info: { name: 'Alice' } });
  const other = signingIn(b, { id: 'u-7' });
  await Promise.all([signedIn(onA), signedIn(onB), signedIn(other)]);
  assert.deepEqual(onA.user.user_data, { id: 'u-42', user_info: { name: 'Alice' } });
  const seen = { a: [], b: [], other: [] };
  onA.user.bind('Notice', (d) => seen.a.push(d));
  onB.user.bind('Notice', (d) => seen.b.push(d));
  other.user.bind('Notice', (d) => seen.other.push(d));
  await signer(a).sendToUser('u-42', 'Notice', { text: 'saved' });
  const deadline = Date.now() + 10_000;
  while ((seen.a.length === 0 || seen.b.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(seen.a, [{ text: 'saved' }]);
  assert.deepEqual(seen.b, [{ text: 'saved' }]);
  assert.deepEqual(seen.other, [], "not to another user's sockets");
});

test("a bad signin, bad user data and another user's channel are refused; the socket keeps serving", async () => {
  const raw = await RawSocket.open(a);
  const established = await raw.event('pusher:connection_established');
  const socketId = JSON.parse(established.data).socket_id;
  const errors = () => raw.frames.filter((f) => f.event === 'pusher:error').map(errorData);
  const nthError = async (n) => { await raw.frame(() => errors().length >= n); return errors()[n - 1]; };
  const sdk = signer(a);

  const forged = { ...sdk.authenticateUser(socketId, { id: 'u-1' }) };
  forged.user_data = JSON.stringify({ id: 'admin' });  // the signature is for u-1
  raw.send({ event: 'pusher:signin', data: forged });
  assert.deepEqual(await nthError(1), { code: 4009, message: 'Invalid signature: the auth does not sign this socket and user_data.' });
  const otherSocket = sdk.authenticateUser('1.1', { id: 'u-1' });  // another socket's
  raw.send({ event: 'pusher:signin', data: otherSocket });
  assert.equal((await nthError(2)).code, 4009);
  const spaced = sdk.authenticateUser(socketId, { id: 'has space' });  // signed, but no channel can name it
  raw.send({ event: 'pusher:signin', data: spaced });
  assert.match((await nthError(3)).message, /string id/);
  raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-u-1' } });
  const refused = await raw.frame((f) => f.event === 'pusher:subscription_error');
  assert.equal(refused.data.status, 403, 'not signed in: no user channel');

  raw.send({ event: 'pusher:signin', data: sdk.authenticateUser(socketId, { id: 'u-1' }) });
  const success = await raw.event('pusher:signin_success');
  assert.deepEqual(JSON.parse(JSON.parse(success.data).user_data), { id: 'u-1' });
  raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-u-2' } });
  await raw.frame(() => raw.frames.filter((f) => f.event === 'pusher:subscription_error').length >= 2);
  raw.send({ event: 'pusher:signin', data: sdk.authenticateUser(socketId, { id: 'u-2' }) });
  assert.match((await nthError(4)).message, /signed in already/);
  raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-u-1' } });
  await raw.frame((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === '#server-to-user-u-1');
  raw.send({ event: 'pusher:ping', data: {} });
  await raw.event('pusher:pong');
  raw.close();
});

test("terminateUserConnections() closes the user's sockets on every node with 4009, and no one else's", async () => {
  const onA = signingIn(a, { id: 'leaver' }), onB = signingIn(b, { id: 'leaver' }), stays = signingIn(a, { id: 'stayer' });
  await Promise.all([signedIn(onA), signedIn(onB), signedIn(stays)]);
  const closedWith = (p) => new Promise((resolve) => p.connection.bind('error', (e) => {
    if (e?.data?.code) resolve(e.data.code);
  }));
  const codes = Promise.all([closedWith(onA), closedWith(onB)]);
  const response = await signer(b).terminateUserConnections('leaver');
  assert.equal(response.status, 200);
  assert.deepEqual(await codes, [4009, 4009]);
  const deadline = Date.now() + 10_000;
  while ((onA.connection.state !== 'disconnected' || onB.connection.state !== 'disconnected') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(onA.connection.state, 'disconnected', 'pusher-js does not reconnect after 4009');
  assert.equal(onB.connection.state, 'disconnected');
  assert.equal(stays.connection.state, 'connected');
});

test('terminate_connections refuses a user id no socket can hold, and an unsigned request', async () => {
  const bad = await signer(a).post({ path: '/users/has%20space/terminate_connections', body: {} }).catch((e) => e);
  assert.equal(bad.status, 400);
  const wrong = signer(a);
  wrong.config.token.secret = 'not-the-secret';
  const unsigned = await wrong.terminateUserConnections('u-1').catch((e) => e);
  assert.equal(unsigned.status, 401);
});

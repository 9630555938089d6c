// The Pusher endpoint against the ecosystem's own clients: pusher-js 8 and laravel-echo 2
// connect unchanged, private channels take the signatures the pusher SDK (Laravel's
// broadcaster) makes, client events (Echo's whisper) reach the others and not the sender,
// and bad input gets Pusher's answers while the socket keeps serving.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { APP, OTHER_APP, RawSocket, client, disconnectAll, errorData, next, signer, startPusherServer, subscribed }
  from './harness.mjs';
import { startServer } from '../e2e/harness.mjs';

let server;
before(async () => { server = await startPusherServer(['--pusher-activity-timeout', '2']); });
after(() => { disconnectAll(); server?.stop(); });

test('pusher-js connects and is given a socket id', async () => {
  const p = client(server);
  await next(p.connection, 'connected');
  assert.match(p.connection.socket_id, /^\d+\.\d+$/);
  const raw = await RawSocket.open(server);
  const established = await raw.event('pusher:connection_established');
  const data = JSON.parse(established.data);  // a JSON-encoded string, as Pusher sends it
  assert.match(data.socket_id, /^\d+\.\d+$/);
  assert.notEqual(data.socket_id, p.connection.socket_id);
  assert.equal(data.activity_timeout, 2);
  raw.close();
});

test('an unknown app key is told 4001 and closed, and pusher-js does not retry', async () => {
  const raw = await RawSocket.open(server, 'no-such-key');
  const error = errorData(await raw.event('pusher:error'));
  assert.equal(error.code, 4001);
  assert.equal((await raw.closed).code, 4001);

  const p = client(server, { app: { ...APP, key: 'no-such-key' } });
  const states = [];
  p.connection.bind('state_change', ({ current }) => states.push(current));
  const told = await next(p.connection, 'error');
  assert.equal(told.error.data.code, 4001);
  await new Promise((r) => setTimeout(r, 3000));  // pusher-js would have tried again by now
  assert.equal(p.connection.state, 'disconnected');
  assert.deepEqual(states, ['disconnected'], 'no second attempt');
});

test('pusher:ping is answered with pusher:pong', async () => {
  const raw = await RawSocket.open(server);
  await raw.event('pusher:connection_established');
  raw.send({ event: 'pusher:ping', data: {} });
  await raw.event('pusher:pong');
  raw.close();
});

test('a silent client is pinged after the activity timeout, and closed with 4201 when it stays silent', async () => {
  const raw = await RawSocket.open(server);
  await raw.event('pusher:connection_established');
  raw.ws.pong = () => {};
  await raw.event('pusher:ping', 10_000);
  const closed = await Promise.race([raw.closed, new Promise((r) => setTimeout(() => r(null), 15_000))]);
  assert.ok(closed, 'closed within the timeouts');
  assert.equal(closed.code, 4201);
});

test('a client that answers the ping stays connected', async () => {
  const raw = await RawSocket.open(server);
  await raw.event('pusher:connection_established');
  await raw.event('pusher:ping', 10_000);
  raw.send({ event: 'pusher:pong', data: {} });
  const closed = await Promise.race([raw.closed, new Promise((r) => setTimeout(() => r(null), 2500))]);
  assert.equal(closed, null, 'still open a full activity timeout after its pong');
  raw.close();
});

test('public channels: subscribe, and unsubscribe', async () => {
  const p = client(server);
  const channel = await subscribed(p, 'orders');
  assert.equal(channel.subscribed, true);
  p.unsubscribe('orders');
  // Subscribing again works (the server forgot the first).
  await subscribed(p, 'orders');
});

test('a private channel takes the signature the pusher SDK makes, and refuses any other', async () => {
  const good = client(server);
  await subscribed(good, 'private-orders.7');

  const forged = client(server, { sign: () => ({ auth: `${APP.key}:${'0'.repeat(64)}` }) });
  const refused = await next(forged.subscribe('private-orders.7'), 'pusher:subscription_error');
  assert.equal(refused.type, 'AuthError');
  assert.equal(refused.status, 401);

  // A signature for another socket id, another channel or another app's secret.
  const theft = client(server, { sign: (_, channel) => signer(server).authorizeChannel('1.1', channel) });
  assert.equal((await next(theft.subscribe('private-orders.7'), 'pusher:subscription_error')).type, 'AuthError');
  const otherChannel = client(server, { sign: (socketId) => signer(server).authorizeChannel(socketId, 'private-x') });
  assert.equal((await next(otherChannel.subscribe('private-orders.7'), 'pusher:subscription_error')).status, 401);
  const otherSecret = client(server, { sign: (socketId, channel) => signer(server, { ...APP, secret: 'wrong-secret-000' }).authorizeChannel(socketId, channel) });
  assert.equal((await next(otherSecret.subscribe('private-orders.7'), 'pusher:subscription_error')).status, 401);

  // The refused sockets still serve.
  await subscribed(forged, 'orders');
});

test('Echo: whisper reaches the others on the channel, never the sender', async () => {
  const echo = (p) => new Echo({ broadcaster: 'pusher', client: p });
  const alice = echo(client(server)), bob = echo(client(server)), carol = echo(client(server));
  const seen = { alice: [], bob: [], carol: [] };
  alice.private('doc.1').listenForWhisper('typing', (e) => seen.alice.push(e));
  bob.private('doc.1').listenForWhisper('typing', (e) => seen.bob.push(e));
  carol.private('doc.2').listenForWhisper('typing', (e) => seen.carol.push(e));
  for (const e of [alice, bob, carol]) {
    const ch = e.connector.pusher.channel(e === carol ? 'private-doc.2' : 'private-doc.1');
    if (!ch.subscribed) await next(ch, 'pusher:subscription_succeeded');
  }
  alice.private('doc.1').whisper('typing', { field: 'title', name: 'Alice' });
  const deadline = Date.now() + 10_000;
  while (seen.bob.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen.bob, [{ field: 'title', name: 'Alice' }]);
  await new Promise((r) => setTimeout(r, 300));  // what would have come by now
  assert.deepEqual(seen.alice, [], 'not echoed to the sender');
  assert.deepEqual(seen.carol, [], 'not to another channel');
});

test("two apps never share a channel", async () => {
  const a = client(server), b = client(server, { app: OTHER_APP });
  const ca = await subscribed(a, 'private-shared');
  const cb = await subscribed(b, 'private-shared');
  const c = client(server, { app: OTHER_APP });
  const cc = await subscribed(c, 'private-shared');
  const heardA = [];
  ca.bind('client-hello', (d) => heardA.push(d));
  const heardC = next(cc, 'client-hello');
  cb.trigger('client-hello', { from: 'b' });
  assert.deepEqual(await heardC, { from: 'b' });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(heardA, []);
});

test('bad input gets pusher:error and the socket keeps serving', async () => {
  const raw = await RawSocket.open(server);
  await raw.event('pusher:connection_established');
  const errors = () => raw.frames.filter((f) => f.event === 'pusher:error').map(errorData);
  const nthError = async (n) => { await raw.frame(() => errors().length >= n); return errors()[n - 1]; };

  raw.send('not json');
  assert.equal((await nthError(1)).code, null);
  raw.send({ event: 'pusher:no-such-thing', data: {} });
  assert.match((await nthError(2)).message, /Unknown event/);
  raw.send({ event: 'pusher:subscribe', data: { channel: 'bad channel name!' } });
  assert.match((await nthError(3)).message, /Invalid channel name/);
  raw.send({ event: 'pusher:subscribe', data: {} });
  assert.match((await nthError(4)).message, /channel/);
  raw.send({ event: 'pusher:subscribe', data: { channel: 'public-room' } });
  await raw.frame((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === 'public-room');
  raw.send({ event: 'client-hi', channel: 'public-room', data: {} });
  assert.match((await nthError(5)).message, /only for private and presence channels/);
  raw.send({ event: 'client-hi', channel: 'private-not-subscribed', data: {} });
  assert.match((await nthError(6)).message, /subscription/);
  raw.send({ event: 'pusher:subscribe', data: { channel: 'private-encrypted-x', auth: 'x' } });
  const encrypted = await raw.frame((f) => f.event === 'pusher:subscription_error' && f.channel === 'private-encrypted-x');
  assert.equal(encrypted.data.status, 400);

  // Still serving.
  raw.send({ event: 'pusher:ping', data: {} });
  await raw.event('pusher:pong');
  raw.close();
});

test('client events over the rate get 4301, and the socket keeps serving', async () => {
  const sender = client(server), receiver = client(server);
  const ch = await subscribed(sender, 'private-rate');
  const heard = [];
  (await subscribed(receiver, 'private-rate')).bind('client-burst', (d) => heard.push(d));
  const errors = [];
  sender.connection.bind('error', (e) => errors.push(e));
  for (let i = 0; i < 40; i++) ch.trigger('client-burst', { i });
  const deadline = Date.now() + 10_000;
  while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(errors.length > 0, 'told');
  assert.equal(errors[0].data.code, 4301);  // pusher-js: a pusher:error that closes nothing
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(heard.length >= 10 && heard.length < 40, `${heard.length} of 40 passed`);
  assert.equal(sender.connection.state, 'connected');
});

test('a client event over 10 KB is refused', async () => {
  const raw = await RawSocket.open(server);
  const { socket_id } = JSON.parse((await raw.event('pusher:connection_established')).data);
  raw.send({ event: 'pusher:subscribe', data: { channel: 'private-big', ...signer(server).authorizeChannel(socket_id, 'private-big') } });
  await raw.event('pusher_internal:subscription_succeeded');
  raw.send({ event: 'client-big', channel: 'private-big', data: { text: 'x'.repeat(11_000) } });
  assert.match(errorData(await raw.event('pusher:error')).message, /10 KB/);
  raw.close();
});

test('without --pusher-app there is no Pusher endpoint', async () => {
  const plain = await startServer();
  try {
    const r = await fetch(`${plain.url}/app/${APP.key}`);
    assert.equal(r.status, 404);
  } finally {
    plain.stop();
  }
  const r = await fetch(`${server.url}/app/${APP.key}`);
  assert.equal(r.status, 426, 'with it, a plain GET is asked to upgrade');
});

// Presence channels: a member is a user (the channel_data the app signs, as Laravel's
// PusherBroadcaster does through the pusher SDK), not a connection; Echo's here(),
// joining() and leaving() see users come and go, a user's second connection is no news,
// and a closed socket leaves after the leave grace. A channel named
// presence-tenant.{tenant}.{type}.{id} is the record's presence: an HTTP heartbeat's tab is
// a member, an Echo member is in /viewers. On two nodes on one Redis, everyone sees
// everyone (laravel/reverb#273).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { APP, RawSocket, client, disconnectAll, signer, sleep, startPusherServer, startRedis, until } from './harness.mjs';
import { call, tokenFor } from '../e2e/harness.mjs';
import WebSocket from 'ws';

const GRACE = ['--leave-grace', '0.3'];
let one, redis, a, b;
before(async () => {
  redis = await startRedis();
  [one, a, b] = await Promise.all([startPusherServer(GRACE), startPusherServer(['--store', redis.url, ...GRACE]),
                                   startPusherServer(['--store', redis.url, ...GRACE])]);
});
after(() => { disconnectAll(); one?.stop(); a?.stop(); b?.stop(); redis?.stop(); });


// An Echo of user `id` (a number, as Laravel's user ids are) on `server`: its presence
// channels signed with the user's channel_data, the way a Broadcast::channel callback
// returning ['id' => .., 'name' => ..] has Laravel sign them.
function echoOf(server, id, info = { id, name: `User ${id}` }) {
  const s = signer(server);
  const p = client(server, {
    sign: (socketId, channel) => s.authorizeChannel(socketId, channel, { user_id: id, user_info: info }),
  });
  return new Echo({ broadcaster: 'pusher', client: p });
}

// Joins `name` and keeps what Echo tells: here (once), joining and leaving (in order).
function join(echo, name) {
  const seen = { here: null, joining: [], leaving: [], errors: [] };
  echo.join(name)
    .here((users) => { seen.here = users; })
    .joining((u) => seen.joining.push(u))
    .leaving((u) => seen.leaving.push(u))
    .error((e) => seen.errors.push(e));
  return seen;
}
const ids = (users) => users.map((u) => u.id).sort((x, y) => x - y);

test('Echo join(): here() lists the users, joining() and leaving() tell each user once', async () => {
  const first = join(echoOf(one, 1), 'room.1');
  await until(() => first.here, 'here() for the first');
  assert.deepEqual(first.here, [{ id: 1, name: 'User 1' }]);

  const secondEcho = echoOf(one, 2, { id: 2, name: 'Bea', role: 'editor' });
  const second = join(secondEcho, 'room.1');
  await until(() => second.here && first.joining.length === 1, 'the second joins');
  assert.deepEqual(ids(second.here), [1, 2]);
  // user_info passed on as the app's callback gave it, not only what presenced shows
  assert.deepEqual(first.joining, [{ id: 2, name: 'Bea', role: 'editor' }]);

  // A second connection of user 2: no one is told
  const again = join(echoOf(one, 2, { id: 2, name: 'Bea', role: 'editor' }), 'room.1');
  await until(() => again.here, 'here() for the second connection');
  assert.deepEqual(ids(again.here), [1, 2]);
  secondEcho.disconnect();
  await sleep(800);  // past the grace: user 2 is still there by the other connection
  assert.equal(first.leaving.length, 0);
  assert.equal(first.joining.length, 1);
});

test("a whisper on a presence channel names its sender's user, never reaching the sender", async () => {
  const sender = echoOf(one, 60), hearer = echoOf(one, 61);
  const s = join(sender, 'room.whisper'), h = join(hearer, 'room.whisper');
  await until(() => s.here && h.here, 'both joined');
  const heard = [], echoed = [];
  hearer.connector.pusher.channel('presence-room.whisper').bind('client-typing', (data, meta) => heard.push([data, meta?.user_id]));
  sender.connector.pusher.channel('presence-room.whisper').bind('client-typing', (data) => echoed.push(data));
  sender.join('room.whisper').whisper('typing', { field: 'title' });
  await until(() => heard.length === 1, 'the whisper');
  assert.deepEqual(heard, [[{ field: 'title' }, '60']]);
  await sleep(200);
  assert.deepEqual(echoed, []);
});

test('a closed socket leaves after the grace; a member who unsubscribes leaves at once', async () => {
  const watcher = join(echoOf(one, 10), 'room.2');
  await until(() => watcher.here, 'here()');
  const goer = echoOf(one, 11);
  const going = join(goer, 'room.2');
  await until(() => going.here && watcher.joining.length === 1, 'user 11 joins');
  goer.leave('room.2');
  await until(() => watcher.leaving.length === 1, 'user 11 leaves on leave()');
  assert.deepEqual(watcher.leaving, [{ id: 11, name: 'User 11' }]);

  const closer = echoOf(one, 12);
  const closing = join(closer, 'room.2');
  await until(() => closing.here && watcher.joining.length === 2, 'user 12 joins');
  const closedAt = Date.now();
  closer.disconnect();
  await until(() => watcher.leaving.length === 2, 'user 12 leaves after the grace', 10_000);
  assert.ok(Date.now() - closedAt >= 250, 'not before the grace');
  assert.deepEqual(watcher.leaving[1], { id: 12, name: 'User 12' });
});

test('a reload within the grace does not flap', async () => {
  // A grace of its own, long enough for a slow (sanitizer) build to reconnect within it.
  const server = await startPusherServer(['--leave-grace', '3']);
  try {
    const watcher = join(echoOf(server, 20), 'room.3');
    await until(() => watcher.here, 'here()');
    const before = echoOf(server, 21);
    const first = join(before, 'room.3');
    await until(() => first.here && watcher.joining.length === 1, 'user 21 joins');
    const closedAt = Date.now();
    before.disconnect();
    const reloaded = join(echoOf(server, 21), 'room.3');  // the page's next load
    await until(() => reloaded.here, 'here() after the reload');
    await sleep(Math.max(0, closedAt + 3_500 - Date.now()));  // past the old socket's grace
    assert.equal(watcher.leaving.length, 0);
    assert.equal(watcher.joining.length, 1);
  } finally {
    server.stop();
  }
});

test('the record presence channel is the record: an HTTP tab is a member, an Echo member is a viewer', async () => {
  const token = await tokenFor(one, 31, 'Ann Http');
  const hb = await call(one, token, 'POST', 77, 'heartbeat', { tab_id: 'http-tab-1', mode: 'edit', dirty: false });
  assert.equal(hb.status, 200);
  const echo = join(echoOf(one, 32, { id: 32, name: 'Eve Echo' }), 'tenant.1.flow.77');
  await until(() => echo.here, 'here()');
  assert.deepEqual(echo.here.map((u) => u.name).sort(), ['Ann Http', 'Eve Echo']);
  const viewers = await call(one, token, 'GET', 77, 'viewers');
  assert.equal(viewers.status, 200);
  assert.deepEqual(viewers.body.data.viewers.map((v) => [v.id, v.name]), [[32, 'Eve Echo']]);  // the caller left out

  const other = await tokenFor(one, 33, 'Ola Http');
  await call(one, other, 'POST', 77, 'heartbeat', { tab_id: 'http-tab-2', mode: 'view', dirty: false });
  await until(() => echo.joining.length === 1, 'the second HTTP tab joins');
  assert.deepEqual(echo.joining, [{ id: 33, name: 'Ola Http' }]);
  const gone = await call(one, other, 'DELETE', 77, 'unregister', { tab_id: 'http-tab-2' });
  assert.equal(gone.status, 200);
  await until(() => echo.leaving.length === 1, 'and leaves');
});

test("a record's channel carries presenced's own events: modes, unsaved changes and saves reach Echo's listen()", async () => {
  const token = await tokenFor(one, 51, 'Dirk Http');
  await call(one, token, 'POST', 88, 'heartbeat', { tab_id: 'http-51', mode: 'view', dirty: false });
  const echo = echoOf(one, 52, { id: 52, name: 'Echo Member' });
  const diffs = [], saves = [];
  let snapshot = null;
  echo.join('tenant.1.flow.88')
    .listen('.presenced.presence', (e) => { snapshot = e; })
    .listen('.presenced.presence_diff', (e) => diffs.push(e))
    .listen('.presenced.saved', (e) => saves.push(e));
  await until(() => snapshot, 'the record as presenced shows it');
  assert.equal(snapshot.type, 'presence');
  assert.equal(snapshot.record_id, '88');
  assert.deepEqual(snapshot.viewers.map((v) => v.id).sort(), [51, 52]);
  await call(one, token, 'POST', 88, 'heartbeat', { tab_id: 'http-51', mode: 'edit', dirty: true, active_field: 'title' });
  await until(() => diffs.some((d) => d.updated?.some((v) => v.id === 51 && v.has_dirty_tab)), 'the unsaved change');
  const update = diffs.find((d) => d.updated?.some((v) => v.id === 51)).updated.find((v) => v.id === 51);
  assert.equal(update.mode, 'edit');
  assert.deepEqual(update.fields, ['title']);
  const saved = await call(one, token, 'POST', 88, 'saved', { lock_version: 4 });
  assert.equal(saved.status, 200);
  await until(() => saves.length === 1, 'the save');
  assert.deepEqual(saves[0], { type: 'saved', record_type: 'flow', record_id: '88', by: { id: 51, name: 'Dirk Http' }, lock_version: 4 });

  // Not on other presence channels: their records are the channel's own.
  const plain = [];
  echoOf(one, 53).join('chat-88').listen('.presenced.presence', (e) => plain.push(e)).here(() => plain.push('here'));
  await until(() => plain.includes('here'), 'here() on the plain channel');
  await sleep(300);
  assert.deepEqual(plain, ['here']);
});

test("a member's tab is renewed by the server while subscribed: it outlives the TTL", async () => {
  const short = await startPusherServer(['--presence-ttl', '5', ...GRACE]);
  try {
    const watcher = join(echoOf(short, 40), 'tenant.1.flow.5');
    await until(() => watcher.here, 'here()');
    const stayer = join(echoOf(short, 41), 'tenant.1.flow.5');
    await until(() => stayer.here && watcher.joining.length === 1, 'user 41 joins');
    await sleep(11_000);  // more than twice the TTL, without a frame from the clients
    assert.equal(watcher.leaving.length, 0);
    const token = await tokenFor(short, 42);
    const viewers = await call(short, token, 'GET', 5, 'viewers');
    assert.deepEqual(viewers.body.data.viewers.map((v) => v.id).sort(), [40, 41]);
  } finally {
    short.stop();
  }
});

test('bad presence subscriptions get a subscription_error and the socket goes on', async () => {
  const raw = await RawSocket.open(one);
  const { socket_id: socketId } = JSON.parse((await raw.event('pusher:connection_established')).data);
  const s = signer(one);
  const tries = [
    ['presence-a', { user_id: 5 }, (auth) => ({ ...auth, auth: `${APP.key}:${'0'.repeat(64)}` }), 401],
    ['presence-b', { user_id: { nested: 1 } }, (auth) => auth, 400],
    ['presence-c', { user_id: '' }, (auth) => auth, 400],
    ['presence-d', { user_id: 5, user_info: 'text' }, (auth) => auth, 400],
    ['presence-e', { user_id: 5, user_info: { blob: 'x'.repeat(1100) } }, (auth) => auth, 400],
  ];
  for (const [channel, data, spoil, status] of tries) {
    const auth = spoil(s.authorizeChannel(socketId, channel, data));
    raw.send({ event: 'pusher:subscribe', data: { channel, ...auth } });
    const error = await raw.frame((f) => f.event === 'pusher:subscription_error' && f.channel === channel);
    assert.equal(error.data.status, status, channel);
  }
  const ok = s.authorizeChannel(socketId, 'presence-f', { user_id: 'u-5', user_info: { name: 'Five' } });
  raw.send({ event: 'pusher:subscribe', data: { channel: 'presence-f', ...ok } });
  const succeeded = await raw.frame((f) => f.event === 'pusher_internal:subscription_succeeded');
  assert.equal(succeeded.channel, 'presence-f');
  assert.deepEqual(JSON.parse(succeeded.data), { presence: { count: 1, ids: ['u-5'], hash: { 'u-5': { name: 'Five' } } } });
  raw.close();
});

test('two nodes on one Redis: everyone sees everyone, a user leaves when their last connection anywhere goes (reverb#273)', async () => {
  const onA = join(echoOf(a, 1), 'spread');
  await until(() => onA.here, 'here() on A');
  const onB = join(echoOf(b, 2), 'spread');
  await until(() => onB.here && onA.joining.length === 1, 'user 2 on B joins');
  assert.deepEqual(ids(onB.here), [1, 2]);
  const threeA = echoOf(a, 3), threeB = echoOf(b, 3);
  const t1 = join(threeA, 'spread');
  await until(() => t1.here && onA.joining.length === 2 && onB.joining.length === 1, 'user 3 joins');
  const t2 = join(threeB, 'spread');
  await until(() => t2.here, "user 3's second connection, on the other node");
  assert.deepEqual(ids(t2.here), [1, 2, 3]);
  // The SDK reads the channel's users and count on either node: users, not connections.
  for (const node of [a, b]) {
    const users = await (await signer(node).get({ path: '/channels/presence-spread/users' })).json();
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['1', '2', '3']);
    const info = await (await signer(node).get({ path: '/channels/presence-spread', params: { info: 'user_count' } })).json();
    assert.deepEqual(info, { occupied: true, user_count: 3 });
    // The channel list counts users too, and the four sockets of every node.
    const list = await (await signer(node).get({
      path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count,subscription_count' } })).json();
    assert.deepEqual(list.channels['presence-spread'], { user_count: 3, subscription_count: 4 });
  }
  threeA.disconnect();
  await sleep(1_000);  // past the grace: user 3 is still there by B
  assert.equal(onA.leaving.length, 0);
  assert.equal(onB.leaving.length, 0);
  threeB.disconnect();
  await until(() => onA.leaving.length === 1 && onB.leaving.length === 1, 'user 3 leaves on both nodes');
  assert.deepEqual(onA.leaving, [{ id: 3, name: 'User 3' }]);
  assert.equal(onA.joining.length, 2);
  const info = await (await signer(b).get({ path: '/channels/presence-spread', params: { info: 'user_count' } })).json();
  assert.deepEqual(info, { occupied: true, user_count: 2 });
  const empty = await (await signer(a).get({ path: '/channels/presence-nobody', params: { info: 'user_count' } })).json();
  assert.deepEqual(empty, { occupied: false, user_count: 0 });
});

test("--max-sockets-per-user counts a user's Pusher sockets with their native ones", async () => {
  const limited = await startPusherServer(['--max-sockets-per-user', '2']);
  try {
    // A native socket of user 7 of tenant 1: one of their two places.
    const token = await tokenFor(limited, '7');
    const native = new WebSocket(`ws://127.0.0.1:${limited.port}/api/v1/presence/ws`);
    await new Promise((resolve, reject) => { native.once('open', resolve); native.once('error', reject); });
    const authenticated = new Promise((resolve) => native.on('message', (m) => {
      if (JSON.parse(String(m)).type === 'authenticated') resolve();
    }));
    native.send(JSON.stringify({ type: 'auth', token }));
    await authenticated;  // its place is held from here

    const s = signer(limited);
    const joinAs = async (user, channel) => {
      const raw = await RawSocket.open(limited);
      const { socket_id: socketId } = JSON.parse((await raw.event('pusher:connection_established')).data);
      raw.join = (ch) => raw.send({ event: 'pusher:subscribe',
                                    data: { channel: ch, ...s.authorizeChannel(socketId, ch, { user_id: user }) } });
      raw.join(channel);
      return raw;
    };
    const answer = (raw, channel) => raw.frame((f) => f.channel === channel &&
      (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error'));

    const second = await joinAs(7, 'presence-tenant.1.flow.70');
    assert.equal((await answer(second, 'presence-tenant.1.flow.70')).event, 'pusher_internal:subscription_succeeded');
    // The same socket joining another record as the same user takes no second place.
    second.join('presence-tenant.1.flow.71');
    assert.equal((await answer(second, 'presence-tenant.1.flow.71')).event, 'pusher_internal:subscription_succeeded');

    const third = await joinAs(7, 'presence-tenant.1.flow.72');
    const refused = await answer(third, 'presence-tenant.1.flow.72');
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.equal(refused.data.type, 'LimitReached');
    assert.equal(refused.data.status, 429);
    // Another user is not limited by user 7.
    const other = await joinAs(8, 'presence-tenant.1.flow.72');
    assert.equal((await answer(other, 'presence-tenant.1.flow.72')).event, 'pusher_internal:subscription_succeeded');

    // The closed native socket gives its place back, and the refused socket, still open, takes it.
    native.close();
    let placed = false;
    for (let attempt = 0; !placed && attempt < 50; ++attempt) {  // until the server has seen the close
      const channel = `presence-tenant.1.flow.${100 + attempt}`;
      third.join(channel);
      placed = (await answer(third, channel)).event === 'pusher_internal:subscription_succeeded';
      if (!placed) await sleep(100);
    }
    assert.ok(placed, 'a place once the native socket closed');
    second.close();
    third.close();
    other.close();
  } finally {
    limited.stop();
  }
});

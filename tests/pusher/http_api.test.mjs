// The Pusher HTTP API against the pusher SDK 5 (what Laravel's pusher and reverb
// broadcasters call): a broadcast() reaches Echo's listeners, toOthers() leaves out the
// sender's socket, batches arrive, and every refusal is Pusher's status with a reason.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import Echo from 'laravel-echo';
import PusherServer from 'pusher';
import { APP, OTHER_APP, client, disconnectAll, next, signer, subscribed, startPusherServer } from './harness.mjs';

let server;
before(async () => { server = await startPusherServer(); });
after(() => { disconnectAll(); server?.stop(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(20);
}
// The status and JSON body of a refused SDK call.
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return { status: e.status, body: JSON.parse(e.body) };
  }
  assert.fail('the request was accepted');
}

test("broadcast(): the SDK's trigger reaches Echo's listen() on public and private channels", async () => {
  const echo = new Echo({ broadcaster: 'pusher', client: client(server) });
  const heard = [];
  echo.channel('orders').listen('OrderShipped', (e) => heard.push(['orders', e]));
  echo.private('orders.7').listen('OrderShipped', (e) => heard.push(['private', e]));
  for (const name of ['orders', 'private-orders.7']) {
    const ch = echo.connector.pusher.channel(name);
    if (!ch.subscribed) await next(ch, 'pusher:subscription_succeeded');
  }
  // What Laravel's PusherBroadcaster sends: the event's class name, its payload as JSON.
  await signer(server).trigger(['orders', 'private-orders.7'], 'App\\Events\\OrderShipped', { id: 7, total: '9.50' });
  await until(() => heard.length === 2);
  assert.deepEqual(heard.sort(), [['orders', { id: 7, total: '9.50' }], ['private', { id: 7, total: '9.50' }]]);
});

test('toOthers(): the socket_id given is left out, everyone else hears it', async () => {
  const alice = client(server), bob = client(server);
  const ca = await subscribed(alice, 'private-doc.9'), cb = await subscribed(bob, 'private-doc.9');
  const heardA = [];
  ca.bind('saved', (d) => heardA.push(d));
  const heardB = next(cb, 'saved');
  await signer(server).trigger('private-doc.9', 'saved', { v: 2 }, { socket_id: alice.connection.socket_id });
  assert.deepEqual(await heardB, { v: 2 });
  await sleep(300);  // what would have come by now
  assert.deepEqual(heardA, []);
});

test('triggerBatch: each event to its channel, in order', async () => {
  const p = client(server);
  const a = await subscribed(p, 'batch-a'), b = await subscribed(p, 'batch-b');
  const heard = [];
  a.bind('one', (d) => heard.push(['a', d]));
  b.bind('two', (d) => heard.push(['b', d]));
  a.bind('three', (d) => heard.push(['a', d]));
  await signer(server).triggerBatch([
    { channel: 'batch-a', name: 'one', data: { n: 1 } },
    { channel: 'batch-b', name: 'two', data: { n: 2 } },
    { channel: 'batch-a', name: 'three', data: 'plain text' },
  ]);
  await until(() => heard.length === 3);
  assert.deepEqual(heard, [['a', { n: 1 }], ['b', { n: 2 }], ['a', 'plain text']]);
});

test("an app's trigger never reaches another app's channel of the same name", async () => {
  const mine = client(server), theirs = client(server, { app: OTHER_APP });
  const cm = await subscribed(mine, 'shared'), ct = await subscribed(theirs, 'shared');
  const heardTheirs = [];
  ct.bind('e', (d) => heardTheirs.push(d));
  const heardMine = next(cm, 'e');
  await signer(server).trigger('shared', 'e', { app: APP.id });
  assert.deepEqual(await heardMine, { app: APP.id });
  await sleep(300);
  assert.deepEqual(heardTheirs, []);
});

test('a wrong secret, an unknown key or app, a stale timestamp: refused with the reason', async () => {
  const wrongSecret = new PusherServer({ appId: APP.id, key: APP.key, secret: 'not-the-secret', host: '127.0.0.1', port: server.port });
  let r = await refusal(wrongSecret.trigger('orders', 'e', {}));
  assert.equal(r.status, 401);
  assert.match(r.body.error, /Invalid signature/);

  const wrongKey = new PusherServer({ appId: APP.id, key: OTHER_APP.key, secret: OTHER_APP.secret, host: '127.0.0.1', port: server.port });
  r = await refusal(wrongKey.trigger('orders', 'e', {}));
  assert.equal(r.status, 401);
  assert.match(r.body.error, /Unknown auth_key/);

  const noApp = new PusherServer({ appId: '999', key: APP.key, secret: APP.secret, host: '127.0.0.1', port: server.port });
  r = await refusal(noApp.trigger('orders', 'e', {}));
  assert.equal(r.status, 404);

  // Signed correctly, ten minutes and a second ago.
  const body = JSON.stringify({ name: 'e', channels: ['orders'], data: '{}' });
  const ts = Math.floor(Date.now() / 1000) - 601;
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  const params = `auth_key=${APP.key}&auth_timestamp=${ts}&auth_version=1.0&body_md5=${md5}`;
  const sig = crypto.createHmac('sha256', APP.secret).update(`POST\n/apps/${APP.id}/events\n${params}`).digest('hex');
  const res = await fetch(`http://127.0.0.1:${server.port}/apps/${APP.id}/events?${params}&auth_signature=${sig}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 401);
  assert.match((await res.json()).error, /Timestamp expired/);
});

test('bad trigger bodies get 400 or 413, and deliver nothing', async () => {
  const p = client(server);
  const ch = await subscribed(p, 'guarded');
  const heard = [];
  ch.bind_global((event, data) => { if (!event.startsWith('pusher')) heard.push([event, data]); });
  const s = signer(server);
  for (const body of [{ name: 'e', data: '{}' },                                  // no channel
                      { name: 'e', data: { not: 'a string' }, channels: ['guarded'] },
                      { name: 'e', data: '{}', channels: ['guarded', 'bad name'] },
                      { name: 'e', data: '{}', channels: ['guarded'], socket_id: 'nope' },
                      { name: 'x'.repeat(201), data: '{}', channels: ['guarded'] }]) {
    const r = await refusal(s.post({ path: '/events', body }));
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.ok(r.body.error.length > 0);
  }
  const big = await refusal(s.post({ path: '/events', body: { name: 'e', data: 'x'.repeat(10 * 1024 + 1), channels: ['guarded'] } }));
  assert.equal(big.status, 413);
  const batch = await refusal(s.post({ path: '/batch_events', body: { batch: Array.from({ length: 11 }, () => ({ name: 'e', data: '1', channel: 'guarded' })) } }));
  assert.equal(batch.status, 400);
  await sleep(300);
  assert.deepEqual(heard, []);
  // And the API keeps serving.
  const ok = next(ch, 'fine');
  await s.trigger('guarded', 'fine', { ok: true });
  assert.deepEqual(await ok, { ok: true });
});

test("the SDK reads the occupied channels and a channel's counts; what it may not ask is a 400", async () => {
  const s = signer(server);
  const one = client(server), two = client(server);
  await subscribed(one, 'stock-1');
  await subscribed(one, 'private-stock-2');
  await subscribed(two, 'stock-1');
  await subscribed(two, 'news');
  const read = async (path, params) => (await s.get({ path, params })).json();
  assert.deepEqual((await read('/channels', { filter_by_prefix: 'stock-', info: 'subscription_count' })).channels,
                   { 'stock-1': { subscription_count: 2 } });
  const all = (await read('/channels', {})).channels;
  assert.deepEqual(all['private-stock-2'], {});
  assert.deepEqual(all.news, {});
  assert.deepEqual(await read('/channels/stock-1', { info: 'subscription_count' }), { occupied: true, subscription_count: 2 });
  assert.deepEqual(await read('/channels/private-stock-2', {}), { occupied: true });
  assert.deepEqual(await read('/channels/stock-9', { info: 'subscription_count' }), { occupied: false, subscription_count: 0 });
  // Once a socket goes, it is counted no more.
  two.disconnect();
  const deadline = Date.now() + 10_000;
  let after;
  while (Date.now() < deadline) {
    after = await read('/channels/stock-1', { info: 'subscription_count' });
    if (after.subscription_count === 1) break;
    await sleep(50);
  }
  assert.deepEqual(after, { occupied: true, subscription_count: 1 });
  assert.equal((await read('/channels', { filter_by_prefix: 'news' })).channels.news, undefined);
  // Refused: user_count outside presence channels, users of a channel that has none, bad names.
  const userCount = await refusal(s.get({ path: '/channels', params: { info: 'user_count' } }));
  assert.equal(userCount.status, 400);
  assert.match(userCount.body.error, /presence channels/);
  assert.equal((await refusal(s.get({ path: '/channels/stock-1', params: { info: 'user_count' } }))).status, 400);
  assert.equal((await refusal(s.get({ path: '/channels/orders/users' }))).status, 400);  // Pusher's: presence only
  assert.equal((await refusal(s.get({ path: '/channels/bad:name/users' }))).status, 400);
  const wrong = new PusherServer({ appId: APP.id, key: APP.key, secret: 'not-the-secret', host: '127.0.0.1', port: server.port });
  assert.equal((await refusal(wrong.get({ path: '/channels' }))).status, 401);
  // Another app's list holds none of these.
  const others = (await (await signer(server, OTHER_APP).get({ path: '/channels', params: {} })).json()).channels;
  for (const name of ['stock-1', 'private-stock-2', 'news']) assert.equal(others[name], undefined, name);
});

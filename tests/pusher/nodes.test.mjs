// Two presenced nodes on one Redis, clients spread over both (what a load balancer does):
// whatever the host app triggers on one node, and whatever a client whispers on one,
// reaches the channel's subscribers on the other, once each, and toOthers() leaves out
// its socket wherever that socket is. When Redis is gone, a trigger is refused, not
// acknowledged and lost.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { client, disconnectAll, next, signer, subscribed, startPusherServer, startRedis } from './harness.mjs';

let redis, a, b;
before(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([startPusherServer(['--store', redis.url]), startPusherServer(['--store', redis.url])]);
});
after(() => { disconnectAll(); a?.stop(); b?.stop(); redis?.stop(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(20);
}
// Every `event` on a channel, as a list.
function record(channel, event) {
  const seen = [];
  channel.bind(event, (data) => seen.push(data));
  return seen;
}

test("the SDK's trigger on one node reaches subscribers on both, once each", async () => {
  const onA = client(a), onB = client(b);
  const pubA = record(await subscribed(onA, 'orders'), 'OrderShipped');
  const pubB = record(await subscribed(onB, 'orders'), 'OrderShipped');
  const privB = record(await subscribed(onB, 'private-orders.7'), 'OrderShipped');
  await signer(a).trigger('orders', 'OrderShipped', { id: 1 });
  await signer(a).trigger('private-orders.7', 'OrderShipped', { id: 2 });
  await signer(b).trigger(['orders', 'private-orders.7'], 'OrderShipped', { id: 3 });
  await until(() => pubA.length >= 2 && pubB.length >= 2 && privB.length >= 2);
  await sleep(300);  // what a duplicate would need to arrive
  assert.deepEqual(pubA, [{ id: 1 }, { id: 3 }]);
  assert.deepEqual(pubB, [{ id: 1 }, { id: 3 }]);
  assert.deepEqual(privB, [{ id: 2 }, { id: 3 }]);
});

test('a batch on one node reaches the other', async () => {
  const onB = client(b);
  const seen = record(await subscribed(onB, 'batch'), 'Tick');
  await signer(a).triggerBatch([{ channel: 'batch', name: 'Tick', data: { n: 1 } },
                                { channel: 'batch', name: 'Tick', data: { n: 2 } }]);
  await until(() => seen.length >= 2);
  assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
});

test("toOthers(): the sender's socket is left out on its own node, the trigger made on another", async () => {
  const sender = client(b), other = client(b), far = client(a);
  const fromSender = record(await subscribed(sender, 'room'), 'Said');
  const fromOther = record(await subscribed(other, 'room'), 'Said');
  const fromFar = record(await subscribed(far, 'room'), 'Said');
  await signer(a).trigger('room', 'Said', { text: 'hi' }, { socket_id: sender.connection.socket_id });
  await until(() => fromOther.length >= 1 && fromFar.length >= 1);
  await sleep(300);
  assert.deepEqual(fromOther, [{ text: 'hi' }]);
  assert.deepEqual(fromFar, [{ text: 'hi' }]);
  assert.deepEqual(fromSender, [], 'the socket named by socket_id gets nothing');
});

test('Echo: a whisper on one node reaches the other, never the sender', async () => {
  const alice = new Echo({ broadcaster: 'pusher', client: client(a) });
  const bob = new Echo({ broadcaster: 'pusher', client: client(b) });
  const seen = { alice: [], bob: [] };
  alice.private('doc.9').listenForWhisper('typing', (e) => seen.alice.push(e));
  bob.private('doc.9').listenForWhisper('typing', (e) => seen.bob.push(e));
  for (const e of [alice, bob]) {
    const ch = e.connector.pusher.channel('private-doc.9');
    if (!ch.subscribed) await next(ch, 'pusher:subscription_succeeded');
  }
  alice.private('doc.9').whisper('typing', { field: 'title' });
  await until(() => seen.bob.length >= 1);
  await sleep(300);
  assert.deepEqual(seen.bob, [{ field: 'title' }]);
  assert.deepEqual(seen.alice, []);
});

test('without Redis a trigger is refused with a 5xx, and not acknowledged', async () => {
  redis.stop();
  let refused;
  try {
    await signer(a).trigger('orders', 'OrderShipped', { id: 4 });
  } catch (e) {
    refused = e;
  }
  assert.ok(refused, 'the trigger was acknowledged');
  assert.equal(refused.status, 503);
  assert.match(JSON.parse(refused.body).error, /could not be sent/);
});

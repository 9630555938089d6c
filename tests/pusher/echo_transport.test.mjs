// The browser library over Laravel Echo: PresenceClient joins the record's presence
// channel on the page's own Echo socket. Each page sees the others (never itself), their
// modes, unsaved changes and fields as they change (presenced:heartbeat on the socket),
// saves, and departures; HTTP tabs are viewers too.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { PresenceClient } from '../../web/presence-client.js';
import { RawSocket, client, disconnectAll, signer, sleep, startPusherServer, until } from './harness.mjs';
import { call, tokenFor } from '../e2e/harness.mjs';

let server;
before(async () => { server = await startPusherServer(['--leave-grace', '0.3']); });
after(() => { disconnectAll(); server?.stop(); });


function echoOf(id, name = `User ${id}`) {
  const s = signer(server);
  const p = client(server, {
    sign: (socketId, channel) => s.authorizeChannel(socketId, channel, { user_id: id, user_info: { id, name } }),
  });
  return new Echo({ broadcaster: 'pusher', client: p });
}

function page(id, recordId) {
  const seen = { viewers: [], saved: [], errors: [] };
  const c = new PresenceClient({
    echo: echoOf(id), tenant: 1, recordType: 'flow', recordId,
    onChange: (v) => { seen.viewers = v; }, onSaved: (s) => seen.saved.push(s), onError: (e) => seen.errors.push(e),
  });
  return { client: c, seen };
}
const byId = (viewers, id) => viewers.find((v) => v.id === id);

test('two pages over Echo see each other, their modes and unsaved changes, and leaving', async () => {
  const a = page(1, 500), b = page(2, 500);
  await until(() => byId(a.seen.viewers, 2) && byId(b.seen.viewers, 1), 'each sees the other');
  assert.equal(byId(a.seen.viewers, 1), undefined, 'never itself');
  b.client.setActiveField('title');
  b.client.setDirty(true);
  await until(() => byId(a.seen.viewers, 2)?.has_dirty_tab, "b's unsaved change");
  assert.equal(byId(a.seen.viewers, 2).mode, 'edit');
  assert.deepEqual(byId(a.seen.viewers, 2).fields, ['title']);
  assert.equal(byId(a.seen.viewers, 2).tabs, 1, 'the Echo socket is the tab: one, not two');

  // An HTTP tab of another user is a viewer too, and a save reaches the pages.
  const token = await tokenFor(server, 3, 'Hal Http');
  await call(server, token, 'POST', 500, 'heartbeat', { tab_id: 'h3', mode: 'view', dirty: false });
  await until(() => byId(a.seen.viewers, 3) && byId(b.seen.viewers, 3), 'the HTTP tab');
  assert.equal((await call(server, token, 'POST', 500, 'saved', { lock_version: 9 })).status, 200);
  await until(() => a.seen.saved.length === 1, 'the save');
  assert.equal(a.seen.saved[0].lockVersion, 9);

  b.client.close();
  await until(() => !byId(a.seen.viewers, 2), 'b leaves');
  assert.deepEqual(a.seen.errors, []);
  a.client.close();
});

test('presenced:heartbeat is checked: outside a record channel, or with bad values, an error; the socket goes on', async () => {
  const raw = await RawSocket.open(server);
  const { socket_id: socketId } = JSON.parse((await raw.event('pusher:connection_established')).data);
  raw.send({ event: 'presenced:heartbeat', channel: 'presence-tenant.1.flow.501', data: { mode: 'edit' } });
  let e = await raw.frame((f) => f.event === 'pusher:error');
  assert.match(e.data.message, /needs a subscription to a record's presence channel/);
  const channel = 'presence-tenant.1.flow.501';
  raw.send({ event: 'pusher:subscribe',
             data: { channel, ...signer(server).authorizeChannel(socketId, channel, { user_id: 7 }) } });
  await raw.event('pusher_internal:subscription_succeeded');
  raw.frames.length = 0;
  raw.send({ event: 'presenced:heartbeat', channel, data: { mode: 'sideways', dirty: 'yes' } });
  e = await raw.frame((f) => f.event === 'pusher:error');
  assert.match(e.data.message, /mode/);
  raw.send({ event: 'presenced:heartbeat', channel, data: 'not an object' });
  await raw.frame((f) => f.event === 'pusher:error' && /object/.test(f.data.message));
  raw.send({ event: 'presenced:heartbeat', channel, data: { mode: 'edit', dirty: true } });
  await raw.frame((f) => f.event === 'presenced.presence_diff' && JSON.parse(f.data).updated?.some((v) => v.id === 7 && v.has_dirty_tab));
  raw.close();
});

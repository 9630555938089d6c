// The browser client's logic, with its clock, socket, fetch and page faked: scheduling,
// backoff, fallback, token refresh, unregister, no timers left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PresenceClient, applyDiff, backoffDelay, tabIdFor } from '../../web/presence-client.js';
import { moreCount } from '../../web/presence-avatars.js';

class FakeClock {
  constructor() { this.now = 0; this.pending = new Map(); this.next = 1; }
  setTimeout = (f, ms) => { const id = this.next++; this.pending.set(id, { at: this.now + ms, f }); return id; };
  clearTimeout = (id) => { this.pending.delete(id); };
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].f();
      await flush();
    }
    this.now = end;
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function fakeSockets({ opens = true } = {}) {
  const made = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.readyState = 0;
      made.push(this);
      queueMicrotask(() => (opens ? this.open() : this.fail()));
    }
    open() { this.readyState = 1; this.onopen?.(); }
    fail() { this.readyState = 3; this.onclose?.(); }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.readyState = 3; }
    receive(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
  }
  return { FakeSocket, made };
}

function fakeFetch(answer = () => ({ status: 200, body: { success: true, data: { viewers: [] } } })) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, method: init.method, body: init.body ? JSON.parse(init.body) : undefined,
                 auth: init.headers.Authorization, keepalive: init.keepalive });
    const { status, body } = answer(url, init, calls.length);
    return { status, ok: status >= 200 && status < 300, json: async () => body };
  };
  return { fetch, calls };
}

function fakePage() {
  const listeners = {};
  const target = {
    addEventListener: (e, f) => { (listeners[e] ??= []).push(f); },
    removeEventListener: (e, f) => { listeners[e] = (listeners[e] ?? []).filter((g) => g !== f); },
    fire: (e) => { for (const f of listeners[e] ?? []) f(); },
    listeners,
    location: { href: 'http://app.test/flows/42' },
  };
  return target;
}

function make(extra = {}) {
  const clock = new FakeClock();
  const page = fakePage();
  const client = new PresenceClient({
    recordType: 'flow', recordId: 42, token: 't1', tabId: 'tab_a',
    setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, window: page, document: page,
    BroadcastChannel: null, storage: null, random: () => 0.5, ...extra,
  });
  return { client, clock, page };
}

const heartbeats = (socket) => socket.sent.filter((m) => m.type === 'heartbeat');

test('over a WebSocket: auth, subscribe and a heartbeat at once, then one every 30 s', async () => {
  const { FakeSocket, made } = fakeSockets();
  const { client, clock } = make({ WebSocket: FakeSocket });
  await flush();
  const ws = made[0];
  assert.match(ws.url, /^ws:\/\/app\.test\/api\/v1\/presence\/ws$/);
  assert.deepEqual(ws.sent.slice(0, 2), [{ type: 'auth', token: 't1' },
    { type: 'subscribe', record_type: 'flow', record_id: '42' }]);
  assert.equal(heartbeats(ws).length, 1);
  await clock.advance(29_999);
  assert.equal(heartbeats(ws).length, 1);
  await clock.advance(1);
  assert.equal(heartbeats(ws).length, 2);
  assert.equal(client.status, 'live');
  client.close();
});

test('a change of dirty, mode or field heartbeats at once; the same value again does not', async () => {
  const { FakeSocket, made } = fakeSockets();
  const { client, clock } = make({ WebSocket: FakeSocket });
  await flush();
  const ws = made[0];
  client.setDirty(true);
  let last = heartbeats(ws).at(-1);
  assert.equal(heartbeats(ws).length, 2);
  assert.equal(last.dirty, true);
  assert.equal(last.mode, 'edit');
  client.setDirty(true);
  assert.equal(heartbeats(ws).length, 2);
  client.setActiveField('title');
  client.setLockVersion(7);
  last = heartbeats(ws).at(-1);
  assert.equal(last.active_field, 'title');
  assert.equal(last.lock_version, 7);
  // The periodic beat restarts from the last one: still one per 30 s, never two timers.
  await clock.advance(30_000);
  assert.equal(heartbeats(ws).length, 5);
  client.close();
});

test('presence and saved messages reach the page; a throwing listener is reported, not thrown', async () => {
  const { FakeSocket, made } = fakeSockets();
  const errors = [];
  const { client } = make({ WebSocket: FakeSocket, onError: (e) => errors.push(e) });
  await flush();
  const seen = [];
  client.onChange((v) => seen.push(v));
  client.onChange(() => { throw new Error('page bug'); });
  const saved = [];
  client.onSaved((n) => saved.push(n));
  made[0].receive({ type: 'presence', record_type: 'flow', record_id: '42', viewers: [{ id: 7, name: 'Bob' }], joined: [7], left: [] });
  made[0].receive({ type: 'presence', record_type: 'flow', record_id: '43', viewers: [], joined: [], left: [] });
  made[0].receive({ type: 'saved', record_type: 'flow', record_id: '42', by: { id: 7, name: 'Bob' }, lock_version: 5 });
  await flush();
  assert.deepEqual(seen, [[{ id: 7, name: 'Bob' }]]);
  assert.deepEqual(saved, [{ by: { id: 7, name: 'Bob' }, lockVersion: 5 }]);
  assert.equal(errors.length, 1);
  client.close();
});

test('a socket that cannot be had: jittered backoff, then HTTP heartbeats and viewers polling', async () => {
  const { FakeSocket, made } = fakeSockets({ opens: false });
  const { fetch, calls } = fakeFetch();
  const { client, clock } = make({ WebSocket: FakeSocket, fetch });
  await flush();
  assert.equal(made.length, 1);
  await clock.advance(500);  // backoffDelay(0) with random 0.5: 500 ms
  await clock.advance(1_000);  // then 1,000 ms
  await flush();
  assert.equal(made.length, 3);
  // Three sockets failed: presence goes on over HTTP while the socket is retried.
  assert.ok(calls.some((c) => c.method === 'POST' && c.url.endsWith('/api/v1/presence/flow/42/heartbeat')));
  assert.ok(calls.some((c) => c.method === 'GET' && c.url.endsWith('/api/v1/presence/flow/42/viewers')));
  assert.equal(client.status, 'polling');
  const polls = () => calls.filter((c) => c.method === 'GET').length;
  const before = polls();
  await clock.advance(60_000);
  assert.equal(polls(), before + 1);
  client.close();
});

test('backoff grows exponentially with full jitter, within bounds', () => {
  assert.equal(backoffDelay(0, () => 0.999), 999);
  assert.equal(backoffDelay(3, () => 0.999), 7992);
  assert.equal(backoffDelay(20, () => 0.999), 29970);  // capped at 30 s
  assert.equal(backoffDelay(5, () => 0), 500);  // never less than half the minimum
});

test('an HTTP 401 fetches a fresh token and retries once', async () => {
  let tokens = 0;
  const { fetch, calls } = fakeFetch((url, init, n) => (n === 1 ? { status: 401, body: { success: false, message: 'Unauthenticated.' } }
    : { status: 200, body: { success: true, data: { viewers: [] } } }));
  const { client } = make({ transport: 'http', fetch, token: undefined, getToken: async () => `fresh${++tokens}` });
  await flush(); await flush(); await flush();
  assert.equal(calls[0].auth, 'Bearer fresh1');
  assert.equal(calls[1].auth, 'Bearer fresh2');
  client.close();
});

test('close unregisters at once, says leave on the socket, and leaves no timer behind', async () => {
  const { FakeSocket, made } = fakeSockets();
  const { fetch, calls } = fakeFetch();
  const { client, clock, page } = make({ WebSocket: FakeSocket, fetch });
  await flush();
  client.close();
  await flush();
  assert.deepEqual(made[0].sent.at(-1), { type: 'leave', record_type: 'flow', record_id: '42', tab_id: 'tab_a' });
  const unregister = calls.find((c) => c.url.endsWith('/unregister'));
  assert.deepEqual(unregister.body, { tab_id: 'tab_a', grace: false });
  assert.equal(clock.pending.size, 0);
  assert.equal((page.listeners.pagehide ?? []).length, 0);
});

test('pagehide unregisters with the grace, keepalive, so that a reload shows no leave', async () => {
  const { fetch, calls } = fakeFetch();
  const { page, clock } = make({ transport: 'http', fetch });
  await flush();
  page.fire('pagehide');
  await flush();
  const unregister = calls.find((c) => c.url.endsWith('/unregister'));
  assert.deepEqual(unregister.body, { tab_id: 'tab_a', grace: true });
  assert.equal(unregister.keepalive, true);
  assert.equal(clock.pending.size, 0);
});

test('a record change (a new client, the old one closed) never doubles the timers', async () => {
  const { fetch } = fakeFetch();
  const clock = new FakeClock();
  const page = fakePage();
  const options = { transport: 'http', fetch, token: 't', setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
                    window: page, document: page, BroadcastChannel: null, storage: null };
  const first = new PresenceClient({ ...options, recordType: 'flow', recordId: 1 });
  await flush();
  const timers = clock.pending.size;
  first.close();
  const second = new PresenceClient({ ...options, recordType: 'flow', recordId: 2 });
  await flush();
  assert.equal(clock.pending.size, timers);
  second.close();
  assert.equal(clock.pending.size, 0);
});

test('idle after a while without input, active again on input', async () => {
  const { FakeSocket, made } = fakeSockets();
  const { client, clock, page } = make({ WebSocket: FakeSocket, idleMs: 180_000 });
  await flush();
  await clock.advance(180_000);
  assert.equal(heartbeats(made[0]).at(-1).activity, 'idle');
  page.fire('pointerdown');
  assert.equal(heartbeats(made[0]).at(-1).activity, 'active');
  page.document = page;
  client.close();
});

test('the tab id survives a reload (sessionStorage) and is fresh in a new tab', () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const a = tabIdFor(storage, 'k');
  assert.equal(tabIdFor(storage, 'k'), a);
  assert.notEqual(tabIdFor({ getItem: () => null, setItem() {} }, 'k'), a);
  assert.match(a, /^tab_\d+_[a-z0-9]+$/);
});

test('a duplicated tab (same sessionStorage) notices through BroadcastChannel and takes a new id', async () => {
  const bus = new Set();
  class FakeChannel {
    constructor() { bus.add(this); }
    postMessage(data) { for (const c of bus) if (c !== this) queueMicrotask(() => c.onmessage?.({ data })); }
    close() { bus.delete(this); }
  }
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const { fetch } = fakeFetch();
  const clock = new FakeClock();
  const page = fakePage();
  const options = { transport: 'http', fetch, token: 't', setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
                    window: page, document: page, BroadcastChannel: FakeChannel, storage, recordType: 'flow', recordId: 42 };
  const original = new PresenceClient(options);
  await flush();
  await clock.advance(1_000);  // the original has announced itself
  const copy = new PresenceClient(options);  // the same storage: the same id at first
  assert.equal(copy.tabId, original.tabId);
  await flush(); await flush();
  assert.notEqual(copy.tabId, original.tabId);
  const reloaded = tabIdFor(storage, 'presenced.tab:flow:42');
  assert.equal(reloaded, copy.tabId, 'the copy keeps its new id across its own reloads');
  original.close();
  copy.close();
});

test('the totals reach the page: others counts everyone but this page\'s user, never fewer than listed', async () => {
  const { FakeSocket, made } = fakeSockets();
  const { client } = make({ WebSocket: FakeSocket });
  await flush();
  const seen = [];
  client.onChange((viewers, info) => seen.push({ n: viewers.length, ...info }));
  // A page of three in a room of 10,000 users (this page's user among them).
  const three = [{ id: 1, name: 'A' }, { id: 2, name: 'B' }, { id: 3, name: 'C' }];
  made[0].receive({ type: 'presence', record_type: 'flow', record_id: '42', seq: 4, count: { users: 10000, tabs: 12000 },
                    viewers: three, joined: [], left: [], updated: [] });
  await flush();
  assert.deepEqual(seen.at(-1), { n: 3, count: { users: 10000, tabs: 12000 }, others: 9999 });
  assert.equal(client.others, 9999);
  // A server without totals (or garbage in their place): the list is everyone.
  made[0].receive({ type: 'presence', record_type: 'flow', record_id: '42', count: { users: 'many' },
                    viewers: three, joined: [], left: [], updated: [] });
  await flush();
  assert.deepEqual(seen.at(-1), { n: 3, count: null, others: 3 });
  client.close();
});

test('polling over HTTP takes the totals from the viewers answer', async () => {
  const { FakeSocket } = fakeSockets({ opens: false });
  const { fetch } = fakeFetch(() => ({ status: 200, body: { success: true,
    data: { viewers: [{ id: 7, name: 'Bob' }], count: { users: 3, tabs: 4 } } } }));
  const { client, clock } = make({ WebSocket: FakeSocket, fetch, transport: 'http' });
  await clock.advance(100);
  await flush();
  assert.deepEqual(client.count, { users: 3, tabs: 4 });
  assert.equal(client.others, 2);
  client.close();
});

test('"+N" counts everyone not shown: past the first few of the list, or of the total', () => {
  assert.equal(moreCount(2, null, 3), 0, 'all shown');
  assert.equal(moreCount(5, null, 3), 2, 'the list past max');
  assert.equal(moreCount(3, 9999, 3), 9996, 'a page of a large room');
  assert.equal(moreCount(5, 2, 3), 2, 'a stale total never hides the listed');
});

const A = { id: 1, name: 'A' }, B = { id: 2, name: 'B' }, C = { id: 'u-3', name: 'C' }, D = { id: 4, name: 'D' };

test('a diff applies in order: left removed, updated in place, joined after its first held anchor', () => {
  const list = [A, B, C];
  const B2 = { ...B, mode: 'edit' };
  const out = applyDiff(list, { left: [1], updated: [B2], joined: [{ ...D, after: ['u-3', 2] }] });
  assert.deepEqual(out, [B2, C, D]);
  assert.deepEqual(list, [A, B, C], 'the old list is not changed');
  // The anchor before is this page's own user (never held): the second one places it.
  assert.deepEqual(applyDiff([A, B], { joined: [{ ...D, after: [99, 1] }] }), [A, D, B]);
  // First in the room, or after this page's own user only: at the start.
  assert.deepEqual(applyDiff([A], { joined: [{ ...D, after: [] }] }), [D, A]);
  assert.deepEqual(applyDiff([A], { joined: [{ ...D, after: [99] }] }), [D, A]);
  // A user who moved is in left and joined: taken out, put back in the new place.
  assert.deepEqual(applyDiff([A, B, C], { left: [1], joined: [{ ...A, after: ['u-3', 2] }] }), [B, C, A]);
  // Several joins in one diff, each after the one before it.
  assert.deepEqual(applyDiff([A], { joined: [{ ...B, after: [1] }, { ...C, after: [2, 1] }] }), [A, B, C]);
  // Ids of users not in the list change nothing.
  assert.deepEqual(applyDiff([A], { left: [42], updated: [{ id: 43, name: 'X' }] }), [A]);
});

test('with a limit the list is a window: never longer, and places past it are not kept', () => {
  assert.deepEqual(applyDiff([A, B], { joined: [{ ...D, after: [7, 8] }] }, 2), [A, B], 'past the window');
  assert.deepEqual(applyDiff([A, B], { joined: [{ ...D, after: [1] }] }, 2), [A, D], 'inside it: the last goes');
  assert.deepEqual(applyDiff([A], { joined: [{ ...D, after: [7, 8] }] }, 2), [A, D], 'room left: at the end');
});

test('diffs after the snapshot update the list; a gap in seq asks for a fresh snapshot', async () => {
  const { FakeSocket, made } = fakeSockets();
  const { client } = make({ WebSocket: FakeSocket });
  await flush();
  const ws = made[0];
  const seen = [];
  client.onChange((viewers, info) => seen.push({ names: viewers.map((v) => v.name), users: info.count?.users }));
  const diff = (seq, d) => ws.receive({ type: 'presence_diff', record_type: 'flow', record_id: '42', seq,
                                        count: { users: 9, tabs: 9 }, joined: [], updated: [], left: [], ...d });
  diff(3, { joined: [{ ...D, after: [] }] });
  await flush();
  assert.equal(seen.length, 0, 'before a snapshot a diff means nothing');
  ws.receive({ type: 'presence', record_type: 'flow', record_id: '42', seq: 3, count: { users: 3, tabs: 3 },
               viewers: [A, B], joined: [], left: [], updated: [] });
  diff(4, { joined: [{ ...C, after: [2, 1] }] });
  diff(5, { left: [1] });
  await flush();
  assert.deepEqual(seen.at(-1), { names: ['B', 'C'], users: 9 });
  const subscribes = () => ws.sent.filter((m) => m.type === 'subscribe').length;
  assert.equal(subscribes(), 1);
  diff(7, { left: [2] });  // 6 was merged away
  await flush();
  assert.deepEqual(seen.at(-1).names, ['B', 'C'], 'a diff after a gap is not applied');
  assert.equal(subscribes(), 2, 'subscribed again');
  diff(8, { left: [2] });
  await flush();
  assert.equal(subscribes(), 2, 'once: it waits for the snapshot');
  ws.receive({ type: 'presence', record_type: 'flow', record_id: '42', seq: 8, count: { users: 2, tabs: 2 },
               viewers: [C], joined: [], left: [], updated: [] });
  diff(9, { joined: [{ ...D, after: ['u-3'] }] });
  await flush();
  assert.deepEqual(seen.at(-1), { names: ['C', 'D'], users: 9 });
  client.close();
});

test('a limit goes with subscribe and the HTTP poll', async () => {
  const { FakeSocket, made } = fakeSockets();
  const { client } = make({ WebSocket: FakeSocket, limit: 3 });
  await flush();
  assert.deepEqual(made[0].sent[1], { type: 'subscribe', record_type: 'flow', record_id: '42', limit: 3 });
  client.close();
  const urls = [];
  const { fetch } = fakeFetch((url) => { urls.push(url); return { status: 200, body: { success: true, data: { viewers: [A, B, C, D], count: { users: 5, tabs: 5 } } } }; });
  const polled = make({ WebSocket: fakeSockets({ opens: false }).FakeSocket, fetch, transport: 'http', limit: 3 });
  await polled.clock.advance(100);
  await flush();
  assert.ok(urls.some((u) => u.endsWith('/viewers?limit=3')), urls.join(' '));
  assert.equal(polled.client.viewers.length, 3);
  polled.client.close();
});

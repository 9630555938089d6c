// The browser library in Chromium, against the real server: avatars appear, leave, survive
// reloads, mark unsaved changes, aggregate tabs, collapse into "+N", work over HTTP when
// WebSocket is blocked, and in React and Alpine pages, and a Laravel page using Echo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import PusherServer from 'pusher';
import { startServer, launchBrowser, demo, avatar, artifacts, root, tokenFor, call } from './harness.mjs';

let server, browser;
const ECHO_APP = { id: '1001', key: 'e2e-key', secret: 'e2e-secret-0123' };
before(async () => {
  server = await startServer(['--leave-grace', '1.5', '--pusher-app', `${ECHO_APP.id}:${ECHO_APP.key}:${ECHO_APP.secret}`]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('two users on one record see each other within 2 s', async () => {
  const alice = await demo(browser, server, 1, 'e2e-1');
  const bob = await demo(browser, server, 2, 'e2e-1');
  await avatar(alice, 2).waitFor({ timeout: 2_000 });
  await avatar(bob, 1).waitFor({ timeout: 2_000 });
  assert.equal(await avatar(alice, 1).count(), 0, 'never the current user');
  await alice.locator('presence-avatars').screenshot({ path: join(artifacts, 'two-users.png') });
  await alice.context().close();
  await bob.context().close();
});

test('the demo page loads with nothing in the console', async () => {
  const alice = await demo(browser, server, 1, 'e2e-10');
  const bob = await demo(browser, server, 2, 'e2e-10');
  await avatar(alice, 2).waitFor({ timeout: 2_000 });
  await alice.waitForLoadState('networkidle');
  assert.deepEqual(alice.consoleErrors, [], 'a newcomer\'s first look is clean');
  await alice.context().close();
  await bob.context().close();
});

test('closing a page removes its avatar within 3 s; reloading never does', async () => {
  const alice = await demo(browser, server, 1, 'e2e-2');
  const bob = await demo(browser, server, 2, 'e2e-2');
  await avatar(alice, 2).waitFor({ timeout: 5_000 });
  // Watch Alice's row across Bob's reload: any check that misses Bob's avatar counts.
  await alice.evaluate(() => {
    window.missed = 0;
    const row = document.querySelector('presence-avatars');
    window.watch = setInterval(() => {
      if (!row.shadowRoot.querySelector('.avatar[data-user-id="2"]')) window.missed++;
    }, 20);
  });
  await bob.reload();
  await avatar(bob, 1).waitFor({ timeout: 5_000 });
  await alice.waitForTimeout(3_500);  // past the grace: a leave would have shown by now
  assert.equal(await alice.evaluate(() => window.missed), 0, 'the reloaded page never left');

  const closed = Date.now();
  await bob.close();
  await avatar(alice, 2).waitFor({ state: 'detached', timeout: 3_000 });
  assert.ok(Date.now() - closed < 3_000);
  await alice.context().close();
});

test('an unsaved edit shows the marker, and the field being edited', async () => {
  const alice = await demo(browser, server, 1, 'e2e-3');
  const bob = await demo(browser, server, 2, 'e2e-3');
  await avatar(alice, 2).waitFor({ timeout: 5_000 });
  await bob.locator('#title').click();
  await bob.locator('#title').type('New title');
  await alice.locator('presence-avatars .avatar.dirty[data-user-id="2"]').waitFor({ timeout: 3_000 });
  const label = await avatar(alice, 2).getAttribute('aria-label');
  assert.match(label, /Bob Chen, editing, in title, unsaved changes/);
  await alice.locator('.who[data-field="title"]', { hasText: 'Bob editing' }).waitFor({ timeout: 3_000 });
  await alice.locator('presence-avatars').screenshot({ path: join(artifacts, 'dirty.png') });
  // Bob saves: Alice hears of the newer version.
  await bob.locator('#save').click();
  await alice.locator('#notice', { hasText: 'Bob Chen saved a newer version' }).waitFor({ timeout: 3_000 });
  await alice.context().close();
  await bob.context().close();
});

test('three pages of one user make one avatar with three tabs', async () => {
  const alice = await demo(browser, server, 1, 'e2e-4');
  const context = await browser.newContext();
  for (let i = 0; i < 3; ++i) await (await context.newPage()).goto(`${server.url}/?user=3&tenant=1&record=e2e-4`);
  await alice.locator('presence-avatars .avatar[data-user-id="3"][aria-label*="3 tabs"]').waitFor({ timeout: 5_000 });
  assert.equal(await avatar(alice, 3).count(), 1);
  await context.close();
  await alice.context().close();
});

test('a fourth and fifth user turn into "+2"', async () => {
  const alice = await demo(browser, server, 1, 'e2e-5');
  const others = [];
  for (const user of [2, 3, 4, 5, 6]) others.push(await demo(browser, server, user, 'e2e-5'));
  const more = alice.locator('presence-avatars .more');
  await more.waitFor({ timeout: 5_000 });
  await alice.locator('presence-avatars .more', { hasText: '+2' }).waitFor({ timeout: 5_000 });
  assert.equal(await alice.locator('presence-avatars .avatar').count(), 3);
  await alice.locator('presence-avatars').screenshot({ path: join(artifacts, 'avatars.png') });
  for (const page of others) await page.context().close();
  await alice.context().close();
});

test('an avatar_url claim shows as the picture, initials otherwise', async () => {
  const alice = await demo(browser, server, 1, 'e2e-9');
  const fay = await demo(browser, server, 6, 'e2e-9');
  await avatar(alice, 6).waitFor({ timeout: 5_000 });
  const style = await avatar(alice, 6).evaluate((el) => el.style.backgroundImage);
  assert.match(style, /^url\("data:image\/svg\+xml/);
  assert.equal(await avatar(alice, 6).textContent(), '');
  assert.equal(await avatar(fay, 1).textContent(), 'AM');
  await alice.context().close();
  await fay.context().close();
});

test('with WebSocket blocked, the page falls back to HTTP and still sees the others', async () => {
  const alice = await demo(browser, server, 1, 'e2e-6');
  const dan = await demo(browser, server, 4, 'e2e-6', { blockWebSocket: true });
  await avatar(dan, 1).waitFor({ timeout: 10_000 });  // the first poll, after three failed sockets
  await avatar(alice, 4).waitFor({ timeout: 10_000 });  // Dan's HTTP heartbeat, pushed to Alice
  assert.match(await dan.locator('#status').textContent(), /polling/);
  await alice.context().close();
  await dan.context().close();
});

// Test pages served under presenced's origin (so that /presence/ modules load as they
// would from the host app's page through a proxy), with React and Alpine from node_modules.
async function testPage(name, user, record) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const files = {
    [`/e2e/${name}.html`]: ['text/html', join(root, 'tests', 'e2e', 'pages', `${name}.html`)],
    '/vendor/react.js': ['text/javascript', join(root, 'node_modules', 'react', 'umd', 'react.production.min.js')],
    '/vendor/react-dom.js': ['text/javascript', join(root, 'node_modules', 'react-dom', 'umd', 'react-dom.production.min.js')],
    '/vendor/alpine.js': ['text/javascript', join(root, 'node_modules', 'alpinejs', 'dist', 'module.esm.js')],
    '/vendor/pusher.js': ['text/javascript', join(root, 'node_modules', 'pusher-js', 'dist', 'web', 'pusher.min.js')],
    '/vendor/echo.js': ['text/javascript', join(root, 'node_modules', 'laravel-echo', 'dist', 'echo.iife.js')],
  };
  // The app's /broadcasting/auth: a Broadcast::channel callback answering the user's data,
  // signed as Laravel's Pusher broadcaster signs it.
  const signer = new PusherServer({ appId: ECHO_APP.id, key: ECHO_APP.key, secret: ECHO_APP.secret });
  await page.route('**/broadcasting/auth', (route) => {
    const { socket_id: socketId, channel_name: channel, user: id } = JSON.parse(route.request().postData());
    const auth = signer.authorizeChannel(socketId, channel, { user_id: id, user_info: { id, name: `Echo User ${id}` } });
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(auth) });
  });
  await page.route('**/{e2e,vendor}/**', (route) => {
    const file = files[new URL(route.request().url()).pathname];
    if (!file) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, contentType: file[0], body: readFileSync(file[1]) });
  });
  await page.goto(`${server.url}/e2e/${name}.html?user=${user}&record=${record}&key=${ECHO_APP.key}`);
  return page;
}

test('a React page using useRecordPresence', async () => {
  const alice = await demo(browser, server, 1, 'e2e-7');
  const react = await testPage('react', 5, 'e2e-7');
  await avatar(react, 1).waitFor({ timeout: 5_000 });
  await avatar(alice, 5).waitFor({ timeout: 5_000 });
  await react.locator('#dirty').click();  // isDirty -> true
  await alice.locator('presence-avatars .avatar.dirty[data-user-id="5"]').waitFor({ timeout: 3_000 });
  await react.locator('#unmount').click();  // the hook's cleanup unregisters
  await avatar(alice, 5).waitFor({ state: 'detached', timeout: 3_000 });
  await alice.context().close();
  await react.context().close();
});

test("a Laravel page using Echo shows the record's avatars live, on Echo's one socket", async () => {
  const alice = await demo(browser, server, 1, 'e2e-echo');
  const page = await testPage('echo', 7, 'e2e-echo');
  await avatar(page, 1).waitFor({ timeout: 10_000 });   // Alice's native socket's tab, seen through Echo
  await avatar(alice, 7).waitFor({ timeout: 10_000 });  // the Echo member, seen by the native page
  await page.locator('#dirty').click();                 // presenced:heartbeat on Echo's socket
  await alice.locator('presence-avatars .avatar.dirty[data-user-id="7"]').waitFor({ timeout: 5_000 });
  // The client opened no socket of its own: the page keeps Echo's one.
  assert.equal(await page.evaluate(() => window.presence.ws === null && window.presence.status), 'live');
  await page.context().close();                          // the tab closes: the member leaves after the grace
  await avatar(alice, 7).waitFor({ state: 'detached', timeout: 10_000 });
  await alice.context().close();
});

test('an Alpine page using the recordPresence component', async () => {
  const alice = await demo(browser, server, 1, 'e2e-8');
  const alpine = await testPage('alpine', 6, 'e2e-8');
  await avatar(alpine, 1).waitFor({ timeout: 5_000 });
  await avatar(alice, 6).waitFor({ timeout: 5_000 });
  await alpine.locator('#edit').fill('changed');  // x-model makes the component dirty
  await alice.locator('presence-avatars .avatar.dirty[data-user-id="6"]').waitFor({ timeout: 3_000 });
  await alice.context().close();
  await alpine.context().close();
});

// A room of several hundred: the page holds the whole list from one snapshot and then
// diffs, each the size of its change, and the list it holds is the one HTTP /viewers gives.
test('in a room of 300 the page keeps the list from diffs, each the size of its change', async () => {
  const room = 'e2e-room';
  const frames = [];
  const alice = await demo(browser, server, 1, room, {
    beforeLoad: (page) => page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload)))),
  });
  await alice.waitForFunction(() => window.presence?.status === 'live', null, { timeout: 10_000 });
  const tokens = new Map();
  const beat = (user, extra = {}) => call(server, tokens.get(user), 'POST', room, 'heartbeat',
                                         { tab_id: `t${user}`, mode: 'view', dirty: false, ...extra });
  for (let user = 100; user < 400; user += 1) tokens.set(user, await tokenFor(server, user));
  const outsider = await tokenFor(server, 999);
  for (let user = 100; user < 400; user += 25) {
    const batch = [];
    for (let u = user; u < user + 25; u += 1) batch.push(beat(u));
    for (const r of await Promise.all(batch)) assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const listed = () => alice.evaluate(() => window.presence.viewers.map((v) => v.id).join(','));
  const expected = async () => {
    const r = await call(server, outsider, 'GET', room, 'viewers?limit=1000');  // a user not in the room
    return r.body.data.viewers.filter((v) => v.id !== 1).map((v) => v.id).join(',');
  };
  const settled = async () => {
    const want = await expected();
    const deadline = Date.now() + 20_000;
    while (await listed() !== want) {
      assert.ok(Date.now() < deadline, 'the page\'s list became the room\'s');
      await alice.waitForTimeout(100);
    }
  };
  await settled();
  assert.equal(await alice.evaluate(() => window.presence.viewers.length), 300);
  await alice.locator('presence-avatars .more', { hasText: '+297' }).waitFor({ timeout: 5_000 });

  // Changes one at a time: a leave, an edit, a join. Each reaches the page as a diff.
  const before = frames.length;
  for (let user = 100; user < 110; user += 1) {
    assert.equal((await call(server, tokens.get(user), 'DELETE', room, 'unregister', { tab_id: `t${user}` })).status, 200);
  }
  assert.equal((await beat(200, { mode: 'edit', dirty: true })).status, 200);
  tokens.set(500, await tokenFor(server, 500));
  assert.equal((await beat(500)).status, 200);
  await settled();
  const edited = await alice.evaluate(() => window.presence.viewers.find((v) => v.id === 200));
  assert.equal(edited.has_dirty_tab, true);
  assert.equal(edited.mode, 'edit');
  const later = frames.slice(before).map((f) => JSON.parse(f)).filter((m) => m.type?.startsWith('presence'));
  assert.ok(later.length > 0);
  for (const m of later) {
    assert.equal(m.type, 'presence_diff', 'no full list after the snapshot');
    assert.ok(JSON.stringify(m).length < 1024, `a diff the size of its change: ${JSON.stringify(m).length} bytes`);
  }
  await alice.context().close();
});

// --pusher-apps-file: apps with allowed origins and a connection limit, as Reverb's apps
// config sets them. A page from another origin is told 4009 and closed; a connection over
// the app's limit is told 4004 and closed, and pusher-js does not retry either; an app
// without them takes anyone. A file presenced cannot read stops it at start, saying why.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawSocket, client, disconnectAll, errorData, next, sleep } from './harness.mjs';
import { startServer } from '../e2e/harness.mjs';

const GUARDED = { id: '2001', key: 'guarded-key', secret: 'guarded-secret-0123' };
const SMALL = { id: '2002', key: 'small-key', secret: 'small-secret-0123' };
const OPEN = { id: '2003', key: 'open-key', secret: 'open-secret-0123' };

let dir, server;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'presenced-apps-'));
  const file = join(dir, 'apps.json');
  writeFileSync(file, JSON.stringify({
    apps: [
      { ...GUARDED, allowed_origins: ['app.example.com', '*.example.org', 'http://localhost:8080'] },
      { ...SMALL, max_connections: 2 },
      OPEN,
    ],
  }));
  server = await startServer(['--pusher-apps-file', file]);
});
after(() => { disconnectAll(); server?.stop(); rmSync(dir, { recursive: true, force: true }); });

async function refusal(key, origin) {
  const raw = await RawSocket.open(server, key, { origin });
  const first = raw.frames[0] ?? await raw.frame(() => true);
  if (first.event === 'pusher:connection_established') {
    raw.close();
    return null;
  }
  assert.equal(first.event, 'pusher:error');
  return { error: errorData(first), close: (await raw.closed).code };
}

test('a page from an allowed origin connects; any other origin, or none, is told 4009 and closed', async () => {
  for (const origin of ['https://app.example.com', 'http://app.example.com:3000', 'https://a.b.example.org',
                        'http://localhost:8080']) {
    assert.equal(await refusal(GUARDED.key, origin), null, origin);
  }
  for (const origin of ['https://evil.test', 'https://app.example.com.evil.test', 'https://example.org',
                        'http://localhost:8081', undefined]) {
    const r = await refusal(GUARDED.key, origin);
    assert.deepEqual(r, { error: { code: 4009, message: 'Origin not allowed' }, close: 4009 }, String(origin));
  }
  assert.equal(await refusal(OPEN.key, 'https://evil.test'), null, 'an app without a list takes any page');
});

test('over max_connections a socket is told 4004, pusher-js does not retry, and a freed place is taken', async () => {
  const first = client(server, { app: SMALL });
  const second = client(server, { app: SMALL });
  await Promise.all([next(first.connection, 'connected'), next(second.connection, 'connected')]);
  const third = client(server, { app: SMALL });
  const states = [];
  third.connection.bind('state_change', ({ current }) => states.push(current));
  const told = await next(third.connection, 'error');
  assert.equal(told.error.data.code, 4004);
  assert.equal(told.error.data.message, 'Application is over connection quota');
  await sleep(3000);  // pusher-js would have tried again by now
  assert.equal(third.connection.state, 'disconnected');
  assert.deepEqual(states, ['disconnected'], 'no second attempt');
  // Another app's sockets are not counted against it.
  const other = client(server, { app: OPEN });
  await next(other.connection, 'connected');
  // A refused socket took no place; a closed one gives its place back.
  first.disconnect();
  let r;
  for (let attempt = 0; attempt < 50; ++attempt) {  // until the server has seen the close
    r = await refusal(SMALL.key);
    if (r === null) break;
    await sleep(100);
  }
  assert.equal(r, null, 'a place was freed');
});

test('an apps file that is not one stops presenced at start, saying where', () => {
  const binary = process.env.PRESENCED_BINARY ?? join(import.meta.dirname, '..', '..', 'build', 'presenced');
  const cases = [
    [{ apps: [{ ...OPEN, max_conections: 5 }] }, /apps\[0\] has a field presenced does not know: max_conections/],
    [{ apps: [OPEN, { ...OPEN, id: '9' }] }, /two Pusher apps have the key open-key/],
    [{ apps: [{ ...OPEN, allowed_origins: '*' }] }, /apps\[0\]\.allowed_origins/],
  ];
  for (const [content, said] of cases) {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(content));
    const r = spawnSync(binary, ['--dev', '--listen', '127.0.0.1:0', '--pusher-apps-file', file], { timeout: 20_000 });
    assert.notEqual(r.status, 0);
    const output = String(r.stdout) + String(r.stderr);
    assert.match(output, said);
    assert.ok(!output.includes(OPEN.secret), 'the secret is never shown');
  }
  const r = spawnSync(binary, ['--dev', '--listen', '127.0.0.1:0', '--pusher-apps-file', join(dir, 'missing.json')],
                      { timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.match(String(r.stdout) + String(r.stderr), /--pusher-apps-file: cannot read/);
});

// What every Pusher-endpoint test needs: a presenced with Pusher apps (the real binary,
// on a free port), clients from npm configured as a Laravel app configures them, and a
// signer that authorizes channels the way Laravel's PusherBroadcaster does (the pusher
// SDK's authorizeChannel).
import Pusher from 'pusher-js';
import PusherServer from 'pusher';
import WebSocket from 'ws';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { startServer } from '../e2e/harness.mjs';

export const APP = { id: '1001', key: 'test-key', secret: 'test-secret-0123' };
export const OTHER_APP = { id: '1002', key: 'other-key', secret: 'other-secret-0123' };

export async function startPusherServer(extra = []) {
  return startServer(['--pusher-app', `${APP.id}:${APP.key}:${APP.secret}`,
                      '--pusher-app', `${OTHER_APP.id}:${OTHER_APP.key}:${OTHER_APP.secret}`, ...extra]);
}

// A redis-server of the test's own, on a free port, keeping nothing on disk.
export async function startRedis() {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}):\n${output}`)); });
  });
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

export function signer(server, app = APP) {
  return new PusherServer({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: server.port });
}

const opened = [];

// A pusher-js client; its private and presence channels signed by `sign` (socketId,
// channel) => {auth[, channel_data]}, by default the app's own signature.
export function client(server, { app = APP, sign } = {}) {
  const s = signer(server, app);
  const authorize = sign ?? ((socketId, channel) => s.authorizeChannel(socketId, channel));
  const p = new Pusher(app.key, {
    wsHost: '127.0.0.1', wsPort: server.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true,
    cluster: 'presenced',
    channelAuthorization: { customHandler: ({ socketId, channelName }, cb) => cb(null, authorize(socketId, channelName)) },
  });
  opened.push(p);
  return p;
}

export function disconnectAll() {
  for (const p of opened.splice(0)) p.disconnect();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until `check()` holds, or fails saying `what` after a generous deadline.
export async function until(check, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

// Resolves with the first `event` on `emitter` (a channel, or a connection), or rejects
// after a generous deadline: these tests run on a loaded 2-core machine.
export function next(emitter, event, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const handler = (data) => { clearTimeout(timer); emitter.unbind(event, handler); resolve(data); };
    emitter.bind(event, handler);
  });
}

export async function subscribed(p, name) {
  const channel = p.subscribe(name);
  await next(channel, 'pusher:subscription_succeeded');
  return channel;
}

// A raw socket on /app/{key}: the frames as the server writes them.
export class RawSocket {
  // `origin`: the Origin header a browser would send (none by default, as a server's client).
  static async open(server, key = APP.key, { origin } = {}) {
    const url = `ws://127.0.0.1:${server.port}/app/${key}?protocol=7&client=js&version=8.6.0`;
    const raw = new RawSocket(new WebSocket(url, origin ? { origin } : {}));
    await new Promise((resolve, reject) => { raw.ws.once('open', resolve); raw.ws.once('error', reject); });
    return raw;
  }
  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      this.frames.push(frame);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  send(frame) { this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)); }
  // The first frame (from the start) that `match` accepts; frames are kept, not consumed.
  async frame(match, ms = 10_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such frame within ${ms} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 100); });
    }
  }
  event(name, ms) { return this.frame((f) => f.event === name, ms); }
  close() { this.ws.close(); }
}

// pusher:error's data: an object from presenced (as from Pusher), a string from some servers.
export const errorData = (frame) => (typeof frame.data === 'string' ? JSON.parse(frame.data) : frame.data);

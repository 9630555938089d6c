// One Node client process, two servers: the time from a triggered event to the last of
// N subscribers of one public channel, on presenced's Pusher endpoint (`ws` sockets
// speaking Pusher frames, triggers signed by the `pusher` SDK) and on laravel-echo-server
// (socket.io-client 2 sockets, triggers through its HTTP API). The same client design on
// both sides, so that the ratio is the servers'. bench/echo_compare.sh runs it.
//
//   node bench/echo_compare.mjs presenced PORT N [TRIALS]
//   node bench/echo_compare.mjs echo-server PORT N [TRIALS] (ECHO_MODULES: where socket.io-client is)
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import PusherServer from 'pusher';

const [kind, portText, countText, trialsText] = process.argv.slice(2);
const port = Number(portText), count = Number(countText), trials = Number(trialsText ?? 50);
const channel = 'bench';
const perEventDeadlineMs = 10_000;

let arrivals = 0, lastArrival = 0n, waitingFor = null;
function arrived() {
  arrivals += 1;
  lastArrival = process.hrtime.bigint();
  if (waitingFor && arrivals >= waitingFor.count) waitingFor.resolve();
}

async function openPresenced() {
  let subscribed = 0;
  const sockets = [];
  await new Promise((resolve, reject) => {
    for (let i = 0; i < count; ++i) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/app/bench-key?protocol=7&client=js&version=8.4.0`);
      ws.on('error', reject);
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (frame.event === 'pusher:connection_established') {
          ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
        } else if (frame.event === 'pusher_internal:subscription_succeeded') {
          if (++subscribed === count) resolve();
        } else if (frame.event === 'tick') {
          arrived();
        }
      });
      sockets.push(ws);
    }
  });
  const server = new PusherServer({ appId: 'bench', key: 'bench-key', secret: 'bench-secret-0123', host: '127.0.0.1', port });
  return { trigger: (n) => server.trigger(channel, 'tick', { n }), close: () => sockets.forEach((s) => s.terminate()) };
}

async function openEchoServer() {
  const require = createRequire(process.env.ECHO_MODULES + '/');
  const io = require('socket.io-client');
  const sockets = [];
  let connected = 0;
  await new Promise((resolve, reject) => {
    for (let i = 0; i < count; ++i) {
      const s = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
      s.on('connect_error', reject);
      s.on('connect', () => {
        s.emit('subscribe', { channel });  // a public channel: joined at once, nothing answered
        if (++connected === count) resolve();
      });
      s.on('tick', () => arrived());
      sockets.push(s);
    }
  });
  // laravel-echo-server answers no subscription: wait until an event reaches every socket.
  const trigger = (n) => fetch(`http://127.0.0.1:${port}/apps/bench/events?auth_key=bench-key`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel, name: 'tick', data: { n } }),
  }).then((r) => { if (!r.ok) throw new Error(`echo-server answered ${r.status}`); });
  return { trigger, close: () => sockets.forEach((s) => s.close()) };
}

function percentile(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]; }

const opened = Date.now();
const side = kind === 'presenced' ? await openPresenced() : await openEchoServer();
const openMs = Date.now() - opened;
// Warm-up, and for laravel-echo-server the proof that every socket has joined.
for (let attempt = 0; ; ++attempt) {
  arrivals = 0;
  const all = new Promise((resolve) => { waitingFor = { count, resolve }; });
  await side.trigger(-1);
  const ok = await Promise.race([all.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
  if (ok) break;
  if (attempt === 20) throw new Error(`only ${arrivals} of ${count} sockets hear the channel`);
}
const lasts = [];
let missing = 0;
for (let t = 0; t < trials; ++t) {
  arrivals = 0;
  const all = new Promise((resolve) => { waitingFor = { count, resolve }; });
  const sent = process.hrtime.bigint();
  await side.trigger(t);
  const timedOut = await Promise.race([all.then(() => false),
                                       new Promise((r) => setTimeout(() => r(true), perEventDeadlineMs))]);
  if (timedOut) missing += count - arrivals;
  lasts.push(Number(lastArrival - sent) / 1e6);
  await new Promise((r) => setTimeout(r, 20));  // isolated events
}
lasts.sort((a, b) => a - b);
console.log(`${kind}: subscribers ${count}, events ${trials}, deliveries missing ${missing}, ` +
            `connected in ${openMs} ms; last subscriber: p50 ${percentile(lasts, 0.5).toFixed(1)} ms  ` +
            `p99 ${percentile(lasts, 0.99).toFixed(1)} ms  max ${lasts[lasts.length - 1].toFixed(1)} ms`);
side.close();
process.exit(0);

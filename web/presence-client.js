// presenced browser client: one instance per open record editor (docs/protocol.md).
//
//   const client = new PresenceClient({ baseUrl: '', getToken, recordType: 'flow', recordId: 42 });
//   client.onChange((viewers) => render(viewers));
//   client.setDirty(true);            // heartbeats at once on a change of dirty, mode or field
//   client.close();                   // unregister (also done on pagehide)
//
// WebSocket first (changes pushed as they happen); when a socket cannot be had, HTTP
// heartbeats every 30 s and viewers polled every 60 s, as the host app's design does.
// Or over a page's Laravel Echo (`echo`, connected to presenced's Pusher endpoint): the
// record's presence channel is joined on Echo's own socket, so the page keeps one
// (docs/pusher.md, record presence).
// It never throws into the page: failures go to onError.

const HEARTBEAT_MS = 30_000;
const POLL_MS = 60_000;
const IDLE_MS = 180_000;          // no input for this long: "idle" (others see "away")
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const WS_FAILURES_BEFORE_HTTP = 3; // sockets that never opened before falling back

// A tab id kept for the tab's life in sessionStorage: a reload keeps it (nobody sees the
// tab leave and rejoin). A duplicated tab copies sessionStorage; it notices through
// BroadcastChannel that another tab holds the id and takes a new one.
export function tabIdFor(storage, key, random = Math.random, now = Date.now) {
  const fresh = () => `tab_${now()}_${random().toString(36).slice(2, 11)}`;
  try {
    let id = storage?.getItem(key);
    if (!id) {
      id = fresh();
      storage?.setItem(key, id);
    }
    return id;
  } catch {
    return fresh();
  }
}

// Exponential backoff with full jitter: a random delay up to min(max, min * 2^attempt).
export function backoffDelay(attempt, random = Math.random, min = BACKOFF_MIN_MS, max = BACKOFF_MAX_MS) {
  const ceiling = Math.min(max, min * 2 ** attempt);
  return Math.max(min / 2, Math.floor(random() * ceiling));
}

// A presence_diff applied to a list the way docs/protocol.md says, as a new list: `left`
// removed, `updated` replaced in place, each `joined` entry put after the first id of its
// `after` that the list holds (first when `after` is empty or names only this page's own
// user, whom the list never holds). With a `limit` the list is a window of the room: an
// entry whose place lies past it (two anchors, neither held) is not kept, and the list
// never grows past the limit; `count` stays the exact total.
export function applyDiff(list, diff, limit = Infinity) {
  const out = list.slice();
  const find = (id) => out.findIndex((v) => v.id === id);
  for (const id of diff.left ?? []) {
    const i = find(id);
    if (i >= 0) out.splice(i, 1);
  }
  for (const entry of diff.updated ?? []) {
    const i = find(entry.id);
    if (i >= 0) out[i] = entry;
  }
  for (const { after = [], ...entry } of diff.joined ?? []) {
    let at = -1;
    for (const id of after) {
      const i = find(id);
      if (i >= 0) { at = i + 1; break; }
    }
    if (at < 0) at = Number.isFinite(limit) && after.length > 1 ? out.length : 0;
    out.splice(at, 0, entry);
  }
  if (out.length > limit) out.length = limit;
  return out;
}

export class PresenceClient {
  constructor(options) {
    const o = options ?? {};
    this.baseUrl = (o.baseUrl ?? '').replace(/\/$/, '');
    this.recordType = String(o.recordType);
    this.recordId = String(o.recordId);
    this.transport = o.transport ?? 'auto';
    // Over Echo: the channel is presence-tenant.{tenant}.{type}.{id} unless `echoChannel` names it
    // (without "presence-", as Echo.join takes it).
    this.echo = o.echo ?? null;
    this.echoName = o.echoChannel ?? `tenant.${o.tenant}.${this.recordType}.${this.recordId}`;
    this.heartbeatMs = o.heartbeatMs ?? HEARTBEAT_MS;
    this.pollMs = o.pollMs ?? POLL_MS;
    this.idleMs = o.idleMs ?? IDLE_MS;
    // At most this many viewers listed (a large room): the count stays exact.
    this.limit = Number.isInteger(o.limit) && o.limit >= 0 ? Math.min(o.limit, 1000) : null;
    this.random = o.random ?? Math.random;
    this.env = {
      setTimeout: o.setTimeout ?? ((f, ms) => globalThis.setTimeout(f, ms)),
      clearTimeout: o.clearTimeout ?? ((t) => globalThis.clearTimeout(t)),
      fetch: o.fetch ?? ((...a) => globalThis.fetch(...a)),
      WebSocket: o.WebSocket ?? globalThis.WebSocket,
      window: o.window ?? (typeof window !== 'undefined' ? window : undefined),
      document: o.document ?? (typeof document !== 'undefined' ? document : undefined),
      BroadcastChannel: o.BroadcastChannel === undefined ? globalThis.BroadcastChannel : o.BroadcastChannel,
      storage: o.storage ?? (typeof sessionStorage !== 'undefined' ? sessionStorage : undefined),
    };
    this.token = o.token ?? null;
    this.getToken = o.getToken ?? null;
    this.state = { mode: o.mode ?? 'view', dirty: !!o.dirty, activeField: null, lockVersion: null, activity: 'active' };
    this.tabId = o.tabId ?? tabIdFor(this.env.storage, `presenced.tab:${this.recordType}:${this.recordId}`, this.random);
    this.viewers = [];
    this.count = null;  // the record's totals, { users, tabs }: everyone, this page's user too
    this.seq = null;    // the last presence event's number; null until a snapshot
    this.status = 'connecting';
    this.listeners = { change: [], saved: [], error: [], status: [] };
    if (o.onChange) this.listeners.change.push(o.onChange);
    if (o.onSaved) this.listeners.saved.push(o.onSaved);
    if (o.onError) this.listeners.error.push(o.onError);
    this.timers = {};
    this.closed = false;
    this.wsFailures = 0;
    this.attempt = 0;
    this.ws = null;
    this.listen();
    this.start();
  }

  // --- what the page calls --------------------------------------------------------------

  onChange(f) { this.listeners.change.push(f); return this; }
  onSaved(f) { this.listeners.saved.push(f); return this; }
  onError(f) { this.listeners.error.push(f); return this; }
  onStatus(f) { this.listeners.status.push(f); return this; }

  setDirty(dirty) { this.update({ dirty: !!dirty, mode: dirty ? 'edit' : this.state.mode }); }
  setMode(mode) { this.update({ mode: mode === 'edit' ? 'edit' : 'view' }); }
  setActiveField(field) { this.update({ activeField: field || null }); }
  setLockVersion(version) { this.update({ lockVersion: Number.isInteger(version) ? version : null }); }

  // Tells everyone on the record that this user saved it (after the host app accepted the save).
  async saved(lockVersion) {
    this.state.lockVersion = lockVersion;
    await this.request('POST', 'saved', { lock_version: lockVersion });
  }

  // Leaves the record: the tab is unregistered at once and every timer stops.
  close() {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    this.unlisten();
    if (this.echo) {
      try { this.echo.leave(this.echoName); } catch (e) { this.emit('error', e); }
      return;
    }
    if (this.ws) {
      this.send({ type: 'leave', ...this.record(), tab_id: this.tabId });
      try { this.ws.close(1000); } catch { /* already closed */ }
      this.ws = null;
    }
    this.unregister(false);
  }

  // --- internals ------------------------------------------------------------------------

  record() { return { record_type: this.recordType, record_id: this.recordId }; }

  heartbeatBody() {
    const b = { tab_id: this.tabId, mode: this.state.mode, dirty: this.state.dirty, activity: this.state.activity };
    if (this.state.activeField) b.active_field = this.state.activeField;
    if (this.state.lockVersion !== null) b.lock_version = this.state.lockVersion;
    return b;
  }

  update(change) {
    const before = JSON.stringify(this.state);
    Object.assign(this.state, change);
    if (JSON.stringify(this.state) !== before) this.heartbeat();
  }

  emit(kind, value, extra) {
    for (const f of this.listeners[kind]) {
      try { f(value, extra); } catch (e) { if (kind !== 'error') this.emit('error', e); }
    }
  }

  // How many other users view the record: from the totals when the server gave them (they
  // count this page's own user, who is viewing: it heartbeats), never fewer than listed.
  // What "+N" is computed from when the list is a page of a large room.
  get others() {
    const fromCount = this.count ? this.count.users - 1 : 0;
    return Math.max(this.viewers.length, fromCount);
  }

  setViewers(viewers, count) {
    this.viewers = viewers;
    this.count = count && Number.isInteger(count.users) && Number.isInteger(count.tabs) ? count : null;
    this.emit('change', this.viewers, { count: this.count, others: this.others });
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  timer(name, ms, f) {
    this.env.clearTimeout(this.timers[name]);
    this.timers[name] = this.env.setTimeout(() => {
      delete this.timers[name];
      if (!this.closed) f();
    }, ms);
  }

  stopTimers() {
    for (const t of Object.values(this.timers)) this.env.clearTimeout(t);
    this.timers = {};
  }

  async currentToken(refresh) {
    if ((refresh || !this.token) && this.getToken) {
      try { this.token = await this.getToken(); } catch (e) { this.emit('error', e); }
    }
    return this.token;
  }

  start() {
    if (this.echo) return this.joinEcho();
    const canSocket = this.transport !== 'http' && typeof this.env.WebSocket === 'function';
    if (canSocket) this.connect();
    else this.startHttp();
  }

  // WebSocket -------------------------------------------------------------------------------

  async connect() {
    if (this.closed) return;
    const token = await this.currentToken(false);
    const url = new URL(`${this.baseUrl || ''}/api/v1/presence/ws`, this.env.window?.location?.href ?? 'http://localhost/');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new this.env.WebSocket(url.toString());
    } catch (e) {
      this.emit('error', e);
      return this.socketFailed(false);
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.wsFailures = 0;
      this.stopHttp();
      this.send({ type: 'auth', token });
      this.seq = null;
      this.subscribe();
      this.heartbeat();
      this.setStatus('live');
    };
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      if (!this.closed) this.socketFailed(opened);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  socketFailed(wasOpen) {
    if (this.closed) return;
    if (!wasOpen) this.wsFailures += 1;
    // Meanwhile the page keeps its presence over HTTP.
    if (this.transport === 'auto' && this.wsFailures >= WS_FAILURES_BEFORE_HTTP) this.startHttp();
    if (this.transport === 'auto' || this.transport === 'ws') {
      this.setStatus(this.httpRunning ? 'polling' : 'reconnecting');
      this.timer('reconnect', backoffDelay(this.attempt++, this.random), () => this.connect());
    }
  }

  // Asks for a snapshot; then diffs follow. Again after a gap: a fresh snapshot.
  subscribe() {
    const m = { type: 'subscribe', ...this.record() };
    if (this.limit !== null) m.limit = this.limit;
    this.send(m);
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    try { this.ws.send(JSON.stringify(message)); return true; } catch (e) { this.emit('error', e); return false; }
  }

  async onMessage(data) {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    const ours = m.record_id === this.recordId && m.record_type === this.recordType;
    if (m.type === 'presence' && ours) {
      this.seq = m.seq ?? null;
      this.setViewers(m.viewers, m.count);
    } else if (m.type === 'presence_diff' && ours) {
      if (this.seq === null) return;  // a snapshot is on its way
      if (m.seq !== this.seq + 1) {
        // A diff was missed (merged for a slow reader): start again from a snapshot.
        this.seq = null;
        this.subscribe();
        return;
      }
      this.seq = m.seq;
      this.setViewers(applyDiff(this.viewers, m, this.limit ?? Infinity), m.count);
    } else if (m.type === 'saved' && m.record_id === this.recordId) {
      this.emit('saved', { by: m.by, lockVersion: m.lock_version });
    } else if (m.type === 'error') {
      if (m.code === 'unauthenticated' || m.code === 'token_expired') {
        const token = await this.currentToken(true);
        if (token) this.send({ type: 'auth', token });
      } else {
        this.emit('error', new Error(`${m.code}: ${m.message}`));
      }
    }
  }

  // Echo ------------------------------------------------------------------------------------

  // Joins the record's channel: here() says it is live; presenced's own events carry the
  // viewers (everyone: this page's user is taken out here) and saves.
  joinEcho() {
    this.everyone = [];
    this.echoChannel = this.echo.join(this.echoName)
      .here(() => { this.setStatus('live'); this.heartbeat(); })
      .listen('.presenced.presence', (m) => {
        this.seq = m.seq ?? null;
        this.everyone = m.viewers ?? [];
        this.showEveryone(m.count);
      })
      .listen('.presenced.presence_diff', (m) => {
        if (this.seq === null) return;
        if (m.seq !== this.seq + 1) return this.rejoinEcho();  // a change missed: start again
        this.seq = m.seq;
        this.everyone = applyDiff(this.everyone, m);
        this.showEveryone(m.count);
      })
      .listen('.presenced.saved', (m) => this.emit('saved', { by: m.by, lockVersion: m.lock_version }))
      .error((e) => this.emit('error', new Error(e?.error ?? e?.type ?? 'the presence channel was refused')));
  }

  rejoinEcho() {
    this.seq = null;
    try { this.echo.leave(this.echoName); } catch { /* not joined */ }
    this.joinEcho();
  }

  showEveryone(count) {
    const me = this.echoChannel?.subscription?.members?.me?.id;
    const others = this.everyone.filter((v) => String(v.id) !== String(me));
    this.setViewers(this.limit === null ? others : others.slice(0, this.limit), count);
  }

  // The tab's state on Echo's socket (the server keeps the tab alive meanwhile).
  echoHeartbeat() {
    const pusher = this.echo.connector?.pusher;
    if (!pusher || this.status !== 'live') return;
    const { tab_id: _, ...state } = this.heartbeatBody();
    try { pusher.send_event('presenced:heartbeat', state, `presence-${this.echoName}`); } catch (e) { this.emit('error', e); }
  }

  // Heartbeats, over whichever transport is up; then again after heartbeatMs.
  heartbeat() {
    if (this.closed) return;
    if (this.echo) return this.echoHeartbeat();
    this.timer('heartbeat', this.heartbeatMs, () => this.heartbeat());
    if (this.send({ type: 'heartbeat', ...this.record(), ...this.heartbeatBody() })) return;
    if (this.httpRunning) this.request('POST', 'heartbeat', this.heartbeatBody());
  }

  // HTTP ------------------------------------------------------------------------------------

  startHttp() {
    if (this.httpRunning || this.closed) return;
    this.httpRunning = true;
    this.setStatus('polling');
    this.heartbeat();
    this.poll();
  }

  stopHttp() {
    this.httpRunning = false;
    this.env.clearTimeout(this.timers.poll);
    delete this.timers.poll;
  }

  async poll() {
    if (!this.httpRunning || this.closed) return;
    this.timer('poll', this.pollMs, () => this.poll());
    const page = this.limit === null ? '' : `?limit=${Math.max(1, this.limit)}`;
    const data = await this.request('GET', `viewers${page}`);
    if (data && Array.isArray(data.viewers)) this.setViewers(data.viewers.slice(0, this.limit ?? undefined), data.count);
  }

  // One API call; a 401 fetches a fresh token (getToken) and tries once more.
  async request(method, action, body, retried = false, keepalive = false) {
    const token = await this.currentToken(false);
    const url = `${this.baseUrl}/api/v1/presence/${encodeURIComponent(this.recordType)}/${encodeURIComponent(this.recordId)}/${action}`;
    try {
      const response = await this.env.fetch(url, {
        method,
        keepalive,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status === 401 && !retried && this.getToken) {
        await this.currentToken(true);
        return this.request(method, action, body, true, keepalive);
      }
      const json = await response.json().catch(() => null);
      if (!response.ok) {
        this.emit('error', new Error(json?.message ?? `HTTP ${response.status}`));
        return null;
      }
      return json?.data ?? null;
    } catch (e) {
      this.emit('error', e);
      return null;
    }
  }

  // The page goes away: "grace" lets a reload come back without a leave being shown.
  unregister(grace) {
    return this.request('POST', 'unregister', { tab_id: this.tabId, grace }, false, true);
  }

  // Activity, visibility, page life, duplicated tabs ------------------------------------

  listen() {
    const w = this.env.window, d = this.env.document;
    this.handlers = {
      input: () => this.active(),
      visibility: () => (d?.visibilityState === 'hidden' ? this.idle() : this.active()),
      pagehide: () => {
        if (this.closed) return;
        this.closed = true;
        this.stopTimers();
        this.unlisten();
        if (this.echo) return;  // Echo's socket closes with the page; the tab leaves after the grace
        try { this.ws?.close(1001); } catch { /* closed */ }
        this.unregister(true);
      },
    };
    for (const e of ['pointerdown', 'keydown', 'scroll']) w?.addEventListener?.(e, this.handlers.input, { passive: true });
    d?.addEventListener?.('visibilitychange', this.handlers.visibility);
    w?.addEventListener?.('pagehide', this.handlers.pagehide);
    this.timer('idle', this.idleMs, () => this.idle());
    if (typeof this.env.BroadcastChannel === 'function') {
      try {
        this.channel = new this.env.BroadcastChannel('presenced-tabs');
        this.channel.onmessage = (e) => {
          if (e.data?.tabId !== this.tabId) return;
          if (e.data.type === 'hello') this.channel.postMessage({ type: 'taken', tabId: this.tabId });
          else if (e.data.type === 'taken' && !this.announced) this.renewTabId();
        };
        this.channel.postMessage({ type: 'hello', tabId: this.tabId });
        this.timer('announce', 500, () => { this.announced = true; });
      } catch { /* no BroadcastChannel: a duplicated tab shares the id until reload */ }
    }
  }

  unlisten() {
    const w = this.env.window, d = this.env.document;
    for (const e of ['pointerdown', 'keydown', 'scroll']) w?.removeEventListener?.(e, this.handlers.input);
    d?.removeEventListener?.('visibilitychange', this.handlers.visibility);
    w?.removeEventListener?.('pagehide', this.handlers.pagehide);
    try { this.channel?.close(); } catch { /* closed */ }
  }

  renewTabId() {
    this.tabId = `tab_${Date.now()}_${this.random().toString(36).slice(2, 11)}`;
    try { this.env.storage?.setItem(`presenced.tab:${this.recordType}:${this.recordId}`, this.tabId); } catch { /* full */ }
    this.heartbeat();
  }

  active() {
    this.timer('idle', this.idleMs, () => this.idle());
    if (this.state.activity !== 'active') this.update({ activity: 'active' });
  }

  idle() {
    if (this.state.activity !== 'idle') this.update({ activity: 'idle' });
  }
}

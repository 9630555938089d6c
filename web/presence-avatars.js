// <presence-avatars>: "Currently viewing" as a row of up to three round avatars and "+N".
//
//   <presence-avatars max="3"></presence-avatars>
//   element.viewers = viewers;          // by hand, or:
//   element.client = presenceClient;    // follows the client's changes
//
// Initials, or the picture of an `avatar_url` a viewer carries; a marker on users with
// unsaved changes; "away" users faded; a tooltip and aria-label with name, mode and the
// field being edited. Nothing is rendered when nobody else is there. The viewers list
// from presenced never holds the current user.

const STYLE = `
  :host { display: inline-flex; align-items: center; gap: .5rem; font: 12px/1 system-ui, sans-serif; }
  :host([hidden]), .empty { display: none; }
  .label { color: #555; }
  .row { display: inline-flex; }
  .avatar, .more { position: relative; width: 28px; height: 28px; border-radius: 50%; border: 2px solid #fff;
    margin-left: -6px; display: inline-flex; align-items: center; justify-content: center; color: #fff;
    font-weight: 600; background: var(--presence-color, #3b82f6); background-size: cover; }
  .avatar:first-child { margin-left: 0; }
  .more { background: #d1d5db; color: #374151; }
  .away { opacity: .45; }
  .dirty::after { content: ""; position: absolute; right: -2px; top: -2px; width: 9px; height: 9px;
    border-radius: 50%; background: #f59e0b; border: 2px solid #fff; }
  .stale { outline: 2px dashed #ef4444; outline-offset: 1px; }
`;

const PALETTE = ['#2563eb', '#7c3aed', '#db2777', '#059669', '#d97706', '#0891b2', '#4f46e5', '#be123c'];

export function initials(name) {
  const parts = String(name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = [...parts[0]][0] ?? '?';
  const last = parts.length > 1 ? [...parts[parts.length - 1]][0] : '';
  return (first + last).toUpperCase();
}

export function describe(viewer) {
  const bits = [viewer.name ?? 'Someone', viewer.mode === 'edit' ? 'editing' : 'viewing'];
  if (viewer.fields?.length) bits.push(`in ${viewer.fields.join(', ')}`);
  if (viewer.has_dirty_tab) bits.push('unsaved changes');
  if (viewer.stale) bits.push('on an older version');
  if (viewer.away) bits.push('away');
  if (viewer.tabs > 1) bits.push(`${viewer.tabs} tabs`);
  return bits.join(', ');
}

// As the server checks the claim: http(s), a path on this origin, or a data: image.
export function usableAvatarUrl(url) {
  const u = String(url ?? '');
  return u.length <= 1024 && (/^https?:\/\//.test(u) || (u.startsWith('/') && !u.startsWith('//')) || u.startsWith('data:image/'));
}

// How many the "+N" stands for: those listed past `max` or, when the list is a page of a
// larger room (`total`: other users in all), everyone not shown.
export function moreCount(listed, total, max) {
  const all = Number.isInteger(total) ? Math.max(listed, total) : listed;
  return Math.max(0, all - Math.min(listed, max));
}

function colorFor(id) {
  let h = 0;
  for (const c of String(id)) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

// (A plain class where there is no DOM, so that the helpers above can be imported in tests.)
const Base = typeof HTMLElement === "undefined" ? class {} : HTMLElement;

export class PresenceAvatars extends Base {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this._viewers = [];
    this._total = null;  // other users in all, when the list is only a page of them
    this._client = null;
    this._follow = (viewers, info) => {
      this._total = info?.others ?? null;
      this.viewers = viewers;
    };
  }

  connectedCallback() { this.render(); }

  get viewers() { return this._viewers; }
  set viewers(list) {
    this._viewers = Array.isArray(list) ? list : [];
    this.render();
  }

  // Other users in all ("+N" counts those not shown from it); unset: the list is everyone.
  get total() { return this._total; }
  set total(n) {
    this._total = Number.isInteger(n) && n >= 0 ? n : null;
    this.render();
  }

  get client() { return this._client; }
  set client(c) {
    this._client = c;
    c?.onChange?.(this._follow);
    if (c?.viewers) this._follow(c.viewers, { others: c.others });
  }

  render() {
    const max = Math.max(1, Number(this.getAttribute('max') ?? 3));
    const list = this._viewers;
    const root = this.shadowRoot;
    root.textContent = '';
    const style = document.createElement('style');
    style.textContent = STYLE;
    root.append(style);
    const wrap = document.createElement('div');
    wrap.className = list.length ? 'wrap' : 'empty';
    wrap.setAttribute('part', 'wrap');
    if (list.length) {
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = this.getAttribute('label') ?? 'Currently viewing:';
      const row = document.createElement('span');
      row.className = 'row';
      row.setAttribute('role', 'list');
      for (const v of list.slice(0, max)) {
        const a = document.createElement('span');
        a.className = ['avatar', v.has_dirty_tab && 'dirty', v.away && 'away', v.stale && 'stale'].filter(Boolean).join(' ');
        a.setAttribute('role', 'listitem');
        a.setAttribute('part', 'avatar');
        a.dataset.userId = String(v.id);
        const text = describe(v);
        a.title = text;
        a.setAttribute('aria-label', text);
        if (usableAvatarUrl(v.avatar_url)) a.style.backgroundImage = `url("${v.avatar_url.replace(/["\\\n]/g, encodeURIComponent)}")`;
        else a.textContent = initials(v.name);
        a.style.setProperty('--presence-color', colorFor(v.id));
        row.append(a);
      }
      const hidden = moreCount(list.length, this._total, max);
      if (hidden > 0) {
        const more = document.createElement('span');
        more.className = 'more';
        more.setAttribute('role', 'listitem');
        more.textContent = `+${hidden}`;
        // The names known (a page of a large room lists only some of them).
        const rest = list.slice(max).map((v) => v.name);
        const unnamed = hidden - rest.length;
        more.title = rest.join(', ') + (unnamed > 0 ? `${rest.length ? ' and ' : ''}${unnamed} more` : '');
        more.setAttribute('aria-label', `and ${hidden} more: ${more.title}`);
        row.append(more);
      }
      wrap.append(label, row);
    }
    root.append(wrap);
  }
}

if (typeof customElements !== 'undefined' && !customElements.get('presence-avatars')) {
  customElements.define('presence-avatars', PresenceAvatars);
}

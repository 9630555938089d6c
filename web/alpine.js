// Alpine.js component, matching the host app's blade snippet:
//
//   <div x-data="recordPresence({ recordType: 'flow', recordId: 42, getToken })"
//        x-effect="setDirty(isDirty)">
//     <presence-avatars x-effect="$el.viewers = viewers; $el.total = others"></presence-avatars>
//   </div>
//
// Register once: import { registerRecordPresence } from '/presence/alpine.js';
//                registerRecordPresence(Alpine);
import { PresenceClient } from './presence-client.js';

export function recordPresence(options) {
  return {
    viewers: [],
    others: 0,     // other users on the record: "+N" in a large room whose list is a page
    count: null,   // the record's totals { users, tabs }
    status: 'connecting',
    tabId: null,
    client: null,
    init() {
      this.client = new PresenceClient(options);
      this.tabId = this.client.tabId;
      this.client.onChange((v, info) => {
        this.viewers = v;
        this.others = info?.others ?? v.length;
        this.count = info?.count ?? null;
      });
      this.client.onStatus((s) => { this.status = s; });
    },
    destroy() {
      this.client?.close();
    },
    setDirty(dirty) { this.client?.setDirty(dirty); },
    setActiveField(field) { this.client?.setActiveField(field); },
  };
}

export function registerRecordPresence(Alpine) {
  Alpine.data('recordPresence', recordPresence);
}

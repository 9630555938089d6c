// React hook: useRecordPresence(recordType, recordId, isDirty, options)
//   -> { viewers, others, count, tabId, status }
// as the host app's design has it, on PresenceClient (WebSocket, HTTP fallback). React is
// the page's own: pass it in options.React, or have it on window.React.
import { PresenceClient } from './presence-client.js';

export function useRecordPresence(recordType, recordId, isDirty, options = {}) {
  const React = options.React ?? globalThis.React;
  const { useEffect, useRef, useState } = React;
  const [viewers, setViewers] = useState([]);
  const [totals, setTotals] = useState({ count: null, others: 0 });
  const [status, setStatus] = useState('connecting');
  const [tabId, setTabId] = useState(null);
  const client = useRef(null);

  // One client per record: a new one on record change, closed on unmount.
  useEffect(() => {
    const c = new PresenceClient({ ...options, recordType, recordId, dirty: isDirty, React: undefined });
    client.current = c;
    setTabId(c.tabId);
    c.onChange((v, info) => {
      setViewers(v);
      setTotals(info ?? { count: null, others: v.length });
    });
    c.onStatus((s) => setStatus(s));
    return () => {
      c.close();
      client.current = null;
      setViewers([]);
      setTotals({ count: null, others: 0 });
    };
  }, [recordType, recordId]);

  useEffect(() => {
    client.current?.setDirty(isDirty);
  }, [isDirty]);

  return { viewers, others: totals.others, count: totals.count, tabId, status, client: client.current };
}

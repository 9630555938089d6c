// Types for presence-client.js.

export interface Viewer {
  id: number | string;
  name: string;
  tabs: number;
  has_dirty_tab: boolean;
  mode: 'view' | 'edit';
  away: boolean;
  stale: boolean;
  fields: string[];
  avatar_url?: string;
}

export interface SavedNotice {
  by: { id: number | string; name: string };
  lockVersion: number;
}

export type Status = 'connecting' | 'live' | 'reconnecting' | 'polling';

export interface PresenceClientOptions {
  baseUrl?: string;
  token?: string;
  getToken?: () => Promise<string> | string;
  recordType: string;
  recordId: string | number;
  tabId?: string;
  transport?: 'auto' | 'ws' | 'http';
  /**
   * A Laravel Echo connected to presenced's Pusher endpoint: the record's presence channel
   * is joined on its socket (the page keeps one), instead of presenced's own WebSocket.
   * `saved()` still calls the HTTP API (baseUrl and a token).
   */
  echo?: unknown;
  /** With `echo`: the tenant of presence-tenant.{tenant}.{type}.{id}. */
  tenant?: string | number;
  /** With `echo`: the channel as Echo.join takes it, when the app names it otherwise. */
  echoChannel?: string;
  mode?: 'view' | 'edit';
  dirty?: boolean;
  heartbeatMs?: number;
  pollMs?: number;
  idleMs?: number;
  /** List at most this many viewers (0 to 1,000): a window of a large room; `count` stays exact. */
  limit?: number;
  onChange?: (viewers: Viewer[], info: ChangeInfo) => void;
  onSaved?: (notice: SavedNotice) => void;
  onError?: (error: unknown) => void;
}

export interface Count {
  users: number;
  tabs: number;
}

export interface ChangeInfo {
  count: Count | null;
  others: number;
}

/** A `presence_diff` message as the server sends it (docs/protocol.md). */
export interface PresenceDiff {
  seq: number;
  count: Count;
  joined: Array<Viewer & { after: Array<string | number> }>;
  updated: Viewer[];
  left: Array<string | number>;
}

/** The list after `diff`, by the protocol's rules (a new array; `list` is not changed). */
export declare function applyDiff(list: Viewer[], diff: PresenceDiff, limit?: number): Viewer[];

export declare class PresenceClient {
  constructor(options: PresenceClientOptions);
  readonly tabId: string;
  readonly viewers: Viewer[];
  /** The record's totals as the server last gave them (everyone, this page's user too). */
  readonly count: Count | null;
  /** Other users viewing the record: from `count`, never fewer than `viewers` lists. */
  readonly others: number;
  readonly status: Status;
  onChange(f: (viewers: Viewer[], info: ChangeInfo) => void): this;
  onSaved(f: (notice: SavedNotice) => void): this;
  onError(f: (error: unknown) => void): this;
  onStatus(f: (status: Status) => void): this;
  setDirty(dirty: boolean): void;
  setMode(mode: 'view' | 'edit'): void;
  setActiveField(field: string | null): void;
  setLockVersion(version: number | null): void;
  saved(lockVersion: number): Promise<void>;
  close(): void;
}

export declare function tabIdFor(storage: Storage | undefined, key: string): string;
export declare function backoffDelay(attempt: number, random?: () => number, min?: number, max?: number): number;

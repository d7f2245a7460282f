// The live event stream (docs/api.md "Live events"): one WebSocket to /v1/user/events,
// logged in with the first message as a browser must, resumed after a drop with the last
// event id. A `resync` (events missed), or a fresh stream becoming ready, asks the pages to
// read the state over REST again.

import { useEffect } from 'preact/hooks';

import { currentSession, refresh } from './api';

/** One event as the server sends it. */
export interface StratusEvent {
  id: number;
  type: string;
  node_id?: string;
  timestamp: number;
  data: any;
}

type Listener = (e: StratusEvent) => void;

const listeners = new Set<Listener>();
const resyncListeners = new Set<() => void>();
let socket: WebSocket | null = null;
let lastEventId: number | null = null;
let retryMs = 500;
let stopped = true;

function url(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/user/events`;
}

function connect(): void {
  const s = currentSession();
  if (stopped || !s) return;
  const ws = new WebSocket(url());
  socket = ws;
  // A stream that does not resume one has no events from before it: the pages read their
  // state over REST meanwhile, so what changed between that read and `ready` is read again.
  const fresh = lastEventId === null;
  ws.onopen = () => {
    const hello: Record<string, unknown> = { access_token: s.accessToken };
    if (lastEventId !== null) hello.last_event_id = lastEventId;
    ws.send(JSON.stringify(hello));
  };
  ws.onmessage = (m) => {
    let e: any;
    try {
      e = JSON.parse(String(m.data));
    } catch {
      return;
    }
    if (e.type === 'ready') {
      retryMs = 500;
      if (typeof e.last_event_id === 'number') lastEventId = e.last_event_id;
      if (fresh) resyncListeners.forEach((l) => l());
      return;
    }
    if (e.type === 'resync') {
      resyncListeners.forEach((l) => l());
      return;
    }
    if (typeof e.id === 'number') lastEventId = e.id;
    listeners.forEach((l) => l(e as StratusEvent));
  };
  ws.onclose = async (c) => {
    if (socket !== ws) return;
    socket = null;
    if (stopped) return;
    if (c.code === 4002 || c.code === 4001) {
      // The token expired (or was refused): refresh it, as for a REST call.
      if (!(await refresh())) return;
    }
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  };
}

/** Opens the stream (idempotent) while someone listens. */
export function startEvents(): void {
  if (!stopped) return;
  stopped = false;
  connect();
}

/** Closes the stream (logout). */
export function stopEvents(): void {
  stopped = true;
  lastEventId = null;
  socket?.close(1000);
  socket = null;
}

/** Calls `listener` for every event; returns the unsubscriber. */
export function onEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Calls `listener` when events were missed and the state must be read again. */
export function onResync(listener: () => void): () => void {
  resyncListeners.add(listener);
  return () => resyncListeners.delete(listener);
}

/**
 * Runs `load` now, again on every event whose type is in `types` (and, when `node` is set,
 * about that node), and after a resync; `deps` as for useEffect.
 */
export function useLive(load: () => unknown, types: string[], deps: unknown[], node?: string): void {
  useEffect(() => {
    load();
    const offEvent = onEvent((e) => {
      if (types.includes(e.type) && (node === undefined || e.node_id === node)) load();
    });
    const offResync = onResync(() => load());
    return () => {
      offEvent();
      offResync();
    };
  }, deps);
}

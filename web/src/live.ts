// Live status of one event: the server's stream (Server-Sent Events) when it has one, else polling.
import { api, type EventWithHistory, type Payment, type TimelineEntry } from './api.ts';

export interface Snapshot {
  event: EventWithHistory;
  payments: Payment[];
}

const POLL_MS = 2500;

/**
 * Calls `onSnapshot` with the event and its payments now and after every change, until the
 * returned function is called. `onTrouble` hears a failed poll (null once one succeeds again).
 * EventSource resumes by itself after a dropped connection (it sends Last-Event-ID); once it fails
 * for good (no stream on this server: 404, or an error before any message), polling takes over.
 */
export function watchEvent(id: string, onSnapshot: (s: Snapshot) => void, onTrouble: (err: unknown) => void, opts: { poll: () => boolean }): { stop(): void; refresh(): Promise<void>; invalidate(): void } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let source: EventSource | null = null;
  let asked = 0;
  // The last state heard: a change may carry the event without its timeline (then its entry is
  // appended) or without the payments (then they are as they were).
  let last: Snapshot | null = null;

  const refresh = async () => {
    const mine = ++asked;
    const [event, list] = await Promise.all([api.event(id), api.payments(id)]);
    // An answer overtaken by a newer request is old news.
    if (mine === asked && !stopped) onSnapshot((last = { event, payments: list.payments }));
  };

  const tick = async () => {
    timer = null;
    if (stopped) return;
    try {
      await refresh();
      onTrouble(null);
    } catch (err) {
      onTrouble(err);
    }
    schedule();
  };
  const schedule = () => {
    if (stopped || timer || document.hidden || !opts.poll()) return;
    timer = setTimeout(tick, POLL_MS);
  };
  const onVisible = () => {
    if (!document.hidden && !source && !timer) void tick();
  };

  const fromMessage = (raw: string): Snapshot | null => {
    try {
      const data = JSON.parse(raw) as { event?: EventWithHistory; payments?: Payment[]; entry?: TimelineEntry } & Partial<EventWithHistory>;
      const event = (data.event ?? data) as Partial<EventWithHistory>;
      if (!event?.id) return null;
      let timeline = event.timeline ?? last?.event.timeline;
      if (!timeline) return null;
      if (!event.timeline && data.entry && !timeline.some((t) => t.id === data.entry!.id)) timeline = [...timeline, data.entry];
      return (last = { event: { ...event, timeline } as EventWithHistory, payments: data.payments ?? last?.payments ?? [] });
    } catch {
      return null;
    }
  };

  const poll = () => {
    source?.close();
    source = null;
    document.addEventListener('visibilitychange', onVisible);
    void tick();
  };

  if (typeof EventSource === 'function') {
    let heard = false;
    source = new EventSource(`/api/v1/events/${encodeURIComponent(id)}/stream`);
    const onData = (e: MessageEvent<string>) => {
      const s = fromMessage(e.data);
      if (s && !stopped) {
        heard = true;
        asked++;
        onSnapshot(s);
        onTrouble(null);
      }
    };
    source.addEventListener('snapshot', onData as EventListener);
    source.addEventListener('change', onData as EventListener);
    source.onerror = () => {
      // Closed for good (an answer that is not a stream), or never working: poll instead. A stream
      // that worked and dropped reconnects by itself, resuming after the last id it received.
      if (!heard || source?.readyState === EventSource.CLOSED) poll();
    };
  } else poll();

  return {
    stop() {
      stopped = true;
      source?.close();
      if (timer) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
    /** The page learnt something newer itself (an order it just created): answers in flight are dropped. */
    invalidate() {
      asked++;
    },
    /** Asks now (after an action of the person's); polling resumes if it had stopped (nothing was left to happen until then). */
    refresh: async () => {
      try {
        await refresh();
        onTrouble(null);
      } finally {
        if (!source) schedule();
      }
    },
  };
}

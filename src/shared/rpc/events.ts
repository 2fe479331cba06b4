import { events, isEventName, type EventName, type Payload } from '../contract/index.ts';
import { SquillError, validationError } from '../errors.ts';

export type Listener = (payload: unknown) => void;

/**
 * Something that produces an event only while someone listens (a sampler, a watcher): started by the first
 * subscriber, stopped after the last one leaves.
 */
export type EventSource<E extends EventName> = (emit: (payload: Payload<E>) => void) => () => void;

export interface EventHub {
  emit<E extends EventName>(event: E, payload: Payload<E>): void;
  subscribe(event: string, listener: Listener): () => void;
  setSource<E extends EventName>(event: E, source: EventSource<E>): void;
  listenerCount(event: EventName): number;
  close(): void;
}

export function createEventHub(): EventHub {
  const listeners = new Map<EventName, Set<Listener>>();
  const sources = new Map<EventName, EventSource<EventName>>();
  const running = new Map<EventName, () => void>();

  const emit = <E extends EventName>(event: E, payload: Payload<E>) => {
    // A payload that breaks the contract is a backend bug: fail loudly here rather than in every renderer.
    const parsed = events[event].payload.safeParse(payload);
    if (!parsed.success) throw validationError(`payload of event ${event}`, parsed.error);
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(parsed.data);
      } catch {
        // one broken listener (a closed socket, a destroyed window) must not starve the others
      }
    }
  };

  const start = (event: EventName) => {
    const source = sources.get(event);
    if (source && !running.has(event)) running.set(event, source((p) => emit(event, p)));
  };
  const stop = (event: EventName) => {
    running.get(event)?.();
    running.delete(event);
  };

  return {
    emit,
    subscribe(event, listener) {
      if (!isEventName(event)) throw new SquillError('BAD_REQUEST', `Unknown event "${event}"`);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      if (set.size === 1) start(event);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        set.delete(listener);
        if (set.size === 0) stop(event);
      };
    },
    setSource(event, source) {
      sources.set(event, source as EventSource<EventName>);
      if ((listeners.get(event)?.size ?? 0) > 0) start(event);
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
    close() {
      for (const event of [...running.keys()]) stop(event);
      listeners.clear();
    },
  };
}

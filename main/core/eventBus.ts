import type { EventName, EventPayload } from '../../shared/api/contract';
import type { Unsubscribe } from '../../shared/api/transport';

type Listener = (name: EventName, payload: unknown) => void;

/** Core → UI events. Transports subscribe once and forward every event to their clients. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) listener(name, payload);
  }

  subscribe(listener: Listener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

import { StudioError } from '../../../shared/api/errors';
import type { Clock, DeviceStatus } from '../types';
import { LinkPublisher, LinkSubscriber, type SubscriberStats } from './zmqLink';

export interface StateCommandLinkOptions<T> {
  /** Names the device in every message, e.g. `arm "arm" (deoxys)`. */
  who: string;
  /** Where this side binds its command PUB, e.g. `tcp://*:5555`. */
  command_endpoint: string;
  /** The NUC's state PUB, e.g. `tcp://172.16.0.3:5556`. */
  state_endpoint: string;
  decode(frame: Uint8Array): T;
  clock: Clock;
  /** No valid state for this long sets `status().error`. */
  stale_after_ms: number;
  /** What the operator should check when state stops. */
  stale_fix: string;
}

const RATE_WINDOW = 64;

/**
 * One deoxys node seen from the workstation: a bound command PUB and a connected state SUB, the
 * newest decoded state, a measured state rate, and a staleness watchdog that turns silence into a
 * device error (so teleop stops) and clears it when state comes back.
 */
export class StateCommandLink<T> {
  private readonly publisher: LinkPublisher;
  private readonly subscriber: LinkSubscriber;
  private latestState: { state: T; capture_ns: bigint } | undefined;
  private readonly arrivals_ns: bigint[] = [];
  private error: DeviceStatus['error'];
  private connected = false;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly statusListeners = new Set<(status: DeviceStatus) => void>();
  private readonly stateListeners = new Set<(state: T, capture_ns: bigint) => void>();

  constructor(private readonly options: StateCommandLinkOptions<T>) {
    this.publisher = new LinkPublisher(options.command_endpoint, options.who);
    this.subscriber = new LinkSubscriber(options.state_endpoint, (frame) => this.receive(frame));
  }

  private receive(frame: Uint8Array): void {
    const state = this.options.decode(frame);
    const capture_ns = this.options.clock.now_ns();
    this.latestState = { state, capture_ns };
    this.arrivals_ns.push(capture_ns);
    if (this.arrivals_ns.length > RATE_WINDOW) this.arrivals_ns.shift();
    if (this.error !== undefined && this.connected) this.setError(undefined);
    for (const listener of this.stateListeners) listener(state, capture_ns);
  }

  async open(): Promise<void> {
    try {
      await this.publisher.bind();
    } catch (error) {
      await this.subscriber.close();
      throw error;
    }
    this.subscriber.connect();
    this.connected = true;
    const period_ms = Math.max(5, this.options.stale_after_ms / 4);
    this.watchdog = setInterval(() => this.checkStale(), period_ms);
    this.watchdog.unref();
  }

  private checkStale(): void {
    if (!this.connected || this.latestState === undefined) return;
    const age_ms = Number(this.options.clock.now_ns() - this.latestState.capture_ns) / 1e6;
    if (age_ms > this.options.stale_after_ms && this.error === undefined) {
      this.setError({
        message: `${this.options.who}: no state from ${this.options.state_endpoint} for ${age_ms.toFixed(0)} ms (limit ${this.options.stale_after_ms} ms)`,
        fix: this.options.stale_fix,
      });
    }
  }

  private setError(error: DeviceStatus['error']): void {
    this.error = error;
    const status = this.status();
    for (const listener of this.statusListeners) listener(status);
  }

  /** Resolves on the first valid state; rejects after `timeout_ms` with what to check. */
  waitForState(timeout_ms: number, fix: string): Promise<T> {
    const latest = this.latestState;
    if (latest !== undefined) return Promise.resolve(latest.state);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        const decodeNote =
          this.subscriber.stats.last_decode_error === undefined
            ? ''
            : ` (messages arrived but were refused: ${this.subscriber.stats.last_decode_error})`;
        reject(
          new StudioError({
            code: 'unavailable',
            message: `${this.options.who}: no state from ${this.options.state_endpoint} within ${timeout_ms} ms${decodeNote}`,
            fix,
          }),
        );
      }, timeout_ms);
      const unsubscribe = this.onState((state) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(state);
      });
    });
  }

  /**
   * Resolves once the NUC has subscribed to our command port; rejects after `timeout_ms` naming the
   * endpoint, because then the NUC cannot reach us (its `PC.IP`, a firewall).
   */
  async waitForCommandSubscriber(timeout_ms: number, fix: string): Promise<void> {
    if (await this.publisher.waitForSubscriber(timeout_ms)) return;
    throw new StudioError({
      code: 'unavailable',
      message: `${this.options.who}: the NUC did not connect to ${this.options.command_endpoint} within ${timeout_ms} ms`,
      fix,
    });
  }

  onState(listener: (state: T, capture_ns: bigint) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onStatusChange(listener: (status: DeviceStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  latest(): { state: T; capture_ns: bigint } | undefined {
    return this.latestState;
  }

  /** State messages per second over the last (up to) 64 arrivals; 0 before two arrivals. */
  state_hz(): number {
    const first = this.arrivals_ns[0];
    const last = this.arrivals_ns[this.arrivals_ns.length - 1];
    if (first === undefined || last === undefined || last === first) return 0;
    return ((this.arrivals_ns.length - 1) * 1e9) / Number(last - first);
  }

  send(bytes: Uint8Array): Promise<void> {
    return this.publisher.send(bytes);
  }

  commandsSent(): number {
    return this.publisher.sent;
  }

  subscriberStats(): SubscriberStats {
    return { ...this.subscriber.stats };
  }

  status(): DeviceStatus {
    return this.error === undefined ? { connected: this.connected } : { connected: this.connected, error: this.error };
  }

  async close(): Promise<void> {
    this.connected = false;
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    await Promise.all([this.publisher.close(), this.subscriber.close()]);
    this.stateListeners.clear();
  }
}
